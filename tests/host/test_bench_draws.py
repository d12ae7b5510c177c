"""bench/draws.py: the four sets at several noise draws, each figure's spread, a change beside
another checkout on the same draws, and bad arguments."""

from __future__ import annotations

import json
import sys

import pytest
from pumpmon.unixport import REPO

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench_testing import GOOD, refusal  # noqa: E402

from bench import draws, sets  # noqa: E402


def _onsets(missed):
    """One session of 10 onsets on one bottle, `missed` of them with no letdown."""
    onsets = [100.0 * (i + 1) for i in range(10)]
    return [{"truth": {"onsets_s": [onsets]}, "firmware": {"letdowns_s": [onsets[missed:]]}}]


def _runner(closing, seen=None, fail=()):
    """A fake bench.sets runner: closing(tree, name, draw) -> (closing JSON, onsets missed)."""

    def run(name, out, jobs, tree, draw):
        if seen is not None:
            seen.append((tree, name, draw, out))
        if (name, draw) in fail:
            return None, "exit status 1 (see %s)" % (out / (name + ".log"))
        figures, missed = closing(tree, name, draw)
        return sets.set_figures(figures, _onsets(missed)), ""

    return run


def test_each_set_runs_at_each_draw_and_a_figure_shows_draw_0_beside_the_others(tmp_path, capsys):
    seen = []
    f1 = {0: 0.95, 1: 0.92, 2: 0.90, 3: 0.94}
    code = draws.main(
        ["--sets", "fixed,100", "--out", str(tmp_path)],
        runner=_runner(lambda tree, name, k: (dict(GOOD, me_f1=f1[k]), k), seen),
    )
    out = capsys.readouterr().out
    assert code == 0
    assert [(name, k) for _, name, k, _ in seen] == [
        (name, k) for k in (0, 1, 2, 3) for name in ("fixed", "100")
    ]
    assert {tree for tree, *_ in seen} == {REPO}
    assert seen[-1][3] == tmp_path / "tree" / "draw-3"
    # draw 0's F1, then the other three draws' mean and range
    row = next(line for line in out.splitlines() if "letdown F1" in line)
    assert row.split()[2:] == ["0.950", "|", "0.920", "(0.900-0.940)"] * 2
    # the F1 line (0.95) holds on draw 0 only
    assert "fixed  f1 3/4" in out
    # the onsets missed over the two sets, by draw
    counts = json.loads((tmp_path / "draws.json").read_text())["counts"]["tree"]
    assert [counts[str(k)]["onsets_missed"] for k in range(4)] == [0, 2, 4, 6]
    closing = json.loads(out.strip().splitlines()[-1])
    assert closing["draws"] == [0, 1, 2, 3] and closing["counts"]["tree"] == counts
    assert "runs" not in closing and closing["runs_in"] == str(tmp_path / "draws.json")


def test_against_another_checkout_the_same_draws_are_paired_and_weighed_against_its_spread(
    tmp_path, capsys
):
    other = tmp_path / "main"  # a checkout, as far as --against checks one
    (other / "bench").mkdir(parents=True)
    (other / "bench" / "__main__.py").write_text("")
    (other / "firmware" / "pipeline").mkdir(parents=True)
    (other / "host_tools" / "pumpmon").mkdir(parents=True)
    # the checkout weighed misses one onset fewer than the other on draws 4 and 5, one more
    # on draw 6; the other's own count runs 3, 6, 9 over the draws
    base = {4: 3, 5: 6, 6: 9}
    new = {4: 2, 5: 5, 6: 10}
    seen = []

    def closing(tree, name, k):
        return GOOD, (base if tree == other.resolve() else new)[k]

    draws.main(
        [
            "--draws",
            "4-6",
            "--sets",
            "fixed",
            "--against",
            str(other),
            "--out",
            str(tmp_path / "o"),
        ],
        runner=_runner(closing, seen),
    )
    out = capsys.readouterr().out
    # both run every draw, the other first (its scenarios are then copied for this one)
    assert [(t == REPO, k) for t, _, k, _ in seen] == [
        (False, 4),
        (True, 4),
        (False, 5),
        (True, 5),
        (False, 6),
        (True, 6),
    ]
    assert "3 -> 2 (-1)" in out and "9 -> 10 (+1)" in out
    assert (
        "onsets missed   better on 2 of 3 draws, worse on 1; mean difference -0.33, the "
        "other's spread across draws (sd) 3.00" in out
    )
    paired = json.loads((tmp_path / "o" / "draws.json").read_text())["paired"]
    assert paired["onsets_missed"] == {
        "draws": 3,
        "better": 2,
        "worse": 1,
        "mean_diff": -0.33,
        "against_sd": 3.0,
    }
    assert "--draws 4,5,6 --sets fixed" in out
    assert "each figure by set, the draws' mean (range)" in out  # no draw 0 to set apart


def test_a_failed_run_does_not_stop_the_others_and_the_exit_status_says_so(tmp_path, capsys):
    code = draws.main(
        ["--draws", "0,1", "--sets", "fixed,100", "--out", str(tmp_path)],
        runner=_runner(lambda tree, name, k: (GOOD, 0), fail={("100", 1)}),
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED: tree, set 100, draw 1: exit status 1" in out
    saved = json.loads((tmp_path / "draws.json").read_text())
    # the draw a set failed on has no counts over the sets; the other draw has
    assert list(saved["counts"]["tree"]) == ["0"]
    assert "100    every line held on every draw" in out  # on the one draw it ran


def test_scenarios_the_other_checkout_generated_are_copied_not_generated_again(tmp_path):
    src = tmp_path / "a" / "100"
    (src / "seeds-100-draw-2" / "scenarios").mkdir(parents=True)
    (src / "seeds-100-draw-2" / "scenarios" / "s.csv").write_text("t,w\n")
    (src / "seeds-100-draw-2" / "replay").mkdir()
    dst = tmp_path / "b" / "100"
    draws._share_scenarios(src, dst)
    assert (dst / "seeds-100-draw-2" / "scenarios" / "s.csv").read_text() == "t,w\n"
    assert not (dst / "seeds-100-draw-2" / "replay").exists()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--draws", "1"], "give at least two different draws"),
        (["--draws", "0,0"], "give at least two different draws"),
        (["--draws", "0,x"], "give draws 0, 1, 2, ..."),
        (["--draws", "3-1"], "give draws 0, 1, 2, ..."),
        (["--draws=-1,2"], "give draws 0, 1, 2, ..."),
        (["--draws", "0-99"], "100 draws is more than 12"),
        (["--sets", "fixed,800"], "give some of fixed, 100"),
        (["--against", "/nonexistent"], "is not a checkout of this repository"),
    ],
)
def test_bad_arguments_stop_before_any_run_with_a_message(argv, says, capsys):
    assert says in refusal(draws.main, argv, capsys)
