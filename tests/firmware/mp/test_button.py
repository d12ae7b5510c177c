"""device/button.py in the unix port: debounce and short / long / double classification."""

from device import button
from mptest import heap_locked
from shared import config

SHORT, LONG, DOUBLE = 1, 2, 3


class ScriptedPin:
    """Level from a list of [t_ms, level] changes; starts at `idle` (released)."""

    def __init__(self, changes, idle):
        self.changes = changes
        self.t = 0
        self.idle = idle

    def value(self):
        v = self.idle
        for t, level in self.changes:
            if t <= self.t:
                v = level
        return v


def run(changes, end_ms=4000, step_ms=5, cfg=None):
    """Poll a Button over `changes`; returns ([[t_ms, kind, t_press_ms]], press count)."""
    cfg, _ = config.validate(cfg or {})
    pin = ScriptedPin(changes, 1 if cfg["button_active_low"] else 0)
    b = button.Button(pin, cfg)
    presses = []
    for t in range(0, end_ms, step_ms):
        pin.t = t
        k = b.update(t)
        if k:
            presses.append([t, k, b.t_press_ms])
    return presses, b.presses


def bouncy_press(t_down, t_up):
    """Active-low press with contact bounce on both edges."""
    return [
        [t_down, 0], [t_down + 2, 1], [t_down + 4, 0], [t_down + 7, 1], [t_down + 9, 0],
        [t_up, 1], [t_up + 3, 0], [t_up + 5, 1],
    ]  # fmt: skip


def test_bouncy_short_press_is_one_short_after_the_double_gap():
    presses, count = run(bouncy_press(100, 250))
    assert count == 1, presses
    (t, kind, t_press) = presses[0]
    assert kind == SHORT, presses
    assert 100 <= t_press <= 110, presses  # when it went down (after the bounce settled)
    assert t > 250 + 350, presses  # only once no second press could follow


def test_long_press_is_reported_while_held_and_release_adds_nothing():
    presses, _ = run([[100, 0], [3000, 1]])
    assert presses == [[1600, LONG, 100]], presses


def test_double_press_is_one_double_at_the_second_press():
    presses, count = run(bouncy_press(100, 200) + bouncy_press(400, 500))
    assert count == 1, presses
    t, kind, t_press = presses[0]
    assert kind == DOUBLE and 400 <= t_press <= 410 and t < 500, presses


def test_presses_further_apart_than_the_gap_are_two_shorts():
    presses, _ = run(bouncy_press(100, 200) + bouncy_press(900, 1000))
    assert [p[1] for p in presses] == [SHORT, SHORT], presses
    assert 100 <= presses[0][2] < 120 and 900 <= presses[1][2] < 920, presses


def test_glitch_shorter_than_debounce_is_not_a_press():
    presses, count = run([[100, 0], [115, 1], [500, 0], [510, 1]])
    assert presses == [] and count == 0, presses


def test_active_high_button_is_read_the_other_way_round():
    presses, _ = run([[100, 1], [2500, 0]], cfg={"button_active_low": False})
    assert [p[1] for p in presses] == [LONG], presses


def test_slow_polling_still_classifies_all_three_kinds():
    changes = (
        [[100, 0], [300, 1]]  # short
        + [[1500, 0], [1650, 1], [1800, 0], [1950, 1]]  # double
        + [[3000, 0], [5000, 1]]  # long
    )
    presses, _ = run(changes, end_ms=6000, step_ms=50)
    assert [p[1] for p in presses] == [SHORT, DOUBLE, LONG], presses


class _Pin:
    def __init__(self):
        self.v = 1

    def value(self):
        return self.v


def test_update_allocates_nothing():
    pin = _Pin()
    b = button.Button(pin, {})
    for t in range(0, 200, 10):
        b.update(t)
    n = 0
    t = 200
    with heap_locked():  # an allocation raises MemoryError at its line
        while t < 20000:
            pin.v = 0 if (t // 700) % 2 else 1  # press / release every 0.7 s
            if b.update(t):
                n += 1
            t += 10
    assert n > 5, n
