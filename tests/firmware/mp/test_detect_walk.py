"""Letdowns that begin inside a walk (pipeline/detect.py's walk path, issue 12 point 2).

Walking shakes the reading by grams at ~2 Hz: the flow stage holds those blocks (rough) and
its filtered value runs off the weight. The block filter's linear chain (Block.lin_mg: plain
bin means through boxcars with zeros at the step frequencies) follows the milk, and the
detector reports a rise on it during the walk instead of after it.
"""

import math

from pipeline.flow import FlowStage
from shared import events as ev
from synth import gauss, seed, session


def setup():
    seed(5)


def _letdowns(events):
    return [t for code, t in events if code == ev.EV_LETDOWN]


def test_an_ejection_that_starts_inside_a_long_walk_is_found_during_the_walk():
    # a 90-s walk (4-g swing at 2 Hz, no accelerometer); an ejection (0.4 g/s, 14-s rise)
    # starts at 60 s, 30 s into it. Found "walk" within 20 s of the onset, at 5 and 10 Hz
    # (at 5 Hz the nonlinear block value runs grams off the weight), in each noise seed, by
    # the walk path in at least 5 of the 6 runs. Before the walk path it was reported after
    # the walk (120 s + 6 good blocks: 66 s late) or not at all
    by_walk = 0
    for rate in (5, 10):
        for s in (1, 2, 3):
            seed(s)
            found = []
            events = session(
                [[(60.0, 14.0, 0.4, 60.0)]],
                170,
                rate_hz=rate,
                walk=(30.0, 120.0, 4.0, 2.0),
                found=found,
            )[0]
            lds = _letdowns(events)
            assert len(lds) == 1, (rate, s, events)
            assert 60 < lds[0] <= 80, (rate, s, events)
            by_walk += found == [ev.FOUND_WALK]
    assert by_walk >= 5, by_walk


def test_a_walk_on_a_still_bottle_gives_no_letdown():
    # 80 s of walking, swings of 6, 4 and 8 g at 1.8-2.3 Hz, no milk at all
    for amp, hz in ((6.0, 1.8), (4.0, 2.0), (8.0, 2.3)):
        for s in (1, 2):
            seed(s)
            events = session([[]], 160, rate_hz=5, walk=(40.0, 120.0, amp, hz))[0]
            assert not _letdowns(events), (amp, hz, s, events)


def test_a_walk_with_glitches_gives_no_letdown():
    # single-sample spikes of 20-60 g during a walk (they pass a linear filter unless the
    # sample is clipped to the walk's own swing): no letdown
    spikes = [(55.3, 60.0), (71.1, 25.0), (72.5, 40.0), (90.7, -30.0), (101.9, 50.0)]
    for rate in (5, 10):
        for s in (1, 2):
            seed(s)
            events = session([[]], 160, rate_hz=rate, walk=(40.0, 120.0, 4.0, 2.0), spikes=spikes)[
                0
            ]
            assert not _letdowns(events), (rate, s, events)


def test_massage_strokes_during_a_walk_give_no_letdown():
    # a hand presses (5-g strokes every 4 s) while the wearer walks, no milk: a hand only
    # adds weight, and the level falls back after each stroke (milk never leaves)
    for s in (1, 2, 3):
        seed(s)
        events = session(
            [[]], 160, rate_hz=10, walk=(40.0, 120.0, 3.0, 2.0), press=(60.0, 110.0, 5.0)
        )[0]
        assert not _letdowns(events), (s, events)


def _lin_error_mg(rate_hz, seconds, milk_g, extra_g, t0, t1):
    # the largest |lin_mg + offset_mg - the milk| of the blocks closed between t0 and t1 s
    # (the linear chain lags ~1.1 s: compared with the milk then) for a bottle reading
    # milk_g(t) + extra_g(t, i) (i: the sample) + noise + pump ripple
    fs = FlowStage({})
    fs.reset(0, 0)
    worst = 0
    for i in range(seconds * rate_hz):
        t_ms = i * 1000 // rate_hz
        t = t_ms / 1000
        g = milk_g(t) + extra_g(t, i) + 0.2 * gauss() + 0.3 * math.sin(6.2832 * 1.1 * t)
        if fs.update(t_ms, int(g * 1000), None) and t0 <= t <= t1:
            b = fs.block
            worst = max(worst, abs(b.lin_mg + b.offset_mg - int(milk_g(t - 1.1) * 1000)))
    return worst


def test_the_linear_level_follows_the_milk_through_a_20_g_walk_at_5_hz():
    # a 20-g swing at 2.1 Hz (a heavy bottle carried), milk at 0.2 g/s: the glitch rule and
    # the medians drop the swing's extremes, the linear chain keeps them and cancels the steps
    def swing(t, i):
        if 30.0 <= t < 90.0:
            ph = 6.2832 * 2.1 * t
            return 20.0 * (math.sin(ph) + 0.3 * math.sin(2 * ph))
        return 0.0

    for s in (1, 2):
        seed(s)
        worst = _lin_error_mg(5, 100, lambda t: 0.2 * t, swing, 33.0, 90.0)
        assert worst < 500, (s, worst)


def test_a_single_spike_barely_moves_the_linear_level():
    # a 60-g glitch in one sample at 5 Hz on a still bottle, and one during a 4-g walk: each
    # sample is clipped to the chain's output +- 1.5 g + 1.5 x the swing (unclipped, the
    # chain would carry ~1/6 of it, 10 g, into a block)
    def still(t, i):
        return 60.0 if i == 150 else 0.0

    def walking(t, i):
        ph = 6.2832 * 2.0 * t
        g = 4.0 * (math.sin(ph) + 0.3 * math.sin(2 * ph)) if 20.0 <= t < 60.0 else 0.0
        return g + (60.0 if i == 200 else 0.0)

    for s in (1, 2):
        seed(s)
        a = _lin_error_mg(5, 50, lambda t: 0.0, still, 20.0, 45.0)
        seed(s)
        b = _lin_error_mg(5, 70, lambda t: 0.0, walking, 35.0, 55.0)
        assert a < 700, (s, a)
        assert b < 2000, (s, b)


def test_a_walk_swinging_beyond_the_glitch_rule_is_never_quiet():
    # a heavy bottle carried at a brisk pace: a 70-100 g swing at 2 Hz moves the reading
    # 20-50 g from one 10-Hz sample to the next. The glitch rule (a sample 15 g from both the
    # one before and the filtered level) then drops sample after sample, and at a cadence of
    # exactly 2 Hz (the rate / 5) the samples it keeps are the same phase of every step: still,
    # and before, the blocks read up to 38 g off the weight and quiet (few-301 of seeds 300, a
    # physical walk: 25-30 g low for 10 s). The roughness counts every sample's range, the
    # dropped ones too: no block inside the walk is quiet
    for amp, ph0 in ((35.0, 2.0), (40.0, 0.0), (50.0, 3.2)):
        for s in (1, 2):
            seed(s)
            fs = FlowStage({})
            fs.reset(0, 0)
            quiet = []
            for i in range(900):
                t_ms = i * 100
                t = t_ms / 1000
                g = 0.1 * t + 0.2 * gauss()
                if 30.0 <= t < 70.0:
                    ph = 6.2832 * 2.0 * t + ph0
                    g += amp * (math.sin(ph) + 0.2 * math.sin(2 * ph + 1.0))
                if fs.update(t_ms, int(g * 1000), None) and 31.0 <= t <= 70.0:
                    if fs.block.quiet:
                        quiet.append(t)
            assert not quiet, (amp, ph0, s, quiet)


def test_a_block_whose_every_sample_the_glitch_rule_dropped_is_still_a_block():
    # a 30-g swing at 2.2 Hz at 5 Hz (one sample a bin): now and then every sample of a
    # block lies 15 g from the one before and from the filtered level, and the glitch rule
    # drops them all. Such a block was no block at all (26 over the two seeds here): the
    # detector took it for a gap in the samples and began its walk path, its linear levels
    # and its floor again (few-204 of seeds 200, draw 4: an ejection inside a walk missed).
    # Now every second closes a block, and one with no sample kept is rough, never quiet
    for s in (1, 2):
        seed(s)
        fs = FlowStage({})
        fs.reset(0, 0)
        last = -1
        missing = 0
        blind = 0
        for i in range(120 * 5):
            t_ms = i * 200
            t = t_ms / 1000
            g = 30.0 + 0.1 * t + 0.2 * gauss()
            if 30.0 <= t < 90.0:
                g += 30.0 * math.sin(6.2832 * 2.2 * t)
            if fs.update(t_ms, int(g * 1000), None):
                b = fs.block
                if last >= 0:
                    missing += b.k - last - 1
                last = b.k
                if fs._bf.blind:
                    blind += 1
                    assert b.rough and not b.quiet, (s, t)
        assert missing == 0, (s, missing)
        assert blind >= 5, (s, blind)


def test_an_ejection_inside_a_walk_that_swings_beyond_the_glitch_rule_is_found_in_it():
    # a 40-g swing at 2.2 Hz at 5 Hz, an ejection (0.4 g/s, 14-s rise) at 60 s, 30 s into
    # the walk: found "walk" during the walk in at least 3 of 4 noise seeds. The code before
    # found none: its blocks with no sample kept restarted the walk path
    found = 0
    for s in (1, 2, 3, 4):
        seed(s)
        how = []
        events = session(
            [[(60.0, 14.0, 0.4, 60.0)]], 170, rate_hz=5, walk=(30.0, 120.0, 40.0, 2.2), found=how
        )[0]
        lds = _letdowns(events)
        assert len(lds) <= 1, (s, events)
        found += bool(lds) and 60 < lds[0] <= 100 and how == [ev.FOUND_WALK]
    assert found >= 3, found


def test_held_compressions_during_a_walk_give_no_letdown():
    # a hand presses and holds (1.5-3 g, held 2-5 s, 3 s apart) while the wearer walks, no
    # milk. A compression's level rises within a block or two and then stays: the walk path's
    # line through its newest levels rises like milk until the hand lets go (bench seeds 100
    # and 300 with held presses: control-101 and control-300, a false letdown 5 s into the
    # press). Milk's rise is spread over the window, not one step
    fired = 0
    for peak, hold in ((1.5, 5.0), (2.0, 3.0), (3.0, 2.0)):
        for s in (1, 2, 3, 4):
            seed(s)
            events = session(
                [[]],
                160,
                rate_hz=10,
                walk=(40.0, 120.0, 4.0, 2.0),
                compress=(70.0, 110.0, peak, hold),
            )[0]
            fired += len(_letdowns(events))
    assert fired == 0, fired


def test_an_ejection_inside_a_walk_is_still_found_with_the_step_rule():
    # the other side of that rule: a weak ejection (0.2 g/s, 10-s rise: ~1.5 g in its first
    # 10 s) inside a 4-g walk is found during the walk in most noise seeds
    found = 0
    for s in (1, 2, 3, 4, 5, 6):
        seed(s)
        events = session(
            [[(60.0, 10.0, 0.2, 60.0)]], 170, rate_hz=10, walk=(30.0, 120.0, 4.0, 2.0)
        )[0]
        lds = _letdowns(events)
        found += len(lds) == 1 and 60 < lds[0] <= 82
    assert found >= 4, found


def _runs(ejection, rates, **kw):
    # one two-minute session per rate and noise seed 1-4, a walk 30-110 s: (rate, seed,
    # letdown times, how each was found, their estimated onsets) per run
    for rate in rates:
        for s in (1, 2, 3, 4):
            seed(s)
            how = []
            onsets = []
            events = session(
                [[ejection]],
                160,
                rate_hz=rate,
                walk=(30.0, 110.0, 4.0, 2.0),
                found=how,
                onsets=onsets,
                **kw,
            )[0]
            lds = _letdowns(events)
            assert len(lds) <= 1, (rate, s, events)
            yield lds, how, onsets


def test_an_ejection_that_ramps_up_slowly_inside_a_walk_is_found_against_the_level_before():
    # late lactation: an ejection reaching only 0.15 g/s over a 25-s rise, 15 s into an 80-s
    # walk. The line through the 10 levels before the newest 6 rises with it, so the walk
    # path's window test never sees enough extra milk (held-out late_lactation-1300: the
    # first letdown missed until the walk ended, then cued 35 s late). Against the last good
    # stretch's level before the walk it shows: found "walk" before the walk ends, its onset
    # dated 40-60 s (the flow passes 10 % of its peak at 50 s), in at least 7 of 8 runs
    # (round 45's code: 1 of 8)
    found = 0
    for lds, how, onsets in _runs((45.0, 25.0, 0.15, 60.0), (10, 20)):
        if lds and 45 < lds[0] < 110 and how == [ev.FOUND_WALK]:
            assert 40 <= onsets[0] <= 60, onsets
            found += 1
    assert found >= 7, found


def test_an_ejection_that_begins_in_a_tilt_during_a_walk_is_found_inside_it():
    # a 30-degree tilt with no accelerometer (50-100 s) inside the walk: the level falls over
    # 2-3 blocks, which stops the walk path for 16 blocks. An ejection at 58 s (0.4 g/s, 8-s
    # rise) rises inside the steady tilt. The wait counts from the fall's last block: found
    # "walk" by 73 s in at least 5 of 8 runs. Round 45's code compared each new level with
    # those before the fall and restarted the wait for 8 blocks more: none by 73 s
    # (held-out many-1600: the first letdown cued 33 s late)
    found = 0
    for lds, how, _ in _runs((58.0, 8.0, 0.4, 60.0), (5, 10), tilt=(50.0, 100.0, 30.0)):
        found += bool(lds) and 58 < lds[0] <= 73 and how == [ev.FOUND_WALK]
    assert found >= 5, found


def test_an_ejection_that_begins_as_a_long_walk_ends_is_found_by_the_little_milk_since():
    # milk from an ejection at 20 s decays to 0.11 g/s by a 26-s walk (100-126 s; 5-g swing,
    # the accelerometer says moving). A new ejection (0.3 g/s, 6-s rise) begins at 125 s, as
    # the walk ends. The resume path's reference is from before the walk, over 30 s old at its
    # first test, so the onset might lie anywhere in the walk; but the milk since it (about
    # 4 g) is too little for an ejection that reached the flow after to have begun over 30 s
    # back. Found within 20 s of the onset, its onset dated after the walk's start, in at
    # least 10 of 12 runs at 5 and 10 Hz (round 65's code: 4, the others not at all; held-out
    # many-201 of seeds 200 at draw 89). With no new ejection the decaying flow gives none
    found = 0
    for new in (True, False):
        for rate in (5, 10):
            for s in range(1, 7):
                seed(s)
                onsets = []
                first = [(20.0, 12.0, 0.5, 60.0)]
                events = session(
                    [first + [(125.0, 6.0, 0.3, 60.0)] if new else first],
                    200,
                    rate_hz=rate,
                    walk=(100.0, 126.0, 5.0, 2.0),
                    moving=(100.0, 126.0),
                    onsets=onsets,
                )[0]
                lds = _letdowns(events)
                assert lds and lds[0] < 40, (rate, s, events)
                if not new:
                    assert len(lds) == 1, (rate, s, events)
                    continue
                assert len(lds) <= 2, (rate, s, events)
                found += len(lds) == 2 and 125 < lds[1] <= 145 and onsets[1] > 100
    assert found >= 10, found


def test_an_ejection_that_begins_as_a_walk_ends_is_found_by_its_flow_speeding_up():
    # an ejection (0.52 g/s) peaks as a 26-s walk begins (41-67 s, no accelerometer): the
    # resume path's reference carries that peak flow over the walk, far above the decayed
    # flow after it. The next ejection (0.3 g/s, 16-s rise) begins at 69 s, 2 s after the
    # walk, and rises on through the first good blocks, which are the CUSUM's first baseline.
    # Between ejections the flow only decays: the flow that sped up from the stretch's first 5
    # blocks to its newest is found within 15 s of the onset in at least 6 of 12 runs at 5, 10
    # and 20 Hz (round 66's code: none, at 16-19 s). With no second ejection, no second
    # letdown
    soon = 0
    for new in (True, False):
        for rate in (5, 10, 20):
            for s in range(1, 5):
                seed(s)
                first = [(20.0, 19.0, 0.52, 45.0)]
                chans = [first + [(69.0, 16.0, 0.3, 25.0)] if new else first]
                lds = _letdowns(session(chans, 140, rate_hz=rate, walk=(41.0, 67.0, 5.0, 2.0))[0])
                assert lds and lds[0] < 40, (new, rate, s, lds)
                assert len(lds) == (2 if new else 1), (new, rate, s, lds)
                soon += new and 69.0 < lds[1] <= 69.0 + 15
    assert soon >= 6, soon


def test_an_ejection_that_begins_just_after_a_walk_over_a_decaying_flow_is_found_in_time():
    # two bottles, an ejection at 20 s (0.6 g/s, decaying over 20 s), a walk from 40 to 80 s
    # (no accelerometer), and the next ejection 4-8 s after it (0.4 g/s, 10-s rise). The flow
    # fell during the walk, so the weight settled below the flow stage's prediction at the
    # flow from before it: the stage held it until its rebase, and the next ejection began
    # inside that hold or in the baseline just after (15 of these 24 bottles found within
    # 20 s before, none at 4 s). Now it takes the weight in at once (round 73): 23 of 24
    found = 0
    for on2 in (84.0, 86.0, 88.0):
        for s in (1, 2, 3, 4):
            seed(s)
            ejs = [(20.0, 10.0, 0.6, 20.0), (on2, 10.0, 0.4, 40.0)]
            for events in session([ejs, ejs], 140, walk=(40.0, 80.0, 4.0, 2.0)):
                lds = _letdowns(events)
                assert len(lds) <= 2 and 20 < lds[0] <= 40, (on2, s, lds)
                found += any(on2 <= t <= on2 + 20 for t in lds)
    assert found >= 22, found
