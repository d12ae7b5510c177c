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
