"""Every scenario set the detector is judged on, one command: issue 12's lines set by set.

    .venv/bin/python -m bench.sets                          # the fifteen sets (3-10 min)
    .venv/bin/python -m bench.sets --sets fixed,100         # some of them
    .venv/bin/python -m bench.sets --baseline OLD/sets.json # ... beside an earlier run
    .venv/bin/python -m bench.sets --draw 1 --out /tmp/sets-d1 --baseline bench/out/sets/sets.json
                                                            # the same sessions, fresh noise
    .venv/bin/python -m bench.sets --tree /tmp/trial --out /tmp/trial-sets \
        --baseline bench/out/sets/sets.json                # a changed checkout, beside main's

The sets: the fixed one (what `make bench` scores), the held-out seed sets 100-700, and seven
variants built on them that the detector was not tuned on (held presses, milk in pulses, the
pump's ripple at 2 and 3 times the sets' own, ejections rising 4 times faster or twice as
slowly, walks over 1.5-2.5 Hz; the `bench --help` options). For each set it runs
`python -m bench --only detection --only coach_checks` with that set's options, in a
subprocess, and keeps its output under OUT/<set>/ (its closing JSON line, and the per-session
events). It then prints:
- one row per set with the done-when figures of issue 12, each marked when it misses its line;
- the totals over the sets: onsets missed (and of them, those a letdown found 20-40 s late)
  and false letdowns (bench.score's matching, the F1's own, plus any letdown in a no-milk
  session), wrong cues and tapers in true flow: counts,
  not per-set rates, so that a change can be weighed on all the sets at once; and the onsets
  found and the false letdowns by the path that reported them (rise, floor, resume, ...: the
  replay's `found`), so that a change is seen in the path it moved;
- with --baseline, every figure that moved, old -> new.

With --draw K every set is run at that noise draw (`bench --draw K`: the same sessions with
the sensor's noise drawn afresh); beside a draw-0 baseline, what moves is the noise's luck, not
a change to the detector, and a change to weigh should move more than that.

It ends with one JSON line (per-set figures and the totals), also written to OUT/sets.json:
the file a later run takes as --baseline (the one it replaces becomes OUT/sets.previous.json).
Exit status: 0; 1 when a set's run failed (the others still run and are printed); 2 for bad
arguments (an unknown set, an unreadable baseline, a --tree that is not a checkout), before
anything runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.context import REPO, draw_arg
from bench.score import LETDOWN_WINDOW_S, _Counts
from bench.wearer import WRONG_KINDS

# name -> the options of `python -m bench` that make that set (the order is the table's)
SETS: dict[str, list[str]] = {
    "fixed": [],
    "100": ["--seeds", "100"],
    "200": ["--seeds", "200"],
    "300": ["--seeds", "300"],
    "400": ["--seeds", "400"],
    "500": ["--seeds", "500"],
    "600": ["--seeds", "600"],
    "700": ["--seeds", "700"],
    "held": ["--seeds", "100", "--press", "held"],
    "pulsed": ["--seeds", "200", "--flow", "pulsed"],
    "ripple2": ["--seeds", "300", "--ripple", "2"],
    "ripple3": ["--seeds", "100", "--ripple", "3"],
    "fast": ["--seeds", "400", "--rise", "fast"],
    "slow": ["--seeds", "300", "--rise", "slow"],
    "gait": ["--seeds", "200", "--gait", "wide"],
}
DEFAULT_OUT = REPO / "bench" / "out" / "sets"
STDERR_MARK = "\n--- stderr ---\n"  # a set's log: its stdout, this, its stderr
SET_TIMEOUT_S = 1800  # one set takes about a minute here; a hung replay must not hang this

# the figures kept per set (from the closing JSON), in the table's order
KEYS = (
    "me_f1",
    "me_recall_motion",
    "me_recall_clean",
    "wrong_cues_per_session",
    "control_false_per_session",
    "me_latency_med_s",
    "me_latency_p90_s",
    "onset_floor_0p5g_med_s",
    "onset_floor_0p5g_p90_s",
    "taper_f1",
    "taper_false_motion",
    "volume_err_med_ml",
    "volume_err_max_ml",
)
# the counts summed over the sets
TOTALLED = (
    "sessions",
    "onsets",
    "onsets_missed",
    "late_finds",
    "letdowns_false",
    "wrong_cues",
    "taper_false_motion",
)
# the letdowns by the path that reported them (the replay's `found`), summed over the sets
# too: onsets found (matched) and false letdowns, from each set's closing JSON
BY_PATH = ("letdowns_found_by_path", "letdowns_false_by_path")


def lines_missed(f: dict) -> list[str]:
    """Issue 12's done-when lines (the per-set ones) that the figures f miss, by short name."""
    missed = []

    def below(key, line):
        return f.get(key) is None or f[key] < line

    def above(key, line):
        return f.get(key) is None or f[key] > line

    if below("me_f1", 0.95):
        missed.append("f1")
    clean = f.get("me_recall_clean") or 0.0
    if below("me_recall_motion", 0.90) or below("me_recall_motion", 0.9 * clean):
        missed.append("motion")
    if above("wrong_cues_per_session", 0.05):
        missed.append("cues")
    if above("control_false_per_session", 0.1):
        missed.append("no_milk")
    if below("taper_f1", 0.90):
        missed.append("taper_f1")
    if f.get("taper_false_motion") != 0:
        missed.append("taper_flow")
    if above("volume_err_med_ml", 0.5) or above("volume_err_max_ml", 2.0):
        missed.append("volume")
    for key, floor, margin, name in (
        ("me_latency_med_s", "onset_floor_0p5g_med_s", 2.0, "lat_med"),
        ("me_latency_p90_s", "onset_floor_0p5g_p90_s", 3.0, "lat_p90"),
    ):
        if f.get(key) is None or f.get(floor) is None or f[key] > f[floor] + margin:
            missed.append(name)
    return missed


def count_letdowns(sessions: list[dict]) -> dict:
    """Onsets missed and false letdowns over a set's detection_sessions.json, counted as the
    F1 counts them (bench.score: window LETDOWN_WINDOW_S, a find more than 20 s late is one of
    each), and every letdown in a no-milk session false too (the F1 leaves those sessions to
    `control_false_per_session`; here a false letdown is one whatever the session)."""
    c = _Counts()
    for x in sessions:
        truth = x["truth"]["onsets_s"]
        found = x["firmware"]["letdowns_s"]
        for ch in range(max(len(truth), len(found))):
            dets = found[ch] if ch < len(found) else []
            c.add(dets, truth[ch] if ch < len(truth) else [], LETDOWN_WINDOW_S)
    return {
        "onsets": c.n_truth,
        "onsets_missed": c.n_truth - c.tp,
        "letdowns_false": c.n_det - c.tp,
    }


def set_figures(closing: dict, sessions: list[dict]) -> dict:
    """A set's figures: KEYS from its closing JSON, its wrong cues and letdown counts."""
    f = {k: closing.get(k) for k in KEYS}
    f["wrong_cues"] = sum(int(closing.get("wrong_cues_" + k) or 0) for k in WRONG_KINDS)
    f["sessions"] = len(sessions)
    f.update(count_letdowns(sessions))
    # onsets missed in the window that a letdown found 20-40 s after: each one a miss and a
    # false letdown above (bench.wearer's `me_late_finds`)
    f["late_finds"] = int(closing.get("me_late_finds") or 0)
    f["letdowns_found_by_path"] = {
        path: int(v.get("n") or 0) for path, v in (closing.get("me_latency_by_path") or {}).items()
    }
    f["letdowns_false_by_path"] = dict(closing.get("letdowns_false_by_path") or {})
    return f


def totals(per_set: dict[str, dict]) -> dict:
    """The counts summed over the sets that ran."""
    out: dict = {"sets": len(per_set)}
    for k in TOTALLED:
        out[k] = sum(int(f.get(k) or 0) for f in per_set.values())
    for k in BY_PATH:
        by: dict[str, int] = {}
        for f in per_set.values():
            for path, n in (f.get(k) or {}).items():
                by[path] = by.get(path, 0) + int(n)
        out[k] = dict(sorted(by.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def _flat(f: dict) -> dict:
    """A set's (or the totals') figures with each by-path count as a key of its own
    (`letdowns_false_by_path.floor`), so that a path's count that moved shows by itself."""
    out = {}
    for k, v in f.items():
        if isinstance(v, dict):
            for path, n in v.items():
                out["%s.%s" % (k, path)] = n
        else:
            out[k] = v
    return out


def fmt(v, digits=3) -> str:
    """A figure as printed: '-' when missing, a float to `digits` places, a count as is."""
    if v is None:
        return "-"
    if isinstance(v, float):
        return ("%." + str(digits) + "f") % v
    return str(v)


def table(per_set: dict[str, dict], failed: dict[str, str]) -> list[str]:
    """The printed table: a row per set, then the totals."""
    rows = [
        "%-9s %6s %7s %7s %7s  %-13s   %-14s %6s %8s  %-13s %6s %5s  %s"
        % (
            "set",
            "F1",
            "motion",
            "cues/s",
            "nomilk",
            "lat med (line)",
            "lat p90 (line)",
            "taper",
            "in flow",
            "vol med/worst",
            "missed",
            "false",
            "lines missed",
        )
    ]
    for name in SETS:
        if name in failed:
            rows.append("%-9s  FAILED: %s" % (name, failed[name]))
            continue
        if name not in per_set:
            continue
        f = per_set[name]
        med_line = (f["onset_floor_0p5g_med_s"] or 0) + 2.0
        p90_line = (f["onset_floor_0p5g_p90_s"] or 0) + 3.0
        rows.append(
            "%-9s %6s %7s %7s %7s  %5s (%5.1f)   %5s (%5.1f)  %6s %8s  %5s / %5s  %6d %5d  %s"
            % (
                name,
                fmt(f["me_f1"]),
                fmt(f["me_recall_motion"]),
                fmt(f["wrong_cues_per_session"]),
                fmt(f["control_false_per_session"], 2),
                fmt(f["me_latency_med_s"], 2),
                med_line,
                fmt(f["me_latency_p90_s"], 2),
                p90_line,
                fmt(f["taper_f1"]),
                fmt(f["taper_false_motion"]),
                fmt(f["volume_err_med_ml"], 2),
                fmt(f["volume_err_max_ml"], 2),
                f["onsets_missed"],
                f["letdowns_false"],
                " ".join(lines_missed(f)) or "none",
            )
        )
    t = totals(per_set)
    rows.append(
        "totals over %d sets (%d sessions): %d of %d onsets missed (%d of them found late, a "
        "false letdown each), %d false letdowns, %d wrong cues, %d tapers in true flow"
        % (
            t["sets"],
            t["sessions"],
            t["onsets_missed"],
            t["onsets"],
            t["late_finds"],
            t["letdowns_false"],
            t["wrong_cues"],
            t["taper_false_motion"],
        )
    )
    rows.append(
        "... by the path that reported them: onsets found %s; false letdowns %s"
        % tuple(", ".join("%s %d" % kv for kv in t[k].items()) or "none" for k in BY_PATH)
    )
    return rows


def moved(old: dict, new: dict) -> list[str]:
    """Every figure that differs between two runs' sets.json contents, old -> new, over the
    sets both ran (the totals too: summed over those sets only)."""
    out = []
    both = [n for n in SETS if n in old.get("sets", {}) and n in new.get("sets", {})]
    for name in both:
        a = _flat(old["sets"][name])
        b = _flat(new["sets"][name])
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                out.append("%-9s %-26s %s -> %s" % (name, k, fmt(a.get(k)), fmt(b.get(k))))
    ta = _flat(totals({n: old["sets"][n] for n in both}))
    tb = _flat(totals({n: new["sets"][n] for n in both}))
    for k in sorted(set(ta) | set(tb)):
        if ta.get(k) != tb.get(k):
            out.append("%-9s %-26s %s -> %s" % ("totals", k, fmt(ta.get(k)), fmt(tb.get(k))))
    return out


def closing_json(text: str) -> dict | None:
    """The last line of a bench run's stdout, if it is its closing JSON object."""
    lines = text.strip().splitlines()
    if not lines:
        return None
    try:
        got = json.loads(lines[-1])
    except ValueError:
        return None
    return got if isinstance(got, dict) else None


def run_set(
    name: str, out: Path, jobs: int, tree: Path = REPO, draw: int = 0
) -> tuple[dict | None, str]:
    """Runs one set with the firmware, bench and host tools of `tree` (a checkout of this
    repository), at noise draw `draw` (`bench --draw`); (its figures, "") or (None, why it
    failed). Its stdout goes to out/<name>.log, its scenarios and events under out/<name>/."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    path = [str(tree / "host_tools"), str(tree)]
    if env.get("PYTHONPATH"):
        path.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(path)
    log = out / (name + ".log")
    cmd = [sys.executable, "-m", "bench", "--only", "detection", "--only", "coach_checks"]
    cmd += ["--jobs", str(jobs), "--out", str(out / name)] + SETS[name]
    if draw:
        cmd += ["--draw", str(draw)]
    try:
        proc = subprocess.run(
            cmd,
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=SET_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        # (a timeout's partial output comes as bytes, whatever text= said)
        got = [
            x.decode(errors="replace") if isinstance(x, bytes) else (x or "")
            for x in (e.stdout, e.stderr)
        ]
        log.write_text(got[0] + STDERR_MARK + got[1])
        return None, "no result within %d s (see %s)" % (SET_TIMEOUT_S, log)
    log.write_text(proc.stdout + STDERR_MARK + proc.stderr)
    closing = closing_json(proc.stdout)
    if proc.returncode != 0 or closing is None:
        return None, "exit status %d (see %s)" % (proc.returncode, log)
    found = sorted((out / name).glob("**/detection_sessions.json"))
    if not found:
        return None, "no detection_sessions.json under %s" % (out / name)
    sessions = json.loads(found[0].read_text())
    return set_figures(closing, sessions), ""


def set_names_arg(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in SETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            "%r: give some of %s, comma-separated" % (text, ", ".join(SETS))
        )
    return [n for n in SETS if n in names]


def tree_arg(path: str) -> Path:
    tree = Path(path).resolve()
    missing = [
        p
        for p in ("bench/__main__.py", "firmware/pipeline", "host_tools/pumpmon")
        if not (tree / p).exists()
    ]
    if missing:
        raise argparse.ArgumentTypeError(
            "%s is not a checkout of this repository (no %s): give one, e.g. a `git worktree add`"
            % (path, ", ".join(missing))
        )
    return tree


def _baseline(path: str) -> dict:
    try:
        got = json.loads(Path(path).read_text())
    except OSError as e:
        raise argparse.ArgumentTypeError(
            "cannot read %s (%s): give the sets.json an earlier run wrote" % (path, e.strerror)
        ) from None
    except ValueError:
        raise argparse.ArgumentTypeError(
            "%s is not JSON: give the sets.json an earlier run wrote" % path
        ) from None
    if not isinstance(got, dict) or not isinstance(got.get("sets"), dict):
        raise argparse.ArgumentTypeError(
            "%s has no per-set figures: give the sets.json an earlier run wrote" % path
        )
    return got


def main(argv: list[str] | None = None, runner=run_set) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.sets",
        description="Runs the detection and coach sections on every scenario set and prints "
        "issue 12's lines set by set, with totals.",
    )
    ap.add_argument(
        "--sets",
        type=set_names_arg,
        default=list(SETS),
        help="comma-separated, of: %s (default: all)" % ", ".join(SETS),
    )
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="output folder (bench/out/sets)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel replays per set, at most 2")
    ap.add_argument(
        "--baseline", type=_baseline, help="an earlier run's sets.json: print what moved"
    )
    ap.add_argument(
        "--tree",
        type=tree_arg,
        default=REPO,
        help="run the firmware, bench and host tools of this checkout (default: this one)",
    )
    ap.add_argument(
        "--draw",
        type=draw_arg,
        default=0,
        metavar="K",
        help="every set at this noise draw (bench --draw K: the same sessions, the sensor's "
        "noise drawn afresh; 0, the default: the sets' own)",
    )
    args = ap.parse_args(argv)
    out = Path(args.out).resolve()  # (the runs' working folder is the tree's)
    per_set: dict[str, dict] = {}
    failed: dict[str, str] = {}
    t0 = time.monotonic()
    for name in args.sets:
        print("== %s ..." % name, file=sys.stderr, flush=True)
        got, why = runner(name, out, min(max(args.jobs, 1), 2), args.tree, args.draw)
        if got is None:
            failed[name] = why
        else:
            per_set[name] = got
    print("\n== sets: issue 12's lines, set by set (a line missed is named at the row's end)")
    for row in table(per_set, failed):
        print("   " + row)
    result = {"sets": per_set, "totals": totals(per_set), "failed": failed, "draw": args.draw}
    if args.baseline is not None:
        diff = moved(args.baseline, result)
        both = [n for n in per_set if n in args.baseline["sets"]]
        new_sets = [n for n in per_set if n not in args.baseline["sets"]]
        old_draw = args.baseline.get("draw", 0)
        print(
            "\n== moved since the baseline (%d figures, over %s%s%s)"
            % (
                len(diff),
                ", ".join(both) or "no set both ran",
                "; not in the baseline: " + ", ".join(new_sets) if new_sets else "",
                "; noise draw %d against the baseline's %d: what moved is also the noise's luck"
                % (args.draw, old_draw)
                if old_draw != args.draw
                else "",
            )
        )
        for row in diff or ["nothing"]:
            print("   " + row)
    which = "" if args.sets == list(SETS) else " --sets " + ",".join(args.sets)
    if args.draw:
        which += " --draw %d" % args.draw
    if args.tree != REPO:
        which += " --tree %s" % args.tree
    print(
        "   reproduce: .venv/bin/python -m bench.sets%s   (%.0f s here)"
        % (which, time.monotonic() - t0)
    )
    out.mkdir(parents=True, exist_ok=True)
    saved = out / "sets.json"
    if saved.exists():
        # the run before stays one generation (it may be this run's own --baseline)
        saved.replace(out / "sets.previous.json")
    saved.write_text(json.dumps(result, indent=1))
    sys.stdout.flush()
    print(json.dumps(result))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
