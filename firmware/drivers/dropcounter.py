# MIT license. Optical drop counter: an IR break-beam under the flange outlet, drops counted
# by a pin IRQ; flow in mg/s from the drops in a sliding window.
#
#     from machine import Pin
#     from drivers.dropcounter import DropCounter
#     drops = DropCounter(Pin(33), drop_mg=50)      # receiver output, low while the beam is cut
#     flow_mg_s = drops.read()                       # drops in the last window_ms -> mg/s
#     drops.volume_mg                                # drops so far x drop_mg
#
# Why: at the start of a letdown milk comes as separate drops (~0.05 g each, a few per second),
# below what a load cell resolves in a few seconds; a break-beam sees every one at once. It is
# a second flow source next to the weight (fused with it by fusion.py), good at low flows.
#
# The IRQ handler stores the drop time (from the injected clock) in a preallocated ring and
# counts; it ignores edges closer than min_gap_ms to the previous drop (one drop can flicker
# the beam). It is a hard IRQ (hard=True, where the port allows it): a soft handler runs when
# the scheduler gets to it, so edges held back by a garbage collection or a flash write would
# all read the same time and fall to the gap filter. The handler allocates nothing. read()
# counts the drops in the window (no allocation). When the ring holds only
# drops inside the window (fast flow), the rate comes from the ring's time span instead.
#
# Limits: drop size varies with the flange and the milk (calibrate drop_mg against the scale);
# above ~10 drops/s the drops merge into a stream that blocks the beam and the count falls:
# the load cell is the reference there. A receiver with a push-pull output needs no pull-up;
# an open-collector one uses the internal pull-up set here (or a 10 kohm one for long wires).
import array
import time

from machine import Pin


class DropCounter:
    """read() -> flow_mg_s; drops, volume_mg; power_down()/power_up() stop/start counting."""

    def __init__(
        self,
        pin,
        drop_mg=50,
        window_ms=5000,
        min_gap_ms=8,
        active_low=True,
        ring=64,
        clock_ms=time.ticks_ms,
    ):
        if drop_mg <= 0 or window_ms <= 0:
            raise ValueError("DropCounter drop_mg and window_ms must be above 0")
        self._pin = pin
        self.drop_mg = drop_mg
        self.window_ms = window_ms
        self.min_gap_ms = min_gap_ms
        self._clock_ms = clock_ms
        self._times = array.array("i", bytes(4 * ring))
        self._ring = ring
        self._head = 0
        self.drops = 0
        self.flickers = 0  # edges ignored as the same drop
        self._last_ms = 0
        self.flow_mg_s = 0
        self.valid = True
        self.channel = 0  # the bottle it measures (0-based); set by board.py
        self._trigger = Pin.IRQ_FALLING if active_low else Pin.IRQ_RISING
        self._handler = self._on_drop  # bound once
        pin.init(Pin.IN, Pin.PULL_UP if active_low else Pin.PULL_DOWN)
        self.power_up()

    def _on_drop(self, pin):
        t = self._clock_ms()
        if self.drops and time.ticks_diff(t, self._last_ms) < self.min_gap_ms:
            self.flickers += 1
            return
        self._last_ms = t
        self._times[self._head] = t
        self._head = (self._head + 1) % self._ring
        self.drops += 1

    @property
    def volume_mg(self):
        return self.drops * self.drop_mg

    def ready(self):
        return True

    def read(self):
        """Flow over the last window_ms in mg/s (int)."""
        now = self._clock_ms()
        stored = self.drops if self.drops < self._ring else self._ring
        n = 0
        i = self._head
        oldest = now
        while n < stored:
            i = (i - 1) % self._ring
            t = self._times[i]
            if time.ticks_diff(now, t) >= self.window_ms:
                break
            oldest = t
            n += 1
        if n == self._ring:
            span = time.ticks_diff(self._last_ms, oldest)
            newest_gap = time.ticks_diff(now, self._last_ms)
            if span > 0 and newest_gap < span:
                # n drops in the ring all inside the window: rate from their span
                self.flow_mg_s = (n - 1) * self.drop_mg * 1000 // span
                return self.flow_mg_s
        # n * drop_mg * 1000 <= 64 * 10**6: small int
        self.flow_mg_s = n * self.drop_mg * 1000 // self.window_ms
        return self.flow_mg_s

    def power_down(self):
        self._pin.irq(handler=None)

    def power_up(self):
        try:
            self._pin.irq(handler=self._handler, trigger=self._trigger, hard=True)
        except (TypeError, ValueError):  # a port without hard pin IRQs
            self._pin.irq(handler=self._handler, trigger=self._trigger)
