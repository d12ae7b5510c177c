# Host attention: has the computer started talking to us over USB?
#
#     link = HostLink(sys.stdin)
#     if link.attention(): ...close the session log cleanly, return to the REPL...
#
# mpremote (and `pumpmon pull`) begin with Ctrl-C. On the ESP32 that byte raises
# KeyboardInterrupt in the running code (the app catches it and closes the log); in the unix
# port it is only a byte on stdin. Polling stdin with a zero timeout covers both, and does not
# consume the byte: the REPL reads it once the app has returned. Limits: any byte counts.
import select


class HostLink:
    def __init__(self, stream):
        self._poll = select.poll()
        self._poll.register(stream, select.POLLIN)

    def attention(self):
        # poll(0) returns a list; that allocation happens only at the app's own pace (<= 20 Hz),
        # not per sample
        return bool(self._poll.poll(0))
