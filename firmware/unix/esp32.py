# Unix-port stand-in for the `esp32` module: only the light-sleep wake sources power.py uses.
#
# wake_on_ext0 / wake_on_gpio record which pins wake the device and at which level; the fake
# machine.lightsleep() returns when one of them is at that level. As in the port's modesp32.c:
# `wake_on_gpio(None, level)` leaves the pins as they were (only a sequence replaces them; an
# empty tuple clears them), and a wake by one of them reports machine.WAKE_GPIO (7).
# Limits: no RTC/touch/ULP checks (a board rejects non-RTC pins for ext0; the fake accepts
# any pin).
import machine

WAKEUP_ALL_LOW = False
WAKEUP_ANY_HIGH = True

_ext0_pin = None
_gpio_pins = []


def _pin_id(pin):
    return pin._id if isinstance(pin, machine.Pin) else pin


def wake_on_ext0(pin, level):
    global _ext0_pin
    if _ext0_pin is not None:
        machine.fake_set_wake(_ext0_pin, None)
    _ext0_pin = None if pin is None else _pin_id(pin)
    if _ext0_pin is not None:
        machine.fake_set_wake(_ext0_pin, 1 if level else 0, machine.EXT0_WAKE)


def _set_pins(pins, level, kind):
    if pins is None:
        return  # None keeps the pins armed before (the port's behaviour)
    for pid in _gpio_pins:
        machine.fake_set_wake(pid, None)
    del _gpio_pins[:]
    for pin in pins:
        pid = _pin_id(pin)
        _gpio_pins.append(pid)
        machine.fake_set_wake(pid, 1 if level else 0, kind)


def wake_on_gpio(pins, level):
    _set_pins(pins, level, machine.WAKE_GPIO)


def wake_on_ext1(pins, level):
    _set_pins(pins, level, machine.EXT1_WAKE)
