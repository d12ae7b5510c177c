"""`make demo`: the whole product on this computer, in under a minute.

1. An emulated device (the firmware in the MicroPython unix port, flash as a littlefs image)
   runs a bundled, realistic 15-minute double-pumping session at 60x speed; each cue is
   shown as it fires, with the session clock.
2. A second boot of the same flash sits idle on its emulated USB port; `pumpmon pull`
   copies the session log into an archive, verified.
3. `pumpmon show` prints the session; `pumpmon plot` writes a PNG; `pumpmon report` writes the
   page a parent would send to a lactation consultant.
Everything lands in ./demo_out/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .emulate import DEMO_TRACE, Emulator

SPEED = 60.0
OUT = Path("demo_out")


def _pumpmon(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pumpmon.cli", *args], capture_output=True, text=True, timeout=120
    )


def _fail(what: str, proc: subprocess.CompletedProcess[str]) -> int:
    sys.stderr.write(f"demo: {what} failed (exit {proc.returncode})\n{proc.stdout}{proc.stderr}")
    return 1


def main() -> int:
    t0 = time.monotonic()
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    flash = OUT / "flash.img"
    archive = OUT / "archive"
    print(
        f"== 1. The device runs a 15-minute session at {SPEED:g}x "
        f"(bundled trace: {DEMO_TRACE.name}, two bottles, accelerometer)"
    )
    with Emulator(
        trace=DEMO_TRACE,
        speed=SPEED,
        flash=flash,
        then_exit=True,
        console=lambda line: print(f"   device | {line}", flush=True),
    ) as emu:
        print(f"   device on {emu.device_path}")
        deadline = time.monotonic() + 60
        code = emu.run(lambda: time.monotonic() > deadline)
    if code:
        sys.stderr.write(f"demo: the emulated device stopped with status {code}\n")
        return 1

    print("== 2. The device sits on the desk; pumpmon pulls its log over emulated USB")
    with Emulator(idle=True, flash=flash).serving() as idle:
        pull = _pumpmon("pull", "--port", idle.device_path, "--archive", str(archive))
    print("   " + (pull.stdout.strip() or pull.stderr.strip()).replace("\n", "\n   "))
    if pull.returncode != 0:
        return _fail("pumpmon pull", pull)

    listing = _pumpmon("sessions", "--archive", str(archive), "--json")
    if listing.returncode != 0:
        return _fail("pumpmon sessions", listing)
    sessions = json.loads(listing.stdout)
    if not sessions:
        sys.stderr.write("demo: the pull found no session on the device\n")
        return 1
    sid = str(sessions[-1]["id"])

    print(f"== 3. Session {sid}")
    show = _pumpmon("show", sid, "--archive", str(archive))
    if show.returncode != 0:
        return _fail("pumpmon show", show)
    print("   " + show.stdout.strip().replace("\n", "\n   "))
    png = OUT / "session.png"
    plot = _pumpmon("plot", sid, "-o", str(png), "--archive", str(archive))
    if plot.returncode != 0:
        return _fail("pumpmon plot", plot)
    report = OUT / "report.html"
    made = _pumpmon("report", "--archive", str(archive), "-o", str(report))
    if made.returncode != 0:
        return _fail("pumpmon report", made)
    s = sessions[-1]
    print("\n== Summary")
    print(
        f"   expressed {s['volume_ml']:.1f} mL in {s['duration_s'] / 60:.1f} min, "
        f"{s['letdowns']} letdowns"
    )
    print(f"   plot: {png.resolve()}")
    print(f"   report: {report.resolve()}  (open it in a browser; it prints to PDF)")
    print(
        f"   archive: {archive.resolve()}  (try: .venv/bin/pumpmon sessions --archive {archive})"
    )
    print(f"   demo took {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
