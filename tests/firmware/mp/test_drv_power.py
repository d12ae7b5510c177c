"""power.py: light sleep between sessions with the ADC down, the motor off, the button armed."""

import esp32
import machine
from device.power import Power
from drivers.button_pin import ButtonPin
from drivers.hx711 import HX711
from drivers.vibration import Motor
from fake_hx711 import FakeHX711

ISOLATE = True  # the fake `machine` keeps its sleep hook, wake reason and counters


class Board:
    """An HX711, a motor on pin 27, a button on 32; notes what the sleep saw."""

    def __init__(self, press):
        self.chip = FakeHX711(18, 19)
        self.hx = HX711(machine.Pin(18), machine.Pin(19))
        self.motor = Motor(machine.Pin(27))
        self.btn = ButtonPin(machine.Pin(32))
        self.p = Power(scales=[self.hx], motor=self.motor, button=self.btn)
        self.press = press
        self.seen = {}
        machine.fake_sleep_hook = self.during_sleep

    def during_sleep(self, time_ms):
        self.seen["time_ms"] = time_ms
        self.seen["adc_down"] = self.chip.powered_down
        self.seen["motor_duty"] = machine.fake_pwm(27).duty_u16()
        self.seen["asleep"] = self.p.asleep
        if self.press:
            machine.fake_drive(32, 0)  # the wearer presses the button


def test_sleep_powers_the_adc_down_stops_the_motor_and_wakes_on_the_button():
    b = Board(press=True)
    b.motor.on(80)
    woke = b.p.sleep(max_ms=5000)
    assert woke is True
    want = {"time_ms": 5000, "adc_down": True, "motor_duty": 0, "asleep": True}
    assert b.seen == want, b.seen
    assert b.p.wake_source == "gpio", b.p.wake_source  # esp32.wake_on_gpio: light sleep
    assert b.chip.resets == 1 and b.hx.powered is True  # powered up again (the chip reset)
    # ESP_SLEEP_WAKEUP_GPIO (not machine.PIN_WAKE, 2): a wake_on_gpio wake
    assert machine.wake_reason() == 7, machine.wake_reason()


def test_sleep_without_a_press_ends_on_the_timer():
    b = Board(press=False)
    woke = b.p.sleep(max_ms=20)
    got = [woke, machine.wake_reason(), machine.fake_stats["lightsleeps"], b.hx.powered]
    assert got == [False, 4, 1, True], got  # machine.TIMER_WAKE


def test_a_held_button_skips_the_sleep():
    b = Board(press=False)
    machine.fake_drive(32, 0)
    woke = b.p.sleep(max_ms=5000)
    got = [woke, machine.fake_stats["lightsleeps"], b.chip.power_downs]
    assert got == [True, 0, 0], got


def test_without_gpio_wake_the_button_is_armed_as_ext0():
    b = Board(press=True)
    del esp32.wake_on_gpio
    woke = b.p.sleep(max_ms=5000)
    machine.fake_drive(32, 1)
    before = b.btn.edges
    machine.fake_drive(32, 0)  # the press IRQ is back after waking
    got = [woke, b.p.wake_source, b.btn.edges - before]
    assert got == [True, "ext0", 1], got
