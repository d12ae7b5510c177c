"""device/haptics.py in the unix port: patterns, urgency, repeat, acknowledge, no blocking."""

from device import haptics
from device.haptics import PATTERNS
from mptest import heap_locked
from shared import config
from shared import events as ev

PARAMS = {"test_each_cue_plays_its_pattern_then_stops": [1, 2, 3, 4, 5, 6, 7, 8, 9]}


class LoggingMotor:
    """A motor that logs [t_ms, level] at each change; `now` is set by the driver."""

    def __init__(self):
        self.log = []
        self.level = 0
        self.now = 0

    def on(self, pct):
        self.log.append((self.now, pct))
        self.level = pct

    def off(self):
        if self.level:
            self.log.append((self.now, 0))
        self.level = 0


def run(actions, end_ms=5000, step_ms=10, cfg=None):
    """Play `actions` ([t_ms, "play" | "ack", cue], by time); returns (motor log, played)."""
    cfg, _ = config.validate(cfg or {})
    m = LoggingMotor()
    h = haptics.Haptics(m, cfg)
    i = 0
    for t in range(0, end_ms, step_ms):
        m.now = t
        while i < len(actions) and actions[i][0] <= t:
            _, what, cue = actions[i]
            i += 1
            if what == "play":
                h.play(t, cue)
            else:
                h.ack(t)
        h.tick(t)
    return m.log, h.played


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


def durations(log):
    return [d for _, d in buzzes(log)]


def on_ms(cue):
    """The buzz lengths of `cue`'s pattern (its odd steps are the silences)."""
    p = PATTERNS[cue]
    return [p[i] for i in range(0, len(p), 2)]


def test_every_cue_with_a_pattern_is_in_the_parametrized_list():
    assert sorted(PATTERNS) == PARAMS["test_each_cue_plays_its_pattern_then_stops"], PATTERNS


def test_each_cue_plays_its_pattern_then_stops(cue):
    log, played = run([[100, "play", cue]], cfg={"haptic_repeat": False})
    got = buzzes(log)
    assert durations(log) == on_ms(cue), got  # exact at a 10 ms tick (durations are x10)
    assert got[0][0] == 100, got
    assert log[-1][1] == 0, "the motor must end off"
    assert played == 1, played


def test_intensity_setting_reaches_the_motor():
    log, _ = run([[0, "play", ev.CUE_LETDOWN]], cfg={"haptic_intensity_pct": 35})
    assert {level for _, level in log if level} == {35}, log


def test_play_returns_at_once_and_tick_runs_the_pattern():
    m = LoggingMotor()
    h = haptics.Haptics(m, {})
    h.play(0, ev.CUE_DONE)  # a 1.5 s pattern
    seen = [(h.busy, m.level)]  # returned while the motor is still on
    h.tick(1499)
    seen.append((h.busy, m.level))
    h.tick(1500)
    seen.append((h.busy, m.level))
    assert seen == [(True, 70), (True, 70), (False, 0)], seen


def test_more_urgent_cue_interrupts_and_the_interrupted_one_plays_after():
    actions = [[0, "play", ev.CUE_MASSAGE], [300, "play", ev.CUE_FAULT]]
    log, played = run(actions, cfg={"haptic_repeat": False})
    got = buzzes(log)
    fault_on = on_ms(ev.CUE_FAULT)
    assert got[0] == (0, 300), got  # massage cut short by the fault
    assert got[1][0] == 300 + 400, got  # after a separating silence
    assert [d for _, d in got[1 : 1 + len(fault_on)]] == fault_on, got
    assert [d for _, d in got[1 + len(fault_on) :]] == on_ms(ev.CUE_MASSAGE), got
    assert played == 3, played


def test_less_urgent_cue_waits_for_the_current_one():
    actions = [[0, "play", ev.CUE_HAND_EXPRESS], [100, "play", ev.CUE_LETDOWN]]
    log, _ = run(actions, cfg={"haptic_repeat": False})
    he = on_ms(ev.CUE_HAND_EXPRESS)
    got = buzzes(log)
    assert durations(log) == he + on_ms(ev.CUE_LETDOWN), got
    # the letdown began after hand_express ended
    assert got[len(he)][0] >= sum(PATTERNS[ev.CUE_HAND_EXPRESS]), got


def test_never_two_patterns_at_once():
    actions = [[t, "play", cue] for t, cue in [(0, 1), (50, 3), (90, 6), (400, 2), (420, 5)]]
    log, _ = run(actions, end_ms=12000, cfg={"haptic_repeat": False})
    # the motor log alternates strictly: on, off, on, off ... (one pattern owns the motor)
    levels = [level > 0 for _, level in log]
    assert levels == [i % 2 == 0 for i in range(len(levels))], log
    assert log[-1][1] == 0, log


def test_unacknowledged_cue_repeats_once():
    log, played = run(
        [[0, "play", ev.CUE_MASSAGE]], end_ms=30000, cfg={"haptic_repeat_after_s": 5}
    )
    n = len(on_ms(ev.CUE_MASSAGE))
    got = buzzes(log)
    assert played == 2 and len(got) == 2 * n, (played, got)
    assert got[n][0] == sum(PATTERNS[ev.CUE_MASSAGE]) + 5000, got


def test_short_press_during_a_cue_stops_it_and_cancels_the_repeat():
    log, played = run(
        [[0, "play", ev.CUE_MASSAGE], [600, "ack", 0]],
        end_ms=30000,
        cfg={"haptic_repeat_after_s": 5},
    )
    assert played == 1, played
    assert log[-1][1] == 0 and log[-1][0] <= 600, log  # off by the press, nothing afterwards
    assert len(buzzes(log)) == 1, log  # the second buzz (due at 750 ms) never came


def test_no_repeat_when_repeat_is_off():
    _, played = run([[0, "play", ev.CUE_DONE]], end_ms=40000, cfg={"haptic_repeat": False})
    assert played == 1, played


def test_coarse_ticks_stretch_steps_but_skip_none():
    log, _ = run([[0, "play", ev.CUE_FAULT]], step_ms=100, cfg={"haptic_repeat": False})
    assert len(buzzes(log)) == len(on_ms(ev.CUE_FAULT)), log


class _QuietMotor:
    def on(self, pct):
        pass

    def off(self):
        pass


def test_tick_and_play_allocate_nothing():
    h = haptics.Haptics(_QuietMotor(), {})
    for t in range(0, 3000, 10):
        h.tick(t)
    t = 3000
    with heap_locked():  # an allocation raises MemoryError at its line
        while t < 200000:
            if t % 7000 == 0:
                h.play(t, 1 + (t // 7000) % 8)
            h.tick(t)
            t += 10
    assert h.played > 20, h.played


def test_same_cue_again_while_it_plays_is_not_restarted():
    actions = [[0, "play", ev.CUE_MASSAGE], [300, "play", ev.CUE_MASSAGE]]
    log, played = run(actions, cfg={"haptic_repeat": False})
    assert played == 1, played
    assert durations(log) == on_ms(ev.CUE_MASSAGE), log
