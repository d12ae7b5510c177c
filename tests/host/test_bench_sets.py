"""bench/sets.py: issue 12's lines set by set, the totals, what moved, and bad arguments."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pumpmon.unixport import REPO

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench_testing import GOOD, refusal  # noqa: E402

from bench import sets  # noqa: E402


def _session(onsets, letdowns):
    return {"truth": {"onsets_s": onsets}, "firmware": {"letdowns_s": letdowns}}


def test_lines_missed_names_each_line_a_set_misses():
    assert sets.lines_missed(GOOD) == []
    for key, value, name in (
        ("me_f1", 0.94, "f1"),
        ("me_recall_motion", 0.89, "motion"),
        ("wrong_cues_per_session", 0.056, "cues"),
        ("control_false_per_session", 0.17, "no_milk"),
        ("taper_f1", 0.899, "taper_f1"),
        ("taper_false_motion", 1, "taper_flow"),
        ("volume_err_max_ml", 2.1, "volume"),
        ("me_latency_med_s", 7.5, "lat_med"),  # the 0.5-g floor's 5.4 + 2
        ("me_latency_p90_s", 12.6, "lat_p90"),  # 9.5 + 3
        ("me_f1", None, "f1"),  # a figure the run did not give is not a line held
    ):
        assert sets.lines_missed(dict(GOOD, **{key: value})) == [name], key
    # recall under motion also needs 0.9 x the clean recall
    assert sets.lines_missed(dict(GOOD, me_recall_motion=0.90, me_recall_clean=1.0)) == []
    assert "motion" in sets.lines_missed(dict(GOOD, me_recall_motion=0.91, me_recall_clean=1.02))


def test_count_letdowns_scores_as_the_f1_does():
    got = sets.count_letdowns(
        [
            _session([[100.0, 300.0], [101.0]], [[105.0, 325.0], [100.0]]),  # 325: 25 s late
            _session([[]], [[400.0]]),  # no milk: a false letdown
        ]
    )
    assert got == {"onsets": 3, "onsets_missed": 1, "letdowns_false": 2}


def _runner(figures_by_set):
    def run(name, out, jobs, tree, draw):
        f = figures_by_set.get(name)
        if f is None:
            return None, "exit status 1 (see %s)" % (out / (name + ".log"))
        return sets.set_figures(f, [_session([[100.0]], [[104.0]])]), ""

    return run


def test_a_failed_set_does_not_stop_the_others_and_the_exit_status_says_so(tmp_path, capsys):
    code = sets.main(
        ["--sets", "fixed,100,200", "--out", str(tmp_path)],
        runner=_runner({"fixed": GOOD, "200": dict(GOOD, me_f1=0.90)}),
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "100        FAILED: exit status 1" in out
    rows = {line.split()[0]: line for line in out.splitlines()[2:6] if line.strip()}
    assert rows["fixed"].rstrip().endswith("none")
    assert rows["200"].rstrip().endswith("f1")
    saved = json.loads((tmp_path / "sets.json").read_text())
    assert sorted(saved["sets"]) == ["200", "fixed"] and "100" in saved["failed"]
    assert saved["totals"]["sets"] == 2 and saved["totals"]["onsets_missed"] == 0
    assert json.loads(out.strip().splitlines()[-1]) == saved


def test_baseline_lists_every_figure_that_moved(tmp_path, capsys):
    first = tmp_path / "a"
    sets.main(["--sets", "fixed", "--out", str(first)], runner=_runner({"fixed": GOOD}))
    capsys.readouterr()
    base = str(first / "sets.json")
    sets.main(
        ["--sets", "fixed", "--out", str(tmp_path / "b"), "--baseline", base],
        runner=_runner({"fixed": GOOD}),
    )
    assert "moved since the baseline (0 figures, over fixed)" in capsys.readouterr().out
    sets.main(
        ["--sets", "fixed", "--out", str(tmp_path / "c"), "--baseline", base],
        runner=_runner({"fixed": dict(GOOD, wrong_cues_per_session=0.06, wrong_cues_massage=3)}),
    )
    out = capsys.readouterr().out
    assert "fixed     wrong_cues_per_session     0.030 -> 0.060" in out
    assert "fixed     wrong_cues                 0 -> 3" in out
    assert "totals    wrong_cues                 0 -> 3" in out
    # a set the baseline did not run (bench.sets gained three in round 48) is named as such
    sets.main(
        ["--sets", "fixed,slow", "--out", str(tmp_path / "d"), "--baseline", base],
        runner=_runner({"fixed": GOOD, "slow": GOOD}),
    )
    out = capsys.readouterr().out
    assert "(0 figures, over fixed; not in the baseline: slow)" in out


def test_the_totals_add_up_the_letdowns_by_path_and_a_path_that_moved_shows_by_itself(
    tmp_path, capsys
):
    # the closing JSON gives the onsets found by path (me_latency_by_path's n) and the false
    # letdowns by path; the totals add them over the sets, and a baseline names the path
    def closing(false_floor):
        paths = {"rise": {"n": 20}, "floor": {"n": 3}}
        return dict(
            GOOD,
            me_latency_by_path=paths,
            letdowns_false_by_path={"floor": false_floor, "milk": 1},
            me_late_finds=false_floor,
        )

    first = tmp_path / "a"
    sets.main(
        ["--sets", "fixed,100", "--out", str(first)],
        runner=_runner({"fixed": closing(2), "100": closing(1)}),
    )
    out = capsys.readouterr().out
    saved = json.loads((first / "sets.json").read_text())
    assert saved["totals"]["letdowns_found_by_path"] == {"rise": 40, "floor": 6}
    assert saved["totals"]["letdowns_false_by_path"] == {"floor": 3, "milk": 2}
    assert "onsets found rise 40, floor 6; false letdowns floor 3, milk 2" in out
    assert saved["totals"]["late_finds"] == 3
    assert "(3 of them found late, a false letdown each)" in out
    sets.main(
        [
            "--sets",
            "fixed,100",
            "--out",
            str(tmp_path / "b"),
            "--baseline",
            str(first / "sets.json"),
        ],
        runner=_runner({"fixed": closing(0), "100": closing(1)}),
    )
    out = capsys.readouterr().out
    assert "fixed     letdowns_false_by_path.floor 2 -> 0" in out
    assert "totals    letdowns_false_by_path.floor 3 -> 1" in out
    assert "totals    late_finds                 3 -> 1" in out
    assert "letdowns_false_by_path.milk" not in out  # unchanged: not listed


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--sets", "fixed,800"], "give some of fixed, 100"),
        (["--baseline", "/nonexistent/sets.json"], "cannot read /nonexistent/sets.json"),
    ],
)
def test_bad_arguments_stop_before_any_run_with_a_message(argv, says, capsys):
    assert says in refusal(sets.main, argv, capsys)


def test_a_baseline_that_is_not_a_sets_file_is_refused(tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"me_f1": 0.9}))  # a bench closing line, not sets.json
    with pytest.raises(SystemExit):
        sets.main(["--baseline", str(bad)], runner=lambda *a: None)
    assert "has no per-set figures" in capsys.readouterr().err


def test_against_a_baseline_of_more_sets_only_the_sets_both_ran_are_compared(tmp_path, capsys):
    first = tmp_path / "a"
    two = {"fixed": GOOD, "100": dict(GOOD, wrong_cues_massage=2)}
    sets.main(["--sets", "fixed,100", "--out", str(first)], runner=_runner(two))
    capsys.readouterr()
    sets.main(
        ["--sets", "fixed", "--out", str(tmp_path / "b"), "--baseline", str(first / "sets.json")],
        runner=_runner({"fixed": GOOD}),
    )
    # the totals over fixed alone did not move, though the baseline's were over two sets
    assert "moved since the baseline (0 figures, over fixed)" in capsys.readouterr().out


def test_tree_must_be_a_checkout_and_its_code_is_what_runs(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        sets.main(["--tree", str(tmp_path)], runner=lambda *a: None)
    assert e.value.code == 2
    assert "is not a checkout of this repository (no bench/__main__.py" in capsys.readouterr().err
    seen = []

    def run(name, out, jobs, tree, draw):
        seen.append(tree)
        return sets.set_figures(GOOD, []), ""

    sets.main(["--sets", "fixed", "--out", str(tmp_path / "o"), "--tree", str(REPO)], runner=run)
    assert seen == [REPO.resolve()]


def test_a_run_into_the_same_folder_keeps_the_one_before_as_previous(tmp_path, capsys):
    out = tmp_path / "o"
    sets.main(["--sets", "fixed", "--out", str(out)], runner=_runner({"fixed": GOOD}))
    first = (out / "sets.json").read_text()
    sets.main(
        ["--sets", "fixed", "--out", str(out), "--baseline", str(out / "sets.json")],
        runner=_runner({"fixed": dict(GOOD, me_f1=0.90)}),
    )
    assert (out / "sets.previous.json").read_text() == first
    assert json.loads((out / "sets.json").read_text())["sets"]["fixed"]["me_f1"] == 0.90


def test_every_set_runs_at_the_draw_given_and_a_baseline_of_another_draw_says_so(
    tmp_path, capsys, monkeypatch
):
    draws = []

    def run(name, out, jobs, tree, draw):
        draws.append((name, draw))
        return sets.set_figures(GOOD, [_session([[100.0]], [[104.0]])]), ""

    sets.main(["--sets", "fixed,100", "--out", str(tmp_path / "a")], runner=run)
    sets.main(
        [
            "--sets",
            "fixed,100",
            "--draw",
            "2",
            "--out",
            str(tmp_path / "b"),
            "--baseline",
            str(tmp_path / "a" / "sets.json"),
        ],
        runner=run,
    )
    assert draws == [("fixed", 0), ("100", 0), ("fixed", 2), ("100", 2)]
    out = capsys.readouterr().out
    assert "noise draw 2 against the baseline's 0" in out
    assert "bench.sets --sets fixed,100 --draw 2" in out
    assert json.loads((tmp_path / "b" / "sets.json").read_text())["draw"] == 2
    # the subprocess each set runs in is given the draw: `bench ... --draw 2`
    calls = []

    def fake_run(cmd, **kw):
        calls.append(cmd)
        raise subprocess.TimeoutExpired(cmd, 1)

    monkeypatch.setattr(sets.subprocess, "run", fake_run)
    sets.run_set("100", tmp_path / "c", 1, draw=2)
    sets.run_set("100", tmp_path / "c", 1)
    assert calls[0][-2:] == ["--draw", "2"] and "--draw" not in calls[1]
    with pytest.raises(SystemExit):
        sets.main(["--draw", "-1"], runner=run)
    assert "give 0 (the sets' own noise) or a draw 1, 2" in capsys.readouterr().err
