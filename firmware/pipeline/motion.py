# Wearer motion and bottle tilt from a 3-axis accelerometer (milli-g), for the flow stage.
#
#     m = Motion(cfg)
#     m.update(t_ms, ax_mgee, ay_mgee, az_mgee)   # every accelerometer sample
#     m.moving          # True while walking / knocks shake the bottle (and a short while after)
#     m.tilt_cos_q10    # cosine of the tilt from upright, x1024 (1024 = upright)
#
# Samples are averaged in 200-ms bins. Gravity is a low-pass of the bin means (time constant
# about 0.8 s); the shaking is the mean absolute difference of samples from that gravity
# estimate (sum over the three axes). `moving` turns on when the shaking exceeds
# `motion_mgee` and stays on for `motion_hang_ms` after it calmed down, so the weight settles
# before the flow stage trusts it again. The tilt is the angle between gravity and the
# `motion_up_axis` axis (either sign): the cell reads (bottle + milk) x cos(tilt).
# Limits: no gyroscope, so a steady lean and a steady slow turn look alike; the unit's "up"
# axis is configured, not learned. Integers only: |a| is clamped to 4000 mg per axis, so the
# squares sum below 2**26 and the per-bin sums (<= 250 samples) below 2**21.
#
# Configuration keys (read once, in __init__), with units:
#   motion_mgee      int mg   80     mean shaking above this is motion
#   motion_hang_ms   int ms   2000   motion stays on this long after the shaking stopped
#   motion_up_axis   int      2      0 = x, 1 = y, 2 = z: the axis along gravity when upright
from micropython import const

_BIN_MS = const(200)
_CLAMP = const(4000)
_MAX_BIN = const(250)


def _isqrt(n):
    # Integer square root by Newton's method, n < 2**29; no allocation.
    if n <= 0:
        return 0
    x = n
    y = (x + 1) >> 1
    while y < x:
        x = y
        y = (x + n // x) >> 1
    return x


class Motion:
    def __init__(self, cfg):
        self._moving_mgee = cfg.get("motion_mgee", 80)
        self._hang_ms = cfg.get("motion_hang_ms", 2000)
        self._up = cfg.get("motion_up_axis", 2)
        self.moving = False
        self.tilt_cos_q10 = 1024
        self.shaking_mgee = 0
        self._gx = 0
        self._gy = 0
        self._gz = 0
        self._have_g = False
        self._bin = -1
        self._n = 0
        self._sx = 0
        self._sy = 0
        self._sz = 0
        self._sdev = 0
        self._last_shake_ms = -(10**6)

    def update(self, t_ms, ax_mgee, ay_mgee, az_mgee):
        if ax_mgee > _CLAMP:
            ax_mgee = _CLAMP
        elif ax_mgee < -_CLAMP:
            ax_mgee = -_CLAMP
        if ay_mgee > _CLAMP:
            ay_mgee = _CLAMP
        elif ay_mgee < -_CLAMP:
            ay_mgee = -_CLAMP
        if az_mgee > _CLAMP:
            az_mgee = _CLAMP
        elif az_mgee < -_CLAMP:
            az_mgee = -_CLAMP
        b = t_ms // _BIN_MS
        if b != self._bin:
            self._close_bin(t_ms)
            self._bin = b
        if self._n >= _MAX_BIN:
            return
        self._n += 1
        self._sx += ax_mgee
        self._sy += ay_mgee
        self._sz += az_mgee
        if self._have_g:
            d = ax_mgee - self._gx
            self._sdev += d if d >= 0 else -d
            d = ay_mgee - self._gy
            self._sdev += d if d >= 0 else -d
            d = az_mgee - self._gz
            self._sdev += d if d >= 0 else -d

    def _close_bin(self, t_ms):
        n = self._n
        if n == 0:
            return
        mx = self._sx // n
        my = self._sy // n
        mz = self._sz // n
        if not self._have_g:
            self._gx = mx
            self._gy = my
            self._gz = mz
            self._have_g = True
            shake = 0
        else:
            shake = self._sdev // n
            # the bin means wander with the shaking too: count their step from gravity
            self._gx += (mx - self._gx) >> 2
            self._gy += (my - self._gy) >> 2
            self._gz += (mz - self._gz) >> 2
        self.shaking_mgee = shake
        if shake > self._moving_mgee:
            self._last_shake_ms = t_ms
        self.moving = t_ms - self._last_shake_ms <= self._hang_ms
        gx = self._gx
        gy = self._gy
        gz = self._gz
        norm = _isqrt(gx * gx + gy * gy + gz * gz)
        if norm > 0:
            up = gz if self._up == 2 else (gy if self._up == 1 else gx)
            if up < 0:
                up = -up
            c = up * 1024 // norm
            self.tilt_cos_q10 = c if c <= 1024 else 1024
        self._n = 0
        self._sx = 0
        self._sy = 0
        self._sz = 0
        self._sdev = 0
