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
# Limits: each SCK pulse alone sits inside disable_irq()/enable_irq() so that no interrupt can
# stretch it past 60 us; the bits are read between pulses with interrupts on. A missing chip
# cannot be told from a slow one until a read times out: read() then raises OSError. The IRQ
# on DOUT only sets a flag (soft handler, no allocation); `ready()` also checks the level, so
# polling works on a pin without IRQ support. A gain change applies from the conversion after
# the next read.
import time

from machine import Pin, disable_irq, enable_irq
from micropython import const

_POWER_DOWN_US = const(100)  # > 60 us with margin
_DEFAULT_TIMEOUT_MS = const(500)  # one 10 SPS conversion plus the 400 ms settling
_GAIN_PULSES = {128: 25, 32: 26, 64: 27}


class HX711IO:
    """The wire protocol: clocks one conversion out of the chip. No application logic."""

    def __init__(self, sck, dout):
        self._sck = sck
        self._dout = dout
        sck.init(Pin.OUT, value=0)
        dout.init(Pin.IN, Pin.PULL_UP)
        self._ready_flag = False
        self._on_fall = self._dout_fell  # bound once: the IRQ registration does not allocate
        dout.irq(handler=self._on_fall, trigger=Pin.IRQ_FALLING)

    def _dout_fell(self, pin):
        self._ready_flag = True

    def data_ready(self):
        return self._ready_flag or self._dout() == 0

    def shift_in(self, pulses):
        """Clock out one 24-bit conversion, then pulses-24 extra pulses; signed counts."""
        sck = self._sck
        dout = self._dout
        value = 0
        for _ in range(24):
            state = disable_irq()
            sck(1)
            sck(0)
            enable_irq(state)
            value = (value << 1) | dout()
        for _ in range(pulses - 24):
            state = disable_irq()
            sck(1)
            sck(0)
            enable_irq(state)
        self._ready_flag = False  # the data bits' own falling edges set it too
        if value & 0x800000:
            value -= 0x1000000
        return value

    def sck_high(self):
        self._sck(1)
        self._ready_flag = False

    def sck_low(self):
        self._sck(0)


class HX711:
    """One HX711: ready(), read() -> signed counts, gain/channel, power_down()/power_up()."""

    def __init__(self, sck, dout, gain=128, timeout_ms=_DEFAULT_TIMEOUT_MS):
        self._io = HX711IO(sck, dout)
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

    def power_down(self):
        """SCK high for > 60 us: the chip sleeps (~1 uA) until power_up()."""
        self._io.sck_low()
        self._io.sck_high()
        time.sleep_us(_POWER_DOWN_US)
        self.powered = False

    def power_up(self):
        """SCK low: the chip resets; its first conversion is A-128 whatever `gain` says (the
        pulses of that read select `gain` again for the ones after)."""
        self._io.sck_low()
        self.powered = True
