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


def crc_of_a_two_bottle_session(logdecode):
    """(length, crc32) of a fixed 12.5-ms two-bottle session encoded by `logdecode`."""
    import binascii

    samples, acc = records(12500, 1500, 5)
    hf = dict(session_id=77, n_channels=2, period_us=12500, q_mg=50, device_id="x", has_accel=True)
    data = logdecode.encode_session(hf, samples, acc, [(samples[3][0], 2, 1, 5)])
    return [len(data), binascii.crc32(data)]


def crc_in_port():
    """The same, encoded by the device's own codec in the unix port (for mpy_call)."""
    from shared import logdecode

    return crc_of_a_two_bottle_session(logdecode)
