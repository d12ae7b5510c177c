"""The device loop's own logic (app.py), with fake parts in the unix port."""

import app
from mptest import tmpdir
from test_memory import Hardware  # a motor that is not there, no button (its app run's)


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


class _TwoBottles:
    """The sampler API app.App reads: two bottles at 10 Hz, no sample ever comes."""

    channels = 2
    has_accel = False

    def start(self):
        pass

    def wait(self, max_wait_ms):
        return -1


def test_a_session_that_cannot_be_built_leaves_its_log_closed_with_a_summary():
    # the log is opened before the session is built (its garbage is collected first); a
    # session that then cannot be built (here a setting that slipped past validation; on a
    # board, no heap left) closes the file it opened, summary and all, and says why
    import flashdev
    from device import logstore

    fs = flashdev.mount_image(tmpdir() + "/flash_nosession.img", 256 * 1024, "/flash")
    try:
        store = logstore.LogStore("/flash/sessions")
        a = app.App(Hardware(), {"hand_express_stop_s": "x"}, store, _TwoBottles, None,
                    console=lambda line: None)  # fmt: skip
        raised = None
        try:
            a.run_session({"board": "sim", "period_us": 100000})
        except ValueError as e:
            raised = e
        assert raised is not None
        assert store.f is None  # not left open
        sessions = store.sessions()
        assert len(sessions) == 1 and sessions[0][1] > 0, sessions
    finally:
        flashdev.unmount(fs)
