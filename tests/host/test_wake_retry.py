"""A board that light-slept is found again: `pumpmon pull` (transport.Device.connect) and
`make deploy` (build.deploy) retry until it wakes (issue 14, docs/hardware.md "Power")."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from emulated_device import emulated_device
from pumpmon import build, flashimage, transport


class _Port:
    def __init__(self, device, vid, pid):
        self.device, self.vid, self.pid = device, vid, pid


def test_connect_waits_for_a_board_whose_usb_is_gone_while_it_sleeps(tmp_path, monkeypatch):
    image = tmp_path / "flash.img"
    flashimage.put_files(image, {})
    with emulated_device(image) as emu:
        calls = []

        def comports():  # an ESP32-S3 in light sleep: not on USB for the first lookups
            calls.append(1)
            if len(calls) < 3:
                return []
            return [_Port(emu.device_path, 0x303A, 0x1001)]

        monkeypatch.setattr(transport.serial.tools.list_ports, "comports", comports)
        said = []
        with transport.Device.connect(None, say=said.append, wake_timeout_s=20) as dev:
            assert dev.eval("1+1") == 2
    assert len(calls) >= 3
    assert any("asleep" in s for s in said)


def test_connect_gives_up_after_the_wake_time_and_says_what_to_do(monkeypatch):
    monkeypatch.setattr(transport.serial.tools.list_ports, "comports", lambda: [])
    with pytest.raises(transport.DeviceError, match="waited 1 s for it to wake"):
        transport.Device.connect(None, wake_timeout_s=1)


def test_deploy_wakes_the_board_and_retries_a_failed_step(tmp_path):
    build_dir = tmp_path / "mpy"
    (build_dir / "shared").mkdir(parents=True)
    (build_dir / "shared" / "events.mpy").write_bytes(b"M")
    codes = [1, 0, 0, 0]  # the first mpremote step meets a board that went back to sleep
    runs, wakes = [], []

    def fake_run(cmd):
        runs.append(cmd)
        return SimpleNamespace(returncode=codes[len(runs) - 1])

    build.deploy(
        "devkitc_hx711", "/dev/ttyUSB7", build_dir=build_dir, run=fake_run, wake=wakes.append
    )
    assert len(runs) == 4 and runs[0] == runs[1]
    assert wakes == ["/dev/ttyUSB7", "/dev/ttyUSB7"]
