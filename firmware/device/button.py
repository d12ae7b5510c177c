# One push button: debounce and press classification (short / long / double), polled.
#
#     b = Button(pin, cfg)                 # pin: anything with .value() -> 0/1 (machine.Pin)
#     kind = b.update(t_ms)                # call often (every 10-50 ms is ideal)
#     if kind != BTN_NONE: log it, then act on it
#
# Kinds (events.BTN_*): LONG is reported while the button is still held, as soon as it has been
# down for button_long_ms (start / stop a session: the wearer feels it take effect). SHORT is
# reported once no second press followed within button_double_gap_ms (acknowledge a cue).
# DOUBLE is reported when the second press goes down (mark a moment). Every press yields
# exactly one kind; `presses` counts them and `t_press_ms` is when the last one went down.
#
# Times may be raw time.ticks_ms() values: they wrap every 2**30 ms (12.4 days) on the ESP32,
# so every difference goes through _since() (modular, valid below 2**29 ms apart).
#
# Limits: polled, not interrupt-driven: the poll interval adds to the debounce time and a
# press shorter than one poll interval can be missed (keep polls under ~50 ms). Allocation
# free: integers and booleans only. Time comes from the caller (an injected clock).
from micropython import const

# The event codes this module uses: private copies of shared/events.py's, folded into the
# bytecode, so the device does not load that module for them (its ~60 names stay out of
# the heap); tests/host/test_event_codes.py checks every copy.
_BTN_DOUBLE = const(3)
_BTN_LONG = const(2)
_BTN_NONE = const(0)
_BTN_SHORT = const(1)

_TICKS_MASK = const(0x3FFFFFFF)  # the ESP32's ticks_ms() period is 2**30
_TICKS_HALF = const(0x20000000)


def _since(t_ms, t0_ms):
    """t_ms - t0_ms across a ticks wrap (as time.ticks_diff on the ESP32)."""
    return ((t_ms - t0_ms + _TICKS_HALF) & _TICKS_MASK) - _TICKS_HALF


class Button:
    def __init__(self, pin, cfg=None):
        g = (cfg or {}).get  # defaults: config.SCHEMA's (a test checks they agree)
        self.pin = pin
        self.active_low = bool(g("button_active_low", True))
        self.debounce_ms = int(g("button_debounce_ms", 30))
        self.long_ms = int(g("button_long_ms", 1500))
        self.double_gap_ms = int(g("button_double_gap_ms", 350))
        self.presses = 0
        self.t_press_ms = 0
        self.reset(0)

    def reset(self, t_ms):
        """Forget any press in progress (e.g. after a sleep)."""
        self._raw = False  # last raw reading (pressed?)
        self._t_raw_ms = t_ms  # when the raw reading last changed
        self.pressed = False  # debounced level
        self._t_down_ms = 0  # when the debounced press began
        self._long_sent = False  # this press already reported as LONG
        self._second = False  # this press is the second of a double (already reported)
        self._short_pending = False  # a short press waits to see whether a second follows
        self._t_up_ms = 0  # when that short press was released
        self._t_first_ms = 0  # when that short press went down

    def update(self, t_ms):
        """Sample the pin; returns the press kind completed now (_BTN_NONE mostly)."""
        v = self.pin.value()
        raw = (v == 0) if self.active_low else (v != 0)
        if raw != self._raw:
            self._raw = raw
            self._t_raw_ms = t_ms
        if raw != self.pressed and _since(t_ms, self._t_raw_ms) >= self.debounce_ms:
            self.pressed = raw
            t_edge = self._t_raw_ms  # the level changed when it was first seen
            if raw:  # went down
                self._t_down_ms = t_edge
                self._long_sent = False
                if self._short_pending and _since(t_edge, self._t_up_ms) <= self.double_gap_ms:
                    self._short_pending = False
                    self._second = True
                    return self._count(t_edge, _BTN_DOUBLE)
                self._second = False
                if self._short_pending:  # too late for a double: the first was a short
                    self._short_pending = False
                    return self._count(self._t_first_ms, _BTN_SHORT)
            else:  # released
                if not self._long_sent and not self._second:
                    self._short_pending = True
                    self._t_first_ms = self._t_down_ms
                    self._t_up_ms = t_edge
                self._second = False
            return _BTN_NONE
        if self.pressed:
            if (
                not self._long_sent
                and not self._second
                and _since(t_ms, self._t_down_ms) >= self.long_ms
            ):
                self._long_sent = True
                return self._count(self._t_down_ms, _BTN_LONG)
        elif self._short_pending and not raw and _since(t_ms, self._t_up_ms) > self.double_gap_ms:
            # (while the pin reads pressed, a second press may still be debouncing: wait)
            self._short_pending = False
            return self._count(self._t_first_ms, _BTN_SHORT)
        return _BTN_NONE

    def _count(self, t_down_ms, kind):
        self.presses += 1
        self.t_press_ms = t_down_ms
        return kind
