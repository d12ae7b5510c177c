"""`pumpmon report`: one self-contained HTML page, rendered by headless Chromium when one is
installed (Debian's `chromium`; the test skips with a message where there is none)."""

from __future__ import annotations

import html.parser
import re
import shutil
import subprocess

import pytest
from emulated_device import archive_of
from pumpmon import cli
from pumpmon.annotations import Annotations
from pumpmon.archive import Archive
from pumpmon.cmd_archive import step_results
from pumpmon.plot import BOTTLE_COLORS

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(scope="module")
def arc_dir(tmp_path_factory):
    root = archive_of(tmp_path_factory.mktemp("arc"), 4, minutes=6, incomplete=(4,))
    with Archive.open(root) as arc:
        row = arc.find("2")
    with Annotations.open(root) as notes:
        notes.set_note(row["sha256"], "after a warm compress <b>")
    return root


def _report(capsys, arc_dir, out, *extra):
    code = cli.main(["report", "--archive", str(arc_dir), "-o", str(out), *extra])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


class _Refs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [v for k, v in attrs if k in ("src", "href", "srcset", "data") and v]


def test_report_is_one_self_contained_page_with_each_sessions_figures(
    arc_dir, tmp_path, capsys, berlin
):
    out = tmp_path / "report.html"
    code, text, err = _report(capsys, arc_dir, out)
    assert code == 0, err
    assert "4 sessions" in text
    page = out.read_text()
    refs = _Refs()
    refs.feed(page)
    assert refs.refs and all(r.startswith("data:image/svg+xml;base64,") for r in refs.refs)
    assert not {"script", "link", "iframe", "object"} & set(refs.tags)
    assert "url(" not in page and "@import" not in page
    assert "@media print" in page
    with Archive.open(arc_dir) as arc:
        rows = arc.list()
        session2 = arc.load(arc.find("2"))
    for r in rows:
        assert ">%g<" % round(r["volume_ml"], 1) in page  # each session's total
    # local time with its offset (May in Berlin: +02:00)
    assert "2025-05-08 10:13 +02:00" in page
    # what the massage and hand-expression steps brought, with the cue's time
    steps = step_results(session2)
    assert steps
    for s in steps:
        assert (
            "%s at %d:%02d: %g mL"
            % (
                s["cue"].replace("_", " "),
                int(s["cue_t_s"]) // 60,
                int(round(s["cue_t_s"])) % 60,
                round(s["volume_ml"], 1),
            )
            in page
        )
    assert "after a warm compress &lt;b&gt;" in page  # the note, escaped
    assert "cut short" in page


def test_report_days_and_since_pick_the_period(arc_dir, tmp_path, capsys):
    out = tmp_path / "r.html"
    code, text, _err = _report(capsys, arc_dir, out, "--days", "7")  # the sessions are from 2025
    assert code == 0 and "(0 sessions" in text
    assert "No sessions in this period" in out.read_text()
    code, text, _err = _report(capsys, arc_dir, out, "--since", "2025-05-08T10:00:00+00:00")
    assert code == 0 and "(1 session," in text
    code, _text, err = _report(capsys, arc_dir, out, "--since", "last tuesday")
    assert code == 2 and "is not a date" in err and len(err.strip().splitlines()) == 1
    code, _text, err = _report(capsys, arc_dir, tmp_path / "r.pdf")
    assert code == 2 and ".html" in err


def _browser():
    return next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)


def test_chromium_renders_the_report_with_its_plots(arc_dir, tmp_path, capsys):
    browser = _browser()
    if browser is None:
        pytest.skip(
            "no Chromium installed (apt-get install chromium): the report's rendering "
            "is not checked here"
        )
    import matplotlib.image as mpimg
    import numpy as np

    out = tmp_path / "report.html"
    code, _text, err = _report(capsys, arc_dir, out)
    assert code == 0, err
    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--user-data-dir=%s" % (tmp_path / "profile"),
            "--window-size=1200,1800",
            "--screenshot=%s" % shot,
            out.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert shot.exists(), proc.stderr[-2000:]
    img = mpimg.imread(str(shot))[:, :, :3]
    not_white = (img < 0.95).any(axis=2)
    assert not_white.mean() > 0.03  # text, tables and plots, not a blank page
    for colour in BOTTLE_COLORS:  # the plots were drawn: both bottles' colours are there
        rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
        assert (np.abs(img - rgb) < 0.08).all(axis=2).sum() > 200, colour


def test_report_page_has_no_outside_reference_even_in_the_svg(arc_dir, tmp_path, capsys):
    import base64

    out = tmp_path / "report.html"
    _report(capsys, arc_dir, out)
    for uri in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', out.read_text()):
        svg = base64.b64decode(uri).decode()
        # the SVG namespaces are names, not fetches; nothing else may point outside
        hrefs = re.findall(r'(?:href|src)="([^"#][^"]*)"', svg)
        assert hrefs == []
        assert "@font-face" not in svg and "url(http" not in svg
