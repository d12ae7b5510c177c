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
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    path = proc.stdout.readline().strip()
    assert path.startswith("/dev/"), f"first line should be the device path, got {path!r}"
    return proc, path


def mpremote(port: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "mpremote"), "connect", port, "resume", *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
    )


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
        for line in subprocess.run(
            ["ps", "-eo", "pid,args"], capture_output=True, text=True
        ).stdout.splitlines()
        if line.split()[0] == str(proc.pid)
    )


WRITE_KEPT = "with open('/kept.txt', 'w') as f: f.write('milk')"
READ_KEPT = "print(open('/kept.txt').read())"


def _exec_on(image: Path, code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    """`mpremote exec code` on an idle emulator run on the flash `image`, stopped after."""
    proc, port = start_emulator("--idle", "--flash", str(image), *flags)
    try:
        return mpremote(port, "exec", code)
    finally:
        stop(proc)


def test_flash_image_keeps_files_between_runs(tmp_path):
    image = tmp_path / "flash.img"
    out = _exec_on(image, WRITE_KEPT)
    assert out.returncode == 0, out.stderr
    out = _exec_on(image, READ_KEPT)
    assert out.stdout.strip() == "milk"


def test_emulate_rejects_a_bad_trace_with_status_2(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("t_s,weight\n0,1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pumpmon.cli", "emulate", "--trace", str(bad)],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
    )
    assert proc.returncode == 2
    assert "weight_g" in proc.stderr and "Traceback" not in proc.stderr


def test_emulate_notes_a_trace_sampled_under_4_a_second(tmp_path):
    # the emulated device still runs it (design contract 3 allows gaps), with the same note
    # as replay; a 10-Hz trace gets none
    from pumpmon.emulate import Emulator

    rows = ["t_s,weight_g"] + ["%d,%.1f" % (t, 0.1 * t) for t in range(120)]
    slow = tmp_path / "slow.csv"
    slow.write_text("\n".join(rows) + "\n")
    emu = Emulator(trace=slow)
    emu._write_run_files()
    assert len(emu.trace_notes) == 1 and emu.trace_notes[0].startswith(f"{slow}: most samples")
    fine = tmp_path / "fine.csv"
    fine.write_text("\n".join(["t_s,weight_g"] + ["%.1f,0" % (t / 10) for t in range(600)]) + "\n")
    emu = Emulator(trace=fine)
    emu._write_run_files()
    assert emu.trace_notes == []


@pytest.mark.parametrize("speed", ["0", "-1"])
def test_emulate_rejects_a_speed_that_is_not_positive(speed):
    proc = subprocess.run(
        [sys.executable, "-m", "pumpmon.cli", "emulate", "--speed", speed],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
    )
    assert proc.returncode == 2
    assert "speed" in proc.stderr


def emulate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pumpmon.cli", "emulate", "--quiet", "--then-exit", *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
    )


@pytest.mark.parametrize("speed", ["inf", "nan", "-inf", "1e400", "fast"])
def test_a_speed_that_is_not_a_finite_positive_number_is_one_line_and_status_2(speed):
    proc = emulate("--speed", speed)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "speed" in proc.stderr and "Traceback" not in proc.stderr


def _not_images(tmp_path: Path) -> dict[str, tuple[Path, bytes | None]]:
    folder = tmp_path / "a folder"
    folder.mkdir()
    cases = {"folder": (folder, None)}
    for name, data in (
        ("empty", b""),
        ("100k", os.urandom(100_000)),
        ("users_2mb", os.urandom(2 * 1024 * 1024)),
    ):
        path = tmp_path / (name + ".img")
        path.write_bytes(data)
        cases[name] = (path, data)
    return cases


def test_flash_that_is_not_a_littlefs_image_is_refused_and_left_untouched(tmp_path):
    for name, (path, data) in _not_images(tmp_path).items():
        proc = emulate("--idle", "--flash", str(path))
        assert proc.returncode == 2, (name, proc.stdout, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1, (name, proc.stderr)
        assert "Traceback" not in proc.stderr + proc.stdout
        if data is not None:
            assert path.read_bytes() == data, name  # never overwritten


def test_flash_is_created_when_missing_then_mounted_and_format_only_when_asked(tmp_path):
    image = tmp_path / "new.img"
    out = _exec_on(image, WRITE_KEPT)
    assert out.returncode == 0, out.stderr
    assert image.stat().st_size == 2 * 1024 * 1024
    mine = tmp_path / "mine.img"
    mine.write_bytes(os.urandom(8192))
    proc, port = start_emulator("--idle", "--flash", str(mine), "--format")  # asked: erased
    stop(proc)
    out = _exec_on(mine, "import os; print(os.listdir())")  # now an image: mounted
    assert "board.json" in out.stdout
    out = _exec_on(image, READ_KEPT)  # the first one, kept
    assert out.stdout.strip() == "milk"


def test_mpremote_with_its_default_soft_reset_works_and_the_device_stays(tmp_path):
    proc, port = start_emulator("--idle", "--flash", str(tmp_path / "flash.img"))
    try:
        for _ in range(2):  # `connect PORT ls` soft-resets first, as on a board
            out = subprocess.run(
                [str(BIN / "mpremote"), "connect", port, "ls"],
                capture_output=True,
                text=True,
                timeout=HANG_GUARD_S,
            )
            assert out.returncode == 0, out.stdout + out.stderr
            assert "board.json" in out.stdout and "Traceback" not in out.stderr
        assert proc.poll() is None  # still serving
        out = mpremote(port, "exec", "print(6*7)")
        assert out.stdout.strip() == "42"
        pull = subprocess.run(
            [
                sys.executable,
                "-m",
                "pumpmon.cli",
                "pull",
                "--port",
                port,
                "--archive",
                str(tmp_path / "arc"),
                "--quiet",
            ],
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_S,
        )
        assert pull.returncode == 0, pull.stdout + pull.stderr
    finally:
        assert stop(proc) == 0
