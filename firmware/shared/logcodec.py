# The session log format, the device's role: the format's constants, framing and the encoder.
# The decoder (the host's and the tests' role) is shared/logdecode.py, which imports its
# constants from here, so the format is written once and the device never loads the decoder.
# docs/log-format.md is the specification; the two modules are its reference implementation.
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
# +-2**28); every intermediate on the per-sample path stays below 2**29 and nothing on it
# allocates. One or two weight channels. Decoding is not on the per-sample path: it allocates.
import binascii
import struct
from array import array

import micropython
from micropython import const

FORMAT_VERSION = const(1)
SYNC = b"\xa7\x4d"
FRAME_OVERHEAD = const(9)  # sync 2 + type 1 + length 2 + CRC 4
MAX_PAYLOAD = const(65535)

FT_HEADER = const(1)
FT_SEGMENT = const(2)
FT_SUMMARY = const(3)

ACCEL_PERIOD_MS = const(2000)  # one accelerometer summary per 2 s
ACCEL_Q_MGEE = const(16)  # stored accelerometer step: 16 milli-g (about 1 degree of tilt)

FLAG_ACCEL = const(1)
FLAG_CLOCK_SET = const(2)
SUMMARY_FLAG_DONE = const(1)

SEG_HEADER = const(20)  # fixed part of a segment payload
ESC = const(24)  # a Rice quotient this large is written as an escape: 24 ones + 30 bits
RESET = const(32)  # context statistics are halved every 32 codes (adapts to bursts)
CLAMP_U = const(1 << 22)  # one code adds at most this much to a context's sum
_W_LIMIT = const(1 << 26)
_T_LIMIT = const(1 << 28)
_ARG_LIMIT = const(1 << 28)
_A_LIMIT = const(32767)

# Adaptive Rice contexts: index, and the initial (sum, count) of each.
C_W0 = const(0)
C_W1 = const(1)
C_RUN = const(2)
C_DEV = const(3)
C_AWIN = const(4)
C_AXIS = const(5)
C_ACT = const(6)
N_CTX = const(7)
CTX_INIT = (16, 16, 4, 1, 1, 8, 8)  # initial sums; counts start at 1

# Worst-case bytes one record can add to a stream (escape codes: 54 bits each).
_ROOM_TIME = const(15)  # run + deviation codes
_ROOM_W = const(15)  # two channels
_ROOM_ACCEL = const(36)  # window + 3 axes + activity
_ROOM_EVENT = const(12)  # two 5-byte varints + code + channel


class _Bits:
    """MSB-first bit writer into a preallocated bytearray (no allocation per code)."""

    def __init__(self, size):
        self.buf = bytearray(size)
        self.size = size
        self.pos = 0  # whole bytes written
        self.acc = 0  # pending bits (fewer than 8)
        self.nacc = 0

    def reset(self):
        self.pos = 0
        self.acc = 0
        self.nacc = 0

    @micropython.native  # the log's hot path: native code (unix: -march=host; boards: xtensawin)
    def put(self, value, nbits):
        # nbits <= 16 and value < 2**nbits: acc stays below 2**23
        acc = (self.acc << nbits) | value
        n = self.nacc + nbits
        buf = self.buf
        pos = self.pos
        while n >= 8:
            n -= 8
            buf[pos] = (acc >> n) & 0xFF
            pos += 1
        self.pos = pos
        self.acc = acc & ((1 << n) - 1)
        self.nacc = n

    def used(self):
        """Bytes the stream occupies, a partial last byte included (zero-padded)."""
        if self.nacc:
            self.buf[self.pos] = (self.acc << (8 - self.nacc)) & 0xFF
            return self.pos + 1
        return self.pos

    def room(self):
        return self.size - self.pos - 1


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


def unzz(u):
    return (u >> 1) if not (u & 1) else -((u + 1) >> 1)


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
    """

    def __init__(self, n_channels, period_us, q_mg, accel_period_ms=ACCEL_PERIOD_MS,
                 accel_q_mgee=ACCEL_Q_MGEE, max_samples=1024, weight_bytes=2048,
                 time_bytes=384, accel_bytes=256, event_bytes=256):
        if not 1 <= max_samples <= 65535:
            raise ValueError("max_samples must be 1..65535")
        self.max_samples = max_samples
        self.configure(n_channels, period_us, q_mg, accel_period_ms, accel_q_mgee)
        self.w = _Bits(weight_bytes)
        self.t = _Bits(time_bytes)
        self.a = _Bits(accel_bytes)
        self.ev = bytearray(event_bytes)
        self.ca = array("i", CTX_INIT)
        self.cn = array("i", [1] * N_CTX)
        self.prev_v = array("i", [0, 0])
        self.prev_axis = array("i", [0, 0, 0])
        # accelerometer window being summed: index, count, sums, activity, last reading
        self.acc_win = -1
        self.acc_sum = array("i", [0, 0, 0, 0, 0, 0, 0])  # n, sx, sy, sz, act, and spare
        self.acc_last = array("i", [0, 0, 0])
        self.hdr = bytearray(5 + SEG_HEADER)
        self.crc_buf = bytearray(4)
        self.reset()

    def configure(self, n_channels, period_us, q_mg, accel_period_ms=ACCEL_PERIOD_MS,
                  accel_q_mgee=ACCEL_Q_MGEE):
        """Set the session's parameters (reuses the buffers); then reset()."""
        check_params(n_channels, period_us, q_mg, accel_period_ms, accel_q_mgee)
        self.n_channels = n_channels
        self.period_us = period_us
        self.q_mg = q_mg
        self.half_q = q_mg // 2
        self.accel_period_ms = accel_period_ms
        self.accel_q = accel_q_mgee
        self.acc_win = -1

    def reset(self):
        """Start a new, empty segment (after the previous one was written and sealed)."""
        self.w.reset()
        self.t.reset()
        self.a.reset()
        self.ev_len = 0
        self.n_samples = 0
        self.n_dev = 0
        self.n_accel = 0
        self.n_events = 0
        self.run = 0
        self.r_us = 0
        self.base_t_ms = -1
        self.prev_t_ms = 0
        self.prev_ev_t_ms = 0
        self.prev_awin = 0
        ca = self.ca
        cn = self.cn
        for i in range(N_CTX):
            ca[i] = CTX_INIT[i]
            cn[i] = 1
        self.prev_v[0] = 0
        self.prev_v[1] = 0
        pa = self.prev_axis
        pa[0] = 0
        pa[1] = 0
        pa[2] = 0

    def is_empty(self):
        return self.base_t_ms < 0

    def needs_seal(self):
        """True when the open segment may not have room for one more record of any kind."""
        return (self.n_samples >= self.max_samples or self.w.room() < _ROOM_W
                or self.t.room() < _ROOM_TIME or self.a.room() < _ROOM_ACCEL
                or len(self.ev) - self.ev_len < _ROOM_EVENT or self.n_events >= 255
                or self.n_accel >= 65535)

    @micropython.native
    def _code(self, bits, c, u):
        # adaptive Rice code of u >= 0 (u < 2**30) in context c
        ca = self.ca
        cn = self.cn
        a = ca[c]
        n = cn[c]
        k = 0
        while (n << (k + 1)) < a:
            k += 1
        q = u >> k
        if q < ESC:
            while q >= 15:
                bits.put(0x7FFF, 15)
                q -= 15
            bits.put((1 << (q + 1)) - 2, q + 1)  # q ones then a zero
            if k > 15:
                bits.put((u >> 15) & ((1 << (k - 15)) - 1), k - 15)
                bits.put(u & 0x7FFF, 15)
            elif k:
                bits.put(u & ((1 << k) - 1), k)
        else:
            bits.put(0xFFFF, 16)
            bits.put(0xFF, 8)
            bits.put((u >> 15) & 0x7FFF, 15)
            bits.put(u & 0x7FFF, 15)
        if u > CLAMP_U:
            u = CLAMP_U
        a += u
        n += 1
        if n >= RESET:
            a >>= 1
            n >>= 1
        ca[c] = a
        cn[c] = n

    def _start(self, t_ms):
        if self.base_t_ms < 0:
            self.base_t_ms = t_ms
            self.prev_ev_t_ms = t_ms

    @micropython.native
    def sample(self, t_ms, w1_mg, w2_mg=0):
        """One sample: session time (ms) and the weight of each bottle (mg)."""
        if t_ms < 0:
            t_ms = 0
        elif t_ms >= _T_LIMIT:
            t_ms = _T_LIMIT - 1
        self._start(t_ms)
        tb = self.t
        if self.n_samples == 0:
            self._code(tb, C_DEV, zz(t_ms - self.base_t_ms))
            self.r_us = 0
        else:
            # the expected interval follows the ideal grid of period_us (r_us: where the
            # grid is relative to the last sample), so 12.5 ms gives 13, 12, 13, 12 ... free
            dt = t_ms - self.prev_t_ms
            ideal = self.r_us + self.period_us
            d = dt - (ideal + 500) // 1000
            if d == 0:
                self.run += 1
            else:
                self._code(tb, C_RUN, self.run)
                self._code(tb, C_DEV, zz(d))
                self.run = 0
                self.n_dev += 1
            r = 0
            if -1 <= d <= 1:
                r = ideal - 1000 * dt
                if r < -1000 or r > 1000:
                    r = 0
            self.r_us = r
        self.prev_t_ms = t_ms
        q = self.q_mg
        pv = self.prev_v
        v = (_clamp(w1_mg, _W_LIMIT) + self.half_q) // q
        self._code(self.w, C_W0, zz(v - pv[0]))
        pv[0] = v
        if self.n_channels == 2:
            v = (_clamp(w2_mg, _W_LIMIT) + self.half_q) // q
            self._code(self.w, C_W1, zz(v - pv[1]))
            pv[1] = v
        self.n_samples += 1

    def accel(self, t_ms, ax_mgee, ay_mgee, az_mgee):
        """One accelerometer reading (milli-g). Kept as one summary per accel_period_ms
        window: mean of each axis and mean |change| between readings (activity)."""
        if t_ms < 0:
            t_ms = 0
        elif t_ms >= _T_LIMIT:
            t_ms = _T_LIMIT - 1
        ax_mgee = _clamp(ax_mgee, _A_LIMIT)
        ay_mgee = _clamp(ay_mgee, _A_LIMIT)
        az_mgee = _clamp(az_mgee, _A_LIMIT)
        win = t_ms // self.accel_period_ms
        s = self.acc_sum
        last = self.acc_last
        if win != self.acc_win:
            if self.acc_win >= 0 and s[0] > 0:
                self.flush_accel()
            self.acc_win = win
            s[0] = 0
            s[1] = 0
            s[2] = 0
            s[3] = 0
            s[4] = 0
        elif s[0] > 0:
            d = ax_mgee - last[0]
            s[4] += d if d >= 0 else -d
            d = ay_mgee - last[1]
            s[4] += d if d >= 0 else -d
            d = az_mgee - last[2]
            s[4] += d if d >= 0 else -d
            if s[4] > _T_LIMIT:
                s[4] = _T_LIMIT
        if s[0] < 16384:  # sums stay below 2**29
            s[0] += 1
            s[1] += ax_mgee
            s[2] += ay_mgee
            s[3] += az_mgee
        last[0] = ax_mgee
        last[1] = ay_mgee
        last[2] = az_mgee

    def flush_accel(self):
        """Write the accelerometer window in progress as a record (at the end of a window,
        and at the end of the session)."""
        s = self.acc_sum
        n = s[0]
        if self.acc_win < 0 or n <= 0:
            return
        self._start(self.acc_win * self.accel_period_ms)
        ab = self.a
        win = self.acc_win
        if self.n_accel == 0:
            self._code(ab, C_AWIN, zz(win - self.base_t_ms // self.accel_period_ms))
        else:
            self._code(ab, C_AWIN, zz(win - self.prev_awin - 1))
        self.prev_awin = win
        pa = self.prev_axis
        aq = self.accel_q
        for i in range(3):
            m = (s[1 + i] // n + (aq >> 1)) // aq
            self._code(ab, C_AXIS, zz(m - pa[i]))
            pa[i] = m
        self._code(ab, C_ACT, ((s[4] // (n - 1) if n > 1 else 0) + (aq >> 1)) // aq)
        self.n_accel += 1
        s[0] = 0

    def _varint(self, u):
        buf = self.ev
        i = self.ev_len
        while u >= 0x80:
            buf[i] = (u & 0x7F) | 0x80
            u >>= 7
            i += 1
        buf[i] = u
        self.ev_len = i + 1

    def event(self, t_ms, code, ch, arg):
        """An event (events.EV_*): session time, code, 0-based channel (or 255), argument."""
        if t_ms < 0:
            t_ms = 0
        elif t_ms >= _T_LIMIT:
            t_ms = _T_LIMIT - 1
        self._start(t_ms)
        self._varint(zz(t_ms - self.prev_ev_t_ms))
        self.prev_ev_t_ms = t_ms
        buf = self.ev
        buf[self.ev_len] = code & 0xFF
        buf[self.ev_len + 1] = ch & 0xFF
        self.ev_len += 2
        self._varint(zz(_clamp(arg, _ARG_LIMIT)))
        self.n_events += 1

    def frame_length(self):
        return (FRAME_OVERHEAD + SEG_HEADER + self.ev_len + self.t.used() + self.w.used()
                + self.a.used())

    def write_frame(self, f):
        """Write the open segment as one SEGMENT frame to file `f`; returns its length.
        Allocates a few small objects (memoryviews): call it on flush, not per sample."""
        lt = self.t.used()
        lw = self.w.used()
        la = self.a.used()
        payload = SEG_HEADER + self.ev_len + lt + lw + la
        h = self.hdr
        h[0] = SYNC[0]
        h[1] = SYNC[1]
        struct.pack_into("<BHIHHHHHHHH", h, 2, FT_SEGMENT, payload,
                         self.base_t_ms if self.base_t_ms >= 0 else 0, self.n_samples,
                         self.n_dev, self.n_accel, self.n_events, self.ev_len, lt, lw, la)
        hv = memoryview(h)
        ev = memoryview(self.ev)[:self.ev_len]
        tv = memoryview(self.t.buf)[:lt]
        wv = memoryview(self.w.buf)[:lw]
        av = memoryview(self.a.buf)[:la]
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
        return FRAME_OVERHEAD + payload


def frame(ftype, payload):
    """One whole frame (bytes) around `payload`."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError("frame payload of %d bytes is over %d" % (len(payload), MAX_PAYLOAD))
    head = struct.pack("<BH", ftype, len(payload))
    crc = binascii.crc32(payload, binascii.crc32(head)) & 0xFFFFFFFF
    return SYNC + head + bytes(payload) + struct.pack("<I", crc)


def _text(s, what):
    b = s.encode() if isinstance(s, str) else bytes(s)
    if len(b) > 255:
        raise ValueError("%s is over 255 bytes" % what)
    return bytes([len(b)]) + b


def header_frame(session_id, n_channels, period_us, q_mg, device_id="", firmware="",
                 board="", config_digest=0, start_time_s=None, has_accel=False,
                 accel_period_ms=ACCEL_PERIOD_MS, accel_q_mgee=ACCEL_Q_MGEE):
    """The HEADER frame that opens a session file. period_us: nominal sample period (us);
    start_time_s: wall clock at the start, seconds since 2000-01-01 00:00 UTC, or None when
    the clock is not set; config_digest: a 32-bit digest of the configuration in use."""
    check_params(n_channels, period_us, q_mg, accel_period_ms, accel_q_mgee)
    flags = (FLAG_ACCEL if has_accel else 0) | (FLAG_CLOCK_SET if start_time_s is not None
                                               else 0)
    payload = struct.pack("<BBBBHHIIII", FORMAT_VERSION, n_channels, flags, accel_q_mgee,
                          q_mg, accel_period_ms, period_us, session_id,
                          start_time_s if start_time_s is not None else 0,
                          config_digest & 0xFFFFFFFF)
    payload += _text(device_id, "device_id") + _text(firmware, "firmware")
    payload += _text(board, "board")
    return frame(FT_HEADER, payload)


def summary_frame(end_t_ms, n_samples, n_events, letdowns, cues, faults, done, volume_mg):
    """The SUMMARY frame that closes a session (its absence marks an incomplete session).
    volume_mg: milligrams expressed, one per channel."""
    payload = struct.pack("<IIHHHHBB", end_t_ms, n_samples, n_events & 0xFFFF,
                          letdowns & 0xFFFF, cues & 0xFFFF, faults & 0xFFFF,
                          SUMMARY_FLAG_DONE if done else 0, len(volume_mg))
    for v in volume_mg:
        payload += struct.pack("<i", v)
    return frame(FT_SUMMARY, payload)


# ---------------------------------------------------------------------------------------
# Decoder (host and device; allocates freely)
