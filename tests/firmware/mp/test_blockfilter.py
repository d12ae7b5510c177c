"""BlockFilter (pipeline/blockfilter.py) under a pump's ripple, in the MicroPython unix port.

A pump's vacuum cycle shakes the reading at 0.8-2 Hz. The filter's median of three bins
clips a ripple's peaks and troughs unequally (a second harmonic makes them unequal), by an
amount that depends on where the 200-ms bins fall in the pump's cycle; the bins drift through
the cycle slowly, so the bias wanders over tens of seconds, and the detector's CUSUM adds it
up (no-milk false letdowns at twice the bench's ripple: docs/detection-history.md, rounds
12-14).
"""

import math
from array import array

from micropython import const
from pipeline.blockfilter import BlockFilter
from synth import gauss, seed

_MED_HARD = const(78)  # pipeline/blockfilter.py's slot: 1 = the band closed


def _block_values(rate_hz, ripple_g, pump_hz, seconds, spike=None, hard=0):
    """The block values (mg, indexed by block) of a bottle with no milk: a ripple of
    `ripple_g` with a 25 % second harmonic, 0.2 g of noise, and `spike` = (sample, g);
    `hard` 1: the band closed, as the flow stage closes it in blocks that are not quiet."""
    bf = BlockFilter({})
    bf.reset(0, 0)
    bf._s[_MED_HARD] = hard
    vs = array("i", [0] * (seconds + 2))
    for i in range(seconds * rate_hz):
        t_ms = i * 1000 // rate_hz
        ph = 6.2832 * pump_hz * t_ms / 1000
        g = ripple_g * (math.sin(ph) + 0.25 * math.sin(2 * ph + 0.7)) + 0.2 * gauss()
        if spike is not None and i == spike[0]:
            g += spike[1]
        w_mg = int(g * 1000)
        k = bf.sample(t_ms, w_mg, None)
        if k >= 0:  # block k closed: its value, then the sample again
            if bf.close_block():
                vs[k] = bf.v_mg
            bf.sample(t_ms, w_mg, None)
    return vs


def _wander_mg(vs, seconds):
    # the spread of the 10-s means after the first 20 s (what the CUSUM adds up)
    lo = hi = None
    for j in range(20, seconds - 10, 10):
        m = sum(vs[j : j + 10]) // 10
        lo = m if lo is None or m < lo else lo
        hi = m if hi is None or m > hi else hi
    return hi - lo


def test_a_pumps_ripple_leaves_little_slow_wander_in_the_block_values():
    # 2 g of ripple at 1.24 Hz (4.03 bins a cycle: the slowest drift through the bins).
    # The plain median of three: 409-447 mg at 10 Hz and 517-534 mg at 20 Hz (seeds 3, 4);
    # the noise alone gives ~100 mg. The median's dead band lets a steady ripple through:
    # 249-270 and 329-367 mg
    for s in (3, 4):
        for rate, most_mg in ((10, 330), (20, 420)):
            seed(s)
            w = _wander_mg(_block_values(rate, 2.0, 1.24, 600), 600)
            assert w <= most_mg, (s, rate, w)


def test_a_one_sample_spike_moves_the_block_values_by_the_noise_s_scatter_at_most():
    # no ripple, and a 5-14 g single-sample spike (below the glitch rule's 15 g): under 20 Hz
    # the dead band is closed and the median of three clips it; at 20 Hz and up (the band
    # open) the bin's trimmed mean drops it, one of its 4 or more samples, up or down
    for rate in (5, 10, 20, 40, 80):
        for spike_g in (5.0, 10.0, 14.0) + ((-14.0, -5.0) if rate >= 20 else ()):
            seed(3)
            a = _block_values(rate, 0.0, 1.24, 120)
            seed(3)
            b = _block_values(rate, 0.0, 1.24, 120, spike=(60 * rate + 3, spike_g))
            d = max(abs(a[i] - b[i]) for i in range(10, 118))
            assert d <= 100, (rate, spike_g, d)


def _sd_mg(vs, first, last):
    xs = vs[first:last]
    m = sum(xs) / len(xs)
    return (sum((x - m) ** 2 for x in xs) / len(xs)) ** 0.5


def test_the_bench_s_ripple_adds_little_scatter_to_the_block_values_at_20_hz_and_up():
    # The pump's expression ripple (0.9 g at 1.23 Hz, the bench's own size) through the
    # plain median of three scattered the block values by 3-6 x the noise's own (20-80 Hz:
    # 85-113 mg against 15-34), a wobble beating with the 1-s blocks that the detector reads
    # as level changes. At 20 Hz and up a bin holds 4 samples or more and its trimmed mean
    # drops a one-sample spike, so the triangle takes the bins unclipped whether or not the
    # flow stage closed the band (a block not quiet): under 2 x the noise's scatter either way
    for s in (3, 4):
        for rate in (20, 40, 80):
            for hard in (0, 1):
                seed(s)
                quiet = _sd_mg(_block_values(rate, 0.0, 1.23, 200, hard=hard), 20, 198)
                seed(s)
                rippled = _sd_mg(_block_values(rate, 0.9, 1.23, 200, hard=hard), 20, 198)
                assert rippled <= 2 * quiet, (s, rate, hard, quiet, rippled)
