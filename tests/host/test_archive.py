"""The archive (SQLite index + raw files) and `pumpmon sessions | show | trends`."""

from __future__ import annotations

import json
import sqlite3

import pytest
from emulated_device import archive_of, session_files
from pumpmon import cli
from pumpmon.archive import Archive

DEVICE = "240ac4000001"


@pytest.fixture(scope="module")
def files():
    return session_files(4, minutes=3, incomplete=(2,))


@pytest.fixture
def arc_dir(tmp_path):
    """The sessions of `files`, archived."""
    return archive_of(tmp_path / "arc", 4, minutes=3, incomplete=(2,), device=DEVICE)


def _run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_adding_a_session_twice_keeps_one_row_and_one_file(tmp_path, files):
    data = files["/sessions/00000001.pml"]
    with Archive.open(tmp_path / "arc") as arc:
        a = arc.add(DEVICE, "00000001.pml", data)
        b = arc.add(DEVICE, "00000001.pml", data)
        assert a["id"] == b["id"] == "00000001"
        assert arc.count() == 1
    assert len(list((tmp_path / "arc").rglob("*.pml"))) == 1


def test_a_file_left_without_its_row_is_indexed_once_by_the_next_add(tmp_path, files):
    data = files["/sessions/00000001.pml"]
    with Archive.open(tmp_path / "arc") as arc:
        arc.add(DEVICE, "00000001.pml", data)
        arc.db.execute("DELETE FROM sessions")  # a pull killed between rename and insert
        arc.add(DEVICE, "00000001.pml", data)
        assert arc.count() == 1
    assert len(list((tmp_path / "arc").rglob("*.pml"))) == 1


def test_same_name_with_other_content_gets_its_own_id(tmp_path, files):
    # a device whose flash was erased numbers its sessions from 1 again
    with Archive.open(tmp_path / "arc") as arc:
        arc.add(DEVICE, "00000001.pml", files["/sessions/00000001.pml"])
        row = arc.add(DEVICE, "00000001.pml", files["/sessions/00000003.pml"])
        assert arc.count() == 2
        assert row["id"].startswith("00000001-")
        assert arc.find(row["id"])["session_id"] == 3
        assert arc.find("00000001")["session_id"] == 1


def test_sessions_json_has_one_object_per_session_with_the_summary_fields(arc_dir, capsys):
    code, out, _err = _run(capsys, "sessions", "--archive", str(arc_dir), "--json")
    assert code == 0
    items = json.loads(out)
    assert [i["id"] for i in items] == ["00000001", "00000002", "00000003", "00000004"]
    for i in items:
        for key in ("id", "start", "duration_s", "volume_ml", "letdowns", "complete"):
            assert key in i
        assert i["start"].startswith("2025-05-")
        assert i["volume_ml"] > 0
    assert [i["complete"] for i in items] == [True, False, True, True]


def test_sessions_in_ounces_are_millilitres_over_29_57(arc_dir, capsys):
    _c, out_ml, _e = _run(capsys, "sessions", "--archive", str(arc_dir), "--json")
    _c, out_oz, _e = _run(capsys, "sessions", "--archive", str(arc_dir), "--json", "--units", "oz")
    for ml, oz in zip(json.loads(out_ml), json.loads(out_oz)):
        assert oz["volume_oz"] == pytest.approx(ml["volume_ml"] / 29.5735, abs=0.01)


def test_show_prints_letdowns_cues_step_results_and_bottle_volumes(arc_dir, capsys):
    code, out, _err = _run(capsys, "show", "1", "--archive", str(arc_dir))
    assert code == 0
    assert "letdown (bottle 1" in out
    assert "cue: massage" in out or "cue: hand express" in out
    assert "step brought" in out
    assert "bottle 1 (left)" in out and "bottle 2 (right)" in out


def test_show_of_an_unknown_session_fails_with_a_clear_message(arc_dir, capsys):
    code, _out, err = _run(capsys, "show", "99", "--archive", str(arc_dir))
    assert code == 2
    assert "no session '99'" in err


def test_reindex_rebuilds_the_index_from_the_session_files(arc_dir, capsys):
    with Archive.open(arc_dir) as arc:
        arc.db.execute("DELETE FROM sessions")  # rows lost, files kept
        assert arc.count() == 0
        assert arc.reindex() == 4
        assert arc.count() == 4
        assert arc.find("2")["complete"] == 0


def test_a_damaged_session_is_archived_flagged_and_still_shown(tmp_path, files, capsys):
    data = bytearray(files["/sessions/00000003.pml"])
    for i in range(2000, 2400):  # a stretch of flipped bits in the middle
        data[i] ^= 0x5A
    with Archive.open(tmp_path / "arc") as arc:
        row = arc.add(DEVICE, "00000003.pml", bytes(data))
        assert row["damaged"] == 1
        assert arc.read_bytes(row) == bytes(data)  # kept byte for byte
    code, out, _err = _run(capsys, "show", "3", "--archive", str(tmp_path / "arc"))
    assert code == 0
    assert "damaged" in out


def test_a_session_file_changed_on_disk_is_refused(arc_dir, capsys):
    victim = next(arc_dir.rglob("00000001-*.pml"))
    raw = bytearray(victim.read_bytes())
    raw[-1] ^= 1
    victim.write_bytes(bytes(raw))
    code, _out, err = _run(capsys, "show", "1", "--archive", str(arc_dir))
    assert code == 1
    assert "CRC mismatch" in err


def test_thousands_of_sessions_list_from_the_index(tmp_path):
    with Archive.open(tmp_path / "arc") as arc:
        cols = [r[1] for r in arc.db.execute("PRAGMA table_info(sessions)")]
        rows = []
        for i in range(3000):
            r = dict.fromkeys(cols)
            r.update(
                id="%08d" % i,
                device=DEVICE,
                name="%08d.pml" % i,
                size=1,
                head_crc=i,
                crc32=0,
                sha256="",
                file="x",
                pulled_at="",
                start_unix_s=1.7e9 + i * 3600,
                volume_ml=50.0,
                letdowns=3,
                complete=1,
                damaged=0,
                volume_estimated=0,
                tapers=1,
                cues=2,
                duration_s=600.0,
            )
            rows.append([r[c] for c in cols])
        arc.db.executemany("INSERT INTO sessions VALUES (%s)" % ",".join("?" * len(cols)), rows)
        listed = arc.list()
    assert len(listed) == 3000
    assert [r["id"] for r in listed[:2]] == ["00000000", "00000001"]


def test_trends_gives_daily_totals_sessions_and_left_right(arc_dir, capsys):
    code, out, _err = _run(capsys, "trends", "--archive", str(arc_dir), "--json")
    assert code == 0
    t = json.loads(out)
    assert sum(d["sessions"] for d in t["days"]) == 4
    with Archive.open(arc_dir) as arc:
        total = sum(r["volume_ml"] for r in arc.list())
    assert sum(d["volume_ml"] for d in t["days"]) == pytest.approx(total, abs=0.3)
    for d in t["days"]:
        assert d["left_ml"] + d["right_ml"] == pytest.approx(d["volume_ml"], abs=0.3)
        assert d["mean_first_letdown_s"] is not None


def test_index_is_plain_sqlite_readable_by_other_tools(arc_dir):
    db = sqlite3.connect(str(arc_dir / "index.sqlite3"))
    assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 4


def test_an_archive_path_that_is_a_file_is_refused_with_a_message(tmp_path):
    import subprocess
    import sys

    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("keep me")
    proc = subprocess.run(
        [sys.executable, "-m", "pumpmon.cli", "sessions", "--archive", str(not_a_folder)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "is a file, not an archive folder" in proc.stderr
    assert not_a_folder.read_text() == "keep me"  # nothing lost


def _drop_index(arc_dir):
    for suffix in ("", "-wal", "-shm"):
        (arc_dir / ("index.sqlite3" + suffix)).unlink(missing_ok=True)


def test_with_the_index_deleted_sessions_lists_every_archived_session(arc_dir, capsys):
    _drop_index(arc_dir)
    code, out, err = _run(capsys, "sessions", "--archive", str(arc_dir), "--json")
    assert code == 0, err
    assert sorted(s["id"] for s in json.loads(out)) == [
        "00000001",
        "00000002",
        "00000003",
        "00000004",
    ]
    assert "rebuilt" in err


def test_sessions_reindex_with_no_index_rebuilds_it(arc_dir, capsys):
    _drop_index(arc_dir)
    code, out, err = _run(capsys, "sessions", "--reindex", "--archive", str(arc_dir))
    assert code == 0, err
    assert "4 sessions" in out and "no archive" not in out + err


def test_an_unreadable_index_is_set_aside_and_rebuilt_from_the_files(arc_dir, capsys):
    files_before = sorted(p.name for p in arc_dir.rglob("*.pml"))
    _drop_index(arc_dir)
    (arc_dir / "index.sqlite3").write_bytes(b"this is not a database" * 100)
    code, out, err = _run(capsys, "sessions", "--archive", str(arc_dir), "--json")
    assert code == 0, err
    assert len(json.loads(out)) == 4
    assert "unreadable" in err and "rebuilt" in err
    assert sorted(p.name for p in arc_dir.rglob("*.pml")) == files_before
    kept = list(arc_dir.glob("index.sqlite3.unreadable-*"))
    assert kept and kept[0].read_bytes().startswith(b"this is not a database")


def test_sessions_marks_an_archived_file_that_is_missing_or_changed(arc_dir, capsys):
    next(arc_dir.rglob("00000001-*.pml")).unlink()
    victim = next(arc_dir.rglob("00000002-*.pml"))
    raw = bytearray(victim.read_bytes())
    raw[100] ^= 0xFF
    victim.write_bytes(bytes(raw))
    code, out, _err = _run(capsys, "sessions", "--archive", str(arc_dir), "--json")
    assert code == 0
    state = {s["id"]: s["file"] for s in json.loads(out)}
    assert state == {
        "00000001": "missing",
        "00000002": "changed",
        "00000003": "ok",
        "00000004": "ok",
    }
    code, out, _err = _run(capsys, "sessions", "--archive", str(arc_dir))
    assert out.count("`pumpmon pull` fetches it again") == 2


def test_adding_a_session_again_rewrites_a_missing_archived_file(arc_dir, files):
    with Archive.open(arc_dir) as arc:
        row = arc.find("1")
        (arc_dir / row["file"]).unlink()
        assert not arc.holds_verified(DEVICE, row["name"], row["size"], row["head_crc"])
        again = arc.add(DEVICE, "00000001.pml", files["/sessions/00000001.pml"])
        assert again["id"] == row["id"] and arc.count() == 4
        assert arc.read_bytes(again) == files["/sessions/00000001.pml"]


def test_forget_moves_the_file_to_the_trash_and_keeps_it_forgotten_after_a_reindex(
    arc_dir, capsys
):
    code, out, err = _run(capsys, "forget", "3", "--archive", str(arc_dir))
    assert code == 0, err
    assert "trash" in out
    trashed = list((arc_dir / "trash").rglob("00000003-*.pml"))
    assert len(trashed) == 1  # kept, never deleted
    assert not list((arc_dir / "sessions").rglob("00000003-*.pml"))
    _drop_index(arc_dir)
    code, out, _err = _run(capsys, "sessions", "--archive", str(arc_dir), "--json")
    assert [s["id"] for s in json.loads(out)] == ["00000001", "00000002", "00000004"]
    with Archive.open(arc_dir) as arc:
        data = trashed[0].read_bytes()
        assert arc.is_forgotten(
            DEVICE, "00000003.pml", len(data), __import__("binascii").crc32(data[:1024])
        )
    code, _out, err = _run(capsys, "forget", "99", "--archive", str(arc_dir))
    assert code == 2 and "no session" in err


def test_a_session_whose_header_is_damaged_is_shown_as_damaged_with_what_was_read(
    tmp_path, files, capsys
):
    data = bytearray(files["/sessions/00000002.pml"])
    for i in range(3, 40):  # the header frame
        data[i] ^= 0x5A
    arc_dir = tmp_path / "arc"
    with Archive.open(arc_dir) as arc:
        arc.add(DEVICE, "00000002.pml", bytes(data))
    code, out, _err = _run(capsys, "sessions", "--archive", str(arc_dir))
    assert code == 0
    assert "clock not set" not in out and "damaged" in out
    code, out, err = _run(capsys, "show", "00000002", "--archive", str(arc_dir))
    assert code == 0, err
    assert "number None" not in out and "header is damaged" in out
    code, out, err = _run(
        capsys, "plot", "00000002", "-o", str(tmp_path / "p.png"), "--archive", str(arc_dir)
    )
    assert code == 1
    assert "no readable samples" in err and "Traceback" not in err
    assert not (tmp_path / "p.png").exists()
    code, out, _err = _run(capsys, "trends", "--archive", str(arc_dir))
    assert "time sync" not in out  # a damaged header is not a clock that was not set
