"""HX711 driver against a pulse-level fake (tests/firmware/fakes/fake_hx711.py)."""

import pytest
from drv_helpers import fw

SETUP = """
from fake_hx711 import FakeHX711
from drivers.hx711 import HX711
chip = FakeHX711(18, 19)
hx = HX711(machine.Pin(18), machine.Pin(19))
"""


def run(mpy_json, body):
    return mpy_json(fw(SETUP + body))


@pytest.mark.parametrize("counts", [0, 1, -1, 123456, -123456, 0x7FFFFF, -0x800000])
def test_read_returns_the_signed_24_bit_conversion_msb_first(mpy_json, counts):
    out = run(
        mpy_json,
        f"""
chip.a_counts = {counts}
chip.convert()
out(hx.read())
""",
    )
    assert out == counts


def test_inputs_beyond_24_bits_saturate_like_the_chip(mpy_json):
    out = run(
        mpy_json,
        """
chip.a_counts = 1 << 25
chip.convert()
a = hx.read()
chip.a_counts = -(1 << 25)
chip.convert()
out([a, hx.read()])
""",
    )
    assert out == [0x7FFFFF, -0x800000]


def test_each_sck_pulse_alone_is_inside_disable_irq(mpy_json):
    out = run(
        mpy_json,
        """
for v in (5, -7, 99):
    chip.a_counts = v
    chip.convert()
    hx.read()
out([chip.pulses_outside_critical, machine.fake_stats["max_ops_in_section"],
       machine.fake_stats["critical_sections"]])
""",
    )
    outside, max_ops, sections = out
    assert outside == 0
    assert max_ops == 2  # SCK high, SCK low: one pulse per critical section
    assert sections == 3 * 25


def test_ready_follows_dout_low_and_clears_after_the_read(mpy_json):
    out = run(
        mpy_json,
        """
before = hx.ready()
chip.convert()
during = hx.ready()
hx.read()
out([before, during, hx.ready()])
""",
    )
    assert out == [False, True, False]


@pytest.mark.parametrize(
    "gain, pulses, channel, value",
    [(128, 25, "A", 1000), (64, 27, "A", 500), (32, 26, "B", -77)],
)
def test_pulse_count_selects_channel_and_gain_of_the_next_conversion(
    mpy_json, gain, pulses, channel, value
):
    out = run(
        mpy_json,
        f"""
chip.a_counts = 1000
chip.b_counts = -77
hx.set_gain({gain})
chip.convert()
first = hx.read()          # still A-128: the pulses of this read choose the next one
chip.convert()
second = hx.read()
out([first, chip.next_pulses, chip.last_gain, chip.last_channel, second])
""",
    )
    assert out == [1000, pulses, gain, channel, value]


def test_power_down_holds_sck_high_past_60us_and_power_up_resets_to_a128(mpy_json):
    out = run(
        mpy_json,
        """
hx.set_gain(64)
chip.convert(); hx.read()
hx.power_down()
down = chip.powered_down
converts_while_down = chip.convert()
hx.power_up()
out([down, converts_while_down, chip.power_downs, chip.resets, chip.next_pulses,
       hx.ready()])
""",
    )
    assert out == [True, False, 1, 1, 25, False]


def test_fake_sees_a_short_pulse_as_no_power_down(mpy_json):
    # the fake itself: a normal-width pulse must not count as a power-down
    out = run(
        mpy_json,
        """
sck = machine.Pin(18)
s = machine.disable_irq(); sck(1); sck(0); machine.enable_irq(s)
out(chip.power_downs)
""",
    )
    assert out == 0


def test_read_without_a_chip_times_out_with_a_clear_oserror(mpy_json):
    out = mpy_json(
        fw("""
from drivers.hx711 import HX711
hx = HX711(machine.Pin(4), machine.Pin(5), timeout_ms=30)
try:
    hx.read()
    out("no error")
except OSError as e:
    out(str(e))
""")
    )
    assert "gave no data in 30 ms" in out and "wiring" in out


def test_read_while_powered_down_is_an_oserror_saying_what_to_do(mpy_json):
    out = run(
        mpy_json,
        """
hx.power_down()
try:
    hx.read()
except OSError as e:
    out(str(e))
""",
    )
    assert "power_up()" in out


def test_an_unsupported_gain_is_a_value_error(mpy_json):
    out = run(
        mpy_json,
        """
try:
    hx.set_gain(100)
except ValueError as e:
    out(str(e))
""",
    )
    assert "128" in out and "32" in out
