"""Synthetic bottle traces for the firmware tests, made inside MicroPython.

A bottle: milk flows at `flow_g_s` from `start_s`; gaussian noise (Box-Muller, from
`random`, seeded by `seed()`), a 1.1 Hz pump ripple, and any extra weight (the artifact
under test). `reading_mg(t)` is the tared reading in mg at t seconds.
"""

import math
import random


def seed(value=7):
    random.seed(value)


def gauss():
    u = random.random() or 1e-9
    return math.sqrt(-2 * math.log(u)) * math.cos(6.2832 * random.random())


def milk_g(t, flow_g_s, start_s):
    return flow_g_s * (t - start_s) if t > start_s else 0.0


def reading_mg(t, flow_g_s=0.0, start_s=0.0, sigma_g=0.3, ripple_g=0.5, extra_g=0.0):
    g = milk_g(t, flow_g_s, start_s) + sigma_g * gauss()
    g += ripple_g * math.sin(6.2832 * 1.1 * t) + extra_g
    return int(g * 1000)


def walking_g(t):
    """The reading's swing while the wearer walks with no accelerometer: grams at ~2 Hz."""
    ph = 6.2832 * 2.1 * t
    return 2.5 * (math.sin(ph) + 0.3 * math.sin(2 * ph))


def run(fs, rate_hz, seconds, motion=None, **kw):
    """Feed FlowStage `fs` `seconds` of the synthetic bottle at `rate_hz`."""
    n = seconds * rate_hz
    for i in range(n):
        t_ms = i * 1000 // rate_hz
        fs.update(t_ms, reading_mg(t_ms / 1000, **kw), motion)
    return fs


def lcg(seed):
    """The next state of the integer noise generator the memory checks use (no floats)."""
    return (seed * 1103515245 + 12345) & 0x3FFFFFFF
