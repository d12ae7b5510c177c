"""The log codec in the unix port: round trips, no allocation per record, damage handling,
and byte-identical output with the same module under CPython (the host's copy)."""

from __future__ import annotations

import json

from pumpmon.fwimport import firmware_module

BIG_HEAP = "4M"

# A session with what the device meets: jittery and 12.5 ms clocks, gaps, negative and
# large weights, spikes, an accelerometer, events. Built identically in both Pythons.
_SESSION = r"""
from shared import logcodec, logdecode
def records(period_us, n, seed):
    x = seed
    t = 1000
    r_us = 0
    out = []
    acc = []
    w1 = -3000
    w2 = 1500000
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        ideal = r_us + period_us
        dt = (ideal + 500) // 1000
        r_us = ideal - dt * 1000
        if x % 97 == 0:
            dt += 2500 + x % 3000  # a gap
            r_us = 0
        elif x % 7 == 0:
            dt += (x >> 8) % 3 - 1  # clock jitter
        t += dt
        w1 += (x >> 4) % 801 - 380
        w2 += (x >> 6) % 501 - 250
        if x % 151 == 0:
            w1 += 40000  # a spike
        out.append((t, w1, w2))
        acc.append((t, (x >> 3) % 200 - 100, (x >> 5) % 60 - 30, 1000 - (x >> 7) % 50))
    return out, acc
def first_window(acc):
    # the first 2-s accelerometer summary as the format defines it (means in 16 mg steps)
    win = [a for a in acc if a[0] // 2000 == acc[0][0] // 2000]
    n = len(win)
    means = [((sum(a[i] for a in win) // n) + 8) // 16 * 16 for i in (1, 2, 3)]
    act = sum(abs(win[j][i] - win[j - 1][i]) for j in range(1, n) for i in (1, 2, 3))
    return [acc[0][0] // 2000 * 2000] + means + [(act // (n - 1) + 8) // 16 * 16]
"""


def test_codec_round_trips_timestamps_quantised_weights_accel_and_events(mpy):
    out = mpy(
        _SESSION
        + r"""
import json
for period_us, n_ch in ((100000, 2), (12500, 1), (200000, 2)):
    samples, acc = records(period_us, 2500, 7 + n_ch)
    hf = dict(session_id=3, n_channels=n_ch, period_us=period_us, q_mg=50, device_id="d-1",
              firmware="1.0", board="devkitc", config_digest=0xDEADBEEF, start_time_s=800000000,
              has_accel=True)
    evs = [(samples[10][0], 1, 0, 420), (samples[10][0], 3, 255, 2), (samples[-1][0], 7, 255, -1)]
    data = logdecode.encode_session(hf, samples, acc, evs, dict(end_t_ms=samples[-1][0],
        n_samples=len(samples), n_events=3, letdowns=1, cues=1, faults=0, done=True,
        volume_mg=[1234, 5678][:n_ch]))
    d = logdecode.decode(data)
    print(json.dumps({"n_ch": n_ch,
        "ok_t": d["t_ms"] == [s[0] for s in samples],
        "ok_w": all(d["w_mg"][ch] == [((s[1 + ch] + 25) // 50) * 50 for s in samples]
                    for ch in range(n_ch)),
        "complete": d["complete"], "events": d["events"], "header": d["header"],
        "summary": d["summary"], "n_accel": len(d["accel"]), "first_accel": d["accel"][0],
        "want_accel": first_window(acc),
        "segments": d["segments"], "damaged": d["damaged_segments"],
        "skipped": d["skipped_bytes"]}))
""",
        heap=BIG_HEAP,
    )
    runs = [json.loads(line) for line in out.strip().splitlines()]
    assert len(runs) == 3
    for r in runs:
        assert r["ok_t"], "timestamps changed (%s)" % r["n_ch"]
        assert r["ok_w"], "weights changed beyond the 50 mg step"
        assert r["complete"] and r["damaged"] == 0 and r["skipped"] == 0
        assert r["segments"] >= 2  # 2500 samples need more than one 1024-sample segment
        assert r["header"]["session_id"] == 3 and r["header"]["device_id"] == "d-1"
        assert r["header"]["firmware"] == "1.0" and r["header"]["board"] == "devkitc"
        assert r["header"]["config_digest"] == 0xDEADBEEF
        assert r["header"]["start_time_s"] == 800000000
        assert r["header"]["has_accel"] is True
        assert [e[1:] for e in r["events"]] == [[1, 0, 420], [3, 255, 2], [7, 255, -1]]
        assert r["summary"]["volume_mg"] == [1234, 5678][: r["n_ch"]]
        assert r["summary"]["done"] is True and r["summary"]["letdowns"] == 1
        assert r["n_accel"] > 0
        assert r["first_accel"] == r["want_accel"]
        assert r["first_accel"][4] > 0  # the readings vary: some activity


def test_encoder_allocates_nothing_per_sample_accel_or_event(mpy_json):
    got = mpy_json(
        r"""
import gc, json
from shared import logcodec, logdecode
enc = logcodec.SegmentEncoder(2, 100000, 50, max_samples=4000, weight_bytes=8192,
                              time_bytes=2048, accel_bytes=2048, event_bytes=1024)
t = 0
for i in range(20):  # warm up
    t += 100
    enc.sample(t, 1000 + i, 2000 - i)
before = after = i = 0  # globals exist before measuring (a new global may grow the dict)
gc.collect()
gc.disable()
before = gc.mem_alloc()
for i in range(2000):
    t += 100 if i % 9 else 101
    enc.sample(t, 1000 + (i * 37) % 900, 2000 - (i * 53) % 700)
    enc.accel(t, i % 50, -(i % 30), 1000)
    if i % 100 == 0:
        enc.event(t, 3, 255, i)
after = gc.mem_alloc()
gc.enable()
print(json.dumps({"alloc": after - before, "full": enc.needs_seal(), "n": enc.n_samples}))
"""
    )
    assert got["n"] == 2020 and not got["full"]
    assert got["alloc"] == 0


def test_incomplete_session_decodes_and_is_marked_incomplete(mpy_json):
    got = mpy_json(
        r"""
import json
from shared import logcodec, logdecode
hf = dict(session_id=9, n_channels=1, period_us=100000, q_mg=50)
data = logdecode.encode_session(hf, [(i * 100, i * 10, 0) for i in range(300)])
d = logdecode.decode(data)
print(json.dumps({"complete": d["complete"], "n": len(d["t_ms"]), "summary": d["summary"]}))
""",
        heap=BIG_HEAP,
    )
    assert got == {"complete": False, "n": 300, "summary": None}


def test_damaged_frame_is_skipped_and_the_frames_after_it_are_kept(mpy_json):
    got = mpy_json(
        r"""
import json
from shared import logcodec, logdecode
hf = dict(session_id=9, n_channels=1, period_us=100000, q_mg=50)
samples = [(i * 100, (i % 40) * 100, 0) for i in range(3000)]
data = logdecode.encode_session(hf, samples, max_samples=500, summary=dict(end_t_ms=300000,
    n_samples=3000, n_events=0, letdowns=0, cues=0, faults=0, done=False, volume_mg=[0]))
frames = [(off, len(p)) for off, _t, p in logdecode.iter_frames(data)]
off, n = frames[2]  # the second segment
bad = bytearray(data)
bad[off + 40] ^= 0x10
d = logdecode.decode(bytes(bad))
print(json.dumps({"frames": len(frames), "segments": d["segments"], "n": len(d["t_ms"]),
                  "complete": d["complete"], "first_lost": d["t_ms"][500],
                  "skipped": d["skipped_bytes"], "seg_bytes": n + 9}))
""",
        heap=BIG_HEAP,
    )
    assert got["frames"] == 8  # header, 6 segments of 500 samples, summary
    assert got["segments"] == 5 and got["n"] == 2500
    assert got["first_lost"] == 100000  # samples 500..999 went with the damaged segment
    assert got["complete"] is True
    assert got["skipped"] == got["seg_bytes"]


def test_unix_port_and_cpython_write_identical_bytes():
    """One codec, two Pythons: the device's bytes are exactly what the host would write."""
    from pumpmon import unixport

    code = (
        _SESSION
        + r"""
import binascii
samples, acc = records(12500, 1500, 5)
hf = dict(session_id=77, n_channels=2, period_us=12500, q_mg=50, device_id="x",
          has_accel=True)
data = logdecode.encode_session(hf, samples, acc, [(samples[3][0], 2, 1, 5)])
print(len(data), binascii.crc32(data))
"""
    )
    proc = unixport.run_code(code, heap=BIG_HEAP)
    assert proc.returncode == 0, proc.stderr
    n, crc = map(int, proc.stdout.split())

    scope: dict = {}
    exec(_SESSION.replace("from shared import logcodec, logdecode\n", ""), scope)
    samples, acc = scope["records"](12500, 1500, 5)
    hf = dict(session_id=77, n_channels=2, period_us=12500, q_mg=50, device_id="x", has_accel=True)
    ld = firmware_module("shared.logdecode")
    data = ld.encode_session(hf, samples, acc, [(samples[3][0], 2, 1, 5)])
    import binascii

    assert (len(data), binascii.crc32(data)) == (n, crc)
