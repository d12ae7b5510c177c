# Starting a session by itself: a bottle's weight settles, then flow begins (app.py, idle).
#
# Apart from coach.py so that a session does not carry this code in its heap. Keys are read
# with cfg.get(key, default), the defaults being config's schema (a test checks they agree).
# t_ms may be raw time.ticks_ms(): it wraps every 2**30 ms on the ESP32, so differences go
# through _since() (modular, valid below 2**29 ms apart).
from micropython import const

_TICKS_MASK = const(0x3FFFFFFF)
_TICKS_HALF = const(0x20000000)


def _since(t_ms, t0_ms):
    return ((t_ms - t0_ms + _TICKS_HALF) & _TICKS_MASK) - _TICKS_HALF


class AutoStart:
    """Start a session by itself: a bottle's weight settles, then flow begins.

        a = AutoStart(cfg)
        while idle, per sample:  if a.update(t_ms, w_mg): start the session (then a.reset())

    Settled: the weight stays within auto_start_band_mg of its running average for
    auto_start_settle_s. Flow begun: it then stays at least auto_start_rise_mg above the settled
    weight for auto_start_hold_ms (a knock or a press on the bottle is shorter). A drop below
    the settled weight (bottle lifted) starts over. Integers only; nothing allocated.
    Limits: walking or a hand resting on the bottle for longer than the hold time can start a
    session; the wearer can stop it with a long press.
    """

    def __init__(self, cfg=None):
        g = (cfg or {}).get  # defaults: config.SCHEMA's (a test checks they agree)
        self.enabled = bool(g("auto_start", False))
        self.settle_ms = int(g("auto_start_settle_s", 5)) * 1000
        self.band_mg = int(g("auto_start_band_mg", 1500))
        self.rise_mg = int(g("auto_start_rise_mg", 3000))
        self.hold_ms = int(g("auto_start_hold_ms", 3000))
        self.reset()

    def reset(self):
        self._have = False
        self._avg_mg = 0  # running average while settling (1/8 per sample)
        self._t_ref_ms = 0  # when the weight last left the band
        self.settled = False
        self.base_mg = 0
        self._rising = False
        self._t_rise_ms = 0

    def update(self, t_ms, w_mg):
        """Feed one weight (mg, tared, all bottles); True once: start a session now."""
        if not self.enabled:
            return False
        if not self._have:
            self._have = True
            self._avg_mg = w_mg
            self._t_ref_ms = t_ms
            return False
        if not self.settled:
            d = w_mg - self._avg_mg
            if d > self.band_mg or d < -self.band_mg:
                self._avg_mg = w_mg
                self._t_ref_ms = t_ms
                return False
            self._avg_mg += d >> 3
            if _since(t_ms, self._t_ref_ms) >= self.settle_ms:
                self.settled = True
                self.base_mg = self._avg_mg
                self._rising = False
            return False
        d = w_mg - self.base_mg
        if d < -self.band_mg:  # lifted or emptied: settle again
            self.settled = False
            self._avg_mg = w_mg
            self._t_ref_ms = t_ms
            return False
        if d >= self.rise_mg:
            if not self._rising:
                self._rising = True
                self._t_rise_ms = t_ms
            elif _since(t_ms, self._t_rise_ms) >= self.hold_ms:
                self.reset()
                return True
        else:
            self._rising = False
        return False
