"""`pumpmon plot` and `pumpmon export`: the PNG marks every event, the CSV carries units."""

from __future__ import annotations

import csv
import io
import json

import pytest
from emulated_device import archive_of
from pumpmon import cli
from pumpmon.archive import Archive
from pumpmon.cmd_archive import timeline
from pumpmon.plot import CUE_COLOR, LETDOWN_COLOR, TAPER_COLOR

DEVICE = "240ac4000001"


@pytest.fixture(scope="module")
def arc_dir(tmp_path_factory):
    return archive_of(tmp_path_factory.mktemp("arc"), 3, minutes=6, device=DEVICE)


def _run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _has_colour(img, hex_colour, min_pixels=20):
    import numpy as np

    rgb = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    close = (np.abs(img[:, :, :3] - rgb) < 0.06).all(axis=2)
    return int(close.sum()) >= min_pixels


def test_plot_writes_a_png_with_letdowns_tapers_and_cues_marked(arc_dir, tmp_path, capsys):
    import matplotlib.image as mpimg

    out = tmp_path / "s1.png"
    code, text, _err = _run(capsys, "plot", "1", "-o", str(out), "--archive", str(arc_dir))
    assert code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Archive.open(arc_dir) as arc:
        events = timeline(arc.load(arc.find("1")))
    n = {k: sum(1 for e in events if e["event"] == k) for k in ("letdown", "taper", "cue")}
    assert min(n.values()) > 0
    assert "%d letdowns, %d tapers, %d cues marked" % (n["letdown"], n["taper"], n["cue"]) in text
    img = mpimg.imread(str(out))
    for colour in (LETDOWN_COLOR, TAPER_COLOR, CUE_COLOR):
        assert _has_colour(img, colour), colour


def test_plot_of_an_unknown_session_fails_and_writes_nothing(arc_dir, tmp_path, capsys):
    out = tmp_path / "none.png"
    code, _text, err = _run(capsys, "plot", "42", "-o", str(out), "--archive", str(arc_dir))
    assert code == 2
    assert "no session" in err
    assert not out.exists()


def test_export_csv_of_a_session_has_units_in_headers_and_every_sample(arc_dir, tmp_path, capsys):
    out = tmp_path / "s1.csv"
    code, _t, _e = _run(
        capsys, "export", "1", "--format", "csv", "-o", str(out), "--archive", str(arc_dir)
    )
    assert code == 0
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0] == [
        "time (s)",
        "clock time (local, ISO 8601)",
        "bottle 1 (left) weight (g)",
        "bottle 2 (right) weight (g)",
        "bottle 1 (left) cumulative (mL)",
        "bottle 2 (right) cumulative (mL)",
        "bottle 1 (left) flow (mL/min)",
        "bottle 2 (right) flow (mL/min)",
        "events",
    ]
    with Archive.open(arc_dir) as arc:
        session = arc.load(arc.find("1"))
    assert len(rows) - 1 == len(session["t_ms"])
    assert float(rows[1][2]) == pytest.approx(session["w_mg"][0][0] / 1000, abs=0.01)
    assert sum(r[8].count("letdown@bottle") for r in rows[1:]) == sum(
        1 for e in session["events"] if e[1] == 1
    )


def test_export_all_csv_is_one_row_per_session_with_units(arc_dir, capsys):
    code, out, _e = _run(
        capsys, "export", "--all", "--format", "csv", "--units", "oz", "--archive", str(arc_dir)
    )
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert "volume (oz)" in rows[0] and "duration (s)" in rows[0]
    assert len(rows) == 4


def test_export_json_holds_summary_events_and_samples(arc_dir, capsys):
    code, out, _e = _run(capsys, "export", "--all", "--format", "json", "--archive", str(arc_dir))
    assert code == 0
    items = json.loads(out)
    assert len(items) == 3
    for item in items:
        assert item["letdowns"] == sum(1 for e in item["events"] if e["event"] == "letdown")
        assert len(item["samples"]["t_s"]) == len(item["samples"]["weight_g"][0])


def test_export_needs_an_id_or_all(arc_dir, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["export", "--format", "csv", "--archive", str(arc_dir)])
    assert e.value.code == 2
