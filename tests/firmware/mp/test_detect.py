"""Detector (pipeline/detect.py) on synthetic ejections, in the MicroPython unix port.

A milk ejection here follows the physiology notes (synth.mass_g): a raised-cosine rise over
`rise_s` to a peak flow, then an exponential decay. Samples get HX711-like noise and pump
ripple.
"""

import math

from pipeline.detect import Detector
from pipeline.flow import FlowStage
from shared import events as ev
from synth import gauss, mass_g, seed, session


def setup():
    seed(11)


def _letdowns(events):
    return [t for code, t in events if code == ev.EV_LETDOWN]


def _tapers(events):
    return [t for code, t in events if code == ev.EV_TAPER]


def _one_letdown_within(events, onset_s, late_s=20):
    lds = _letdowns(events)
    assert len(lds) == 1, events
    assert onset_s - 3 <= lds[0] <= onset_s + late_s, events


def test_one_ejection_gives_one_letdown_then_one_taper():
    events = session([[(60.0, 15.0, 0.5, 40.0)]], 240)[0]
    _one_letdown_within(events, 60)
    tps = _tapers(events)
    # true flow falls below 0.1 g/s at 60 + 15 + 40 ln 5 = 139 s
    assert len(tps) == 1, events
    assert 139 - 5 <= tps[0] <= 139 + 45, events


def test_a_slowly_decaying_flow_near_the_threshold_gives_one_taper_not_two():
    # the flow falls through 0.1 g/s at 40 + 15 + 90 ln 3 = 154 s and decays slowly after it:
    # the 8-block estimate's scatter re-crossed the threshold and gave a second taper (seeds
    # 1 and 8 did, before the re-entry hysteresis)
    for s in (1, 8):
        seed(s)
        events = session([[(40.0, 15.0, 0.3, 90.0)]], 300)[0]
        tps = _tapers(events)
        assert len(tps) == 1, events
        assert 154 - 5 <= tps[0] <= 154 + 45, events


def test_a_second_ejection_on_a_decaying_flow_is_a_new_letdown():
    events = session([[(40.0, 12.0, 0.6, 60.0), (120.0, 12.0, 0.45, 50.0)]], 240)[0]
    lds = _letdowns(events)
    # at 120 s the first ejection still gives ~0.2 g/s: the second is a re-acceleration
    assert len(lds) == 2, events
    assert 40 - 3 <= lds[0] <= 40 + 20, events
    assert 120 - 3 <= lds[1] <= 120 + 20, events


def test_a_second_ejection_on_a_flow_that_decays_over_minutes_is_a_new_letdown():
    # the first ejection's flow decays with a tau of 10 minutes: by the second onset (90-110
    # s) it has fallen ~10 % from its peak, not the 20 % that re-armed the channel, and the
    # second went unreported (8 of these 9). From 2 x ld_gap_s after a letdown a fall of
    # ld_rearm_mg_s re-arms it: each found within 20 s, and no letdown between the two
    for on2 in (90.0, 100.0, 110.0):
        for s in (1, 2, 3):
            seed(s)
            events = session([[(40.0, 12.0, 0.5, 600.0), (on2, 12.0, 0.4, 60.0)]], 200)[0]
            lds = _letdowns(events)
            assert len(lds) == 2, (on2, s, events)
            assert 40 - 3 <= lds[0] <= 40 + 20, (on2, s, events)
            assert on2 - 3 <= lds[1] <= on2 + 20, (on2, s, events)


def test_a_second_ejection_soon_after_the_first_peaked_is_a_new_letdown():
    # the first ejection peaks and decays with a tau of 90-150 s; the second starts 28-32 s
    # after it, before the flow has fallen the 20 % that re-arms the channel and before
    # 2 x ld_gap_s have passed since the letdown (many-001 of the fixed set, 128 s). A flow
    # that has made no new high for ld_gap_s / 2 is past its peak, and half that fall
    # re-arms it. Before: 2 of these 12 found within 15 s; now 11
    found = 0
    for tau in (90.0, 150.0):
        for gap in (28.0, 32.0):
            for s in (1, 2, 3):
                seed(s)
                on2 = 40.0 + gap
                events = session([[(40.0, 12.0, 0.5, tau), (on2, 12.0, 0.4, 60.0)]], 200)[0]
                lds = _letdowns(events)
                assert len(lds) == 2, (tau, gap, s, events)
                assert 40 - 3 <= lds[0] <= 40 + 20, (tau, gap, s, events)
                if on2 - 3 <= lds[1] <= on2 + 15:
                    found += 1
    assert found >= 10, found


def test_a_late_ejection_after_flow_stopped_is_found():
    events = session([[(30.0, 10.0, 0.5, 25.0), (300.0, 15.0, 0.3, 30.0)]], 400)[0]
    lds = _letdowns(events)
    assert len(lds) == 2, events
    assert 300 - 3 <= lds[1] <= 300 + 20, events
    assert len(_tapers(events)) == 2, events


def test_no_milk_with_hand_pressure_gives_no_events():
    events = session([[]], 300, press=(100.0, 160.0, 5.0))[0]
    assert events == [], events


def test_an_ejection_that_starts_under_massage_strokes_is_found():
    # 2-g strokes every 4 s from 40 s to 160 s (the weight never settles, so the CUSUM on the
    # block values is blind) and an ejection at 80 s: the slow path (the lower envelope's
    # slope rising to a sustained flow) finds it within the 20 s the scoring allows
    events = session([[(80.0, 15.0, 0.6, 60.0)]], 200, press=(40.0, 160.0, 2.0))[0]
    _one_letdown_within(events, 80)


def test_massage_strokes_growing_without_milk_give_no_letdown():
    # as 8-g strokes start, their residue in the lower envelope rises in steps: not milk
    events = session([[]], 300, press=(40.0, 200.0, 8.0))[0]
    assert _letdowns(events) == [], events


def test_both_bottles_report_their_own_letdown():
    events = session([[(50.0, 15.0, 0.5, 40.0)], [(51.0, 15.0, 0.2, 40.0)]], 150)
    left, right = _letdowns(events[0]), _letdowns(events[1])
    assert len(left) == 1 and len(right) == 1, events
    assert 47 <= left[0] <= 70 and 48 <= right[0] <= 71, events


def test_a_weight_step_no_milk_could_make_is_not_a_letdown():
    # 1.0 g within a fraction of a second (under the flow stage's hold threshold): faster
    # than any ejection can raise the weight
    events = session([[]], 200, step=(100.0, 1.0))[0]
    assert _letdowns(events) == [], events


def test_weak_ejections_on_both_bottles_are_found_together():
    # 0.15 g/s peaks rising over 20 s under 0.3 g noise: the joint evidence finds both
    events = session([[(60.0, 20.0, 0.15, 60.0)], [(61.0, 20.0, 0.15, 60.0)]], 150, sigma_g=0.3)
    left, right = _letdowns(events[0]), _letdowns(events[1])
    assert len(left) == 1 and len(right) == 1, events
    assert 57 <= left[0] <= 80 and 58 <= right[0] <= 81, events


def test_walking_on_both_bottles_without_accelerometer_gives_no_events():
    # shared motion is never evidence of milk: ~2 Hz, several grams, on both bottles at once
    events = session([[], []], 240, rate_hz=20, walk=(100.0, 150.0, 4.0, 1.9))
    assert events == [[], []], events


def test_warm_up_drift_before_the_first_letdown_is_not_counted_as_milk():
    # +3 g of warm-up drift (time constant 200 s) and one ejection at 150 s: the tare follows
    # the drift until the letdown (1.6 g), then goes on along an exponential approach (1.0 g
    # more by 400 s), so the volume is the milk, not the milk + 2.6 g or + 1 g
    fs = FlowStage({})
    det = Detector({}, 1)
    fs.reset(0, 0)
    ej = [(150.0, 15.0, 0.4, 40.0)]
    for i in range(400 * 10):
        t_ms = i * 100
        t = t_ms / 1000
        g = mass_g(t, ej) + 3.0 * (1 - math.exp(-t / 200.0)) + 0.25 * gauss()
        g += 0.5 * math.sin(6.2832 * 1.1 * t)
        fs.update(t_ms, int(g * 1000), None)
        det.update(t_ms, 0, fs)
    milk_mg = int(mass_g(400.0, ej) * 1000)
    out = (fs.volume_mg, milk_mg, det.letdowns[0])
    assert det.letdowns[0] == 1, out
    assert abs(fs.volume_mg - milk_mg) <= 600, out


def test_an_ejection_under_massage_after_a_letdown_gets_its_own_taper():
    # the first ejection tapers at ~80 s, the wearer massages from 90 s to 260 s (4-g strokes
    # every 4 s: the weight never settles) and a second ejection at 120 s flows >= 0.1 g/s
    # until 135 + 40 ln 4 = 190 s: its high-flow period starts and ends under the strokes
    ej = [(30.0, 10.0, 0.5, 25.0), (120.0, 15.0, 0.4, 40.0)]
    events = session([ej], 300, press=(90.0, 260.0, 4.0))[0]
    tps = _tapers(events)
    assert len(tps) == 2, events
    assert 80 - 5 <= tps[0] <= 80 + 45, events
    assert 190 - 5 <= tps[1] <= 190 + 45, events


def test_the_first_stroke_of_a_massage_without_milk_is_not_a_letdown():
    # one smooth press: the weight rises by 0.8 g over 2.5-3 s like an onset, then lets go.
    # Milk never leaves the bottle: the decision waits one block and sees the fall.
    # The string version meant to check seeds 1-4 x strokes of 5 and 6 s, but its `[0]`
    # kept only the first run (seed 1, 5 s), which is what it checked and what is kept
    # here; seed 3 with a 6-s stroke gives a letdown at 75 s (reported to detection).
    seed(1)
    events = session([[]], 120, sigma_g=0.1, ripple_g=0.3, bump=(70.0, 5.0, 0.8))
    assert _letdowns(events[0]) == [], events


def test_a_lone_bottle_needs_no_confirming_block_while_the_wearer_pumps_hands_free():
    # the confirming block guards against a hand's first stroke; with hands off the bottle
    # (Detector.hands_free, set by the session from the coach's phase) the same crossing is
    # reported a block sooner, and the first-stroke case above stays guarded by default
    sooner = 0
    for s in (1, 2, 3, 4):
        t = []
        for free in (False, True):
            seed(s)
            events = session([[(30.0, 10.0, 0.4, 30.0)]], 90, hands_free=free)[0]
            t.append(_letdowns(events))
        assert len(t[0]) == 1 and len(t[1]) == 1, (s, t)
        assert t[1][0] <= t[0][0], (s, t)
        if t[1][0] < t[0][0]:
            sooner += 1
    assert sooner >= 3, sooner


def test_closely_spaced_ejections_are_each_found_in_time():
    # the `many` pattern: an ejection every ~55 s, each weaker. The residuals of one ejection
    # (and the concave decay after it) must not inflate the noise scale the next is tested
    # against
    ej = [
        (40.0, 15.0, 0.6, 25.0),
        (95.0, 15.0, 0.35, 20.0),
        (150.0, 15.0, 0.3, 20.0),
        (205.0, 15.0, 0.25, 20.0),
    ]
    seed(4)
    events = session([ej], 280, sigma_g=0.2, ripple_g=0.3)[0]
    lds = _letdowns(events)
    for onset in (40.0, 95.0, 150.0, 205.0):
        assert any(onset - 3 <= t <= onset + 20 for t in lds), (onset, events)


def test_no_taper_when_a_new_ejection_starts_as_the_last_one_tapers():
    # the first ejection's flow falls through 0.1 g/s at ~72 s and a second one starts at
    # 77 s: the true flow dips under the threshold for under 10 s (no taper in the research
    # definition). The robust 8-block flow is still low when its taper would be due (~85 s);
    # the newest blocks' slope and the floor's flow say milk arrives again: no taper then
    # (the code before gave one in 2 of these 3 seeds)
    for s in (1, 2, 3):
        seed(s)
        events = session([[(20.0, 12.0, 0.5, 25.0), (77.0, 10.0, 0.4, 40.0)]], 160)[0]
        early = [t for code, t in events if code == ev.EV_TAPER and t < 100]
        assert not early, (s, events)


def test_no_taper_five_seconds_into_the_next_ejections_rise():
    # the first ejection (0.5 g/s at 20 s, decaying over 15 s) falls through 0.1 g/s at ~60 s
    # as a second one (0.3 g/s, 12-s rise) starts at 60 s: its onset (10 % of its peak) at
    # 62.5 s, and by 66 s it flows at 0.1 g/s or more. The robust 8-block flow still reads
    # the first one's tail; the newest 4 blocks' slope sees the new milk 50 mg/s over the
    # threshold before it sees it 100 mg/s over. A taper within the second ejection's first
    # 20 s in at most 5 of 12 noise runs (the code that asked 100 mg/s: 10 of 12), and the
    # second ejection still gets its own taper later
    early = 0
    for s in range(1, 13):
        seed(s)
        events = session([[(20.0, 10.0, 0.5, 15.0), (60.0, 12.0, 0.3, 40.0)]], 200)[0]
        tapers = [t for code, t in events if code == ev.EV_TAPER]
        early += any(60 <= t <= 80 for t in tapers)
        assert any(t > 100 for t in tapers), (s, events)
    assert early <= 5, early


def test_a_slow_dip_and_its_return_is_rarely_a_letdown():
    # no milk, a low-noise cell (0.05-0.1 g), the weight dips 0.25-0.35 g over 5-6 s and comes
    # back (a hand lifting the bottle a little). The baseline fitted across the dip slopes
    # down, and extrapolated it made the flat weight after it look like a rise: false
    # letdowns in 40 of 128 sessions (control-301 of seeds 300). Milk never leaves, so a
    # falling baseline now predicts its level where the evidence began: 18 of 128. The rest
    # is the return itself, above the dip's bottom, which the CUSUM cannot tell from milk
    false = 0
    for sigma in (0.05, 0.1):
        for peak in (-0.25, -0.35):
            for length in (5.0, 6.0):
                for s in range(16):
                    seed(s)
                    dip = (80.0, length, peak)
                    out = session([[]], 140, sigma_g=sigma, ripple_g=0.1, bump=dip)
                    false += any(code == ev.EV_LETDOWN for code, _ in out[0])
    assert false <= 20, false


def test_a_weak_ejection_with_a_gap_in_the_samples_is_found():
    # the sampler stalls for 4.5 s, 2 or 5 s into a weak ejection (0.15 g/s): the bottle sat
    # on the cell, and the milk that came meanwhile is in the blocks after the gap. Restarting
    # the baseline at every gap left the CUSUM no decision for ~12 blocks, and then only a
    # baseline on the rise itself: 4 of these 12 went unreported (many-203 of seeds 200,
    # continuous-301 of seeds 300). A gap of up to 8 blocks is bridged
    missed = []
    for lag in (2.0, 5.0):
        for s in range(1, 7):
            seed(s)
            first = (20.0, 12.0, 0.5, 20.0)
            events = session(
                [[first, (80.0, 15.0, 0.15, 30.0)]], 160, gaps=[(80 + lag, 84.5 + lag)]
            )
            if not any(77 <= t <= 100 for t in _letdowns(events[0])):
                missed.append((lag, s, events[0]))
    assert not missed, missed


def test_a_weight_step_across_a_gap_in_the_samples_is_rarely_a_letdown():
    # no new milk; 0.2-0.5 g comes onto both bottles while the sampler stalls (a few drops at
    # once, something set on them). A bridged gap reads it as the line across the gap, like
    # milk; milk that came during a gap still comes after it, a step stays flat: 13 of these
    # 48 bottles gave a letdown 3-9 s after the gap before the shape test (the newest blocks
    # rise at the gap's rate at least, 4 of them observed), 3 since (0.5 g on both bottles:
    # the 5-block slope's scatter)
    false = []
    for grams in (0.2, 0.3, 0.5):
        for s in range(1, 9):
            seed(s)
            both = [[(20.0, 12.0, 0.5, 20.0)], [(21.0, 12.0, 0.4, 20.0)]]
            out = session(both, 200, gaps=[(100.0, 104.5)], step=(102.0, grams))
            for ch in (0, 1):
                late = [t for t in _letdowns(out[ch]) if t > 60]
                if late:
                    false.append((grams, s, ch, late))
    assert len(false) <= 3, false


def test_an_ejection_on_a_flowing_bottle_is_found_soon_after_a_gap_in_its_rise():
    # milk already flows (0.2 g/s, a slow decay) and a new ejection starts at 80 s; the
    # sampler stalls for 6 s, 4-10 s into its rise. The milk that came meanwhile reaches the
    # flow stage's lower envelope only once its newest blocks are all after the gap, when the
    # jump test's slack for the gap had gone: the block was held as a press, the detector's
    # good stretch restarted, and the letdown came up to 20 s after the gap (continuous-102
    # of seeds 100 at draws 85-86: +25.9 s after the onset, a late find). The gap's slack
    # now lasts until the envelope has the gap's milk: at most 9 s after the gap here
    slow = []
    for rate in (5, 10):
        for lag in (4.0, 6.0, 8.0, 10.0):
            for peak in (0.25, 0.4):
                for s in range(1, 4):
                    seed(s)
                    end = 86.0 + lag
                    both = [[(20.0, 12.0, 0.3, 150.0), (80.0, 16.0, peak, 60.0)]]
                    out = session(both, 150, rate_hz=rate, gaps=[(80.0 + lag, end)])
                    lds = [t for t in _letdowns(out[0]) if t > 60]
                    if len(lds) != 1 or lds[0] > end + 10:
                        slow.append((rate, lag, peak, s, lds))
    assert not slow, slow


def test_a_slow_ejection_soon_after_a_restart_is_found_in_time():
    # the baseline restarts (a 10-s gap, longer than a bridge), and 12 s later a slow, weak
    # ejection begins (0.1 g/s reached over 20 s; its flow passes 10 % of the peak 4 s in).
    # The CUSUM's baseline, a line ending 2 blocks back, followed the ramp and its residuals
    # stayed near the allowance: 2 of these 8 found 28 s after the start (low_volume-101 of
    # seeds 100: never). Between ejections the flow only decays: the line is held at the
    # lowest slope of the stretch (+ 3 standard errors), and each is found within 22 s
    late = []
    for s in range(1, 9):
        seed(s)
        first = (20.0, 12.0, 0.5, 15.0)
        events = session([[first, (122.0, 20.0, 0.1, 40.0)]], 200, gaps=[(100.0, 110.0)])
        lds = [t for t in _letdowns(events[0]) if t > 90]
        if not lds or lds[0] > 122 + 25:
            late.append((s, events[0]))
    assert not late, late
