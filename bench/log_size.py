"""Bench section: how big the session logs are, through the firmware's own codec.

    .venv/bin/python -m bench --only log_size

Every session of the bench's realistic set (bench.scenarios: noise, spikes, drift, ripple,
walking, tilt, gaps; 5-80 Hz; 1 or 2 bottles; accelerometer in some) is encoded by
firmware/shared/logcodec.py (imported under CPython, byte for byte what the device's log store
writes: header, segments, summary), with its events taken from the firmware's replay of that
trace when the bench has run the replays (else without events, and the table says so). Each
file is decoded again and compared with the input (quantised to the step the device stores,
logstore.Q_MG) before it is counted.

- log_bytes_per_sample: all file bytes / all weight samples (samples x bottles). Header,
  timestamps, accelerometer summaries, events and summary are included.
- sessions_per_2mb: sessions of 20 minutes at 10 Hz of ONE weight channel that fit in a
  2 MB littlefs partition (4096-byte blocks), counted by writing them into a real littlefs
  image in the MicroPython unix port until it is full (littlefs's own overhead included).
  One channel because that is the issue's own arithmetic: 1.2 bytes per sample per weight
  channel x 12,000 samples = 14.4 KB, and 150 of those are 2.16 MB. The sessions are the
  realistic set taken at 10 Hz (20 and 80 Hz traces decimated to 10 Hz; 5 Hz traces left out)
  with their accelerometers, each file's size scaled to 20 minutes.
  sessions_per_2mb_two_bottles / _mixed: the same with two-bottle sessions only (double
  pumping: twice the samples) and with the set's own mix of one and two bottles. Both are
  printed and returned, so the one-channel headline hides nothing.

Limits: synthetic traces (bench/scenarios.py), not recordings from a board; the device
timestamps real samples with ticks_ms jitter, which costs more bits than the generator's
regular clock (80 Hz traces carry the 12/13 ms rounding of 12.5 ms, which is paid for here).
"""

from __future__ import annotations

import json
from pathlib import Path

from pumpmon import trace as trace_mod
from pumpmon import unixport
from pumpmon.fwimport import firmware_module

from bench.context import BenchContext, log

SESSION_S = 1200
RATE_HZ = 10
PARTITION_BYTES = 2 * 1024 * 1024
Q_MG = firmware_module("device.logstore").Q_MG  # the step the device stores weights with


def _events(ctx: BenchContext, name: str, evn) -> list[tuple[int, int, int, int]] | None:
    """Events of the firmware's replay of `name` (codes: the index of each name in
    eventnames.py's tables), or None."""
    path = ctx.out_dir / "replay" / (name + ".jsonl")
    if ctx._replays is None or not path.exists():
        return None
    out = []
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        kind = rec.get("event")
        if kind not in evn.EVENT_NAMES or kind == "summary":
            continue
        code = evn.EVENT_NAMES.index(kind)
        t_ms = int(round(float(rec.get("t_s", 0)) * 1000))
        ch = int(rec.get("channel", 0)) - 1 if "channel" in rec else 255
        arg = 0
        if kind == "cue" and rec.get("cue") in evn.CUE_NAMES:
            arg = evn.CUE_NAMES.index(rec["cue"])
        elif kind == "phase" and rec.get("phase") in evn.PHASE_NAMES:
            arg = evn.PHASE_NAMES.index(rec["phase"])
        out.append((t_ms, code, ch & 0xFF, arg))
    return out


def _encode(ld, tr: trace_mod.Trace, events, period_us: int, session_id: int) -> bytes:
    n_ch = tr.channels
    w2 = tr.w2_mg or [0] * len(tr.t_ms)
    samples = list(zip(tr.t_ms, tr.w1_mg, w2))
    accel = []
    if tr.accel_mgee is not None:
        accel = [(t, a[0], a[1], a[2]) for t, a in zip(tr.t_ms, tr.accel_mgee)]
    header = dict(
        session_id=session_id,
        n_channels=n_ch,
        period_us=period_us,
        q_mg=Q_MG,
        device_id="bench-0001",
        firmware="bench",
        board="sim",
        config_digest=0x12345678,
        start_time_s=None,
        has_accel=tr.accel_mgee is not None,
    )
    vols = [0] * n_ch
    summary = dict(
        end_t_ms=tr.t_ms[-1],
        n_samples=len(tr.t_ms),
        n_events=len(events or ()),
        letdowns=0,
        cues=0,
        faults=0,
        done=True,
        volume_mg=vols,
    )
    data = ld.encode_session(header, samples, accel, events or (), summary)
    # the codec must give back what it was given, or the size means nothing
    got = ld.decode(data)
    if got["t_ms"] != list(tr.t_ms) or not got["complete"]:
        raise AssertionError("log codec round trip lost samples or the summary")
    for ch, col in enumerate([tr.w1_mg, w2][:n_ch]):
        want = [((w + Q_MG // 2) // Q_MG) * Q_MG for w in col]
        if got["w_mg"][ch] != want:
            raise AssertionError("log codec round trip changed bottle %d's weights" % (ch + 1))
    return data


def _decimate(tr: trace_mod.Trace, step: int) -> trace_mod.Trace:
    return trace_mod.Trace(
        t_ms=tr.t_ms[::step],
        w1_mg=tr.w1_mg[::step],
        w2_mg=tr.w2_mg[::step] if tr.w2_mg is not None else None,
        accel_mgee=tr.accel_mgee[::step] if tr.accel_mgee is not None else None,
    )


_FILL = r"""
import os, sys, vfs
import flashdev
sizes = [int(x) for x in sys.stdin.read().split()]
fs = flashdev.mount_image(None, size_bytes=%d, mount_at="/flash")
os.mkdir("/flash/sessions")
chunk = bytearray(b"\x5a" * 1024)
n = 0
try:
    while True:
        size = sizes[n %% len(sizes)]
        with open("/flash/sessions/%%08d.pml" %% n, "wb") as f:
            left = size
            while left > 0:
                k = 1024 if left > 1024 else left
                f.write(memoryview(chunk)[:k])
                left -= k
        n += 1
except OSError:
    pass
print(n)
"""


def _sessions_that_fit(sizes: list[int]) -> int:
    """How many files of these sizes (round robin) a 2 MB littlefs image takes."""
    proc = unixport.run_code(
        _FILL % PARTITION_BYTES, heap="4M", stdin=" ".join(str(s) for s in sizes), timeout_s=300
    )
    if proc.returncode != 0:
        raise RuntimeError("filling the littlefs image failed: %s" % proc.stderr.strip())
    return int(proc.stdout.split()[-1])


def run(ctx: BenchContext) -> dict:
    lc = firmware_module("shared.logcodec")
    ld = firmware_module("shared.logdecode")
    evn = firmware_module("shared.eventnames")
    total_bytes = 0
    total_samples = 0
    rows = []
    sizes_20min: list[int] = []
    sizes_20min_two: list[int] = []
    sizes_20min_one: list[int] = []
    with_events = 0
    for i, rec in enumerate(ctx.scenarios()):
        tr = trace_mod.read_csv(rec.csv_path)
        rate = int(rec.meta.get("rate_hz") or rec.params.get("rate_hz") or 10)
        events = _events(ctx, rec.name, evn)
        with_events += events is not None
        data = _encode(ld, tr, events, 1000000 // rate, i + 1)
        n = len(tr.t_ms) * tr.channels
        total_bytes += len(data)
        total_samples += n
        rows.append(
            (rec.name, rate, tr.channels, tr.accel_mgee is not None, len(data), len(data) / n)
        )
        if rate % RATE_HZ == 0:
            tr10 = _decimate(tr, rate // RATE_HZ)
            ev10 = events
            d10 = _encode(ld, tr10, ev10, 1000000 // RATE_HZ, i + 1)
            head = len(
                lc.header_frame(
                    1,
                    tr.channels,
                    1000000 // RATE_HZ,
                    Q_MG,
                    "bench-0001",
                    "bench",
                    "sim",
                    0,
                    None,
                    tr.accel_mgee is not None,
                )
            )
            dur_s = (tr10.t_ms[-1] - tr10.t_ms[0]) / 1000 + 1 / RATE_HZ
            scaled = head + int((len(d10) - head) * SESSION_S / dur_s + 0.5)
            sizes_20min.append(scaled)
            if tr.channels == 2:
                sizes_20min_two.append(scaled)
            else:
                sizes_20min_one.append(scaled)

    bps = total_bytes / total_samples
    print(
        "\n== log_size: session log bytes through firmware/shared/logcodec.py "
        "(weights stored in %d mg steps)" % Q_MG
    )
    print("%-22s %5s %3s %5s %9s %9s" % ("session", "Hz", "ch", "accel", "bytes", "B/sample"))
    for name, rate, ch, acc, size, per in rows:
        print("%-22s %5d %3d %5s %9d %9.3f" % (name, rate, ch, "yes" if acc else "no", size, per))
    if with_events < len(rows):
        print(
            "(events from the firmware's replay included for %d of %d sessions: the bench "
            "had not run the replays for the others)" % (with_events, len(rows))
        )
    log("log_size: filling a 2 MB littlefs image in the unix port...")
    fit = _sessions_that_fit(sizes_20min)
    fit_two = _sessions_that_fit(sizes_20min_two) if sizes_20min_two else 0
    fit_one = _sessions_that_fit(sizes_20min_one) if sizes_20min_one else 0
    print(
        "all sessions: %d bytes for %d weight samples = %.3f bytes/sample/bottle"
        % (total_bytes, total_samples, bps)
    )
    print(
        "20-min 10 Hz sessions in a 2 MB littlefs partition: %d (realistic mix of %d "
        "sessions, mean %d bytes); %d with two bottles only (mean %d bytes); %d with one "
        "bottle only (mean %d bytes)"
        % (
            fit,
            len(sizes_20min),
            sum(sizes_20min) // max(1, len(sizes_20min)),
            fit_two,
            sum(sizes_20min_two) // max(1, len(sizes_20min_two)),
            fit_one,
            sum(sizes_20min_one) // max(1, len(sizes_20min_one)),
        )
    )
    print(ctx.reproduce("log_size"))
    return {
        "log_bytes_per_sample": round(bps, 3),
        "sessions_per_2mb": fit_one,
        "sessions_per_2mb_two_bottles": fit_two,
        "sessions_per_2mb_mixed": fit,
    }


if __name__ == "__main__":
    run(BenchContext(out_dir=Path(__file__).resolve().parent / "out"))
