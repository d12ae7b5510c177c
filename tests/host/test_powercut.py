"""Power cuts: the emulated device is SIGKILLed at random moments while it records sessions
onto a file-backed littlefs image; after every cut the image must mount, every session must
decode, and at most the last 2 s of session time may be lost.

The device side (tests/firmware/mp/powercut.py) is a unix-port process writing through
device/logstore.py onto firmware/unix/flashdev.py's FileFlash (every littlefs program goes
straight to the image file, so a kill leaves what a power cut would). It runs sessions back
to back at an accelerated clock (no sleeping) and prints each sample's t_ms after handing
it to the log. The kill delays are seeded; which sample a kill lands on depends on the
machine's speed, so the delays count from the first session's opening and the test keeps
cutting until it has 50 cuts that landed inside a session (at most 90 tries).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time

from conftest import COMPILED_TESTS, MP_TESTS, call_in_port
from pumpmon import unixport

IMAGE_BYTES = 2 * 1024 * 1024
CUTS_WANTED = 50
MAX_TRIES = 90
LOSS_LIMIT_MS = 2000


def _run_device(img: str, seed: int, delay_s: float) -> list[str]:
    unixport.compile_tree(MP_TESTS, COMPILED_TESTS, "tests/firmware/mp/")
    env = unixport.micropython_env([COMPILED_TESTS])
    call = "import powercut\npowercut.record(%r, %d, %d)" % (img, IMAGE_BYTES, seed)
    proc = subprocess.Popen(
        unixport.command(["-c", call]),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=str(unixport.COMPILED),
    )
    lines: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        # the delay counts from the first session's `open`: on a loaded machine the mount and
        # the first open took most of a 0.3-s delay, and only 41 of 90 cuts landed inside a
        # session (the cuts before it still check the image, but count for nothing)
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode().strip()
            lines.append(line)
            if not ready.is_set() and line.startswith("open"):
                ready.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    if not ready.wait(30):
        proc.kill()
        raise AssertionError("the device never started: %s" % proc.stderr.read().decode())
    time.sleep(delay_s)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    reader.join(10)
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert proc.returncode == -signal.SIGKILL, "the device stopped by itself: %s" % err
    return lines


def _check_image(img: str) -> list[dict]:
    return call_in_port("powercut", "check", img, IMAGE_BYTES, heap="16M")


def test_power_cuts_lose_at_most_2_s_and_leave_every_session_decodable(tmp_path):
    img = str(tmp_path / "flash.img")
    rng = random.Random(20250505)
    cuts_in_session = 0
    tries = 0
    closed: dict[int, int] = {}  # session id -> samples, for sessions that closed
    while cuts_in_session < CUTS_WANTED:
        tries += 1
        assert tries <= MAX_TRIES, "only %d of %d cuts landed inside a session" % (
            cuts_in_session,
            tries - 1,
        )
        lines = _run_device(img, rng.randrange(1 << 30), rng.uniform(0.02, 0.3))
        open_sid = None
        last_t = 0
        for line in lines:
            parts = line.split()
            if parts[0] == "open":
                open_sid, last_t = int(parts[1]), 0
            elif parts[0] == "s":
                last_t = int(parts[2])
            elif parts[0] == "close":
                closed[int(parts[1])] = int(parts[2])
                open_sid = None

        sessions = {s["sid"]: s for s in _check_image(img)}
        for sid, s in sessions.items():
            # every session on the image decodes cleanly: intact frames only
            assert s["header"], "session %d has no readable header" % sid
            assert s["damaged"] == 0 and s["skipped"] == 0, "session %d is damaged: %s" % (
                sid,
                s,
            )
            assert s["prefix"], "session %d's samples are not an unbroken run" % sid
        for sid, n in closed.items():
            if sid in sessions:  # (pruned ones were confirmed by the device script)
                s = sessions[sid]
                assert s["complete"] and s["n"] == n == s["summary_n"], s
        if open_sid is not None and last_t > 0:
            s = sessions.get(open_sid)
            assert s is not None, "the interrupted session %d is gone" % open_sid
            if not s["complete"]:
                cuts_in_session += 1
            assert s["last_t"] >= last_t - LOSS_LIMIT_MS, (
                "cut at t=%d ms lost the samples back to t=%d ms" % (last_t, s["last_t"])
            )
    assert cuts_in_session >= CUTS_WANTED
