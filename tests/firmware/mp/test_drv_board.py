"""board.py: bring-up of each board file in boards/ against the chip fakes."""

import struct

import machine
from device import board
from fake_accel import FakeLIS3DH, FakeMPU6886
from fake_drv2605 import FakeDRV2605
from fake_nau7802 import FakeNAU7802
from fake_slf3s import FakeSLF3S
from mptest import error_text, repo_path, tmpdir

ISOLATE = True  # a fresh fake `machine` (its buses and pins) per test


def _desc(name):
    return board.load(repo_path("boards/%s.json" % name))


def _xiao_parts():
    adc = FakeNAU7802()
    adc.auto = True
    machine.fake_i2c_attach(0x2A, adc)
    machine.fake_i2c_attach(0x5A, FakeDRV2605())
    return adc


def _names(objects):
    return [type(o).__name__ for o in objects]


def test_devkitc_builds_two_hx711_a_pwm_motor_button_battery_and_tolerates_no_accel():
    hw = board.bring_up(_desc("devkitc_hx711"))
    got = [hw.name, _names(hw.scales), hw.calibration, hw.accel is None, hw.missing[0][:14]]
    got += [type(hw.motor).__name__, machine.fake_pwm(27) is not None, hw.button.value()]
    got += [type(hw.battery).__name__, hw.light_sleep, type(hw.power).__name__]
    want = ["devkitc_hx711", ["HX711", "HX711"], [0.466, 0.466], True, "accelerometer:"]
    want += ["Motor", True, 1, "Battery", True, "Power"]
    assert got == want, got


def test_devkitc_uses_the_lis3dh_when_fitted():
    machine.fake_i2c_attach(0x18, FakeLIS3DH())
    hw = board.bring_up(_desc("devkitc_hx711"))
    assert type(hw.accel).__name__ == "LIS3DH" and hw.missing == [], (hw.accel, hw.missing)


def test_xiao_builds_nau7802_and_drv2605_and_lists_the_absent_flow_sensor():
    _xiao_parts()
    hw = board.bring_up(_desc("xiao_s3_nau7802"))
    got = [_names(hw.scales), type(hw.motor).__name__, hw.flow_sensors]
    got.append([m.split(":")[0] for m in hw.missing])
    assert got == [["NAU7802"], "DRV2605", [], ["accelerometer", "flow sensor"]], got


def test_xiao_board_file_finds_an_adafruit_lis3dh_at_its_default_address():
    _xiao_parts()
    machine.fake_i2c_attach(0x18, FakeLIS3DH())  # Adafruit 2809: SDO low, 0x18
    hw = board.bring_up(_desc("xiao_s3_nau7802"))
    got = [hw.accel is not None, [m for m in hw.missing if "accel" in m]]
    assert got == [True, []], got


def test_xiao_fits_the_slf3s_on_bottle_1_when_present():
    _xiao_parts()
    machine.fake_i2c_attach(0x08, FakeSLF3S())
    hw = board.bring_up(_desc("xiao_s3_nau7802"))
    got = [_names(hw.flow_sensors), hw.flow_sensors[0].channel]
    assert got == [["SLF3S"], 0], got


def test_xiao_without_its_adc_is_an_oserror():
    text = error_text(OSError, board.bring_up, _desc("xiao_s3_nau7802"))
    assert "NAU7802 not found" in text, text


def test_adc_board_sampler_tares_then_gives_milligrams():
    adc = _xiao_parts()
    hw = board.bring_up(_desc("xiao_s3_nau7802"))
    adc.inputs[0] = 10_000  # the empty bottle
    s = hw.sampler_factory({})()
    s.start()
    adc.inputs[0] = 10_000 + 21_459  # ~10 g of milk at 0.466 mg/count
    r = s.wait(100)
    sc = s.scales[0]
    assert r == 1 and s.channels == 1, (r, s.channels)
    # tared on the empty bottle, the board's factor
    assert sc.tare_counts == 10_000 and sc.mg_per_count == 0.466, sc.tare_counts
    # scale.py's integer factor
    assert s.w_mg[0] == sc.to_mg(31_459) and abs(s.w_mg[0] - 10_000) < 100, s.w_mg[0]


def test_atoms3_builds_the_imu_on_the_internal_bus_and_the_g41_button():
    machine.fake_i2c_attach(0x68, FakeMPU6886())
    hw = board.bring_up(_desc("atoms3_hx711"))
    # G41 has an external pull-up on the AtomS3: no internal pull, so the fake reads 0 until
    # something drives it; the board file says pull: false
    got = [type(hw.accel).__name__, hw.button.pin._id, _names(hw.scales)]
    assert got == ["MPU6886", 41, ["HX711"]], got


def test_atoms3_without_its_imu_is_an_oserror():
    text = error_text(OSError, board.bring_up, _desc("atoms3_hx711"))
    assert "MPU6886 not found" in text, text


def test_sim_board_replays_the_trace_with_fake_motor_and_button():
    path = tmpdir() + "/trace.bin"
    rows = [(0, 1000, 2000, 0, 0, 1000), (100, 1100, 2100, 0, 0, 1000)]
    with open(path, "wb") as f:
        f.write(b"PMTR" + bytes((1, 1, 0, 0)))
        for r in rows:
            f.write(struct.pack("<6i", *r))
    desc = {"name": "sim", "scale": "trace", "accel": "trace", "motor": "fake"}
    desc.update({"button": "fake", "trace": path, "speed_x1000": 1000000})
    hw = board.bring_up(desc)
    s = hw.sampler_factory({})()
    s.start()
    r = s.wait(50)
    hw.motor.on(50)
    got = [r, list(s.w_mg), len(hw.scales), hw.button.value(), hw.motor.level_pct, hw.accel]
    assert got == [1, [1000, 2000], 2, 1, 50, None], got
