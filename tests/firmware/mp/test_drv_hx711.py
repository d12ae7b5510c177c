"""HX711 driver against a pulse-level fake (tests/firmware/fakes/fake_hx711.py)."""

import machine
from drivers.hx711 import HX711
from fake_hx711 import FakeHX711
from mptest import error_text

ISOLATE = True  # the fake `machine` counts pulses and critical sections per process
PARAMS = {
    "test_read_returns_the_signed_24_bit_conversion_msb_first": [
        0,
        1,
        -1,
        123456,
        -123456,
        0x7FFFFF,
        -0x800000,
    ],
    # (gain, pulses, channel, value)
    "test_pulse_count_selects_channel_and_gain_of_the_next_conversion": [
        (128, 25, "A", 1000),
        (64, 27, "A", 500),
        (32, 26, "B", -77),
    ],
}


def _chip():
    return FakeHX711(18, 19), HX711(machine.Pin(18), machine.Pin(19))


def _convert_and_read(chip, hx, counts):
    chip.a_counts = counts
    chip.convert()
    return hx.read()


def test_read_returns_the_signed_24_bit_conversion_msb_first(counts):
    chip, hx = _chip()
    got = _convert_and_read(chip, hx, counts)
    assert got == counts, (got, counts)


def test_inputs_beyond_24_bits_saturate_like_the_chip():
    chip, hx = _chip()
    got = [_convert_and_read(chip, hx, 1 << 25), _convert_and_read(chip, hx, -(1 << 25))]
    assert got == [0x7FFFFF, -0x800000], got


def test_each_sck_pulse_alone_is_inside_disable_irq():
    chip, hx = _chip()
    for v in (5, -7, 99):
        _convert_and_read(chip, hx, v)
    assert chip.pulses_outside_critical == 0, chip.pulses_outside_critical
    stats = machine.fake_stats
    assert stats["max_ops_in_section"] == 2, stats  # SCK high, SCK low: one pulse a section
    assert stats["critical_sections"] == 3 * 25, stats


def test_ready_follows_dout_low_and_clears_after_the_read():
    chip, hx = _chip()
    before = hx.ready()
    chip.convert()
    during = hx.ready()
    hx.read()
    got = [before, during, hx.ready()]
    assert got == [False, True, False], got


def test_pulse_count_selects_channel_and_gain_of_the_next_conversion(case):
    gain, pulses, channel, value = case
    chip, hx = _chip()
    chip.a_counts = 1000
    chip.b_counts = -77
    hx.set_gain(gain)
    chip.convert()
    first = hx.read()  # still A-128: the pulses of this read choose the next one
    chip.convert()
    second = hx.read()
    got = [first, chip.next_pulses, chip.last_gain, chip.last_channel, second]
    assert got == [1000, pulses, gain, channel, value], got


def test_power_down_holds_sck_high_past_60us_and_power_up_resets_to_a128():
    chip, hx = _chip()
    hx.set_gain(64)
    chip.convert()
    hx.read()
    hx.power_down()
    down = chip.powered_down
    converts_while_down = chip.convert()
    hx.power_up()
    got = [down, converts_while_down, chip.power_downs, chip.resets, chip.next_pulses]
    got.append(hx.ready())
    assert got == [True, False, 1, 1, 25, False], got


def test_fake_sees_a_short_pulse_as_no_power_down():
    # the fake itself: a normal-width pulse must not count as a power-down
    chip, _ = _chip()
    sck = machine.Pin(18)
    s = machine.disable_irq()
    sck(1)
    sck(0)
    machine.enable_irq(s)
    assert chip.power_downs == 0, chip.power_downs


def test_read_without_a_chip_times_out_with_a_clear_oserror():
    hx = HX711(machine.Pin(4), machine.Pin(5), timeout_ms=30)
    text = error_text(OSError, hx.read)
    assert "gave no data in 30 ms" in text and "wiring" in text, text


def test_read_while_powered_down_is_an_oserror_saying_what_to_do():
    _, hx = _chip()
    hx.power_down()
    text = error_text(OSError, hx.read)
    assert "power_up()" in text, text


def test_an_unsupported_gain_is_a_value_error():
    _, hx = _chip()
    text = error_text(ValueError, hx.set_gain, 100)
    assert "128" in text and "32" in text, text
