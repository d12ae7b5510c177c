"""The scenario generator (bench/scenarios.py): contract, determinism, truth, calibration."""

from __future__ import annotations

import math
import statistics
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from pumpmon import trace as trace_mod  # noqa: E402

from bench import scenarios as sc  # noqa: E402


def _cheap(seed, kind, **kw):
    """A low-rate session: the truth does not depend on the rate, and 5 Hz is fast."""
    kw.setdefault("rate_hz", 5)
    return sc.generate(seed, kind, **kw)


def test_same_seed_and_kind_give_the_same_trace_and_truth():
    a = _cheap(4, "many", n_bottles=2, has_accel=True)
    b = _cheap(4, "many", n_bottles=2, has_accel=True)
    c = _cheap(5, "many", n_bottles=2, has_accel=True)
    assert a.csv_text() == b.csv_text()
    assert a.truth.to_dict() == b.truth.to_dict()
    assert a.csv_text() != c.csv_text()


def test_csv_follows_the_trace_contract_with_every_optional_column(tmp_path):
    s = sc.generate(2, "few", rate_hz=20, n_bottles=2, has_accel=True, duration_s=300.0)
    path = s.to_csv(tmp_path / "t.csv")
    header = path.read_text().splitlines()[0]
    assert header == "t_s,weight_g,weight2_g,ax_g,ay_g,az_g"
    tr = trace_mod.read_csv(path)  # the host's own contract checks: raises on violations
    assert tr.channels == 2 and tr.accel_mgee is not None
    steps = [b - a for a, b in zip(tr.t_ms, tr.t_ms[1:])]
    assert min(steps) >= 10  # 20 Hz: 50 ms (gaps make some steps longer)
    assert statistics.median(steps) == 50


def test_csv_without_second_bottle_or_accelerometer_has_only_the_required_columns(tmp_path):
    s = _cheap(1, "few", n_bottles=1, has_accel=False, duration_s=120.0)
    assert s.csv_text().splitlines()[0] == "t_s,weight_g"


@pytest.mark.parametrize("kind", sc.PHENOTYPES)
def test_true_volume_is_the_integral_of_true_flow_over_milk_density(kind):
    s = _cheap(3, kind, n_bottles=1)
    b = s.breasts[0]
    t_end = s.t_s[-1]
    step = 0.05
    integral = sum(b.flow_g_s((i + 0.5) * step) * step for i in range(int(t_end / step)))
    assert s.truth.volume_ml[0] == pytest.approx(integral / sc.MILK_DENSITY_G_ML, rel=0.01)
    assert s.truth.total_volume_ml == pytest.approx(sum(s.truth.volume_ml), abs=0.01)


def test_a_letdown_onset_is_where_that_ejections_flow_passes_10_percent_of_its_peak():
    # issue 12, point 5: latency is measured from there; the rise began 0.205 x rise earlier
    s = _cheap(2, "many", n_bottles=1)
    onsets = s.truth.onsets_s[0]
    assert len(onsets) >= 5
    for e in s.breasts[0].ejections:
        t = e.onset_10pct_s
        assert round(t, 2) in onsets
        assert e.flow_g_s(t - 0.05) < 0.1 * e.peak_g_s < e.flow_g_s(t + 0.05)
        assert t - e.onset_s == pytest.approx(0.2048 * e.rise_s, abs=0.001)
        assert e.flow_g_s(e.onset_s - 0.1) == 0.0


def test_a_taper_is_where_smoothed_flow_falls_below_0_1_g_s_after_high_flow():
    s = _cheap(1, "few", n_bottles=1)
    b = s.breasts[0]
    tapers = s.truth.tapers_s[0]
    assert tapers
    for t in tapers:
        assert b.flow_g_s(t - 6.0) >= sc.HIGH_FLOW_G_S * 0.95
        assert b.flow_g_s(t + 6.0) < sc.HIGH_FLOW_G_S


def test_continuous_flow_has_no_taper_between_its_ejections():
    for seed in range(1, 4):
        s = _cheap(seed, "continuous", n_bottles=1)
        first, last = s.truth.onsets_s[0][0], s.truth.onsets_s[0][-1]
        assert not [t for t in s.truth.tapers_s[0] if first + 30 < t < last], seed


def test_late_ejection_comes_at_least_3_minutes_after_flow_stopped():
    for seed in range(1, 5):
        s = _cheap(seed, "late_me", n_bottles=1)
        late = s.truth.onsets_s[0][-1]
        before = [t for t in s.truth.tapers_s[0] if t < late]
        assert before and late - before[-1] >= 180.0, seed


def test_phenotype_ejection_counts_follow_their_definitions():
    for seed in range(1, 6):
        assert len(_cheap(seed, "few", n_bottles=1).truth.onsets_s[0]) <= 4
        assert len(_cheap(seed, "many", n_bottles=1).truth.onsets_s[0]) >= 5
        assert 2 <= len(_cheap(seed, "late_lactation", n_bottles=1).truth.onsets_s[0]) <= 5
        assert _cheap(seed, "low_volume", n_bottles=1).truth.volume_ml[0] < 25.0


def test_first_ejection_carries_about_41_to_47_percent_of_the_volume():
    shares = []
    for seed in range(1, 30):
        s = _cheap(seed, ("few", "many", "late_lactation")[seed % 3], n_bottles=1)
        masses = [e.mass_g(1e6) for e in s.breasts[0].ejections]
        if len(masses) >= 3:
            shares.append(masses[0] / sum(masses))
    assert len(shares) >= 10
    # drawn in 41-47 %; clipping of peak and decay to physiological ranges moves it a little
    assert 0.40 <= statistics.median(shares) <= 0.48
    assert min(shares) >= 0.3 and max(shares) <= 0.6


def test_mothers_draw_peak_flow_and_volume_near_the_published_figures():
    peaks, volumes, counts = [], [], []
    for seed in range(1, 41):
        s = _cheap(seed, ("few", "many")[seed % 2], n_bottles=1, duration_s=900.0)
        peaks.append(max(e.peak_g_s for e in s.breasts[0].ejections))
        volumes.append(s.truth.volume_ml[0] * sc.MILK_DENSITY_G_ML)
        counts.append(len(s.truth.onsets_s[0]))
    assert 0.3 <= statistics.mean(peaks) <= 0.75  # 0.5 +- 0.2 g/s (first ME the largest)
    assert 40.0 <= statistics.mean(volumes) <= 100.0  # 69.8 +- 42.5 g per breast
    assert 3.0 <= statistics.mean(counts) <= 7.0  # 4.2 +- 2.0 per 15 min


def test_second_bottle_shares_nearly_all_onsets_with_the_first():
    shared = total = 0
    for seed in range(1, 8):
        s = _cheap(seed, "many", n_bottles=2)
        o1, o2 = s.truth.onsets_s
        total += len(o2)
        shared += sum(1 for t in o2 if any(abs(t - u) <= 4.0 for u in o1))
    assert shared / total >= 0.9


def test_no_milk_sessions_have_no_truth_events_but_every_artifact():
    for seed in range(1, 5):
        s = _cheap(seed, "control", n_bottles=1)
        assert s.truth.phenotype == "no_milk"
        assert s.truth.onsets_s == [[]] and s.truth.tapers_s == [[]]
        assert s.truth.total_volume_ml == 0.0
        kinds = {a["kind"] for a in s.truth.artifacts}
        assert {"walk", "tilt", "gap", "hand_pressure"} <= kinds
        assert max(abs(w) for w in s.weight_g[0]) > 3.0  # spikes / tilt / walking show


def test_tilt_lowers_the_reading_by_bottle_plus_milk_times_one_minus_cos():
    s = sc.generate(1, "control", rate_hz=20, n_bottles=1, has_accel=True)
    bottle_g = s.params["bottle_g"][0]
    checked = 0
    for a in s.truth.artifacts:
        if a["kind"] != "tilt" or a["end_s"] - a["start_s"] < 6:
            continue
        others = [
            o
            for o in s.truth.artifacts
            if o is not a and o["start_s"] < a["end_s"] + 5 and o["end_s"] > a["start_s"] - 5
        ]
        if others:
            continue
        mid = [w for t, w in zip(s.t_s, s.weight_g[0]) if a["start_s"] + 2 < t < a["end_s"] - 2]
        pre = [w for t, w in zip(s.t_s, s.weight_g[0]) if a["start_s"] - 4 < t < a["start_s"]]
        drop = statistics.median(pre) - statistics.median(mid)
        expected = bottle_g * (1 - math.cos(math.radians(a["angle_deg"])))
        assert drop == pytest.approx(expected, abs=1.5)
        # and the accelerometer's gravity vector turned by the same angle
        az = [z for t, z in zip(s.t_s, s.accel_g[2]) if a["start_s"] + 2 < t < a["end_s"] - 2]
        assert statistics.median(az) == pytest.approx(
            math.cos(math.radians(a["angle_deg"])), abs=0.03
        )
        checked += 1
    assert checked, "no isolated tilt in this session: pick another seed"


def test_bench_set_is_fixed_and_covers_rates_bottles_accelerometer_and_lengths():
    entries = sc.bench_set()
    assert entries == sc.bench_set()
    milk = [e for e in entries if e["kind"] != "control"]
    control = [e for e in entries if e["kind"] == "control"]
    assert len(milk) >= 40 and len(control) >= 8
    assert {e["kind"] for e in milk} == set(sc.PHENOTYPES)
    assert {e["rate_hz"] for e in entries} == set(sc.RATES_HZ)
    assert {e["n_bottles"] for e in entries} == {1, 2}
    assert {e["has_accel"] for e in entries} == {True, False}
    assert any(900.0 <= e["duration_s"] <= 1200.0 for e in entries)
    assert len({(e["kind"], e["seed"]) for e in entries}) == len(entries)


def test_unknown_kind_is_refused_with_the_valid_kinds_named():
    with pytest.raises(ValueError, match="few"):
        sc.generate(1, "sometimes")


def test_held_presses_change_only_the_presses():
    # the same session with compressions held 2-6 s instead of strokes: the same truth,
    # artifacts and samples everywhere but inside the hand pressure, where a held compression
    # keeps its level for seconds (a stroke never holds: sin^2)
    a = sc.generate(1, "control", rate_hz=10, n_bottles=1, has_accel=False)
    b = sc.generate(1, "control", rate_hz=10, n_bottles=1, has_accel=False, press_style="held")
    assert a.truth == b.truth and a.t_s == b.t_s
    presses = [x for x in a.truth.artifacts if x["kind"] == "hand_pressure"]
    assert presses

    def pressed(t):
        return any(p["start_s"] <= t < p["end_s"] for p in presses)

    outside = [(u, v) for t, u, v in zip(a.t_s, a.weight_g[0], b.weight_g[0]) if not pressed(t)]
    assert outside and all(u == v for u, v in outside)
    assert any(u != v for t, u, v in zip(a.t_s, a.weight_g[0], b.weight_g[0]) if pressed(t))
    # the held style's own addition: flat tops of 2 s or more, at the compression's peak
    comps = sc._held_compressions(
        [(p["start_s"], p["end_s"], 0, 4.0, 5.0) for p in presses], "control", 1
    )
    for (start, rise, hold, _fall, peak), t in ((c, c[0] + c[1] + 0.1) for c in comps[0]):
        assert 2.0 <= hold <= 6.0 and 0.4 <= rise <= 1.0
        assert sc._held_g(comps[0], t) == peak == sc._held_g(comps[0], start + rise + hold - 0.1)


def test_pulsed_flow_delivers_the_same_milk_once_per_pump_cycle():
    # the same session with milk arriving through the valve: the same truth (onsets, tapers)
    # and the same samples before the first ejection; after it, the bottle's milk rises in
    # steps (one per pump cycle, ~1 s apart) and never runs ahead of the breast's
    a = sc.generate(101, "few", rate_hz=20, n_bottles=1, has_accel=False)
    b = sc.generate(101, "few", rate_hz=20, n_bottles=1, has_accel=False, flow_style="pulsed")
    assert a.truth.onsets_s == b.truth.onsets_s and a.truth.tapers_s == b.truth.tapers_s
    onset = a.truth.onsets_s[0][0]
    before = [(u, v) for t, u, v in zip(a.t_s, a.weight_g[0], b.weight_g[0]) if t < onset]
    assert before and all(u == v for u, v in before)
    assert abs(a.truth.volume_ml[0] - b.truth.volume_ml[0]) < 0.2
    breast = a.breasts[0]
    lag, drain = sc._pulse_params("few", 101)
    assert 0.5 <= lag <= 1.5 and 0.15 <= drain <= 0.4
    hz = 1.0  # one cycle a second: the steps are flat between drains

    def milk(t):
        return sc._pulsed_mass_g(breast, t, lambda u: hz * u, lambda c: c / hz, lag, drain)

    t0 = onset + 20.0
    steps = [milk(t0 + i / 20) for i in range(200)]
    assert all(m <= breast.mass_g(t0 + i / 20) + 1e-9 for i, m in enumerate(steps))
    flat = sum(1 for x, y in zip(steps, steps[1:]) if y == x)
    assert flat > 100  # most of each cycle nothing arrives ...
    # ... yet all of it does, at most a cycle and the valve's lag late
    assert all(m >= breast.mass_g(t0 + i / 20 - lag - 1) for i, m in enumerate(steps))


@pytest.mark.parametrize("style, share", [("fast", 0.25), ("slow", 2.0)])
def test_faster_or_slower_ejections_change_only_their_rise(style, share):
    # `bench --seeds N --rise fast|slow`: the same session with every ejection's rise scaled,
    # its start, peak flow and decay kept; the truth follows the new flow (the onset where it
    # passes 10 % of the peak, the milk peak x (rise / 2 + tau)), and so do the presses
    # (massage follows the tapers, and the samples' noise is drawn after them); the walks,
    # tilts, sensor and pump stay
    kw = dict(rate_hz=10, n_bottles=2, has_accel=False)
    a = sc.generate(103, "many", **kw)
    b = sc.generate(103, "many", rise_style=style, **kw)

    def walks_and_tilts(s):
        return [x for x in s.truth.artifacts if x["kind"] in ("walk", "tilt")]

    assert walks_and_tilts(a) == walks_and_tilts(b) != [] and a.t_s == b.t_s
    for ba, bb in zip(a.breasts, b.breasts):
        assert len(ba.ejections) == len(bb.ejections) >= 2
        for ea, eb in zip(ba.ejections, bb.ejections):
            assert (ea.onset_s, ea.peak_g_s, ea.tau_s) == (eb.onset_s, eb.peak_g_s, eb.tau_s)
            assert eb.rise_s == pytest.approx(ea.rise_s * share)
            milk = eb.peak_g_s * (eb.rise_s / 2 + eb.tau_s)
            assert eb.mass_g(eb.onset_s + eb.rise_s + 50 * eb.tau_s) == pytest.approx(milk)
    assert b.truth.onsets_s == [
        [round(e.onset_10pct_s, 2) for e in br.ejections if e.onset_10pct_s <= b.t_s[-1]]
        for br in b.breasts
    ]
    got = [e[1] for e in b.params["ejections"]]
    assert got == [round(e.rise_s, 2) for e in b.breasts[0].ejections]
    assert (max(got) < 6.3) if style == "fast" else (min(got) > 15.9)
    # the sensor's and the pump's draws are the same too
    for key in ("noise_g", "drift_g", "ripple_g", "bottle_g", "expression_pump_hz"):
        assert a.params[key] == b.params[key]


def test_a_wider_gait_changes_only_the_walks():
    # `bench --seeds N --gait wide`: the same draws, so the same truth and, outside the walks,
    # the same samples; inside them the steps come at another rate (1.5-2.5 Hz, not 1.7-2.2)
    kw = dict(rate_hz=20, n_bottles=1, has_accel=True, duration_s=600.0)
    a = sc.generate(100, "control", **kw)
    b = sc.generate(100, "control", gait_style="wide", **kw)
    assert a.truth.to_dict() == b.truth.to_dict() and a.params == b.params
    walks = [(x["start_s"], x["end_s"]) for x in a.truth.artifacts if x["kind"] == "walk"]
    assert walks
    inside = [any(s - 1.0 <= t <= e + 1.0 for s, e in walks) for t in a.t_s]
    pairs = list(zip(inside, a.weight_g[0], b.weight_g[0], a.accel_g[2], b.accel_g[2]))
    assert all(u == v and p == q for w, u, v, p, q in pairs if not w)
    assert sum(1 for w, u, v, p, q in pairs if w and p != q) > 100


def test_another_noise_draw_is_the_same_session_with_fresh_sensor_noise():
    # `bench --draw K`: the mother, the pump, the walks, tilts and presses and the truth are
    # the same; the samples' noise, spikes and the ripple's phase are drawn afresh
    kw = dict(rate_hz=10, n_bottles=2, has_accel=True, duration_s=600.0)
    a = sc.generate(100, "many", **kw)
    assert sc.generate(100, "many", noise_draw=0, **kw).weight_g == a.weight_g
    b = sc.generate(100, "many", noise_draw=1, **kw)
    c = sc.generate(100, "many", noise_draw=2, **kw)
    assert a.truth.to_dict() == b.truth.to_dict() == c.truth.to_dict()
    assert a.params == b.params and a.t_s == b.t_s
    for x in (b, c):
        for ch in range(2):
            d = sorted(u - v for u, v in zip(x.weight_g[ch], a.weight_g[ch]))
            # every sample's noise is new, and no level moved: the milk is the same (the mean
            # without the spikes' 1 % at each end; the ripple's shape skews the median)
            assert sum(1 for v in d if v == 0.0) < len(d) // 100
            core = d[len(d) // 100 : -len(d) // 100]
            assert abs(sum(core) / len(core)) < 0.05
        assert x.accel_g[2] != a.accel_g[2]
    assert b.weight_g != c.weight_g


def test_a_negative_noise_draw_is_refused():
    with pytest.raises(ValueError, match="noise_draw -1"):
        sc.generate(1, "few", noise_draw=-1)


def test_unknown_rise_style_is_refused_with_the_styles_named():
    with pytest.raises(ValueError, match="fast, slow"):
        sc.generate(1, "few", rise_style="sudden")


def test_a_stronger_pump_ripple_changes_nothing_but_the_ripple():
    # the same session with the ripple doubled: the same truth and draws, and every sample
    # moved by the ripple's own term once more (during stimulation the pump runs at 2 Hz)
    a = sc.generate(102, "few", rate_hz=10, n_bottles=2, has_accel=False, duration_s=240.0)
    b = sc.generate(
        102, "few", rate_hz=10, n_bottles=2, has_accel=False, duration_s=240.0, ripple_scale=2
    )
    assert a.truth.to_dict() == b.truth.to_dict() and a.t_s == b.t_s
    ripple_a = a.params.pop("ripple_g")
    assert b.params.pop("ripple_g") == [round(2 * g, 2) for g in ripple_a]
    assert a.params == b.params
    for ch in range(2):
        for t, u, v in zip(a.t_s, a.weight_g[ch], b.weight_g[ch]):
            if t >= 120.0:
                break
            ph = 2 * math.pi * 2.0 * t
            once_more = v - u
            # ripple_a is rounded to 10 mg in the parameters: the term is known to that
            assert abs(once_more - ripple_a[ch] * (math.sin(ph) + 0.25 * math.sin(2 * ph))) < 0.01


def test_noisier_cells_change_nothing_but_each_sample_s_own_noise():
    # `bench --seeds N --noise X`: the same truth and draws, and each sample's noise term x X,
    # so the step from x 1 to x 1.5 is half the step from x 1 to x 2, sample by sample
    kw = dict(rate_hz=10, n_bottles=2, has_accel=True, duration_s=240.0)
    a = sc.generate(102, "few", **kw)
    b = sc.generate(102, "few", noise_scale=1.5, **kw)
    c = sc.generate(102, "few", noise_scale=2, **kw)
    noise_a = a.params.pop("noise_g")
    for s, x in ((b, 1.5), (c, 2)):
        # (the parameters keep the noise rounded to 1 mg)
        assert all(abs(n - x * g) < 0.002 for n, g in zip(s.params.pop("noise_g"), noise_a))
        assert s.truth.to_dict() == a.truth.to_dict() and s.t_s == a.t_s
        assert s.params == a.params and s.accel_g == a.accel_g
    for ch in range(2):
        steps = [(v - u, w - u) for u, v, w in zip(a.weight_g[ch], b.weight_g[ch], c.weight_g[ch])]
        assert all(abs(2 * half - whole) < 1e-6 for half, whole in steps)
        # and that step is the noise itself: its spread is the drawn noise's (0.15-0.35 g)
        spread = statistics.pstdev(whole for _, whole in steps)
        assert 0.1 < spread < 0.4


def test_unknown_noise_scale_is_refused_with_the_scales_named():
    with pytest.raises(ValueError, match="1, 1.5, 2"):
        sc.generate(1, "few", noise_scale=3)


def test_a_session_without_its_ripple_loses_only_the_ripple():
    # `bench --seeds N --ripple 0` (what the ripple costs): the same truth and draws, and every
    # sample less the ripple's own term (during stimulation the pump runs at 2 Hz)
    kw = dict(rate_hz=10, n_bottles=2, has_accel=False, duration_s=240.0)
    a = sc.generate(102, "few", **kw)
    b = sc.generate(102, "few", ripple_scale=0, **kw)
    assert a.truth.to_dict() == b.truth.to_dict() and a.t_s == b.t_s
    ripple_a = a.params.pop("ripple_g")
    assert b.params.pop("ripple_g") == [0.0, 0.0] and min(ripple_a) >= 0.2
    assert a.params == b.params
    for ch in range(2):
        n = 0
        for t, u, v in zip(a.t_s, a.weight_g[ch], b.weight_g[ch]):
            if t >= 120.0:
                break
            ph = 2 * math.pi * 2.0 * t
            term = ripple_a[ch] * (math.sin(ph) + 0.25 * math.sin(2 * ph))
            assert abs((u - v) - term) < 0.01
            n += 1
        assert n > 1000


def test_a_session_without_its_disturbances_keeps_its_truth_and_noise_and_loses_only_them():
    # `bench --without press,walk,tilt`: the same draws, so the same truth (artifacts included:
    # the motion / clean split names the same onsets) and the same noise; each cell differs
    # only inside a press on its own bottle (a hand only adds weight), a walk or a tilt
    kw = dict(rate_hz=10, n_bottles=2, has_accel=True, duration_s=900.0)
    a = sc.generate(104, "many", **kw)
    b = sc.generate(104, "many", without=("press",), **kw)
    c = sc.generate(104, "many", without=("press", "walk", "tilt"), **kw)
    assert a.truth.to_dict() == b.truth.to_dict() == c.truth.to_dict() and a.t_s == c.t_s
    assert a.params == b.params == c.params
    arts = a.truth.artifacts
    presses = [x for x in arts if x["kind"] == "hand_pressure"]
    moves = [x for x in arts if x["kind"] in ("walk", "tilt")]
    assert presses and moves  # the case needs both kinds

    def inside(t, kinds, ch):
        return any(
            x["start_s"] <= t <= x["end_s"] and x["channel"] in (0, ch + 1)
            for x in arts
            if x["kind"] in kinds
        )

    for ch in range(2):
        pressed = 0.0
        for t, u, v, w in zip(a.t_s, a.weight_g[ch], b.weight_g[ch], c.weight_g[ch]):
            if not inside(t, ("hand_pressure",), ch):
                assert u == v, (ch, t)
            else:
                assert u - v >= -1e-9, (ch, t)  # the hand's grams, never fewer
                pressed = max(pressed, u - v)
            if not inside(t, ("hand_pressure", "walk", "tilt"), ch):
                assert u == w, (ch, t)
        assert pressed > 0.5 or not any(x["channel"] == ch + 1 for x in presses)


def test_unknown_disturbance_is_refused_with_the_kinds_named():
    with pytest.raises(ValueError, match="press, walk, tilt"):
        sc.generate(1, "few", without=("knock",))


def test_unknown_ripple_scale_is_refused_with_the_scales_named():
    with pytest.raises(ValueError, match="1, 2, 3"):
        sc.generate(1, "few", ripple_scale=10)


def test_unknown_gait_style_is_refused_with_the_styles_named():
    with pytest.raises(ValueError, match="usual, wide"):
        sc.generate(1, "few", gait_style="run")


def test_unknown_flow_style_is_refused_with_the_styles_named():
    with pytest.raises(ValueError, match="pulsed"):
        sc.generate(1, "few", flow_style="dripping")


def test_unknown_press_style_is_refused_with_the_styles_named():
    with pytest.raises(ValueError, match="held"):
        sc.generate(1, "few", press_style="kneaded")
