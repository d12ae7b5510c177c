"""`pumpmon pull` keeps the settings host and device share, and `pull --push` sends the new
sessions to Baby Buddy without ever failing the pull (emulated device, fake Baby Buddy)."""

from __future__ import annotations

import json
import socket

import pytest
from emulated_device import emulated_device, session_files
from fake_babybuddy import FakeBabyBuddy
from pumpmon import cli, flashimage
from pumpmon.annotations import Annotations
from pumpmon.archive import Archive

TOKEN = "tok-77aa"
pytestmark = pytest.mark.usefixtures("no_babybuddy_settings")


@pytest.fixture
def image(tmp_path):
    files = session_files(3, minutes=3)
    files["/config.json"] = json.dumps({"units": "oz", "bottle1_side": "right"}).encode()
    path = tmp_path / "flash.img"
    flashimage.put_files(path, files)
    return path


def test_pull_keeps_the_devices_units_and_bottle_side_and_push_sends_the_sessions(
    tmp_path, image, capsys, monkeypatch
):
    arc_dir = tmp_path / "arc"
    with FakeBabyBuddy(token=TOKEN) as bb:
        monkeypatch.setenv("PUMPMON_BABYBUDDY_URL", bb.url)
        monkeypatch.setenv("PUMPMON_BABYBUDDY_TOKEN", TOKEN)
        monkeypatch.setenv("PUMPMON_BABYBUDDY_CHILD", "1")
        with emulated_device(image) as emu:
            code = cli.main(
                ["pull", "--port", emu.device_path, "--archive", str(arc_dir), "--quiet", "--push"]
            )
        out = capsys.readouterr()
        assert code == 0, out.err
        assert len(bb.entries) == 3 and "3 sessions sent to Baby Buddy" in out.out
    with Annotations.open(arc_dir) as notes, Archive.open(arc_dir) as arc:
        assert notes.setting("units") == "oz" and notes.setting("bottle1_side") == "right"
        rows = arc.list()
        assert [notes.side_source(r["sha256"]) for r in rows] == ["device"] * 3
    code = cli.main(["sessions", "--archive", str(arc_dir)])
    text = capsys.readouterr().out
    assert code == 0 and "total oz" in text


def test_a_failed_push_never_fails_the_pull(tmp_path, image, capsys, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PUMPMON_BABYBUDDY_URL", "http://127.0.0.1:%d" % port)
    monkeypatch.setenv("PUMPMON_BABYBUDDY_TOKEN", TOKEN)
    monkeypatch.setenv("PUMPMON_BABYBUDDY_CHILD", "1")
    arc_dir = tmp_path / "arc"
    with emulated_device(image) as emu:
        code = cli.main(
            ["pull", "--port", emu.device_path, "--archive", str(arc_dir), "--quiet", "--push"]
        )
    err = capsys.readouterr().err
    assert code == 0
    assert "connection refused" in err
    with Archive.open(arc_dir) as arc:
        assert arc.count() == 3

    monkeypatch.delenv("PUMPMON_BABYBUDDY_URL")  # no settings at all: said, pull still fine
    with emulated_device(image) as emu:
        code = cli.main(
            ["pull", "--port", emu.device_path, "--archive", str(arc_dir), "--quiet", "--push"]
        )
    err = capsys.readouterr().err
    assert code == 0 and "not sent to Baby Buddy" in err and "babybuddy setup" in err
