"""`pumpmon pull` end to end against the emulated device on a pseudo-terminal."""

from __future__ import annotations

import pytest
import serial
from emulated_device import emulated_device, session_files
from pumpmon import cli, flashimage, transport
from pumpmon.archive import Archive
from pumpmon.pull import _prune, pull
from pumpmon.transport import DeviceGone

N = 20


@pytest.fixture(scope="module")
def originals():
    return session_files(N, minutes=3, incomplete=(7,))


@pytest.fixture
def image(tmp_path, originals):
    path = tmp_path / "flash.img"
    flashimage.put_files(path, originals)
    return path


def _quiet(_msg):
    pass


def _device_names(port):
    with transport.Device.connect(port) as dev:
        return [r[0] for r in dev.listdir_sessions("/sessions", "")]


def test_first_pull_verifies_every_session_and_a_second_pull_copies_none(
    tmp_path, image, originals
):
    said = []
    with emulated_device(image) as emu, Archive.open(tmp_path / "arc") as arc:
        assert pull(emu.device_path, arc, progress=False, say=said.append) == 0
        assert arc.count() == N
        for row in arc.list():
            assert arc.read_bytes(row) == originals["/sessions/" + row["name"]]
        assert any("copying 20" in s for s in said)
        said.clear()
        assert pull(emu.device_path, arc, progress=False, say=said.append) == 0
        assert any("20 already archived, copying 0" in s for s in said)
        assert arc.count() == N
        # pulled sessions are marked for the device's log store; nothing was deleted
        names = _device_names(emu.device_path)
    assert sum(n.endswith(".pml") for n in names) == N
    assert sum(n.endswith(".ack") for n in names) == N


def test_pull_killed_mid_transfer_completes_after_restart_with_every_session_once(
    tmp_path, image, originals
):
    arc = Archive.open(tmp_path / "arc")
    with emulated_device(image) as emu:

        def unplug_after_five(row):
            if arc.count() == 5:
                emu.kill()

        with pytest.raises(DeviceGone) as gone:
            pull(emu.device_path, arc, progress=False, say=_quiet, on_archived=unplug_after_five)
    assert "pumpmon pull" in str(gone.value)  # tells the user how to finish the job
    first = arc.count()
    assert 5 <= first < N
    with emulated_device(image) as emu:  # plugged in again
        assert pull(emu.device_path, arc, progress=False, say=_quiet) == 0
    rows = arc.list()
    assert len(rows) == N
    assert sorted(r["name"] for r in rows) == sorted(p.rsplit("/", 1)[1] for p in originals)
    assert len({r["id"] for r in rows}) == N
    for row in rows:
        assert arc.read_bytes(row) == originals["/sessions/" + row["name"]]
    files = list((tmp_path / "arc" / "sessions").rglob("*.pml"))
    assert len(files) == N  # no duplicate or left-over files
    assert not list((tmp_path / "arc" / "sessions").rglob("*.part"))
    arc.close()


def test_prune_keeps_a_session_whose_archived_file_does_not_match_the_device(
    tmp_path, image, originals
):
    flashimage.put_files(image, {"/sessions/notes.txt": b"keep me"})
    with emulated_device(image) as emu, Archive.open(tmp_path / "arc") as arc:
        assert pull(emu.device_path, arc, progress=False, say=_quiet) == 0
        # the archive's copy of session 3 goes bad on this disk after the pull
        victim = tmp_path / "arc" / arc.find("3")["file"]
        raw = bytearray(victim.read_bytes())
        raw[200] ^= 0xFF
        victim.write_bytes(bytes(raw))
        with transport.Device.connect(emu.device_path) as dev:
            device = dev.unique_id()
            held = [r for r in dev.listdir_sessions("/sessions", ".pml")]
            assert _prune(dev, arc, device, held) == N - 1
        left = _device_names(emu.device_path)
    assert "00000003.pml" in left
    assert "notes.txt" in left
    assert sum(n.endswith(".pml") for n in left) == 1


def test_prune_with_an_archived_file_deleted_and_another_corrupted_loses_no_session(
    tmp_path, image, originals
):
    said: list[str] = []
    with emulated_device(image) as emu, Archive.open(tmp_path / "arc") as arc:
        assert pull(emu.device_path, arc, progress=False, say=_quiet) == 0
        (tmp_path / "arc" / arc.find("4")["file"]).unlink()
        victim = tmp_path / "arc" / arc.find("5")["file"]
        raw = bytearray(victim.read_bytes())
        raw[-10] ^= 0xFF
        victim.write_bytes(bytes(raw))
        assert pull(emu.device_path, arc, prune=True, progress=False, say=said.append) == 0
        left = _device_names(emu.device_path)
        # every session is either back in the archive, verified, or still on the device
        for path, data in originals.items():
            name = path.rsplit("/", 1)[1]
            row = arc.find(name[:-4])
            assert arc.file_state(row) == "ok"
            assert arc.read_bytes(row) == data or name in left
    assert any("copying 2" in s for s in said), said
    assert any("again" in s and "00000004.pml" in s and "00000005.pml" in s for s in said)


def test_pull_says_how_much_flash_the_device_has_free_and_sessions_shows_it(
    tmp_path, image, capsys
):
    said: list[str] = []
    with emulated_device(image) as emu, Archive.open(tmp_path / "arc") as arc:
        assert pull(emu.device_path, arc, progress=False, say=said.append) == 0
    line = next(s for s in said if s.startswith("device flash:"))
    assert "KB free, room for" in line
    assert cli.main(["sessions", "--archive", str(tmp_path / "arc")]) == 0
    assert "KB free, room for" in capsys.readouterr().out


def test_a_forgotten_session_is_not_pulled_back(tmp_path, image, capsys):
    with emulated_device(image) as emu, Archive.open(tmp_path / "arc") as arc:
        assert pull(emu.device_path, arc, progress=False, say=_quiet) == 0
        arc.forget(arc.find("2"))
        said: list[str] = []
        assert pull(emu.device_path, arc, progress=False, say=said.append) == 0
        assert arc.count() == N - 1
    assert any("forget" in s for s in said)


def test_pull_without_prune_leaves_the_device_unchanged(tmp_path, image):
    with emulated_device(image) as emu, Archive.open(tmp_path / "arc") as arc:
        before = _device_names(emu.device_path)
        assert pull(emu.device_path, arc, progress=False, say=_quiet) == 0
        after = _device_names(emu.device_path)
    assert [n for n in after if not n.endswith(".ack")] == before


def test_cut_short_session_is_archived_and_listed_incomplete(tmp_path, image):
    with emulated_device(image) as emu, Archive.open(tmp_path / "arc") as arc:
        pull(emu.device_path, arc, progress=False, say=_quiet)
        row = arc.find("7")
    assert row["complete"] == 0
    assert arc is not None and row["volume_estimated"] == 1


def test_pull_from_a_missing_port_says_so_and_fails(tmp_path, capsys):
    code = cli.main(
        ["pull", "--port", str(tmp_path / "ttyNOPE"), "--archive", str(tmp_path / "arc")]
    )
    assert code != 0
    assert "no device at" in capsys.readouterr().err


def test_pull_from_a_busy_port_says_so_and_fails(tmp_path, image, capsys):
    with emulated_device(image) as emu:
        holder = serial.Serial(emu.device_path, exclusive=True)
        try:
            code = cli.main(
                ["pull", "--port", emu.device_path, "--archive", str(tmp_path / "arc"), "--quiet"]
            )
        finally:
            holder.close()
    assert code != 0
    assert "busy" in capsys.readouterr().err
    assert Archive.open(tmp_path / "arc").count() == 0


class _Port:
    def __init__(self, device, vid, pid):
        self.device, self.vid, self.pid = device, vid, pid


def test_auto_detect_finds_the_board_by_its_usb_ids(monkeypatch):
    ports = [
        _Port("/dev/ttyS0", None, None),
        _Port("/dev/ttyUSB0", 0x0403, 0x6001),
        _Port("/dev/ttyACM0", 0x303A, 0x1001),
    ]
    monkeypatch.setattr(transport.serial.tools.list_ports, "comports", lambda: ports)
    assert transport.choose_port(None) == "/dev/ttyACM0"
    assert transport.choose_port("/dev/ttyX") == "/dev/ttyX"


@pytest.mark.parametrize("ids", [[], [(0x10C4, 0xEA60), (0x1A86, 0x7523)]])
def test_auto_detect_with_no_board_or_several_asks_for_a_port(monkeypatch, ids):
    ports = [_Port("/dev/ttyUSB%d" % i, v, p) for i, (v, p) in enumerate(ids)]
    monkeypatch.setattr(transport.serial.tools.list_ports, "comports", lambda: ports)
    with pytest.raises(transport.DeviceError, match="--port"):
        transport.choose_port(None)
