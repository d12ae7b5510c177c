"""The log codec in the unix port: round trips, no allocation per record, damage handling.
(Byte-identical output with the host's copy: tests/firmware/test_logcodec.py.)"""

from logsession import (
    EDGE_CASES,
    digest_of_a_two_bottle_session,
    edge_digests,
    first_window,
    records,
)
from mptest import heap_locked
from shared import logcodec, logdecode

HEAP = {"*": "4M"}  # whole sessions encoded and decoded in the test

# What the encoder wrote before its viper rewrite (the bytecode and native encoder of commit
# a8df13d), for logsession's sessions: the format may not change by a single bit.
# [length, SHA-256 (16 hex digits)] of logsession.digest_of_a_two_bottle_session ...
TWO_BOTTLE_GOLDEN = [3133, "f63c5f2d99baffa5"]
# ... and the same of the segments, then of the open-segment writes, of each of
# logsession.EDGE_CASES (clamps, negative weights, long runs, escape codes, small buffers, an
# accelerometer flood)
EDGE_GOLDEN = [
    [26753, "13c45396308ae65e", 7191, "dea1d465b0318cbd"],
    [10235, "2e5a3eed1f6381c3", 756, "c487f1eb999cd867"],
    [15437, "2721ebff28ec69da", 2970, "64a7610c9618d0e1"],
    [16045, "6db1b19bb191e951", 3281, "bd87916cc0595e9c"],
    [46837, "e257b6c3fe2620a4", 116271, "be1a35bd5c7b9632"],
    [16672, "1d90cf4919290a92", 74421, "34984cfa766188e6"],
]


def test_encoder_writes_the_same_bytes_as_before_for_a_two_bottle_session():
    got = digest_of_a_two_bottle_session(logdecode)
    assert got == TWO_BOTTLE_GOLDEN, got


def test_encoder_writes_the_same_bytes_as_before_at_its_edges():
    got = edge_digests(logcodec)
    assert len(got) == len(EDGE_CASES) == len(EDGE_GOLDEN), got
    for case in range(len(EDGE_CASES)):
        assert got[case] == EDGE_GOLDEN[case], "case %d: %r, not %r" % (
            case,
            got[case],
            EDGE_GOLDEN[case],
        )


def test_codec_round_trips_timestamps_quantised_weights_accel_and_events():
    for period_us, n_ch in ((100000, 2), (12500, 1), (200000, 2)):
        samples, acc = records(period_us, 2500, 7 + n_ch)
        hf = dict(
            session_id=3,
            n_channels=n_ch,
            period_us=period_us,
            q_mg=50,
            device_id="d-1",
            firmware="1.0",
            board="devkitc",
            config_digest=0xDEADBEEF,
            start_time_s=800000000,
            has_accel=True,
        )
        t_ev, t_end = samples[10][0], samples[-1][0]
        evs = [(t_ev, 1, 0, 420), (t_ev, 3, 255, 2), (t_end, 7, 255, -1)]
        summary = dict(
            end_t_ms=t_end,
            n_samples=len(samples),
            n_events=3,
            letdowns=1,
            cues=1,
            faults=0,
            done=True,
            volume_mg=[1234, 5678][:n_ch],
        )
        d = logdecode.decode(logdecode.encode_session(hf, samples, acc, evs, summary))
        what = (period_us, n_ch)
        assert list(d["t_ms"]) == [s[0] for s in samples], "timestamps changed %s" % (what,)
        for ch in range(n_ch):
            want = [((s[1 + ch] + 25) // 50) * 50 for s in samples]
            assert list(d["w_mg"][ch]) == want, "weights changed beyond the 50 mg step"
        assert d["complete"] and d["damaged_segments"] == 0 and d["skipped_bytes"] == 0, what
        assert d["segments"] >= 2, what  # 2500 samples need more than one 1024-sample segment
        h = d["header"]
        assert h["session_id"] == 3 and h["device_id"] == "d-1", h
        assert h["firmware"] == "1.0" and h["board"] == "devkitc", h
        assert h["config_digest"] == 0xDEADBEEF, h
        assert h["start_time_s"] == 800000000, h
        assert h["has_accel"] is True, h
        got_events = [list(e[1:]) for e in d["events"]]
        assert got_events == [[1, 0, 420], [3, 255, 2], [7, 255, -1]], d["events"]
        assert d["summary"]["volume_mg"] == [1234, 5678][:n_ch], d["summary"]
        assert d["summary"]["done"] is True and d["summary"]["letdowns"] == 1, d["summary"]
        assert len(d["accel"]) > 0, what
        assert list(d["accel"][0]) == first_window(acc), (d["accel"][0], first_window(acc))
        assert d["accel"][0][4] > 0, d["accel"][0]  # the readings vary: some activity


def _encode(enc, t, n):
    i = 0
    while i < n:
        t += 100 if i % 9 else 101
        enc.sample(t, 1000 + (i * 37) % 900, 2000 - (i * 53) % 700)
        enc.accel(t, i % 50, -(i % 30), 1000)
        if i % 100 == 0:
            enc.event(t, 3, 255, i)
        i += 1


def test_encoder_allocates_nothing_per_sample_accel_or_event():
    enc = logcodec.SegmentEncoder(
        2,
        100000,
        50,
        max_samples=4000,
        weight_bytes=8192,
        time_bytes=2048,
        accel_bytes=2048,
        event_bytes=1024,
    )
    t = 0
    for i in range(20):  # warm up
        t += 100
        enc.sample(t, 1000 + i, 2000 - i)
    with heap_locked():  # an allocation raises MemoryError at its line
        _encode(enc, t, 2000)
    assert enc.n_samples == 2020 and not enc.needs_seal(), enc.n_samples


def test_incomplete_session_decodes_and_is_marked_incomplete():
    hf = dict(session_id=9, n_channels=1, period_us=100000, q_mg=50)
    d = logdecode.decode(logdecode.encode_session(hf, [(i * 100, i * 10, 0) for i in range(300)]))
    got = (d["complete"], len(d["t_ms"]), d["summary"])
    assert got == (False, 300, None), got


def test_damaged_frame_is_skipped_and_the_frames_after_it_are_kept():
    hf = dict(session_id=9, n_channels=1, period_us=100000, q_mg=50)
    samples = [(i * 100, (i % 40) * 100, 0) for i in range(3000)]
    summary = dict(
        end_t_ms=300000,
        n_samples=3000,
        n_events=0,
        letdowns=0,
        cues=0,
        faults=0,
        done=False,
        volume_mg=[0],
    )
    data = logdecode.encode_session(hf, samples, max_samples=500, summary=summary)
    frames = [(off, len(p)) for off, _t, p in logdecode.iter_frames(data)]
    off, n = frames[2]  # the second segment
    bad = bytearray(data)
    bad[off + 40] ^= 0x10
    d = logdecode.decode(bytes(bad))
    assert len(frames) == 8, frames  # header, 6 segments of 500 samples, summary
    assert d["segments"] == 5 and len(d["t_ms"]) == 2500, (d["segments"], len(d["t_ms"]))
    assert d["t_ms"][500] == 100000, d["t_ms"][500]  # samples 500..999 went with the damage
    assert d["complete"] is True
    assert d["skipped_bytes"] == n + 9, (d["skipped_bytes"], n)


def test_a_sample_that_may_not_fit_raises_index_error_and_changes_nothing():
    # the viper coder writes through ptr8, which checks no bounds: sample() checks the room
    # needs_seal() promises before it changes anything
    enc = logcodec.SegmentEncoder(1, 100000, 1, weight_bytes=40, time_bytes=64, accel_bytes=64)
    written = []
    err = None
    t = 0
    while err is None and t < 100000:
        t += 100 if t % 700 else 250  # a deviation now and then: run and deviation codes
        w = (t * 7919) % 2000000 - 1000000  # long codes: about 3 bytes each
        try:
            enc.sample(t, w, 0)
            written.append((t, w))
        except IndexError as e:
            err = e
    assert err is not None and "needs_seal" in str(err), (t, err)
    assert enc.needs_seal(), "needs_seal() did not say the segment was full"
    assert bytes(enc.buf[104:]) == bytes(64), "the weight stream ran into the next one"
    out = logdecode._Chunks()
    out.write(logcodec.header_frame(1, 1, 100000, 1))
    enc.write_frame(out)
    d = logdecode.decode(out.getvalue())
    got = list(zip(d["t_ms"], d["w_mg"][0]))
    assert d["damaged_segments"] == 0 and got == written, (len(got), len(written))
