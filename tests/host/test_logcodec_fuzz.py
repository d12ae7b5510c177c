"""Fuzzing the log decoder (CPython, hypothesis): truncated, bit-flipped, spliced and random
input never crashes it, and every frame that the damage did not touch is still returned."""

from __future__ import annotations

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pumpmon.fwimport import firmware_module

lc = firmware_module("shared.logcodec")
ld = firmware_module("shared.logdecode")

_HEADER = dict(
    session_id=12, n_channels=2, period_us=100000, q_mg=50, device_id="fuzz", has_accel=True
)


def _session(n: int = 1500) -> bytes:
    x = 99
    samples, accel, events = [], [], []
    w1 = w2 = 0
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        w1 += x % 601 - 300
        w2 += (x >> 9) % 401 - 200
        t = 100 * (i + 1)
        samples.append((t, w1, w2))
        accel.append((t, x % 90, 5, 1000))
        if i % 200 == 7:
            events.append((t, 3, 255, 1))
    summary = dict(
        end_t_ms=100 * n,
        n_samples=n,
        n_events=len(events),
        letdowns=0,
        cues=len(events),
        faults=0,
        done=True,
        volume_mg=[0, 0],
    )
    return ld.encode_session(_HEADER, samples, accel, events, summary, max_samples=256)


CLEAN = _session()
CLEAN_FRAMES = [(off, t, bytes(p)) for off, t, p in ld.iter_frames(CLEAN)]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(result) -> None:
    assert isinstance(result["t_ms"], list) and isinstance(result["events"], list)
    assert result["skipped_bytes"] >= 0


def test_clean_session_has_the_frames_the_fuzz_tests_rely_on():
    kinds = [t for _o, t, _p in CLEAN_FRAMES]
    assert kinds[0] == ld.FT_HEADER and kinds[-1] == ld.FT_SUMMARY
    assert kinds.count(ld.FT_SEGMENT) >= 5
    assert ld.decode(CLEAN)["complete"]


@SETTINGS
@given(st.binary(max_size=4000))
def test_random_bytes_never_crash_the_decoder(data):
    _check(ld.decode(data))


@SETTINGS
@given(st.binary(max_size=300), st.binary(max_size=300))
def test_random_bytes_around_a_session_leave_its_frames_intact(before, after):
    got = ld.decode(before + CLEAN + after)
    _check(got)
    assert got["complete"] and len(got["t_ms"]) == 1500


@SETTINGS
@given(st.integers(min_value=0, max_value=len(CLEAN)))
def test_truncated_session_returns_every_frame_before_the_cut(cut):
    frames = [(o, t, bytes(p)) for o, t, p in ld.iter_frames(CLEAN[:cut])]
    whole = [f for f in CLEAN_FRAMES if f[0] + len(f[2]) + ld.FRAME_OVERHEAD <= cut]
    assert frames == whole
    got = ld.decode(CLEAN[:cut])
    _check(got)
    assert got["damaged_segments"] == 0
    assert got["complete"] == (cut == len(CLEAN))


@SETTINGS
@given(st.lists(st.integers(min_value=0, max_value=len(CLEAN) * 8 - 1), min_size=1, max_size=8))
def test_bit_flips_lose_only_the_frames_they_hit(bits):
    bad = bytearray(CLEAN)
    for b in bits:
        bad[b // 8] ^= 0x80 >> (b % 8)
    hit = {b // 8 for b in bits}
    frames = {(o, t, bytes(p)) for o, t, p in ld.iter_frames(bytes(bad))}
    for off, t, p in CLEAN_FRAMES:
        end = off + len(p) + ld.FRAME_OVERHEAD
        if not any(off <= h < end for h in hit):
            assert (off, t, p) in frames, "an untouched frame at %d was lost" % off
    got = ld.decode(bytes(bad))
    _check(got)


@SETTINGS
@given(st.data())
def test_crc_valid_frames_with_garbage_payloads_never_crash_the_decoder(data):
    """A frame whose CRC checks but whose content is nonsense (a writer bug, not flash
    damage) is counted as damaged; it must not stop the decoding."""
    ftype = data.draw(st.sampled_from([ld.FT_HEADER, ld.FT_SEGMENT, ld.FT_SUMMARY, 9]))
    payload = data.draw(st.binary(max_size=200))
    seg_head = data.draw(st.booleans())
    if seg_head and ftype == ld.FT_SEGMENT:
        # plausible section lengths so the stream decoders really run on garbage
        n = len(payload)
        lens = [n // 4, n // 4, n // 4, n - 3 * (n // 4)]
        payload = (
            struct.pack(
                "<IHHHHHHHH",
                data.draw(st.integers(0, 2**32 - 1)),
                data.draw(st.integers(0, 65535)),
                data.draw(st.integers(0, 65535)),
                data.draw(st.integers(0, 65535)),
                data.draw(st.integers(0, 255)),
                *lens,
            )
            + payload
        )
    junk = lc.frame(ftype, payload)
    frames = CLEAN_FRAMES
    i = data.draw(st.integers(min_value=1, max_value=len(frames) - 1))
    spliced = CLEAN[: frames[i][0]] + junk + CLEAN[frames[i][0] :]
    got = ld.decode(spliced)
    _check(got)
    n_segments = sum(1 for f in CLEAN_FRAMES if f[1] == ld.FT_SEGMENT)
    assert got["header"]["session_id"] == 12
    assert n_segments <= got["segments"] <= n_segments + (ftype == ld.FT_SEGMENT)
    assert got["damaged_segments"] <= 1
    assert got["complete"]
