"""Test helper: an emulated pump monitor (`pumpmon emulate --idle`) holding given session files.

    with emulated_device(image) as emu:      # emu.device_path is the pty to connect to
        ...
    emu.kill()                               # pull the plug (SIGKILL) mid-test

The relay runs in a thread for the life of the block; the flash image persists, so a second
block on the same image is the device after a restart.
"""

from __future__ import annotations

from pumpmon import flashimage
from pumpmon.emulate import Emulator

START_TIME_S = 800_000_000  # 2025-05-08, seconds since 2000-01-01 UTC


def session_files(n: int, minutes: float = 3, incomplete: tuple[int, ...] = ()) -> dict:
    """{device path: bytes} of sessions 1..n, one hour apart, some cut short."""
    return {
        flashimage.SESSION_DIR + "/" + flashimage.session_name(i): flashimage.synthetic_session(
            i, START_TIME_S + i * 3600, minutes=minutes, seed=i, complete=i not in incomplete
        )
        for i in range(1, n + 1)
    }


def emulated_device(image):
    """An idle emulated device on `image`, relayed in a thread for the life of the block."""
    return Emulator(idle=True, flash=image).serving()


def archive_of(
    root,
    n: int,
    minutes: float = 4,
    incomplete: tuple[int, ...] = (),
    no_clock: tuple[int, ...] = (),
    device: str = "240ac4000001",
):
    """An archive at `root` holding sessions 1..n (those in `no_clock` without a clock time)."""
    from pumpmon.archive import Archive

    files = session_files(n, minutes=minutes, incomplete=incomplete)
    for i in no_clock:
        files[flashimage.SESSION_DIR + "/" + flashimage.session_name(i)] = (
            flashimage.synthetic_session(
                i, None, minutes=minutes, seed=i, complete=i not in incomplete
            )
        )
    with Archive.open(root) as arc:
        for path, data in files.items():
            arc.add(device, path.rsplit("/", 1)[1], data)
    return root
