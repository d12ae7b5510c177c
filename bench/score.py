"""Scoring detections against a scenario's ground truth (bench/scenarios.py).

    pred = parse_replay(jsonl_text)                  # or a baseline's Prediction
    card = Scorecard()
    card.add(truth, pred)                            # one per session
    card.figures()                                   # precision, recall, F1, latencies, ...

Rules (issue 3):
- A letdown detection matches a true onset on the same channel when it lies within
  -3 s .. +20 s of it; a taper within -5 s .. +45 s. Matching is one-to-one and maximal
  (each detection and each truth used at most once; see `match`). Latency = detection time
  minus true time, in seconds (negative when the detector was early, down to the window).
- Precision, recall and F1 are pooled over all milk sessions and channels. Detections in
  no-milk (control) sessions are not in precision: they are counted separately as false
  letdown or taper events per control session.
- Volume error is |reported - true| total mL per session, over every session (controls
  included: their true volume is 0), reported as median and worst.
- Events without a channel count for channel 1 (index 0).

Limits: the window rules are the issue's; an early detection (up to -3 s) is not penalised.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

LETDOWN_WINDOW_S = (-3.0, 20.0)
TAPER_WINDOW_S = (-5.0, 45.0)


@dataclass
class Prediction:
    """What a detector reported for one session: event times per channel, volume."""

    letdowns_s: list[list[float]]  # per channel (0-based index)
    tapers_s: list[list[float]]
    volume_ml: float | None
    other: dict = field(default_factory=dict)


def parse_replay(text: str, n_channels: int = 2) -> Prediction:
    """`pumpmon replay` JSON Lines -> Prediction (unknown events are skipped). `other` keeps
    the cues, the phases, the summary, and each letdown's `found` and `onset_t_s` (per
    channel, in order; "?" and None where the line has none).

    Raises ValueError naming the line when a line is not JSON.
    """
    letdowns: list[list[float]] = [[] for _ in range(n_channels)]
    found: list[list[str]] = [[] for _ in range(n_channels)]  # each letdown's path, or "?"
    onset: list[list[float | None]] = [[] for _ in range(n_channels)]  # its estimated onset
    tapers: list[list[float]] = [[] for _ in range(n_channels)]
    volume = None
    summary: dict = {}
    cues: list[dict] = []
    phases: list[dict] = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(
                "replay output line %d is not JSON (%s): %r" % (n, e, line[:80])
            ) from None
        event = obj.get("event")
        ch = int(obj.get("channel", 1)) - 1
        if event in ("letdown", "taper"):
            if not 0 <= ch < n_channels:
                raise ValueError("replay output line %d: channel %d out of range" % (n, ch + 1))
            (letdowns if event == "letdown" else tapers)[ch].append(float(obj["t_s"]))
            if event == "letdown":
                found[ch].append(str(obj.get("found", "?")))
                o = obj.get("onset_t_s")
                onset[ch].append(None if o is None else float(o))
        elif event == "cue":
            cues.append(obj)
        elif event == "phase":
            phases.append(obj)
        elif event == "summary":
            summary = obj
            if obj.get("volume_ml") is not None:
                volume = float(obj["volume_ml"])
    return Prediction(
        letdowns,
        tapers,
        volume,
        {"summary": summary, "cues": cues, "phases": phases, "found": found, "onset": onset},
    )


def match(
    detections_s: list[float], truths_s: list[float], window_s: tuple[float, float]
) -> list[tuple[float, float]]:
    """One-to-one matches (truth_s, detection_s) with detection - truth inside `window_s`.

    Every truth's window has the same width, so taking truths in time order and giving each
    the earliest unused detection inside its window yields a maximum matching.
    """
    lo, hi = window_s
    dets = sorted(detections_s)
    used = [False] * len(dets)
    pairs = []
    for t in sorted(truths_s):
        for i, d in enumerate(dets):
            if used[i] or d < t + lo:
                continue
            if d > t + hi:
                break
            used[i] = True
            pairs.append((t, d))
            break
    return pairs


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100); None for no values."""
    if not values:
        return None
    v = sorted(values)
    pos = (len(v) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def prf(tp: int, n_det: int, n_truth: int) -> tuple[float | None, float | None, float | None]:
    precision = tp / n_det if n_det else None
    recall = tp / n_truth if n_truth else None
    if not n_det and not n_truth:
        return None, None, None
    f1 = 2 * tp / (n_det + n_truth)
    return precision, recall, f1


@dataclass
class _Counts:
    tp: int = 0
    n_det: int = 0
    n_truth: int = 0
    latencies_s: list[float] = field(default_factory=list)

    def add(self, dets, truths, window):
        pairs = match(dets, truths, window)
        self.tp += len(pairs)
        self.n_det += len(dets)
        self.n_truth += len(truths)
        self.latencies_s += [d - t for t, d in pairs]


@dataclass
class Scorecard:
    """Pools the scores of many sessions for one detector."""

    letdown: _Counts = field(default_factory=_Counts)
    taper: _Counts = field(default_factory=_Counts)
    control_sessions: int = 0
    control_false_events: int = 0
    volume_err_ml: list[float] = field(default_factory=list)
    sessions: int = 0
    missing: int = 0  # sessions with no prediction (e.g. the replay failed)

    def add(self, truth, pred: Prediction | None) -> None:
        """Score one session; `truth` is a scenarios.Truth, `pred` None if the run failed."""
        if pred is None:
            self.missing += 1
            return
        self.sessions += 1
        n_ch = len(truth.onsets_s)
        # events reported on a channel the session does not have are false events there
        extra_ld = sum(len(x) for x in pred.letdowns_s[n_ch:])
        extra_tp = sum(len(x) for x in pred.tapers_s[n_ch:])
        if truth.phenotype == "no_milk":
            self.control_sessions += 1
            self.control_false_events += sum(len(x) for x in pred.letdowns_s)
            self.control_false_events += sum(len(x) for x in pred.tapers_s)
        else:
            for ch in range(n_ch):
                dets = pred.letdowns_s[ch] if ch < len(pred.letdowns_s) else []
                self.letdown.add(dets, truth.onsets_s[ch], LETDOWN_WINDOW_S)
                dets = pred.tapers_s[ch] if ch < len(pred.tapers_s) else []
                self.taper.add(dets, truth.tapers_s[ch], TAPER_WINDOW_S)
            self.letdown.n_det += extra_ld
            self.taper.n_det += extra_tp
        if pred.volume_ml is not None:
            self.volume_err_ml.append(abs(pred.volume_ml - truth.total_volume_ml))

    def figures(self) -> dict:
        p, r, f1 = prf(self.letdown.tp, self.letdown.n_det, self.letdown.n_truth)
        tp_, tr_, tf1 = prf(self.taper.tp, self.taper.n_det, self.taper.n_truth)
        return {
            "me_precision": _r(p),
            "me_recall": _r(r),
            "me_f1": _r(f1),
            "me_latency_med_s": _r(percentile(self.letdown.latencies_s, 50), 2),
            "me_latency_p90_s": _r(percentile(self.letdown.latencies_s, 90), 2),
            "taper_precision": _r(tp_),
            "taper_recall": _r(tr_),
            "taper_f1": _r(tf1),
            "taper_latency_med_s": _r(percentile(self.taper.latencies_s, 50), 2),
            "control_false_per_session": _r(
                self.control_false_events / self.control_sessions
                if self.control_sessions
                else None,
                2,
            ),
            "volume_err_med_ml": _r(percentile(self.volume_err_ml, 50), 2),
            "volume_err_max_ml": _r(max(self.volume_err_ml) if self.volume_err_ml else None, 2),
            "sessions_scored": self.sessions,
            "sessions_missing": self.missing,
        }


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(x, nd)
