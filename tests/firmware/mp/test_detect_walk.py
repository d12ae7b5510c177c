"""Letdowns that begin inside a walk (pipeline/detect.py's walk path, issue 12 point 2).

Walking shakes the reading by grams at ~2 Hz: the flow stage holds those blocks (rough) and
its filtered value runs off the weight. The block filter's linear chain (Block.lin_mg: plain
bin means through boxcars with zeros at the step frequencies) follows the milk, and the
detector reports a rise on it during the walk instead of after it.
"""

from shared import events as ev
from synth import seed, session


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
