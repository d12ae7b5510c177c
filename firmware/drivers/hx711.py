# MIT license. HX711 24-bit load-cell ADC, bit-banged on two GPIOs (robert-hh/hx71x style).
#
#     from machine import Pin
#     from drivers.hx711 import HX711
#     scale = HX711(Pin(18), Pin(19), gain=128)   # SCK (PD_SCK), DOUT
#     if scale.ready():
#         counts = scale.read()                    # signed 24-bit counts
#     scale.power_down()                           # between sessions (~1 uA)
#     scale.power_up()                             # resets the chip: gain back to A-128
#
# Wire protocol (HX711 datasheet, Avia Semiconductor): DOUT goes low when a conversion is
# ready; each of 24 SCK pulses shifts one bit out, MSB first; 1, 2 or 3 more pulses (25, 26 or
# 27 in all) select the input and gain of the NEXT conversion: A-128, B-32, A-64. SCK held
# high for more than 60 us powers the chip down; SCK low again resets it (A-128, and the
# first conversion needs ~400 ms at 10 SPS / ~50 ms at 80 SPS to settle).
#
# The read: each SCK pulse alone sits inside disable_irq()/enable_irq() so that no interrupt
# can stretch it past 60 us; the bits are read between pulses with interrupts on. On an ESP32
# or ESP32-S3 with both pins below 32 the pulses are written straight to the GPIO registers by
# a viper function (GPIO_OUT_W1TS/W1TC, GPIO_IN; the same offsets on both chips, bases
# 0x3FF44000 and 0x60004000), which leaves the pulse ~1 us high (a few register reads; the
# datasheet wants >= 0.2 us); elsewhere (the unix port, other chips) a native-code loop over
# the Pin objects. Viper traps minded here: ptr32 loads are sign-extended on the chip and
# zero-extended on a 64-bit port (only `& mask` tests are made on them), viper ints are 32-bit
# on the chip (the 24-bit value fits), native code needs -march=xtensawin (`make mpy`) and
# lives in IRAM (esp32.idf_heap_info(esp32.HEAP_EXEC)). The register path has not run on a
# board yet (no board on the bench): `HX711(..., fast=False)` turns it off.
#
# In light sleep: power.py holds SCK (hold_pins) so the ESP32-S3's IO isolation cannot float
# it (high: the chip stays powered down between sessions; low: it keeps converting between
# samples), and wakes on DOUT going low (ready_pin), with the DOUT interrupt taken off
# meanwhile (irq_off/irq_on: a wake pin's interrupt is left level-triggered).
#
# Limits: a missing chip
# cannot be told from a slow one until a read times out: read() then raises OSError. The IRQ
# on DOUT only sets a flag (soft handler, no allocation); `ready()` also checks the level, so
# polling works on a pin without IRQ support. A gain change applies from the conversion after
# the next read.
import sys
import time

import micropython
from machine import Pin, disable_irq, enable_irq
from micropython import const

_POWER_DOWN_US = const(100)  # > 60 us with margin
_DEFAULT_TIMEOUT_MS = const(500)  # one 10 SPS conversion plus the 400 ms settling
_GAIN_PULSES = {128: 25, 32: 26, 64: 27}
_W1TS = const(0x08)  # GPIO_OUT_W1TS_REG - base
_W1TC = const(0x0C)
_IN = const(0x3C)


def _gpio_base():
    """The GPIO register block of this chip, or 0 where the viper path does not apply."""
    if sys.platform != "esp32":
        return 0
    import os

    machine_name = os.uname().machine
    if "ESP32S3" in machine_name:
        return 0x60004000
    if "ESP32C" in machine_name or "ESP32S2" in machine_name or "ESP32P" in machine_name:
        return 0
    return 0x3FF44000


@micropython.viper
def shift_in_pins(sck, dout, pulses: int, irq_off, irq_on) -> int:
    """Clock one conversion out over Pin objects; pulses-24 extra pulses; raw 24 bits."""
    value = 0
    i = 0
    while i < pulses:
        state = irq_off()
        sck(1)
        sck(0)
        irq_on(state)
        if i < 24:
            value = (value << 1) | int(dout())  # 24 bits: fits the chip's 32-bit viper int
        i += 1
    return value


@micropython.viper
def shift_in_regs(base: int, sck_mask: int, dout_mask: int, pulses: int, irq_off, irq_on) -> int:
    """Clock one conversion out over the GPIO registers at `base` (ESP32 / ESP32-S3)."""
    w1ts = ptr32(base + _W1TS)  # noqa: F821 (viper built-in)
    w1tc = ptr32(base + _W1TC)  # noqa: F821
    gin = ptr32(base + _IN)  # noqa: F821
    value = 0
    i = 0
    while i < pulses:
        state = irq_off()
        w1ts[0] = sck_mask
        d = gin[0]  # three APB reads: keeps SCK high >= 0.2 us at 240 MHz
        d = gin[0]
        d = gin[0]
        w1tc[0] = sck_mask
        irq_on(state)
        if i < 24:
            d = gin[0]
            value = value << 1
            if d & dout_mask:  # a mask test: ptr32 sign extension cannot matter
                value = value | 1
        i += 1
    return value


class HX711IO:
    """The wire protocol: clocks one conversion out of the chip. No application logic."""

    def __init__(self, sck, dout, fast=True):
        self._sck = sck
        self._dout = dout
        sck.init(Pin.OUT, value=0)
        dout.init(Pin.IN, Pin.PULL_UP)
        self._ready_flag = False
        self._on_fall = self._dout_fell  # bound once: the IRQ registration does not allocate
        self.irq_on()
        self._base = 0
        sck_id, dout_id = _pin_number(sck), _pin_number(dout)
        if fast and 0 <= sck_id < 32 and 0 <= dout_id < 32:
            self._base = _gpio_base()
            self._sck_mask = 1 << sck_id
            self._dout_mask = 1 << dout_id

    def irq_on(self):
        self._dout.irq(handler=self._on_fall, trigger=Pin.IRQ_FALLING)

    def irq_off(self):
        self._dout.irq(handler=None)

    def hold(self, on):
        """Hold SCK at its level through light sleep (ESP32-S3 IO isolation)."""
        self._sck.init(hold=bool(on))

    def _dout_fell(self, pin):
        self._ready_flag = True

    def data_ready(self):
        return self._ready_flag or self._dout() == 0

    def shift_in(self, pulses):
        """Clock out one 24-bit conversion, then pulses-24 extra pulses; signed counts."""
        if self._base:
            value = shift_in_regs(
                self._base, self._sck_mask, self._dout_mask, pulses, disable_irq, enable_irq
            )
        else:
            value = shift_in_pins(self._sck, self._dout, pulses, disable_irq, enable_irq)
        self._ready_flag = False  # the data bits' own falling edges set it too
        if value & 0x800000:
            value -= 0x1000000
        return value

    def sck_high(self):
        self._sck(1)
        self._ready_flag = False

    def sck_low(self):
        self._sck(0)


def _pin_number(pin):
    """The GPIO number of a machine.Pin (repr 'Pin(18)'), or -1."""
    text = repr(pin)
    digits = text[text.find("(") + 1 : text.find(")")]
    return int(digits) if digits.isdigit() else -1


class HX711:
    """One HX711: ready(), read() -> signed counts, gain/channel, power_down()/power_up()."""

    def __init__(self, sck, dout, gain=128, timeout_ms=_DEFAULT_TIMEOUT_MS, fast=True):
        self._io = HX711IO(sck, dout, fast)
        self.ready_pin = dout  # DOUT low: a conversion is ready (power.py wakes on it)
        self._dout_name = repr(dout)
        self.timeout_ms = timeout_ms
        self._pulses = 25
        self.set_gain(gain)
        self.powered = True

    def set_gain(self, gain):
        """128 or 64 (channel A) or 32 (channel B); applies after the next read."""
        if gain not in _GAIN_PULSES:
            raise ValueError("HX711 gain must be 128 or 64 (channel A) or 32 (channel B)")
        self._pulses = _GAIN_PULSES[gain]
        self.gain = gain

    def ready(self):
        return self.powered and self._io.data_ready()

    def read(self):
        """The next conversion in signed counts; waits up to timeout_ms, else OSError."""
        if not self.powered:
            raise OSError("HX711 is powered down: call power_up() before read()")
        if not self._io.data_ready():
            start = time.ticks_ms()
            while not self._io.data_ready():
                if time.ticks_diff(time.ticks_ms(), start) > self.timeout_ms:
                    raise OSError(
                        "HX711 (DOUT %s) gave no data in %d ms: check its wiring and power"
                        % (self._dout_name, self.timeout_ms)
                    )
                time.sleep_ms(1)
        return self._io.shift_in(self._pulses)

    def irq_on(self):
        self._io.irq_on()

    def irq_off(self):
        self._io.irq_off()

    def hold_pins(self, on):
        """Hold SCK at its level through a light sleep (power.py), or release it."""
        self._io.hold(on)

    def power_down(self):
        """SCK high for > 60 us: the chip sleeps (~1 uA) until power_up(). SCK is held high
        (pad hold) so that light sleep on an ESP32-S3 cannot float it."""
        self._io.hold(False)
        self._io.sck_low()
        self._io.sck_high()
        self._io.hold(True)
        time.sleep_us(_POWER_DOWN_US)
        self.powered = False

    def power_up(self):
        """SCK low: the chip resets; its first conversion is A-128 whatever `gain` says (the
        pulses of that read select `gain` again for the ones after)."""
        self._io.hold(False)
        self._io.sck_low()
        self.powered = True
