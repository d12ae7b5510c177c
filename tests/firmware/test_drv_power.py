"""power.py: light sleep between sessions with the ADC down, the motor off, the button armed."""

from drv_helpers import fw

SETUP = """
from fake_hx711 import FakeHX711
from drivers.hx711 import HX711
from drivers.vibration import Motor
from drivers.button_pin import ButtonPin
from device.power import Power
chip = FakeHX711(18, 19)
hx = HX711(machine.Pin(18), machine.Pin(19))
motor = Motor(machine.Pin(27))
btn = ButtonPin(machine.Pin(32))
p = Power(scales=[hx], motor=motor, button=btn)
seen = {}
def during_sleep(time_ms):
    seen["time_ms"] = time_ms
    seen["adc_down"] = chip.powered_down
    seen["motor_duty"] = machine.fake_pwm(27).duty_u16()
    seen["asleep"] = p.asleep
    if PRESS:
        machine.fake_drive(32, 0)       # the wearer presses the button
machine.fake_sleep_hook = during_sleep
"""


def test_sleep_powers_the_adc_down_stops_the_motor_and_wakes_on_the_button(mpy_json):
    out = mpy_json(fw("PRESS = True\n" + SETUP + """
motor.on(80)
woke = p.sleep(max_ms=5000)
out([woke, seen, p.wake_source, chip.resets, hx.powered, machine.wake_reason()])
"""))
    woke, seen, source, resets, powered, reason = out
    assert woke is True
    assert seen == {"time_ms": 5000, "adc_down": True, "motor_duty": 0, "asleep": True}
    assert source == "gpio"  # esp32.wake_on_gpio: any pin, light sleep
    assert resets == 1 and powered is True  # powered up again (the chip reset)
    assert reason == 7  # ESP_SLEEP_WAKEUP_GPIO (not machine.PIN_WAKE, 2): a wake_on_gpio wake


def test_sleep_without_a_press_ends_on_the_timer(mpy_json):
    out = mpy_json(fw("PRESS = False\n" + SETUP + """
woke = p.sleep(max_ms=20)
out([woke, machine.wake_reason(), machine.fake_stats["lightsleeps"], hx.powered])
"""))
    assert out == [False, 4, 1, True]  # machine.TIMER_WAKE


def test_a_held_button_skips_the_sleep(mpy_json):
    out = mpy_json(fw("PRESS = False\n" + SETUP + """
machine.fake_drive(32, 0)
woke = p.sleep(max_ms=5000)
out([woke, machine.fake_stats["lightsleeps"], chip.power_downs])
"""))
    assert out == [True, 0, 0]


def test_without_gpio_wake_the_button_is_armed_as_ext0(mpy_json):
    out = mpy_json(fw("PRESS = True\n" + SETUP + """
import esp32
del esp32.wake_on_gpio
woke = p.sleep(max_ms=5000)
machine.fake_drive(32, 1)
before = btn.edges
machine.fake_drive(32, 0)             # the press IRQ is back after waking
out([woke, p.wake_source, btn.edges - before])
"""))
    assert out == [True, "ext0", 1]
