# The session log format, the host's and the tests' role: decoding (and encoding a whole
# session at once, for tests and benchmarks). The device never imports this module; it writes
# with shared/logcodec.py, whose framing this reads; the format's constants are here.
# docs/log-format.md is the specification.
#
#     session = decode(data)   # dict: header, t_ms, w_mg, accel, events, summary, damaged ...
#
# Decoding is not on the per-sample path: it allocates.
import binascii
import struct

from .logcodec import (
    SegmentEncoder,
    check_params,
    header_frame,
    summary_frame,
)

# The format's constants (docs/log-format.md). The encoder keeps private copies
# (`_FT_SEGMENT = const(2)`), folded into its bytecode so that the device does not intern
# their names; tests/firmware/test_logcodec.py checks every copy against these.
FORMAT_VERSION = 1
SYNC = b"\xa7\x4d"
FRAME_OVERHEAD = 9  # sync 2 + type 1 + length 2 + CRC 4
MAX_PAYLOAD = 65535

FT_HEADER = 1
FT_SEGMENT = 2
FT_SUMMARY = 3

ACCEL_PERIOD_MS = 2000  # one accelerometer summary per 2 s
ACCEL_Q_MGEE = 16  # stored accelerometer step: 16 milli-g (about 1 degree of tilt)

FLAG_ACCEL = 1
FLAG_CLOCK_SET = 2
SUMMARY_FLAG_DONE = 1

SEG_HEADER = 20  # fixed part of a segment payload
ESC = 24  # a Rice quotient this large is written as an escape: 24 ones + 30 bits
RESET = 32  # context statistics are halved every 32 codes (adapts to bursts)
CLAMP_U = 1 << 22  # one code adds at most this much to a context's sum

# Adaptive Rice contexts: index, and the initial (sum, count) of each.
C_W0 = 0
C_W1 = 1
C_RUN = 2
C_DEV = 3
C_AWIN = 4
C_AXIS = 5
C_ACT = 6
N_CTX = 7
CTX_INIT = (16, 16, 4, 1, 1, 8, 8)  # initial sums; counts start at 1


def unzz(u):
    # the inverse of logcodec.zz: 0, 1, 2, 3, 4 ... -> 0, -1, 1, -2, 2 ...
    return (u >> 1) if not (u & 1) else -((u + 1) >> 1)


class DamagedFrame(ValueError):
    pass


# what a damaged but CRC-intact frame can raise while it is parsed (MicroPython's struct
# raises ValueError; CPython's raises struct.error)
_DAMAGE = (ValueError, IndexError, UnicodeError, getattr(struct, "error", ValueError))


def iter_frames(data):
    """Yield (offset, type, payload) for every intact frame in `data`; damaged or truncated
    stretches are skipped byte by byte until the next frame whose CRC checks."""
    data = bytes(data)
    end = len(data)
    pos = data.find(SYNC)
    crc32 = binascii.crc32
    while 0 <= pos and pos + FRAME_OVERHEAD <= end:
        ftype = data[pos + 2]
        n = data[pos + 3] | (data[pos + 4] << 8)
        stop = pos + 5 + n
        if stop + 4 <= end:
            want = (
                data[stop]
                | (data[stop + 1] << 8)
                | (data[stop + 2] << 16)
                | (data[stop + 3] << 24)
            )
            if crc32(data[pos + 2 : stop]) & 0xFFFFFFFF == want:
                yield pos, ftype, data[pos + 5 : stop]
                pos = data.find(SYNC, stop + 4)
                continue
        pos = data.find(SYNC, pos + 1)


def _str_at(b, i):
    n = b[i]
    s = b[i + 1 : i + 1 + n]
    if len(s) != n:
        raise DamagedFrame("text field runs past the frame")
    return s.decode(), i + 1 + n


def decode_header(payload):
    if len(payload) < 24:
        raise DamagedFrame("header frame too short")
    (
        version,
        n_ch,
        flags,
        accel_q,
        q_mg,
        accel_period_ms,
        period_us,
        session_id,
        start_s,
        digest,
    ) = struct.unpack("<BBBBHHIIII", payload[:24])
    device_id, i = _str_at(payload, 24)
    firmware, i = _str_at(payload, i)
    board, i = _str_at(payload, i)
    try:
        check_params(n_ch, period_us, q_mg, accel_period_ms, accel_q)
    except ValueError as e:
        raise DamagedFrame("header fields out of range: %s" % e)
    return {
        "format_version": version,
        "session_id": session_id,
        "n_channels": n_ch,
        "has_accel": bool(flags & FLAG_ACCEL),
        "q_mg": q_mg,
        "period_us": period_us,
        "accel_period_ms": accel_period_ms,
        "accel_q_mgee": accel_q,
        "start_time_s": start_s if flags & FLAG_CLOCK_SET else None,
        "config_digest": digest,
        "device_id": device_id,
        "firmware": firmware,
        "board": board,
    }


def decode_summary(payload):
    if len(payload) < 18:
        raise DamagedFrame("summary frame too short")
    end_t, n_samples, n_events, letdowns, cues, faults, flags, n_ch = struct.unpack(
        "<IIHHHHBB", payload[:18]
    )
    if len(payload) < 18 + 4 * n_ch:
        raise DamagedFrame("summary frame too short for its channels")
    vols = [struct.unpack("<i", payload[18 + 4 * i : 22 + 4 * i])[0] for i in range(n_ch)]
    return {
        "end_t_ms": end_t,
        "n_samples": n_samples,
        "n_events": n_events,
        "letdowns": letdowns,
        "cues": cues,
        "faults": faults,
        "done": bool(flags & SUMMARY_FLAG_DONE),
        "volume_mg": vols,
    }


def _bitstring(b):
    # b"0"/b"1" text of b, MSB first: bytes.find and int(s, 2) run in C in both Pythons
    # (bytes, not str: MicroPython indexes a str by scanning its UTF-8)
    if not b:
        return b""
    return bin(int.from_bytes(bytes(b), "big") | (1 << (8 * len(b))))[3:].encode()


class _Reader:
    """Adaptive Rice decoder over one stream, mirroring SegmentEncoder._code."""

    def __init__(self, b):
        self.s = _bitstring(b)
        self.pos = 0
        self.ca = list(CTX_INIT)
        self.cn = [1] * N_CTX

    def code(self, c):
        s = self.s
        pos = self.pos
        a = self.ca[c]
        n = self.cn[c]
        k = 0
        while (n << (k + 1)) < a:
            k += 1
        z = s.find(b"0", pos, pos + ESC)
        if z < 0:
            start = pos + ESC
            if start + 30 > len(s):
                raise DamagedFrame("stream ends inside an escape code")
            u = int(s[start : start + 30], 2)
            self.pos = start + 30
        else:
            u = (z - pos) << k
            if k:
                if z + 1 + k > len(s):
                    raise DamagedFrame("stream ends inside a code")
                u |= int(s[z + 1 : z + 1 + k], 2)
            self.pos = z + 1 + k
        a += u if u < CLAMP_U else CLAMP_U
        n += 1
        if n >= RESET:
            a >>= 1
            n >>= 1
        self.ca[c] = a
        self.cn[c] = n
        return u


def _weights(b, n_samples, n_ch, q_mg):
    # the hot loop of the decoder, inlined for speed
    s = _bitstring(b)
    slen = len(s)
    find = s.find
    out = [[], []]
    prev = [0, 0]
    ca = [CTX_INIT[0], CTX_INIT[1]]
    cn = [1, 1]
    pos = 0
    for _ in range(n_samples):
        for ch in range(n_ch):
            a = ca[ch]
            n = cn[ch]
            k = 0
            while (n << (k + 1)) < a:
                k += 1
            z = find(b"0", pos, pos + ESC)
            if z < 0:
                start = pos + ESC
                if start + 30 > slen:
                    raise DamagedFrame("weight stream ends inside an escape code")
                u = int(s[start : start + 30], 2)
                pos = start + 30
            else:
                u = (z - pos) << k
                pos = z + 1 + k
                if k:
                    if pos > slen:
                        raise DamagedFrame("weight stream ends inside a code")
                    u |= int(s[z + 1 : pos], 2)
            a += u if u < CLAMP_U else CLAMP_U
            n += 1
            if n >= RESET:
                a >>= 1
                n >>= 1
            ca[ch] = a
            cn[ch] = n
            v = prev[ch] + ((u >> 1) if not (u & 1) else -((u + 1) >> 1))
            prev[ch] = v
            out[ch].append(v * q_mg)
    return out[:n_ch]


def decode_segment(payload, header):
    """Decode one SEGMENT payload with the session's header fields. Returns a dict with
    t_ms (list), w_mg (one list per channel), accel (list of (t_ms, ax, ay, az, activity)),
    events (list of (t_ms, code, ch, arg)). Raises DamagedFrame on inconsistent content."""
    if len(payload) < SEG_HEADER:
        raise DamagedFrame("segment frame too short")
    base, n, n_dev, n_accel, n_events, lev, lt, lw, la = struct.unpack(
        "<IHHHHHHHH", payload[:SEG_HEADER]
    )
    if SEG_HEADER + lev + lt + lw + la != len(payload):
        raise DamagedFrame("segment section lengths do not add up")
    period_us = header["period_us"]
    n_ch = header["n_channels"]
    i = SEG_HEADER
    evb = payload[i : i + lev]
    i += lev
    tb = payload[i : i + lt]
    i += lt
    wb = payload[i : i + lw]
    i += lw
    ab = payload[i : i + la]

    # events
    events = []
    j = 0
    t = base
    for _ in range(n_events):
        u, j = _read_varint(evb, j)
        t += unzz(u)
        if j + 2 > len(evb):
            raise DamagedFrame("event record runs past its section")
        code = evb[j]
        ch = evb[j + 1]
        u, j = _read_varint(evb, j + 2)
        events.append((t, code, ch, unzz(u)))

    # timestamps
    t_ms = []
    if n:
        r = _Reader(tb)
        t = base + unzz(r.code(C_DEV))
        t_ms.append(t)
        left = n - 1
        r_us = 0
        for j in range(n_dev + 1):
            if j < n_dev:
                run = r.code(C_RUN)
                d = unzz(r.code(C_DEV))
                if run + 1 > left:
                    raise DamagedFrame("time runs exceed the sample count")
            else:
                run = left
            for _ in range(run):  # samples on the grid
                ideal = r_us + period_us
                dt = (ideal + 500) // 1000
                r_us = ideal - 1000 * dt
                t += dt
                t_ms.append(t)
            if j == n_dev:
                break
            ideal = r_us + period_us
            dt = (ideal + 500) // 1000 + d
            r_us = 0
            if -1 <= d <= 1:
                r_us = ideal - 1000 * dt
                if r_us < -1000 or r_us > 1000:
                    r_us = 0
            t += dt
            t_ms.append(t)
            left -= run + 1

    w_mg = _weights(wb, n, n_ch, header["q_mg"])

    # accelerometer summaries
    accel = []
    if n_accel:
        ap = header["accel_period_ms"]
        if ap < 1:
            raise DamagedFrame("accelerometer records without an accelerometer period")
        r = _Reader(ab)
        aq = header["accel_q_mgee"]
        axes = [0, 0, 0]
        win = 0
        for k in range(n_accel):
            dw = unzz(r.code(C_AWIN))
            win = (base // ap + dw) if k == 0 else (win + 1 + dw)
            for a in range(3):
                axes[a] += unzz(r.code(C_AXIS))
            act = r.code(C_ACT)
            accel.append((win * ap, axes[0] * aq, axes[1] * aq, axes[2] * aq, act * aq))
    return {"t_ms": t_ms, "w_mg": w_mg, "accel": accel, "events": events}


def _read_varint(b, j):
    u = 0
    shift = 0
    while True:
        if j >= len(b) or shift > 35:
            raise DamagedFrame("varint runs past its section")
        c = b[j]
        j += 1
        u |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return u, j


def decode(data):
    """Decode a session file (bytes). Never raises on damaged input: intact frames are
    decoded, the rest counted. Returns a dict:
      header (dict or None), t_ms (list), w_mg (list per channel), accel, events,
      summary (dict or None), complete (bool: a summary frame was found),
      segments (intact segments decoded), damaged_segments (CRC-intact but undecodable,
      or segments found before any header), frames (intact frames), skipped_bytes."""
    header = None
    summary = None
    t_ms = []
    w_mg = [[], []]
    accel = []
    events = []
    segments = 0
    damaged = 0
    frames = 0
    covered = 0
    pending = []  # segments seen before the header (kept in order, decoded once it appears)
    for _off, ftype, payload in iter_frames(data):
        frames += 1
        covered += len(payload) + FRAME_OVERHEAD
        if ftype == FT_HEADER and header is None:
            try:
                header = decode_header(payload)
            except _DAMAGE:
                damaged += 1
                continue
            for p in pending:
                segments, damaged = _add_segment(
                    p, header, t_ms, w_mg, accel, events, segments, damaged
                )
            pending = []
        elif ftype == FT_SEGMENT:
            if header is None:
                pending.append(payload)
            else:
                segments, damaged = _add_segment(
                    payload, header, t_ms, w_mg, accel, events, segments, damaged
                )
        elif ftype == FT_SUMMARY:
            try:
                summary = decode_summary(payload)
            except _DAMAGE:
                damaged += 1
    damaged += len(pending)
    n_ch = header["n_channels"] if header else 2
    return {
        "header": header,
        "t_ms": t_ms,
        "w_mg": w_mg[:n_ch],
        "accel": accel,
        "events": events,
        "summary": summary,
        "complete": summary is not None,
        "segments": segments,
        "damaged_segments": damaged,
        "frames": frames,
        "skipped_bytes": len(data) - covered,
    }


def _add_segment(payload, header, t_ms, w_mg, accel, events, segments, damaged):
    try:
        seg = decode_segment(payload, header)
    except _DAMAGE:
        return segments, damaged + 1
    t_ms.extend(seg["t_ms"])
    for ch, col in enumerate(seg["w_mg"]):
        w_mg[ch].extend(col)
    accel.extend(seg["accel"])
    events.extend(seg["events"])
    return segments + 1, damaged


class _Chunks:
    """A write-only byte sink (io.BytesIO's subset that write_frame needs)."""

    def __init__(self):
        self.parts = []

    def write(self, b):
        self.parts.append(bytes(b))
        return len(b)

    def getvalue(self):
        return b"".join(self.parts)


def encode_session(header_fields, samples, accel=(), events=(), summary=None, **enc_opts):
    """Encode a whole session to bytes exactly as the device's log store lays it out (for
    the host: benchmarks, tests, fixtures). header_fields: keyword arguments of header_frame;
    samples: (t_ms, w1_mg, w2_mg) in time order; accel: (t_ms, ax, ay, az); events:
    (t_ms, code, ch, arg); summary: keyword arguments of summary_frame, or None to leave the
    session incomplete. Records are merged by time (samples first at equal times)."""
    hf = dict(header_fields)
    enc = SegmentEncoder(
        hf["n_channels"],
        hf["period_us"],
        hf["q_mg"],
        hf.get("accel_period_ms", ACCEL_PERIOD_MS),
        hf.get("accel_q_mgee", ACCEL_Q_MGEE),
        **enc_opts,
    )
    out = _Chunks()
    out.write(header_frame(**hf))
    # merge the three time-ordered lists (no sort: MicroPython's is slow on sorted input)
    samples = list(samples)
    accel = list(accel)
    events = list(events)
    i = j = k = 0
    while i < len(samples) or j < len(accel) or k < len(events):
        ts = samples[i][0] if i < len(samples) else None
        ta = accel[j][0] if j < len(accel) else None
        te = events[k][0] if k < len(events) else None
        if enc.needs_seal():
            enc.write_frame(out)
            enc.reset()
        if ts is not None and (ta is None or ts <= ta) and (te is None or ts <= te):
            rec = samples[i]
            enc.sample(rec[0], rec[1], rec[2] if len(rec) > 2 else 0)
            i += 1
        elif ta is not None and (te is None or ta <= te):
            rec = accel[j]
            enc.accel(rec[0], rec[1], rec[2], rec[3])
            j += 1
        else:
            rec = events[k]
            enc.event(rec[0], rec[1], rec[2], rec[3])
            k += 1
    if enc.needs_seal():
        enc.write_frame(out)
        enc.reset()
    enc.flush_accel()
    if not enc.is_empty():
        enc.write_frame(out)
    if summary is not None:
        out.write(summary_frame(**summary))
    return out.getvalue()
