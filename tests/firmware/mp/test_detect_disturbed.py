"""Letdowns whose rise is hidden by a disturbance (pipeline/detect.py's resume path, issue 12).

Milk never leaves a bottle: when the weight settles after a walk, its level above the level
before (projected by the flow before) is milk that only an ejection explains. The detector
reports it at once, with its estimated onset (det.onset_ms: the event's onset_t_s).
"""

from shared import events as ev
from synth import mass_g, seed, session, under_strokes

HEAP = {"*": "256K"}  # fails at 120K here, and ran out once in CI at 128K (conftest: HEAP)


def setup():
    seed(5)


def _letdowns(events):
    return [t for code, t in events if code == ev.EV_LETDOWN]


def test_an_ejection_that_rises_during_a_walk_is_reported_by_the_time_the_walk_ends():
    # a walk (4-g swing at 2 Hz, no accelerometer: held as rough) from 30 s to 75 s; an
    # ejection starts at 58 s and its whole rise (12 s) lies inside the walk. The walk path
    # sees it on the linear chain during the walk; failing that, ~5 g have come by the time
    # the weight settles: a letdown at once (the resume path), with its onset 20-30 s back
    # (the event's `late`). One letdown, with its onset inside the walk.
    for s in (5, 3, 9):
        seed(s)
        onsets = []
        events = session(
            [[(58.0, 12.0, 0.4, 60.0)]], 140, walk=(30.0, 75.0, 4.0, 2.0), onsets=onsets
        )[0]
        lds = _letdowns(events)
        assert len(lds) == 1, (s, events)
        assert 58 < lds[0] <= 75 + 12, (s, events)
        assert 45 <= onsets[0] <= 72 and onsets[0] < lds[0], (s, onsets, events)


def test_an_ejection_that_rises_at_the_end_of_a_walk_is_reported_when_the_walk_ends():
    # the same, the onset at 66 s: too little of its rise lies inside the walk for the walk
    # path, and the resume path reports it once the weight is good again
    for s in (5, 3, 9):
        seed(s)
        found = []
        events = session(
            [[(66.0, 12.0, 0.4, 60.0)]], 140, walk=(30.0, 70.0, 4.0, 2.0), found=found
        )[0]
        lds = _letdowns(events)
        assert len(lds) == 1, (s, events)
        assert 70 <= lds[0] <= 70 + 14, (s, events, found)
        assert found == [ev.FOUND_RESUME], (s, found)


def test_an_ejection_that_speeds_up_as_a_long_tilt_ends_is_milk_not_a_press():
    # two bottles, no accelerometer: a 14-s tilt of 25 or 38 degrees, and an ejection that
    # starts 3 s before it ends, rising over 5-12 s to 0.8 g/s (few-400 of seeds 400 with
    # fast rises, 8.8 g on bottle 1: no letdown at 6 of 7 draws). After a hold longer than its
    # window the flow stage keeps the flow from before it (none) for its first estimates, and
    # its jump test held the rise that went on after the tilt as a press, until the next
    # rebase. Its slack now grows over those estimates too: 49 of these 72 bottles were found
    # within 20 s before, 67 now. Without the second ejection, no letdown after the first.
    found = 0
    for end in (205.0, 212.0):
        for deg in (25.0, 38.0):
            for rise in (5.0, 8.0, 12.0):
                for s in (1, 2, 3):
                    seed(s)
                    on = end - 3.0
                    ejs = [(40.0, 10.0, 0.3, 40.0), (on, rise, 0.8, 60.0)]
                    for events in session([ejs, ejs], 280, tilt=(end - 14.0, end, deg)):
                        lds = _letdowns(events)
                        assert len(lds) <= 2 and 40 < lds[0] <= 60, (end, deg, rise, s, lds)
                        found += any(on - 3 <= t <= on + 20 for t in lds)
            for s in (1, 2):
                seed(s)
                ejs = [(40.0, 10.0, 0.3, 40.0)]
                for events in session([ejs, ejs], 280, tilt=(end - 14.0, end, deg)):
                    assert len(_letdowns(events)) == 1, (end, deg, s, events)
    assert found >= 64, found


def test_the_next_ejection_after_one_found_in_a_long_walk_is_a_new_letdown():
    # a walk from 30 s to 100-105 s hides an ejection's rise and peak (45 s; 0.5 g/s, tau
    # 15 min); the next ejection starts 8-12 s after the walk ends. The first flow read after
    # the walk was the bottle's peak, and it had not fallen 30 mg/s when the next began:
    # the code before re-armed the bottle too late and found 1 of these 12 within 20 s.
    # 60 s after its onset an ejection is past its peak: 12 of 12, and no second letdown
    # without the second ejection
    found = 0
    for w_end in (100.0, 105.0):
        for gap in (8.0, 12.0):
            for s in (1, 2, 3):
                seed(s)
                on2 = w_end + gap
                ejections = [(45.0, 15.0, 0.5, 900.0), (on2, 12.0, 0.3, 60.0)]
                events = session([ejections], 220, walk=(30.0, w_end, 4.0, 1.9))[0]
                lds = _letdowns(events)
                assert len(lds) == 2 and 45 < lds[0] <= 65, (w_end, gap, s, events)
                if on2 - 3 <= lds[1] <= on2 + 20:
                    found += 1
        for s in (1, 2, 3):
            seed(s)
            events = session([[(45.0, 15.0, 0.5, 900.0)]], 220, walk=(30.0, w_end, 4.0, 1.9))[0]
            assert len(_letdowns(events)) == 1, (w_end, s, events)
    assert found >= 11, found


def test_an_ejection_that_starts_as_the_weight_settles_is_found_from_the_level_before():
    # no accelerometer: a 20-degree tilt from 48 s to 55 s, and an ejection starts at 58 s as
    # the weight settles. The CUSUM has no baseline for ld_min_base_blocks good blocks after
    # a hold; the resume path keeps the level from before the tilt and tests each good block
    # up to the 12th, so the milk above it is found within 12 s of the onset (the code that
    # tested only the 6th good block found it at 14-15 s, on the CUSUM's fresh baseline)
    for s in (5, 3, 9, 1, 2, 4):
        seed(s)
        found = []
        events = session([[(58.0, 12.0, 0.4, 60.0)]], 140, tilt=(48.0, 55.0, 20.0), found=found)[0]
        lds = _letdowns(events)
        assert len(lds) == 1, (s, events)
        assert 58 < lds[0] <= 58 + 12, (s, events, found)
        assert found == [ev.FOUND_RESUME], (s, found)


def _after_massage(cases, first_seed, seconds):
    """(onset_s, letdowns_s) per session: a first ejection at 20 s (0.5 g/s, tau 40 s) that
    tapers under massage strokes from 90 s to 150 s, and a second one; cases: (its onset_s,
    rise_s, peak_g_s, the strokes' grams), each on 6 seeds from first_seed."""
    out = []
    for on, rise, peak, stroke_g in cases:
        for s in range(6):
            seed(first_seed + s)
            ej = [(20.0, 12.0, 0.5, 40.0), (on, rise, peak, 60.0)]
            out.append((on, _letdowns(session([ej], seconds, press=(90.0, 150.0, stroke_g))[0])))
    return out


def test_an_ejection_that_starts_just_after_a_long_massage_is_found_on_the_quiet_blocks():
    # 4-g strokes from 90 s to 150 s on a decaying flow, and a weaker ejection (0.15-0.25 g/s,
    # a 10-16 s rise) 6 s after they end, on quiet blocks (many-002 of the bench at 677 s).
    # The CUSUM has no baseline for ld_min_base_blocks good blocks, then fits it on the rise;
    # the resume path's projection of the flow before (still decaying) lies above the level.
    # The slow path sees the envelope's slope rise to a sustained flow, but asked that its
    # newest 5 values rise 1.25 x faster than its 10 (an accelerating flow), which a flow
    # levelling off passes every other block at best: 15 of these 24 found within 20 s. On
    # quiet blocks with no hold in the windows it now accepts a flow still at >= 80 % of its
    # slope, as its comment always said: 19.
    cases = [(156.0, rise, peak, 4.0) for peak in (0.15, 0.25) for rise in (10.0, 16.0)]
    runs = _after_massage(cases, 100, 260)
    for on, lds in runs:
        assert all(t < 90 or t >= on - 3 for t in lds), (on, lds)
    hits = sum(any(on - 3 <= t <= on + 20 for t in lds) for on, lds in runs)
    assert hits >= 18, hits


def test_an_ejection_that_begins_as_a_massage_ends_is_reported_once_the_weight_settles():
    # a first ejection at 20 s tapers under 3- or 6-g strokes (90-150 s); a weak second one
    # (0.15 g/s, a 16-s rise) begins 6-12 s before they end. Its first grams are under the
    # strokes, and the quiet blocks after them show its flow already steady: the CUSUM's
    # baseline and the slow path's rise both miss it, the floor path finds it 20-26 s late
    # at best (10 of these 24 within 30 s, the time a `letdown` cue is still right). After a
    # taper only a new ejection brings the flow back: a high-flow period on settled, quiet
    # weight with no letdown for it is one (found "milk", detect.py's milk path), its onset
    # from the level's rise in the ring: 24.
    cases = [(on, 16.0, 0.15, g) for on in (138.0, 144.0) for g in (3.0, 6.0)]
    runs = _after_massage(cases, 500, 240)
    for on, lds in runs:
        assert len([t for t in lds if t > 60]) <= 1, (on, lds)
    hits = sum(any(on - 3 <= t <= on + 30 for t in lds) for on, lds in runs)
    assert hits >= 20, hits


def _second_ejection_missed_or_late(ej, seconds, walk, by_s):
    # 12 seeds of one bottle with ejections `ej` and a walk: those whose second ejection was
    # not reported after its start and by `by_s` (seed, events, found)
    late = []
    for s in range(1, 13):
        seed(s)
        found = []
        events = session([ej], seconds, walk=walk, found=found)[0]
        lds = _letdowns(events)
        if len(lds) != 2 or not ej[1][0] < lds[1] <= by_s:
            late.append((s, events, found))
    return late


def test_an_ejection_that_starts_as_a_walk_ends_is_found_from_its_flow_after_the_walk():
    # a first ejection has decayed (tau 12 s) before a 20-s walk (no accelerometer, held as
    # rough); a second one (0.3 g/s over 16 s) starts at 76 s, 4 s before the walk ends. When
    # the weight is good again, its extra milk over the level before (projected by the flow
    # before) may still be under the resume path's margin, which grows with the walk's
    # length; but the flow after is far above the flow before (>= 150 mg/s more), which only
    # a new ejection does, and the reference is under 30 s old. Found by 94 s on 12 seeds; the
    # code that waited for the level found 9 of 12, at 92-96 s
    ej = [(20.0, 10.0, 0.4, 12.0), (76.0, 16.0, 0.3, 40.0)]
    late = _second_ejection_missed_or_late(ej, 160, (60.0, 80.0, 4.0, 2.0), 94)
    assert late == [], late


def test_an_ejection_that_starts_just_after_a_long_walk_is_dated_from_its_flow_ramp():
    # the same, with a 40-s walk (60-100 s) and the second ejection (0.4 g/s over 14 s)
    # starting at 103 s: the level before is over 30 s old, so the onset could lie anywhere in
    # the walk, but the flow ramps up through the good blocks after it (their first and newest
    # 5 blocks' flows, extrapolated back to the flow before, date it 10 blocks back). Found at
    # 119 s in 11 of 12 seeds (seed 9 at 129 s by the floor path); the code before found none
    # by 123 s (6 at 129 s, 6 not at all)
    ej = [(20.0, 12.0, 0.3, 25.0), (103.0, 14.0, 0.4, 40.0)]
    late = _second_ejection_missed_or_late(ej, 170, (60.0, 100.0, 4.0, 2.0), 123)
    assert len(late) <= 1, late


def test_a_walk_without_milk_after_a_flow_gives_no_letdown():
    # flow from an earlier ejection decays during the walk: the level after is what the
    # flow before projected (or less), so no new letdown
    for s in (5, 3, 9):
        seed(s)
        events = session([[(20.0, 12.0, 0.3, 20.0)]], 160, walk=(70.0, 110.0, 4.0, 2.0))[0]
        assert len(_letdowns(events)) == 1, (s, events)


def test_an_ejection_under_massage_strokes_is_found_on_the_floor_within_20_s():
    # the first ejection tapers; the wearer massages (5-g strokes every 4 s) from 90 s to
    # 200 s and a weaker second ejection (0.3 g/s, 16-s rise) starts at 130 s under the
    # strokes. The weight never settles, so only the floor between strokes (a hand only adds
    # weight) can show it: found "floor" in all 6 noise seeds within 22 s, in at least 4 of
    # them within 20 s (the code before the floor path found it in none)
    within_20 = 0
    for s in (1, 2, 3, 4, 5, 6):
        seed(s)
        found = []
        events = under_strokes(found=found)
        lds = _letdowns(events)
        assert lds and lds[0] < 40, (s, events)  # the first ejection, on quiet blocks
        assert len(lds) == 2, (s, events)
        assert 130 <= lds[1] <= 152 and found[-1] == ev.FOUND_FLOOR, (s, events, found)
        if lds[1] <= 150:
            within_20 += 1
    assert within_20 >= 4, within_20


def test_an_ejection_under_massage_strokes_is_weighed_before_its_floor_letdown():
    # the same case: the floor path's extra rise reaches half its need a second or more before
    # its letdown (Detector.weighing: the coach's next step waits meanwhile; many-300 of
    # seeds 300 was told `massage` 6 s into an ejection under strokes at 0.18 g/s), while the
    # strokes alone, before the ejection, are seldom weighed (the code before weighed only the
    # CUSUM, blind under strokes: nothing between 130 s and the letdown)
    for s in (1, 2, 3, 4, 5, 6):
        seed(s)
        found, weighed = [], []
        lds = _letdowns(under_strokes(found=found, weighing=weighed))
        assert len(lds) == 2 and found[-1] == ev.FOUND_FLOOR, (s, lds, found)
        assert any(130 <= w < lds[1] for w in weighed), (s, lds, weighed)
        assert len([w for w in weighed if 92 <= w < 130]) <= 3, (s, weighed)


def test_a_bottle_no_hand_presses_finds_its_ejection_while_the_other_is_massaged():
    # one accelerometer for both bottles: a hand massaging bottle 1 (5-g strokes every 4 s
    # from 90 s to 200 s) shakes it, and it says `moving` throughout. Bottle 2 is not pressed
    # and a weak ejection (0.12 g/s, 20-s rise) starts there at 130 s, none on bottle 1. Its
    # weight shows none of the motion, so its blocks are quiet once the motion has lasted 8
    # blocks: found within 25 s in at least 6 of 8 seeds (measured 7). The code before took
    # every moving block for not quiet and found it in 1 (at 151 s), by the floor path
    within = 0
    for s in range(1, 9):
        seed(s)
        first = [(20.0, 10.0, 0.5, 20.0)]
        ej = first + [(130.0, 20.0, 0.12, 40.0)]
        events = session([first, ej], 220, press=(90.0, 200.0, 5.0, 0), moving=(90.0, 202.0))
        lds = _letdowns(events[1])
        assert len(lds) <= 2 and lds[0] < 40, (s, events)
        if len(lds) == 2 and 130 < lds[1] <= 155:
            within += 1
    assert within >= 6, within


def test_a_bottle_a_walk_shook_finds_its_ejection_while_a_hand_then_massages_the_other():
    # one accelerometer, `moving` from 60 s to 185 s: a walk (to 100 s, a 3-g lift of both
    # bottles at 84 s in it), then a hand massaging bottle 2 (4-g strokes from 99 s). Bottle 1
    # fell during the walk, on rough blocks: the walk's falls, not a hand's. A weak ejection
    # (0.2 g/s, 12-s rise) on bottle 1 alone at 125 s is found within 15 s in at least 9 of 12
    # (measured 10). The code before took any fall while moving for a hand on the bottle, and
    # bottle 1 stayed not quiet until the motion ended: 0 within 15 s, 6 within 20 s (many-202
    # of seeds 200 on fresh noise: an ejection on the free bottle missed)
    within = 0
    for amp in (1.5, 3.0):
        for s in range(1, 7):
            seed(s)
            first = (20.0, 10.0, 0.5, 25.0)
            events = session(
                [[first, (125.0, 12.0, 0.2, 25.0)], [first]],
                190,
                walk=(60.0, 100.0, amp, 2.0),
                bump=(84.0, 6.0, 3.0),
                moving=(60.0, 185.0),
                press=(99.0, 185.0, 4.0, 1),
            )
            lds = _letdowns(events[0])
            assert len(lds) <= 2 and lds[0] < 40, (amp, s, events)
            if len(lds) == 2 and 125 < lds[1] <= 140:
                within += 1
    assert within >= 9, within


def test_a_bottle_a_tilt_turned_finds_its_ejection_while_a_hand_massages_the_other():
    # one accelerometer, `moving` from 90 s to 212 s: a hand massaging bottle 1 (5-g strokes
    # to 210 s). Both bottles tilt 15-25 degrees from 105 s to 122 s, as the accelerometer
    # reports; they weigh 105-150 g where the firmware assumes 125, so the correction leaves
    # bottle 2's weight a gram off as the tilt turns in and out: the tilt's, not a hand's.
    # An ejection (0.2 g/s, 12-s rise) on both at 130 s: bottle 2, which no hand presses,
    # finds it within 20 s in at least 15 of 18 (measured 18). The code before took a fall
    # while moving for a hand on the bottle, even one that came as the tilt turned, and kept
    # bottle 2 not quiet until the motion ended: 7 of 18 (late_lactation-203 of seeds 200 on
    # fresh noise: a 15-degree tilt during the other bottle's massage, its onset never found)
    within = 0
    for deg, bottle_g in ((15.0, 150.0), (20.0, 145.0), (25.0, 105.0)):
        for s in range(1, 7):
            seed(s)
            ej = [(20.0, 10.0, 0.5, 20.0), (130.0, 12.0, 0.2, 30.0)]
            events = session(
                [ej, ej],
                220,
                press=(90.0, 210.0, 5.0, 0),
                moving=(90.0, 212.0),
                accel_tilt=(105.0, 122.0, deg, bottle_g),
            )
            lds = _letdowns(events[1])
            assert len(lds) <= 2 and lds[0] < 40, (deg, s, events)
            if len(lds) == 2 and 130 < lds[1] <= 150:
                within += 1
    assert within >= 15, within


def test_the_first_strokes_of_a_massage_that_shakes_the_accelerometer_give_no_letdown():
    # no milk; massage strokes (the bench generator's: 1-4 g, one each 3-6 s) on the bottle
    # from 60 s, the accelerometer saying `moving` from their start. Until the first stroke
    # lets go nothing marks the weight unsettled, and its rise is as smooth as an onset's: a
    # moving block is not quiet for the first 8 (0 letdowns in these 72 sessions; 3 when a
    # moving block could be quiet from the first)
    for stroke_s in (3.0, 4.5, 6.0):
        for peak in (1.0, 2.0, 4.0):
            for s in range(1, 9):
                seed(s)
                events = session(
                    [[]],
                    120,
                    strokes=(60.0, 110.0, peak, stroke_s),
                    moving=(60.0, 112.0),
                    hands_free=True,
                    sigma_g=0.2,
                )[0]
                assert not _letdowns(events), (stroke_s, peak, s, events)


def _weak_slow_ejection_under_strokes(hands_free):
    # 3- or 5-g strokes every 4 s from 90 s to 230 s on a bottle whose first ejection has
    # tapered, and a weak, slow second one (0.16 g/s, 12-s rise: 2.2 g in its first 20 s) at
    # 140 s, its onset (10 % of its peak) at 142.5 s: how many of 12 noise runs find it within
    # 30 s (a `letdown` cue is still right then), on the floor; the same strokes without the
    # second ejection must give no letdown
    hits = 0
    for strokes in (3.0, 5.0):
        for s in (1, 2, 3, 4, 5, 6):
            seed(s)
            found = []
            events = session(
                [[(20.0, 12.0, 0.5, 25.0), (140.0, 12.0, 0.16, 20.0)]],
                240,
                press=(90.0, 230.0, strokes),
                hands_free=hands_free,
                found=found,
            )[0]
            lds = [t for t in _letdowns(events) if t > 60]
            assert len(lds) <= 1, (strokes, s, events)
            if lds:
                assert 142.5 - 3 <= lds[0] <= 142.5 + 30, (strokes, s, events)
                assert found[-1] == ev.FOUND_FLOOR, (strokes, s, found)
                hits += 1
            seed(s)
            one = [[(20.0, 12.0, 0.5, 25.0)]]
            events = session(one, 240, press=(90.0, 230.0, strokes), hands_free=hands_free)[0]
            assert len(_letdowns(events)) == 1, (strokes, s, events)
    return hits


def test_a_weak_slow_ejection_under_massage_strokes_is_found_within_30_s_while_hands_are_on():
    # the coach asked for massage (hands on: Detector.hands_free False), and the weak, slow
    # ejection of _weak_slow_ejection_under_strokes comes under the strokes. Over 8 blocks it
    # rises little faster than the slope before, which holds its own start: the 8-block floor
    # test never passes (the code before found none of these 12). The 12-block test against
    # the 12 before, run while hands are on, finds it within 30 s in at least 9 of 12
    hits = _weak_slow_ejection_under_strokes(False)
    assert hits >= 9, hits


def _joint_ejection_under_strokes(peak_g, seeds):
    # two bottles, hands on: 3- or 5-g strokes every 4 s on both from 90 s to 230 s after a
    # first ejection at 20 s, and a weak second one (peak_g g/s, 12-s rise) on both at 140 s,
    # its onset (10 % of its peak) at 142.5 s. Each bottle's first letdown after 60 s (None
    # when it had none; never two), and each session's `found` (strokes, seed, list); the same
    # strokes with no second ejection must give no letdown after the first
    firsts = []
    founds = []
    for strokes in (3.0, 5.0):
        for s in seeds:
            seed(s)
            found = []
            ej = [(20.0, 12.0, 0.5, 25.0), (140.0, 12.0, peak_g, 20.0)]
            events = session([ej, ej], 240, press=(90.0, 230.0, strokes), found=found)
            for ch in (0, 1):
                lds = [t for t in _letdowns(events[ch]) if t > 60]
                assert len(lds) <= 1, (strokes, s, ch, events)
                firsts.append(lds[0] if lds else None)
            founds.append((strokes, s, found))
            seed(s)
            events = session([ej[:1], ej[:1]], 240, press=(90.0, 230.0, strokes))
            assert [len(_letdowns(e)) for e in events] == [1, 1], (strokes, s, events)
    return firsts, founds


def _within(firsts, late_s):
    # bottles whose letdown came within -3 .. +30 s of the onset and no later than late_s
    return sum(1 for t in firsts if t is not None and 142.5 - 3 <= t <= 142.5 + min(late_s, 30))


def test_a_weak_ejection_on_both_bottles_under_strokes_is_found_on_their_joint_12_block_rise():
    # _joint_ejection_under_strokes at 0.12 g/s, 6 noise seeds. Each bottle's 12-block rise
    # alone stays under its need; the breasts eject together, so the two bottles' 12-block
    # extras are taken together, as their 8-block ones are. Found within 30 s on all 24
    # bottles and within 20 s on at least 21 (the code that took only the 8-block extras
    # together: 20 and 18), by the floor path
    firsts, founds = _joint_ejection_under_strokes(0.12, range(1, 7))
    for strokes, s, found in founds:
        assert all(f == ev.FOUND_FLOOR for f in found[2:]), (strokes, s, found)
    assert _within(firsts, 30) == 24, firsts
    assert _within(firsts, 20) >= 21, firsts


def test_a_weaker_ejection_on_both_bottles_under_strokes_is_found_on_their_joint_rise():
    # _joint_ejection_under_strokes at 0.08 g/s, 12 noise seeds: each bottle's rise alone
    # stays under its need, and the two together pass the joint test at 0.62 x the sum of the
    # needs. At 0.71 (sqrt(2) x one need) a joint false alarm, though it gives two letdowns,
    # came under a press less often than one bottle's own: offline in the two-bottle sessions
    # of the bench's fifteen sets at draws 103-104, 18-20 at 0.71 and 24-34 at 0.62, against
    # 48-66 for one bottle's extra over 1.2 g, and 0.62 found 17-22 more onsets
    # (docs/detection-history.md, round 69). No letdown outside -3 .. +30 s of the onset;
    # found within 20 s on at least 24 of the 48 bottles (the code at 0.71: 18)
    firsts, _ = _joint_ejection_under_strokes(0.08, range(1, 13))
    assert _within(firsts, 30) == sum(1 for t in firsts if t is not None), firsts
    assert _within(firsts, 20) >= 24, firsts


def test_strokes_the_coach_did_not_ask_for_still_get_the_12_block_floor_test():
    # the bench's hand and a real one press when they like, not when the coach asks: the
    # coach still waits on a taper (Detector.hands_free True) while the strokes and the weak,
    # slow ejection of _weak_slow_ejection_under_strokes come. The weight that has not stayed
    # settled for 9 blocks says a hand is on the bottle as well as the coach could: the
    # 12-block floor test runs and finds it within 30 s in at least 9 of 12 (the code that
    # took the coach's word alone found none)
    hits = _weak_slow_ejection_under_strokes(True)
    assert hits >= 9, hits


def test_the_other_bottles_letdown_re_arms_a_bottle_whose_flow_has_not_fallen():
    # both bottles eject at 20 s under a 40-degree tilt (15-45 s, past the correction: held),
    # which hides their peaks. Bottle 1's flow decays fast; bottle 2's hardly at all (0.5 g/s,
    # a time constant of 50 min), so its flow never falls the 20 % under its peak that re-arms
    # it. A second ejection on both at 60 s (onset, 10 % of its peak, at 62.4 s): bottle 1
    # finds it; its fresh letdown re-arms bottle 2 (the breasts eject together), which finds
    # it within 20 s in at least 6 of 8 noise seeds (the code before: 2 of 8, and 2 more over
    # 20 s late). The same without bottle 2's second ejection: no letdown on it
    within_20 = 0
    for s in range(1, 9):
        seed(s)
        ej1 = [(20.0, 10.0, 0.5, 15.0), (60.0, 12.0, 0.4, 30.0)]
        ej2 = [(20.0, 10.0, 0.5, 3000.0), (60.0, 12.0, 0.4, 30.0)]
        tilt = (15.0, 45.0, 40.0, 125.0)
        events = session([ej1, ej2], 150, hands_free=True, accel_tilt=tilt)
        lds = [t for t in _letdowns(events[1]) if t > 50]
        assert len(lds) <= 1, (s, events)
        within_20 += bool(lds) and lds[0] <= 62.4 + 20
        seed(s)
        events = session([ej1, ej2[:1]], 150, hands_free=True, accel_tilt=tilt)
        assert not [t for t in _letdowns(events[1]) if t > 50], (s, events)
    assert within_20 >= 6, within_20


def test_a_small_walk_without_milk_gives_no_letdown_on_the_floor():
    # a 1.5-g swing pulls the lowest bins down, and the floor rises back after the walk:
    # weight returning is not milk (the floor restarts until the weight is back up)
    for s in (1, 2, 3):
        seed(s)
        events = session([[]], 240, walk=(60.0, 110.0, 1.5, 2.0))[0]
        assert not _letdowns(events), (s, events)


def test_an_ejection_that_starts_as_the_bottle_tilts_is_reported_from_its_flow_in_the_tilt():
    # no accelerometer: a 40-degree tilt from 60 s to 100 s drops the reading by ~30 g, and
    # an ejection starts at 61 s. The level during the tilt cannot be compared with the level
    # before (another frame), but the milk still adds weight there: once the flow stage has
    # good blocks in the tilt, a flow there far above the flow before is the letdown, within
    # 30 s of the onset (late: the tilt hid the rise)
    for s in (5, 3, 9):
        seed(s)
        found = []
        events = session([[(61.0, 10.0, 0.5, 40.0)]], 140, tilt=(60.0, 100.0, 40.0), found=found)[
            0
        ]
        lds = _letdowns(events)
        assert len(lds) == 1, (s, events)
        assert 61 < lds[0] <= 61 + 30, (s, events, found)


def test_a_tilt_without_milk_gives_no_letdown():
    # the same tilt with a decaying flow from an earlier ejection, and with no milk at all
    for s in (5, 3, 9):
        seed(s)
        events = session([[(20.0, 12.0, 0.3, 20.0)]], 160, tilt=(70.0, 110.0, 40.0))[0]
        assert len(_letdowns(events)) == 1, (s, events)
        seed(s)
        events = session([[]], 160, tilt=(70.0, 110.0, 40.0))[0]
        assert _letdowns(events) == [], (s, events)


def test_an_ejection_just_before_a_tilt_without_an_accelerometer_is_reported_in_the_tilt():
    # milk flows at ~0.4 g/s when a new ejection starts at 100 s (its flow passes 10 % of its
    # peak at ~101.6 s) and the wearer leans 20-25 degrees from 103 s to 125 s with no
    # accelerometer: the reading falls by (bottle + milk) x (1 - cos), 9-16 g. A hand only
    # adds weight, so a fall under every level milk allows is no stroke let go: the flow stage
    # re-bases it after half `flow_rebase_s`, without waiting out an unsettled weight, and the
    # resume path weighs the flow in the tilt as soon as it has its good blocks. Before, the
    # fall was held as a press's release and re-based after 10 s, and the letdown came at
    # 121 s, +19.4 s (continuous-402 of seeds 400 on fresh noise: +21.7 s, a late find)
    for rate in (5, 10):
        for deg in (20.0, 25.0):
            for s in range(1, 9):
                seed(s)
                ej = [(10.0, 12.0, 0.5, 300.0), (100.0, 8.0, 0.35, 80.0)]
                events = session([ej], 170, rate_hz=rate, tilt=(103.0, 125.0, deg))[0]
                lds = _letdowns(events)
                assert len(lds) == 2, (rate, deg, s, events)
                assert 101.6 < lds[1] <= 119.0, (rate, deg, s, events)
                # ... and the same tilt with no new ejection gives no letdown
                seed(s)
                events = session([ej[:1]], 170, rate_hz=rate, tilt=(103.0, 125.0, deg))[0]
                assert len(_letdowns(events)) == 1, (rate, deg, s, events)


def test_an_ejection_20_s_after_a_tilt_is_found_on_the_blocks_after_the_rebase():
    # no accelerometer: a strong first ejection has filled the bottle, a 31-degree tilt from
    # 50 s to 72 s drops the reading by ~25 g (believed: no lower than the level a minute
    # before), and its return is re-based as an offset once the weight is steady again. The
    # block that re-bases comes in the old frame, the blocks after it in the new one; the
    # detector moves it to the new frame, so the CUSUM's first baseline after the tilt is
    # whole and a second ejection at 95 s is found on it within 13 s. With that block left
    # a frame away the first decision restarted the baseline: found at 110-111 s (continuous-302
    # of seeds 300: +21 s instead of +11 s).
    for s in range(1, 13):
        seed(s)
        found = []
        ej = [(10.0, 12.0, 0.8, 150.0), (95.0, 12.0, 0.4, 80.0)]
        events = session([ej], 150, tilt=(50.0, 72.0, 31.0), found=found)[0]
        lds = _letdowns(events)
        assert len(lds) == 2, (s, events, found)
        assert 95 < lds[1] <= 95 + 13, (s, events, found)


def test_a_tilt_without_an_accelerometer_over_a_decaying_flow_gives_no_slow_letdown():
    # the reading falls by (bottle + milk) x (1 - cos) for 23 s and comes back, on two bottles
    # whose first ejection is decaying at ~0.1 g/s. The lower envelope's slope over the window
    # before spans the fall: strongly negative, and "the flow now well above the flow before"
    # passed on a weak flow. Milk never leaves: an envelope that fell before is no flow the
    # slow path can compare with (2 false letdowns in these 96 bottles before)
    for deg in (15.0, 20.0, 25.0, 30.0):
        for s in range(1, 13):
            seed(s)
            ej = [(10.0, 12.0, 0.35, 60.0)]
            events = session([ej, ej], 200, tilt=(100.0, 123.0, deg))
            for ch in (0, 1):
                assert len(_letdowns(events[ch])) == 1, (deg, s, ch, events[ch])


def _lean_letdowns(ej, deg, lean=(60.0, 110.0), seconds=160, hands=(True, False)):
    # both bottles with ejections `ej`; the wearer leans `deg` degrees over `lean` (s) with no
    # accelerometer: the cell reads (bottle + milk) x cos, 0.7-1.2 g less at 6-8 degrees,
    # under the flow stage's jump and unsettled thresholds (nothing holds it). The letdowns
    # of each bottle, seeds 1-12, pumping hands free and with hands on
    out = []
    for hands_free in hands:
        for s in range(1, 13):
            seed(s)
            events = session([ej, ej], seconds, tilt=lean + (deg,), hands_free=hands_free)
            out += [_letdowns(e) for e in events]
    return out


def test_a_small_lean_without_an_accelerometer_gives_no_letdown_when_she_sits_up():
    # no milk, a 50-s lean. The CUSUM's baseline settled on the leaned level and the rise back
    # read as an onset: 101 letdowns in these 144 bottles before. The fall, fast and from a
    # settled level, is no milk; the rise back to where it fell from restarts the baseline
    # instead (pipeline/detect.py: a small lean)
    n = 0
    for deg in (6.0, 7.0, 8.0):
        n += sum(len(lds) for lds in _lean_letdowns([], deg))
    assert n <= 16, n


def test_a_small_lean_a_minute_after_an_ejection_gives_no_second_letdown():
    # the same lean from 120 s to 170 s, after an ejection at 20 s (0.5 g/s, decaying, tau
    # 25 s: a trickle by then): one letdown per bottle, at the ejection. Before: a second one
    # at the return on 92 of these 96 bottles
    found = []
    for deg in (7.0, 8.0):
        found += _lean_letdowns([(20.0, 12.0, 0.5, 25.0)], deg, (120.0, 170.0), 200)
    assert all(lds and 20 < lds[0] <= 20 + 12 for lds in found), found
    assert sum(len(lds) - 1 for lds in found) <= 8, found


def test_an_ejection_10_s_after_she_sits_up_from_a_small_lean_is_found():
    # the lean's return restarts the baseline, not the evidence of milk after it: an ejection
    # at 120 s is found within 10 s on nearly every bottle. Before: the return itself was the
    # letdown (at 111-118 s), and the true one came 15 s late or not at all (disarmed)
    found = _lean_letdowns([(120.0, 12.0, 0.4, 40.0)], 7.0, seconds=200, hands=(True,))
    early = sum(1 for lds in found for t in lds if t <= 120)
    on_time = sum(1 for lds in found if [t for t in lds if 120 < t <= 130])
    assert early <= 3 and on_time >= 20, found


def test_a_tilt_without_an_accelerometer_while_milk_flows_gives_no_second_letdown():
    # pumping hands free, both bottles 20 s into an ejection's decay (~0.35 g/s), the wearer
    # leans 12 degrees from 50 s to 80 s: ~2 g off each reading, over two blocks with the
    # flow going on, so the flow stage does not hold it. The floor (the lowest of 7 blocks'
    # lowest bins) lags a flow by ~2 g and took the fall into that lag unseen; the flow after
    # it, against the flat stretch before, read as a new ejection at 64 s on all 24 bottles
    found = _lean_letdowns([(20.0, 12.0, 0.5, 60.0)], 12.0, (50.0, 80.0), 120, (True,))
    assert all(lds and 20 < lds[0] <= 20 + 12 for lds in found), found
    assert sum(len(lds) - 1 for lds in found) <= 4, found


def test_an_ejection_under_a_steady_tilt_the_accelerometer_reports_is_found_in_the_tilt():
    # an accelerometer: both bottles (145 g each, the firmware assumes 125 g) tilt 25 degrees
    # from 60 s to 130 s and two ejections start at 61 s. The correction leaves a constant
    # error of ~0.2 g while the tilt holds, so the weight's rise in it is milk: the letdown
    # comes inside the tilt, within the 20 s an onset is found in (the tilt cosine below
    # ~12 deg had every block not quiet: nothing until the bottles stood up again at 130 s)
    ej = [(61.0, 10.0, 0.4, 40.0)]
    _found_on_both_within_20_s((5, 3, 9), ej, 170, accel_tilt=(60.0, 130.0, 25.0, 145.0))


def test_an_ejection_still_speeding_up_in_a_steady_tilt_is_found_on_the_stretchs_flow():
    # an accelerometer: both bottles (140 g) tilt 27 degrees from 100 s to 150 s over a
    # decaying flow, and a slow ejection (25-s rise) starts as the bottles turn, while the
    # flow stage holds. At the resume path's first test, 6 blocks into the steady tilt, its
    # flow is still under the 150 mg/s above the flow before that a changed frame needs; the
    # test is now repeated up to the 12th block on the flow over the whole stretch, two
    # standard errors under its slope (many-007 of the fixed set). Each bottle is found within
    # 20 s of the onset (10 % of the peak flow) in 16 noise seeds (the code before: 25 of 32
    # bottles, the others 1-2 s late); with no second ejection, or a wearer leaning on from 20
    # to 32 degrees, or bottles of 100 g or 150 g, no letdown in the tilt
    ej = [(20.0, 10.0, 0.3, 25.0), (100.0, 25.0, 0.3, 40.0)]
    onset_s = 100.0 + 0.205 * 25.0
    late = []
    for s in range(1, 17):
        seed(s)
        events = session([ej, ej], 200, accel_tilt=(100.0, 150.0, 27.0, 140.0))
        for ch in (0, 1):
            lds = [t for t in _letdowns(events[ch]) if t > 60]
            if len(lds) != 1 or not onset_s - 3 <= lds[0] <= onset_s + 20:
                late.append((s, ch, lds))
    assert late == [], late
    false = []
    for tilt in ((27.0, 140.0), (20.0, 100.0, 32.0), (35.0, 150.0), (27.0, 100.0)):
        for s in range(1, 9):
            seed(s)
            events = session([ej[:1], ej[:1]], 200, accel_tilt=(100.0, 150.0) + tilt)
            for ch in (0, 1):
                false += [(tilt, s, ch, t) for t in _letdowns(events[ch]) if t > 60]
    assert false == [], false


def _found_on_both_within_20_s(seeds, ej, seconds, **kw):
    # two bottles with the same ejections `ej` (the last one's onset is tested): one letdown
    # on each, within 20 s of that onset, in every seed
    onset_s = ej[-1][0]
    for s in seeds:
        seed(s)
        events = session([ej, ej], seconds, **kw)
        for ch in (0, 1):
            lds = _letdowns(events[ch])
            assert len(lds) == 1, (s, ch, events)
            assert onset_s < lds[0] <= onset_s + 20, (s, ch, events)


def test_a_first_ejection_already_rising_when_the_baseline_begins_is_not_taken_for_a_press():
    # an accelerometer: both bottles (115 g) tilt 24 degrees from 95 s to 132 s, and the
    # bottles' first ejections start at 96 s, in the turn the flow stage holds. The CUSUM's
    # baseline then lies on the rise itself: the line through it falls behind a flow still
    # speeding up, and the first residual tested exceeded what milk adds in one block (the
    # physics check against a press), which restarted the baseline on the rise again, every
    # 6-10 blocks (continuous-204 of seeds 200: bottle 2 never found). A smooth rise (its
    # flow changing by no more than milk's may) on a bottle with no letdown yet whose
    # baseline already rises at 60 mg/s is milk: both bottles found within 20 s in every
    # seed (the code before missed a bottle in seeds 1, 2 and 3)
    ej = [(96.0, 15.0, 0.4, 60.0)]
    _found_on_both_within_20_s((1, 2, 3, 4), ej, 200, accel_tilt=(95.0, 132.0, 24.0, 115.0))


def test_a_steady_tilt_the_accelerometer_reports_gives_no_letdown_without_an_ejection():
    # the correction's error is the same on both bottles (one accelerometer) and steps at the
    # tilt: bottles of 100 g and 150 g (the firmware assumes 125 g: +-4 g at 28 deg), no milk
    # or a decaying flow from an earlier ejection, a 28-degree tilt for 60 s: no letdown
    for s in (5, 3, 9):
        for bottle_g in (100.0, 150.0):
            seed(s)
            events = session([[], []], 170, accel_tilt=(60.0, 120.0, 28.0, bottle_g))
            assert not _letdowns(events[0]) and not _letdowns(events[1]), (s, bottle_g, events)
            seed(s)
            ej = [(20.0, 12.0, 0.3, 20.0)]
            events = session([ej, ej], 170, accel_tilt=(60.0, 120.0, 28.0, bottle_g))
            for ch in (0, 1):
                assert len(_letdowns(events[ch])) == 1, (s, bottle_g, events)


def test_a_shorter_tilt_the_accelerometer_reports_over_a_decaying_flow_gives_no_second_letdown():
    # the same correction error at 15-27 degrees for 28 s, two bottles of 100 g or 145 g whose
    # first ejection is decaying: the turn back upright steps the corrected weight by up to
    # ~1.6 g, which the 8-block flow spans as a new high-flow period after the taper. The
    # milk path waits, as the slow path does, until that step has left the flow's window.
    # Before, 6 false letdowns in these 72 bottles, all at 22 degrees with 145 g, 8-9 s after
    # the turn (found "milk")
    false = []
    for deg in (15.0, 22.0, 27.0):
        for bottle_g in (100.0, 145.0):
            for s in range(1, 7):
                seed(s)
                ej = [(20.0, 10.0, 0.4, 15.0)]
                events = session([ej, ej], 170, accel_tilt=(60.0, 88.0, deg, bottle_g))
                for ch in (0, 1):
                    false += [(deg, bottle_g, s, ch, t) for t in _letdowns(events[ch]) if t > 40]
    assert false == [], false


def test_a_slow_lean_the_accelerometer_reports_gives_no_letdown():
    # an accelerometer, bottles of 100 g (the firmware assumes 125 g): the wearer leans on
    # from 12 to 28 degrees over 20 s, too slowly for a turn (the cosine changes ~4/1024 a
    # block). The correction's error grows by ~2.4 g meanwhile, like milk: the detector drops
    # blocks whose possible error moved (Block.tilt_err_mg), and the resume path compares the
    # levels with that error in its margin. No letdown (the code before found one on both
    # bottles at 68 s in every seed); a 150-g bottle's error falls instead
    for s in (5, 3, 9, 1):
        for bottle_g in (100.0, 150.0):
            seed(s)
            events = session([[], []], 170, accel_tilt=(60.0, 80.0, 12.0, bottle_g, 28.0))
            assert not _letdowns(events[0]) and not _letdowns(events[1]), (s, bottle_g, events)


def test_small_massage_strokes_on_both_bottles_at_once_give_no_joint_letdown():
    # both hands compress in step: 0.8-g strokes every 4 s on both bottles, no milk, a quiet
    # cell (0.1 g noise). The first stroke rises on both like an onset for 2 s, and the joint
    # evidence (two bottles' sum) crossed at 63 s in 7 of 8 seeds; a joint crossing after
    # few blocks of evidence now waits a block, as a lone one does, and the stroke has fallen
    for s in range(1, 9):
        seed(s)
        events = session([[], []], 130, press=(60.0, 100.0, 0.8), sigma_g=0.1, ripple_g=0.2)
        assert not _letdowns(events[0]) and not _letdowns(events[1]), (s, events)


def test_held_compressions_without_milk_give_no_letdown():
    # hands-on pumping holds each compression a few seconds: 1-3 g held 5 s, rising and
    # letting go over 0.5 s, 3 s apart, for 3 minutes on a bottle with no milk. Their
    # plateaus are calm blocks a level above the one before, so the resume and CUSUM paths
    # took them for milk once the flow stage had learned them as noise and stopped marking
    # the releases (code before: 76 letdowns in these 32 sessions; with the still noise
    # alone, 3 at 1 g, which the CUSUM's stopped-rise test removes)
    for peak in (1.0, 1.5, 2.0, 3.0):
        for s in range(1, 9):
            seed(s)
            events = session([[]], 260, compress=(60.0, 240.0, peak, 5.0))[0]
            assert not _letdowns(events), (peak, s, events)


def test_the_first_held_compression_of_a_massage_gives_no_letdown():
    # one compression, 0.8-1 g, rising over 0.5 s and held 6 s, on a bottle with no milk
    # while hands may be on it (the lone crossing's confirming block applies). Before the
    # release it is a calm level a block above the one before: the CUSUM crossed and its
    # confirming block saw no fall (code before: 12 letdowns in these 36 sessions). The rise
    # came in one block (spread over 2-3 by the block filter) and stopped, which milk's
    # flow, changing smoothly, does not. (0.8 g at 0.2 g noise, not asserted: 2 in 12, 6
    # before.)
    for sigma_g, peak in ((0.1, 0.8), (0.1, 1.0), (0.2, 1.0)):
        for s in range(1, 13):
            seed(s)
            events = session([[]], 120, compress=(60.0, 67.0, peak, 6.0), sigma_g=sigma_g)[0]
            assert not _letdowns(events), (sigma_g, peak, s, events)


def test_a_rise_of_both_floors_at_once_is_decided_in_one_block():
    # both breasts massaged (5-g strokes every 4 s on both bottles from 90 s to 200 s) and the
    # second ejections (0.2 g/s, 16-s rise) start together at 130 s: the CUSUM is blind under
    # the strokes, and both floors rise. The breasts eject together and a hand presses each on
    # its own, so a rise the other bottle's floor shows too (by at least half this bottle's
    # need) is decided on the first block that passes; a lone one still needs two in a row (a
    # hand's residue, two hands out of step on one bottle, passes once). Bottle 1 found in
    # every seed, within 25 s; the code before missed it in 2 of 8 (seeds 6 and 8)
    for s in range(1, 9):
        seed(s)
        ej = [(20.0, 10.0, 0.5, 20.0), (130.0, 16.0, 0.2, 40.0)]
        events = session([ej, ej], 220, press=(90.0, 200.0, 5.0), sigma_g=0.2)
        lds = [t for t in _letdowns(events[0]) if t > 100]
        assert len(lds) == 1 and 130 < lds[0] <= 155, (s, events)


def test_the_floor_path_needs_less_evidence_just_after_the_other_bottles_letdown():
    # two bottles eject together at 130 s (0.2 g/s, 16-s rise); bottle 2 is under 5-g
    # massage strokes from 90 s, bottle 1 is not and the CUSUM finds its letdown. The
    # breasts eject together (~95 %), so within ld_sync_s of the other bottle's letdown the
    # floor path needs ld_sync_pct (35 %) of its evidence, as the CUSUM does: bottle 2's
    # letdown within 20 s in at least 7 of 12 seeds (measured 8; 6 at 50 %, the default
    # until round 8; the code before the rule found it in 1 of the first 6)
    within = 0
    for s in range(1, 13):
        seed(s)
        ej = [(20.0, 12.0, 0.5, 25.0), (130.0, 16.0, 0.2, 40.0)]
        events = session([ej, ej], 220, press=(90.0, 200.0, 5.0, 1))
        assert len(_letdowns(events[0])) == 2, (s, events)
        second = [t for t in _letdowns(events[1]) if t > 100]
        assert len(second) <= 1, (s, events)
        if second and second[0] <= 130 + 20:
            within += 1
    assert within >= 7, within


def _tilt_in_decay(cases):
    """(tapers_s, letdowns_s) per session: one ejection at 60 s (0.5 g/s, a 15-s rise, tau
    60 s: the flow falls below 0.1 g/s at 60 + 15 + 60 ln 5 = 171.6 s), 5 Hz, and a 30-s tilt
    the accelerometer reports while it decays; cases: (bottle_g, degrees, tilt start_s,
    seed). The firmware assumes a 125-g bottle, so the correction leaves an error of (bottle
    - 125 g) x (1/cos - 1) that steps as the tilt begins and ends (1.5 g at 20 degrees for a
    100-g bottle)."""
    out = []
    for bottle_g, deg, start, s in cases:
        seed(s)
        tilt = (start, start + 30.0, deg, bottle_g)
        events = session([[(60.0, 15.0, 0.5, 60.0)]], 240, rate_hz=5, accel_tilt=tilt)[0]
        out.append(([t for code, t in events if code == ev.EV_TAPER], _letdowns(events)))
    return out


_TILT_CASES = [
    (bottle_g, deg, start, s)
    for bottle_g in (100.0, 150.0)
    for deg in (20.0, 28.0)
    for start in (95.0, 110.0, 125.0)
    for s in (1, 2)
]


def test_a_tilt_of_a_bottle_the_correction_does_not_fit_gives_no_taper_while_milk_flows():
    # The correction's error steps when the tilt begins and ends, and the 8-block flow spans
    # that step for 8 blocks: it read -180 mg/s with 0.25 g/s flowing, and a taper came
    # 7-36 s before the flow's (then a false letdown when the estimate came back: the milk
    # path). 7 of these 24 had one. For 8 blocks after such a step (or after a new frame,
    # whose estimate starts afresh) a low flow is not counted toward a taper when the flow
    # before the step was high: one taper, after the true one, in each
    for case, (tps, lds) in zip(_TILT_CASES, _tilt_in_decay(_TILT_CASES)):
        assert len(tps) == 1 and 171.6 - 5 <= tps[0] <= 171.6 + 45, (case, tps, lds)


def test_a_tilt_of_a_bottle_the_correction_does_not_fit_gives_no_second_letdown():
    # the same 24 sessions: one letdown each. The slow path waited 15 blocks after the tilt
    # error moved, while its window before (ages 10-24) still held the step: with a 150-g
    # bottle at 20 degrees the slope measured from it passed for a rise 20 s into the tilt
    # (2 of these 24, and 5 more after the early taper of the test above)
    for case, (tps, lds) in zip(_TILT_CASES, _tilt_in_decay(_TILT_CASES)):
        assert len(lds) == 1 and 60 <= lds[0] <= 80, (case, tps, lds)


def test_a_slow_dip_of_both_bottles_and_its_return_gives_no_letdown():
    # a lean without an accelerometer: both cells read (bottle + milk) x cos, 0.9 g less at
    # the deepest, falling and coming back over 16 s, no milk, hands free. Milk never leaves:
    # the return gained none, though the line through the dip's blocks falls behind it and
    # the CUSUM saw its return as an onset (code before: a letdown on 14 of these 16 bottles)
    for s in range(1, 9):
        seed(s)
        events = session([[], []], 240, bump=(150.0, 16, -0.9), hands_free=True)
        assert not _letdowns(events[0]) and not _letdowns(events[1]), (s, events)


def test_a_slow_dip_under_massage_strokes_and_its_return_give_no_floor_letdown():
    # the same lean, 1.2 g over 16 s, while 3-g strokes press both bottles: the CUSUM is
    # blind, and the floor fell with the weight and came back; the rise counts from the
    # highest floor before it (code before: a letdown on all 16 bottles, the floor's)
    for s in range(1, 9):
        seed(s)
        events = session([[], []], 300, press=(90.0, 260.0, 3.0), bump=(170.0, 16, -1.2))
        assert not _letdowns(events[0]) and not _letdowns(events[1]), (s, events)


def test_a_longer_dip_under_massage_strokes_and_its_return_give_few_floor_letdowns():
    # the same, the lean 1.0-1.2 g deep and 20-28 s long: longer than the window before the
    # one tested, so the floor it fell from had left that window by the time it came back.
    # Milk never leaves: the highest floor still in the floor path's ring counts too. Letdowns
    # on these 96 bottles: 60 with the code before, 36 now (a 28-s dip still passes: the
    # floor from before it has left the ring)
    n = 0
    for length_s in (20, 24, 28):
        for depth_g in (-1.0, -1.2):
            for s in range(1, 9):
                seed(s)
                events = session(
                    [[], []], 300, press=(90.0, 260.0, 3.0), bump=(170.0, length_s, depth_g)
                )
                n += len(_letdowns(events[0])) + len(_letdowns(events[1]))
    assert n <= 44, n


def test_small_massage_strokes_that_rise_and_fall_back_give_few_letdowns():
    # hands on, no milk after the first ejection: massage strokes of 0.8-1.2 g every 6.5-7 s
    # (the bench's strokes, ramped in over 2 s), too small to unsettle the weight. Each rises
    # like an onset for 2-3 s and falls back; milk never leaves, so a crossing whose newest
    # block lies under a block of its evidence is no letdown (Detector._stopped). The code
    # before gave 44 letdowns in these 72 bottles; 20 now
    n = 0
    for stroke_s in (6.5, 7.0):
        for peak_g in (0.8, 1.0, 1.2):
            for s in range(1, 13):
                seed(s)
                events = session(
                    [[(20.0, 12.0, 0.5, 25.0)]], 170, strokes=(110.0, 160.0, peak_g, stroke_s)
                )[0]
                n += len([t for t in _letdowns(events) if t > 100])
    assert n <= 24, n


def test_an_ejection_under_small_massage_strokes_is_still_found():
    # the same strokes with a second ejection (0.3 g/s, 16-s rise) at 130 s under them: the
    # rule above waits out a stroke's fall, it does not lose the milk. Found within 22 s on
    # every bottle
    for stroke_s in (6.5, 7.0):
        for peak_g in (0.8, 1.2):
            for s in range(1, 7):
                seed(s)
                events = session(
                    [[(20.0, 12.0, 0.5, 25.0), (130.0, 16.0, 0.3, 40.0)]],
                    200,
                    strokes=(110.0, 170.0, peak_g, stroke_s),
                )[0]
                assert [t for t in _letdowns(events) if 128 <= t <= 152], (stroke_s, peak_g, s)


def _unasked_strokes(ejection, start_s):
    """Letdowns (s) of each of 80 bottles at 5 Hz, hands free, with one `ejection` and the
    bench's strokes (1-2 g every 4-6 s, ramped in over 2 s) from `start_s` for 38 s."""
    out = []
    for s in range(1, 21):
        for peak_g, stroke_s in ((1.0, 4.0), (1.5, 4.0), (1.5, 6.0), (2.0, 5.0)):
            seed(s)
            events = session(
                [[ejection]],
                start_s + 40,
                rate_hz=5,
                strokes=(start_s, start_s + 38, peak_g, stroke_s),
                hands_free=True,
                sigma_g=0.3,
            )[0]
            out.append(_letdowns(events))
    return out


def test_strokes_a_wearer_starts_unasked_after_the_taper_are_guarded_though_hands_free():
    # the coach still says hands free (it asks for massage only after its own wait), but the
    # flow has tapered and she massages on her own: the strokes from 200 s on a bottle whose
    # one ejection (0.4 g/s, decaying over 80 s) tapered at ~160 s. A stroke's first rise
    # crosses like an onset; once the bottle has tapered, a lone crossing waits its
    # confirming block hands free too. The code before gave 29 letdowns in these 80 bottles;
    # 11 now. The ejection's own letdown stays
    n = 0
    for lds in _unasked_strokes((30.0, 10.0, 0.4, 80.0), 200.0):
        assert [t for t in lds if 30 <= t <= 50], lds
        n += len([t for t in lds if t > 190])
    assert n <= 16, n


def test_strokes_a_wearer_starts_after_a_weak_ejection_are_guarded_though_hands_free():
    # the same strokes from 120 s on a bottle whose one ejection was weak (0.08 g/s at its
    # peak): its flow never makes a high-flow period, so no taper ever comes to ask the
    # confirming block. After a letdown, hands free, a lone crossing now waits it unless the
    # flow is high and not slowing. The code before gave 15 letdowns from 110 s in these 80
    # bottles; 2 now
    n = sum(
        len([t for t in lds if t > 110])
        for lds in _unasked_strokes((30.0, 10.0, 0.08, 80.0), 120.0)
    )
    assert n <= 6, n


def test_an_ejection_after_the_taper_is_found_as_soon_hands_free():
    # the confirming block after a taper costs a real onset no more than hands on does: a
    # second ejection (0.3 g/s, 12-s rise) at 200 s, hands free, no strokes, found within 22 s
    # on every bottle, and no later than with the coach's hands on (which always waits)
    for s in range(1, 9):
        t = []
        for free in (True, False):
            seed(s)
            events = session(
                [[(30.0, 10.0, 0.4, 40.0), (200.0, 12.0, 0.3, 40.0)]], 260, hands_free=free
            )[0]
            t.append([x for x in _letdowns(events) if 195 <= x <= 222])
        assert len(t[0]) == 1 and len(t[1]) == 1, (s, t)
        assert t[0][0] <= t[1][0], (s, t)


def _two_hands_on_bottle_2(channels, s, start=135.0):
    # massage strokes (6 g, every 4 s) and held compressions (4 g, held 5 s, from 1 s later) on
    # bottle 2 from `start` to 200 s: two hands, no pause between them, so its weight is never
    # good there
    seed(s)
    return session(
        channels,
        230,
        press=(start, 200.0, 6.0, 1),
        compress=(start + 1.0, 200.0, 4.0, 5.0, 1),
    )


def test_a_bottle_blind_under_two_hands_gets_its_letdown_from_the_other_bottles_rise():
    # both breasts eject at 20 s and again at 150 s (0.3 g/s, 12-s rise; 10 % of the peak at
    # ~152 s); bottle 1 is quiet, and its CUSUM finds the second ejection at 160-162 s. Bottle
    # 2, under two hands from 135 s, saw nothing of it: the breasts eject together, so it gets
    # its letdown with bottle 1's, within the letdown window (the code before: none by 172 s in
    # 12 of 12 noise seeds)
    ej = [(20.0, 12.0, 0.5, 25.0), (150.0, 12.0, 0.3, 30.0)]
    for s in range(1, 13):
        events = _two_hands_on_bottle_2([ej, ej], s)
        b1 = [t for t in _letdowns(events[0]) if t > 140]
        b2 = [t for t in _letdowns(events[1]) if t > 140]
        assert len(b1) == 1 and 150 <= b1[0] <= 172, (s, events)
        assert len(b2) == 1 and b1[0] <= b2[0] <= b1[0] + 0.2, (s, events)


def test_a_bottle_that_goes_blind_after_the_onset_gets_its_letdown_from_the_other_bottles_rise():
    # the same ejections, but the two hands come on bottle 2 at 153, 155 or 157 s: after the
    # second ejection began (10 % of its peak at ~152 s), before bottle 1's CUSUM decides
    # (160-162 s). Bottle 2 saw the onset's first blocks, too few to decide on, then nothing
    # it can read until 200 s. Blind when bottle 1's rise is reported, it gets its letdown with
    # it, inside the letdown window, in every run (the code before lent only to a bottle blind
    # since the evidence began: bottle 2 found nothing by 172 s in 4 of the 18)
    ej = [(20.0, 12.0, 0.5, 25.0), (150.0, 12.0, 0.3, 30.0)]
    for start in (153.0, 155.0, 157.0):
        for s in range(1, 7):
            events = _two_hands_on_bottle_2([ej, ej], s, start)
            b1 = [t for t in _letdowns(events[0]) if t > 140]
            b2 = [t for t in _letdowns(events[1]) if t > 140]
            assert len(b1) == 1 and 158 <= b1[0] <= 172, (start, s, events)
            assert len(b2) == 1 and b1[0] <= b2[0] <= 172, (start, s, events)


def test_a_bottle_that_goes_blind_just_after_the_other_bottles_rise_gets_its_letdown_with_it():
    # both breasts eject, bottle 2 3 s later and weaker (0.15 g/s); bottle 1's CUSUM decides at
    # 160-162 s, and bottle 2, still reading its weight then, would decide 1-7 s later (the
    # sync need). Two hands come on bottle 2 0.3 s after bottle 1's letdown: it goes blind
    # before it can, and gets its letdown at its first blind block, within 2 s of bottle 1's
    # (the code before: its own letdown 1-12 s after bottle 1's, within 2 s in 3 of 12 seeds)
    a = [(20.0, 12.0, 0.5, 25.0), (150.0, 12.0, 0.3, 30.0)]
    b = [(20.0, 12.0, 0.5, 25.0), (153.0, 15.0, 0.15, 30.0)]
    for s in range(1, 13):
        seed(s)
        b1 = [t for t in _letdowns(session([a, b], 230)[0]) if t > 140]
        assert len(b1) == 1 and 158 <= b1[0] <= 165, (s, b1)
        events = _two_hands_on_bottle_2([a, b], s, b1[0] + 0.3)
        assert [t for t in _letdowns(events[0]) if t > 140] == b1, (s, events)
        b2 = [t for t in _letdowns(events[1]) if t > 140]
        assert b2 and b1[0] <= b2[0] <= b1[0] + 2.0, (s, b1, events)


def test_no_letdown_is_lent_to_a_bottle_that_can_see_or_never_had_milk():
    # bottle 1's second ejection alone: bottle 2 quiet (it can see there is no milk), or under
    # two hands but with no milk ever (no letdown yet: nothing says it is lactating)
    ej = [(20.0, 12.0, 0.5, 25.0), (150.0, 12.0, 0.3, 30.0)]
    for s in range(1, 7):
        seed(s)
        events = session([ej, ej[:1]], 230)
        assert [t for t in _letdowns(events[1]) if t > 140] == [], (s, events)
        events = _two_hands_on_bottle_2([ej, []], s)
        assert [t for t in _letdowns(events[1]) if 140 < t <= 180] == [], (s, events)


def test_a_letdown_the_walk_path_finds_is_lent_to_a_bottle_blind_under_two_hands():
    # the same, in a walk (4-g swing at 2 Hz on both bottles, 140-185 s): bottle 1's walk path
    # finds the second ejection (0.4 g/s), and bottle 2, under the two hands too, gets its
    # letdown with it (the code before lent only the CUSUM's: none in 8 of 8 noise seeds)
    ej = [(20.0, 12.0, 0.5, 25.0), (150.0, 12.0, 0.4, 40.0)]
    for s in range(1, 9):
        seed(s)
        found = []
        events = session(
            [ej, ej],
            230,
            walk=(140.0, 185.0, 4.0, 2.0),
            press=(135.0, 200.0, 6.0, 1),
            compress=(136.0, 200.0, 4.0, 5.0, 1),
            found=found,
        )
        b1 = [t for t in _letdowns(events[0]) if t > 140]
        b2 = [t for t in _letdowns(events[1]) if t > 140]
        assert len(b1) == 1 and 150 <= b1[0] <= 172, (s, events)
        assert len(b2) == 1 and b1[0] <= b2[0] <= b1[0] + 0.2, (s, events)
        assert found[-2:] == [ev.FOUND_WALK, ev.FOUND_WALK], (s, found)


def test_an_ejection_under_strokes_30_s_after_the_last_letdown_gets_the_12_block_test():
    # hands on, 4-g strokes every 4 s from 90 s to 230 s: a second ejection (0.3 g/s) at
    # 100 s, its letdown at 116-121 s, and a third (0.25 g/s, 12-s rise) at 132 s, its onset
    # at 134.5 s, on the second's decaying flow. The 12-block test's floors reach back 2 x 12
    # blocks and each is the lowest of 7 (6 more): from 30 s after the last letdown none of
    # them holds a block from before it. So the test runs from then, and finds the third
    # within 20 s in at least 4 of 6 noise runs (the code that waited 36 s: 1 of 6); the
    # same without the third ejection gives no third letdown
    within_20 = 0
    for s in (1, 2, 3, 4, 5, 6):
        seed(s)
        ej = [(20.0, 12.0, 0.5, 25.0), (100.0, 12.0, 0.3, 15.0), (132.0, 12.0, 0.25, 20.0)]
        events = session([ej], 240, press=(90.0, 230.0, 4.0))[0]
        lds = [t for t in _letdowns(events) if t > 130]
        assert len(lds) <= 1, (s, events)
        within_20 += bool(lds) and 134.5 - 3 <= lds[0] <= 134.5 + 20
        seed(s)
        events = session([ej[:2]], 240, press=(90.0, 230.0, 4.0))[0]
        assert not [t for t in _letdowns(events) if t > 130], (s, events)
    assert within_20 >= 4, within_20


def test_a_bottle_heavier_than_assumed_leaning_after_its_taper_gives_no_second_taper():
    # one ejection (0.5 g/s at 30 s) tapers at ~95 s; from 114 s to 144 s the wearer leans
    # 12-18 degrees with a bottle of 140-160 g, and the accelerometer reports it (the tilt
    # correction assumes 125 g). The correction's error steps as the lean begins and as it
    # ends, the 8-block flow across each step read a high-flow period, and it tapered again
    # at 158 s: 16 of these 18 runs before (no letdown came in between). A new ejection
    # during such a lean still gets its letdown and its own taper (below)
    for bottle_g, deg in ((140.0, 18.0), (160.0, 12.0), (160.0, 18.0)):
        for s in range(1, 7):
            seed(s)
            events = session(
                [[(30.0, 10.0, 0.5, 25.0)]], 240, accel_tilt=(114.0, 144.0, deg, bottle_g)
            )
            tapers = [t for code, t in events[0] if code == ev.EV_TAPER]
            assert len(tapers) == 1 and tapers[0] < 114, (bottle_g, deg, s, events)
    for s in range(1, 4):
        seed(s)
        ej = [(30.0, 10.0, 0.5, 25.0), (150.0, 10.0, 0.4, 25.0)]
        events = session([ej], 320, accel_tilt=(140.0, 170.0, 18.0, 160.0))[0]
        assert [code for code, _ in events] == [1, 2, 1, 2], (s, events)
        assert 147 <= events[2][1] <= 170 and events[3][1] > 170, (s, events)


def test_massage_strokes_that_begin_just_after_a_tilt_give_no_letdown():
    # no accelerometer, no milk: a tilt of 15-30 degrees ends, and 2-8 s later a hand starts
    # 4-g massage strokes. The strokes' first rise came inside the good blocks the resume path
    # weighs after the tilt, whose slope read it as milk that came during the tilt (control-205
    # of seeds 200 on fresh noise, `bench --seeds 200 --draw 1`: a letdown 4 s into the
    # strokes). A stroke steps the weight faster than milk's flow can change: 5 of these 36
    # gave a letdown before the resume test's smoothness check
    n = 0
    for deg in (15.0, 22.0, 30.0):
        for gap in (2.0, 4.0, 8.0):
            for s in range(1, 5):
                seed(s)
                events = session(
                    [[]], 170, tilt=(60.0, 90.0, deg), strokes=(90.0 + gap, 165.0, 4.0, 5.0)
                )[0]
                n += len(_letdowns(events))
    assert n == 0, n


def test_a_strong_pump_ripple_beating_against_the_bins_gives_no_floor_letdown_at_20_hz():
    # two bottles, a tapering ejection and a weaker one at 300 s, hands free, under a 2.5-g
    # pump ripple at 0.94 Hz (a second harmonic of 0.3) at 20 Hz: the blocks' lowest bins
    # drift through the ripple's cycle. Their plain median read the trough at -0.3 to -0.8 of
    # its amplitude, and the floor path took the beat for milk: both bottles at 245 s (seed 3)
    # and at 220 s (seed 4) with the code before. At 20 Hz and up the lowest bin is unclipped
    for s in (1, 2, 3, 4):
        seed(s)
        events = session(
            [[(30, 12, 0.3, 150), (300, 14, 0.12, 60)]] * 2,
            420,
            rate_hz=20,
            ripple_g=2.5,
            ripple_hz=0.94,
            ripple_h2=0.3,
            hands_free=True,
        )
        for ch in (0, 1):
            found = _letdowns(events[ch])
            assert [t for t in found if not (30 <= t <= 50 or 300 <= t <= 320)] == [], (s, found)
            assert [t for t in found if 300 <= t <= 320], (s, found)


def _true_flow_5s(t, ejections):
    # the bench's truth for tapers: the true flow as a centred 5-s mean (the milk over it / 5)
    return (mass_g(t + 2.5, ejections) - mass_g(t - 2.5, ejections)) / 5


def test_a_flow_near_the_taper_threshold_under_long_strokes_tapers_when_it_falls_under_it():
    # ejections of 0.13 g/s every 100 s decay with a tau of 80 s: the flow hovers at 0.10-0.16
    # g/s, and the wearer massages from 75 s to the end (continuous-404 of seeds 400 at draw
    # 85: 0.12-g/s ejections, presses of 50-85 s, five tapers at 0.11-0.18 g/s of true flow).
    # Under strokes the robust flow scatters with them (0-200 mg/s), and its low blocks count
    # toward a taper while its high ones do not; the floor's slope, which holds a taper while
    # milk still comes, scatters too (80-200 mg/s at 0.11 g/s). Its rise over 16 blocks now
    # holds it as well: 27 tapers at 0.11 g/s or more before (the true tapers at 181 and 286
    # s answered early, outside their window, in 29 of 36), 4 now (4 of 36)
    ejections = [(20.0, 20.0, 0.13, 80.0), (120.0, 20.0, 0.13, 80.0), (220.0, 20.0, 0.13, 80.0)]
    true_tapers = (61.1, 181.2, 286.2)  # where the 5-s mean falls under 0.1 g/s
    early = []
    unanswered = []
    for rate in (10, 20):
        for peak_g, stroke_s in ((2.0, 3.3), (5.0, 4.4), (3.0, 5.5)):
            for s in range(1, 4):
                seed(s)
                out = session(
                    [ejections], 300, rate_hz=rate, strokes=(75.0, 290.0, peak_g, stroke_s)
                )
                tps = [t for code, t in out[0] if code == ev.EV_TAPER]
                early += [(rate, peak_g, s, t) for t in tps if _true_flow_5s(t, ejections) >= 0.11]
                for tt in true_tapers:
                    if not any(tt - 5 <= t <= tt + 45 for t in tps):
                        unanswered.append((rate, peak_g, s, tt, tps))
    assert len(early) <= 4, early
    assert len(unanswered) <= 4, unanswered


def test_a_bottle_no_hand_presses_finds_its_ejection_as_a_hand_starts_on_the_other():
    # one accelerometer, `moving` from 100 s to 192 s: a hand's strokes (3 or 5 g) on bottle 1
    # from 100 s. Both bottles: an ejection at 60 s (0.4 g/s, decaying with a tau of 40 s),
    # and a weak one (0.15 g/s, 12-s rise; its onset, 10 % of the peak, 2.5 s after its start)
    # 0-4 s after the motion starts: its rise lies in the motion's first 8 blocks, not quiet on
    # either bottle (a hand's first strokes rise like an onset). Bottle 2, which no hand
    # presses, finds it within 20 s of the onset in at least 24 of 36 (measured 30): those
    # blocks carry its good stretch and evidence on, to decide at the first quiet block, once
    # the hand is seen on bottle 1 (its weight fell). The code before restarted bottle 2's
    # baseline as the motion began, and found 2 (many-006 of the fixed set at draw 112: a
    # 2.8-g onset as a hand began on the other bottle, never reported)
    within = 0
    for d in (0.0, 2.0, 4.0):
        for peak in (3.0, 5.0):
            for s in range(1, 7):
                seed(s)
                ej = [
                    (20.0, 10.0, 0.5, 20.0),
                    (60.0, 10.0, 0.4, 40.0),
                    (100.0 + d, 12.0, 0.15, 30.0),
                ]
                events = session(
                    [ej, ej], 200, press=(100.0, 190.0, peak, 0), moving=(100.0, 192.0)
                )
                assert len(_letdowns(events[0])) <= 3, (d, peak, s, events)
                lds = [t for t in _letdowns(events[1]) if t > 90]
                assert len(lds) <= 1, (d, peak, s, events)
                onset = 100.0 + d + 2.5
                if lds and onset - 3 <= lds[0] <= onset + 20:
                    within += 1
    assert within >= 24, within


def test_strokes_on_both_bottles_as_the_accelerometer_starts_moving_give_few_letdowns():
    # no milk after a first ejection; the bench generator's strokes (0.5-4 g, one each 3 or
    # 6 s) on both bottles from 100 s, the accelerometer moving. A bottle whose weight has not
    # fallen in the motion's first 8 blocks carries its evidence through them when the other
    # bottle's has (a hand seen there), but the two bottles' joint evidence waits for the
    # first quiet block: at most 2 of 64 bottles give a letdown (measured 2, as the code
    # before; 9 with the joint evidence counted in those blocks)
    false = 0
    for peak in (0.5, 1.0, 2.0, 4.0):
        for stroke_s in (3.0, 6.0):
            for s in range(1, 5):
                seed(s)
                first = [(20.0, 10.0, 0.5, 20.0)]
                events = session(
                    [first, first],
                    200,
                    strokes=(100.0, 190.0, peak, stroke_s),
                    moving=(100.0, 192.0),
                    hands_free=True,
                )
                for b in (0, 1):
                    if [t for t in _letdowns(events[b]) if t > 60]:
                        false += 1
    assert false <= 2, false


def test_plain_milk_after_a_tilt_past_the_correction_is_reported_a_block_before_the_first_test():
    # an accelerometer: both bottles tilt 50 degrees from 40 to 70 s (past the correction's
    # 45: held), and their second ejections begin inside the tilt, 14-17 s before its end (0.4
    # g/s over a 10-s rise: 4-6 g by its end). The resume path's first test came at the 6th
    # good block, 77 s here (21-24 s after the onsets; at draw 119, 15 of its 24 late finds
    # were at +20-22 s). With the extra milk and the flow's rise twice what that test asks, it
    # now decides a block sooner: at 76 s in 14 of these 16 bottles (the code before: none)
    early = 0
    for on in (53.0, 56.0):
        for s in (1, 2, 3, 4):
            seed(s)
            ejs = [(10.0, 8.0, 0.3, 15.0), (on, 10.0, 0.4, 60.0)]
            for events in session([ejs, ejs], 140, accel_tilt=(40.0, 70.0, 50.0, 125.0)):
                lds = _letdowns(events)
                assert len(lds) == 2 and 70 < lds[1] <= 77, (on, s, lds)
                early += lds[1] <= 76
    assert early >= 12, early


def test_an_ejection_in_a_second_hold_is_weighed_against_the_good_stretch_between_the_holds():
    # one bottle, an accelerometer: an ejection decays (0.5 g/s, tau 40 s); a hand presses it
    # from 40 to 55 s; its weight is good again for 8-11 blocks; then a 50-degree tilt (past
    # the correction: held) from 75 or 77 s to 100 s, and the next ejection begins inside it,
    # at 85 or 90 s. The resume path kept the level from before the press for its reference:
    # projected by the flow then (~0.3 g/s) over 60 s, it runs 4-8 g past the milk that came
    # as that flow decayed, and hid the new ejection's 3-5 g (late_lactation-203 of seeds 200:
    # no letdown at all, `missed_letdown` in the coach's massage round). The good stretch
    # between the holds, tested against it and found empty, is the reference when the tilt
    # begins: found by 108 s in 12 of these 12 bottles (the code before: 2)
    found = 0
    for start in (75.0, 77.0):
        for on in (85.0, 90.0):
            for s in (1, 2, 3):
                seed(s)
                ejs = [(5.0, 8.0, 0.5, 40.0), (on, 10.0, 0.3, 60.0)]
                events = session(
                    [ejs], 160, press=(40.0, 55.0, 3.0), accel_tilt=(start, 100.0, 50.0, 125.0)
                )[0]
                lds = _letdowns(events)
                assert len(lds) <= 2 and lds[0] < 30, (start, on, s, lds)
                found += len(lds) == 2 and 100 < lds[1] <= 108
    assert found >= 10, found


def test_milk_that_came_during_a_held_tilt_is_weighed_until_the_resume_path_decides():
    # the tilt of test_plain_milk_after_a_tilt_past_the_correction_... (50 degrees, held from
    # 40 to 70 s, ejections from 53 or 56 s), both bottles: from the first good block after
    # the hold until the letdown (76-77 s) the weight stands grams over the level before,
    # projected by the flow before, and the resume path has yet to decide. Detector.weighing
    # says so, and the coach's next step waits (low_volume-202 of seeds 200 at draw 124 was
    # told `hand_express` 14 s into an ejection at 0.27 g/s, 1 s before its letdown). With no
    # second ejection nothing is weighed after the tilt. The code before weighed nothing
    for on in (53.0, 56.0, None):
        for s in (1, 2, 3, 4):
            seed(s)
            ejs = [(10.0, 8.0, 0.3, 15.0)]
            if on:
                ejs.append((on, 10.0, 0.4, 60.0))
            weighed = []
            tilt = (40.0, 70.0, 50.0, 125.0)
            lds = [
                _letdowns(e) for e in session([ejs, ejs], 140, accel_tilt=tilt, weighing=weighed)
            ]
            if on is None:
                assert [len(x) for x in lds] == [1, 1], (s, lds)
                assert not [w for w in weighed if w >= 40], (s, weighed)
            else:
                first = min(x[1] for x in lds)
                assert all(w in weighed for w in range(72, int(first))), (on, s, lds, weighed)


def test_a_new_ejection_in_a_long_hold_after_a_taper_is_not_hidden_by_the_tails_projection():
    # one bottle, an accelerometer: an ejection (0.5 g/s, tau 40 s) has tapered (its flow under
    # 0.1 g/s from ~87 s); a 50-degree tilt (past the correction: held) from 110 to 165 s, and
    # the next ejection begins inside it, at 148, 151 or 154 s (0.25 g/s, 10-s rise). The flow
    # before the tilt (~57 mg/s) is the tail, which only decays: projected over the whole
    # 55-s hold it ran ~1.4 g past the milk the tail brought, and hid much of the new
    # ejection's 2-4 g (many-200 of seeds 200 at draw 127, late_lactation-704 of seeds 700:
    # round 75 in docs/detection-history.md). Projected over 30 s at most, and the ejection
    # dated from the whole flow after: found by 177 s with its onset within 8 s of the truth
    # in 15 of these 15 bottles (the code before: 7); with no second ejection, nothing.
    # Detector.weighing projects the same way (round 76): from the first good block after the
    # tilt to the letdown the coach's next step waits in 15 of 15 (projected over the whole
    # hold: 9); with no second ejection, where the tail outlasted the 30 s, the wait ends with
    # the resume path's tests (12 blocks at most)
    found = 0
    waited = 0
    for on in (148.0, 151.0, 154.0, None):
        for s in (1, 2, 3, 4, 5):
            seed(s)
            ejs = [(15.0, 8.0, 0.5, 40.0)]
            if on:
                ejs.append((on, 10.0, 0.25, 60.0))
            onsets = []
            weighed = []
            tilt = (110.0, 165.0, 50.0, 125.0)
            events = session([ejs], 220, accel_tilt=tilt, onsets=onsets, weighing=weighed)[0]
            lds = _letdowns(events)
            assert lds[0] < 30, (on, s, lds)
            if on is None:
                assert len(lds) == 1, (s, lds)
                after = [w for w in weighed if w >= 165]
                assert not after or after[-1] <= 166 + 12, (s, after)
            else:
                assert len(lds) <= 2, (on, s, lds)
                found += len(lds) == 2 and lds[1] <= 177 and abs(onsets[1] - on) <= 8
                if len(lds) == 2:
                    waited += all(w in weighed for w in range(167, int(lds[1])))
    assert found >= 13, found
    assert waited >= 14, waited


def test_an_ejection_whose_milk_exceeds_a_steady_tilts_correction_error_is_reported_in_time():
    # one bottle, an accelerometer, a bottle 25 g lighter than the 125 g assumed: a steady
    # tilt's correction then errs by the whole of its bound (25 g x (1/cos - 1), 3.9 g at 30
    # degrees). An ejection (0.6 g/s, 8-s rise) begins at 94-96 s and the bottle tilts at 101
    # s, 30 or 40 degrees, to 150 s: by the time the tilt is steady its milk has lifted the
    # weight past all the error can be. The flow stage held that level for `flow_rebase_s`
    # before it re-based, and the letdown came 24-26 s after the onset in half of these
    # bottles (late_me-004 of the fixed set at draw 127: +24 s). The rest over the bound is
    # milk, kept as the level when the tilt is re-based: found within 20 s of the onset in 24
    # of these 24 bottles (the code before: 12); with no second ejection, nothing is reported
    in_time = 0
    for deg in (30.0, 40.0):
        for on in (94.0, 95.0, 96.0, None):
            for s in (1, 2, 3, 4):
                seed(s)
                ejs = [(15.0, 8.0, 0.5, 20.0)]
                if on:
                    ejs.append((on, 8.0, 0.6, 40.0))
                events = session([ejs], 160, accel_tilt=(101.0, 150.0, deg, 100.0))[0]
                lds = _letdowns(events)
                assert lds[0] < 30, (deg, on, s, lds)
                if on is None:
                    assert len(lds) == 1, (deg, s, lds)
                else:
                    assert len(lds) <= 2, (deg, on, s, lds)
                    in_time += len(lds) == 2 and lds[1] - on <= 20
    assert in_time >= 22, in_time
