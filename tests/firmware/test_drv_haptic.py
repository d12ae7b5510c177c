"""Vibration: the PWM coin motor and the DRV2605L haptic driver (register-level fake)."""

from drv_helpers import fw

DRV = """
from fake_drv2605 import FakeDRV2605
from drivers.drv2605 import DRV2605
i2c = machine.I2C(0)
chip = FakeDRV2605()
machine.fake_i2c_attach(0x5A, chip)
"""


def test_motor_pwm_runs_at_20khz_and_maps_strength_above_the_start_threshold(mpy_json):
    out = mpy_json(fw("""
from drivers.vibration import Motor
m = Motor(machine.Pin(27), min_pct=35)
pwm = machine.fake_pwm(27)
res = [pwm.freq(), pwm.duty_u16()]
m.on(100); res.append(pwm.duty_u16())
m.on(1); res.append(pwm.duty_u16())
m.on(50); res.append(pwm.duty_u16())
m.off(); res.append(pwm.duty_u16())
out(res + [m.level_pct])
"""))
    freq, idle, full, weakest, half, off, level = out
    assert freq == 20_000 and idle == 0 and off == 0 and level == 0
    assert full == 65535
    assert weakest == 35 * 65535 // 100  # 1 % still starts the motor
    assert half == 67 * 65535 // 100  # 35 + 65 * 50 // 100


def test_motor_active_low_inverts_the_duty(mpy_json):
    out = mpy_json(fw("""
from drivers.vibration import Motor
m = Motor(machine.Pin(27), active_high=False)
pwm = machine.fake_pwm(27)
res = [pwm.duty_u16()]
m.on(100); res.append(pwm.duty_u16())
out(res)
"""))
    assert out == [65535, 0]


def test_drv2605_init_leaves_standby_in_erm_open_loop_with_library_1(mpy_json):
    out = mpy_json(fw(DRV + """
hap = DRV2605(i2c)
out([chip.standby, chip.mode, chip.regs[0x03], chip.regs[0x1A] & 0x80,
     chip.regs[0x1D] & 0x20, hap.device_id])
"""))
    assert out == [False, 0, 1, 0, 0x20, 7]


def test_drv2605_lra_sets_feedback_and_library_6(mpy_json):
    out = mpy_json(fw(DRV + """
hap = DRV2605(i2c, actuator="lra")
out([chip.regs[0x1A] & 0x80, chip.regs[0x03]])
"""))
    assert out == [0x80, 6]


def test_drv2605_plays_an_effect_sequence_and_go_clears_when_done(mpy_json):
    out = mpy_json(fw(DRV + """
hap = DRV2605(i2c)
hap.play_effect(47, 47, 1)
states = [hap.playing(), hap.playing(), hap.playing()]
out([chip.played, states])
"""))
    assert out == [[[47, 47, 1]], [True, True, False]]


def test_drv2605_on_off_is_real_time_playback(mpy_json):
    out = mpy_json(fw(DRV + """
hap = DRV2605(i2c)
hap.on(100)
a = [chip.mode, chip.drive_level]
hap.on(50)
b = chip.drive_level
hap.off()
out(a + [b, chip.mode, chip.drive_level])
"""))
    assert out == [5, 127, 63, 0, 0]


def test_drv2605_power_down_is_standby_and_effect_checks(mpy_json):
    out = mpy_json(fw(DRV + """
hap = DRV2605(i2c)
hap.power_down()
res = [chip.standby]
hap.power_up()
res.append(chip.standby)
try:
    hap.play_effect(124)
except ValueError as e:
    res.append(str(e))
out(res)
"""))
    assert out[:2] == [True, False]
    assert "1..123" in out[2]


def test_drv2605_missing_wrong_or_stuck_in_reset_are_oserrors(mpy_json):
    out = mpy_json(fw("""
from fake_drv2605 import FakeDRV2605
from drivers.drv2605 import DRV2605
i2c = machine.I2C(0)
msgs = []
try:
    DRV2605(i2c)
except OSError as e:
    msgs.append(str(e))
chip = FakeDRV2605(device_id=1)
machine.fake_i2c_attach(0x5A, chip)
try:
    DRV2605(i2c)
except OSError as e:
    msgs.append(str(e))
chip = FakeDRV2605()
chip.reset_reads = 10**9
machine.fake_i2c_attach(0x5A, chip)
try:
    DRV2605(i2c)
except OSError as e:
    msgs.append(str(e))
out(msgs)
"""))
    assert "not found at I2C address 0x5a" in out[0]
    assert "not a DRV2605" in out[1]
    assert "did not finish its reset" in out[2]
