"""Bench section: the coach's promises, checked on every replayed session of `make bench`.

    .venv/bin/python -m bench --only coach_checks

Reads the firmware's own replay output (bench/out/replay/<session>.jsonl, written by
bench.context) and counts, over the whole scenario set:

- coach_massage_before_letdown: `massage` / `hand_express` cues given before the session's
  first `letdown` event;
- coach_taper_without_cue: `taper` events while the session is on (from its start to the
  `done` cue) answered by no `massage`, `hand_express` or `done` cue (`single_pump` also
  answers a taper, but only when after_massage=single_pump): neither within 5 s, nor by the
  step's cue already given since the flow last came back, nor by the step's cue that follows
  once a strong flow has fallen, before any new letdown (issue 12: one step, one cue; no
  massage while milk flows strongly). A taper the
  detector reports before any letdown cannot be answered without breaking the first promise
  (and `done` would end the session at once): the coach ignores it, and those are shown
  apart as coach_taper_before_letdown (a detector false alarm, not a coach fault);
- coach_stimulate_late: no-milk sessions (ground truth: no milk ejection) in which
  `stimulate` did not come within 5 s after stimulate_after_s. When the detector reported a
  (false) letdown before that time the coach rightly skips `stimulate`; those are shown
  apart as coach_stimulate_after_false_letdown;
- coach_done_late: sessions whose `done` cue came later than max_session_s + 5 s, or never
  although the trace ran that long.

The configured times are the configuration schema's defaults (firmware/config.py), which is
what `pumpmon replay` runs without --config. Each count should be 0. The section also prints
how the sessions ended and what the massage / hand-expression steps brought (cue_result).
Limits: the checks are only as strict as the replay is complete: a failed replay is counted
under coach_sessions_missing, not as passing.
"""

from __future__ import annotations

import json
import statistics

from pumpmon.fwimport import firmware_module

from bench.context import BenchContext

ANSWER_S = 5.0  # a taper must be answered this fast; stimulate / done may be this late
TAPER_ANSWERS = {"massage", "hand_express", "done", "single_pump"}


def _events(path) -> list[dict]:
    out = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line:
            out.append(json.loads(line))
    return out


def check_session(events: list[dict], cfg: dict, no_milk: bool) -> dict:
    """The four counts (and some context) for one session's replay output."""
    t_start = 0.0
    for e in events:
        if e.get("event") == "phase" and e.get("phase") == "stimulation":
            t_start = float(e["t_s"])
            break
    cues = [(float(e["t_s"]), e["cue"]) for e in events if e.get("event") == "cue"]
    letdowns = [float(e["t_s"]) for e in events if e.get("event") == "letdown"]
    tapers = [float(e["t_s"]) for e in events if e.get("event") == "taper"]
    t_end = max((float(e["t_s"]) for e in events), default=0.0)
    first_letdown = min(letdowns) if letdowns else None
    t_done = next((t for t, c in cues if c == "done"), None)
    answers = (
        TAPER_ANSWERS if cfg["after_massage"] == "single_pump" else TAPER_ANSWERS - {"single_pump"}
    )

    early = sum(
        1
        for t, c in cues
        if c in ("massage", "hand_express") and (first_letdown is None or t < first_letdown)
    )
    unanswered = []
    for t in tapers:
        if t < t_start or (t_done is not None and t > t_done):
            continue  # the session is not on
        # issue 12: one step, one cue. A taper is answered by a step cue within 5 s; by the
        # step cue already given since the flow last came back (the other bottle's taper in
        # the same step); or, when milk still flowed strongly, by the step cue that follows
        # once the flow has fallen (before any new letdown)
        last_ld = max((ld for ld in letdowns if ld <= t), default=t_start)
        next_ld = min((ld for ld in letdowns if ld > t), default=float("inf"))
        if not any(
            c in answers and (t <= tc <= t + ANSWER_S or last_ld <= tc < next_ld) for tc, c in cues
        ):
            unanswered.append(t)

    stimulate_late = 0
    letdown_first = 0
    if no_milk:
        due = t_start + cfg["stimulate_after_s"]
        if t_end >= due + ANSWER_S:
            t_stim = next((t for t, c in cues if c == "stimulate"), None)
            if t_stim is None or not due <= t_stim <= due + ANSWER_S:
                stimulate_late = 1
                if first_letdown is not None and first_letdown < due:
                    letdown_first = 1  # the detector saw a letdown: no stimulate is right

    limit = t_start + cfg["max_session_s"] + ANSWER_S
    done_late = 0
    if t_done is not None:
        done_late = 1 if t_done > limit else 0
    elif t_end >= limit:
        done_late = 1

    results = [(e["cue"], float(e["volume_ml"])) for e in events if e.get("event") == "cue_result"]
    return {
        "massage_before_letdown": early,
        "taper_without_cue": len(unanswered),
        "taper_before_letdown": sum(
            1 for t in unanswered if first_letdown is None or t < first_letdown
        ),
        "unanswered_tapers_s": unanswered,
        "stimulate_late": stimulate_late,
        "stimulate_after_false_letdown": letdown_first,
        "done_late": done_late,
        "tapers_on": sum(1 for t in tapers if t >= t_start and (t_done is None or t <= t_done)),
        "done_s": None if t_done is None else t_done - t_start,
        "done_at_max": t_done is not None and t_done - t_start >= cfg["max_session_s"],
        "cues": [c for _, c in cues],
        "results": results,
    }


def run(ctx: BenchContext) -> dict:
    config = firmware_module("shared.config")
    cfg = config.defaults()
    recs = ctx.scenarios()
    preds = ctx.replays()  # runs the replays when no earlier section has
    rdir = ctx.out_dir / "replay"

    totals = {"massage_before_letdown": 0, "taper_without_cue": 0, "stimulate_late": 0}
    totals["done_late"] = 0
    totals["taper_before_letdown"] = 0
    totals["stimulate_after_false_letdown"] = 0
    missing = []
    per_session = {}
    n_no_milk = 0
    for rec in recs:
        path = rdir / (rec.name + ".jsonl")
        if preds.get(rec.name) is None or not path.exists():
            missing.append(rec.name)
            continue
        no_milk = not any(rec.truth.onsets_s[ch] for ch in range(len(rec.truth.onsets_s)))
        n_no_milk += no_milk
        got = check_session(_events(path), cfg, no_milk)
        per_session[rec.name] = got
        for k in totals:
            totals[k] += got[k]

    cue_counts: dict[str, int] = {}
    for got in per_session.values():
        for c in got["cues"]:
            cue_counts[c] = cue_counts.get(c, 0) + 1
    tapers_on = sum(g["tapers_on"] for g in per_session.values())
    at_max = sum(1 for g in per_session.values() if g["done_at_max"])
    by_protocol = sum(
        1 for g in per_session.values() if g["done_s"] is not None and not g["done_at_max"]
    )
    brought = {"massage": [], "hand_express": [], "single_pump": []}
    for g in per_session.values():
        for cue, ml in g["results"]:
            brought.setdefault(cue, []).append(ml)

    print()
    print("== coach_checks: the protocol's promises over %d replayed sessions" % len(recs))
    print(
        "   configuration: schema defaults (stimulate at %d s, done by %d s, %d massage rounds)"
        % (cfg["stimulate_after_s"], cfg["max_session_s"], cfg["massage_rounds"])
    )
    print("   %-58s %6s" % ("check (each should be 0)", "count"))
    print(
        "   %-58s %6d"
        % (
            "massage / hand_express cues before the first letdown",
            totals["massage_before_letdown"],
        )
    )
    print(
        "   %-58s %6d"
        % (
            "tapers while on (of %d) with no answering cue within %g s" % (tapers_on, ANSWER_S),
            totals["taper_without_cue"],
        )
    )
    print(
        "   %-58s %6d"
        % (
            "  of which before any letdown (no massage allowed then)",
            totals["taper_before_letdown"],
        )
    )
    print(
        "   %-58s %6d"
        % (
            "no-milk sessions (of %d): stimulate missing or > %g s late" % (n_no_milk, ANSWER_S),
            totals["stimulate_late"],
        )
    )
    print(
        "   %-58s %6d"
        % (
            "  of which a (false) letdown was detected before it was due",
            totals["stimulate_after_false_letdown"],
        )
    )
    print(
        "   %-58s %6d"
        % ("sessions with done later than max + %g s" % ANSWER_S, totals["done_late"])
    )
    bad = [
        (name, g)
        for name, g in sorted(per_session.items())
        if g["massage_before_letdown"]
        or g["taper_without_cue"]
        or g["stimulate_late"]
        or g["done_late"]
    ]
    for name, g in bad[:8]:
        print(
            "     %s: early=%d unanswered tapers at %s stimulate_late=%d done_late=%d"
            % (
                name,
                g["massage_before_letdown"],
                g["unanswered_tapers_s"],
                g["stimulate_late"],
                g["done_late"],
            )
        )
    print(
        "   sessions ended by done: %d at the maximum, %d by the protocol (flow stopped)"
        % (at_max, by_protocol)
    )
    print("   cues given: %s" % ", ".join("%s %d" % kv for kv in sorted(cue_counts.items())))
    for cue in ("massage", "hand_express", "single_pump"):
        v = brought.get(cue) or []
        if v:
            print(
                "   a %s step brought: median %.1f mL, max %.1f mL (%d steps, window %d s)"
                % (cue, statistics.median(v), max(v), len(v), cfg["cue_result_s"])
            )
    if missing:
        print("   replay missing for %d session(s): %s" % (len(missing), ", ".join(missing[:5])))
    print("   " + ctx.reproduce("coach_checks"))

    return {
        "coach_massage_before_letdown": totals["massage_before_letdown"],
        "coach_taper_without_cue": totals["taper_without_cue"],
        "coach_stimulate_late": totals["stimulate_late"],
        "coach_done_late": totals["done_late"],
        "coach_taper_before_letdown": totals["taper_before_letdown"],
        "coach_stimulate_after_false_letdown": totals["stimulate_after_false_letdown"],
        "coach_tapers_checked": tapers_on,
        "coach_no_milk_sessions": n_no_milk,
        "coach_sessions_missing": len(missing),
    }
