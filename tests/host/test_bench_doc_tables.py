"""bench/doc_tables.py: detection.md's figure tables from one run of every set."""

from __future__ import annotations

import json
import sys

from pumpmon.unixport import REPO

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench_testing import GOOD  # noqa: E402

from bench import doc_tables  # noqa: E402


def _closing(**over) -> dict:
    f = dict(
        GOOD,
        me_precision=0.97,
        me_recall=0.95,
        bench_sessions_milk=30,
        bench_sessions_no_milk=6,
        me_onsets_motion=80,
        me_onsets_clean=120,
        me_recall_motion_by_disturbance={
            "hand_pressure": {"n": 20, "recall": 0.6},
            "hand_pressure+walk": {"n": 3, "recall": 0.0},
            "hand_pressure+tilt": {"n": 1, "recall": 1.0},
        },
        me_latency_by_path={"rise": {"n": 150, "med_s": 7.1, "beyond_floor_med_s": 1.6}},
        me_late_finds=2,
        me_late_finds_by_path={"floor": 2},
        wrong_cues_massage=1,
    )
    f.update(over)
    return f


def _write(folder, name, closing, stderr="bench: replaying ..."):
    text = "bench: a progress line\n" + (json.dumps(closing) if closing is not None else "")
    (folder / (name + ".log")).write_text(text + "\n--- stderr ---\n" + stderr + "\n")


def test_tables_hold_each_sets_figures_and_bold_only_the_lines_met(tmp_path, capsys):
    _write(tmp_path, "fixed", _closing(me_f1=0.948))
    _write(tmp_path, "100", _closing(me_f1=0.951, wrong_cues_per_session=0.056))
    _write(tmp_path, "ripple3", _closing(volume_err_max_ml=2.2))
    assert doc_tables.main([str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    f1 = next(x for x in lines if x.startswith("| letdown F1"))
    assert f1 == "| letdown F1, -3..+20 s [>= 0.95] | 0.948 | **0.951** |"
    cues = next(x for x in lines if x.startswith("| wrong cues per session"))
    assert cues == "| wrong cues per session [<= 0.05] | **0.030** | 0.056 |"
    # the latency lines against each set's own 0.5-g floor (5.4 + 2, 9.5 + 3)
    assert "| **7.00** / **12.00** |" in next(
        x for x in lines if x.startswith("| letdown latency")
    )
    # a press with a walk or a tilt: the two kinds pooled, 1 of 4 found
    press_plus = next(x for x in lines if x.startswith("| a press and a walk"))
    assert press_plus.endswith("| 0.250 (4) | 0.250 (4) |")
    assert "| `rise` | 150: 7.10 s (+1.60) |" in out
    assert "| late finds (by path) | 2 (floor 2) | 2 (floor 2) |" in out
    assert "| all | **1 in 36 sessions (0.030)** | 1 in 36 sessions (0.056) |" in out
    # every set that ran has its row, the variants too; a worst volume over 2 mL not in bold
    ripple = next(x for x in lines if x.startswith("| seeds 100, ripple x 3 |"))
    assert ripple.endswith("| **0.30** / 2.20 |")
    assert not any(x.startswith("| seeds 200 |") for x in lines)
    assert "no log for 200, 300" in err


def test_a_folder_without_the_sets_logs_is_refused_with_what_to_run(tmp_path, capsys):
    assert doc_tables.main([str(tmp_path)]) == 2
    assert "run `python -m bench.sets --out" in capsys.readouterr().err
    assert doc_tables.main([str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    _write(tmp_path, "fixed", None, stderr="Traceback ...")
    assert doc_tables.main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "fixed.log does not end with the bench's closing JSON" in err
    assert "--sets fixed" in err
