"""The per-sample path's native code (viper) in the unix port: signs and integer limits.

Viper reads an array('i') slot with ptr32, which the ESP32 sign-extends and this 64-bit port
zero-extends: every slot that can hold a negative number must be read sign-extended by hand
(pipeline/blockfilter.py, `WORD_SX`). A tared reading below zero (a bottle lifted a little,
drift, a tare taken with a drop in the bottle) makes every weight slot negative, so these
tests feed such readings through the viper functions and check the exact integers that come
out; they fail when a slot is read zero-extended.
"""

from array import array

from mptest import heap_locked
from pipeline.blockfilter import (
    NO_SLOPE,
    BlockFilter,
    lowest,
    select_median,
    theil_sen_slope,
)
from pipeline.detect import Detector
from pipeline.motion import Motion, _isqrt


class Tilted:
    """A Motion stand-in: a fixed tilt cosine (x1024), not moving."""

    def __init__(self, cos_q10, moving=False):
        self.tilt_cos_q10 = cos_q10
        self.moving = moving


def _blocks(bf, level_mg, t0_ms, t1_ms, motion=None, period_ms=100, spike_at_ms=-1):
    """Feeds `level_mg` every `period_ms` from t0 to t1; the closed blocks' values, in order."""
    out = []
    t = t0_ms
    while t < t1_ms:
        w_mg = level_mg - 40000 if t == spike_at_ms else level_mg
        k = bf.sample(t, w_mg, motion)
        if k >= 0:
            if bf.close_block():
                out.append((k, bf.v_mg, bf.spread_mg, bf.rough_mg))
            assert bf.sample(t, w_mg, motion) == -1  # now the sample is taken
        t += period_ms
    return out


def test_the_first_sample_closes_no_block_and_reports_minus_one():
    bf = BlockFilter({})
    bf.reset(1000, 0)
    assert bf.sample(999, 0, None) == -2  # before the reset time: skip
    assert bf.sample(1000, 0, None) == -1  # the first bin opens: no block closed (not 2**32 - 1)


def test_a_tared_reading_below_zero_filters_to_the_same_negative_level():
    bf = BlockFilter({})
    bf.reset(0, 0)  # the reference at 0: every sample lies below it
    got = _blocks(bf, -3217, 0, 8000)
    assert len(got) >= 5, got
    for k, v_mg, spread_mg, rough_mg in got:
        assert (v_mg, spread_mg, rough_mg) == (-3217, 0, 0), got


def test_a_reading_that_crosses_zero_settles_on_the_new_negative_level():
    bf = BlockFilter({})
    bf.reset(0, 5000)  # a positive reference: the bins go from above it to far below it
    _blocks(bf, 4000, 0, 6000)
    got = _blocks(bf, -6500, 6000, 14000)
    k, v_mg, spread_mg, rough_mg = got[-1]
    assert (v_mg, spread_mg, rough_mg) == (-6500, 0, 0), got
    assert [g[1] for g in got] == sorted([g[1] for g in got], reverse=True), got  # falls only


def test_a_spike_below_a_negative_level_is_dropped():
    bf = BlockFilter({})
    bf.reset(0, 0)
    got = _blocks(bf, -2000, 0, 9000, spike_at_ms=5000)  # one sample 40 g below
    assert len(got) >= 6, got
    assert [g[1:] for g in got] == [(-2000, 0, 0)] * len(got), got


def test_the_tilt_correction_of_a_negative_reading_is_exact():
    # the cell reads (bottle + milk) * cos - bottle: -2000 mg at cos 900/1024 with the
    # default 125 g bottle is (123000 * 124) // 900 = 16946 mg of tilt loss: 14946 mg upright
    bf = BlockFilter({})
    bf.reset(0, 0)
    got = _blocks(bf, -2000, 0, 6000, motion=Tilted(900))
    assert got[-1][1] == -2000 + (123000 * 124) // 900, got
    assert (bf.tilt_lo_q10, bf.tilt_change_q10) == (900, 0)


def test_select_median_sorts_negative_values_below_positive_ones():
    odd = array("i", [3, -7, -1, 12, -20])
    assert select_median(odd, 5) == -1
    assert list(odd) == [-20, -7, -1, 3, 12]
    even = array("i", [-5, 8, -2, -9])
    assert select_median(even, 4) == -4  # (-5 + -2) >> 1: floor, as the bytecode had it
    assert list(even) == [-9, -5, -2, 8]


def test_theil_sen_slope_of_levels_that_cross_zero_and_of_an_empty_window():
    # blocks 5, 6, 7 (one slot empty: -1), levels falling through zero: pairwise slopes
    # -2000, -2050 and -2100 mg/s, median -2050; a window of 2 keeps blocks 6 and 7 only
    ring_k = array("i", [5, -1, 6, 7])
    ring_v = array("i", [1200, 0, -800, -2900])
    pairs = array("i", [0] * 7)
    with heap_locked():
        whole = theil_sen_slope(ring_k, ring_v, pairs, 4, 7, 8, 1000)
        newest = theil_sen_slope(ring_k, ring_v, pairs, 4, 7, 2, 1000)
        none = theil_sen_slope(ring_k, ring_v, pairs, 4, 7, 1, 1000)
    assert (whole, newest, none) == (-2050, -2100, NO_SLOPE), (whole, newest, none)
    ring_v = array("i", [-1500, 0, 500, 2500])  # rising through zero, 200-ms blocks
    assert theil_sen_slope(ring_k, ring_v, pairs, 4, 7, 8, 200) == 10000


def test_detector_envelope_slope_of_levels_rising_through_zero_matches_the_bytecode():
    # bottle 2's ring: 25 blocks rising from -3 g through zero with a 400-mg ripple and a
    # 900-mg step at block 20 (bottle 1's ring full of another level). The expected slopes
    # (mg per block x8) and largest one-block rises are what the bytecode method gave.
    d = Detector({}, 2)
    for i in range(25):
        d._push(1, -3000 + 250 * i + (i % 3) * 400 + (900 if i >= 20 else 0))
        d._push(0, 99999)
    got = [0] * 6
    with heap_locked():
        got[0] = d._env_slope(1, 0, 10)  # ages 0..9
        got[1] = d._fit_pred
        got[2] = d._env_slope(1, 10, 10)  # ages 10..19
        got[3] = d._fit_pred
        got[4] = d._env_slope(1, 0, 5)
        got[5] = d._fit_pred
    assert got == [2465, 1000, 1975, 650, 3320, 1000], got


def test_motion_measures_tilt_and_shaking_from_negative_axes():
    # gravity along -z and -x (the unit mounted upside down, leaning): every sum, mean and
    # gravity slot is negative. |g| = isqrt(500**2 + 866**2) = 999: cos = 866 * 1024 // 999
    m = Motion({})
    t = 0
    while t < 4000:
        m.update(t, -500, 0, -866)
        t += 40
    assert (m.tilt_cos_q10, m.moving, m.shaking_mgee) == (866 * 1024 // 999, False, 0)
    while t < 8000:  # shaken: +-300 mg on x around the same gravity
        m.update(t, -800 if (t // 40) & 1 else -200, 0, -866)
        t += 40
    assert m.moving and 250 <= m.shaking_mgee <= 350, (m.moving, m.shaking_mgee)


def test_the_viper_block_filter_allocates_nothing_per_sample():
    bf = BlockFilter({})
    bf.reset(0, 0)
    motion = Tilted(950, moving=True)
    _blocks(bf, -1500, 0, 3000, motion=motion)
    with heap_locked():
        _blocks_no_alloc(bf, -1500, 3000, 9000, motion)
    assert (bf.v_mg, bf.moved) == (-1500 + (123500 * 74) // 950, 1)


def _blocks_no_alloc(bf, level_mg, t0_ms, t1_ms, motion):
    t = t0_ms
    while t < t1_ms:
        if bf.sample(t, level_mg, motion) >= 0:
            bf.close_block()
            bf.sample(t, level_mg, motion)
        t += 100


def test_detector_line_fits_of_levels_rising_through_zero_match_the_native_code():
    # bottle 2's ring as above (rising from -3 g through zero, ripple, step): the slope (mg per
    # block x8), the value at age 0 and at the window's end of four fits (the last one
    # wholly below zero) are what the
    # @micropython.native _line gave before it became viper
    d = Detector({}, 2)
    for i in range(25):
        d._push(1, -3000 + 250 * i + (i % 3) * 400 + (900 if i >= 20 else 0))
        d._push(0, 99999)
    out = array("i", [0] * 12)
    windows = ((0, 8), (2, 20), (0, 5), (15, 8))
    with heap_locked():
        for i in range(4):
            d._fit(1, windows[i][0], windows[i][1], 1)
            out[3 * i] = d._fit_b8
            out[3 * i + 1] = d._fit_pred
            out[3 * i + 2] = d._fit_end
    got = [tuple(out[i : i + 3]) for i in range(0, 12, 3)]
    assert got == [
        (3057, 4424, 4424),
        (2292, 3934, 3361),
        (1360, 4140, 4140),
        (1771, 2870, -451),
    ], got


def test_lowest_level_of_a_ring_below_zero():
    # flow.py's level history under massage: the lowest of 64 levels, some below zero, and
    # the lowest of the newest n before the ring's next slot, across the ring's end too
    hist = array("i", [300 - 7 * i for i in range(64)])
    with heap_locked():
        low = lowest(hist, 64, 0, 64)
        first = lowest(hist, 64, 40, 40)
        wrapped = lowest(hist, 64, 3, 6)  # slots 61, 62, 63, 0, 1, 2
        newest = lowest(hist, 64, 3, 3)  # slots 0, 1, 2
    got = (low, first, wrapped, newest)
    assert got == (300 - 7 * 63, 300 - 7 * 39, 300 - 7 * 63, 300 - 7 * 2), got


def test_motion_square_root_is_exact_from_any_starting_guess():
    # _isqrt starts from the last root when that is not below the new one: the result must
    # be the floor of the square root whatever the guess (below, at, above the root, none)
    for n in (1, 2, 3, 4, 15, 16, 17, 998001, 999999, 1000000, 1002001, 48000000, 2**29 - 1):
        for guess in (0, 1, 999, 1000, 1001, 6928, 23170, 40000):
            r = _isqrt(n, guess)
            assert r * r <= n < (r + 1) * (r + 1), (n, guess, r)


def test_the_floor_path_finds_the_same_onset_on_readings_below_zero():
    # the floor path (Detector._floor, viper) keeps raw lowest bins and floors in rings read
    # through ptr32: the massage-strokes case of test_detect_disturbed with every reading
    # 60 g lower (a tare taken with a full bottle) gives the same letdown under the strokes,
    # found the same way; read zero-extended, the rings hold 4-billion-mg floors and the path
    # never fires
    from shared import events as ev
    from synth import seed, under_strokes

    for s in (1, 2):
        got = []
        for offset_g in (0.0, -60.0):
            seed(s)
            found = []
            events = under_strokes(step=(0.0, offset_g) if offset_g else None, found=found)
            got.append(([t for code, t in events if code == ev.EV_LETDOWN], found))
        # the second letdown, under the strokes (the first one's CUSUM sees the step at 0 s)
        assert got[0][0][1:] == got[1][0][1:] and got[0][1][1:] == got[1][1][1:], (s, got)
        assert got[1][1][-1] == ev.FOUND_FLOOR, (s, got)


def test_a_crossing_must_lift_the_weight_above_the_lowest_baseline_block():
    # _above_low: a line through massage strokes leaves positive residuals once they stop and
    # the weight drops back to their troughs; milk lifts the weight above the lowest block of
    # the baseline by 3 sd, and (milk never leaves) above every block before the evidence in
    # the run of good blocks by 1 sd. The levels run below zero (ring read sign-extended)
    d = Detector({}, 2)
    for i in range(24):
        d._push(1, -1400 + (0, 500, 900, 500)[i % 4])  # strokes over a -1.4 g trough level
        d._push(0, 99999)
    sd = 80
    # the evidence began 3 blocks back; the baseline is the 16 blocks before it
    assert not d._above_low(1, -1400 + 200, 3, 16, sd)  # back at the troughs (+ noise)
    assert not d._above_low(1, -1400 + 3 * sd + 10, 3, 16, sd)  # under the crests before
    assert d._above_low(1, -1400 + 900 + sd + 10, 3, 16, sd)  # above them all by 1 sd
    # a still run: 1 sd above every block is not yet 3 sd above the lowest
    for _ in range(24):
        d._push(1, -1400)
    assert not d._above_low(1, -1400 + 2 * sd, 3, 16, sd)
    assert d._above_low(1, -1400 + 3 * sd, 3, 16, sd)
