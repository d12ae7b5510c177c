"""The button's GPIO side and the battery divider on the ADC."""

from drv_helpers import fw


def test_button_pin_pulls_up_reads_raw_level_and_counts_press_edges(mpy_json):
    out = mpy_json(fw("""
from drivers.button_pin import ButtonPin
b = ButtonPin(machine.Pin(32))
res = [b.value(), b.pressed()]
machine.fake_drive(32, 0)
res += [b.value(), b.pressed()]
machine.fake_drive(32, 1)
machine.fake_drive(32, 0)
out(res + [b.edges, b.wake_level])
"""))
    assert out == [1, False, 0, True, 2, 0]


def test_button_pin_active_high_uses_a_pull_down(mpy_json):
    out = mpy_json(fw("""
from drivers.button_pin import ButtonPin
b = ButtonPin(machine.Pin(4), active_low=False)
res = [b.value(), b.pressed()]
machine.fake_drive(4, 1)
out(res + [b.pressed(), b.edges, b.wake_level])
"""))
    assert out == [0, False, True, 1, 1]


def test_battery_reads_cell_millivolts_through_the_divider(mpy_json):
    out = mpy_json(fw("""
from drivers.battery import Battery
bat = Battery(machine.ADC(machine.Pin(35), atten=machine.ADC.ATTN_11DB), divider_x1000=2000)
machine.fake_adc_set_uv(35, 1_900_000)
out([bat.read_mv(), bat.percent(), bat.low()])
"""))
    assert out == [3800, 50, False]


def test_battery_percent_follows_the_lipo_curve_and_clamps(mpy_json):
    out = mpy_json(fw("""
from drivers.battery import Battery
bat = Battery(machine.ADC(machine.Pin(35)))
out([bat.percent(4300), bat.percent(4150), bat.percent(3725), bat.percent(3200)])
"""))
    assert out == [100, 95, 35, 0]


def test_battery_low_below_threshold(mpy_json):
    out = mpy_json(fw("""
from drivers.battery import Battery
bat = Battery(machine.ADC(machine.Pin(35), atten=machine.ADC.ATTN_11DB), low_mv=3450)
machine.fake_adc_set_uv(35, 1_650_000)
out([bat.read_mv(), bat.low()])
"""))
    assert out == [3300, True]
