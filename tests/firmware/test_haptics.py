"""firmware/haptics.py in the unix port: patterns, urgency, repeat, acknowledge, no blocking."""

from __future__ import annotations

import json

import pytest
from pumpmon.fwimport import firmware_module

ev = firmware_module("shared.events")
evn = firmware_module("shared.eventnames")
haptics_host = firmware_module("device.haptics")

DRIVER = """
import json
from shared import config, events as ev
from device import haptics
cfg, _ = config.validate(json.loads(%r))
now = [0]
class Motor:
    def __init__(self): self.log = []; self.level = 0
    def on(self, pct):
        self.log.append([now[0], pct]); self.level = pct
    def off(self):
        if self.level:
            self.log.append([now[0], 0])
        self.level = 0
m = Motor()
h = haptics.Haptics(m, cfg)
actions = json.loads(%r)   # [t_ms, "play" | "ack", cue]
i = 0
for t in range(0, %d, %d):
    now[0] = t
    while i < len(actions) and actions[i][0] <= t:
        _, what, cue = actions[i]; i += 1
        if what == "play":
            h.play(t, cue)
        else:
            h.ack(t)
    h.tick(t)
print(json.dumps({"log": m.log, "played": h.played}))
"""


def run(mpy_json, actions, end_ms=5000, step_ms=10, cfg=None):
    r = mpy_json(DRIVER % (json.dumps(cfg or {}), json.dumps(actions), end_ms, step_ms))
    return r["log"], r["played"]


def buzzes(log):
    """[(t_on, duration_ms)] from the motor log."""
    out = []
    t_on = None
    for t, level in log:
        if level and t_on is None:
            t_on = t
        elif not level and t_on is not None:
            out.append((t_on, t - t_on))
            t_on = None
    return out


@pytest.mark.parametrize("cue", sorted(haptics_host.PATTERNS))
def test_each_cue_plays_its_pattern_then_stops(mpy_json, cue):
    log, played = run(mpy_json, [[100, "play", cue]], cfg={"haptic_repeat": False})
    pattern = haptics_host.PATTERNS[cue]
    on_ms = pattern[0::2]
    got = buzzes(log)
    assert [d for _, d in got] == list(on_ms)  # exact at a 10 ms tick (durations are x10)
    assert got[0][0] == 100
    assert log[-1][1] == 0, "the motor must end off"
    assert played == 1


def test_patterns_can_be_told_apart_by_count_length_and_rhythm():
    """No two cues share a signature of (buzz lengths as short/long/very long, gap class)."""

    def signature(p):
        on = tuple("S" if d < 300 else ("L" if d < 1000 else "V") for d in p[0::2])
        gaps = tuple("q" if d < 200 else "s" for d in p[1::2])
        return on, gaps

    sigs = {cue: signature(p) for cue, p in haptics_host.PATTERNS.items()}
    assert len(set(sigs.values())) == len(sigs), sigs
    for cue, p in haptics_host.PATTERNS.items():
        assert all(d >= 60 for d in p), "steps under 60 ms are not felt: %s" % cue
        assert sum(p) <= 2500, "%s is too long to wait for" % cue


def test_intensity_setting_reaches_the_motor(mpy_json):
    log, _ = run(mpy_json, [[0, "play", ev.CUE_LETDOWN]], cfg={"haptic_intensity_pct": 35})
    assert {level for _, level in log if level} == {35}


def test_play_returns_at_once_and_tick_runs_the_pattern(mpy):
    out = mpy(
        """
        from device import haptics
        from shared import events as ev
        class Motor:
            def __init__(self): self.level = 0
            def on(self, pct): self.level = pct
            def off(self): self.level = 0
        m = Motor(); h = haptics.Haptics(m, {})
        h.play(0, ev.CUE_DONE)            # a 1.5 s pattern
        print(h.busy, m.level)            # returned while the motor is still on
        h.tick(1499); print(h.busy, m.level)
        h.tick(1500); print(h.busy, m.level)
        """
    )
    assert out.split() == ["True", "70", "True", "70", "False", "0"]


def test_more_urgent_cue_interrupts_and_the_interrupted_one_plays_after(mpy_json):
    actions = [[0, "play", ev.CUE_MASSAGE], [300, "play", ev.CUE_FAULT]]
    log, played = run(mpy_json, actions, cfg={"haptic_repeat": False})
    got = buzzes(log)
    fault_on = haptics_host.PATTERNS[ev.CUE_FAULT][0::2]
    massage_on = haptics_host.PATTERNS[ev.CUE_MASSAGE][0::2]
    assert got[0] == (0, 300)  # massage cut short by the fault
    assert got[1][0] == 300 + 400  # after a separating silence
    assert [d for _, d in got[1 : 1 + len(fault_on)]] == list(fault_on)
    assert [d for _, d in got[1 + len(fault_on) :]] == list(massage_on)
    assert played == 3


def test_less_urgent_cue_waits_for_the_current_one(mpy_json):
    actions = [[0, "play", ev.CUE_HAND_EXPRESS], [100, "play", ev.CUE_LETDOWN]]
    log, _ = run(mpy_json, actions, cfg={"haptic_repeat": False})
    he = haptics_host.PATTERNS[ev.CUE_HAND_EXPRESS]
    got = buzzes(log)
    letdown = haptics_host.PATTERNS[ev.CUE_LETDOWN]
    assert [d for _, d in got] == list(he[0::2]) + list(letdown[0::2])
    assert got[len(he[0::2])][0] >= sum(he)  # the letdown began after hand_express ended


def test_never_two_patterns_at_once(mpy_json):
    actions = [[t, "play", cue] for t, cue in [(0, 1), (50, 3), (90, 6), (400, 2), (420, 5)]]
    log, _ = run(mpy_json, actions, end_ms=12000, cfg={"haptic_repeat": False})
    # the motor log alternates strictly: on, off, on, off ... (one pattern owns the motor)
    levels = [level > 0 for _, level in log]
    assert levels == [i % 2 == 0 for i in range(len(levels))]
    assert log[-1][1] == 0


def test_unacknowledged_cue_repeats_once(mpy_json):
    log, played = run(
        mpy_json, [[0, "play", ev.CUE_MASSAGE]], end_ms=30000, cfg={"haptic_repeat_after_s": 5}
    )
    n = len(haptics_host.PATTERNS[ev.CUE_MASSAGE][0::2])
    got = buzzes(log)
    assert played == 2 and len(got) == 2 * n
    end_first = sum(haptics_host.PATTERNS[ev.CUE_MASSAGE])
    assert got[n][0] == end_first + 5000


def test_short_press_during_a_cue_stops_it_and_cancels_the_repeat(mpy_json):
    log, played = run(
        mpy_json,
        [[0, "play", ev.CUE_MASSAGE], [600, "ack", 0]],
        end_ms=30000,
        cfg={"haptic_repeat_after_s": 5},
    )
    assert played == 1
    assert log[-1][1] == 0 and log[-1][0] <= 600  # off by the press, nothing afterwards
    assert len(buzzes(log)) == 1  # the second buzz (due at 750 ms) never came


def test_no_repeat_when_repeat_is_off(mpy_json):
    _, played = run(
        mpy_json, [[0, "play", ev.CUE_DONE]], end_ms=40000, cfg={"haptic_repeat": False}
    )
    assert played == 1


def test_coarse_ticks_stretch_steps_but_skip_none(mpy_json):
    log, _ = run(mpy_json, [[0, "play", ev.CUE_FAULT]], step_ms=100, cfg={"haptic_repeat": False})
    assert len(buzzes(log)) == len(haptics_host.PATTERNS[ev.CUE_FAULT][0::2])


def test_tick_and_play_allocate_nothing(mpy):
    out = mpy(
        """
        import gc
        from device import haptics
        class Motor:
            def on(self, pct): pass
            def off(self): pass
        def measure():
            h = haptics.Haptics(Motor(), {})
            for t in range(0, 3000, 10): h.tick(t)
            gc.collect(); gc.disable()
            alloc = gc.mem_alloc
            allocated = 0
            for t in range(3000, 200000, 10):
                before = alloc()
                if t % 7000 == 0:
                    h.play(t, 1 + (t // 7000) % 8)
                h.tick(t)
                allocated += alloc() - before
            gc.enable()
            print(allocated, h.played)
        measure()
        """
    )
    allocated, played = (int(x) for x in out.split())
    assert played > 20
    assert allocated == 0


def test_docs_cues_table_lists_every_cue_with_its_pattern():
    """docs/cues.md is what the wearer learns: one row per cue, the felt pattern matching
    PATTERNS (each `·` is one tap, each run of `—` one buzz)."""
    import re

    from pumpmon.unixport import REPO

    text = (REPO / "docs" / "cues.md").read_text()
    rows = {}
    for line in text.splitlines():
        m = re.match(r"\| `(\w+)` \| `([^`]*)`", line)
        if m:
            rows[m.group(1)] = m.group(2)
    assert set(rows) == set(evn.CUE_NAMES[1:])
    for cue, felt in rows.items():
        pattern = haptics_host.PATTERNS[evn.CUE_NAMES.index(cue)]
        elements = re.findall(r"·|—+", felt)
        assert len(elements) == len(pattern[0::2]), cue
        for symbol, on_ms in zip(elements, pattern[0::2]):
            assert (symbol == "·") == (on_ms < 300), (cue, felt, pattern)


def test_same_cue_again_while_it_plays_is_not_restarted(mpy_json):
    actions = [[0, "play", ev.CUE_MASSAGE], [300, "play", ev.CUE_MASSAGE]]
    log, played = run(mpy_json, actions, cfg={"haptic_repeat": False})
    assert played == 1
    assert [d for _, d in buzzes(log)] == list(haptics_host.PATTERNS[ev.CUE_MASSAGE][0::2])
