"""The whole product, end to end: the app records on the emulated device, pumpmon pulls.

These run the real firmware app (firmware/app.py on the sim board) in the emulator, not
synthetic log files: a session recorded from a trace is pulled, verified and archived with
its events; a power cut mid-session loses at most the last 2 s of session time and the
session is kept, marked incomplete; a pull during a session closes the log cleanly first.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

from pumpmon.emulate import DEMO_TRACE, Emulator

HANG_GUARD_S = 120
CLOCK = re.compile(r"^\[(\d+):(\d\d)\] ")


def pumpmon(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pumpmon.cli", *args], capture_output=True,
                          text=True, timeout=HANG_GUARD_S)


def sessions(archive: Path) -> list[dict]:
    proc = pumpmon("sessions", "--archive", str(archive), "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def pull_from(flash: Path, archive: Path) -> subprocess.CompletedProcess[str]:
    with Emulator(idle=True, flash=flash).serving() as emu:
        return pumpmon("pull", "--port", emu.device_path, "--archive", str(archive))


def test_a_session_recorded_by_the_app_is_pulled_with_its_events(tmp_path):
    flash, archive = tmp_path / "flash.img", tmp_path / "archive"
    lines: list[str] = []
    with Emulator(trace=DEMO_TRACE, speed=400, flash=flash, then_exit=True,
                  console=lines.append) as emu:
        deadline = time.monotonic() + HANG_GUARD_S
        assert emu.run(lambda: time.monotonic() > deadline) == 0
    assert any(line.startswith("session 1:") for line in lines), lines
    pull = pull_from(flash, archive)
    assert pull.returncode == 0, pull.stdout + pull.stderr
    (s,) = sessions(archive)
    assert s["complete"] is True
    # what the device said at the end is what the archive holds
    said = next(line for line in lines if line.startswith("session 1:"))
    m = re.match(r"session 1: ([0-9.]+) mL, (\d+) letdowns", said)
    assert m, said
    assert abs(float(m.group(1)) - s["volume_ml"]) <= 0.1  # both rounded to 0.1 mL
    assert int(m.group(2)) == s["letdowns"]
    cues = [line for line in lines if "] cue: " in line]
    show = pumpmon("show", str(s["id"]), "--archive", str(archive))
    assert show.returncode == 0
    assert show.stdout.count("cue:") == len(cues)


def test_power_cut_mid_session_keeps_the_session_marked_incomplete(tmp_path):
    flash, archive = tmp_path / "flash.img", tmp_path / "archive"
    seen_s: list[int] = []

    def console(line: str) -> None:
        m = CLOCK.match(line)
        if m:
            seen_s.append(int(m.group(1)) * 60 + int(m.group(2)))

    emu = Emulator(trace=DEMO_TRACE, speed=20, flash=flash, console=console)
    emu.start()
    deadline = time.monotonic() + HANG_GUARD_S
    # wait until the device has announced something past 3 minutes of session time
    while not (seen_s and seen_s[-1] >= 180) and time.monotonic() < deadline:
        emu.step(0.02)
    assert seen_s and seen_s[-1] >= 180, "the device never got 3 minutes into the session"
    last_seen_s = seen_s[-1]
    emu.kill()  # the battery dies
    emu.stop()
    pull = pull_from(flash, archive)
    assert pull.returncode == 0, pull.stdout + pull.stderr
    (s,) = sessions(archive)
    assert s["complete"] is False
    # the device had announced session time last_seen_s (whole seconds) before the cut
    assert s["duration_s"] >= last_seen_s - 2


def test_pull_during_a_session_closes_the_log_cleanly_first(tmp_path):
    flash, archive = tmp_path / "flash.img", tmp_path / "archive"
    with Emulator(trace=DEMO_TRACE, speed=20, flash=flash).serving() as emu:
        time.sleep(2)  # the session is under way (about 40 s of session time)
        pull = pumpmon("pull", "--port", emu.device_path, "--archive", str(archive))
    assert pull.returncode == 0, pull.stdout + pull.stderr
    (s,) = sessions(archive)
    assert s["complete"] is True  # closed by the app, not cut
    assert s["duration_s"] > 0
