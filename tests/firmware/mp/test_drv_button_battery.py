"""The button's GPIO side and the battery divider on the ADC."""

import time

import machine
from device.button import Button
from drivers.battery import Battery
from drivers.button_pin import ButtonPin
from shared import events as ev

ISOLATE = True  # a fresh fake `machine` (its pins and ADC) per test


def test_button_pin_pulls_up_reads_raw_level_and_counts_press_edges():
    b = ButtonPin(machine.Pin(32))
    got = [b.value(), b.pressed()]
    machine.fake_drive(32, 0)
    got += [b.value(), b.pressed()]
    machine.fake_drive(32, 1)
    machine.fake_drive(32, 0)
    got += [b.edges, b.wake_level]
    assert got == [1, False, 0, True, 2, 0], got


def test_button_pin_active_high_uses_a_pull_down():
    b = ButtonPin(machine.Pin(4), active_low=False)
    got = [b.value(), b.pressed()]
    machine.fake_drive(4, 1)
    got += [b.pressed(), b.edges, b.wake_level]
    assert got == [0, False, True, 1, 1], got


def test_button_long_press_across_a_ticks_wrap():
    machine.fake_ticks_offset_ms = (1 << 30) - 1000 - time.ticks_ms()
    b = Button(ButtonPin(machine.Pin(32)))
    machine.fake_drive(32, 0)
    kinds = []
    for i in range(100):  # 2 s held, polled every 20 ms, across the wrap
        kinds.append(b.update(machine.fake_ticks_ms()))
        time.sleep_ms(20)
    got = [kinds.count(ev.BTN_LONG), machine.fake_ticks_ms() < 10_000]
    assert got == [1, True], got  # one BTN_LONG, and the clock did wrap


def _battery_at(uv, **kw):
    bat = Battery(machine.ADC(machine.Pin(35), atten=machine.ADC.ATTN_11DB), **kw)
    machine.fake_adc_set_uv(35, uv)
    return bat


def test_battery_reads_cell_millivolts_through_the_divider():
    bat = _battery_at(1_900_000, divider_x1000=2000)
    got = [bat.read_mv(), bat.percent(), bat.low()]
    assert got == [3800, 50, False], got


def test_battery_percent_follows_the_lipo_curve_and_clamps():
    bat = Battery(machine.ADC(machine.Pin(35)))
    got = [bat.percent(4300), bat.percent(4150), bat.percent(3725), bat.percent(3200)]
    assert got == [100, 95, 35, 0], got


def test_battery_low_below_threshold():
    bat = _battery_at(1_650_000, low_mv=3450)
    assert [bat.read_mv(), bat.low()] == [3300, True], [bat.read_mv(), bat.low()]
