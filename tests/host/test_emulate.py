"""`pumpmon emulate` is a device on a pseudo-terminal that mpremote can talk to."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
HANG_GUARD_S = 60  # generous: only there so a hung emulator fails the test instead of CI


def start_emulator(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pumpmon.cli", "emulate", "--quiet", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    assert proc.stdout is not None
    path = proc.stdout.readline().strip()
    assert path.startswith("/dev/"), f"first line should be the device path, got {path!r}"
    return proc, path


def mpremote(port: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "mpremote"), "connect", port, "resume", *args],
                          capture_output=True, text=True, timeout=HANG_GUARD_S)


def stop(proc: subprocess.Popen[str]) -> int:
    os.killpg(proc.pid, signal.SIGINT)
    return proc.wait(timeout=HANG_GUARD_S)


def test_mpremote_lists_the_emulated_flash_and_ctrl_c_stops_the_emulator(tmp_path):
    proc, port = start_emulator("--idle", "--flash", str(tmp_path / "flash.img"))
    try:
        out = mpremote(port, "exec", "import os; print(os.listdir())")
        assert out.returncode == 0, out.stderr
        listing = out.stdout.strip()
        assert "board.json" in listing  # the board file lives on the emulated flash
    finally:
        code = stop(proc)
    assert code == 0
    assert not any(
        "emulator_boot" in line
        for line in subprocess.run(["ps", "-eo", "pid,args"], capture_output=True,
                                   text=True).stdout.splitlines()
        if line.split()[0] == str(proc.pid)
    )


def test_flash_image_keeps_files_between_runs(tmp_path):
    image = tmp_path / "flash.img"
    proc, port = start_emulator("--idle", "--flash", str(image))
    try:
        out = mpremote(port, "exec", "with open('/kept.txt', 'w') as f: f.write('milk')")
        assert out.returncode == 0, out.stderr
    finally:
        stop(proc)
    proc, port = start_emulator("--idle", "--flash", str(image))
    try:
        out = mpremote(port, "exec", "print(open('/kept.txt').read())")
        assert out.stdout.strip() == "milk"
    finally:
        stop(proc)


def test_emulate_rejects_a_bad_trace_with_status_2(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("t_s,weight\n0,1\n")
    proc = subprocess.run([sys.executable, "-m", "pumpmon.cli", "emulate", "--trace", str(bad)],
                          capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert proc.returncode == 2
    assert "weight_g" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("speed", ["0", "-1"])
def test_emulate_rejects_a_speed_that_is_not_positive(speed):
    proc = subprocess.run([sys.executable, "-m", "pumpmon.cli", "emulate", "--speed", speed],
                          capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert proc.returncode == 2
    assert "speed" in proc.stderr
