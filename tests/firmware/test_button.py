"""firmware/button.py in the unix port: debounce and short / long / double classification."""

from __future__ import annotations

import json

DRIVER = """
import json
from shared import config
from device import button
cfg, _ = config.validate(json.loads(%r))
class Pin:
    # level from a list of [t_ms, level] changes; starts released (1: pull-up, active low)
    def __init__(self, changes, idle):
        self.changes = changes; self.t = 0; self.idle = idle
    def value(self):
        v = self.idle
        for t, level in self.changes:
            if t <= self.t:
                v = level
        return v
cfg_idle = 1 if cfg["button_active_low"] else 0
pin = Pin(json.loads(%r), cfg_idle)
b = button.Button(pin, cfg)
out = []
for t in range(0, %d, %d):
    pin.t = t
    k = b.update(t)
    if k:
        out.append([t, k, b.t_press_ms])
print(json.dumps({"presses": out, "count": b.presses}))
"""

SHORT, LONG, DOUBLE = 1, 2, 3


def run(mpy_json, changes, end_ms=4000, step_ms=5, cfg=None):
    return mpy_json(DRIVER % (json.dumps(cfg or {}), json.dumps(changes), end_ms, step_ms))


def bouncy_press(t_down, t_up):
    """Active-low press with contact bounce on both edges."""
    return [
        [t_down, 0], [t_down + 2, 1], [t_down + 4, 0], [t_down + 7, 1], [t_down + 9, 0],
        [t_up, 1], [t_up + 3, 0], [t_up + 5, 1],
    ]  # fmt: skip


def test_bouncy_short_press_is_one_short_after_the_double_gap(mpy_json):
    r = run(mpy_json, bouncy_press(100, 250))
    assert r["count"] == 1
    (t, kind, t_press) = r["presses"][0]
    assert kind == SHORT
    assert 100 <= t_press <= 110  # when it went down (after the bounce settled)
    assert t > 250 + 350  # only once no second press could follow


def test_long_press_is_reported_while_held_and_release_adds_nothing(mpy_json):
    r = run(mpy_json, [[100, 0], [3000, 1]])
    assert r["presses"] == [[1600, LONG, 100]]


def test_double_press_is_one_double_at_the_second_press(mpy_json):
    r = run(mpy_json, bouncy_press(100, 200) + bouncy_press(400, 500))
    assert r["count"] == 1
    t, kind, t_press = r["presses"][0]
    assert kind == DOUBLE and 400 <= t_press <= 410 and t < 500


def test_presses_further_apart_than_the_gap_are_two_shorts(mpy_json):
    r = run(mpy_json, bouncy_press(100, 200) + bouncy_press(900, 1000))
    assert [p[1] for p in r["presses"]] == [SHORT, SHORT]
    assert 100 <= r["presses"][0][2] < 120 and 900 <= r["presses"][1][2] < 920


def test_glitch_shorter_than_debounce_is_not_a_press(mpy_json):
    r = run(mpy_json, [[100, 0], [115, 1], [500, 0], [510, 1]])
    assert r["presses"] == [] and r["count"] == 0


def test_active_high_button_is_read_the_other_way_round(mpy_json):
    r = run(mpy_json, [[100, 1], [2500, 0]], cfg={"button_active_low": False})
    assert [p[1] for p in r["presses"]] == [LONG]


def test_slow_polling_still_classifies_all_three_kinds(mpy_json):
    changes = (
        [[100, 0], [300, 1]]  # short
        + [[1500, 0], [1650, 1], [1800, 0], [1950, 1]]  # double
        + [[3000, 0], [5000, 1]]  # long
    )
    r = run(mpy_json, changes, end_ms=6000, step_ms=50)
    assert [p[1] for p in r["presses"]] == [SHORT, DOUBLE, LONG]


def test_update_allocates_nothing(mpy):
    out = mpy(
        """
        import gc
        from device import button
        class Pin:
            def __init__(self): self.v = 1
            def value(self): return self.v
        def measure():
            # locals only: a new global name would grow the module dict mid-measurement
            pin = Pin(); b = button.Button(pin, {})
            for t in range(0, 200, 10): b.update(t)
            gc.collect(); gc.disable()
            allocated = 0
            n = 0
            alloc = gc.mem_alloc
            update = b.update
            for t in range(200, 20000, 10):
                pin.v = 0 if (t // 700) % 2 else 1   # press / release every 0.7 s
                before = alloc()
                k = update(t)
                allocated += alloc() - before
                if k: n += 1
            gc.enable()
            print(allocated, n)
        measure()
        """
    )
    allocated, presses = (int(x) for x in out.split())
    assert presses > 5
    assert allocated == 0
