# The session log format, the device's role: framing and the encoder. The decoder (the host's
# and the tests' role) is shared/logdecode.py, which imports the framing from here and holds
# the format's public constants; this module keeps private copies (`_FT_SEGMENT = const(2)`,
# checked by tests/firmware/test_logcodec.py), so the device neither loads the decoder nor
# interns the constants' names. docs/log-format.md is the specification; the two modules are
# its reference implementation.
#
#     enc = SegmentEncoder(n_channels=2, period_us=100000, q_mg=50)
#     f.write(header_frame(session_id=1, n_channels=2, period_us=100000, q_mg=50, ...))
#     per sample:  if enc.needs_seal(): enc.write_frame(f); enc.reset()
#                  enc.sample(t_ms, w1_mg, w2_mg)
#     ...          enc.write_frame(f)   (the open segment; the store rewrites it in place)
#     f.write(summary_frame(...))
#     session = logdecode.decode(data)  # dict: header, t_ms, w_mg, accel, events, summary, ...
#
# A file is a run of frames (sync, type, length, payload, CRC-32), so a reader resynchronises
# after damage. Samples go into SEGMENT frames: timestamps as runs of on-period samples plus
# deviations, weights quantised to q_mg and coded as adaptive Rice codes of the sample-to-sample
# difference, the accelerometer as one summary per window, events as bytes.
#
# Limits: the encoder takes integers (ms, mg, milli-g) and clamps out-of-range values (weight
# to +-2**26 mg, times to 0..2**28 ms = 74 h, accel to +-32767 milli-g, event args to
# +-2**28); every intermediate on the per-sample path stays below 2**30 and nothing on it
# allocates. Its per-record code is viper (below): on the chip its arguments must fit 32 bits
# (a larger int is truncated before it is clamped). One or two weight channels. Decoding is
# not on the per-sample path: it allocates.
import binascii
import struct
import sys
from array import array

import micropython
from micropython import const

_FORMAT_VERSION = const(1)
_SYNC0 = const(0xA7)  # a frame's two sync bytes
_SYNC1 = const(0x4D)
_FRAME_OVERHEAD = const(9)  # sync 2 + type 1 + length 2 + CRC 4
_MAX_PAYLOAD = const(65535)

_FT_HEADER = const(1)
_FT_SEGMENT = const(2)
_FT_SUMMARY = const(3)

_ACCEL_PERIOD_MS = const(2000)  # one accelerometer summary per 2 s
_ACCEL_Q_MGEE = const(16)  # stored accelerometer step: 16 milli-g (about 1 degree of tilt)

_FLAG_ACCEL = const(1)
_FLAG_CLOCK_SET = const(2)
_SUMMARY_FLAG_DONE = const(1)

_SEG_HEADER = const(20)  # fixed part of a segment payload
_ESC = const(24)  # a Rice quotient this large is written as an escape: 24 ones + 30 bits
_RESET = const(32)  # context statistics are halved every 32 codes (adapts to bursts)
_CLAMP_U = const(1 << 22)  # one code adds at most this much to a context's sum
_W_LIMIT = const(1 << 26)
_T_LIMIT = const(1 << 28)
_ARG_LIMIT = const(1 << 28)
_A_LIMIT = const(32767)

# Adaptive Rice contexts: index, and the initial (sum, count) of each.
_C_W0 = const(0)
_C_W1 = const(1)
_C_RUN = const(2)
_C_DEV = const(3)
_C_AWIN = const(4)
_C_AXIS = const(5)
_C_ACT = const(6)
_N_CTX = const(7)
_CTX_INIT = (16, 16, 4, 1, 1, 8, 8)  # initial sums; counts start at 1

# Worst-case bytes one record can add to a stream (escape codes: 54 bits each).
_ROOM_TIME = const(15)  # run + deviation codes
_ROOM_W = const(15)  # two channels
_ROOM_ACCEL = const(36)  # window + 3 axes + activity
_ROOM_EVENT = const(12)  # two 5-byte varints + code + channel


# The encoder's state: one array('i'), a slot per field, so that its viper code (sample,
# accel, flush_accel, needs_seal, _put_codes) reads and writes it through ptr32, and one
# bytearray that holds the three bit streams, written through ptr8. A stream is 5 slots:
# _POS (its next byte, an index into the bytearray), _ACC and _NACC (fewer than 8 bits
# pending), _END (one past its last byte), _BEG (its first byte).
#
# ptr32 reads are sign-extended on the ESP32 (32-bit viper ints) and zero-extended on the
# 64-bit unix port: a slot that may be negative is read as `(s[i] << sx) >> sx`, sx being the
# _SX slot (0 on a 32-bit port, 32 on a 64-bit one; pipeline/blockfilter.py's WORD_SX does the
# same). Slots that are never negative are read as they are. A store keeps the low 32 bits.
# Under CPython (the host) the same source runs as plain Python: ptr8 and ptr32 are the
# identity there (the viper decorator too), and as every value stays within 32 bits both
# write the same bytes (tests/firmware/test_logcodec.py compares them).
if sys.implementation.name != "micropython":

    def ptr8(obj):  # a buffer is indexed as it is
        return obj

    ptr32 = ptr8

_SX = const(0)  # 32 on a 64-bit port, else 0
_CA = const(1)  # the Rice contexts' sums (_N_CTX slots)
_CN = const(8)  # their counts (_N_CTX slots)
_CS = const(15)  # each context's stream: the slot of its _POS (_N_CTX slots)
_ST_T = const(22)  # the time stream (5 slots), then the weight and accelerometer streams
_ST_W = const(27)
_ST_A = const(32)
_POS = const(0)  # a stream's slots, from its first
_ACC = const(1)
_NACC = const(2)
_END = const(3)
_BEG = const(4)
_Q = const(37)  # up to 5 codes waiting for _put_codes: (context, value) pairs
_N_CH = const(47)  # configuration
_PERIOD_US = const(48)
_Q_MG = const(49)
_HALF_Q = const(50)
_ACC_PERIOD = const(51)
_ACC_Q = const(52)
_MAX_SAMPLES = const(53)
_EVBUF_SIZE = const(54)
_N_SAMPLES = const(55)  # the open segment
_N_DEV = const(56)
_N_ACCEL = const(57)
_N_EVENTS = const(58)
_EVBUF_LEN = const(59)
_RUN = const(60)  # on-period samples since the last deviation
_R_US = const(61)  # where the ideal grid is relative to the last sample (signed)
_BASE_T = const(62)  # the segment's first time (-1: empty)
_PREV_T = const(63)
_PREV_EV_T = const(64)
_PREV_AWIN = const(65)
_PREV_V = const(66)  # the last quantised weight of each bottle (2 slots, signed)
_PREV_AXIS = const(68)  # the last window's mean of each axis (3 slots, signed)
_ACC_WIN = const(71)  # the accelerometer window being summed (-1: none), across segments
_ACC_N = const(72)  # its readings
_ACC_SUM = const(73)  # their sums per axis (3 slots, signed)
_ACC_ACT = const(76)  # their activity: sum of |change| between readings
_ACC_LAST = const(77)  # the last reading (3 slots, signed)
_FIELDS = const(80)
_FULL = "log segment full: seal it (write_frame, reset) when needs_seal() says so"


@micropython.viper
def _put_codes(state, buf, n: int):
    # Writes the n codes waiting in state[_Q...], each an adaptive Rice code of its value
    # u >= 0 (u < 2**30) in its context, to the context's stream; the caller has checked that
    # the stream has the room (_ROOM_*: 7 bytes a code at most). A code is q = u >> k ones,
    # a zero and the k low bits of u; from q = _ESC on, _ESC ones and u's 30 bits (an escape).
    # Bits go out MSB first, at most 16 at a time, so the pending bits stay below 2**23.
    s = ptr32(state)
    b = ptr8(buf)
    i = 0
    while i < n:
        c = s[_Q + 2 * i]
        u = s[_Q + 2 * i + 1]
        st = s[_CS + c]
        pos = s[st + _POS]  # room checked by the caller: ptr8 checks no bounds
        acc = s[st + _ACC]
        nacc = s[st + _NACC]
        a = s[_CA + c]
        cnt = s[_CN + c]
        k = 0
        while (cnt << (k + 1)) < a:
            k += 1
        ones = u >> k
        if ones < _ESC:
            tail = u & ((1 << k) - 1)  # after a zero: k + 1 bits
            nt = k + 1
        else:
            ones = _ESC
            tail = u & 0x3FFFFFFF
            nt = 30
        while ones > 0:
            m = ones
            if m > 16:
                m = 16
            ones -= m
            acc = (acc << m) | ((1 << m) - 1)
            nacc += m
            while nacc >= 8:
                nacc -= 8
                b[pos] = (acc >> nacc) & 0xFF
                pos += 1
            acc &= (1 << nacc) - 1
        while nt > 0:
            m = nt
            if m > 16:
                m = 16
            nt -= m
            acc = (acc << m) | ((tail >> nt) & ((1 << m) - 1))
            nacc += m
            while nacc >= 8:
                nacc -= 8
                b[pos] = (acc >> nacc) & 0xFF
                pos += 1
            acc &= (1 << nacc) - 1
        s[st + _POS] = pos
        s[st + _ACC] = acc
        s[st + _NACC] = nacc
        if u > _CLAMP_U:
            u = _CLAMP_U
        a += u
        cnt += 1
        if cnt >= _RESET:
            a >>= 1
            cnt >>= 1
        s[_CA + c] = a
        s[_CN + c] = cnt
        i += 1


def check_params(n_channels, period_us, q_mg, accel_period_ms, accel_q_mgee):
    if n_channels not in (1, 2):
        raise ValueError("n_channels must be 1 or 2, not %r" % (n_channels,))
    if not 1 <= period_us <= 60000000:
        raise ValueError("period_us must be 1..60000000 (1 us to 60 s), not %r" % (period_us,))
    if not 1 <= q_mg <= 65535:
        raise ValueError("q_mg must be 1..65535, not %r" % (q_mg,))
    if not 1 <= accel_period_ms <= 65535 or not 1 <= accel_q_mgee <= 255:
        raise ValueError("accel_period_ms must be 1..65535 and accel_q_mgee 1..255")


def zz(v):
    # zigzag: 0, -1, 1, -2, 2 ... -> 0, 1, 2, 3, 4 ...
    return (v << 1) if v >= 0 else ((-v << 1) - 1)


def _clamp(v, lim):
    if v > lim:
        return lim
    if v < -lim:
        return -lim
    return v


class SegmentEncoder:
    """Builds SEGMENT frames from samples, accelerometer readings and events.

    All buffers are allocated here; sample(), accel() and event() allocate nothing. The
    caller seals a segment when needs_seal() says so (write_frame, then reset) and may write
    the open segment as often as it likes (the frame only grows; rewrite it in place).
    sample(), accel(), flush_accel() and needs_seal() are viper code (see the state above):
    their arguments are integers that fit 32 bits. A record that needs_seal() said might not
    fit raises IndexError and changes nothing.
    """

    def __init__(
        self,
        n_channels,
        period_us,
        q_mg,
        accel_period_ms=_ACCEL_PERIOD_MS,
        accel_q_mgee=_ACCEL_Q_MGEE,
        max_samples=1024,
        weight_bytes=2048,
        time_bytes=384,
        accel_bytes=256,
        event_bytes=256,
    ):
        if not 1 <= max_samples <= 65535:
            raise ValueError("max_samples must be 1..65535")
        self._s = s = array("i", bytes(4 * _FIELDS))
        s[_SX] = 32 if sys.maxsize > 0x7FFFFFFF else 0
        s[_MAX_SAMPLES] = max_samples
        s[_EVBUF_SIZE] = event_bytes
        # the three streams, one after another in one buffer: time, weight, accelerometer
        beg = 0
        for st, size in ((_ST_T, time_bytes), (_ST_W, weight_bytes), (_ST_A, accel_bytes)):
            s[st + _BEG] = beg
            beg += size
            s[st + _END] = beg
        self.buf = bytearray(beg)
        for c, st in (
            (_C_W0, _ST_W),
            (_C_W1, _ST_W),
            (_C_RUN, _ST_T),
            (_C_DEV, _ST_T),
            (_C_AWIN, _ST_A),
            (_C_AXIS, _ST_A),
            (_C_ACT, _ST_A),
        ):
            s[_CS + c] = st
        self.ev = bytearray(event_bytes)
        self.hdr = bytearray(5 + _SEG_HEADER)
        self.crc_buf = bytearray(4)
        self.configure(n_channels, period_us, q_mg, accel_period_ms, accel_q_mgee)
        self.reset()

    def configure(
        self,
        n_channels,
        period_us,
        q_mg,
        accel_period_ms=_ACCEL_PERIOD_MS,
        accel_q_mgee=_ACCEL_Q_MGEE,
    ):
        """Set the session's parameters (reuses the buffers); then reset()."""
        check_params(n_channels, period_us, q_mg, accel_period_ms, accel_q_mgee)
        self.n_channels = n_channels
        s = self._s
        s[_N_CH] = n_channels
        s[_PERIOD_US] = period_us
        s[_Q_MG] = q_mg
        s[_HALF_Q] = q_mg // 2
        s[_ACC_PERIOD] = accel_period_ms
        s[_ACC_Q] = accel_q_mgee
        s[_ACC_WIN] = -1

    def reset(self):
        """Start a new, empty segment (after the previous one was written and sealed). The
        accelerometer window in progress carries over."""
        s = self._s
        for st in (_ST_T, _ST_W, _ST_A):
            s[st + _POS] = s[st + _BEG]
            s[st + _ACC] = 0
            s[st + _NACC] = 0
        for i in range(_N_CTX):
            s[_CA + i] = _CTX_INIT[i]
            s[_CN + i] = 1
        for i in range(_N_SAMPLES, _ACC_WIN):
            s[i] = 0
        s[_BASE_T] = -1

    @property
    def n_samples(self):
        return self._s[_N_SAMPLES]

    def is_empty(self):
        return self._s[_BASE_T] < 0

    @micropython.viper
    def needs_seal(self) -> bool:
        """True when the open segment may not have room for one more record of any kind."""
        s = ptr32(self._s)
        if s[_N_SAMPLES] >= s[_MAX_SAMPLES] or s[_N_EVENTS] >= 255 or s[_N_ACCEL] >= 65535:
            return True
        # a stream's room: its bytes left, less the one a partial last byte takes
        if s[_ST_W + _POS] + _ROOM_W + 1 > s[_ST_W + _END]:
            return True
        if s[_ST_T + _POS] + _ROOM_TIME + 1 > s[_ST_T + _END]:
            return True
        if s[_ST_A + _POS] + _ROOM_ACCEL + 1 > s[_ST_A + _END]:
            return True
        return s[_EVBUF_LEN] + _ROOM_EVENT > s[_EVBUF_SIZE]

    @micropython.viper
    def sample(self, t_ms: int, w1_mg: int, w2_mg: int):
        """One sample: session time (ms) and the weight of each bottle (mg; w2_mg is not
        stored with one bottle)."""
        s = ptr32(self._s)
        if (
            s[_ST_T + _POS] + _ROOM_TIME + 1 > s[_ST_T + _END]
            or s[_ST_W + _POS] + _ROOM_W + 1 > s[_ST_W + _END]
        ):
            raise IndexError(_FULL)
        sx = s[_SX]
        if t_ms < 0:
            t_ms = 0
        elif t_ms >= _T_LIMIT:
            t_ms = _T_LIMIT - 1
        base = (s[_BASE_T] << sx) >> sx
        if base < 0:
            base = t_ms
            s[_BASE_T] = t_ms
            s[_PREV_EV_T] = t_ms
        n = 0  # codes queued for _put_codes
        if s[_N_SAMPLES] == 0:
            d = t_ms - base
            s[_Q] = _C_DEV
            s[_Q + 1] = (d << 1) if d >= 0 else ((-d << 1) - 1)  # zz(d)
            n = 1
            s[_R_US] = 0
        else:
            # the expected interval follows the ideal grid of period_us (r_us: where the
            # grid is relative to the last sample), so 12.5 ms gives 13, 12, 13, 12 ... free
            dt = t_ms - s[_PREV_T]
            ideal = ((s[_R_US] << sx) >> sx) + s[_PERIOD_US]
            d = dt - (ideal + 500) // 1000
            if d == 0:
                s[_RUN] += 1
            else:
                s[_Q] = _C_RUN
                s[_Q + 1] = s[_RUN]
                s[_Q + 2] = _C_DEV
                s[_Q + 3] = (d << 1) if d >= 0 else ((-d << 1) - 1)
                n = 2
                s[_RUN] = 0
                s[_N_DEV] += 1
            r = 0
            if -1 <= d <= 1:  # then dt <= 60002: 1000 * dt fits
                r = ideal - 1000 * dt
                if r < -1000 or r > 1000:
                    r = 0
            s[_R_US] = r
        s[_PREV_T] = t_ms
        q = s[_Q_MG]
        if w1_mg > _W_LIMIT:
            w1_mg = _W_LIMIT
        elif w1_mg < -_W_LIMIT:
            w1_mg = -_W_LIMIT
        v = (w1_mg + s[_HALF_Q]) // q
        d = v - ((s[_PREV_V] << sx) >> sx)
        s[_Q + 2 * n] = _C_W0
        s[_Q + 2 * n + 1] = (d << 1) if d >= 0 else ((-d << 1) - 1)
        n += 1
        s[_PREV_V] = v
        if s[_N_CH] == 2:
            if w2_mg > _W_LIMIT:
                w2_mg = _W_LIMIT
            elif w2_mg < -_W_LIMIT:
                w2_mg = -_W_LIMIT
            v = (w2_mg + s[_HALF_Q]) // q
            d = v - ((s[_PREV_V + 1] << sx) >> sx)
            s[_Q + 2 * n] = _C_W1
            s[_Q + 2 * n + 1] = (d << 1) if d >= 0 else ((-d << 1) - 1)
            n += 1
            s[_PREV_V + 1] = v
        s[_N_SAMPLES] += 1
        _put_codes(self._s, self.buf, n)

    @micropython.viper
    def accel(self, t_ms: int, ax_mgee: int, ay_mgee: int, az_mgee: int):
        """One accelerometer reading (milli-g). Kept as one summary per accel_period_ms
        window: mean of each axis and mean |change| between readings (activity)."""
        s = ptr32(self._s)
        sx = s[_SX]
        if t_ms < 0:
            t_ms = 0
        elif t_ms >= _T_LIMIT:
            t_ms = _T_LIMIT - 1
        if ax_mgee > _A_LIMIT:
            ax_mgee = _A_LIMIT
        elif ax_mgee < -_A_LIMIT:
            ax_mgee = -_A_LIMIT
        if ay_mgee > _A_LIMIT:
            ay_mgee = _A_LIMIT
        elif ay_mgee < -_A_LIMIT:
            ay_mgee = -_A_LIMIT
        if az_mgee > _A_LIMIT:
            az_mgee = _A_LIMIT
        elif az_mgee < -_A_LIMIT:
            az_mgee = -_A_LIMIT
        win = t_ms // s[_ACC_PERIOD]
        acc_win = (s[_ACC_WIN] << sx) >> sx
        if win != acc_win:
            if acc_win >= 0 and s[_ACC_N] > 0:
                self.flush_accel()
            s[_ACC_WIN] = win
            s[_ACC_N] = 0
            s[_ACC_SUM] = 0
            s[_ACC_SUM + 1] = 0
            s[_ACC_SUM + 2] = 0
            s[_ACC_ACT] = 0
        elif s[_ACC_N] > 0:
            act = s[_ACC_ACT]
            d = ax_mgee - ((s[_ACC_LAST] << sx) >> sx)
            act += d if d >= 0 else -d
            d = ay_mgee - ((s[_ACC_LAST + 1] << sx) >> sx)
            act += d if d >= 0 else -d
            d = az_mgee - ((s[_ACC_LAST + 2] << sx) >> sx)
            act += d if d >= 0 else -d
            if act > _T_LIMIT:
                act = _T_LIMIT
            s[_ACC_ACT] = act
        if s[_ACC_N] < 16384:  # sums stay below 2**29
            s[_ACC_N] += 1
            s[_ACC_SUM] = ((s[_ACC_SUM] << sx) >> sx) + ax_mgee
            s[_ACC_SUM + 1] = ((s[_ACC_SUM + 1] << sx) >> sx) + ay_mgee
            s[_ACC_SUM + 2] = ((s[_ACC_SUM + 2] << sx) >> sx) + az_mgee
        s[_ACC_LAST] = ax_mgee
        s[_ACC_LAST + 1] = ay_mgee
        s[_ACC_LAST + 2] = az_mgee

    @micropython.viper
    def flush_accel(self):
        """Write the accelerometer window in progress as a record (at the end of a window,
        and at the end of the session)."""
        s = ptr32(self._s)
        sx = s[_SX]
        n = s[_ACC_N]
        win = (s[_ACC_WIN] << sx) >> sx
        if win < 0 or n <= 0:
            return
        if s[_ST_A + _POS] + _ROOM_ACCEL + 1 > s[_ST_A + _END]:
            raise IndexError(_FULL)
        period = s[_ACC_PERIOD]
        base = (s[_BASE_T] << sx) >> sx
        if base < 0:
            base = win * period
            s[_BASE_T] = base
            s[_PREV_EV_T] = base
        if s[_N_ACCEL] == 0:
            d = win - base // period
        else:
            d = win - s[_PREV_AWIN] - 1
        s[_Q] = _C_AWIN
        s[_Q + 1] = (d << 1) if d >= 0 else ((-d << 1) - 1)
        s[_PREV_AWIN] = win
        aq = s[_ACC_Q]
        i = 0
        while i < 3:
            m = (((s[_ACC_SUM + i] << sx) >> sx) // n + (aq >> 1)) // aq
            d = m - ((s[_PREV_AXIS + i] << sx) >> sx)
            s[_Q + 2 + 2 * i] = _C_AXIS
            s[_Q + 3 + 2 * i] = (d << 1) if d >= 0 else ((-d << 1) - 1)
            s[_PREV_AXIS + i] = m
            i += 1
        act = 0
        if n > 1:
            act = s[_ACC_ACT] // (n - 1)
        s[_Q + 8] = _C_ACT
        s[_Q + 9] = (act + (aq >> 1)) // aq
        s[_N_ACCEL] += 1
        s[_ACC_N] = 0
        _put_codes(self._s, self.buf, 5)

    def _varint(self, u):
        buf = self.ev
        s = self._s
        i = s[_EVBUF_LEN]
        while u >= 0x80:
            buf[i] = (u & 0x7F) | 0x80
            u >>= 7
            i += 1
        buf[i] = u
        s[_EVBUF_LEN] = i + 1

    def event(self, t_ms, code, ch, arg):
        """An event (events.EV_*): session time, code, 0-based channel (or 255), argument."""
        if t_ms < 0:
            t_ms = 0
        elif t_ms >= _T_LIMIT:
            t_ms = _T_LIMIT - 1
        s = self._s
        if s[_BASE_T] < 0:
            s[_BASE_T] = t_ms
            s[_PREV_EV_T] = t_ms
        self._varint(zz(t_ms - s[_PREV_EV_T]))
        s[_PREV_EV_T] = t_ms
        buf = self.ev
        i = s[_EVBUF_LEN]
        buf[i] = code & 0xFF
        buf[i + 1] = ch & 0xFF
        s[_EVBUF_LEN] = i + 2
        self._varint(zz(_clamp(arg, _ARG_LIMIT)))
        s[_N_EVENTS] += 1

    def _used(self, st):
        # bytes the stream occupies, a partial last byte included (zero-padded)
        s = self._s
        pos = s[st + _POS]
        nacc = s[st + _NACC]
        if nacc:
            self.buf[pos] = (s[st + _ACC] << (8 - nacc)) & 0xFF
            pos += 1
        return pos - s[st + _BEG]

    def frame_length(self):
        return (
            _FRAME_OVERHEAD
            + _SEG_HEADER
            + self._s[_EVBUF_LEN]
            + self._used(_ST_T)
            + self._used(_ST_W)
            + self._used(_ST_A)
        )

    def write_frame(self, f):
        """Write the open segment as one SEGMENT frame to file `f`; returns its length.
        Allocates a few small objects (memoryviews): call it on flush, not per sample."""
        s = self._s
        lt = self._used(_ST_T)
        lw = self._used(_ST_W)
        la = self._used(_ST_A)
        ev_len = s[_EVBUF_LEN]
        payload = _SEG_HEADER + ev_len + lt + lw + la
        h = self.hdr
        h[0] = _SYNC0
        h[1] = _SYNC1
        struct.pack_into(
            "<BHIHHHHHHHH",
            h,
            2,
            _FT_SEGMENT,
            payload,
            s[_BASE_T] if s[_BASE_T] >= 0 else 0,
            s[_N_SAMPLES],
            s[_N_DEV],
            s[_N_ACCEL],
            s[_N_EVENTS],
            ev_len,
            lt,
            lw,
            la,
        )
        hv = memoryview(h)
        ev = memoryview(self.ev)[:ev_len]
        b = memoryview(self.buf)
        tv = b[s[_ST_T + _BEG] : s[_ST_T + _BEG] + lt]
        wv = b[s[_ST_W + _BEG] : s[_ST_W + _BEG] + lw]
        av = b[s[_ST_A + _BEG] : s[_ST_A + _BEG] + la]
        crc = binascii.crc32(hv[2:])
        crc = binascii.crc32(ev, crc)
        crc = binascii.crc32(tv, crc)
        crc = binascii.crc32(wv, crc)
        crc = binascii.crc32(av, crc)
        struct.pack_into("<I", self.crc_buf, 0, crc & 0xFFFFFFFF)
        f.write(h)
        f.write(ev)
        f.write(tv)
        f.write(wv)
        f.write(av)
        f.write(self.crc_buf)
        return _FRAME_OVERHEAD + payload


def frame(ftype, payload):
    """One whole frame (bytes) around `payload`."""
    if len(payload) > _MAX_PAYLOAD:
        raise ValueError("frame payload of %d bytes is over %d" % (len(payload), _MAX_PAYLOAD))
    head = struct.pack("<BH", ftype, len(payload))
    crc = binascii.crc32(payload, binascii.crc32(head)) & 0xFFFFFFFF
    return bytes((_SYNC0, _SYNC1)) + head + bytes(payload) + struct.pack("<I", crc)


def _text(s, what):
    b = s.encode() if isinstance(s, str) else bytes(s)
    if len(b) > 255:
        raise ValueError("%s is over 255 bytes" % what)
    return bytes([len(b)]) + b


def header_frame(
    session_id,
    n_channels,
    period_us,
    q_mg,
    device_id="",
    firmware="",
    board="",
    config_digest=0,
    start_time_s=None,
    has_accel=False,
    accel_period_ms=_ACCEL_PERIOD_MS,
    accel_q_mgee=_ACCEL_Q_MGEE,
):
    """The HEADER frame that opens a session file. period_us: nominal sample period (us);
    start_time_s: wall clock at the start, seconds since 2000-01-01 00:00 UTC, or None when
    the clock is not set; config_digest: a 32-bit digest of the configuration in use."""
    check_params(n_channels, period_us, q_mg, accel_period_ms, accel_q_mgee)
    flags = (_FLAG_ACCEL if has_accel else 0) | (
        _FLAG_CLOCK_SET if start_time_s is not None else 0
    )
    payload = struct.pack(
        "<BBBBHHIIII",
        _FORMAT_VERSION,
        n_channels,
        flags,
        accel_q_mgee,
        q_mg,
        accel_period_ms,
        period_us,
        session_id,
        start_time_s if start_time_s is not None else 0,
        config_digest & 0xFFFFFFFF,
    )
    payload += _text(device_id, "device_id") + _text(firmware, "firmware")
    payload += _text(board, "board")
    return frame(_FT_HEADER, payload)


def summary_frame(end_t_ms, n_samples, n_events, letdowns, cues, faults, done, volume_mg):
    """The SUMMARY frame that closes a session (its absence marks an incomplete session).
    volume_mg: milligrams expressed, one per channel."""
    payload = struct.pack(
        "<IIHHHHBB",
        end_t_ms,
        n_samples,
        n_events & 0xFFFF,
        letdowns & 0xFFFF,
        cues & 0xFFFF,
        faults & 0xFFFF,
        _SUMMARY_FLAG_DONE if done else 0,
        len(volume_mg),
    )
    for v in volume_mg:
        payload += struct.pack("<i", v)
    return frame(_FT_SUMMARY, payload)


# ---------------------------------------------------------------------------------------
# Decoder (host and device; allocates freely)
