"""NAU7802 driver against a register-level fake (tests/firmware/fakes/fake_nau7802.py)."""

import time

import machine
from drivers.nau7802 import NAU7802, SETTLE_MS
from fake_nau7802 import FakeNAU7802
from mptest import error_text

ISOLATE = True  # a fresh fake `machine` (its I2C bus) per test


def _chip():
    chip = FakeNAU7802()
    machine.fake_i2c_attach(0x2A, chip)
    return machine.I2C(0), chip


def _start_error(setup):
    """The OSError NAU7802() raises on a chip `setup(chip)` has broken."""
    i2c, chip = _chip()
    setup(chip)
    return error_text(OSError, NAU7802, i2c)


def test_start_up_sets_ldo_gain_rate_and_starts_converting():
    i2c, chip = _chip()
    NAU7802(i2c, gain=64, rate_sps=10)
    r = chip.regs
    # LDO 3.0 V (headroom on a 3.3 V supply), gain 64
    assert r[0x01] == (0b101 << 3) | 0b110, r[0x01]
    assert r[0x02] & 0x70 == 0, r[0x02]  # 10 SPS
    assert r[0x15] == 0x30 and r[0x1C] & 0x80 == 0x80, (r[0x15], r[0x1C])
    assert r[0x00] & 0x96 == 0x96, r[0x00]  # AVDDS | CS | PUA | PUD
    assert chip.converting and chip.calibrations == 1 and chip.gain == 64, chip.gain


def test_start_up_waits_after_reset_and_calibrates_only_once_settled():
    i2c, chip = _chip()
    chip.auto = True
    NAU7802(i2c, rate_sps=80)
    got = [chip.unsettled_cals, chip.calibrations, chip.regs[0x01] >> 3 & 7, chip.regs[0x1C] >> 7]
    # LDO 3.0 V on a 3.3 V supply; channel 1 is read: the capacitor across channel 2 is on
    assert got == [0, 1, 0b101, 1], got


def test_reading_channel_2_turns_the_pga_capacitor_off():
    i2c, chip = _chip()
    NAU7802(i2c, channel=1, calibrate=False)
    got = [chip.channel, chip.regs[0x1C] >> 7]
    assert got == [1, 0], got


def test_after_a_wake_readings_come_only_once_settled():
    i2c, chip = _chip()
    chip.auto = True
    adc = NAU7802(i2c, calibrate=False)
    adc.power_down()
    adc.power_up()
    t0 = time.ticks_ms()
    early = adc.ready()  # conversions come (auto), but are not settled
    adc.read()
    got = [early, time.ticks_diff(time.ticks_ms(), t0) >= SETTLE_MS]
    assert got == [False, True], got


def test_register_reset_comes_first():
    i2c, chip = _chip()
    NAU7802(i2c)
    got = [list(w) for w in chip.writes[:2]]
    assert got == [[0, 0x01], [0, 0x00]], got


def test_read_returns_signed_counts_and_clears_cycle_ready():
    i2c, chip = _chip()
    adc = NAU7802(i2c)
    res = [adc.ready()]
    for v in (-4242, 8_000_000, -8_388_608):
        chip.inputs[0] = v
        chip.convert()
        res += [adc.ready(), adc.read(), adc.ready()]
    want = [False, True, -4242, False, True, 8_000_000, False, True, -8_388_608, False]
    assert res == want, res


def test_channel_two_is_selected_through_ctrl2_chs():
    i2c, chip = _chip()
    adc = NAU7802(i2c)
    chip.inputs = [111, 222]
    adc.set_channel(1)
    chip.convert()
    b = adc.read()
    adc.set_channel(0)
    chip.convert()
    a = adc.read()
    assert [a, b] == [111, 222], [a, b]


def test_power_down_stops_conversions_and_power_up_resumes():
    i2c, chip = _chip()
    adc = NAU7802(i2c)
    adc.power_down()
    got = [chip.powered_down, chip.convert()]
    adc.power_up()
    got.append(chip.convert())
    assert got == [True, False, True], got


def test_missing_chip_is_an_oserror_naming_the_address():
    text = error_text(OSError, NAU7802, machine.I2C(0))
    assert "NAU7802 not found at I2C address 0x2a" in text and "pull-ups" in text, text


def _another_chip(chip):
    chip.regs[0x1F] = 0x00
    chip._reset = lambda: None


def test_another_chip_at_the_address_is_refused():
    text = _start_error(_another_chip)
    assert "not a NAU7802" in text, text


def _calibration_fails(chip):
    chip.cal_error = True


def test_calibration_error_is_reported():
    text = _start_error(_calibration_fails)
    assert "CAL_ERR" in text, text


def _never_powers_up(chip):
    chip.power_up_reads = 10**9


def test_power_up_that_never_completes_times_out():
    text = _start_error(_never_powers_up)
    assert "did not power up" in text, text


def test_read_with_no_conversion_times_out():
    i2c, _ = _chip()
    adc = NAU7802(i2c, timeout_ms=20)
    text = error_text(OSError, adc.read)
    assert "no conversion came within 20 ms" in text, text


def test_a_bus_error_during_a_read_surfaces_as_oserror():
    i2c, chip = _chip()
    adc = NAU7802(i2c)
    chip.convert()
    chip.fail_next = 1
    error_text(OSError, adc.read)
