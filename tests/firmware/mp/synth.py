"""Synthetic bottle traces for the firmware tests, made inside MicroPython.

A bottle: milk flows at `flow_g_s` from `start_s`; gaussian noise (Box-Muller, from
`random`, seeded by `seed()`), a 1.1 Hz pump ripple, and any extra weight (the artifact
under test). `reading_mg(t)` is the tared reading in mg at t seconds.
"""

import math
import random


def seed(value=7):
    random.seed(value)


def gauss():
    u = random.random() or 1e-9
    return math.sqrt(-2 * math.log(u)) * math.cos(6.2832 * random.random())


def milk_g(t, flow_g_s, start_s):
    return flow_g_s * (t - start_s) if t > start_s else 0.0


def reading_mg(t, flow_g_s=0.0, start_s=0.0, sigma_g=0.3, ripple_g=0.5, extra_g=0.0):
    g = milk_g(t, flow_g_s, start_s) + sigma_g * gauss()
    g += ripple_g * math.sin(6.2832 * 1.1 * t) + extra_g
    return int(g * 1000)


def walking_g(t):
    """The reading's swing while the wearer walks with no accelerometer: grams at ~2 Hz."""
    ph = 6.2832 * 2.1 * t
    return 2.5 * (math.sin(ph) + 0.3 * math.sin(2 * ph))


def samples(seconds, rate_hz, extra=None, **bottle):
    """Yield (i, t_ms, t_s, w_mg) of the synthetic bottle (`bottle`: reading_mg's arguments),
    `extra(t_s)` grams added on top when given (the artifact under test)."""
    for i in range(seconds * rate_hz):
        t_ms = i * 1000 // rate_hz
        t = t_ms / 1000
        extra_g = extra(t) if extra else 0.0
        yield i, t_ms, t, reading_mg(t, extra_g=extra_g, **bottle)


def run(fs, rate_hz, seconds, motion=None, **kw):
    """Feed FlowStage `fs` `seconds` of the synthetic bottle at `rate_hz`."""
    n = seconds * rate_hz
    for i in range(n):
        t_ms = i * 1000 // rate_hz
        fs.update(t_ms, reading_mg(t_ms / 1000, **kw), motion)
    return fs


class RecordingSink:
    """A session's sink that keeps every event: got = [(t_ms, code, channel, arg), ...]."""

    def __init__(self):
        self.got = []

    def emit(self, t_ms, code, ch, arg):
        self.got.append((t_ms, code, ch, arg))


def mass_g(t, ejections):
    """Milk in the bottle at t s from milk ejections (onset_s, rise_s, peak_g_s, tau_s):
    a raised-cosine rise over `rise_s` to the peak flow, then an exponential decay."""
    m = 0.0
    for onset, rise, peak, tau in ejections:
        u = t - onset
        if u <= 0:
            continue
        if u < rise:
            m += peak * (u / 2 - rise / 6.2832 * math.sin(3.14159 * u / rise))
        else:
            m += peak * rise / 2 + peak * tau * (1 - math.exp(-(u - rise) / tau))
    return m


def held_g(u, peak_g, hold_s):
    """Grams a train of held compressions adds u s after it began (session's `compress`)."""
    u %= hold_s + 4.0
    if u < 0.5:
        return peak_g * math.sin(3.14159 * u) ** 2
    if u < 0.5 + hold_s:
        return peak_g
    if u < 1.0 + hold_s:
        return peak_g * math.cos(3.14159 * (u - 0.5 - hold_s)) ** 2
    return 0.0


class Tilt:
    """What the flow stage reads of pipeline.motion.Motion: a still wearer, a tilt."""

    def __init__(self):
        self.moving = False
        self.tilt_cos_q10 = 1024


def session(
    channels,
    seconds,
    rate_hz=10,
    sigma_g=0.25,
    ripple_g=0.5,
    ripple_hz=1.1,
    ripple_h2=0.0,
    press=None,
    compress=None,
    step=None,
    walk=None,
    bump=None,
    onsets=None,
    found=None,
    spikes=None,
    hands_free=False,
    tilt=None,
    accel_tilt=None,
    strokes=None,
    drift=None,
    stages=None,
    gaps=None,
    moving=None,
    weighing=None,
):
    """Run FlowStage + Detector over synthetic bottles; returns [[code, t_s], ...] per bottle.
    When `onsets` is a list, each letdown's estimated onset (s) is appended to it; when
    `found` is, how the detector found it (events.FOUND_*); when `stages` is, the bottles'
    FlowStages at the end (their volume, tare).

    channels: one list of ejections per bottle; press: (start_s, end_s, peak_g[, bottle])
    strokes, on every bottle or on the one given (0-based);
    compress: (start_s, end_s, peak_g, hold_s[, bottle]) held compressions, as hands-on pumping
    teaches: each rises over 0.5 s, is held hold_s, lets go over 0.5 s, and the next follows
    3 s later;
    step: (start_s, grams) a weight step that stays (something rests on the bottle);
    walk: (start_s, end_s, amplitude_g, hz) shared by every bottle, no accelerometer
    bump: (start_s, length_s, peak_g) one smooth press on every bottle (rises, lets go)
    spikes: [(t_s, grams), ...] single-sample glitches (HX711), on every bottle
    tilt: (start_s, end_s, degrees) the bottle tilted with no accelerometer: the cell reads
    (bottle 125 g + milk) x cos, reached over 1.5 s
    accel_tilt: (start_s, end_s, degrees, bottle_g[, end_degrees]) the same tilt of a bottle
    weighing bottle_g (the firmware assumes 125 g), both bottles, reported by the
    accelerometer; with end_degrees the wearer leans on, evenly, to that angle at end_s
    strokes: (start_s, end_s, peak_g, stroke_s) the bench generator's massage strokes on every
    bottle: one each stroke_s, their size ramped up over the first 2 s and down over the last 2
    drift: (grams, tau_s) a warm-up drift on every bottle, approaching grams exponentially
    gaps: [(start_s, end_s), ...] no samples at all (the sampler stalled; the bottles go on)
    moving: (start_s, end_s) the accelerometer says `moving` (a hand massaging shakes the
    wearer, and the one accelerometer, whichever bottle it presses)
    hands_free: Detector.hands_free (the session sets it while the coach's phase is
    expressing)
    weighing: a list: each second (s) in which Detector.weighing() said 1 at a sample is
    appended to it, once
    ripple_hz, ripple_h2: the pump ripple's rate and its second harmonic's share (the bench's
    generator draws 0.78-1.3 Hz and 0.25 while expressing; near 1 Hz it beats against the
    1-s blocks)
    """
    from pipeline.detect import Detector
    from pipeline.flow import FlowStage

    n = len(channels)
    fs = [FlowStage({}) for _ in range(n)]
    det = Detector({}, n)
    det.hands_free = hands_free
    for f in fs:
        f.reset(0, 0)
    events = [[] for _ in range(n)]
    motion = Tilt() if accel_tilt or moving else None
    for i in range(seconds * rate_hz):
        t_ms = i * 1000 // rate_hz
        t = t_ms / 1000
        if gaps and any(a <= t < b for a, b in gaps):
            continue
        cos_t = 1.0
        if accel_tilt and accel_tilt[0] <= t < accel_tilt[1]:
            ramp = min(1.0, (t - accel_tilt[0]) / 1.5, (accel_tilt[1] - t) / 1.5)
            deg = accel_tilt[2]
            if len(accel_tilt) > 4:
                u = (t - accel_tilt[0]) / (accel_tilt[1] - accel_tilt[0])
                deg += (accel_tilt[4] - deg) * u
            cos_t = math.cos(math.radians(deg) * ramp)
        if motion:
            motion.tilt_cos_q10 = int(cos_t * 1024)
            motion.moving = bool(moving) and moving[0] <= t < moving[1]
        for ch in range(n):
            g = mass_g(t, channels[ch]) + sigma_g * gauss()
            ph = 6.2832 * ripple_hz * t
            g += ripple_g * (math.sin(ph) + ripple_h2 * math.sin(2 * ph))
            if press and press[0] <= t < press[1] and (len(press) < 4 or press[3] == ch):
                g += press[2] * math.sin(3.14159 * ((t - press[0]) % 4.0) / 4.0) ** 2
            if strokes and strokes[0] <= t < strokes[1]:
                env = min(1.0, (t - strokes[0]) / 2.0, (strokes[1] - t) / 2.0)
                u = (t - strokes[0]) % strokes[3] / strokes[3]
                g += strokes[2] * env * math.sin(3.14159 * u) ** 2
            if compress and compress[0] <= t < compress[1]:
                if len(compress) < 5 or compress[4] == ch:
                    g += held_g(t - compress[0], compress[2], compress[3])
            if bump and bump[0] <= t < bump[0] + bump[1]:
                g += bump[2] * math.sin(3.14159 * (t - bump[0]) / bump[1]) ** 2
            if tilt and tilt[0] <= t < tilt[1]:
                ramp = min(1.0, (t - tilt[0]) / 1.5, (tilt[1] - t) / 1.5)
                cos_a = math.cos(math.radians(tilt[2]) * ramp)
                g -= (125.0 + mass_g(t, channels[ch])) * (1 - cos_a)
            if cos_t < 1.0:
                g -= (accel_tilt[3] + mass_g(t, channels[ch])) * (1 - cos_t)
            if step and t >= step[0]:
                g += step[1]
            if drift:
                g += drift[0] * (1 - math.exp(-t / drift[1]))
            if walk and walk[0] <= t < walk[1]:
                ph = 6.2832 * walk[3] * t
                g += walk[2] * (math.sin(ph) + 0.3 * math.sin(2 * ph))
            for ts, sg in spikes or ():
                if t_ms == int(ts * rate_hz) * 1000 // rate_hz:
                    g += sg
            fs[ch].update(t_ms, int(g * 1000), motion)
            code = det.update(t_ms, ch, fs[ch])
            if code:
                events[ch].append([code, t])
                if code == 1 and onsets is not None:
                    onsets.append(det.onset_ms[ch] / 1000)
                if code == 1 and found is not None:
                    found.append(det.found_by[ch])
        if weighing is not None and det.weighing():
            sec = t_ms // 1000
            if not weighing or weighing[-1] != sec:
                weighing.append(sec)
    if stages is not None:
        stages.extend(fs)
    return events


def under_strokes(**kw):
    """The ejection-under-massage case (test_detect_disturbed): a first ejection at 20 s, 5-g
    massage strokes every 4 s from 90 s to 200 s, a weaker second ejection (0.3 g/s, 16-s
    rise) at 130 s under them; `kw`: session()'s other arguments. Bottle 1's events."""
    return session(
        [[(20.0, 12.0, 0.5, 25.0), (130.0, 16.0, 0.3, 40.0)]],
        220,
        press=(90.0, 200.0, 5.0),
        **kw,
    )[0]
