"""NAU7802 driver against a register-level fake (tests/firmware/fakes/fake_nau7802.py)."""

from drv_helpers import fw

SETUP = """
from fake_nau7802 import FakeNAU7802
from drivers.nau7802 import NAU7802
i2c = machine.I2C(0)
chip = FakeNAU7802()
machine.fake_i2c_attach(0x2A, chip)
"""


def run(mpy_json, body, setup=SETUP):
    return mpy_json(fw(setup + body))


def test_start_up_sets_ldo_gain_rate_and_starts_converting(mpy_json):
    out = run(mpy_json, """
adc = NAU7802(i2c, gain=64, rate_sps=10)
out([chip.regs[0x01], chip.regs[0x02] & 0x70, chip.regs[0x15], chip.regs[0x1C] & 0x80,
     chip.regs[0x00] & 0x96, chip.converting, chip.calibrations, chip.gain])
""")
    ctrl1, crs, adc_reg, pga_cap, pu, converting, cals, gain = out
    assert ctrl1 == (0b101 << 3) | 0b110  # LDO 3.0 V (headroom on a 3.3 V supply), gain 64
    assert crs == 0  # 10 SPS
    assert adc_reg == 0x30 and pga_cap == 0x80
    assert pu == 0x96  # AVDDS | CS | PUA | PUD
    assert converting and cals == 1 and gain == 64


def test_register_reset_comes_first(mpy_json):
    out = run(mpy_json, """
adc = NAU7802(i2c)
out(chip.writes[:2])
""")
    assert out == [[0, 0x01], [0, 0x00]]


def test_read_returns_signed_counts_and_clears_cycle_ready(mpy_json):
    out = run(mpy_json, """
adc = NAU7802(i2c)
res = [adc.ready()]
for v in (-4242, 8_000_000, -8_388_608):
    chip.inputs[0] = v
    chip.convert()
    res += [adc.ready(), adc.read(), adc.ready()]
out(res)
""")
    assert out == [False, True, -4242, False, True, 8_000_000, False, True, -8_388_608, False]


def test_channel_two_is_selected_through_ctrl2_chs(mpy_json):
    out = run(mpy_json, """
adc = NAU7802(i2c)
chip.inputs = [111, 222]
adc.set_channel(1); chip.convert(); b = adc.read()
adc.set_channel(0); chip.convert(); a = adc.read()
out([a, b])
""")
    assert out == [111, 222]


def test_power_down_stops_conversions_and_power_up_resumes(mpy_json):
    out = run(mpy_json, """
adc = NAU7802(i2c)
adc.power_down()
down = [chip.powered_down, chip.convert()]
adc.power_up()
out(down + [chip.convert()])
""")
    assert out == [True, False, True]


def test_missing_chip_is_an_oserror_naming_the_address(mpy_json):
    out = mpy_json(fw("""
from drivers.nau7802 import NAU7802
try:
    NAU7802(machine.I2C(0))
except OSError as e:
    out(str(e))
"""))
    assert "NAU7802 not found at I2C address 0x2a" in out and "pull-ups" in out


def test_another_chip_at_the_address_is_refused(mpy_json):
    out = run(mpy_json, """
chip.regs[0x1F] = 0x00
chip._reset = lambda: None
try:
    NAU7802(i2c)
except OSError as e:
    out(str(e))
""")
    assert "not a NAU7802" in out


def test_calibration_error_is_reported(mpy_json):
    out = run(mpy_json, """
chip.cal_error = True
try:
    NAU7802(i2c)
except OSError as e:
    out(str(e))
""")
    assert "CAL_ERR" in out


def test_power_up_that_never_completes_times_out(mpy_json):
    out = run(mpy_json, """
chip.power_up_reads = 10**9
try:
    NAU7802(i2c)
except OSError as e:
    out(str(e))
""")
    assert "did not power up" in out


def test_read_with_no_conversion_times_out(mpy_json):
    out = run(mpy_json, """
adc = NAU7802(i2c, timeout_ms=20)
try:
    adc.read()
except OSError as e:
    out(str(e))
""")
    assert "no conversion came within 20 ms" in out


def test_a_bus_error_during_a_read_surfaces_as_oserror(mpy_json):
    out = run(mpy_json, """
adc = NAU7802(i2c)
chip.convert()
chip.fail_next = 1
try:
    adc.read()
    out("no error")
except OSError as e:
    out("oserror")
""")
    assert out == "oserror"
