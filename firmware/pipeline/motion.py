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
#
# Native code: update() is a viper function over one array('i') of per-bin state (slots
# below; negative slots read sign-extended, see blockfilter.WORD_SX); the bin's close, 5 times
# a second, stays bytecode.
from array import array

import micropython
from micropython import const

from pipeline.blockfilter import WORD_SX

_BIN_MS = const(200)
_CLAMP = const(4000)
_MAX_BIN = const(250)

# The per-sample state: one array('i'), one slot per field
_SX = const(0)  # WORD_SX, where the viper code finds it
_BIN = const(1)  # the open bin's number (-1: none yet)
_N = const(2)  # its samples, their sums per axis and their summed |deviation| from gravity
_SUM_X = const(3)
_SUM_Y = const(4)
_SUM_Z = const(5)
_SDEV = const(6)
_HAVE_G = const(7)  # gravity known (after the first bin)
_GX = const(8)  # gravity, mg per axis
_GY = const(9)
_GZ = const(10)
_NORM = const(11)  # |gravity| at the last bin, mg (the next square root's start)
_FIELDS = const(12)


def _isqrt(n, guess):
    # Integer square root by Newton's method, n < 2**29; no allocation. From any start not
    # below the root the steps fall to it: from guess + 1 when (guess + 2)^2 > n (the last
    # root, gravity barely moves: a step or two), else from n.
    if n <= 0:
        return 0
    x = guess + 1
    if x < 1 or (x + 1) * (x + 1) <= n:
        x = n
    y = (x + n // x) >> 1
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
        self._s = s = array("i", bytes(4 * _FIELDS))
        s[_SX] = WORD_SX
        s[_BIN] = -1
        self._last_shake_ms = -(10**6)

    @micropython.viper
    def update(self, t_ms: int, ax_mgee: int, ay_mgee: int, az_mgee: int):
        s = ptr32(self._s)  # noqa: F821 (viper built-in)
        sx = s[_SX]
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
        if b != (s[_BIN] << sx) >> sx:
            if s[_N]:
                self._close_bin(t_ms)
            s[_BIN] = b
        n = s[_N]
        if n >= _MAX_BIN:
            return
        s[_N] = n + 1
        s[_SUM_X] = ((s[_SUM_X] << sx) >> sx) + ax_mgee
        s[_SUM_Y] = ((s[_SUM_Y] << sx) >> sx) + ay_mgee
        s[_SUM_Z] = ((s[_SUM_Z] << sx) >> sx) + az_mgee
        if s[_HAVE_G]:
            d = ax_mgee - ((s[_GX] << sx) >> sx)
            dev = d if d >= 0 else -d
            d = ay_mgee - ((s[_GY] << sx) >> sx)
            dev += d if d >= 0 else -d
            d = az_mgee - ((s[_GZ] << sx) >> sx)
            dev += d if d >= 0 else -d
            s[_SDEV] = s[_SDEV] + dev  # never negative

    @micropython.native
    def _close_bin(self, t_ms):
        s = self._s
        n = s[_N]
        mx = s[_SUM_X] // n
        my = s[_SUM_Y] // n
        mz = s[_SUM_Z] // n
        if not s[_HAVE_G]:
            gx = mx
            gy = my
            gz = mz
            s[_HAVE_G] = 1
            shake = 0
        else:
            shake = s[_SDEV] // n
            # the bin means wander with the shaking too: count their step from gravity
            gx = s[_GX]
            gy = s[_GY]
            gz = s[_GZ]
            gx += (mx - gx) >> 2
            gy += (my - gy) >> 2
            gz += (mz - gz) >> 2
        s[_GX] = gx
        s[_GY] = gy
        s[_GZ] = gz
        self.shaking_mgee = shake
        if shake > self._moving_mgee:
            self._last_shake_ms = t_ms
        self.moving = t_ms - self._last_shake_ms <= self._hang_ms
        norm = _isqrt(gx * gx + gy * gy + gz * gz, s[_NORM])
        s[_NORM] = norm
        if norm > 0:
            up = gz if self._up == 2 else (gy if self._up == 1 else gx)
            if up < 0:
                up = -up
            c = up * 1024 // norm
            self.tilt_cos_q10 = c if c <= 1024 else 1024
        s[_N] = 0
        s[_SUM_X] = 0
        s[_SUM_Y] = 0
        s[_SUM_Z] = 0
        s[_SDEV] = 0
