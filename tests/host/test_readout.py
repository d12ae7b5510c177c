"""What a parent reads: units shared with the device, mL/min, local time with its offset, the
CSVs, date filters, notes, the breast of each bottle, --version, the README."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import tomllib
from pathlib import Path

import pytest
from emulated_device import archive_of
from pumpmon import cli
from pumpmon.annotations import Annotations
from pumpmon.archive import MG_PER_ML, Archive
from pumpmon.fwimport import firmware_module
from pumpmon.plot import cumulative_ml, render, series
from pumpmon.readout import flow, select, vol

ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("berlin")


@pytest.fixture
def arc_dir(tmp_path):
    """Sessions 1-4 (07:13 to 10:13 UTC on 2025-05-08, one hour apart; 4 cut short) and 5
    with no clock time."""
    return archive_of(tmp_path / "arc", 5, incomplete=(4,), no_clock=(5,))


def _run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _row(arc_dir, key):
    with Archive.open(arc_dir) as arc:
        return arc.find(key)


# -- units -------------------------------------------------------------------------------
def test_flow_reads_in_ml_per_minute_and_oz_per_minute():
    assert flow(1.03, "ml") == pytest.approx(60.0)  # 1.03 g/s of milk is 60 mL a minute
    assert flow(1.03, "oz") == pytest.approx(60.0 / 29.5735, abs=1e-3)
    assert vol(29.5735, "oz") == 1.0


def test_show_gives_letdown_flow_in_ml_per_min_never_g_per_s(arc_dir, capsys):
    code, out, _err = _run(capsys, "show", "1", "--archive", str(arc_dir))
    assert code == 0
    assert re.search(r"letdown \(bottle 1 \(left\), flow [\d.]+ mL/min\)", out)
    assert "g/s" not in out
    code, out, _err = _run(capsys, "show", "1", "--archive", str(arc_dir), "--units", "oz")
    assert "oz/min" in out and "mL" not in out


def test_the_device_units_setting_is_the_default_and_units_overrides_it(arc_dir, capsys):
    code, out, _e = _run(capsys, "sessions", "--archive", str(arc_dir))
    assert "total mL" in out
    with Annotations.open(arc_dir) as notes:  # what `pumpmon pull` keeps from the device
        notes.set_setting("units", "oz", source="device")
    for cmd in (["sessions"], ["trends"], ["show", "1"]):
        code, out, _e = _run(capsys, *cmd, "--archive", str(arc_dir))
        assert code == 0 and " oz" in out and "mL" not in out, cmd
    code, out, _e = _run(capsys, "export", "--all", "--format", "csv", "--archive", str(arc_dir))
    assert "volume (oz)" in out
    code, out, _e = _run(capsys, "sessions", "--archive", str(arc_dir), "--units", "ml")
    assert "total mL" in out
    code, out, _e = _run(capsys, "sessions", "--archive", str(arc_dir), "--json")
    item = json.loads(out)[0]
    assert "volume_oz" in item and "volume_ml" in item  # the contract's keys stay


# -- the plot ----------------------------------------------------------------------------
def _spiky_session():
    t_ms = list(range(0, 120_000, 100))
    w1 = [100_000 + (min(t, 60_000) * 20 // 60_000) * 1000 for t in t_ms]  # +20 g over 1 min
    w2 = [90_000 + (min(t, 60_000) * 10 // 60_000) * 1000 for t in t_ms]
    w1[300] = 210_000  # a knock: one sample at 210 g
    w1[900:930] = [v + 8000 for v in w1[900:930]]  # a hand pressing the cell for 3 s
    return {"t_ms": t_ms, "w_mg": [w1, w2], "events": []}


def test_the_plot_draws_a_despiked_weight_and_a_cumulative_ml_per_bottle(tmp_path):
    s = _spiky_session()
    data = series(s)
    assert data["weight_g"][0][300] == pytest.approx(s["w_mg"][0][299] / 1000, abs=1.5)
    assert max(data["weight_g"][0]) < 130  # the 210 g knock is gone (the 3 s press stays)
    cum = data["cumulative_ml"][0]
    assert all(b >= a for a, b in zip(cum, cum[1:]))  # milk never leaves the bottle
    assert cum[0] == 0 and cum[-1] == pytest.approx(20_000 / MG_PER_ML, abs=0.5)
    assert max(cum) <= cum[-1]  # the press did not add milk
    assert data["cumulative_ml"][1][-1] == pytest.approx(10_000 / MG_PER_ML, abs=0.5)
    row = {
        "id": "x",
        "start_unix_s": None,
        "volume_ml": 29.1,
        "volume_left_ml": 19.4,
        "volume_right_ml": 9.7,
        "letdowns": 0,
        "duration_s": 120,
        "bottle1_side": "right",
    }
    out = tmp_path / "p.png"
    render(row, s, str(out))
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_cumulative_ml_of_a_flat_bottle_is_zero():
    assert cumulative_ml([0.0, 0.1, 0.2], [50.0, 50.0, 50.0]) == [0.0, 0.0, 0.0]
    assert cumulative_ml([], []) == []


# -- times and the CSVs ------------------------------------------------------------------
def test_human_outputs_and_exports_carry_local_time_with_its_offset(arc_dir, capsys):
    code, out, _e = _run(capsys, "sessions", "--archive", str(arc_dir))
    assert "2025-05-08 09:13 +02:00" in out  # 07:13 UTC
    code, out, _e = _run(capsys, "show", "1", "--archive", str(arc_dir))
    assert "2025-05-08 09:13 +02:00" in out
    code, out, _e = _run(capsys, "sessions", "--json", "--archive", str(arc_dir))
    item = json.loads(out)[0]
    assert (
        item["start"] == "2025-05-08T07:13:20Z"
        and item["start_local"] == "2025-05-08T09:13:20+02:00"
    )


def test_session_csv_has_clock_time_cumulative_ml_flow_and_the_bottle_of_each_event(
    arc_dir, capsys
):
    code, out, _e = _run(capsys, "export", "1", "--format", "csv", "--archive", str(arc_dir))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["clock time (local, ISO 8601)"] == "2025-05-08T09:13:20.000+02:00"
    assert rows[1]["clock time (local, ISO 8601)"] == "2025-05-08T09:13:20.100+02:00"
    row = _row(arc_dir, "1")
    last = rows[-1]
    for ch, side in ((1, "left"), (2, "right")):
        cum = [float(r["bottle %d (%s) cumulative (mL)" % (ch, side)]) for r in rows]
        assert all(b >= a for a, b in zip(cum, cum[1:]))
        want = row["volume_left_ml"] if ch == 1 else row["volume_right_ml"]
        assert cum[-1] == pytest.approx(want, abs=max(1.0, 0.1 * want))
        assert max(float(r["bottle %d (%s) flow (mL/min)" % (ch, side)]) for r in rows) > 5
    assert last["events"]  # the events after the last sample are not lost
    events = " ".join(r["events"] for r in rows)
    assert re.search(r"letdown@bottle\d\((left|right)\)", events)
    assert re.search(r"taper@bottle\d\((left|right)\)", events)


def test_all_csv_has_a_damaged_column_and_no_words_in_a_date_column(arc_dir, capsys):
    code, out, _e = _run(capsys, "export", "--all", "--format", "csv", "--archive", str(arc_dir))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 5
    assert {r["damaged"] for r in rows} == {"no"}
    no_clock = [r for r in rows if not r["start (UTC, ISO 8601)"]]
    assert len(no_clock) == 1 and no_clock[0]["start (local, ISO 8601)"] == ""
    assert "clock not set" not in out
    for r in rows:
        if r["start (local, ISO 8601)"]:
            assert r["start (local, ISO 8601)"].endswith("+02:00")


# -- date filters ------------------------------------------------------------------------
def test_since_and_until_pick_sessions_in_sessions_trends_and_export(arc_dir, capsys):
    a = ["--archive", str(arc_dir)]
    code, out, _e = _run(capsys, "sessions", "--json", "--since", "2025-05-08T10:00", *a)
    assert [s["session_number"] for s in json.loads(out)] == [2, 3, 4]  # local 10:13 on
    code, out, _e = _run(capsys, "sessions", "--json", "--until", "2025-05-08T10:00", *a)
    assert [s["session_number"] for s in json.loads(out)] == [1]
    code, out, _e = _run(capsys, "sessions", "--json", "--until", "2025-05-07", *a)
    assert json.loads(out) == []
    code, out, _e = _run(
        capsys, "trends", "--json", "--since", "2025-05-08", "--until", "2025-05-08", *a
    )
    assert [d["sessions"] for d in json.loads(out)["days"]] == [4]
    code, out, _e = _run(
        capsys, "export", "--all", "--format", "csv", "--since", "2025-05-08T11:00", *a
    )
    assert len(list(csv.DictReader(io.StringIO(out)))) == 2
    code, _o, err = _run(capsys, "sessions", "--since", "yesterday", *a)
    assert code == 2 and "is not a date" in err and len(err.strip().splitlines()) == 1


def test_days_counts_back_from_today():
    now = time.mktime((2025, 5, 10, 12, 0, 0, 0, 0, -1))
    rows = [{"start_unix_s": now - d * 86400} for d in range(5)]
    assert len(select(rows, days=1, now_s=now)) == 1
    assert len(select(rows, days=3, now_s=now)) == 3
    with pytest.raises(ValueError):
        select(rows, days=0)


# -- notes and sides ---------------------------------------------------------------------
def test_a_note_is_shown_listed_and_exported(arc_dir, capsys):
    a = ["--archive", str(arc_dir)]
    code, out, _e = _run(capsys, "note", "2", "after", "a", "warm", "compress", *a)
    assert code == 0 and "after a warm compress" in out
    assert "note: after a warm compress" in _run(capsys, "show", "2", *a)[1]
    assert "after a warm compress" in _run(capsys, "sessions", *a)[1]
    items = json.loads(_run(capsys, "sessions", "--json", *a)[1])
    assert [i["note"] for i in items if i["session_number"] == 2] == ["after a warm compress"]
    out = _run(capsys, "export", "--all", "--format", "csv", *a)[1]
    assert "after a warm compress" in out
    _run(capsys, "note", "2", "", *a)
    assert "note:" not in _run(capsys, "show", "2", *a)[1]
    code, _o, err = _run(capsys, "note", "99", "x", *a)
    assert code == 2 and "no session" in err


def test_bottle1_side_from_the_device_and_a_per_session_override(arc_dir, capsys):
    a = ["--archive", str(arc_dir)]
    row = _row(arc_dir, "1")

    def sides():
        item = [
            i
            for i in json.loads(_run(capsys, "sessions", "--json", *a)[1])
            if i["session_number"] == 1
        ][0]
        return item["bottle1_side"], item["volume_left_ml"], item["volume_right_ml"]

    assert sides() == ("left", row["volume_left_ml"], row["volume_right_ml"])
    with Annotations.open(arc_dir) as notes:  # the device's bottle1_side=right, seen at a pull
        notes.set_setting("bottle1_side", "right", source="device")
    assert sides() == ("right", row["volume_right_ml"], row["volume_left_ml"])
    assert "bottle 1 (right)" in _run(capsys, "show", "1", *a)[1]
    code, out, _e = _run(capsys, "side", "1", "left", *a)
    assert code == 0 and "bottle 1 on the left" in out
    assert sides() == ("left", row["volume_left_ml"], row["volume_right_ml"])
    _run(capsys, "side", "1", "device", *a)
    assert sides()[0] == "right"


def test_a_device_stamp_never_replaces_the_wearers_side(tmp_path):
    with Annotations.open(tmp_path) as notes:
        notes.set_side("abc", "right", source="wearer")
        notes.set_side("abc", "left", source="device")
        assert notes.side_of({"sha256": "abc"}) == "right"


def test_bottle1_side_is_a_device_setting_checked_by_the_schema():
    config = firmware_module("shared.config")
    cfg, problems = config.validate({"bottle1_side": "right"})
    assert problems == [] and cfg["bottle1_side"] == "right"
    _cfg, problems = config.validate({"bottle1_side": "middle"})
    assert problems and "bottle1_side" in problems[0]
    assert config.defaults()["bottle1_side"] == "left"


# -- version and README ------------------------------------------------------------------
def test_version_is_the_packages_one_version(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0
    want = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert capsys.readouterr().out.strip() == "pumpmon " + want


def test_readme_says_where_the_archive_lives_and_lists_every_command():
    readme = (ROOT / "README.md").read_text()
    assert "~/.local/share/pumpmon" in readme and "XDG_DATA_HOME" in readme
    for name in cli.COMMANDS:
        assert "`pumpmon %s" % name in readme, name
