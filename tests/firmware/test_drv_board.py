"""board.py: bring-up of each board file in boards/ against the chip fakes."""

import struct

import pytest
from drv_helpers import fw
from pumpmon.unixport import BOARDS

LOAD = """
from device import board
desc = board.load({path!r})
"""


def bring_up(mpy_json, name, attach, body):
    code = LOAD.format(path=str(BOARDS / f"{name}.json")) + attach + body
    return mpy_json(fw(code))


def test_devkitc_builds_two_hx711_a_pwm_motor_button_battery_and_tolerates_no_accel(mpy_json):
    out = bring_up(mpy_json, "devkitc_hx711", "", """
hw = board.bring_up(desc)
out([hw.name, [type(s).__name__ for s in hw.scales], hw.calibration, hw.accel is None,
     hw.missing[0][:14], type(hw.motor).__name__, machine.fake_pwm(27) is not None,
     hw.button.value(), type(hw.battery).__name__, hw.light_sleep,
     type(hw.power).__name__])
""")
    assert out == ["devkitc_hx711", ["HX711", "HX711"], [0.466, 0.466], True,
                   "accelerometer:", "Motor", True, 1, "Battery", True, "Power"]


def test_devkitc_uses_the_lis3dh_when_fitted(mpy_json):
    out = bring_up(mpy_json, "devkitc_hx711", """
from fake_accel import FakeLIS3DH
machine.fake_i2c_attach(0x18, FakeLIS3DH())
""", """
hw = board.bring_up(desc)
out([type(hw.accel).__name__, hw.missing])
""")
    assert out == ["LIS3DH", []]


XIAO_PARTS = """
from fake_nau7802 import FakeNAU7802
from fake_drv2605 import FakeDRV2605
adc = FakeNAU7802()
adc.auto = True
machine.fake_i2c_attach(0x2A, adc)
machine.fake_i2c_attach(0x5A, FakeDRV2605())
"""


def test_xiao_builds_nau7802_and_drv2605_and_lists_the_absent_flow_sensor(mpy_json):
    out = bring_up(mpy_json, "xiao_s3_nau7802", XIAO_PARTS, """
hw = board.bring_up(desc)
out([[type(s).__name__ for s in hw.scales], type(hw.motor).__name__, hw.flow_sensors,
     [m.split(":")[0] for m in hw.missing]])
""")
    assert out == [["NAU7802"], "DRV2605", [], ["accelerometer", "flow sensor"]]


def test_xiao_fits_the_slf3s_on_bottle_1_when_present(mpy_json):
    out = bring_up(mpy_json, "xiao_s3_nau7802", XIAO_PARTS + """
from fake_slf3s import FakeSLF3S
machine.fake_i2c_attach(0x08, FakeSLF3S())
""", """
hw = board.bring_up(desc)
out([[type(f).__name__ for f in hw.flow_sensors], hw.flow_sensors[0].channel])
""")
    assert out == [["SLF3S"], 0]


def test_xiao_without_its_adc_is_an_oserror(mpy_json):
    out = bring_up(mpy_json, "xiao_s3_nau7802", "", """
try:
    board.bring_up(desc)
except OSError as e:
    out(str(e))
""")
    assert "NAU7802 not found" in out


def test_adc_board_sampler_tares_then_gives_milligrams(mpy_json):
    out = bring_up(mpy_json, "xiao_s3_nau7802", XIAO_PARTS, """
hw = board.bring_up(desc)
adc.inputs[0] = 10_000                    # the empty bottle
make = hw.sampler_factory({})
s = make()
s.start()
adc.inputs[0] = 10_000 + 21_459           # ~10 g of milk at 0.466 mg/count
r = s.wait(100)
sc = s.scales[0]
out([r, s.channels, s.w_mg[0], sc.tare_counts, sc.mg_per_count, sc.to_mg(31_459)])
""")
    r, channels, w_mg, tare, mg_per_count, expected = out
    assert r == 1 and channels == 1
    assert tare == 10_000 and mg_per_count == 0.466  # tared on the empty bottle, board factor
    assert w_mg == expected and abs(w_mg - 10_000) < 100  # scale.py's integer factor


def test_atoms3_builds_the_imu_on_the_internal_bus_and_the_g41_button(mpy_json):
    out = bring_up(mpy_json, "atoms3_hx711", """
from fake_accel import FakeMPU6886
machine.fake_i2c_attach(0x68, FakeMPU6886())
""", """
hw = board.bring_up(desc)
out([type(hw.accel).__name__, hw.button.pin._id, hw.button.value(),
     [type(s).__name__ for s in hw.scales]])
""")
    # G41 has an external pull-up on the AtomS3: no internal pull, so the fake reads 0 until
    # something drives it; the board file says pull: false
    assert out[0] == "MPU6886" and out[1] == 41 and out[3] == ["HX711"]


def test_atoms3_without_its_imu_is_an_oserror(mpy_json):
    out = bring_up(mpy_json, "atoms3_hx711", "", """
try:
    board.bring_up(desc)
except OSError as e:
    out(str(e))
""")
    assert "MPU6886 not found" in out


@pytest.fixture
def trace_file(tmp_path):
    path = tmp_path / "trace.bin"
    head = b"PMTR" + bytes((1, 1, 0, 0))
    rows = [(0, 1000, 2000, 0, 0, 1000), (100, 1100, 2100, 0, 0, 1000)]
    path.write_bytes(head + b"".join(struct.pack("<6i", *r) for r in rows))
    return path


def test_sim_board_replays_the_trace_with_fake_motor_and_button(mpy_json, trace_file):
    out = mpy_json(fw(f"""
from device import board
hw = board.bring_up({{"name": "sim", "scale": "trace", "accel": "trace", "motor": "fake",
                     "button": "fake", "trace": {str(trace_file)!r}, "speed_x1000": 1000000}})
s = hw.sampler_factory({{}})()
s.start()
r = s.wait(50)
hw.motor.on(50)
out([r, list(s.w_mg), len(hw.scales), hw.button.value(), hw.motor.level_pct, hw.accel])
"""))
    assert out == [1, [1000, 2000], 2, 1, 50, None]


def test_sim_json_names_the_trace_parts():
    import json

    desc = json.loads((BOARDS / "sim.json").read_text())
    assert desc["scale"] == "trace" and desc["motor"] == "fake" and desc["button"] == "fake"
