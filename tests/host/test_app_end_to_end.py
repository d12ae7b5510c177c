"""The whole product, end to end: the app records on the emulated device, pumpmon pulls.

These run the real firmware app (firmware/app.py on the sim board) in the emulator, not
synthetic log files: a session recorded from a trace is pulled, verified and archived with
its events; a power cut mid-session loses at most the last 2 s of session time and the
session is kept, marked incomplete; a pull during a session leaves it running, `config set`
does not end it without --stop-session; a full flash gives its own cue and keeps the summary.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

from conftest import call_in_port
from emulated_device import session_files
from pumpmon import flashimage
from pumpmon.emulate import DEMO_TRACE, Emulator

HANG_GUARD_S = 120
CLOCK = re.compile(r"^\[(\d+):(\d\d)\] ")


def pumpmon(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pumpmon.cli", *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
    )


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
    with Emulator(
        trace=DEMO_TRACE, speed=400, flash=flash, then_exit=True, console=lines.append
    ) as emu:
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


def _wait_for(pred, what: str, emu: Emulator | None = None) -> None:
    deadline = time.monotonic() + HANG_GUARD_S
    while not pred():
        assert time.monotonic() < deadline, what
        if emu is not None:
            emu.step(0.02)
        else:
            time.sleep(0.05)


def _timeline(archive: Path, sid: str) -> str:
    show = pumpmon("show", sid, "--archive", str(archive))
    assert show.returncode == 0, show.stderr
    return show.stdout


def test_pull_during_a_session_leaves_it_running_and_the_next_pull_gets_it_whole(tmp_path):
    flash, archive = tmp_path / "flash.img", tmp_path / "archive"
    flashimage.put_files(flash, session_files(2))  # two finished sessions already there
    # the 900 s demo session in ~15 s; the pull comes about 2 s in
    with Emulator(trace=DEMO_TRACE, speed=60, flash=flash).serving() as emu:
        time.sleep(2)
        pull = pumpmon("pull", "--port", emu.device_path, "--archive", str(archive))
        assert pull.returncode == 0, pull.stdout + pull.stderr
        assert "left running" in pull.stdout
        assert [s["session_number"] for s in sessions(archive)] == [1, 2]  # not the running
        time.sleep(900 / 60)  # the rest of the session (the pull paused it a moment)
        _wait_for(
            lambda: (
                pumpmon("pull", "--port", emu.device_path, "--archive", str(archive)).returncode
                == 0
                and len(sessions(archive)) == 3
            ),
            "the session never ended after the pull",
        )
    third = sessions(archive)[2]
    assert third["complete"] is True and third["session_number"] == 3
    assert third["duration_s"] > 600  # it went on after the pull, it was not ended there
    assert "ended from the computer" not in _timeline(archive, third["id"])


def test_config_set_during_a_session_refuses_unless_asked_to_stop_it(tmp_path):
    flash, archive = tmp_path / "flash.img", tmp_path / "archive"
    with Emulator(trace=DEMO_TRACE, speed=20, flash=flash).serving() as emu:
        time.sleep(2)
        refused = pumpmon("config", "set", "haptic_intensity_pct=50", "--port", emu.device_path)
        assert refused.returncode == 2
        assert "--stop-session" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        pull = pumpmon("pull", "--port", emu.device_path, "--archive", str(archive))
        assert "left running" in pull.stdout  # still going: config set did not end it
        done = pumpmon(
            "config", "set", "haptic_intensity_pct=50", "--stop-session", "--port", emu.device_path
        )
        assert done.returncode == 0, done.stderr
        assert "ended the session" in done.stdout
        pull = pumpmon("pull", "--port", emu.device_path, "--archive", str(archive))
        assert pull.returncode == 0, pull.stdout + pull.stderr
    (s,) = sessions(archive)
    assert s["complete"] is True
    assert "session end (ended from the computer" in _timeline(archive, s["id"])


def test_a_full_flash_gives_the_not_saved_cue_and_keeps_the_summary(tmp_path):
    flash, archive = tmp_path / "flash.img", tmp_path / "archive"
    for run in (1, 2):  # session 1 on a flash with room; then the flash fills up; session 2
        if run == 2:
            call_in_port("fullflash", "fill", str(flash), heap="2M")  # raises if it fails
        lines: list[str] = []
        with Emulator(
            trace=DEMO_TRACE, speed=400, flash=flash, then_exit=True, console=lines.append
        ) as emu:
            deadline = time.monotonic() + HANG_GUARD_S
            assert emu.run(lambda d=deadline: time.monotonic() > d) == 0
    cues = [line for line in lines if "] cue: " in line]
    assert cues and cues[0].endswith("cue: not_saved"), lines[:10]
    said = next(line for line in lines if line.startswith("session 2:"))
    pull = pull_from(flash, archive)
    assert pull.returncode == 0, pull.stdout + pull.stderr
    assert "room for 0 more sessions" in pull.stdout
    first, second = sessions(archive)
    assert second["session_number"] == 2 and second["complete"] is True  # its summary
    m = re.match(r"session 2: ([0-9.]+) mL", said)
    assert m and abs(float(m.group(1)) - second["volume_ml"]) <= 0.1
    assert second["volume_ml"] == first["volume_ml"]  # the same trace twice
