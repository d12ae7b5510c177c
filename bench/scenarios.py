"""Synthetic pumping sessions with ground truth, calibrated to the project's physiology notes.

    from bench.scenarios import generate
    scn = generate(seed=3, kind="many")       # kind: one of KINDS
    scn.to_csv("trace.csv")                    # the trace CSV of design contract 3
    scn.truth.onsets_s[0], scn.truth.tapers_s[0], scn.truth.volume_ml

Standard library only (`random`, `math`); the same (seed, kind, overrides) always gives the
same session, byte for byte.

The model, layer by layer (figures from shared/science.md):

- The mother. Each session draws per-mother parameters: number of milk ejections (MEs),
  time to the first ME (1-2 min, clipped 40-200 s), intervals between MEs (log-normal,
  median 221 s, roughly 68-371 s, compressed when many MEs must fit), first-ME peak flow
  (0.5 +- 0.2 g/s), volume per breast (69.8 +- 42.5 g per session, the 1st ME carrying
  41-47 % of it, later MEs a geometric share), ME rise time (8-25 s) and decay constant
  (15-90 s, so an ME lasts ~45 s to ~3.5 min). Phenotypes (KINDS): `few` (2-4 MEs),
  `many` (5-12), `continuous` (MEs 50-100 s apart, peaks >= 0.35 g/s, decay 80-140 s:
  they overlap so flow does not drop to a trickle between them), `late_me`
  (2-3 early MEs, then one more at least 3 min after flow stopped), `low_volume` (5-18 g
  per breast, peaks 0.13-0.25 g/s), `late_lactation` (3.3 +- 1.2 MEs, lower volume), and
  `control`: a no-milk session that still has every sensor artifact.
- The breasts. With two bottles the second breast gets the same MEs (onset jitter
  +-1.5 s, amounts scaled by a per-mother factor 0.3-1.5 so left/right differ up to ~3x);
  4.5 % of later MEs occur on one side only (synchrony 95.5 %). A secretion trickle of
  0.002-0.005 g/s runs from the first ME on.
- One ME's flow: a raised-cosine rise from 0 to its peak over `rise_s`, then exponential
  decay with `tau_s`. Flow and its integral are closed-form, so the truth is exact.
- The sensor and the wearer, added to the tared reading of each bottle: drip quantisation
  (milk arrives in 0.04-0.07 g drops), HX711 noise (sigma 0.15-0.35 g, i.e. ~1-2 g
  peak-to-peak; x1.3 at 80 Hz), single-sample spikes (3-60 g, 0.5-3 a minute), warm-up
  drift (up to +-4 g, time constant 2-7 min), pump ripple (0.2-1 g; 2 Hz during the first
  2 min of stimulation, then 0.8-1.3 Hz), walking (steps at 1.7-2.2 Hz; 70 % of walks
  *physical*: the bottle moves with the accelerometer, whose vertical reading swings by
  0.04-0.2 g with a second harmonic of 10-35 %, and each cell reads its bottle + milk times
  (1 + that acceleration + a coupling of 3-15 % of it, lagging 0.5-1.5 rad, that the
  accelerometer does not see): swings of ~4-70 g that grow with the milk; the other 30 %
  the harder *legacy* walk: 2-8 g on the cell that do not follow the accelerometer's
  0.15-0.4 g), tilt (15-45 deg: the reading drops by
  (bottle + milk) x (1 - cos angle), bottle 100-150 g; the accelerometer's gravity vector
  turns), hand pressure while the wearer massages after flow tapers (strokes of 1-8 g
  apparent weight, 3-6 s each; without milk, while she stimulates), and
  gaps (0.5-6 s with no samples). Rates 5, 10, 20 or 80 Hz; 1 or 2 bottles; the
  accelerometer columns are present in some sessions only.

Ground truth (what the benchmark scores against), per channel (0 = bottle 1):

- `onsets_s`: letdown onsets: the time each ME's own flow passes 10 % of its peak, for every
  ME whose onset lies in the trace; issue 12 (point 5) measures the held-out sessions' latency
  from that point. An ME that starts while the previous one still flows is an onset too. Its
  raised-cosine rise began 0.205 x `rise_s` earlier (1.6-5.1 s), with 0.7 % of `peak x rise`
  in the bottle by then: a few tens of mg, under any sensor's noise. Until round 11 the onset
  was that start; the parameters (`params["breasts"][i]["ejections"]`) still give it.
- `tapers_s`: the true flow, sampled every 0.1 s and smoothed by a centred 5-s moving
  average, is split into high-flow periods (>= 0.1 g/s; dips below shorter than 10 s are
  bridged; periods shorter than 5 s are ignored). A taper is the end of each high-flow
  period, i.e. where smoothed flow falls below 0.1 g/s, unless the trace ends first.
- `volume_ml`: the true milk mass in each bottle at the last sample / 1.03 g/mL, and the
  total. Controls: no onsets, no tapers, 0 mL.
- `artifacts`: every artifact episode (kind, start, end, channel: 0 = both bottles; tilts
  also give their angle; ramps in and out take 1.5 s).

Limits: the ME shape is a smooth idealisation (real flow comes in pump-cycle pulses; the
pump ripple stands in for that); artifacts are independent of each other except that
massage follows tapers; bottle removal and sensor faults are not modelled.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path

MILK_DENSITY_G_ML = 1.03
HIGH_FLOW_G_S = 0.1  # research threshold for a high-flow period (Idei 2024)
PHENOTYPES = ("few", "many", "continuous", "late_me", "low_volume", "late_lactation")
KINDS = PHENOTYPES + ("control",)
RATES_HZ = (5, 10, 20, 80)  # the rates the bench's sets draw from
DEVICE_RATES_HZ = (5, 10, 20, 40, 80, 320)  # ... and every rate a session may be made at
# (HX711: 10, 80; NAU7802: 10-320)

ONSET_FLOW_SHARE = 0.1  # an onset is where an ejection's flow passes this share of its peak
_TRUTH_STEP_S = 0.1
_WALK_PHYSICAL_SHARE = 0.7  # walks whose swing follows the accelerometer (the rest: legacy)
_SMOOTH_S = 5.0
_BRIDGE_S = 10.0
_MIN_HIGH_S = 5.0


@dataclass(frozen=True)
class Ejection:
    """One milk ejection's flow: raised-cosine rise to `peak_g_s`, then exponential decay."""

    onset_s: float
    rise_s: float
    peak_g_s: float
    tau_s: float

    @property
    def onset_10pct_s(self) -> float:
        """When this ejection's flow passes ONSET_FLOW_SHARE of its peak: the truth's onset."""
        return self.onset_s + self.rise_s * math.acos(1 - 2 * ONSET_FLOW_SHARE) / math.pi

    def flow_g_s(self, t_s: float) -> float:
        u = t_s - self.onset_s
        if u <= 0:
            return 0.0
        if u < self.rise_s:
            return self.peak_g_s * (1 - math.cos(math.pi * u / self.rise_s)) / 2
        return self.peak_g_s * math.exp(-(u - self.rise_s) / self.tau_s)

    def mass_g(self, t_s: float) -> float:
        """Milk delivered by this ejection from its onset up to `t_s` (closed form)."""
        u = t_s - self.onset_s
        if u <= 0:
            return 0.0
        a, r = self.peak_g_s, self.rise_s
        if u < r:
            return a * (u / 2 - r / (2 * math.pi) * math.sin(math.pi * u / r))
        return a * r / 2 + a * self.tau_s * (1 - math.exp(-(u - r) / self.tau_s))

    def seconds_to_milk_g(self, milk_g: float, limit_s: float = 60.0) -> float:
        """Seconds after the truth's onset (onset_10pct_s) until this ejection's own milk
        first reaches milk_g, in 0.1-s steps; limit_s if it never does by then."""
        t = 0.0
        while self.mass_g(self.onset_10pct_s + t) < milk_g and t < limit_s:
            t += 0.1
        return t


@dataclass
class Breast:
    ejections: list[Ejection]
    trickle_g_s: float = 0.0
    trickle_from_s: float = 0.0

    def flow_g_s(self, t_s: float) -> float:
        f = sum(e.flow_g_s(t_s) for e in self.ejections if e.onset_s < t_s)
        if self.trickle_g_s and t_s > self.trickle_from_s:
            f += self.trickle_g_s
        return f

    def mass_g(self, t_s: float) -> float:
        m = sum(e.mass_g(t_s) for e in self.ejections if e.onset_s < t_s)
        if self.trickle_g_s and t_s > self.trickle_from_s:
            m += self.trickle_g_s * (t_s - self.trickle_from_s)
        return m


def breasts_from_params(params: dict) -> list[Breast]:
    """The true flow of every bottle of a generated session, from its `params`."""
    return [
        Breast([Ejection(*e) for e in b["ejections"]], b["trickle_g_s"], b["trickle_from_s"])
        for b in params.get("breasts", [])
    ]


@dataclass
class Truth:
    phenotype: str
    onsets_s: list[list[float]]  # per channel
    tapers_s: list[list[float]]  # per channel
    volume_ml: list[float]  # per channel
    total_volume_ml: float
    artifacts: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "phenotype": self.phenotype,
            "onsets_s": self.onsets_s,
            "tapers_s": self.tapers_s,
            "volume_ml": self.volume_ml,
            "total_volume_ml": self.total_volume_ml,
            "artifacts": self.artifacts,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Truth:
        return cls(
            d["phenotype"],
            d["onsets_s"],
            d["tapers_s"],
            d["volume_ml"],
            d["total_volume_ml"],
            d.get("artifacts", []),
        )


@dataclass
class Scenario:
    seed: int
    kind: str
    rate_hz: int
    duration_s: float
    n_bottles: int
    has_accel: bool
    t_s: list[float]
    weight_g: list[list[float]]  # per channel
    accel_g: list[list[float]] | None  # [ax, ay, az] or None
    truth: Truth
    breasts: list[Breast]
    params: dict

    @property
    def name(self) -> str:
        return "%s-%03d" % (self.kind, self.seed)

    def meta(self) -> dict:
        return {
            "name": self.name,
            "seed": self.seed,
            "kind": self.kind,
            "rate_hz": self.rate_hz,
            "duration_s": self.duration_s,
            "n_bottles": self.n_bottles,
            "has_accel": self.has_accel,
            "samples": len(self.t_s),
        }

    def csv_text(self) -> str:
        cols = ["t_s", "weight_g"]
        if self.n_bottles == 2:
            cols.append("weight2_g")
        if self.accel_g is not None:
            cols += ["ax_g", "ay_g", "az_g"]
        series = [self.t_s] + self.weight_g[: self.n_bottles]
        if self.accel_g is not None:
            series += self.accel_g
        lines = [",".join(cols)]
        fmt = ",".join(["%.3f"] * len(series))
        for row in zip(*series):
            lines.append(fmt % row)
        return "\n".join(lines) + "\n"

    def to_csv(self, path: str | Path) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(self.csv_text(), encoding="utf-8")
        return p


# -- the mother ----------------------------------------------------------------------------


def _clip(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def _me_count(rng: random.Random, kind: str) -> int:
    if kind == "few":
        return rng.randint(2, 4)
    if kind == "many":
        return rng.randint(5, 12)
    if kind == "continuous":
        return rng.randint(4, 7)
    if kind == "late_me":
        return rng.randint(2, 3)  # early MEs; the late one is added after
    if kind == "low_volume":
        return rng.randint(2, 5)
    if kind == "late_lactation":
        return int(_clip(round(rng.gauss(3.3, 1.2)), 2, 5))
    raise ValueError("unknown phenotype %r; use one of %s" % (kind, ", ".join(KINDS)))


def _onsets(rng: random.Random, kind: str, n: int, duration_s: float) -> list[float]:
    mu, sd = (110.0, 30.0) if kind == "late_lactation" else (85.0, 25.0)
    t_first = _clip(rng.gauss(mu, sd), 40.0, 200.0)
    span = duration_s - 90.0 - t_first  # the last onset leaves 90 s to see it
    if kind == "late_me":
        span = min(span, 300.0)
    # keep MEs at least ~50 s apart: cap the count to what fits
    n = max(1, min(n, int(span // 50.0) + 1))
    if kind == "continuous":
        median = rng.uniform(70.0, 110.0)
    else:
        median = min(221.0, span / max(n - 1, 1))
    sigma, longest = (0.15, 100.0) if kind == "continuous" else (0.35, 420.0)
    gaps = [
        _clip(math.exp(rng.gauss(math.log(median), sigma)), 50.0, longest) for _ in range(n - 1)
    ]
    total = sum(gaps)
    if total > span:
        gaps = [g * span / total for g in gaps]
    onsets = [t_first]
    for g in gaps:
        onsets.append(onsets[-1] + g)
    return onsets


def _shares(rng: random.Random, n: int) -> list[float]:
    if n == 1:
        return [1.0]
    first = rng.uniform(0.41, 0.47) if n >= 3 else rng.uniform(0.55, 0.65)
    r = rng.uniform(0.55, 0.9)
    rest = [r**k for k in range(n - 1)]
    s = sum(rest)
    return [first] + [(1 - first) * w / s for w in rest]


def _ejections(
    rng: random.Random, kind: str, onsets: list[float], volume_g: float
) -> list[Ejection]:
    shares = _shares(rng, len(onsets))
    if kind == "low_volume":
        peak1 = rng.uniform(0.13, 0.25)
    elif kind == "late_lactation":
        peak1 = _clip(rng.gauss(0.35, 0.12), 0.15, 0.7)
    else:
        peak1 = _clip(rng.gauss(0.5, 0.2), 0.2, 1.0)
    tau_lo, tau_hi = (80.0, 140.0) if kind == "continuous" else (15.0, 90.0)
    peak_lo = 0.35 if kind == "continuous" else 0.12  # overlapping MEs keep flow up
    out = []
    for k, (onset, share) in enumerate(zip(onsets, shares)):
        rise = rng.uniform(8.0, 25.0)
        v = share * volume_g * 0.95
        if k == 0:
            peak = peak1
        else:
            peak = peak1 * _clip(math.sqrt(share / shares[0]) * rng.uniform(0.85, 1.15), 0.3, 1.0)
        peak = max(peak, 0.12)
        tau = _clip(v / peak - rise / 2, tau_lo, tau_hi)
        peak = _clip(v / (tau + rise / 2), peak_lo, 1.2)
        out.append(Ejection(onset, rise, peak, tau))
    return out


def _flow_stop_s(ejections: list[Ejection], after_s: float, end_s: float) -> float:
    """First time after the last ejection's peak when total flow is below the threshold."""
    b = Breast(ejections)
    t = after_s
    while t < end_s:
        if b.flow_g_s(t) < HIGH_FLOW_G_S:
            return t
        t += 1.0
    return end_s


def _mother(rng: random.Random, kind: str, duration_s: float, n_bottles: int):
    """Per-mother parameters -> (breasts, duration_s, params)."""
    if kind == "control":
        return [Breast([]) for _ in range(n_bottles)], duration_s, {}
    n = _me_count(rng, kind)
    onsets = _onsets(rng, kind, n, duration_s)
    if kind == "low_volume":
        volume_g = rng.uniform(5.0, 18.0)
    elif kind == "late_lactation":
        volume_g = _clip(rng.gauss(40.0, 20.0), 10.0, 90.0)
    else:
        volume_g = _clip(rng.gauss(69.8, 42.5), 15.0, 180.0)
        # each ME needs a few grams to reach high flow at all: many MEs, more milk
        volume_g = max(volume_g, 6.0 * len(onsets))
    if kind == "late_me":
        early = _ejections(rng, kind, onsets, volume_g * 0.8)
        last = early[-1]
        stop = _flow_stop_s(early, last.onset_s + last.rise_s, duration_s + 600)
        late_onset = stop + rng.uniform(180.0, 260.0)
        if late_onset > duration_s - 90:
            duration_s = min(1200.0, math.ceil((late_onset + 90) / 60) * 60)
            late_onset = min(late_onset, duration_s - 90)
        onsets = onsets + [late_onset]
        late = _ejections(rng, kind, [late_onset], volume_g * 0.2)[0]
        ej1 = early + [late]
    else:
        ej1 = _ejections(rng, kind, onsets, volume_g)
    trickle = rng.uniform(0.002, 0.005)
    breasts = [Breast(ej1, trickle, ej1[0].onset_s)]
    params = {
        "me_count": len(ej1),
        "volume_target_g": round(volume_g, 2),
        "ejections": _rows(ej1),
    }
    if n_bottles == 2:
        factor = math.exp(rng.uniform(math.log(0.3), math.log(1.5)))
        ej2 = []
        for k, e in enumerate(ej1):
            one_sided = k > 0 and rng.random() < 0.045
            if one_sided and rng.random() < 0.5:
                # on breast 1 only: keep it there, skip it here
                continue
            e2 = Ejection(
                max(1.0, e.onset_s + _clip(rng.gauss(0.0, 1.5), -4.0, 4.0)),
                e.rise_s * rng.uniform(0.8, 1.2),
                _clip(e.peak_g_s * factor * rng.uniform(0.8, 1.2), 0.12, 1.2),
                e.tau_s * rng.uniform(0.85, 1.15),
            )
            ej2.append(e2)
            if one_sided:
                # on breast 2 only: drop it from breast 1
                ej1_removed = [x for x in breasts[0].ejections if x is not e]
                breasts[0] = Breast(ej1_removed, trickle, breasts[0].trickle_from_s)
        if not ej2:
            ej2 = [Ejection(ej1[0].onset_s, ej1[0].rise_s, ej1[0].peak_g_s, ej1[0].tau_s)]
        breasts.append(Breast(ej2, trickle * factor, ej2[0].onset_s))
        params["breast2_factor"] = round(factor, 3)
    return breasts, duration_s, params


def _scaled_rises(breast: Breast, share: float) -> Breast:
    """The same breast with every ejection's rise x share: its peak flow and its decay kept
    (so its milk, peak x (rise / 2 + tau), changes by peak x the rise's change / 2)."""
    out = [Ejection(e.onset_s, e.rise_s * share, e.peak_g_s, e.tau_s) for e in breast.ejections]
    return Breast(out, breast.trickle_g_s, breast.trickle_from_s)


def _rows(ejections: list[Ejection]) -> list[list[float]]:
    """Ejections as params["ejections"] lists them: onset, rise, peak, decay, rounded."""
    return [
        [round(e.onset_s, 2), round(e.rise_s, 2), round(e.peak_g_s, 3), round(e.tau_s, 1)]
        for e in ejections
    ]


# -- ground truth --------------------------------------------------------------------------


def _tapers(breast: Breast, end_s: float) -> list[float]:
    n = int(end_s / _TRUTH_STEP_S) + 1
    flow = [breast.flow_g_s(i * _TRUTH_STEP_S) for i in range(n)]
    half = int(_SMOOTH_S / _TRUTH_STEP_S / 2)
    prefix = [0.0]
    for f in flow:
        prefix.append(prefix[-1] + f)
    smooth = []
    for i in range(n):
        lo, hi = max(0, i - half), min(n, i + half + 1)
        smooth.append((prefix[hi] - prefix[lo]) / (hi - lo))
    periods: list[list[float]] = []  # [start_s, end_s]
    start = None
    for i, f in enumerate(smooth):
        t = i * _TRUTH_STEP_S
        if f >= HIGH_FLOW_G_S and start is None:
            start = t
        elif f < HIGH_FLOW_G_S and start is not None:
            periods.append([start, t])
            start = None
    open_end = start is not None
    if open_end:
        periods.append([start, end_s])
    merged: list[list[float]] = []
    for p in periods:
        if merged and p[0] - merged[-1][1] < _BRIDGE_S:
            merged[-1][1] = p[1]
        else:
            merged.append(p)
    tapers = []
    for i, (a, b) in enumerate(merged):
        if b - a < _MIN_HIGH_S:
            continue
        if open_end and i == len(merged) - 1:
            continue  # still flowing when the trace ends
        tapers.append(round(b, 2))
    return tapers


# -- the sensor and the wearer ---------------------------------------------------------------


def _episodes(rng, count, duration_s, min_len, max_len, earliest_s=20.0):
    out = []
    for _ in range(count):
        length = rng.uniform(min_len, max_len)
        start = rng.uniform(earliest_s, max(earliest_s + 1, duration_s - length - 20))
        out.append((start, start + length))
    return sorted(out)


PRESS_STYLES = ("strokes", "held")


def _held_compressions(presses, kind, seed):
    """For each press (start, end, channel, peak_g, stroke_s): its held compressions, a list
    of (start_s, rise_s, hold_s, fall_s, peak_g), from a stream of their own."""
    prng = random.Random("pumpmon-bench-press:%s:%d" % (kind, seed))
    out = []
    for a, e, _ch, peak, _stroke in presses:
        comps = []
        t = a
        while t < e:
            rise = prng.uniform(0.4, 1.0)
            hold = prng.uniform(2.0, 6.0)
            fall = prng.uniform(0.4, 1.0)
            comps.append((t, rise, hold, fall, peak * prng.uniform(0.7, 1.0)))
            t += rise + hold + fall + prng.uniform(0.5, 3.0)
        out.append(comps)
    return out


def _held_g(comps, t):
    """Grams a hand's held compressions add at t (0 between them)."""
    for a, rise, hold, fall, peak in comps:
        if t < a:
            return 0.0
        u = t - a
        if u < rise:
            return peak * math.sin(0.5 * math.pi * u / rise) ** 2
        if u < rise + hold:
            return peak
        if u < rise + hold + fall:
            return peak * math.cos(0.5 * math.pi * (u - rise - hold) / fall) ** 2
    return 0.0


FLOW_STYLES = ("smooth", "pulsed")
# how fast an ejection's flow reaches its peak: `gradual` (the bench's own raised-cosine rise
# over 8-25 s), `fast` (every drawn rise x 0.25: 2-6 s) or `slow` (x 2: 16-50 s). science.md
# gives no rise time, so both are checks on ejections the detector was not tuned on
RISE_STYLES = ("gradual", "fast", "slow")
_RISE_SHARE = {"gradual": 1.0, "fast": 0.25, "slow": 2.0}
# a walk's step rate: `usual` (the bench's own draw, 1.7-2.2 Hz) or `wide` (the same draw
# stretched over 1.5-2.5 Hz, the range issue 12 names for whole steps)
GAIT_STYLES = ("usual", "wide")
# how strong the pump's ripple is at the cell: this many times the sets' own (0.2-1 g): a
# check on a pump, flange or bottle the detector was not tuned on (science.md gives the
# ripple's rate, not its size); 0: no ripple at all, a measure of what it costs
RIPPLE_SCALES = (0, 1, 2, 3)
# how noisy the load cells are: this many times the sets' own (0.15-0.35 g a sample, x 1.3 at
# 80 Hz): a check on an HX711 module or cell noisier than the bench's (science.md: cheap
# modules show ~1-2 g peak to peak, which the sets' own spans; 2 is beyond it)
NOISE_SCALES = (1, 1.5, 2)
# disturbances generate(without=...) can leave out of the samples (the truth keeps them)
DISTURBANCES = ("press", "walk", "tilt")


def _pulse_params(kind, seed):
    """How milk reaches a bottle in pulses, from a stream of its own: (lag_cycles, drain_share):
    the milk one pump cycle draws runs down the flange and through the valve this many cycles
    later, over this share of a cycle."""
    prng = random.Random("pumpmon-bench-flow:%s:%d" % (kind, seed))
    return prng.uniform(0.5, 1.5), prng.uniform(0.15, 0.4)


def _pulsed_mass_g(breast, t, cycles, to_t, lag_cycles, drain_share):
    """The milk in the bottle at t when it arrives once per pump cycle: `cycles(t)` is the
    pump's cycle count at t and `to_t(c)` its inverse."""
    psi = cycles(t) - lag_cycles
    if psi <= 0:
        return 0.0
    k = math.floor(psi)
    f = min(1.0, (psi - k) / drain_share)
    m0 = breast.mass_g(to_t(k))
    return m0 + (breast.mass_g(to_t(k + 1)) - m0) * f * f * (3 - 2 * f)


def _envelope(t, start, end, ramp_s):
    """0..1: ramps up over ramp_s after start, down over ramp_s before end."""
    if t <= start or t >= end:
        return 0.0
    return min(1.0, (t - start) / ramp_s, (end - t) / ramp_s)


def _check_choice(name: str, value: object, allowed: tuple) -> None:
    """ValueError naming the allowed values when `value` is not one of them."""
    if value not in allowed:
        raise ValueError(
            "unknown %s %r; use one of %s" % (name, value, ", ".join(map(str, allowed)))
        )


def generate(
    seed: int,
    kind: str,
    *,
    rate_hz: int | None = None,
    n_bottles: int | None = None,
    has_accel: bool | None = None,
    duration_s: float | None = None,
    press_style: str = "strokes",
    flow_style: str = "smooth",
    ripple_scale: int = 1,
    without: tuple[str, ...] | list[str] = (),
    rise_style: str = "gradual",
    gait_style: str = "usual",
    noise_draw: int = 0,
    noise_scale: float = 1,
) -> Scenario:
    """One session of phenotype `kind` (see KINDS); the overrides fix what is otherwise drawn.

    press_style: how a hand presses during massage. `strokes` (the bench's own): strokes of
    3-6 s that let go completely between them. `held` (a check on another hand, not tuned
    on): compressions held 2-6 s, as hands-on pumping teaches ("hold a compression a few
    seconds while milk flows, release, move to another area"), rising and letting go over
    0.4-1 s, 0.5-3 s apart. Drawn from a stream of their own: the rest of the session, the
    presses' times and channels included, is the same in both styles.

    flow_style: how milk reaches the bottle. `smooth` (the bench's own): as it leaves the
    breast. `pulsed` (a check on a flow the detector was not tuned on): once per pump cycle,
    0.5-1.5 cycles late, draining over 15-40 % of a cycle, as a pump's valve lets it through.
    The truth (onsets, tapers) is the breast's; the volume is what the bottle holds.

    rise_style: how fast each ejection's flow reaches its peak. `gradual` (the bench's own):
    a raised-cosine rise over 8-25 s. `fast` and `slow` (checks on ejections the detector was
    not tuned on): every drawn rise x 0.25 (2-6 s) or x 2 (16-50 s), each ejection's peak flow
    and decay kept (its milk changes by the peak x half the rise's change). The mother, the
    sensor, the pump, the walks and the tilts are the same draws; the presses follow the new
    tapers (massage follows them), and the samples' noise, drawn after them, is new.

    gait_style: a walk's step rate. `usual` (the bench's own): 1.7-2.2 Hz. `wide` (a check on
    walkers the detector was not tuned on): the same draw stretched linearly over 1.5-2.5 Hz,
    the range issue 12 names. Every draw is the same, so only the walks' samples change.

    noise_draw: which draw of what the sensor and the pump's timing add (0: the bench's own).
    Another draw (1, 2, ...) is the same session (the mother, her ejections, the pump's
    rates, the walks, tilts and presses, the rate and the bottles) with the cells' and the
    accelerometer's noise, the spikes and the pump's phase at the start drawn afresh from a
    stream of their own: the truth is the same, the samples are not. A check on noise the
    detector was not tuned on (the bench's own sets have been tuned on, draw 0 each).

    ripple_scale: the pump's ripple at the cell, this many times the drawn 0.2-1 g (1: the
    bench's own; 2 or 3: a check on a stronger ripple the detector was not tuned on; 0: none,
    a measure of what the ripple costs the detector, not a set to tune on). Only the ripple's
    size changes: every draw, and with them the rest of the session, is the same.

    noise_scale: the cells' noise, this many times the drawn 0.15-0.35 g a sample (1: the
    bench's own; 1.5 or 2: a check on a noisier module the detector was not tuned on). Only
    the noise's size changes: every draw is the same, so each sample moves by its own noise
    term x (noise_scale - 1). The accelerometer's noise and the spikes are the same.

    without: disturbances (of DISTURBANCES) whose effect on the cells and the accelerometer is
    left out of the samples: the same session, every draw and so every sample's noise the
    same, as if the wearer had not pressed, walked or leaned. The truth still lists them
    (`artifacts`), so the bench's motion / clean split names the same onsets: a measure of
    what each disturbance costs the detector, not a set to tune on."""
    _check_choice("scenario kind", kind, KINDS)
    _check_choice("press_style", press_style, PRESS_STYLES)
    _check_choice("flow_style", flow_style, FLOW_STYLES)
    _check_choice("rise_style", rise_style, RISE_STYLES)
    _check_choice("gait_style", gait_style, GAIT_STYLES)
    _check_choice("ripple_scale", ripple_scale, RIPPLE_SCALES)
    _check_choice("noise_scale", noise_scale, NOISE_SCALES)
    if not isinstance(noise_draw, int) or noise_draw < 0:
        raise ValueError(
            "noise_draw %r: use 0 (the bench's own) or a draw 1, 2, ..." % (noise_draw,)
        )
    unknown = [d for d in without if d not in DISTURBANCES]
    if unknown:
        raise ValueError(
            "unknown disturbance %s; use some of %s"
            % (", ".join(unknown), ", ".join(DISTURBANCES))
        )
    rng = random.Random("pumpmon-bench:%s:%d" % (kind, seed))
    if rate_hz is None:
        rate_hz = rng.choice((5, 10, 10, 20, 80))
    if rate_hz not in DEVICE_RATES_HZ:
        raise ValueError("rate_hz %r: use one of %s" % (rate_hz, DEVICE_RATES_HZ))
    if n_bottles is None:
        n_bottles = rng.choice((1, 2))
    if n_bottles not in (1, 2):
        raise ValueError("n_bottles must be 1 or 2, not %r" % n_bottles)
    if has_accel is None:
        has_accel = rng.random() < 0.5
    if duration_s is None:
        duration_s = 60.0 * rng.choice((12, 15, 15, 18, 20))
        if kind == "late_me":
            duration_s = max(duration_s, 900.0)

    breasts, duration_s, params = _mother(rng, kind, duration_s, n_bottles)
    if rise_style != "gradual":
        breasts = [_scaled_rises(b, _RISE_SHARE[rise_style]) for b in breasts]
        if "ejections" in params:  # bottle 1's, as _mother gives them
            params["ejections"] = _rows(breasts[0].ejections)
    truth_end_s = duration_s

    # sensor / wearer parameters
    noise_g = [
        noise_scale * rng.uniform(0.15, 0.35) * (1.3 if rate_hz == 80 else 1.0) for _ in breasts
    ]
    spike_p = [rng.uniform(1 / 120, 1 / 20) / rate_hz for _ in breasts]  # 0.5-3 per minute
    drift_g = [_clip(rng.gauss(0.0, 1.5), -4.0, 4.0) for _ in breasts]
    drift_tau_s = [rng.uniform(120.0, 400.0) for _ in breasts]
    ripple_g = [ripple_scale * rng.uniform(0.2, 1.0) for _ in breasts]
    drop_g = [rng.uniform(0.04, 0.07) for _ in breasts]
    bottle_g = [rng.uniform(100.0, 150.0) for _ in breasts]
    stim_hz, expr_hz = 2.0, rng.uniform(0.8, 1.3)
    stim_end_s = 120.0
    control = kind == "control"

    walks = _episodes(rng, rng.randint(1, 2) if control else rng.randint(0, 2), duration_s, 10, 60)
    walk_p = [
        (rng.uniform(1.7, 2.2), rng.uniform(2.0, 8.0), rng.uniform(0.15, 0.4), rng.random() * 6.3)
        for _ in walks
    ]
    if gait_style == "wide":
        walk_p = [(1.5 + (f - 1.7) * 2.0, *rest) for f, *rest in walk_p]
    # how each walk shakes the cell (a stream of its own, so the draws above and below, and
    # with them every other part of the session, stay as they were): `physical` (the bottle
    # is carried with the accelerometer: the cell reads (bottle + milk) x (1 + a_vertical),
    # plus a coupling the accelerometer does not see) or `legacy` (the harder case: a swing of
    # fixed grams that does not follow the accelerometer's vertical acceleration)
    walk_rng = random.Random("pumpmon-bench-walk:%s:%d" % (kind, seed))
    walk_style = [
        (
            "physical" if walk_rng.random() < _WALK_PHYSICAL_SHARE else "legacy",
            walk_rng.uniform(0.04, 0.2),  # vertical acceleration of the bottle, g (fundamental)
            walk_rng.uniform(0.1, 0.35),  # its second harmonic, share of the fundamental
            walk_rng.random() * 6.3,  # ... and phase
            walk_rng.uniform(0.03, 0.15),  # coupling: swing share the accelerometer misses
            walk_rng.uniform(0.5, 1.5),  # ... and its phase lag, rad
        )
        for _ in walks
    ]
    tilts = _episodes(rng, rng.randint(1, 2) if control else rng.randint(0, 2), duration_s, 5, 40)
    tilt_p = [
        (math.radians(rng.uniform(15.0, 45.0)), rng.choice((0, 1)), rng.choice((-1.0, 1.0)))
        for _ in tilts
    ]
    gaps = _episodes(rng, rng.randint(1, 2) if control else rng.randint(0, 2), duration_s, 0.5, 6)

    onsets = []
    tapers = []
    for b in breasts:
        seen = [e.onset_10pct_s for e in b.ejections]
        onsets.append([round(t, 2) for t in seen if t < truth_end_s])
        tapers.append(_tapers(b, truth_end_s))

    # hand pressure: massage after a taper (or, without milk, while the wearer stimulates)
    presses = []  # (start, end, channel index, peak_g, stroke_s)
    if control:
        for _ in range(rng.randint(2, 3)):
            start = rng.uniform(30.0, duration_s - 100.0)
            presses.append((start, start + rng.uniform(20.0, 90.0), rng.randrange(n_bottles)))
    else:
        for ch, tp in enumerate(tapers):
            for t in tp:
                if rng.random() < 0.8:
                    start = t + rng.uniform(3.0, 30.0)
                    presses.append((start, start + rng.uniform(20.0, 90.0), ch))
    presses = [
        (a, min(b, duration_s), ch, rng.uniform(1.0, 8.0), rng.uniform(3.0, 6.0))
        for a, b, ch in presses
        if a < duration_s - 5
    ]
    held = _held_compressions(presses, kind, seed) if press_style == "held" else None
    pulse = _pulse_params(kind, seed) if flow_style == "pulsed" else None

    def cycles(t):  # the pump's cycles since the start (its ripple, the pulses' timing)
        if t < stim_end_s:
            return stim_hz * t
        return stim_hz * stim_end_s + expr_hz * (t - stim_end_s)

    def cycle_t(c):
        if c < stim_hz * stim_end_s:
            return c / stim_hz
        return stim_end_s + (c - stim_hz * stim_end_s) / expr_hz

    def bottle_milk_g(b, t):
        if pulse is None:
            return b.mass_g(t)
        return _pulsed_mass_g(b, t, cycles, cycle_t, *pulse)

    artifacts = (
        [
            {
                "kind": "walk",
                "start_s": round(a, 2),
                "end_s": round(b, 2),
                "channel": 0,
                "style": sty[0],
            }
            for (a, b), sty in zip(walks, walk_style)
        ]
        + [
            {
                "kind": "tilt",
                "start_s": round(a, 2),
                "end_s": round(b, 2),
                "channel": 0,
                "angle_deg": round(math.degrees(tp[0]), 2),
            }
            for (a, b), tp in zip(tilts, tilt_p)
        ]
        + [
            {"kind": "gap", "start_s": round(a, 2), "end_s": round(b, 2), "channel": 0}
            for a, b in gaps
        ]
        + [
            {
                "kind": "hand_pressure",
                "start_s": round(p[0], 2),
                "end_s": round(p[1], 2),
                "channel": p[2] + 1,
            }
            for p in presses
        ]
    )
    artifacts.sort(key=lambda a: a["start_s"])

    # the samples
    t_out: list[float] = []
    w_out: list[list[float]] = [[] for _ in breasts]
    acc_out: list[list[float]] | None = [[], [], []] if has_accel else None
    n_samples = int(duration_s * rate_hz) + 1
    two_pi = 2 * math.pi
    # what the sensor adds (noise, spikes) and the pump's phase: draw 0 takes them from the
    # session's own stream, as it always has; another draw from a stream of its own
    noise_rng = rng
    pump_phase = 0.0
    if noise_draw:
        noise_rng = random.Random("pumpmon-bench-noise:%s:%d:%d" % (kind, seed, noise_draw))
        pump_phase = noise_rng.random()
    gauss = noise_rng.gauss
    rand = noise_rng.random
    walks_felt = [] if "walk" in without else walks  # what the cells and accelerometer see
    tilts_felt = [] if "tilt" in without else tilts
    presses_felt = [] if "press" in without else presses
    for i in range(n_samples):
        t = i / rate_hz
        if any(a <= t < b for a, b in gaps):
            continue
        # shared body state: walking and tilt. walk_g: grams on every cell (legacy walks);
        # walk_acc_g: the bottle's vertical acceleration in g (physical walks: each cell reads
        # its bottle + milk times it); walk_cpl: the coupling, in g of acceleration the
        # accelerometer does not report
        walk_g = 0.0
        walk_az = 0.0
        walk_ax = 0.0
        walk_acc_g = 0.0
        walk_cpl = 0.0
        for (a, b), (f, amp, acc_amp, ph), sty in zip(walks_felt, walk_p, walk_style):
            env = _envelope(t, a, b, 1.0)
            if env:
                th = two_pi * f * t + ph
                s = math.sin(th)
                if sty[0] == "legacy":
                    walk_g += env * amp * (s + 0.3 * math.sin(2 * th))
                    walk_az += env * acc_amp * s
                else:
                    acc = env * sty[1] * (s + sty[2] * math.sin(2 * th + sty[3]))
                    walk_az += acc
                    walk_acc_g += acc
                    walk_cpl += env * sty[1] * sty[4] * math.sin(th - sty[5])
                walk_ax += env * 0.1 * math.sin(math.pi * f * t + ph)
        angle = 0.0
        axis = 0
        sign = 1.0
        for (a, b), (ang, ax_i, sg) in zip(tilts_felt, tilt_p):
            env = _envelope(t, a, b, 1.5)
            if env:
                angle, axis, sign = ang * env, ax_i, sg
        cos_a = math.cos(angle)
        ripple_phase = two_pi * (cycles(t) + pump_phase)
        massage_acc = 0.0
        for ch, b in enumerate(breasts):
            milk_g = bottle_milk_g(b, t)
            milk_q = math.floor(milk_g / drop_g[ch]) * drop_g[ch]
            r = milk_q
            r -= (bottle_g[ch] + milk_q) * (1 - cos_a)
            r += drift_g[ch] * (1 - math.exp(-t / drift_tau_s[ch]))
            r += ripple_g[ch] * (math.sin(ripple_phase) + 0.25 * math.sin(2 * ripple_phase))
            r += walk_g + (bottle_g[ch] + milk_q) * (walk_acc_g + walk_cpl)
            for i, (a, e, pch, peak, stroke) in enumerate(presses_felt):
                if pch == ch and a <= t < e:
                    if held is None:
                        u = (t - a) % stroke / stroke
                        r += peak * _envelope(t, a, e, 2.0) * math.sin(math.pi * u) ** 2
                    else:
                        r += _held_g(held[i], t)
                    massage_acc += 0.03
            r += gauss(0.0, noise_g[ch])
            if rand() < spike_p[ch]:
                r += noise_rng.choice((-1.0, 1.0)) * noise_rng.uniform(3.0, 60.0)
            w_out[ch].append(r)
        t_out.append(t)
        if acc_out is not None:
            tilt_x = math.sin(angle) * sign if axis == 0 else 0.0
            tilt_y = math.sin(angle) * sign if axis == 1 else 0.0
            jitter = 0.01 + massage_acc
            acc_out[0].append(tilt_x + walk_ax + gauss(0.0, jitter))
            acc_out[1].append(tilt_y + gauss(0.0, jitter))
            acc_out[2].append(cos_a + walk_az + gauss(0.0, jitter))

    t_last = t_out[-1]
    volume_ml = [round(bottle_milk_g(b, t_last) / MILK_DENSITY_G_ML, 3) for b in breasts]
    truth = Truth(
        "no_milk" if control else kind,
        [[t for t in o if t <= t_last] for o in onsets],
        [[t for t in tp if t <= t_last] for tp in tapers],
        volume_ml,
        round(sum(volume_ml), 3),
        artifacts,
    )
    params.update(
        {
            # every bottle's true flow, for scores judged against it (bench/wearer.py)
            "breasts": [
                {
                    "ejections": [[e.onset_s, e.rise_s, e.peak_g_s, e.tau_s] for e in b.ejections],
                    "trickle_g_s": b.trickle_g_s,
                    "trickle_from_s": b.trickle_from_s,
                }
                for b in breasts
            ],
            "noise_g": [round(x, 3) for x in noise_g],
            "drift_g": [round(x, 2) for x in drift_g],
            "ripple_g": [round(x, 2) for x in ripple_g],
            "bottle_g": [round(x, 1) for x in bottle_g],
            "expression_pump_hz": round(expr_hz, 2),
        }
    )
    return Scenario(
        seed=seed,
        kind=kind,
        rate_hz=rate_hz,
        duration_s=duration_s,
        n_bottles=n_bottles,
        has_accel=has_accel,
        t_s=t_out,
        weight_g=w_out,
        accel_g=acc_out,
        truth=truth,
        breasts=breasts,
        params=params,
    )


# -- the fixed benchmark set -----------------------------------------------------------------

SEEDS_PER_PHENOTYPE = 7  # 6 phenotypes x 7 = 42 milk sessions
CONTROL_SEEDS = 8


def bench_set() -> list[dict]:
    """The fixed, seeded set `make bench` scores: generate(**entry) for each entry.

    Rates, bottle counts, accelerometer presence and durations are assigned round-robin, so
    every phenotype sees every rate and both bottle counts, and the set never changes.
    """
    entries = []
    i = 0
    durations = (900.0, 1200.0, 720.0, 1080.0, 900.0)
    for kind in PHENOTYPES:
        for seed in range(1, SEEDS_PER_PHENOTYPE + 1):
            entries.append(
                {
                    "seed": seed,
                    "kind": kind,
                    "rate_hz": RATES_HZ[i % 4],
                    "n_bottles": 1 + (i // 4) % 2,
                    "has_accel": (i // 2) % 2 == 0,
                    "duration_s": durations[i % 5] if kind != "late_me" else 1080.0,
                }
            )
            i += 1
    for seed in range(1, CONTROL_SEEDS + 1):
        entries.append(
            {
                "seed": seed,
                "kind": "control",
                "rate_hz": RATES_HZ[(seed - 1) % 4],
                "n_bottles": 1 + ((seed - 1) // 2) % 2,
                "has_accel": seed % 3 != 0,
                "duration_s": 900.0 if seed % 2 else 1200.0,
            }
        )
    return entries


HELD_OUT_PER_PHENOTYPE = 5
HELD_OUT_CONTROLS = 6


def held_out_set(
    first_seed: int,
    press_style: str = "strokes",
    flow_style: str = "smooth",
    rate_hz: int | None = None,
    ripple_scale: int = 1,
    without: tuple[str, ...] = (),
    rise_style: str = "gradual",
    gait_style: str = "usual",
    noise_draw: int = 0,
    noise_scale: float = 1,
) -> list[dict]:
    """Sessions the detector was not tuned on: seeds first_seed .. first_seed + 4 of each
    phenotype and first_seed .. first_seed + 5 no-milk, with rate, bottles, accelerometer and
    duration drawn by the generator itself (not assigned round-robin as in bench_set).
    Use a first seed >= 100 (the bench set uses 1-8). press_style: generate()'s (the same
    sessions with another hand's presses), flow_style: generate()'s (the same sessions with
    milk arriving in pulses). rate_hz: every session at this rate (a rate given is a draw
    the generator does not make, so these are other sessions than the set's own).
    ripple_scale: generate()'s (the same sessions with a stronger pump ripple). without:
    generate()'s (the same sessions without those disturbances' effect on the samples).
    rise_style: generate()'s (the same sessions with faster or slower ejections). gait_style:
    generate()'s (the same sessions, their walks' steps over 1.5-2.5 Hz). noise_draw:
    generate()'s (the same sessions with the sensor's noise drawn afresh). noise_scale:
    generate()'s (the same sessions from noisier load cells)."""
    entries = []
    for kind in KINDS:
        n = HELD_OUT_CONTROLS if kind == "control" else HELD_OUT_PER_PHENOTYPE
        for seed in range(first_seed, first_seed + n):
            entry = {"seed": seed, "kind": kind}
            if press_style != "strokes":
                entry["press_style"] = press_style
            if flow_style != "smooth":
                entry["flow_style"] = flow_style
            if rate_hz is not None:
                entry["rate_hz"] = rate_hz
            if ripple_scale != 1:
                entry["ripple_scale"] = ripple_scale
            if without:
                entry["without"] = list(without)
            if rise_style != "gradual":
                entry["rise_style"] = rise_style
            if gait_style != "usual":
                entry["gait_style"] = gait_style
            if noise_draw:
                entry["noise_draw"] = noise_draw
            if noise_scale != 1:
                entry["noise_scale"] = noise_scale
            entries.append(entry)
    return entries
