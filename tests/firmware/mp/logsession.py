"""A session with what the device meets, for the log codec tests: jittery and 12.5 ms clocks,
gaps, negative and large weights, spikes, an accelerometer, events.

Plain Python that runs the same in the unix port and in CPython, so the two Pythons build
identical sessions (tests/firmware/test_logcodec.py compares their bytes).
"""


def records(period_us, n, seed):
    """([(t_ms, w1_mg, w2_mg)], [(t_ms, ax, ay, az)]) of `n` samples every `period_us`."""
    x = seed
    t = 1000
    r_us = 0
    out = []
    acc = []
    w1 = -3000
    w2 = 1500000
    for _ in range(n):
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
    """The first 2-s accelerometer summary as the format defines it (means in 16 mg steps)."""
    win = [a for a in acc if a[0] // 2000 == acc[0][0] // 2000]
    n = len(win)
    means = [((sum(a[i] for a in win) // n) + 8) // 16 * 16 for i in (1, 2, 3)]
    act = sum(abs(win[j][i] - win[j - 1][i]) for j in range(1, n) for i in (1, 2, 3))
    return [acc[0][0] // 2000 * 2000] + means + [(act // (n - 1) + 8) // 16 * 16]


def digest_of_a_two_bottle_session(logdecode):
    """[length, SHA-256 (16 hex digits)] of a fixed 12.5-ms two-bottle session encoded by
    `logdecode` (a CRC-32 of whole frames would not see their content: see _Sink)."""
    samples, acc = records(12500, 1500, 5)
    hf = dict(session_id=77, n_channels=2, period_us=12500, q_mg=50, device_id="x", has_accel=True)
    out = _Sink()
    out.write(logdecode.encode_session(hf, samples, acc, [(samples[3][0], 2, 1, 5)]))
    return out.digest()


def digest_in_port():
    """The same, encoded by the device's own codec in the unix port (for mpy_call)."""
    from shared import logdecode

    return digest_of_a_two_bottle_session(logdecode)


# Sessions at the encoder's edges, for the byte-for-byte checks of the encoder itself
# (test_logcodec.py holds their bytes' digests as the encoder of 2025-05 wrote them, before its
# viper rewrite; tests/firmware/test_logcodec.py compares the unix port with CPython).
# (n_channels, period_us, q_mg, accel_period_ms, accel_q_mgee, encoder options, samples, seed,
# accelerometer readings per sample)
EDGE_CASES = (
    # 80 Hz, two bottles, the device's buffers
    (2, 12500, 50, 2000, 16, {}, 6000, 1, 1),
    # 1-mg steps (long codes and escapes) into small buffers: sealed by room, not by count
    (
        1,
        100000,
        1,
        2000,
        16,
        dict(max_samples=500, weight_bytes=300, time_bytes=100, accel_bytes=60, event_bytes=40),
        4000,
        2,
        1,
    ),
    # a 1-us period (the expected interval rounds to 0: negative grid remainders), the
    # coarsest step, 1-ms accelerometer windows of one reading each
    (
        2,
        1,
        65535,
        1,
        1,
        dict(
            max_samples=65535, weight_bytes=4096, time_bytes=1024, accel_bytes=512, event_bytes=512
        ),
        4000,
        3,
        1,
    ),
    # a 60-s period, an odd step, the longest windows and coarsest accelerometer step
    (2, 60000000, 7, 65535, 255, dict(max_samples=300), 3000, 4, 1),
    # long runs: stretches of a perfect clock and an unchanging weight, one bottle
    (
        1,
        12500,
        50,
        2000,
        16,
        dict(
            max_samples=65535,
            weight_bytes=8192,
            time_bytes=2048,
            accel_bytes=1024,
            event_bytes=1024,
        ),
        20000,
        5,
        1,
    ),
    # a flood of accelerometer readings on a clock without jumps: more than 16384 in a 65.5-s
    # window (the sums stop there) and the activity at its 2**28 cap
    (
        2,
        12500,
        50,
        65535,
        1,
        dict(max_samples=65535, weight_bytes=8192, time_bytes=2048),
        6000,
        6,
        10,
    ),
)


def edge_records(case):
    """Yields the records of EDGE_CASES[case]: ("s", t_ms, w1_mg, w2_mg), ("a", t_ms, ax, ay,
    az), ("e", t_ms, code, ch, arg). Stretches of 400 samples are calm (a steady clock and
    weight: long runs), noisy (jitter, gaps, a random walk) or wild (times below 0, beyond
    2**28 and backwards, weights and accelerations beyond their clamps, jumps that need escape
    codes); every 1000 samples the clock jumps to its limit and back to 0 (the largest time
    deviation, an escape code whose 30th bit is set)."""
    period_us, n, x, n_acc = [EDGE_CASES[case][i] for i in (1, 6, 7, 8)]
    t = 500
    r_us = 0
    w = [-3000, 1500000]
    mode = 0
    big = (1 << 26) + 1234
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        if i % 400 == 0:
            mode = (x >> 9) % 3
            if mode < 2:
                w = [-3000 - x % 5000, 1500000 + x % 7000]
        ideal = r_us + period_us
        dt = (ideal + 500) // 1000
        r_us = ideal - dt * 1000
        if mode and x % 89 == 0:
            dt += 1 + x % 4000  # a gap
            r_us = 0
        elif mode and x % 5 == 0:
            dt += (x >> 8) % 5 - 2  # jitter, two ms either way
        t += dt
        ts = t
        if n_acc > 1:  # the accelerometer flood: no jumps, one 65.5-s window after another
            pass
        elif i % 1000 == 998:
            ts = (1 << 28) + 5
        elif i % 1000 == 999:
            ts = 0
        elif mode == 2 and x % 61 == 0:
            ts = -1 - x % 50
        elif mode == 2 and x % 67 == 0:
            ts = (1 << 28) + x % 1000
        elif mode == 2 and x % 71 == 0:
            ts = t - 3000
        for ch in (0, 1):
            y = x >> (3 + ch)
            if mode == 0:
                w[ch] += 1 if y % 97 == 0 else 0
            elif mode == 1 or y % 4:
                w[ch] += y % 801 - 400
            else:
                w[ch] = (big, -big, 1 << 29, -(1 << 29), y % 2000000 - 1000000, -1)[y % 6]
        yield ("s", ts, w[0], w[1])
        for j in range(n_acc if mode == 0 or i % 3 else 0):
            y = x >> j
            a = [(y >> 5) % 200 - 100, (y >> 7) % 60 - 30, 1000 - (y >> 9) % 50]
            if mode == 2 and y % 13 == 0:
                a = [32767 + y % 9000, -32767 - y % 9000, -32767]
            elif mode == 2 and (y % 13 == 1 or n_acc > 1 and j % 2):
                a = [-32767, 32767, 0]
            yield ("a", ts, a[0], a[1], a[2])
        if x % 37 == 0:
            arg = (x % 1000 - 500, (1 << 28) + x % 100, -(1 << 28) - x % 100, 1 << 29)[x % 4]
            yield ("e", ts, x % 256, (0, 1, 255)[x % 3], arg)


class _Sink:
    """A file that keeps only the length and a SHA-256 of what was written to it.

    Not a CRC-32: every frame ends with the CRC-32 of its own bytes, and a CRC-32 run over such
    frames comes out the same whatever their content (only their lengths count)."""

    def __init__(self):
        import hashlib

        self.n = 0
        self.hash = hashlib.sha256()

    def write(self, b):
        self.n += len(b)
        self.hash.update(b)
        return len(b)

    def digest(self):
        """[length, the first 16 hex digits of the SHA-256]"""
        import binascii

        return [self.n, binascii.hexlify(self.hash.digest()).decode()[:16]]


def encode_edge(logcodec, case):
    """EDGE_CASES[case] through `logcodec`'s SegmentEncoder as the log store drives it (an
    encoder reused through configure(), sealed when needs_seal() says so): the bytes of the
    sealed and last segments, and of the open segment written every 997 records: _Sink.digest()
    of the segments, then of the open-segment writes."""
    n_ch, period_us, q_mg, acc_ms, acc_q, opts = EDGE_CASES[case][:6]
    enc = logcodec.SegmentEncoder(1, 100000, 50, **opts)
    enc.configure(n_ch, period_us, q_mg, acc_ms, acc_q)
    enc.reset()
    out = _Sink()
    peek = _Sink()
    j = 0
    for rec in edge_records(case):
        if enc.needs_seal():
            enc.write_frame(out)
            enc.reset()
        if rec[0] == "s":
            enc.sample(rec[1], rec[2], rec[3] if n_ch == 2 else 0)
        elif rec[0] == "a":
            enc.accel(rec[1], rec[2], rec[3], rec[4])
        else:
            enc.event(rec[1], rec[2], rec[3], rec[4])
        j += 1
        if j % 997 == 0:
            enc.write_frame(peek)  # the open segment, as the store rewrites it in place
    if enc.needs_seal():
        enc.write_frame(out)
        enc.reset()
    enc.flush_accel()
    if not enc.is_empty():
        enc.write_frame(out)
    return out.digest() + peek.digest()


def edge_digests(logcodec):
    """encode_edge's lengths and digests, one list per case."""
    return [encode_edge(logcodec, case) for case in range(len(EDGE_CASES))]


def edge_digests_in_port():
    """edge_digests of the device's own encoder in the unix port (for mpy_call)."""
    from shared import logcodec

    return edge_digests(logcodec)
