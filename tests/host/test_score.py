"""Scoring (bench/score.py), the baselines (bench/baselines.py) and the bench runner."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from pumpmon.trace import Trace  # noqa: E402

from bench import __main__ as bench_main  # noqa: E402
from bench import baselines, score  # noqa: E402
from bench.scenarios import Ejection, Truth  # noqa: E402


def _truth(onsets, tapers, volume=50.0, phenotype="few"):
    return Truth(phenotype, onsets, tapers, [volume / len(onsets)] * len(onsets), volume)


def _one_bottle(ejections):
    """One bottle's generator params with these ejections (no trickle), the Ejections and their
    onsets as the truth rounds them (10 % of the peak: 2.05 s after the start for a 10-s rise)."""
    params = {"breasts": [{"ejections": ejections, "trickle_g_s": 0.0, "trickle_from_s": 0.0}]}
    ejs = [Ejection(*e) for e in ejections]
    return params, ejs, [round(e.onset_10pct_s, 2) for e in ejs]


# -- matching ------------------------------------------------------------------------------


def test_match_is_one_to_one_two_detections_of_one_onset_make_one_match():
    assert score.match([101.0, 104.0], [100.0], score.LETDOWN_WINDOW_S) == [(100.0, 101.0)]


def test_letdown_window_is_minus_3_to_plus_20_seconds_inclusive():
    w = score.LETDOWN_WINDOW_S
    assert score.match([97.0], [100.0], w) == [(100.0, 97.0)]
    assert score.match([96.9], [100.0], w) == []
    assert score.match([120.0], [100.0], w) == [(100.0, 120.0)]
    assert score.match([120.1], [100.0], w) == []


def test_taper_window_is_minus_5_to_plus_45_seconds():
    w = score.TAPER_WINDOW_S
    assert score.match([95.0, 145.0], [100.0, 140.0], w) == [(100.0, 95.0), (140.0, 145.0)]
    assert score.match([94.0], [100.0], w) == []
    assert score.match([146.0], [100.0], w) == []


def test_match_is_maximal_when_windows_overlap():
    # nearest-first would give 9 s to the onset at 10 s and leave the one at 0 s unmatched
    pairs = score.match([9.0, 12.0], [0.0, 10.0], score.LETDOWN_WINDOW_S)
    assert len(pairs) == 2


def test_percentile_interpolates_and_handles_no_values():
    assert score.percentile([], 50) is None
    assert score.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert score.percentile([float(i) for i in range(11)], 90) == pytest.approx(9.0)


# -- parsing the firmware's replay output ----------------------------------------------------


def test_parse_replay_puts_events_without_channel_on_channel_1_and_skips_unknown_ones():
    text = "\n".join(
        [
            '{"t_s": 80.5, "event": "letdown", "channel": 2, "flow_g_s": 0.2}',
            '{"t_s": 81.0, "event": "letdown"}',
            '{"t_s": 90.0, "event": "phase", "phase": "expressing"}',
            '{"t_s": 95.0, "event": "some_future_event"}',
            '{"t_s": 200.0, "event": "taper", "channel": 1}',
            '{"t_s": 201.0, "event": "cue", "cue": "massage"}',
            '{"t_s": 900.0, "event": "summary", "volume_ml": 61.25, "letdowns": 2}',
        ]
    )
    p = score.parse_replay(text)
    assert p.letdowns_s == [[81.0], [80.5]]
    assert p.tapers_s == [[200.0], []]
    assert p.volume_ml == 61.25
    assert p.other["cues"][0]["cue"] == "massage"


def test_parse_replay_rejects_a_line_that_is_not_json_naming_the_line():
    with pytest.raises(ValueError, match="line 2"):
        score.parse_replay('{"event": "letdown", "t_s": 1}\nTraceback (most recent call last)')


# -- the scorecard ---------------------------------------------------------------------------


def test_scorecard_pools_precision_recall_f1_and_latency_over_sessions_and_channels():
    card = score.Scorecard()
    # session 1, two bottles: 3 true onsets, 2 found (one late by 25 s: a miss + a false one)
    t1 = _truth([[100.0, 300.0], [101.0]], [[200.0], [201.0]], volume=40.0)
    p1 = score.Prediction([[104.0, 325.0], [110.0]], [[210.0], []], 38.0)
    card.add(t1, p1)
    # session 2, one bottle: 1 true onset found 6 s late, taper found 30 s late
    t2 = _truth([[50.0]], [[150.0]], volume=10.0)
    p2 = score.Prediction([[56.0]], [[180.0]], 13.5)
    card.add(t2, p2)
    f = card.figures()
    # letdowns: 4 true, 4 detected, 3 matched (latencies 4, 9, 6)
    assert f["me_precision"] == 0.75 and f["me_recall"] == 0.75 and f["me_f1"] == 0.75
    assert f["me_latency_med_s"] == 6.0
    assert f["me_latency_p90_s"] == pytest.approx(8.4)
    # tapers: 3 true, 2 detected, 2 matched -> F1 = 4 / 5
    assert f["taper_f1"] == 0.8 and f["taper_latency_med_s"] == 20.0
    assert f["volume_err_med_ml"] == 2.75 and f["volume_err_max_ml"] == 3.5
    assert f["control_false_per_session"] is None


def test_events_in_no_milk_sessions_count_as_false_events_not_in_precision():
    card = score.Scorecard()
    ctrl = Truth("no_milk", [[], []], [[], []], [0.0, 0.0], 0.0)
    card.add(ctrl, score.Prediction([[30.0], [31.0, 500.0]], [[60.0], []], 0.4))
    card.add(ctrl, score.Prediction([[], []], [[], []], 0.0))
    f = card.figures()
    assert f["control_false_per_session"] == 2.0  # 4 events over 2 sessions
    assert f["me_precision"] is None and f["me_f1"] is None
    assert f["volume_err_max_ml"] == 0.4


def test_a_failed_run_is_counted_missing_not_scored_as_silence():
    card = score.Scorecard()
    card.add(_truth([[100.0]], [[200.0]]), None)
    f = card.figures()
    assert f["sessions_missing"] == 1 and f["sessions_scored"] == 0
    assert f["me_recall"] is None


# -- the baselines ---------------------------------------------------------------------------


def test_simple_kalman_filter_follows_the_arduino_library_update():
    kf = baselines.SimpleKalmanFilter(0.5, 0.5, 0.01)
    assert kf.update(1.0) == pytest.approx(0.5)
    # err_estimate = (1 - 0.5) * 0.5 + |0 - 0.5| * 0.01 = 0.255; gain = 0.255 / 0.755
    assert kf.update(1.0) == pytest.approx(0.5 + 0.255 / 0.755 * 0.5)


def _ramp_trace(noise_g=0.0):
    """Flat 60 s, 0.5 g/s for 60 s, flat 60 s, at 10 Hz."""
    t_ms, w_mg = [], []
    for i in range(1800):
        t = i / 10
        w = 0.0 if t < 60 else (0.5 * (t - 60) if t < 120 else 30.0)
        w += noise_g * (1 if i % 2 else -1)
        t_ms.append(i * 100)
        w_mg.append(round(w * 1000))
    return Trace(t_ms, w_mg, None, None)


@pytest.mark.parametrize("name", sorted(baselines.BASELINES))
def test_each_baseline_finds_a_clean_flow_onset_and_the_volume(name):
    pred = baselines.BASELINES[name](_ramp_trace())
    assert len(pred.letdowns_s[0]) == 1 and 60.0 <= pred.letdowns_s[0][0] <= 66.0
    assert pred.volume_ml == pytest.approx(30.0 / 1.03, abs=0.1)


def test_lsq_slope_baseline_reports_the_taper_when_a_clean_flow_stops():
    pred = baselines.lsq_slope(_ramp_trace())
    assert len(pred.tapers_s[0]) == 1 and 120.0 <= pred.tapers_s[0][0] <= 126.0


def test_gaggiuino_baseline_only_updates_on_distinct_readings():
    # after the ramp the reading never changes again, so its flow estimate stays where it was
    pred = baselines.gaggiuino(_ramp_trace())
    assert pred.tapers_s[0] == []


def test_gaggiuino_baseline_is_fooled_by_noise_because_negative_flow_is_clamped():
    # +-0.3 g alternating noise and no milk: clamped dW/dt averages ~3 g/s, far above 0.1
    trace = Trace(
        [i * 100 for i in range(600)], [300 if i % 2 else -300 for i in range(600)], None, None
    )
    assert baselines.gaggiuino(trace).letdowns_s[0]


# -- the runner ------------------------------------------------------------------------------


def test_bench_skips_a_missing_section_and_ends_with_one_json_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(bench_main, "SECTIONS", ["bench.no_such_section"])
    rc = bench_main.main(["--out", str(tmp_path)])
    out = capsys.readouterr().out.strip().splitlines()
    assert rc == 0
    assert any("no_such_section: skipped" in line for line in out)
    figures = json.loads(out[-1])
    assert figures["bench_quick"] is False


# -- the scenario sets ---------------------------------------------------------------------


def test_a_held_out_set_shares_no_session_with_the_fixed_set():
    from bench import scenarios

    fixed = {(e["kind"], e["seed"]) for e in scenarios.bench_set()}
    held = scenarios.held_out_set(100)
    assert len(held) == 6 * scenarios.HELD_OUT_PER_PHENOTYPE + scenarios.HELD_OUT_CONTROLS
    assert not fixed & {(e["kind"], e["seed"]) for e in held}


def test_bench_refuses_held_out_seeds_that_overlap_the_fixed_set(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        bench_main.main(["--seeds", "5", "--out", str(tmp_path)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "overlaps the fixed bench set" in err and "use 100 or more" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        # the fixed set keeps its own presses, flow, rates, ripple and noise
        (["--press", "held"], "--press held needs --seeds N"),
        (["--flow", "pulsed"], "--flow pulsed needs --seeds N"),
        (["--rate", "320"], "--rate 320 needs --seeds N"),
        (["--ripple", "2"], "--ripple 2 needs --seeds N"),
        (["--rise", "slow"], "--rise slow needs --seeds N"),
        (["--gait", "wide"], "--gait wide needs --seeds N"),
        (["--noise", "2"], "--noise 2 needs --seeds N"),
        # a rate no device has, a ripple the generator does not make
        (["--seeds", "100", "--rate", "50"], "invalid choice: 50"),
        (["--seeds", "100", "--ripple", "5"], "invalid choice: 5"),
        (["--seeds", "100", "--noise", "3"], "give one of 1, 1.5, 2"),
        (["--seeds", "100", "--noise", "loud"], "give one of 1, 1.5, 2"),
        # a disturbance the generator does not make
        (["--without", "press,knock"], "give some of press, walk, tilt"),
        # a noise draw that is not one
        (["--draw", "-1"], "give 0 (the sets' own noise) or a draw 1, 2"),
        (["--draw", "one"], "give 0 (the sets' own noise) or a draw 1, 2"),
    ],
)
def test_bench_refuses_a_rendering_it_cannot_make_with_a_message(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        bench_main.main(argv + ["--out", str(tmp_path)])
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_held_out_set_at_one_rate_has_a_folder_of_its_own(tmp_path):
    from bench import scenarios
    from bench.context import BenchContext

    plain = scenarios.held_out_set(100)
    fixed_rate = scenarios.held_out_set(100, rate_hz=320)
    assert [dict(e, rate_hz=320) for e in plain] == fixed_rate
    ctx = BenchContext(out_dir=tmp_path, seeds=100, rate_hz=320)
    assert ctx.out_dir == tmp_path / "seeds-100-320hz"
    assert ctx.reproduce("detection").split("   ")[0].endswith("--seeds 100 --rate 320")


def test_a_set_without_its_disturbances_has_a_folder_of_its_own(tmp_path):
    from bench import scenarios
    from bench.context import BenchContext

    plain = scenarios.held_out_set(100)
    gone = scenarios.held_out_set(100, without=("press", "tilt"))
    assert [dict(e, without=["press", "tilt"]) for e in plain] == gone
    ctx = BenchContext(out_dir=tmp_path, seeds=100, without=("press", "tilt"))
    assert ctx.out_dir == tmp_path / "seeds-100-without-press-tilt"
    assert ctx.reproduce("detection").split("   ")[0].endswith("--seeds 100 --without press,tilt")
    assert all(e["without"] == ["press", "tilt"] for e in ctx.entries())
    # the fixed set too: the same sessions, in a folder beside its own
    fixed = BenchContext(out_dir=tmp_path, without=("walk",))
    assert fixed.out_dir == tmp_path / "without-walk"
    assert [dict(e, without=["walk"]) for e in scenarios.bench_set()] == fixed.entries()


def test_held_out_set_with_a_stronger_ripple_has_a_folder_of_its_own(tmp_path):
    from bench import scenarios
    from bench.context import BenchContext

    plain = scenarios.held_out_set(100)
    assert scenarios.held_out_set(100, ripple_scale=1) == plain
    assert [dict(e, ripple_scale=2) for e in plain] == scenarios.held_out_set(100, ripple_scale=2)
    ctx = BenchContext(out_dir=tmp_path, seeds=100, rate_hz=20, ripple=2)
    assert ctx.out_dir == tmp_path / "seeds-100-20hz-2x-ripple"
    assert ctx.reproduce("detection").split("   ")[0].endswith("--seeds 100 --rate 20 --ripple 2")


def test_held_out_set_from_noisier_cells_has_a_folder_of_its_own(tmp_path):
    from bench import scenarios
    from bench.context import BenchContext

    plain = scenarios.held_out_set(100)
    assert scenarios.held_out_set(100, noise_scale=1) == plain
    assert [dict(e, noise_scale=1.5) for e in plain] == scenarios.held_out_set(
        100, noise_scale=1.5
    )
    ctx = BenchContext(out_dir=tmp_path, seeds=100, noise=1.5)
    assert ctx.out_dir == tmp_path / "seeds-100-1.5x-noise"
    assert ctx.reproduce("detection").split("   ")[0].endswith("--seeds 100 --noise 1.5")
    assert [e["noise_scale"] for e in ctx.entries()] == [1.5] * len(plain)


def test_held_out_set_with_other_ejections_or_walks_has_a_folder_of_its_own(tmp_path):
    from bench import scenarios
    from bench.context import BenchContext

    plain = scenarios.held_out_set(100)
    assert scenarios.held_out_set(100, rise_style="gradual") == plain
    slow = scenarios.held_out_set(100, rise_style="slow")
    assert [dict(e, rise_style="slow") for e in plain] == slow
    ctx = BenchContext(out_dir=tmp_path, seeds=100, rise="slow")
    assert ctx.out_dir == tmp_path / "seeds-100-slow"
    assert ctx.entries() == slow
    assert ctx.reproduce("detection").split("   ")[0].endswith("--seeds 100 --rise slow")
    wide = scenarios.held_out_set(100, gait_style="wide")
    assert [dict(e, gait_style="wide") for e in plain] == wide
    ctx = BenchContext(out_dir=tmp_path, seeds=100, gait="wide", rise="fast")
    assert ctx.out_dir == tmp_path / "seeds-100-fast-wide-gait" and ctx.entries() == [
        dict(e, rise_style="fast") for e in wide
    ]
    assert ctx.reproduce("detection").split("   ")[0].endswith("--rise fast --gait wide")


def test_another_noise_draw_has_a_folder_of_its_own_on_the_fixed_set_and_a_held_out_one(
    tmp_path,
):
    from bench import scenarios
    from bench.context import BenchContext

    fixed = BenchContext(out_dir=tmp_path, draw=2)
    assert fixed.out_dir == tmp_path / "draw-2"
    assert fixed.entries() == [dict(e, noise_draw=2) for e in scenarios.bench_set()]
    assert fixed.reproduce("detection").split("   ")[0].endswith("--only detection --draw 2")
    held = BenchContext(out_dir=tmp_path, seeds=100, draw=1)
    assert held.out_dir == tmp_path / "seeds-100-draw-1"
    assert held.entries() == [dict(e, noise_draw=1) for e in scenarios.held_out_set(100)]
    assert scenarios.held_out_set(100, noise_draw=1) == held.entries()
    assert held.reproduce("detection").split("   ")[0].endswith("--seeds 100 --draw 1")
    assert BenchContext(out_dir=tmp_path).entries() == scenarios.bench_set()


def test_held_out_set_with_pulsed_flow_and_held_presses_has_a_folder_of_its_own(tmp_path):
    from bench import scenarios
    from bench.context import BenchContext

    plain = scenarios.held_out_set(100)
    both = scenarios.held_out_set(100, "held", "pulsed")
    assert [dict(e, press_style="held", flow_style="pulsed") for e in plain] == both
    ctx = BenchContext(out_dir=tmp_path, seeds=100, press="held", flow="pulsed")
    assert ctx.out_dir == tmp_path / "seeds-100-held-pulsed"
    cmd = ctx.reproduce("detection").split("   ")[0]
    assert cmd.endswith("--seeds 100 --press held --flow pulsed")


def test_held_out_set_with_held_presses_is_the_same_sessions_in_their_own_folder(tmp_path):
    from bench import scenarios
    from bench.context import BenchContext

    plain = scenarios.held_out_set(100)
    held = scenarios.held_out_set(100, "held")
    assert [dict(e, press_style="held") for e in plain] == held
    ctx = BenchContext(out_dir=tmp_path, seeds=100, press="held")
    assert ctx.out_dir == tmp_path / "seeds-100-held"
    assert ctx.reproduce("detection").split("   ")[0].endswith("--seeds 100 --press held")


def test_wearer_card_splits_recall_in_motion_by_the_ejections_own_milk_in_20_s():
    # two ejections under a press on bottle 1: a strong one (0.4 g/s peak, ~6 g in 20 s) that
    # was found and a weak one (0.05 g/s, under 1 g) that was not; a clean one found
    from bench.wearer import WearerCard

    ejections = [(100.0, 10.0, 0.4, 30.0), (300.0, 10.0, 0.05, 30.0), (600.0, 10.0, 0.4, 30.0)]
    params, _, onsets = _one_bottle(ejections)
    press = {"kind": "hand_pressure", "start_s": 90.0, "end_s": 320.0, "channel": 1}
    truth = Truth("few", [onsets], [[]], [30.0], 30.0, [press])
    pred = score.Prediction([[110.0, 610.0]], [[]], 30.0)
    card = WearerCard()
    card.add(truth, params, pred)
    f = card.figures()
    assert (f["me_onsets_motion"], f["me_recall_motion"]) == (2, 0.5)
    assert (f["me_onsets_motion_2g"], f["me_recall_motion_2g"]) == (1, 1.0)
    assert (f["me_onsets_motion_under_2g"], f["me_recall_motion_under_2g"]) == (1, 0.0)
    assert (f["me_onsets_clean"], f["me_recall_clean"]) == (1, 1.0)


def test_wearer_card_splits_recall_in_motion_by_the_disturbance_at_the_onset():
    # four ejections on bottle 1: one under a press (found), one in a tilt of both bottles
    # (missed), one 10 s after a walk ended (found), one during a press on bottle 2 only
    # (clean for bottle 1: not counted in motion)
    from bench.wearer import WearerCard

    ejections = [(100.0, 10.0, 0.4, 30.0), (300.0, 10.0, 0.4, 30.0), (500.0, 10.0, 0.4, 30.0)]
    ejections.append((700.0, 10.0, 0.4, 30.0))
    params, _, onsets = _one_bottle(ejections)
    art = [
        {"kind": "hand_pressure", "start_s": 90.0, "end_s": 130.0, "channel": 1},
        {"kind": "tilt", "start_s": 295.0, "end_s": 320.0, "channel": 0},
        {"kind": "walk", "start_s": 470.0, "end_s": 492.0, "channel": 0},
        {"kind": "hand_pressure", "start_s": 690.0, "end_s": 730.0, "channel": 2},
    ]
    truth = Truth("few", [onsets], [[]], [30.0], 30.0, art)
    pred = score.Prediction([[110.0, 510.0, 710.0]], [[]], 30.0)
    card = WearerCard()
    card.add(truth, params, pred)
    f = card.figures()
    assert f["me_recall_motion_by_disturbance"] == {
        "before": {"n": 1, "recall": 1.0},
        "hand_pressure": {"n": 1, "recall": 1.0},
        "tilt": {"n": 1, "recall": 0.0},
    }
    assert (f["me_onsets_clean"], f["me_recall_clean"]) == (1, 1.0)


def test_wearer_card_says_where_each_wrong_cue_and_taper_in_flow_lies():
    # one ejection at 100 s (0.4 g/s peak) that begins in stimulation and gets no letdown cue,
    # a `massage` cue at its peak, a taper reported at its peak, and a `letdown` cue at 400 s
    # with no onset near it: four entries, each named by its session, kind and time
    from bench.wearer import WearerCard

    ejections = [(100.0, 10.0, 0.4, 30.0)]
    params, _, (onset,) = _one_bottle(ejections)
    truth = Truth("few", [[onset]], [[]], [30.0], 30.0, [])
    pred = score.Prediction([[]], [[112.0]], 30.0)
    pred.other["phases"] = [{"t_s": 0.0, "phase": "stimulation"}]
    pred.other["cues"] = [{"t_s": 112.0, "cue": "massage"}, {"t_s": 400.0, "cue": "letdown"}]
    card = WearerCard()
    card.add(truth, params, pred, "few-900")
    f = card.figures()
    assert (f["wrong_cues_massage"], f["wrong_cues_letdown"]) == (1, 1)
    assert (f["wrong_cues_missed_letdown"], f["taper_false_motion"]) == (1, 1)
    kinds = sorted((kind, t_s) for name, kind, t_s, _ in card.where if name == "few-900")
    assert kinds == [
        ("letdown", 400.0),
        ("massage", 112.0),
        ("missed_letdown", round(onset, 1)),
        ("taper_in_flow", 112.0),
    ]
    (line,) = card.where_text()
    assert line.startswith("few-900: ")
    assert "missed_letdown %.1f s (in stimulation)" % onset in line


def test_wearer_card_splits_tapers_in_flow_by_what_came_before_them():
    # three slow-decaying ejections on bottle 1 (0.4 g/s peak, 60-s decay: flow above 0.1 g/s
    # for about a minute after the peak). A taper 12 s after the second's onset (the next
    # ejection had begun), one 25 s after the first's onset right after a walk ended, one 35 s
    # into the third's with nothing near (its estimate crossed on the decay), and one long
    # after the flow fell (not in flow: not counted)
    from bench.wearer import WearerCard

    ejections = [(100.0, 10.0, 0.4, 60.0), (300.0, 10.0, 0.4, 60.0), (500.0, 10.0, 0.4, 60.0)]
    params, _, onsets = _one_bottle(ejections)
    walk = {"kind": "walk", "start_s": 110.0, "end_s": 122.0, "channel": 0}
    truth = Truth("few", [onsets], [[]], [30.0], 30.0, [walk])
    tapers = [onsets[0] + 25.0, onsets[1] + 12.0, onsets[2] + 35.0, 800.0]
    pred = score.Prediction([[]], [tapers], 30.0)
    card = WearerCard()
    card.add(truth, params, pred, "few-901")
    f = card.figures()
    assert f["taper_false_motion"] == 3
    assert f["taper_false_motion_by_cause"] == {"new_ejection": 1, "disturbance": 1, "decay": 1}
    notes = sorted(note for _, kind, _, note in card.where if kind == "taper_in_flow")
    assert [n.split(", ")[-1] for n in notes] == ["decay", "disturbance", "new_ejection"]


def test_wearer_card_gives_latency_by_context_and_by_the_path_that_found_it():
    # two ejections on one bottle: one clean (found by the CUSUM 8 s after its onset), one
    # inside a hand press (found by the floor path 15 s after it); the replay's `found`
    # reaches the card through parse_replay, and each latency is also given beyond the time
    # the ejection's own milk took to reach 0.5 g
    from bench.wearer import WearerCard

    ejections = [(100.0, 10.0, 0.4, 30.0), (400.0, 10.0, 0.2, 30.0)]
    params, (e1, e2), (o1, o2) = _one_bottle(ejections)
    press = {"kind": "hand_pressure", "start_s": 390.0, "end_s": 450.0, "channel": 1}
    truth = Truth("few", [[o1, o2]], [[]], [30.0], 30.0, [press])
    text = "\n".join(
        [
            '{"t_s": %.2f, "event": "letdown", "channel": 1, "found": "rise"}' % (o1 + 8.0),
            '{"t_s": %.2f, "event": "letdown", "channel": 1, "found": "floor"}' % (o2 + 15.0),
        ]
    )
    pred = score.parse_replay(text, n_channels=1)
    assert pred.other["found"] == [["rise", "floor"]]
    card = WearerCard()
    card.add(truth, params, pred, "few-901")
    f = card.figures()
    assert (f["me_latency_med_s_clean"], f["me_latency_med_s_motion"]) == (8.0, 15.0)
    by_path = f["me_latency_by_path"]
    assert sorted(by_path) == ["floor", "rise"]
    assert by_path["rise"]["n"] == 1 and by_path["rise"]["med_s"] == 8.0
    # a weaker ejection takes longer to bring its own 0.5 g, so less of its latency is beyond
    assert 0 < e1.seconds_to_milk_g(0.5) < e2.seconds_to_milk_g(0.5) < 15.0
    assert by_path["floor"]["beyond_floor_med_s"] == round(15.0 - e2.seconds_to_milk_g(0.5), 2)
    assert by_path["rise"]["beyond_floor_med_s"] == round(8.0 - e1.seconds_to_milk_g(0.5), 2)


def test_wearer_card_counts_late_finds_and_the_onset_estimates_error_by_path():
    # three ejections on one bottle: the first found by the CUSUM 8 s after its onset, with
    # its onset estimated 3 s late; the second found by the floor path 25 s after its onset
    # (outside the -3..+20 s window: a late find, a miss and a false letdown); the third
    # never found, and a false letdown 60 s after it (too far to be its late find)
    from bench.wearer import WearerCard

    ejections = [(100.0, 10.0, 0.4, 30.0), (300.0, 10.0, 0.3, 30.0), (500.0, 10.0, 0.3, 30.0)]
    params, _, (o1, o2, o3) = _one_bottle(ejections)
    truth = Truth("few", [[o1, o2, o3]], [[]], [30.0], 30.0, [])
    line = '{"t_s": %.2f, "event": "letdown", "channel": 1, "onset_t_s": %.2f, "found": "%s"}'
    text = "\n".join(
        [
            line % (o1 + 8.0, o1 + 3.0, "rise"),
            line % (o2 + 25.0, o2 + 6.0, "floor"),
            '{"t_s": %.2f, "event": "letdown", "channel": 1, "found": "slow"}' % (o3 + 60.0),
        ]
    )
    pred = score.parse_replay(text, n_channels=1)
    assert pred.other["onset"] == [[o1 + 3.0, o2 + 6.0, None]]
    card = WearerCard()
    card.add(truth, params, pred, "few-902")
    f = card.figures()
    assert f["me_late_finds"] == 1
    assert f["me_late_finds_by_path"] == {"floor": 1}
    assert f["me_onset_error_by_path"] == {"rise": {"n": 1, "med_s": 3.0}}


def test_wearer_card_counts_false_letdowns_by_the_path_that_reported_them():
    # a milk session: one onset found by the CUSUM, a floor-path letdown 25 s after a second
    # onset (a late find: false too), and a walk-path letdown with no onset near; a no-milk
    # session: its slow-path letdown is false whatever; a replay whose lines did not all say
    # how they were found counts its false letdowns as "?"
    from bench.wearer import WearerCard

    ejections = [(100.0, 10.0, 0.4, 30.0), (300.0, 10.0, 0.3, 30.0)]
    params, _, (o1, o2) = _one_bottle(ejections)
    line = '{"t_s": %.2f, "event": "letdown", "channel": 1, "found": "%s"}'
    card = WearerCard()
    milk = "\n".join(
        [line % (o1 + 8.0, "rise"), line % (o2 + 25.0, "floor"), line % (700.0, "walk")]
    )
    card.add(
        Truth("few", [[o1, o2]], [[]], [30.0], 30.0, []),
        params,
        score.parse_replay(milk, n_channels=1),
        "few-903",
    )
    none = Truth("no_milk", [[]], [[]], [0.0], 0.0, [])
    card.add(none, {}, score.parse_replay(line % (200.0, "slow"), n_channels=1), "control-903")
    unsaid = score.Prediction([[50.0]], [[]], 0.0)  # no `found` at all
    card.add(none, {}, unsaid, "control-904")
    assert card.figures()["letdowns_false_by_path"] == {"?": 1, "floor": 1, "slow": 1, "walk": 1}


def test_wearer_card_lists_each_missed_onset_and_false_letdown_with_what_was_at_it():
    # two ejections on bottle 1: the first under a press, found by the floor path 25 s after it
    # (a late find: the miss names it, and its letdown is false with the onset it came late
    # for); the second clean and never found. A rise-path letdown at 700 s in hand expression
    # matches nothing. A no-milk session's letdown is false, in the phase it came
    from bench.wearer import FALSE_KEYS, MISSED_KEYS, WearerCard

    ejections = [(100.0, 10.0, 0.3, 30.0), (400.0, 10.0, 0.05, 30.0)]
    params, (e1, e2), (o1, o2) = _one_bottle(ejections)
    press = {"kind": "hand_pressure", "start_s": 95.0, "end_s": 140.0, "channel": 1}
    line = '{"t_s": %.2f, "event": "letdown", "channel": 1, "found": "%s"}'
    phases = '{"t_s": %.1f, "event": "phase", "phase": "%s"}'
    text = "\n".join(
        [
            phases % (0.0, "stimulation"),
            phases % (90.0, "massage"),
            line % (o1 + 25.0, "floor"),
            phases % (600.0, "hand_expression"),
            line % (700.0, "rise"),
        ]
    )
    card = WearerCard()
    truth = Truth("few", [[o1, o2]], [[]], [30.0], 30.0, [press])
    card.add(truth, params, score.parse_replay(text, n_channels=1), "few-905")
    none = Truth("no_milk", [[]], [[]], [0.0], 0.0, [])
    card.add(none, {}, score.parse_replay(line % (200.0, "slow"), n_channels=1), "control-905")
    assert all(tuple(m) == MISSED_KEYS for m in card.missed)
    assert all(tuple(f) == FALSE_KEYS for f in card.false_letdowns)
    first, second = card.missed
    assert first["session"] == "few-905" and first["bottle"] == 1
    assert (first["t_s"], first["at"]) == (round(o1, 1), "hand_pressure")
    assert (first["late_path"], first["late_s"]) == ("floor", 25.0)
    assert first["size_g"] == round(e1.mass_g(e1.onset_10pct_s + 20.0), 2) > 2.0
    assert (second["at"], second["late_path"], second["late_s"]) == ("clean", None, None)
    assert second["size_g"] < 2.0
    late, stray, control = card.false_letdowns
    assert (late["path"], late["phase"], late["late_find_of_s"]) == ("floor", "massage", o1)
    assert (stray["t_s"], stray["path"], stray["phase"]) == (700.0, "rise", "hand_expression")
    assert stray["late_find_of_s"] is None
    assert (control["session"], control["path"], control["phase"]) == (
        "control-905",
        "slow",
        "idle",
    )
