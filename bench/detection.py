"""Bench section: letdown / taper detection and volume, firmware vs the two baselines.

Scores the firmware's own `pumpmon replay` over the fixed scenario set (bench.scenarios.
bench_set: 42 milk sessions of six phenotypes + 8 no-milk sessions) and runs the baselines
(bench.baselines) over the very same CSVs, then prints one table with the three side by
side, a per-phenotype letdown F1 table, and returns the firmware's figures under the plain
keys (me_f1, ...) and each baseline's under a prefix (gaggiuino_me_f1, lsq_slope_me_f1).

Limits: figures are only as good as the generator's model of mothers and sensors
(bench/scenarios.py says what it models and what it does not).
"""

from __future__ import annotations

import json
import time

from pumpmon import trace as trace_mod

from bench import scenarios as scn_mod
from bench.baselines import BASELINES
from bench.context import BenchContext, log
from bench.score import Scorecard
from bench.wearer import DURING_S, TAPER_NEAR_S, TAPER_NEW_S, WearerCard

ROWS = (
    ("me_precision", "letdown precision"),
    ("me_recall", "letdown recall"),
    ("me_f1", "letdown F1 (-3 s..+20 s)"),
    ("me_latency_med_s", "letdown latency median, s"),
    ("me_latency_p90_s", "letdown latency p90, s"),
    ("taper_precision", "taper precision"),
    ("taper_recall", "taper recall"),
    ("taper_f1", "taper F1 (-5 s..+45 s)"),
    ("taper_latency_med_s", "taper latency median, s"),
    ("control_false_per_session", "false events / no-milk session"),
    ("volume_err_med_ml", "volume error median, mL"),
    ("volume_err_max_ml", "volume error worst, mL"),
    ("sessions_scored", "sessions scored"),
    ("sessions_missing", "sessions missing (run failed)"),
)
DETECTORS = ("firmware",) + tuple(BASELINES)


def _s1(v) -> str:  # seconds, one decimal
    return "-" if v is None else "%.1f" % v


def _signed(v) -> str:  # seconds beyond a reference
    return "-" if v is None else "%+.1f s" % v


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return "%.3f" % v if abs(v) < 10 else "%.1f" % v
    return str(v)


FLOOR_MILK_G = (0.1, 0.2, 0.3, 0.5)  # 0.2-0.3 g: ~3-4 noise units of a still bottle's 1-s
# block; 0.5 g: the floor issue 12's latency lines are set against


def _without_session(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k != "session"}


def onset_floor(recs) -> dict:
    """How soon an onset can be seen at all: for every true ejection (bottle 1's, from the
    generator's parameters), the time after its onset (where its flow passes 10 % of its
    peak, as the truth's onsets are) when its own milk first reaches each of FLOOR_MILK_G. An
    oracle that knew the onset time and the baseline exactly, with block noise of ~70 mg,
    would need about that much milk: its latency is a lower bound for any causal detector on
    this set (the raised-cosine rise delivers milk as t^3 at first)."""
    out = {}
    for milk_g in FLOOR_MILK_G:
        lat = []
        for r in recs:
            for onset, rise, peak, tau in r.params.get("ejections", []):
                lat.append(scn_mod.Ejection(onset, rise, peak, tau).seconds_to_milk_g(milk_g))
        lat.sort()
        if lat:
            out["%.1f" % milk_g] = (lat[len(lat) // 2], lat[int(0.9 * len(lat))])
    return out


def run(ctx: BenchContext) -> dict:
    recs = ctx.scenarios()
    preds = ctx.replays()
    cards = {d: Scorecard() for d in DETECTORS}
    by_kind: dict[tuple[str, str], Scorecard] = {}
    wearer = WearerCard()
    t0 = time.monotonic()
    per_session = []
    for rec in recs:
        trace = trace_mod.read_csv(rec.csv_path)
        results = {"firmware": preds.get(rec.name)}
        for name, fn in BASELINES.items():
            results[name] = fn(trace)
        row = {"name": rec.name, **rec.meta, "truth": rec.truth.to_dict()}
        n_missed, n_false = len(wearer.missed), len(wearer.false_letdowns)
        where = wearer.add(rec.truth, rec.params, results["firmware"], rec.name)
        row["wrong_cues"] = [{"kind": k, "t_s": t_s, "note": note} for _, k, t_s, note in where]
        # the session's missed onsets and false letdowns (bench.misses lists them)
        row["missed_onsets"] = [_without_session(m) for m in wearer.missed[n_missed:]]
        row["false_letdowns"] = [_without_session(f) for f in wearer.false_letdowns[n_false:]]
        for d, pred in results.items():
            cards[d].add(rec.truth, pred)
            by_kind.setdefault((d, rec.meta["kind"]), Scorecard()).add(rec.truth, pred)
            one = Scorecard()
            one.add(rec.truth, pred)
            row[d] = {
                "figures": one.figures(),
                "letdowns_s": pred.letdowns_s if pred else None,
                "tapers_s": pred.tapers_s if pred else None,
                "volume_ml": pred.volume_ml if pred else None,
            }
        per_session.append(row)
    details = ctx.out_dir / "detection_sessions.json"
    details.write_text(json.dumps(per_session, indent=1))
    log("bench: baselines ran in %.1f s" % (time.monotonic() - t0))

    n_milk = sum(1 for r in recs if r.truth.phenotype != "no_milk")
    n_ctrl = len(recs) - n_milk
    n_onsets = sum(len(o) for r in recs for o in r.truth.onsets_s)
    n_tapers = sum(len(o) for r in recs for o in r.truth.tapers_s)
    n_ch = sum(r.meta["n_bottles"] for r in recs if r.truth.phenotype != "no_milk")
    figs = {d: cards[d].figures() for d in DETECTORS}

    print()
    print("== detection: letdowns, tapers, volume%s" % (" (QUICK SUBSET)" if ctx.quick else ""))
    print(
        "   %d milk sessions (%d bottle channels, %d true letdowns, %d true tapers) + %d no-milk"
        % (n_milk, n_ch, n_onsets, n_tapers, n_ctrl)
    )
    print(
        "   firmware = `pumpmon replay`; gaggiuino = dW/dt + Kalman + 0.1 g/s; "
        "lsq_slope = 6-s slope, hysteresis 0.15/0.06 g/s"
    )
    print("   %-34s %12s %12s %12s" % (("figure",) + DETECTORS))
    for key, label in ROWS:
        print("   %-34s %12s %12s %12s" % (label, *(_fmt(figs[d][key]) for d in DETECTORS)))
    print()
    print("   letdown F1 by phenotype")
    kinds = []
    for r in recs:
        if r.meta["kind"] not in kinds and r.meta["kind"] != "control":
            kinds.append(r.meta["kind"])
    for k in kinds:
        row = [by_kind[(d, k)].figures()["me_f1"] for d in DETECTORS]
        print("   %-34s %12s %12s %12s" % (k, *(_fmt(v) for v in row)))
    floor = onset_floor(recs)
    for milk_g, (med, p90) in floor.items():
        print(
            "   onset floor: an ejection's own milk reaches %s g after median %.1f s, p90 %.1f s"
            % (milk_g, med, p90)
        )
    print("   (a lower bound on letdown latency for any detector that sees weight only)")
    wf = wearer.figures()

    def recall(key):  # "0.559 of 111"
        return "%s of %d" % (_fmt(wf["me_recall_" + key]), wf["me_onsets_" + key])

    print(
        "   firmware letdown recall: %s onsets with a walk, tilt or press within 30 s; %s without"
        % (recall("motion"), recall("clean"))
    )
    print(
        "   ... in motion, by the ejection's own milk in its first 20 s: %s onsets with 2 g or "
        "more, %s with less" % (recall("motion_2g"), recall("motion_under_2g"))
    )
    print(
        "   ... in motion, by the disturbance at the onset (+-%g s; before / after: only within "
        "30 s): %s"
        % (
            DURING_S,
            ", ".join(
                "%s %s of %d" % (k, _fmt(v["recall"]), v["n"])
                for k, v in wf["me_recall_motion_by_disturbance"].items()
            ),
        )
    )
    print(
        "   firmware letdown latency median: %s s clean, %s s in motion; by how it was found "
        "(median latency, and beyond the onset's own 0.5-g time):"
        % (_s1(wf["me_latency_med_s_clean"]), _s1(wf["me_latency_med_s_motion"]))
    )
    print(
        "      "
        + ", ".join(
            "%s %d: %s s (%s)" % (path, v["n"], _s1(v["med_s"]), _signed(v["beyond_floor_med_s"]))
            for path, v in wf["me_latency_by_path"].items()
        )
    )
    print(
        "   firmware letdowns found late (20-40 s after an onset they did not match: a miss and a "
        "false letdown each): %d (%s); the estimated onset less the true one, median by path: %s"
        % (
            wf["me_late_finds"],
            ", ".join("%s %d" % kv for kv in wf["me_late_finds_by_path"].items()) or "none",
            ", ".join(
                "%s %s" % (path, _signed(v["med_s"]))
                for path, v in wf["me_onset_error_by_path"].items()
            )
            or "-",
        )
    )
    print(
        "   firmware false letdowns by the path that reported them (matched to no onset, late "
        "finds and no-milk sessions included): %s"
        % (", ".join("%s %d" % kv for kv in wf["letdowns_false_by_path"].items()) or "none")
    )
    print(
        "   firmware wrong cues (true flow): %s per session (%s); tapers while flow >= 0.1 g/s: %d"
        % (
            _fmt(wf["wrong_cues_per_session"]),
            ", ".join(
                "%s %d" % (k[len("wrong_cues_") :], v)
                for k, v in wf.items()
                if k.startswith("wrong_cues_") and k != "wrong_cues_per_session"
            ),
            wf["taper_false_motion"],
        )
    )
    print(
        "   ... tapers in flow by cause (a true onset on the bottle in the %g s before; else a "
        "disturbance on it in the %g s before; else a decay): %s"
        % (
            TAPER_NEW_S,
            TAPER_NEAR_S,
            ", ".join("%s %d" % kv for kv in wf["taper_false_motion_by_cause"].items()),
        )
    )
    for line in wearer.where_text():
        print("      " + line)
    scored = [r for r in per_session if r["firmware"]["volume_ml"] is not None]
    if scored:
        worst = max(scored, key=lambda r: r["firmware"]["figures"]["volume_err_max_ml"])
        print(
            "   firmware's worst volume: %s (true %.1f mL, reported %.1f mL)"
            % (worst["name"], worst["truth"]["total_volume_ml"], worst["firmware"]["volume_ml"])
        )
    print("   per-session events and scores: %s" % details)
    print(
        "   the missed onsets and false letdowns, one line each: .venv/bin/python -m bench.misses"
        " %s --list" % ctx.out_dir
    )
    if ctx.replay_errors:
        print(
            "   firmware replay failed on %d session(s), e.g. %s: %s"
            % (len(ctx.replay_errors), *next(iter(sorted(ctx.replay_errors.items()))))
        )
    if ctx.replay_seconds is not None:
        print(
            "   replay wall time: %.1f s for %d sessions (%d in parallel)"
            % (ctx.replay_seconds, len(recs), ctx.jobs)
        )
    print("   " + ctx.reproduce("detection"))

    out = {}
    keys = [k for k, _ in ROWS]
    for k in keys:
        out[k] = figs["firmware"][k]
    for d in BASELINES:
        for k in keys:
            out["%s_%s" % (d, k)] = figs[d][k]
    for milk_g, (med, p90) in floor.items():
        key = "onset_floor_%sg" % milk_g.replace(".", "p")
        out[key + "_med_s"] = round(med, 1)
        out[key + "_p90_s"] = round(p90, 1)
    out.update(wf)
    out["bench_sessions_milk"] = n_milk
    out["bench_sessions_no_milk"] = n_ctrl
    return out
