"""bench/misses.py: the missed onsets and false letdowns, set by set, and bad folders."""

from __future__ import annotations

import json
import sys

from pumpmon.unixport import REPO

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import misses  # noqa: E402


def _row(name, phenotype, onsets, missed, false):
    return {
        "name": name,
        "rate_hz": 10,
        "truth": {"phenotype": phenotype, "onsets_s": onsets},
        "missed_onsets": missed,
        "false_letdowns": false,
    }


def _missed(t_s, at, size_g, late_path=None, late_s=None, bottle=1):
    return {
        "bottle": bottle,
        "t_s": t_s,
        "at": at,
        "size_g": size_g,
        "late_path": late_path,
        "late_s": late_s,
    }


def _false(t_s, path, phase, late_find_of_s=None, bottle=1):
    return {
        "bottle": bottle,
        "t_s": t_s,
        "path": path,
        "phase": phase,
        "late_find_of_s": late_find_of_s,
    }


def _write(folder, rows):
    folder.mkdir(parents=True)
    (folder / "detection_sessions.json").write_text(json.dumps(rows))


def test_counts_missed_onsets_late_finds_and_false_letdowns_per_set_and_over_all(tmp_path, capsys):
    # set A: a small onset under a press found late by the floor path (+21 s), a large clean
    # one never found, and that late find's false letdown; set B: a false letdown in a no-milk
    # session and one in massage
    _write(
        tmp_path / "a",
        [
            _row(
                "many-001",
                "many",
                [[100.0, 300.0]],
                [
                    _missed(100.0, "hand_pressure", 1.6, "floor", 21.0),
                    _missed(300.0, "clean", 3.0),
                ],
                [_false(121.0, "floor", "massage", late_find_of_s=100.0)],
            )
        ],
    )
    _write(
        tmp_path / "b" / "seeds-100",
        [
            _row("control-101", "no_milk", [[]], [], [_false(50.0, "slow", "stimulation")]),
            _row("few-101", "few", [[80.0]], [], [_false(400.0, "floor", "massage")]),
        ],
    )
    assert misses.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "== a: 1 sessions, 2 onsets; 2 missed (1 of them found late), 1 false letdowns" in out
    assert "== b/seeds-100: 2 sessions, 1 onsets; 0 missed (0 of them found late)" in out
    assert "== all 2 sets: 3 sessions, 3 onsets; 2 missed (1 of them found late), 3 false" in out
    hand = [ln for ln in out.splitlines() if ln.strip().startswith("hand_pressure")]
    assert hand[0].split() == [
        "hand_pressure",
        "1",
        "(small",
        "1,",
        "2",
        "g",
        "or",
        "more",
        "0,",
        "found",
        "late",
        "1)",
    ]
    floor = [ln.split() for ln in out.splitlines() if ln.strip().startswith("floor")]
    assert floor[0] == ["floor", "1", "(1", "/", "0", "/", "0", "/", "0)"]  # late, 20-22 s
    flat = [" ".join(ln.split()) for ln in out.splitlines()]
    assert "floor 2 (late find 1, massage 1)" in flat  # false letdowns over all sets
    assert "slow 1 (no-milk 1)" in flat
    assert "   a          many-001" not in out  # no --list: no lines


def test_list_gives_one_line_each_and_filters_by_disturbance_and_path(tmp_path, capsys):
    _write(
        tmp_path / "fixed",
        [
            _row(
                "many-001",
                "many",
                [[100.0, 300.0]],
                [_missed(100.0, "hand_pressure", 1.6, "floor", 21.0), _missed(300.0, "walk", 3.0)],
                [
                    _false(121.0, "floor", "massage", late_find_of_s=100.0),
                    _false(500.0, "rise", "expressing"),
                ],
            )
        ],
    )
    assert misses.main([str(tmp_path), "--list"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "many-001" in ln]
    assert len(lines) == 4
    assert (
        "missed  100.0 s  hand_pressure" in lines[0]
        and "found late by floor (+21.0 s)" in lines[0]
    )
    assert "walk" in lines[1] and lines[1].endswith("not found")
    assert "false   121.0 s  floor    late find of 100.0 s" in lines[2]
    assert lines[3].endswith("in expressing")
    assert misses.main([str(tmp_path), "--at", "walk"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "many-001" in ln]
    assert len(lines) == 1 and "walk" in lines[0]
    assert misses.main([str(tmp_path), "--path", "floor"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "many-001" in ln]
    assert len(lines) == 2 and all("floor" in ln for ln in lines)


def test_a_folder_without_output_or_with_output_from_before_says_what_to_run(tmp_path, capsys):
    assert misses.main([str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert misses.main([str(tmp_path / "empty")]) == 2
    assert "python -m bench --only detection" in capsys.readouterr().err
    old = tmp_path / "old"
    old.mkdir()
    (old / "detection_sessions.json").write_text(json.dumps([{"name": "few-001", "truth": {}}]))
    assert misses.main([str(old)]) == 2
    err = capsys.readouterr().err
    assert "written before the bench listed missed onsets" in err
    (old / "detection_sessions.json").write_text("{not json")
    assert misses.main([str(old)]) == 2
    assert "unreadable" in capsys.readouterr().err
    # beside a set it can read, a stale one is skipped with the message, and the rest counted
    _write(old / "seeds-100", [_row("few-101", "few", [[80.0]], [], [])])
    assert misses.main([str(old)]) == 0
    captured = capsys.readouterr()
    assert "skipped" in captured.err and "unreadable" in captured.err
    assert "== seeds-100: 1 sessions, 1 onsets; 0 missed" in captured.out


def test_against_an_older_output_lists_the_onsets_and_false_letdowns_that_changed(
    tmp_path, capsys
):
    # the same set from two trees: the onset at 100 s, missed before, is found now; the one at
    # 200 s is missed now; the false letdown at 130 s moved by 1.5 s (the same one), the one at
    # 400 s is gone and the one at 300 s is new; a set only one output holds is named
    old, new = tmp_path / "old", tmp_path / "new"
    _write(
        old / "fixed",
        [
            _row(
                "many-001",
                "many",
                [[100.0, 200.0]],
                [_missed(100.0, "hand_pressure", 1.6, "floor", 21.0)],
                [
                    _false(130.0, "floor", "massage", late_find_of_s=100.0),
                    _false(400.0, "rise", "expressing"),
                ],
            )
        ],
    )
    _write(old / "seeds-100", [_row("few-101", "few", [[80.0]], [], [])])
    _write(
        new / "fixed",
        [
            _row(
                "many-001",
                "many",
                [[100.0, 200.0]],
                [_missed(200.0, "walk", 3.0)],
                [_false(131.5, "floor", "massage"), _false(300.0, "slow", "expressing")],
            )
        ],
    )
    _write(new / "seeds-200", [_row("few-201", "few", [[80.0]], [], [])])
    assert misses.main([str(new), "--against", str(old)]) == 0
    out = capsys.readouterr().out.splitlines()
    many = [ln for ln in out if "many-001" in ln]
    assert len(many) == 4, out
    assert many[0].lstrip().startswith("now found") and "onset   100.0 s" in many[0]
    assert "found late by floor (+21.0 s)" in many[0]
    assert many[1].lstrip().startswith("now missed") and "onset   200.0 s  walk" in many[1]
    assert many[2].lstrip().startswith("false gone") and "false   400.0 s  rise" in many[2]
    assert many[3].lstrip().startswith("false new") and "false   300.0 s  slow" in many[3]
    assert "== fixed: 1 onsets now found, 1 now missed; 1 false letdowns gone, 1 new" in out
    assert any("seeds-200: not in" in ln for ln in out)
    assert any("seeds-100: only in" in ln for ln in out)
    assert out[-1].startswith("== against ") and out[-1].endswith(
        "1 sets: 1 onsets now found, 1 now missed; 1 false letdowns gone, 1 new"
    )


def test_against_a_folder_that_is_missing_or_shares_no_set_says_so(tmp_path, capsys):
    _write(tmp_path / "new" / "fixed", [_row("few-001", "few", [[80.0]], [], [])])
    assert misses.main([str(tmp_path / "new"), "--against", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err
    _write(tmp_path / "old" / "seeds-100", [_row("few-101", "few", [[80.0]], [], [])])
    assert misses.main([str(tmp_path / "new"), "--against", str(tmp_path / "old")]) == 2
    assert "no set of the given folders is in" in capsys.readouterr().err
