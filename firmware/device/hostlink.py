# Host attention: has the computer started talking to us over USB? Is one attached?
#
#     link = HostLink(sys.stdin, vbus_pin=None)
#     if link.attention(): ...close the session log cleanly, return to the REPL...
#     if link.attached(): ...no light sleep: it would drop the USB link...
#
# mpremote (and `pumpmon pull`) begin with Ctrl-C. On the ESP32 that byte raises
# KeyboardInterrupt in the running code (the app catches it and closes the log); in the unix
# port it is only a byte on stdin. Polling stdin with a zero timeout covers both, and does not
# consume the byte: the REPL reads it once the app has returned. Limits: any byte counts.
#
# attached(): with a VBUS sense pin (a divider from USB 5 V to a GPIO; none of the three
# boards in boards/ has one fitted) its level; else host activity: a byte from the host, or
# the app's own start (a boot is most often `make deploy`, `pumpmon pull` restarting it, or a
# reset from a terminal), within the last `quiet_ms` (5 minutes). A device that slept anyway
# is found by the host tools: they retry until it wakes (at most sleep_max_ms, 30 s), and the
# first byte they get through keeps it awake (docs/hardware.md).
import select
import time

QUIET_MS = 300_000


class HostLink:
    def __init__(
        self,
        stream,
        vbus_pin=None,
        quiet_ms=QUIET_MS,
        ticks_ms=time.ticks_ms,
        ticks_diff=time.ticks_diff,
    ):
        self._poll = select.poll()
        self._poll.register(stream, select.POLLIN)
        self.vbus_pin = vbus_pin
        self.quiet_ms = quiet_ms
        self._ticks_ms = ticks_ms
        self._ticks_diff = ticks_diff
        self._t_seen = ticks_ms()
        self._recent = True

    def attention(self):
        # poll(0) returns a list; that allocation happens only at the app's own pace (<= 20 Hz),
        # not per sample
        if self._poll.poll(0):
            self._t_seen = self._ticks_ms()
            self._recent = True
            return True
        return False

    def attached(self):
        """True while a host is (probably) on the USB link: do not light-sleep."""
        if self.vbus_pin is not None:
            return self.vbus_pin.value() == 1
        if self._recent:
            if self._ticks_diff(self._ticks_ms(), self._t_seen) < self.quiet_ms:
                return True
            self._recent = False  # stays False: ticks may wrap, the flag does not
        return False
