"""A bottle lifted off the scale and put back, emptied or not (pipeline/flow.py: _pour), through
the whole session in the unix port.

Lifted, a cell reads far below its empty bottle (about minus the bottle: no tilt up to ~50
degrees or press does that). A wearer who empties a full bottle mid-session puts it back
lighter by the milk she poured out; that milk stays counted. One that only lifts it loses
nothing and gains nothing."""

import math

from pipeline.session import Session
from shared import events as ev
from synth import RecordingSink, gauss, seed


def setup():
    seed(3)


def _milk_g(t, stop_s, rate=0.3):
    # rate g/s from 40 s (found as a letdown a few seconds in) until stop_s
    return 0.0 if t <= 40.0 else rate * (min(t, stop_s) - 40.0)


def _session(stop_s, lift_s, back_s, poured, seconds=240, rate=0.3):
    # one bottle; lifted off the scale (the cell reads the bottle's -125 g) from lift_s to
    # back_s; put back with everything it held at lift_s poured out, or not. Returns the
    # volume (g) at the end, the true milk (g) and the letdown events
    sink = RecordingSink()
    s = Session({}, 1, sink)
    s.start(0)
    gone = _milk_g(lift_s, stop_s, rate) if poured else 0.0
    for i in range(seconds * 10):
        t_ms = i * 100
        t = t_ms / 1000
        g = _milk_g(t, stop_s, rate) + 0.2 * gauss() + 0.3 * math.sin(6.2832 * 1.1 * t)
        if lift_s <= t < back_s:
            g = -125.5 + 0.2 * gauss()
        elif t >= back_s:
            g -= gone
        s.on_sample(t_ms, int(g * 1000), 0, 0, 0, 1000)
    letdowns = [e for e in sink.got if e[1] == ev.EV_LETDOWN]
    return s.volume_mg() / 1000, _milk_g(seconds, stop_s, rate), letdowns


def test_milk_poured_out_of_a_lifted_bottle_stays_counted():
    # 12 g, then the wearer empties the bottle (15 s off the scale) and puts it back: the
    # re-anchoring on the settled weight took the empty bottle for the whole session (0 g)
    for s_ in (1, 2, 3):
        seed(s_)
        vol, true, _ = _session(80.0, 120.0, 135.0, True)
        assert abs(vol - true) <= 1.0, (s_, vol, true)


def test_milk_poured_out_while_it_flows_stays_counted():
    # emptied 60 s into a 110-s flow (10 s off the scale), the milk goes on: 33 g in all
    # (the level's rebase took the lighter bottle for an artifact found out: 15.2 g)
    for s_ in (1, 2, 3):
        seed(s_)
        vol, true, _ = _session(150.0, 100.0, 110.0, True)
        assert abs(vol - true) <= 1.5, (s_, vol, true)


def test_a_bottle_set_down_beside_the_scale_for_40_s_keeps_its_milk_and_its_pour():
    # off the scale for longer than a rebase takes: its low weight is no measure of the milk
    # (the re-anchoring 20 s on read 0 g), emptied or not
    for poured in (False, True):
        for s_ in (1, 2):
            seed(s_)
            vol, true, _ = _session(80.0, 100.0, 140.0, poured)
            assert abs(vol - true) <= 1.0, (poured, s_, vol, true)


def test_a_bottle_lifted_and_put_back_gains_nothing():
    # lifted for 10 s and put back as it was: the volume is the milk (no pour banked), and a
    # bottle with no milk at all gives no letdown and no volume
    for s_ in (1, 2):
        seed(s_)
        vol, true, _ = _session(80.0, 120.0, 130.0, False)
        assert abs(vol - true) <= 0.5, (s_, vol, true)
        vol, _, letdowns = _session(0.0, 100.0, 110.0, False)
        assert letdowns == [] and vol <= 0.3, (s_, vol, letdowns)


def test_milk_credited_while_the_bottle_was_off_is_not_taken_for_a_pour():
    # a strong flow (0.5 g/s) stops just as the wearer lifts the bottle for 9 s; she puts it
    # back as it was. The hold credited the flow from before for the time it was off (up to
    # 4 g), so the weight is under the volume, yet not under what the bottle held when it
    # was lifted: nothing was poured, and the credit is undone by the weight
    for s_ in (1, 2):
        seed(s_)
        vol, true, _ = _session(100.0, 100.0, 109.0, False, rate=0.5)
        assert abs(vol - true) <= 0.8, (s_, vol, true)
