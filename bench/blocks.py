"""Each block's record, bottle by bottle, as the firmware's flow stage hands it to the detector.

    .venv/bin/python -m bench.blocks TRACE.csv                        # every block
    .venv/bin/python -m bench.blocks TRACE.csv --from 540 --to 580    # a window (s)
    .venv/bin/python -m bench.blocks TRACE.csv --bottle 2 --json      # one bottle, JSON Lines
    PYTHONPATH=TREE/host_tools:TREE .venv/bin/python -m bench.blocks TRACE.csv   # TREE's firmware

Tracing a miss or a false letdown starts here: why a bottle was held, not quiet, unsettled or
rough while its milk came. The trace (a bench scenario's CSV, bench.draws' `scenarios/`, or any
trace `pumpmon replay` takes) runs through the firmware's own session in the unix port, as
`pumpmon replay` runs it, and one line is printed for each 1-s block of each bottle in the
window: the block's end (s since the session's start), the bottle, and flow.Block's fields
(the detector reads nothing else of the weight):

    v        the filtered block value, mg (offset removed)   lo   its lowest bin, mg
    lin      the linear chain's value (walking), mg           off  the offset the stage removed
    flow     the robust flow, mg/s                            rmg  the block's roughness, mg
    tilt_err the tilt correction's possible error, mg
    flags    Q quiet, R rough, H held, S steady tilt, T tilted, U turned, A the detector armed
    uns      blocks still unsettled (a fall: a hand)          still  quiet blocks in a row
             (-1: one of a motion's first blocks, -2: the weight fell in a motion)
    calm     accepted blocks in a row since the last hold     acc  blocks accepted since reset

The session's events (letdown, taper, cue, phase) print between the blocks, as `pumpmon replay`
prints them. The firmware is the checkout's own (its compiled .mpy, rebuilt when stale), or the
one PYTHONPATH puts first, as for bench.draws' trees.

Exit status: 0; 2 for bad input (the trace unreadable, a window that ends before it begins, a
bottle the trace does not have), with one line that says what to give instead; 1 when the
firmware failed (its last line).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

from pumpmon import unixport
from pumpmon.trace import TraceError, TraceStats, write_binary

EXIT_BAD_INPUT = 2
EXIT_FIRMWARE_ERROR = 1
TIMEOUT_S = 600  # a 20-minute session runs in seconds; a hang ends here

FIELDS = (
    "t_s",
    "bottle",
    "v",
    "lo",
    "lin",
    "off",
    "flow",
    "rmg",
    "tilt_err",
    "flags",
    "uns",
    "still",
    "calm",
    "acc",
)

# Runs in the unix port: firmware/replay.py's run, its session's on_sample watched: one line
# per block in the window ("B" and the fields) and one per event ("E" and replay's JSON).
_SCRIPT = r"""
import sys
import replay
FROM_MS = %(from_ms)d
TO_MS = %(to_ms)d
BOTTLE = %(bottle)d
out = sys.stdout
class Events:
    # replay's JSON lines, each marked "E " (some events print none, some two)
    def write(self, text):
        for line in text.splitlines():
            out.write("E " + line + "\n")
def watched_session(cfg_path, channels, sink, has_accel, build=replay.build_session):
    s = build(cfg_path, channels, sink, has_accel)
    on_sample = s.on_sample
    flows = s.flows
    det = s.detector
    seen = [-1] * len(flows)
    def watched(t_ms, w1, w2, ax, ay, az):
        on_sample(t_ms, w1, w2, ax, ay, az)
        for ch in range(len(flows)):
            fs = flows[ch]
            b = fs.block
            if b.k == seen[ch]:
                continue
            seen[ch] = b.k
            t = fs.t_block_ms - s.t_start_ms
            if t < FROM_MS or t > TO_MS or (BOTTLE and ch + 1 != BOTTLE):
                continue
            flags = (
                ("Q" if b.quiet else "") + ("R" if b.rough else "") + ("H" if b.held else "")
                + ("S" if b.steady_tilt else "") + ("T" if b.tilted else "")
                + ("U" if b.turned else "") + ("A" if det._armed[ch] else "")
            )
            out.write("B %%d %%d %%d %%d %%d %%d %%d %%d %%d %%s %%d %%d %%d %%d\n" %% (
                t, ch + 1, b.v_mg, b.lo_mg, b.lin_mg, b.offset_mg, b.flow_mg_s, fs.rough_mg,
                b.tilt_err_mg, flags or "-", b.unsettled, b.still, b.calm, b.accepted))
    s.on_sample = watched
    return s
replay.build_session = watched_session  # replay.run, as `pumpmon replay` runs it, watched
replay.run(sys.stdin.buffer, None, Events())
"""


class BadInput(ValueError):
    """Input the tool cannot use; str() is the one line for the user."""


def _block(parts: list[str]) -> dict:
    row: dict = {}
    for name, text in zip(FIELDS, parts):
        if name == "flags":
            row[name] = "" if text == "-" else text
        elif name == "t_s":
            row[name] = int(text) / 1000
        else:
            row[name] = int(text)
    return row


def run(trace: Path, t_from: float, t_to: float, bottle: int) -> list[tuple[str, dict]]:
    """The blocks and events in [t_from, t_to] s: ("block", dict) and ("event", dict), in
    order. Raises BadInput, or RuntimeError when the firmware fails."""
    if math.isnan(t_from) or math.isnan(t_to) or math.isinf(t_from):
        raise BadInput("give --from and --to as seconds into the trace, e.g. --from 540 --to 580")
    if t_to < t_from:
        raise BadInput(
            "--to %g s comes before --from %g s; give the window's start first" % (t_to, t_from)
        )
    with tempfile.TemporaryDirectory(prefix="pumpmon-blocks-") as tmp:
        binary = Path(tmp) / "trace.bin"
        stats = TraceStats()
        try:
            with open(binary, "wb") as f:
                write_binary(trace, f, stats=stats)
        except TraceError as e:
            raise BadInput(str(e)) from None
        n = len(stats.start_g)
        if bottle > n:
            raise BadInput(
                "%s has %d bottle%s; give --bottle 1%s"
                % (trace, n, "" if n == 1 else "s", "" if n == 1 else " or 2")
            )
        code = _SCRIPT % {
            "from_ms": int(t_from * 1000),
            "to_ms": int(min(t_to * 1000, 2**31 - 1)),
            "bottle": bottle,
        }
        env = unixport.micropython_env()  # compiles the firmware to .mpy when stale
        with open(binary, "rb") as stdin:
            proc = subprocess.run(
                unixport.command(["-c", code]),
                stdin=stdin,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
                env=env,
                cwd=str(unixport.COMPILED),
            )
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        raise RuntimeError(lines[-1] if lines else "exit status %d" % proc.returncode)
    rows: list[tuple[str, dict]] = []
    for line in proc.stdout.splitlines():
        if line.startswith("B "):
            rows.append(("block", _block(line.split()[1:])))
        elif line.startswith("E "):
            event = json.loads(line[2:])
            if t_from <= event["t_s"] <= t_to:
                rows.append(("event", event))
    return rows


def _table(rows: list[tuple[str, dict]]) -> str:
    widths = (8, 7, 8, 8, 8, 7, 6, 6, 9, 6, 4, 6, 5, 5)
    out = ["".join(name.rjust(w) for name, w in zip(FIELDS, widths))]
    for kind, row in rows:
        if kind == "event":
            out.append("   event " + json.dumps(row))
            continue
        cells = dict(row, t_s="%.1f" % row["t_s"], flags=row["flags"] or "-")
        out.append("".join(str(cells[name]).rjust(w) for name, w in zip(FIELDS, widths)))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.blocks",
        description="Each 1-s block's record, as the detector reads it, for one trace.",
    )
    ap.add_argument("trace", type=Path, help="a trace CSV (t_s, weight_g, ...)")
    ap.add_argument("--from", dest="t_from", type=float, default=0.0, help="window start, s")
    ap.add_argument("--to", dest="t_to", type=float, default=float("inf"), help="window end, s")
    ap.add_argument("--bottle", type=int, choices=(1, 2), default=0, help="one bottle only")
    ap.add_argument("--json", action="store_true", help="JSON Lines instead of a table")
    args = ap.parse_args(argv)
    try:
        rows = run(args.trace, args.t_from, args.t_to, args.bottle)
    except BadInput as e:
        sys.stderr.write("bench.blocks: %s\n" % e)
        return EXIT_BAD_INPUT
    except unixport.UnixPortMissing as e:
        sys.stderr.write("bench.blocks: %s\n" % e)
        return EXIT_FIRMWARE_ERROR
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        sys.stderr.write("bench.blocks: the firmware failed: %s\n" % e)
        return EXIT_FIRMWARE_ERROR
    if args.json:
        for kind, row in rows:
            sys.stdout.write(json.dumps({"kind": kind, **row}) + "\n")
    else:
        sys.stdout.write(_table(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
