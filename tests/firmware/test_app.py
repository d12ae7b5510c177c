"""The device loop's own logic (firmware/app.py), with fake parts in the unix port."""


def test_auto_start_fires_once_the_weight_settles_and_then_rises(mpy):
    out = mpy("""
        import app

        class ADC:                      # a bottle set down, still, then milk arrives
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
            scales = [ADC()]
            calibration = [1.0]
            light_sleep = True

        hw = HW()
        check = app.autostart_check(hw, {"auto_start": True})
        fired = [t for t in range(0, 40000, 100) if check(t)]
        print(fired[0] if fired else -1, len(fired), hw.light_sleep)
    """)
    first, count, sleeps = out.split()
    # settled by 5 s, rises from 20 s: 3 g above after 6 s, held 3 s -> ~29 s
    assert 26000 <= int(first) <= 32000
    assert count == "1"
    assert sleeps == "False"  # the ADC must keep sampling: no light sleep


def test_auto_start_is_off_by_default(mpy):
    out = mpy("""
        import app
        class HW:
            scales = [object()]
        print(app.autostart_check(HW(), {}))
    """)
    assert out.strip() == "None"


def test_a_corrupt_or_missing_board_file_is_a_clear_message(mpy, tmp_path):
    board = tmp_path / "board.json"
    missing = tmp_path / "no_such_board.json"
    out = mpy(f"""
        import app
        with open("{board}", "w") as f:
            f.write("{{not json")
        print(app.load_board("{board}")[1])
        print(app.load_board("{missing}")[1])
        with open("{board}", "w") as f:
            f.write("[1, 2]")
        print(app.load_board("{board}")[1])
    """)
    corrupt, absent, not_object = out.strip().splitlines()
    assert "not valid JSON" in corrupt and "boards/" in corrupt
    assert absent.startswith(f"no {missing}") and "make deploy" in absent
    assert "JSON object" in not_object
