"""Vibration: the PWM coin motor and the DRV2605L haptic driver (register-level fake)."""

import machine
from drivers.drv2605 import DRV2605
from drivers.vibration import Motor
from fake_drv2605 import FakeDRV2605
from mptest import error_text

ISOLATE = True  # a fresh fake `machine` (its bus and PWM) per test


def _drv2605(**kw):
    chip = FakeDRV2605(**kw)
    machine.fake_i2c_attach(0x5A, chip)
    return machine.I2C(0), chip


def test_motor_pwm_runs_at_20khz_and_maps_strength_above_the_start_threshold():
    m = Motor(machine.Pin(27), min_pct=35)
    pwm = machine.fake_pwm(27)
    freq, idle = pwm.freq(), pwm.duty_u16()
    duty = []
    for pct in (100, 1, 50):
        m.on(pct)
        duty.append(pwm.duty_u16())
    m.off()
    full, weakest, half = duty
    assert freq == 20_000 and idle == 0 and pwm.duty_u16() == 0 and m.level_pct == 0, freq
    assert full == 65535, full
    assert weakest == 35 * 65535 // 100, weakest  # 1 % still starts the motor
    assert half == 67 * 65535 // 100, half  # 35 + 65 * 50 // 100


def test_motor_active_low_inverts_the_duty():
    m = Motor(machine.Pin(27), active_high=False)
    pwm = machine.fake_pwm(27)
    got = [pwm.duty_u16()]
    m.on(100)
    got.append(pwm.duty_u16())
    assert got == [65535, 0], got


def test_drv2605_init_leaves_standby_in_erm_open_loop_with_library_1():
    i2c, chip = _drv2605()
    hap = DRV2605(i2c)
    got = [chip.standby, chip.mode, chip.regs[0x03], chip.regs[0x1A] & 0x80]
    got += [chip.regs[0x1D] & 0x20, hap.device_id]
    assert got == [False, 0, 1, 0, 0x20, 7], got


def test_drv2605_lra_sets_feedback_and_library_6():
    i2c, chip = _drv2605()
    DRV2605(i2c, actuator="lra")
    got = [chip.regs[0x1A] & 0x80, chip.regs[0x03]]
    assert got == [0x80, 6], got


def test_drv2605_plays_an_effect_sequence_and_go_clears_when_done():
    i2c, chip = _drv2605()
    hap = DRV2605(i2c)
    hap.play_effect(47, 47, 1)
    states = [hap.playing(), hap.playing(), hap.playing()]
    played = [list(p) for p in chip.played]
    assert played == [[47, 47, 1]] and states == [True, True, False], (played, states)


def test_drv2605_on_off_is_real_time_playback():
    i2c, chip = _drv2605()
    hap = DRV2605(i2c)
    hap.on(100)
    got = [chip.mode, chip.drive_level]
    hap.on(50)
    got.append(chip.drive_level)
    hap.off()
    got += [chip.mode, chip.drive_level]
    assert got == [5, 127, 63, 0, 0], got


def test_drv2605_power_down_is_standby_and_effect_checks():
    i2c, chip = _drv2605()
    hap = DRV2605(i2c)
    hap.power_down()
    got = [chip.standby]
    hap.power_up()
    got.append(chip.standby)
    assert got == [True, False], got
    text = error_text(ValueError, hap.play_effect, 124)
    assert "1..123" in text, text


def test_drv2605_missing_wrong_or_stuck_in_reset_are_oserrors():
    i2c = machine.I2C(0)
    missing = error_text(OSError, DRV2605, i2c)
    _drv2605(device_id=1)
    wrong = error_text(OSError, DRV2605, i2c)
    _, chip = _drv2605()
    chip.reset_reads = 10**9
    stuck = error_text(OSError, DRV2605, i2c)
    assert "not found at I2C address 0x5a" in missing, missing
    assert "not a DRV2605" in wrong, wrong
    assert "did not finish its reset" in stuck, stuck
