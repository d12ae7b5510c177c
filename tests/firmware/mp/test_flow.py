"""FlowStage and Motion (pipeline/flow.py, pipeline/motion.py) in the MicroPython unix port.

Each test builds a small synthetic bottle trace (synth.py: milk mass + HX711-like noise +
the artifact under test), feeds it sample by sample and checks what the stage reports.
"""

import math

from mptest import heap_locked
from pipeline.detect import Detector
from pipeline.flow import FlowStage
from pipeline.motion import Motion
from synth import Tilt, mass_g, milk_g, reading_mg, run, samples, seed, session, walking_g


def setup():
    seed(7)


def _stage(cfg=None):
    fs = FlowStage(cfg or {})
    fs.reset(0, 0)
    return fs


def test_steady_flow_is_estimated_at_any_sample_rate():
    for rate in (5, 10, 80):
        fs = run(_stage(), rate, 120, flow_g_s=0.3, start_s=10)
        out = (rate, fs.flow_mg_s, fs.volume_mg)
        assert 240 <= fs.flow_mg_s <= 360, out
        # 0.3 g/s for 110 s = 33 g; the level lags the newest sample by ~4-5 s (filter +
        # lower envelope), i.e. ~1.4 g at this flow
        assert abs(fs.volume_mg - 31600) <= 1000, out


def test_volume_ignores_single_sample_spikes():
    fs = _stage()
    for i, t_ms, _t, w in samples(300, 10, flow_g_s=0.05, start_s=0):
        if i % 97 == 50:
            w += 40000 if i % 2 else -30000  # a 40 g or -30 g single-sample spike
        fs.update(t_ms, w, None)
    out = (fs.volume_mg, fs.flow_mg_s)
    assert abs(fs.volume_mg - 14800) <= 700, out  # 0.05 g/s for 300 s, minus ~4 s of lag
    assert -50 <= fs.flow_mg_s <= 150, out  # spikes of 30-40 g would throw it far off


def test_hand_pressure_is_held_and_never_adds_volume():
    fs = _stage()
    held = 0
    max_vol_during = 0

    def press(t):  # 6 g of hand pressure for 10 s, no milk
        return 6.0 if 60 <= t < 70 else 0.0

    for _i, t_ms, t, w in samples(120, 10, press):
        fs.update(t_ms, w, None)
        if 61 <= t < 70:
            held += fs.holding
            max_vol_during = max(max_vol_during, fs.volume_mg)
    out = (held, max_vol_during, fs.volume_mg, fs.holding)
    assert held >= 50, out  # held for most of the press (10 samples a second)
    assert max_vol_during <= 500, out
    assert fs.volume_mg <= 500, out
    assert fs.holding is False, out


def test_tilt_with_accelerometer_does_not_lose_volume():
    fs = _stage({"bottle_mg": 120000})
    m = Motion({})
    lowest_after_tilt = 10**9
    vol_before = 0
    for i in range(10 * 120):
        t_ms = i * 100
        t = t_ms / 1000
        ang = 0.5 if 50 <= t < 70 else 0.0  # ~29 degrees for 20 s
        c = math.cos(ang)
        milk = milk_g(t, 0.1, 5)
        w = reading_mg(t, 0.1, 5) - int((120 + milk) * (1 - c) * 1000)
        m.update(t_ms, int(1000 * math.sin(ang)), 0, int(1000 * c))
        fs.update(t_ms, w, m)
        if t < 50:
            vol_before = fs.volume_mg
        else:
            lowest_after_tilt = min(lowest_after_tilt, fs.volume_mg)
    out = (fs.volume_mg, lowest_after_tilt - vol_before, m.tilt_cos_q10)
    assert m.tilt_cos_q10 >= 1015, out  # upright again at the end
    assert abs(fs.volume_mg - 11100) <= 800, out  # 0.1 g/s for 115 s, minus ~4 s of lag
    assert lowest_after_tilt - vol_before >= 0, out  # the tilt never pulled the volume down


def test_motion_flags_walking_and_measures_tilt():
    m = Motion({})
    flags = []
    for i in range(50 * 20):
        t_ms = i * 20
        t = t_ms / 1000
        walk = 300 * math.sin(6.2832 * 2.0 * t) if 5 <= t < 12 else 0
        m.update(t_ms, 0, 0, 1000 + int(walk))
        if i % 50 == 0:
            flags.append(1 if m.moving else 0)
    still_cos = m.tilt_cos_q10
    for i in range(300):
        m.update(20000 + i * 20, 500, 0, 866)  # 30 degrees
    out = (flags, still_cos, m.tilt_cos_q10)
    assert flags[:5] == [0] * 5, out
    assert all(flags[7:12]), out
    assert flags[-3:] == [0, 0, 0], out
    assert still_cos == 1024, out
    assert 860 <= m.tilt_cos_q10 <= 900, out  # cos 30 deg = 0.866 -> 887


def _feed_two_bottles(fs, det, mo, start, stop):
    i = start
    while i < stop:
        t = i * 50
        w = 300 * t // 1000 + (i * 7919) % 513 - 256
        mo.update(t, (i * 31) % 41 - 20, 0, 1000)
        fs[0].update(t, w, mo)
        det.update(t, 0, fs[0])
        fs[1].update(t, w // 2, mo)
        det.update(t, 1, fs[1])
        i += 1


def test_no_allocation_per_sample_in_steady_state():
    fs = [_stage(), _stage()]
    det = Detector({}, 2)
    mo = Motion({})
    _feed_two_bottles(fs, det, mo, 0, 2000)
    with heap_locked():  # an allocation raises MemoryError at its line
        _feed_two_bottles(fs, det, mo, 2000, 6000)
    assert 250 <= fs[0].flow_mg_s <= 350, fs[0].flow_mg_s


def test_walking_without_accelerometer_is_held_and_adds_no_volume():
    fs = _stage()
    held = 0

    def walking(t):
        return walking_g(t) if 60 <= t < 120 else 0.0

    for i, t_ms, t, w in samples(200, 20, walking):
        fs.update(t_ms, w, None)
        if 80 <= t < 110 and fs.holding and i % 20 == 0:
            held += 1
    out = (held, fs.volume_mg)
    assert held >= 25, out  # nearly every block of the walk is held
    assert fs.volume_mg <= 400, out


def test_volume_is_re_anchored_on_the_settled_weight_after_a_long_disturbance():
    # a 60-s lean without accelerometer (the reading falls by 8 g, then returns) while milk
    # flows at 0.1 g/s: whatever the holds guessed, once the weight has settled for
    # flow_anchor_s the volume is the weight again
    fs = _stage()

    def lean(t):
        return -8.0 if 60 <= t < 120 else 0.0

    for _i, t_ms, _t, w in samples(240, 10, lean, flow_g_s=0.1, start_s=30):
        fs.update(t_ms, w, None)
    out = (fs.volume_mg, fs.holds)
    assert fs.holds >= 1, out
    # 0.1 g/s for 210 s = 21 g; the level lags the newest sample by ~0.5 g at this flow
    assert abs(fs.volume_mg - 20500) <= 1000, out


def test_milk_keeps_counting_while_a_hold_lasts_to_the_end_of_the_session():
    # milk at 0.3 g/s from 10 s; at 120 s the wearer starts walking (no accelerometer: the
    # reading swings by grams at ~2 Hz, held as rough) until the session ends at 140 s. The
    # hold hides the weight, but the milk flowing before it keeps arriving: it is credited
    # at the flow from before the hold.
    fs = _stage()
    vol_before = 0

    def walking(t):
        return walking_g(t) if t >= 120 else 0.0

    for _i, t_ms, t, w in samples(140, 20, walking, flow_g_s=0.3, start_s=10):
        if t < 120:
            vol_before = fs.volume_mg
        fs.update(t_ms, w, None)
    out = (vol_before, fs.volume_mg, fs.holding)
    assert fs.holding is True, out
    # 20 s of walking at 0.3 g/s = 6 g (the credit starts at the last accepted block)
    assert fs.volume_mg - vol_before >= 4000, out
    assert fs.volume_mg <= 0.3 * 130 * 1000 + 500, out  # never more than the milk


def _walk_to_the_end(press_g):
    # milk at 0.1 g/s from 10 s; at 100 s the wearer starts walking (no accelerometer) and
    # an ejection speeds the flow to 0.5 g/s over the walk, which lasts to the session's end
    # at 150 s; press_g: a hand held on the bottle from 130 s (0 for none). Returns (the
    # stage's volume, the milk), mg
    fs = _stage()

    def extra(t):
        g = walking_g(t) if t >= 100 else 0.0
        if t > 100:
            g += 0.4 * (t - 100)  # the ejection's milk on top of the 0.1 g/s
        if press_g and t >= 130:
            g += press_g * (t - 130 if t < 131 else 1.0)
        return g

    for _i, t_ms, _t, w in samples(150, 20, extra, flow_g_s=0.1, start_s=10):
        fs.update(t_ms, w, None)
    return fs.volume_mg, int((0.1 * 140 + 0.4 * 50) * 1000)


def test_milk_that_speeds_up_during_a_walk_to_the_session_s_end_is_counted():
    # A walk shakes the reading about the weight; the triangle cancels most of the gait, so
    # the lower envelope of blocks held only for shaking follows the milk. Credited at the
    # flow from before the walk (0.1 g/s, for 30 blocks at most) the volume would read
    # ~16 g short (late_lactation-504 of seeds 500: 1.6 g short). The envelope trails the
    # milk by its blocks and the triangle's: ~5 s of the flow, 2.5 g at 0.5 g/s
    vol, milk = _walk_to_the_end(0)
    assert milk - 3000 <= vol <= milk + 300, (vol, milk)


def test_a_hand_on_the_bottle_during_a_walk_is_not_counted_as_milk():
    # ... but a press that comes during the walk ends that for the rest of the hold: its
    # 5 g (pressure only adds weight) stay out of the volume
    vol, milk = _walk_to_the_end(5.0)
    assert vol <= milk + 300, (vol, milk)


def test_held_compressions_keep_the_weight_unsettled_after_every_release():
    # no milk; from 60 s a hand holds 2-g compressions for 5 s each (rising and letting go
    # over 0.5 s, 3 s apart: hands-on pumping's "hold a compression, release"). The blocks
    # they cover are calm and accepted, so their residuals once taught the block noise
    # 0.8 g, and the unsettled test (a fall beyond 0.7 g + 3 noise) stopped seeing the
    # releases after the first three (code before: none of the last 12 seen). Every release
    # now marks the weight unsettled, to the end of the train.
    from synth import held_g

    fs = _stage()
    seen = [0] * 20  # per compression cycle (9 s): was the weight unsettled after it?
    for _i, t_ms, t, w in samples(240, 10, lambda t: held_g(t - 60, 2.0, 5.0) if t >= 60 else 0.0):
        fs.update(t_ms, w, None)
        c = int((t - 60) // 9)
        if t >= 60 and c < 20 and fs.unsettled > 0:
            seen[c] = 1
    out = (seen, fs.noise_mg)
    assert sum(seen[8:20]) == 12, out


def test_volume_follows_the_lowest_level_under_long_massage_strokes():
    # milk at 0.2 g/s from 10 s; from 100 s to the end (240 s) massage strokes press 3 g
    # for 2 s every 5 s. Pressure only adds weight, so the lowest level kept is at most the
    # milk: the volume keeps rising under the strokes instead of freezing at 100 s.
    fs = _stage()
    unsettled = 0

    def strokes(t):
        return 3.0 if t >= 100 and int(t) % 5 < 2 else 0.0

    for _i, t_ms, t, w in samples(240, 10, strokes, flow_g_s=0.2, start_s=10):
        fs.update(t_ms, w, None)
        if t >= 200:
            unsettled += fs.unsettled > 0
    out = (fs.volume_mg, unsettled)
    assert unsettled >= 300, out  # the strokes keep the weight unsettled to the end
    # the milk at 240 s is 46 g; frozen at 100 s it would read ~17 g; the lowest level of
    # the last 64 accepted blocks lags by about a minute: ~33 g
    assert 27000 <= fs.volume_mg <= 46500, out


def test_the_noise_alone_does_not_hold_a_bottle_sampled_at_5_hz():
    # at 5 Hz a 200-ms bin holds one sample, and the roughness is the |second difference| of
    # the median-filtered bins alone, whose tail passes 2.5 x its usual value now and then
    # (0.3-0.8 % of the bench's clean blocks). Each hold blinds the letdown tests for ~14 s; a
    # lone block over it needs 5 x now (the rule before held these 8 bottles of 0.3 g noise
    # and a 0.5 g ripple 41 times in 9 minutes each)
    holds = []
    for s in range(8):
        seed(s)
        fs = _stage()
        h0 = 0
        for i, t_ms, _t, w in samples(600, 5, flow_g_s=0.1, start_s=20):
            fs.update(t_ms, w, None)
            if i == 300:
                h0 = fs.holds
        holds.append(fs.holds - h0)
    assert sum(holds) <= 4, holds


def test_two_spikes_a_sample_apart_do_not_hold_or_move_the_flow():
    # at 10 Hz a 200-ms bin holds two samples: two spikes one sample apart fill two adjacent
    # bins, which the median of three cannot remove; large ones are dropped per sample
    fs = _stage()
    holds = flow = 0
    for i, t_ms, _t, w in samples(200, 10, flow_g_s=0.2, start_s=20, sigma_g=0.1):
        if i in (1204, 1206):
            w -= 20000
        fs.update(t_ms, w, None)
        if i == 1250:
            holds = fs.holds
            flow = fs.flow_mg_s
    out = (holds, flow, fs.volume_mg)
    assert holds == 0, out
    assert 150 <= flow <= 250, out
    assert abs(fs.volume_mg - 35300) <= 1200, out  # 0.2 g/s for 180 s, minus the lag


def test_the_tare_is_taken_from_before_a_late_found_onset():
    # before the first letdown the tare follows the settled weight (drift); a weak ejection
    # found 20 s late has raised it already. The detector's baseline is the level at the
    # onset: the tare must come from then, or the first grams of milk are lost
    fs = _stage()
    bottle = {"flow_g_s": 0.06, "start_s": 60, "sigma_g": 0.1, "ripple_g": 0.1}
    for i, t_ms, _t, w in samples(150, 10, **bottle):
        if i == 90 * 10:
            fs.milk_started(0, 30)  # baseline 0 mg, where the evidence began 30 blocks ago
        fs.update(t_ms, w, None)
    out = (fs.volume_mg, fs._tare_raw)
    assert abs(fs._tare_raw) <= 300, out  # the tare followed ~1 g of milk by 90 s
    assert abs(fs.volume_mg - 5400) <= 800, out  # 0.06 g/s x 90 s, minus the lag


def _slow_ejection_volume_errors_mg(drift_g):
    # twelve bottles at 5 Hz, FlowStage and Detector (synth.session), one slow weak ejection
    # at 60 s (25-s raised-cosine rise to 0.12 g/s) and a warm-up drift of drift_g (2-min time
    # constant): the volume at 300 s less the milk, mg, sorted
    ej = (60.0, 25.0, 0.12, 15.0)
    errs = []
    for s in range(1, 13):
        seed(s)
        fs = []
        session([[ej]], 300, rate_hz=5, drift=(drift_g, 120.0), stages=fs)
        errs.append(fs[0].volume_mg - int(mass_g(300.0, [ej]) * 1000))
    errs.sort()
    return errs


def test_a_slow_ejections_first_grams_do_not_go_into_the_tare():
    # before the first letdown the tare follows the settled weight at up to the drift's rate;
    # an ejection's first grams come slower than that, and the detector's evidence begins only
    # once they show: the volume may lag the milk, not lose its first grams (the worst of the
    # twelve lost 0.52 g when the tare was the one where the evidence began)
    errs = _slow_ejection_volume_errors_mg(0.0)
    assert errs[0] >= -300, errs
    assert errs[-1] <= 600, errs


def test_a_rising_drift_before_a_slow_ejection_is_not_credited_as_milk():
    # the other side of the test above: a warm-up drift of +1.5 g rising as the milk starts
    errs = _slow_ejection_volume_errors_mg(1.5)
    assert errs[-1] <= 800, errs


def test_update_says_when_it_wrote_the_block_record_and_its_halves_agree():
    # update() is True exactly at the samples that write `block` (the session skips the
    # detector otherwise), and sample() + closed() do what update() does
    whole, halves = _stage(), _stage()
    writes = 0
    for _i, t_ms, _t, w in samples(60, 10, flow_g_s=0.2, start_s=20):
        k_before = whole.block.k
        written = whole.update(t_ms, w, None)
        assert written == (whole.block.k != k_before), (t_ms, written, whole.block.k)
        writes += written
        k = halves.sample(t_ms, w, None)
        assert (halves.closed(k, t_ms, w, None) if k >= 0 else False) == written, t_ms
        assert (halves.block.k, halves.block.v_mg) == (whole.block.k, whole.block.v_mg)
    assert (halves.flow_mg_s, halves.volume_mg) == (whole.flow_mg_s, whole.volume_mg)
    assert 55 <= writes <= 59, writes  # one a second once the 2-s triangle is full


def test_a_weight_back_in_the_frame_before_a_rebase_is_accepted_at_once():
    # the reading drops 30 g for 20 s (a bottle tilted with no accelerometer) while milk
    # flows at 0.1 g/s: the stage holds, then takes the new level as an offset (a rebase).
    # When the bottle stands up the weight is back where the old frame predicts: the rebase
    # is undone at once (the code before held 12 more blocks for a second rebase), and the
    # filter's history moves with the offset, so no block after it reads a false fall that
    # marks the weight unsettled (11 blocks before)
    for s in (1, 2, 3):
        seed(s)
        fs = _stage()
        held = unsettled = rebased = 0
        for _, t_ms, t, w in samples(
            120, 10, extra=lambda t: -30.0 if 40 <= t < 60 else 0.0, flow_g_s=0.1, start_s=5.0
        ):
            if fs.update(t_ms, w, None):
                if 45 <= t < 60 and not fs.holding:
                    rebased += 1
                if t >= 61:
                    held += fs.holding
                    unsettled += fs.unsettled > 0
        out = (s, rebased, held, unsettled, fs.volume_mg)
        assert rebased >= 3, out  # the tilted level was taken as an offset
        assert held <= 3 and unsettled == 0, out
        assert abs(fs.volume_mg - 11500) <= 800, out


def _tilted_bottle(seconds, ang, tilt_s, bottle_g, start_s, drift_g=0.0, lean_to=None):
    """10 Hz: yield (t_ms, t, milk_g, w_mg, motion) of a bottle (`bottle_g` empty) with milk at
    0.1 g/s from `start_s`, tilted by `ang` (radians) over `tilt_s` = (from, to) with 1.5-s
    turns, and a warm-up drift of `drift_g` (time constant 2 min); `motion` is a Motion the
    accelerometer's reading has just updated. `lean_to` (radians): the wearer leans on, from
    `ang` 2 s into the tilt to `lean_to` 20 s before its end."""
    m = Motion({})
    t0, t1 = tilt_s
    for i in range(10 * seconds):
        t_ms = i * 100
        t = t_ms / 1000
        a = 0.0
        if t0 <= t < t1:
            a = ang
            if lean_to is not None:
                a += (lean_to - ang) * min(1.0, max(0.0, (t - t0 - 2) / (t1 - t0 - 22)))
            a *= min(1.0, (t - t0) / 1.5, (t1 - t) / 1.5)
        c = math.cos(a)
        milk = milk_g(t, 0.1, start_s)
        w = reading_mg(t, 0.1, start_s) - int((bottle_g + milk) * (1 - c) * 1000)
        w += int(drift_g * 1000 * (1 - math.exp(-t / 120)))
        m.update(t_ms, int(1000 * math.sin(a)), 0, int(1000 * c))
        yield t_ms, t, milk, w, m


def _fall_g(t, t0, seconds, fall_g, back_s):
    """A fall of the reading by `fall_g` from `t0` for `seconds` (a 1.5-s turn into it), back
    up over `back_s` (a tilt with no accelerometer, a wearer straightening up slowly)."""
    t1 = t0 + seconds
    if t < t0 or t >= t1 + back_s:
        return 0.0
    if t < t0 + 1.5:
        return -fall_g * (t - t0) / 1.5
    if t < t1:
        return -fall_g
    return -fall_g * (1 - (t - t1) / back_s)


def test_a_fall_taken_as_an_offset_is_undone_when_the_weight_comes_back_slowly():
    # 9.5 g of milk (0.1 g/s from 5 s to 100 s), then the reading falls 5-9 g for 8-10 s
    # (a tilt with no accelerometer) and comes back over 4 s. The lower envelope holds the
    # fall's low for 4 blocks after the weight is back: the stage rebased on that low (the
    # fall taken as an offset), and the envelope's rise back up in the new frame passed for
    # milk (code before: 10 of these 18 ended 4.6-8.8 g over: the whole fall counted as milk)
    bad = []
    for fall_g in (5.0, 6.8, 9.0):
        for seconds in (8, 10):
            for s in (1, 2, 3):
                seed(s)
                fs = _stage()
                worst = 0
                for _, t_ms, t, w in samples(
                    220,
                    10,
                    extra=lambda t: (
                        _fall_g(t, 150, seconds, fall_g, 4.0)
                        - (0.1 * (t - 100) if t > 100 else 0.0)
                    ),
                    flow_g_s=0.1,
                    start_s=5.0,
                ):
                    if fs.update(t_ms, w, None) and t > 190:
                        e = fs.volume_mg - 9500
                        if abs(e) > abs(worst):
                            worst = e
                if abs(worst) > 1500:
                    bad.append((fall_g, seconds, s, worst))
    assert not bad, bad


def _worst_volume_error_mg(fs, readings, t_from, t_to):
    """Feed `_tilted_bottle` readings to `fs`: the largest |volume - milk|, mg, over the
    blocks written from `t_from` to `t_to` (s)."""
    worst = 0
    for t_ms, t, milk, w, m in readings:
        if fs.update(t_ms, w, m) and t_from <= t < t_to:
            worst = max(worst, abs(fs.volume_mg - int(milk * 1000)))
    return worst


def test_a_steady_tilt_the_accelerometer_reports_is_rebased_at_once():
    # a 38-degree tilt from 40 s to 70 s, bottles of 100 g and 150 g (the firmware assumes
    # 125 g: the correction is off by ~6.8 g, more than a block may jump), milk at 0.1 g/s.
    # The level steps by the correction's error, which the accelerometer explains: rebased
    # after 3 steady blocks on the prediction, so the flow in the tilt is measured (the code
    # before held 10 blocks, flow_rebase_s; held now: the turn, the 3 blocks and the rebase's
    # own). Upright again, the offset is undone at once: the turning blocks' readings stay
    # out of the lower envelope (with them in, the 100-g bottle's ramp took part of the step
    # as milk, the undo did not fit and the ordinary rebase held 8 more blocks)
    ang = math.radians(38)
    for s in (1, 2, 3):
        for bottle_g in (100.0, 150.0):
            seed(s)
            fs = _stage()
            held_in_tilt = held_after = 0
            flows = []
            for t_ms, t, _milk, w, m in _tilted_bottle(120, ang, (40, 70), bottle_g, 5):
                if fs.update(t_ms, w, m):
                    if 44 <= t < 70:
                        held_in_tilt += fs.holding
                        if t >= 57:  # the flow's 8-block window filled after the rebase
                            flows.append(fs.flow_mg_s)
                    elif t >= 78:
                        held_after += fs.holding
            out = (s, bottle_g, held_in_tilt, held_after, flows, fs.volume_mg)
            assert held_in_tilt <= 7, out
            assert all(20 <= f <= 200 for f in flows), out  # the milk's 100 mg/s, measured
            assert held_after == 0, out
            assert abs(fs.volume_mg - 11100) <= 800, out  # 0.1 g/s for 115 s, ~4 s of lag


def test_a_tilt_absorbed_as_an_offset_stays_out_of_the_volume_while_the_drift_moves_the_tare():
    # warm-up drift (+3 g, time constant 2 min) under milk at 0.1 g/s from 60 s: after the
    # first milk the tare goes on along the drift's exponential, a milligram at a time. A
    # 38-degree tilt (bottle of 100 g, the firmware assumes 125 g) at 120-160 s is rebased on
    # the prediction: its ~7 g correction error goes into the offset. Each drift step
    # recomputed the tare's level-frame value from the offset of the moment, error included,
    # and a quiet stretch in the tilt anchored the volume on the raw weight, error and all:
    # the volume ran 7.3 g ahead of the milk while the bottle stayed tilted
    ang = math.radians(38)
    for s in (1, 2, 3):
        seed(s)
        fs = _stage()
        tilted = _tilted_bottle(200, ang, (120, 160), 100.0, 60, drift_g=3.0)
        worst = _worst_volume_error_mg(fs, tilted, 125, 160)
        out = (s, worst, fs.volume_mg, fs._tare_raw)
        # the milk while tilted, within the lag and what the turn's blocks add before the
        # rebase (up to ~2 g: the correction's error grows with the angle)
        assert worst <= 3000, out
        assert abs(fs.volume_mg - int(milk_g(199.9, 0.1, 60) * 1000)) <= 1500, out


def test_a_slow_lean_is_undone_upright_though_the_level_moved_inside_it():
    # a 100-g bottle (the firmware assumes 125 g) leant to 36 degrees at 60 s, on to 42
    # degrees by 180 s, upright at 200 s; milk at 0.1 g/s. The correction's error grows with
    # the angle (~6 -> ~9 g): the level inside the tilt rises by grams more than the milk, and
    # upright the weight no longer fitted the prediction from it. The tilt's offset then
    # stayed for the rest of the session and the volume fell ~5 g short for 20 s
    ang = math.radians(36)
    for s in (1, 2, 3):
        seed(s)
        fs = _stage()
        lean = _tilted_bottle(260, ang, (60, 200), 100.0, 20, lean_to=math.radians(42))
        worst = _worst_volume_error_mg(fs, lean, 210, 260)
        offset = fs.block.offset_mg  # the last block's, written after 210 s
        out = (s, worst, offset)
        assert offset == 0, out  # the tilt's offset given back upright
        # what is left: the error's growth inside the lean, counted as milk there (~3 g by
        # 200 s), until the weight upright re-anchors the volume
        assert worst <= 3500, out


def test_an_empty_bottle_keeps_no_volume_from_a_small_tilt_once_upright():
    # no milk: a 15-degree tilt with the accelerometer fitted (50-73 s), the bottle 100 g where
    # the firmware assumes 125 g. At that angle the correction's error (~0.9 g) is small
    # enough to pass unheld, the level rose by it, and the volume, which only rises within an
    # anchored stretch, kept it after the bottle stood up again: 0.9-1.1 g of milk in an
    # empty bottle. A tilt now ends the stretch: upright and settled, it re-anchors on the
    # weight
    seen = []
    for s in (1, 2, 3, 4, 5, 6):
        seed(s)
        fs = _stage()
        tilted = _tilted_bottle(150, math.radians(15), (50, 73), 100.0, 10000)
        for t_ms, _t, _milk, w, m in tilted:
            fs.update(t_ms, w, m)
        seen.append((s, fs.volume_mg))
    assert max(v for _s, v in seen) <= 500, seen


def test_an_empty_bottle_keeps_no_volume_from_a_tilt_with_no_accelerometer():
    # no milk, no accelerometer: a 25- or 35-degree tilt of a 100- or 150-g bottle for 40 s
    # (50-90 s). The reading falls by (bottle) x (1 - cos), the stage holds, and after
    # flow_rebase_s takes the fall as an offset, undone when the weight comes back. Before
    # the first milk the tare follows the settled weight (warm-up drift, 40 mg/s at most),
    # and it followed the fallen level for the rest of the tilt: upright again, the weight
    # stood that far above it, and the volume read it as milk for tens of seconds (1.0-1.25 g
    # here, until the tare caught up; with both
    # bottles, the session's safety net made it a first letdown in control-902 of seeds 900
    # at 80 Hz). While a fall's offset may still be undone the tare follows the level from
    # before it
    seen = []
    for s in (1, 2, 3):
        for deg in (25, 35):
            for bottle_g in (100.0, 150.0):
                seed(s)
                fs = _stage()
                tilted = _tilted_bottle(160, math.radians(deg), (50, 90), bottle_g, 10000)
                worst = 0
                for t_ms, t, _milk, w, _m in tilted:
                    if fs.update(t_ms, w, None) and t >= 90:
                        worst = max(worst, fs.volume_mg, fs.settled_mg)
                seen.append((s, deg, bottle_g, worst))
    assert max(x[3] for x in seen) <= 300, seen


def test_a_tilts_return_taken_for_milk_is_given_back_when_no_flow_follows():
    # no milk: a 15- or 25-degree tilt with the accelerometer fitted (50-73 s, 1.5-s turns)
    # and a warm-up drift of +2.2 g (time constant 2 min). In the tilt the flow estimate reads
    # 67-241 mg/s on blocks that are not quiet, and the rule "60 mg/s on 3 blocks is milk"
    # starts the milk: the tare stopped following the drift, which then counted as milk on
    # weight that stayed put (0.5-1 g here; the session's safety net made it a first letdown
    # in control-402 of seeds 400 at 80 Hz). No quiet block goes on at that flow, so the milk
    # is given back 30 blocks later and the tare follows the drift again
    seen = []
    for s in (1, 2, 3, 4, 5, 6):
        for deg in (15, 25):
            seed(s)
            fs = _stage()
            tilted = _tilted_bottle(400, math.radians(deg), (50, 73), 100.0, 10000, drift_g=2.2)
            for t_ms, _t, _milk, w, m in tilted:
                fs.update(t_ms, w, m)
            seen.append((s, deg, fs._milk, fs.settled_mg))
    assert not any(x[2] for x in seen), seen
    assert max(x[3] for x in seen) <= 200, seen


def _fall_g(t, t0, t1, g, ramp=1.5):
    # a tilt with no accelerometer: the reading falls by g over `ramp` s at t0, comes back
    # over `ramp` s at t1
    if t < t0 or t >= t1 + ramp:
        return 0.0
    if t < t0 + ramp:
        return -g * (t - t0) / ramp
    if t < t1:
        return -g
    return -g * (1 - (t - t1) / ramp)


def test_a_tilt_while_milk_flows_is_an_offset_not_milk_taken_back():
    # milk at 0.2 g/s from 10 s; a 7-g fall (a 15-degree tilt of ~190 g, no accelerometer)
    # from 100 s to 115 s. The fall lands above the level of a minute before (10 g of milk
    # came since), which is what a slow press let go looks like, and the stage used to
    # believe it: the volume followed the tilt down 8 g, and the tilt's return was a jump held
    # for the 10-s re-base (continuous-301 of seeds 300: a letdown 22 s after its onset). The
    # weight had settled above the fall, and milk never leaves: the fall is an offset now,
    # undone when the bottle comes back
    for rate in (5, 10, 20):
        seed(rate)
        fs = _stage()
        low = 0
        held_after = 0
        for i, t_ms, t, w in samples(160, rate, lambda t: _fall_g(t, 100.0, 115.0, 7.0),
                                     flow_g_s=0.2, start_s=10):  # fmt: skip
            if i == 20 * rate:
                fs.milk_started(0, 10)
            fs.update(t_ms, w, None)
            if 100 <= t < 135:
                low = min(low, fs.volume_mg - int(200 * (t - 10)))
            if 118 <= t < 130 and i % rate == 0:
                held_after += fs.holding
        out = (rate, low, held_after)
        assert low >= -2500, out  # the level's usual lag at this flow is ~1 g
        assert held_after <= 4, out  # 9 of 12 blocks held before


def _two_hands_out_of_step_mg(rate_hz, s):
    # 30 g of milk by 110 s, then none; from 150 s to the end (300 s) two hands stroke the
    # bottle out of step (sin^2 strokes of 4 g every 4.3 s and 3 g every 5.7 s): no block is
    # free of pressure. Returns the stage's volume less the milk, mg
    seed(s)
    fs = _stage()

    def extra(t):
        g = 0.3 * min(max(t - 10, 0), 100)
        if t >= 150:
            u1 = (t - 150) % 4.3 / 4.3
            u2 = (t - 148.3) % 5.7 / 5.7
            g += 4.0 * math.sin(math.pi * u1) ** 2 + 3.0 * math.sin(math.pi * u2) ** 2
        return g

    for _i, t_ms, _t, w in samples(300, rate_hz, extra):
        fs.update(t_ms, w, None)
    return fs.volume_mg - 30000


def test_two_hands_out_of_step_add_little_to_the_volume():
    # Weight that stayed put for 6 quiet blocks is milk the holds did not credit; smooth
    # strokes pass for quiet blocks, and the rule took the level they lift (+2.7-3.1 g here;
    # +4 g in many-1004 of seeds 1000). While a press is let go it now goes only to the
    # lowest level or lowest bin of those blocks, and only 4 noise units over the volume
    # (without that margin: +2.0-2.3 g, since two hands leave no bin free of pressure)
    over = sorted(_two_hands_out_of_step_mg(rate, s) for rate in (10, 20, 80) for s in (1, 2, 3))
    assert over[4] <= 1000, over  # the median of nine
    assert over[-1] <= 2500, over


def test_milk_that_came_inside_holds_is_not_taken_for_drift_after_them():
    # a 28-degree tilt with no accelerometer (20-56 s) and a walk (72-110 s): an ejection at
    # 46.6 s (0.6 g/s) rises and flows inside them, and the milk rule's flow is never
    # confirmed on quiet blocks, so for the flow stage no milk has started. The weight that
    # settles after them is more than any warm-up drift (5 g): the tare must not follow it as
    # one, or the next ejection's first grams go into the tare. The volume at 340 s is within
    # 1 g of the milk in each of 4 seeds (measured within 0.2 g); the code before lost 4.4-4.6 g
    # (few-200 of seeds 200 on a fresh noise draw: 3.7 g)
    ej = [(46.6, 10.0, 0.6, 25.0), (250.0, 10.0, 0.3, 20.0)]
    for s in range(1, 5):
        seed(s)
        fs = []
        session([ej], 340, tilt=(20.0, 56.0, 28.0), walk=(72.0, 110.0, 3.0, 2.0), stages=fs)
        err = fs[0].volume_mg - int(mass_g(340.0, ej) * 1000)
        assert abs(err) <= 1000, (s, err, fs[0]._tare_raw)


def test_a_pump_ripple_that_spreads_every_block_does_not_hold_the_bottle_for_good():
    # a pump's ripple of 2.7 g at 2 Hz (stimulation), sampled at 5 Hz (one sample a bin): at
    # some phases every block's bins spread past twice the usual spread (learned on accepted
    # blocks only) + 1.5 g from the first block on. The code before then held every block to
    # the end: no flow, and the volume only what the holds credited, 0 and 22.8 g here for 47
    # (continuous-102 of seeds 100 at three times the ripple, draw 22: 68.5 mL for 121.7)
    for ph in (2.0, 4.5):
        seed(3)
        fs = _stage()

        def ripple_g(t):
            p = 6.2832 * 2.0 * t + ph
            return 2.7 * (math.sin(p) + 0.25 * math.sin(2 * p))

        for _i, t_ms, _t, w in samples(
            300, 5, extra=ripple_g, flow_g_s=0.2, start_s=60, ripple_g=0.0, sigma_g=0.33
        ):
            fs.update(t_ms, w, None)
        # 0.2 g/s for 240 s: 48 g (the level lags a few seconds)
        out = (ph, fs.flow_mg_s, fs.volume_mg, fs.holding)
        assert not fs.holding and 140 <= fs.flow_mg_s <= 260, out
        assert abs(fs.volume_mg - 47000) <= 2000, out


def test_the_first_level_is_not_taken_in_a_lean_under_a_ripple_that_spreads_every_block():
    # the session starts leaned (no accelerometer: the reading 13 g low for 12-20 s) under a
    # pump's ripple of 2.7 g at 2 Hz sampled at 5 Hz, which spreads every block past the
    # usual spread at some phases. The code before took its first level from the first
    # block, in the lean: every block after it was 13 g off the prediction and held by its
    # spread, which such blocks teach only at the prediction, so held to the end (no flow,
    # no volume: low_volume-100 of seeds 100 at three times the ripple, draw 53)
    for lean_s in (12.0, 20.0):
        for ph in (2.0, 4.5):
            seed(3)
            fs = _stage()

            def lean_ripple_g(t):
                p = 6.2832 * 2.0 * t + ph
                return (-13.0 if t < lean_s else 0.0) + 2.7 * (
                    math.sin(p) + 0.25 * math.sin(2 * p)
                )

            for _i, t_ms, _t, w in samples(
                300, 5, extra=lean_ripple_g, flow_g_s=0.2, start_s=70, ripple_g=0.0, sigma_g=0.33
            ):
                fs.update(t_ms, w, None)
            # 0.2 g/s for 230 s: 46 g (the level lags a few seconds)
            out = (lean_s, ph, fs.flow_mg_s, fs.volume_mg, fs.holding)
            assert not fs.holding and 140 <= fs.flow_mg_s <= 260, out
            assert abs(fs.volume_mg - 45000) <= 2000, out


def test_a_still_accelerometer_keeps_the_readings_own_roughness_from_holding_blocks():
    # at 5 Hz a bin holds one sample, and the roughness (a median over the block's bins of
    # |second difference|) of noise and a pump's 2-Hz ripple has a long tail: clusters of
    # blocks at 2.5-4 x the usual, each held and not quiet, cut an ejection's rise into pieces
    # (few-504 of seeds 500 at draw 53: found 34 s late). An accelerometer that says the
    # bottle is still says the shaking is the cell's own: a block is rough only past 5 x, as
    # a lone one is (a walk or a knock shakes the accelerometer too), once the usual roughness
    # is learned (its first 16 blocks)
    for ph in (0.6, 0.7, 0.8):
        for s in (1, 2, 3):
            seed(s)
            fs = _stage()
            det = Detector({}, 1)
            still = Tilt()  # an accelerometer, the wearer still
            ej = [(60.0, 15.0, 0.3, 40.0)]

            def ripple_g(t):
                p = 6.2832 * (2.0 * t + ph)
                return mass_g(t, ej) + 0.37 * (math.sin(p) + 0.25 * math.sin(2 * p))

            rough = 0
            letdowns = []
            for _i, t_ms, t, w in samples(120, 5, extra=ripple_g, ripple_g=0.0, sigma_g=0.27):
                if fs.update(t_ms, w, still) and t >= 20:
                    rough += fs.block.rough
                if det.update(t_ms, 0, fs) == 1:
                    letdowns.append(t)
            out = (ph, s, rough, letdowns)
            assert rough == 0, out
            assert len(letdowns) == 1 and 60.0 < letdowns[0] <= 75.0, out


def test_the_tare_does_not_follow_a_tilts_correction_error_before_the_first_letdown():
    # a bottle of 140 g tilted 28 degrees from 15 to 56 s (the accelerometer reports it; the
    # correction assumes 125 g, so the level reads ~2 g high inside the tilt), an ejection
    # from 40 or 48 s found inside it. Before the first letdown the tare follows the settled
    # weight as a drift; the code before let it follow the tilt's error too, and the first
    # letdown took that tare as the reference its baseline is checked against: the volume
    # 2.0-2.9 g high on 8 of 16 runs (few-200 of seeds 200 at draw 53, bottle 1: 3.2 mL short
    # once its ejection was found inside the tilt)
    for onset_s in (40.0, 48.0):
        for s in range(1, 9):
            seed(s)
            ej = [(onset_s, 15.0, 0.3, 40.0)]
            stages = []
            session([ej], 200, rate_hz=5, accel_tilt=(15.0, 56.0, 28.0, 140.0), stages=stages)
            err = stages[0].volume_mg - int(mass_g(200.0, ej) * 1000)
            assert abs(err) <= 1300, (onset_s, s, err)


def test_a_hand_that_never_lets_go_is_not_read_as_flow():
    # milk at 0.02 g/s; from 100 s to 160 s massage strokes of 3 g (2 s on, 2 s off) and from
    # 112 s a hand's 1.7 g that stays between them: the lower envelope steps up 1.7 g while
    # the blocks are held. Accepted on the slack a hold gives the flow to change, that step
    # read as 0.27-0.33 g/s, and the flow stood through the hold after it: the coach's line
    # for massage (0.15 g/s) and the floor path's flow before read a hand's weight as milk
    # (many-501 of seeds 500 at draw 58: 0.35 g/s for 30 s while 9 mg/s came). Under a
    # hand no rise past the jump test's tolerance is taken on the slack (measured: at most
    # 64 mg/s)
    def press(t):
        if t < 100 or t >= 160:
            return 0.0
        return (1.7 if t >= 112 else 0.0) + (3.0 if int(t) % 4 < 2 else 0.0)

    for rate in (10, 20, 80):
        for s in (1, 2, 3):
            seed(s)
            fs = _stage()
            top = 0
            for _i, t_ms, t, w in samples(200, rate, press, flow_g_s=0.02, start_s=10):
                fs.update(t_ms, w, None)
                if 100 <= t < 165 and fs.flow_mg_s > top:
                    top = fs.flow_mg_s
            assert top < 150, (rate, s, top)


def test_a_weight_that_settled_below_the_prediction_after_a_walk_is_taken_at_once():
    # an ejection (0.8 g/s, decaying over 25 s) and a walk from 40 to 80 s (no accelerometer:
    # held as rough). The flow fell from ~0.33 to ~0.08 g/s meanwhile, so the weight settles
    # some 6 g below the prediction at the flow from before the walk, and above the level
    # before it: milk that decayed, nothing else. The stage takes it in at once; it held it
    # until the rebase before (9-10 blocks after the walk's last rough one, the detector blind
    # meanwhile: many-001 of the fixed set at draw 119, round 73). The volume is the milk
    ej = [(10.0, 8.0, 0.8, 25.0)]

    def extra(t):
        return mass_g(t, ej) + (walking_g(t) if 40 <= t < 80 else 0.0)

    for s in range(1, 7):
        seed(s)
        fs = _stage()
        held = 0
        for _i, t_ms, t, w in samples(140, 10, extra):
            if fs.update(t_ms, w, None) and t >= 80:
                held += fs.holding
        out = (s, held, fs.volume_mg)
        assert held <= 4, out
        assert abs(fs.volume_mg - mass_g(140, ej) * 1000) <= 800, out
