"""The device loop's own logic (app.py), with fake parts in the unix port."""

import app
from mptest import tmpdir


class SettlingADC:
    """A bottle set down, still, then milk arrives."""

    def __init__(self):
        self.t = 0

    def power_up(self):
        pass

    def ready(self):
        return True

    def read(self):
        self.t += 100
        return 5000 if self.t < 20000 else 5000 + (self.t - 20000) // 2


class HW:
    scales = [SettlingADC()]
    calibration = [1.0]
    light_sleep = True


def test_auto_start_fires_once_the_weight_settles_and_then_rises():
    hw = HW()
    check = app.autostart_check(hw, {"auto_start": True})
    fired = [t for t in range(0, 40000, 100) if check(t)]
    # settled by 5 s, rises from 20 s: 3 g above after 6 s, held 3 s -> ~29 s
    assert fired and 26000 <= fired[0] <= 32000, fired
    assert len(fired) == 1, fired
    assert hw.light_sleep is False  # the ADC must keep sampling: no light sleep


class _NoScaleHW:
    scales = [object()]


def test_auto_start_is_off_by_default():
    assert app.autostart_check(_NoScaleHW(), {}) is None


def test_a_corrupt_or_missing_board_file_is_a_clear_message():
    board = tmpdir() + "/board.json"
    missing = tmpdir() + "/no_such_board.json"
    with open(board, "w") as f:
        f.write("{not json")
    corrupt = app.load_board(board)[1]
    absent = app.load_board(missing)[1]
    with open(board, "w") as f:
        f.write("[1, 2]")
    not_object = app.load_board(board)[1]
    assert "not valid JSON" in corrupt and "boards/" in corrupt, corrupt
    assert absent.startswith("no " + missing) and "make deploy" in absent, absent
    assert "JSON object" in not_object, not_object
