"""What the wearer feels: recall by context, wrong cues and tapers judged against the TRUE flow.

    card = WearerCard()
    card.add(truth, params, pred, name)  # per session: scenarios.Truth, its params, a
                                         # Prediction, the session's name; returns the
                                         # session's entries of card.where
    card.figures()                  # me_recall_motion, me_recall_clean, wrong_cues_per_session,
                                    # taper_false_motion, and the counts behind them
    card.where                      # each wrong cue and taper in flow: (name, kind, t_s, note)
    card.where_text()               # the same, one line per session (the report prints it)
    card.latency                    # each matched letdown: (context, path, latency s, latency
                                    # beyond its ejection's own 0.5-g time s)
    card.missed                     # each required onset missed: a dict (MISSED_KEYS)
    card.false_letdowns             # each false letdown: a dict (FALSE_KEYS)

Rules (issue 12, point 6):
- An onset is *in motion* when a walk, tilt or hand pressure on its bottle (or on both)
  overlaps the 30 s before or after it; otherwise *clean*. Recall per context uses the
  letdown matching of bench/score.py (-3 s .. +20 s, one-to-one).
- Wrong cues, judged against the true flow of all bottles together: `stimulate` once 2 g of
  milk has truly come or the true flow is >= 0.1 g/s; `letdown` with no true onset in
  [t - 30 s, t + 3 s]; `massage` / `hand_express` while the true flow (5-s mean) is >= 0.15
  g/s; `done` before the maximum session time (900 s, the default) while the true flow is
  >= 0.1 g/s; and one more for each true onset that begins while the coach is in stimulation
  or massage and gets no `letdown` cue within 30 s (onsets of the two bottles within 5 s of
  each other are one).
- `taper_false_motion`: tapers reported while the bottle's true flow (5-s mean) is >= 0.1 g/s.
  A breakdown, not a target: `taper_false_motion_by_cause`, each such taper by the first that
  holds of `new_ejection` (one of its bottle's true onsets lies in the TAPER_NEW_S before it:
  the next ejection had begun), `disturbance` (a walk, tilt or press on its bottle overlaps
  the TAPER_NEAR_S before it, or it) and `decay` (neither: the estimate crossed on a decay).
- A breakdown, not a target: recall in motion of the onsets whose ejection brings at least
  SIZE_G of its own milk in its first 20 s (`me_recall_motion_2g`) and of the smaller ones
  (`me_recall_motion_under_2g`), with their counts: where the misses lie.
- Latency by context and by path (a breakdown, not a target): for each matched letdown, its
  context (as above), the path the firmware found it by (the replay event's `found`: rise,
  slow, floor, walk, resume, milk) and its latency beyond the time its ejection's own milk
  took to reach FLOOR_G (the per-onset form of the 0.5-g onset floor issue 12's latency lines
  are set against): `me_latency_med_s_clean` / `_motion` and `me_latency_by_path`.
- A breakdown, not a target: recall in motion by the disturbance at the onset itself
  (`me_recall_motion_by_disturbance`): the kinds of its bottle's disturbances that overlap
  [onset - DURING_S, onset + DURING_S] ("hand_pressure", "tilt+walk", ...), or "before" /
  "after" when the nearest one within 30 s lies wholly before or after that span; each with
  its onsets and the share found.
- Late finds and the onset estimate (breakdowns, not targets): `me_late_finds`, the required
  onsets missed in the letdown window that a letdown on their bottle, matched to no onset,
  followed LATE_FIND_S after (each costs a miss and a false letdown in F1), with
  `me_late_finds_by_path`; `me_onset_error_by_path`, per path the median of the event's
  `onset_t_s` less the true onset over the matched letdowns (positive: the estimate is late).
- False letdowns by path (a breakdown, not a target): `letdowns_false_by_path`, every letdown
  matched to no onset (late finds included, and every letdown of a no-milk session), by the
  path that reported it: which path's precision costs the F1 and the no-milk line.
- Which onsets and letdowns (the session listing `python -m bench.misses` prints): `missed`
  holds each required onset no letdown matched, with its bottle, time, the disturbance at it
  (as `me_recall_motion_by_disturbance` names it, or "clean"), its ejection's own milk in its
  first 20 s (`size_g`) and, when it was found late, the path and the latency of that letdown;
  `false_letdowns` each letdown matched to no onset, with its path, the coach's phase then and,
  for a late find, the onset it came late for (`late_find_of_s`).
- Where: `where` lists every wrong cue (kind as in `wrong_cues_*`, with the phase for a
  missed letdown and the true flow for the others) and every taper in flow (`taper_in_flow`,
  with its bottle), so a figure can be traced to its sessions without rerunning the rules.

Limits: the phase at an onset comes from the replay's `phase` events; a session whose
replay failed is not scored here.
"""

from __future__ import annotations

from bench import scenarios as scn_mod
from bench.score import LETDOWN_WINDOW_S, Prediction, match, percentile

MOTION_KINDS = ("walk", "tilt", "hand_pressure")
MOTION_NEAR_S = 30.0
MAX_SESSION_S = 900.0
STIM_MILK_G = 2.0
STIM_FLOW_G_S = 0.1
MASSAGE_FLOW_G_S = 0.15
DONE_FLOW_G_S = 0.1
TAPER_FLOW_G_S = 0.1
LETDOWN_CUE_WINDOW_S = (-30.0, 3.0)
MISSED_CUE_S = 30.0
SAME_ONSET_S = 5.0
SIZE_G = 2.0
LATE_FIND_S = (20.0, 40.0)  # a letdown this long after an onset it did not match: found late
SIZE_WINDOW_S = 20.0
DURING_S = 2.0  # a disturbance overlapping the onset +- this is *at* it (the by-disturbance split)
FLOOR_G = 0.5  # latency beyond the time an ejection's own milk takes to reach this (point 5)
WRONG_KINDS = ("stimulate", "letdown", "massage", "hand_express", "done", "missed_letdown")
TAPER_IN_FLOW = "taper_in_flow"  # where's kind for a taper while the true flow is high
TAPER_NEW_S = 20.0  # a taper in flow this soon after an onset on its bottle: new_ejection
TAPER_NEAR_S = 10.0  # ... else a disturbance on its bottle within this before it: disturbance
TAPER_CAUSES = ("new_ejection", "disturbance", "decay")
MISSED_KEYS = ("session", "bottle", "t_s", "at", "size_g", "late_path", "late_s")
FALSE_KEYS = ("session", "bottle", "t_s", "path", "phase", "late_find_of_s")


def _median(values: list[float]) -> float | None:
    v = percentile(values, 50)
    return None if v is None else round(v, 2)


def _mean_flow(breasts, t_s: float, half_s: float = 2.5) -> float:
    """Mean true flow over [t - half, t + half] (all given bottles), g/s."""
    a = max(0.0, t_s - half_s)
    b = t_s + half_s
    return sum(br.mass_g(b) - br.mass_g(a) for br in breasts) / (b - a)


def _by_path(items) -> dict:
    """(path, value) pairs -> {path: [values]}, the most common path first."""
    out: dict = {}
    for path, x in items:
        out.setdefault(path, []).append(x)
    return dict(sorted(out.items(), key=lambda kv: -len(kv[1])))


def _per_letdown(pred, key: str, ch: int, dets: list) -> dict:
    """What the replay said of each letdown of bottle ch (pred.other[key]: "found" its path,
    "onset" its estimated onset), by the letdown's time; {} when its lines did not all say."""
    said = pred.other.get(key, [])
    if ch < len(said) and len(said[ch]) == len(dets):
        return dict(zip(dets, said[ch]))
    return {}


def _ejection_at(breast, onset_s: float):
    """The ejection whose onset is onset_s (the truth's, rounded), or None."""
    for e in breast.ejections:
        if abs(e.onset_10pct_s - onset_s) < 0.01:
            return e
    return None


def _bottle_disturbances(truth, ch: int):
    """The walks, tilts and presses on bottle ch (index) or on both."""
    return [
        a for a in truth.artifacts if a["kind"] in MOTION_KINDS and a["channel"] in (0, ch + 1)
    ]


def disturbance_at(truth, ch: int, onset_s: float) -> str:
    """The kinds of the bottle's disturbances at the onset (+- DURING_S), sorted and joined by
    "+"; else "before" or "after" for the nearest within MOTION_NEAR_S; "" when none is (the
    onset is clean, else in motion)."""
    kinds = set()
    near = None  # (distance s, "before" / "after")
    for a in _bottle_disturbances(truth, ch):
        if a["start_s"] <= onset_s + DURING_S and a["end_s"] >= onset_s - DURING_S:
            kinds.add(a["kind"])
        elif a["start_s"] <= onset_s + MOTION_NEAR_S and a["end_s"] >= onset_s - MOTION_NEAR_S:
            d, side = (
                (onset_s - a["end_s"], "before")
                if a["end_s"] < onset_s
                else (a["start_s"] - onset_s, "after")
            )
            if near is None or d < near[0]:
                near = (d, side)
    if kinds:
        return "+".join(sorted(kinds))
    return near[1] if near else ""


def taper_cause(truth, ch: int, t_s: float) -> str:
    """Why a taper at t_s on bottle ch (index) may have come while milk still flowed: the first
    of TAPER_CAUSES that holds (module docstring)."""
    if any(t_s - TAPER_NEW_S <= o <= t_s for o in truth.onsets_s[ch]):
        return "new_ejection"
    for a in _bottle_disturbances(truth, ch):
        if a["start_s"] <= t_s and a["end_s"] >= t_s - TAPER_NEAR_S:
            return "disturbance"
    return "decay"


def _phase_at(phases: list[dict], t_s: float) -> str:
    ph = "idle"
    for p in phases:
        if float(p["t_s"]) <= t_s:
            ph = p["phase"]
        else:
            break
    return ph


class WearerCard:
    def __init__(self):
        self.sessions = 0
        self.onsets = {"motion": 0, "clean": 0}
        self.found = {"motion": 0, "clean": 0}
        self.motion_by_size = {"2g": [0, 0], "under_2g": [0, 0]}  # [onsets, found]
        self.motion_by_disturbance: dict[str, list[int]] = {}  # disturbance_at -> [onsets, found]
        # each wrong cue (a WRONG_KINDS kind) and taper in flow: (session, kind, t_s, note);
        # figures() counts them
        self.where: list[tuple[str, str, float, str]] = []
        # each matched letdown: (context, found path, latency s, beyond the floor s or None)
        self.latency: list[tuple[str, str, float, float | None]] = []
        # each matched letdown whose event gave its onset: (path, estimated - true onset s)
        self.onset_error: list[tuple[str, float]] = []
        # each late find: the path of the letdown that found an onset after the window
        self.late_finds: list[str] = []
        # tapers in flow by taper_cause
        self.taper_causes = dict.fromkeys(TAPER_CAUSES, 0)
        # each false letdown (matched to no onset; every one in a no-milk session): its path
        self.false_paths: list[str] = []
        # each required onset missed, and each false letdown, for the session listing
        # (bench.misses): dicts with MISSED_KEYS / FALSE_KEYS, in the order added
        self.missed: list[dict] = []
        self.false_letdowns: list[dict] = []

    def _wrong(self, name: str, kind: str, t_s: float, note: str) -> None:
        self.where.append((name, kind, round(t_s, 1), note))

    def add(self, truth, params: dict, pred: Prediction | None, name: str = "?") -> list:
        """Scores one session; returns its entries of `where` (empty when pred is None)."""
        first = len(self.where)
        if pred is None:
            return []
        self.sessions += 1
        breasts = scn_mod.breasts_from_params(params)
        n_ch = len(truth.onsets_s)
        # per bottle: onset -> its letdown, and each letdown's path; the letdowns matched to
        # no onset are false (in a no-milk session, every one)
        det_at_ch, path_at_ch = [], []
        late_at: dict[tuple[int, float], float] = {}  # (bottle index, late find) -> its onset
        for ch in range(max(n_ch, len(pred.letdowns_s))):
            dets = pred.letdowns_s[ch] if ch < len(pred.letdowns_s) else []
            onsets = truth.onsets_s[ch] if ch < n_ch else []
            det_at = dict(match(dets, onsets, LETDOWN_WINDOW_S))
            path_at = _per_letdown(pred, "found", ch, dets)
            matched = set(det_at.values())
            self.false_paths += [path_at.get(d, "?") for d in dets if d not in matched]
            det_at_ch.append(det_at)
            path_at_ch.append(path_at)
        if truth.phenotype != "no_milk":
            for ch in range(n_ch):
                dets = pred.letdowns_s[ch] if ch < len(pred.letdowns_s) else []
                onsets = truth.onsets_s[ch]
                det_at = det_at_ch[ch]  # onset -> its letdown
                path_at = path_at_ch[ch]
                onset_at = _per_letdown(pred, "onset", ch, dets)
                spare = sorted(set(dets) - set(det_at.values()))  # letdowns matched to none
                for t in onsets:
                    at = disturbance_at(truth, ch, t)
                    ctx = "motion" if at else "clean"
                    self.onsets[ctx] += 1
                    self.found[ctx] += t in det_at
                    e = _ejection_at(breasts[ch], t) if ch < len(breasts) else None
                    if t in det_at:
                        d = det_at[t]
                        beyond = d - t - e.seconds_to_milk_g(FLOOR_G) if e else None
                        self.latency.append((ctx, path_at.get(d, "?"), d - t, beyond))
                        if onset_at.get(d) is not None:
                            self.onset_error.append((path_at.get(d, "?"), onset_at[d] - t))
                    size = e.mass_g(e.onset_10pct_s + SIZE_WINDOW_S) if e else None
                    if t not in det_at:
                        late = [d for d in spare if LATE_FIND_S[0] < d - t <= LATE_FIND_S[1]]
                        if late:
                            spare.remove(late[0])
                            self.late_finds.append(path_at.get(late[0], "?"))
                            late_at[(ch, late[0])] = t
                        self.missed.append(
                            {
                                "session": name,
                                "bottle": ch + 1,
                                "t_s": round(t, 1),
                                "at": at or "clean",
                                "size_g": None if size is None else round(size, 2),
                                "late_path": path_at.get(late[0], "?") if late else None,
                                "late_s": round(late[0] - t, 1) if late else None,
                            }
                        )
                    if ctx == "motion" and ch < len(breasts):
                        size = size or 0.0
                        cell = self.motion_by_size["2g" if size >= SIZE_G else "under_2g"]
                        cell[0] += 1
                        cell[1] += t in det_at
                    if ctx == "motion":
                        cell = self.motion_by_disturbance.setdefault(at, [0, 0])
                        cell[0] += 1
                        cell[1] += t in det_at
        phases = pred.other.get("phases", [])
        for ch, dets in enumerate(pred.letdowns_s):
            matched = set(det_at_ch[ch].values())
            for d in dets:
                if d not in matched:
                    self.false_letdowns.append(
                        {
                            "session": name,
                            "bottle": ch + 1,
                            "t_s": round(d, 1),
                            "path": path_at_ch[ch].get(d, "?"),
                            "phase": _phase_at(phases, d),
                            "late_find_of_s": late_at.get((ch, d)),
                        }
                    )
        for ch in range(min(n_ch, len(pred.tapers_s))):
            for t in pred.tapers_s[ch]:
                flow = _mean_flow(breasts[ch : ch + 1], t) if ch < len(breasts) else 0.0
                if flow >= TAPER_FLOW_G_S:
                    cause = taper_cause(truth, ch, t)
                    self._wrong(
                        name, TAPER_IN_FLOW, t, "bottle %d, %.2f g/s, %s" % (ch + 1, flow, cause)
                    )
                    self.taper_causes[cause] += 1
        cues = [(float(c["t_s"]), c["cue"]) for c in pred.other.get("cues", [])]
        all_onsets = sorted(t for o in truth.onsets_s for t in o)
        for t, cue in cues:
            flow = sum(b.flow_g_s(t) for b in breasts)
            if cue == "stimulate":
                milk = sum(b.mass_g(t) for b in breasts)
                if milk >= STIM_MILK_G or flow >= STIM_FLOW_G_S:
                    self._wrong(name, cue, t, "%.1f g, %.2f g/s" % (milk, flow))
            elif cue == "letdown":
                lo, hi = LETDOWN_CUE_WINDOW_S
                if not any(t + lo <= o <= t + hi for o in all_onsets):
                    self._wrong(name, cue, t, "no onset")
            elif cue in ("massage", "hand_express"):
                mean = _mean_flow(breasts, t)
                if mean >= MASSAGE_FLOW_G_S:
                    self._wrong(name, cue, t, "%.2f g/s" % mean)
            elif cue == "done":
                if t < MAX_SESSION_S - 0.5 and flow >= DONE_FLOW_G_S:
                    self._wrong(name, cue, t, "%.2f g/s" % flow)
        # onsets that begin in stimulation or massage and get no letdown cue within 30 s
        ld_cues = [t for t, c in cues if c == "letdown"]
        last = None
        for o in all_onsets:
            if last is not None and o - last < SAME_ONSET_S:
                continue
            last = o
            phase = _phase_at(phases, o)
            if phase not in ("stimulation", "massage"):
                continue
            if not any(o - 3.0 <= t <= o + MISSED_CUE_S for t in ld_cues):
                self._wrong(name, "missed_letdown", o, "in " + phase)
        return self.where[first:]

    def where_text(self) -> list[str]:
        """One line per session with a wrong cue or a taper in flow, in the order added:
        "many-101: missed_letdown 425.4 s (in massage), taper_in_flow 421.0 s (...)"."""
        lines: dict[str, list[str]] = {}
        for name, kind, t_s, note in self.where:
            lines.setdefault(name, []).append("%s %.1f s (%s)" % (kind, t_s, note))
        return ["%s: %s" % (name, ", ".join(items)) for name, items in lines.items()]

    def figures(self) -> dict:
        def ratio(a, b):
            return round(a / b, 3) if b else None

        counts = dict.fromkeys(WRONG_KINDS + (TAPER_IN_FLOW,), 0)
        for _, kind, _, _ in self.where:
            counts[kind] += 1
        n_wrong = sum(counts[k] for k in WRONG_KINDS)
        out = {
            "me_recall_motion": ratio(self.found["motion"], self.onsets["motion"]),
            "me_recall_clean": ratio(self.found["clean"], self.onsets["clean"]),
            "me_onsets_motion": self.onsets["motion"],
            "me_onsets_clean": self.onsets["clean"],
            "wrong_cues_per_session": ratio(n_wrong, self.sessions),
            "taper_false_motion": counts[TAPER_IN_FLOW],
            "taper_false_motion_by_cause": dict(self.taper_causes),
        }
        for k in WRONG_KINDS:
            out["wrong_cues_%s" % k] = counts[k]
        for k, (n, found) in self.motion_by_size.items():
            out["me_recall_motion_%s" % k] = ratio(found, n)
            out["me_onsets_motion_%s" % k] = n
        out["me_recall_motion_by_disturbance"] = {
            k: {"n": n, "recall": ratio(found, n)}
            for k, (n, found) in sorted(
                self.motion_by_disturbance.items(), key=lambda kv: (-kv[1][0], kv[0])
            )
        }
        for ctx in ("clean", "motion"):
            out["me_latency_med_s_%s" % ctx] = _median([x[2] for x in self.latency if x[0] == ctx])
        by_path = _by_path((path, (lat, beyond)) for _, path, lat, beyond in self.latency)
        out["me_latency_by_path"] = {
            path: {
                "n": len(v),
                "med_s": _median([lat for lat, _ in v]),
                "beyond_floor_med_s": _median([b for _, b in v if b is not None]),
            }
            for path, v in by_path.items()
        }
        out["me_late_finds"] = len(self.late_finds)
        out["me_late_finds_by_path"] = {
            path: len(v) for path, v in _by_path((p, 1) for p in self.late_finds).items()
        }
        out["letdowns_false_by_path"] = {
            path: len(v) for path, v in _by_path((p, 1) for p in self.false_paths).items()
        }
        out["me_onset_error_by_path"] = {
            path: {"n": len(v), "med_s": _median(v)}
            for path, v in _by_path(self.onset_error).items()
        }
        return out
