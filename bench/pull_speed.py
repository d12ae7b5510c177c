"""`make bench` section: how fast `pumpmon pull` moves sessions, against `mpremote fs cp`.

    .venv/bin/python -m bench --only pull_speed

One emulated device (`pumpmon emulate --idle` on a pseudo-terminal) holding N session files
(20 sessions of 15 min, two bottles at 10 Hz, encoded by the firmware's codec). Both tools
copy the same files over the same link in the same run:
  - mpremote: one `mpremote connect <pty> resume fs cp :/sessions/<each> <dir>/` process;
  - pumpmon: one pull into an empty archive (listing, transfer, CRC checks, archiving,
    marking the sessions on the device), without restarting the app afterwards so that both
    end at the REPL.
Each is timed over the whole command (connecting included), best of REPEATS, and the copies
are compared byte for byte with the originals. pull_speed_ratio = mpremote time / pull time.

Limits: a pty is faster than USB full speed, so absolute KB/s are not a board's; the ratio is
what carries over (round trips per byte and text overhead are the same on both links).
"""

from __future__ import annotations

import filecmp
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pumpmon import flashimage
from pumpmon.archive import Archive
from pumpmon.emulate import Emulator
from pumpmon.pull import pull

N_SESSIONS = 20
SESSION_MIN = 15
REPEATS = 2


def _mpremote() -> str:
    here = Path(sys.executable).parent / "mpremote"
    return str(here) if here.exists() else "mpremote"


def run(ctx=None) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-pull-") as tmp:
        tmp_path = Path(tmp)
        files = {}
        for i in range(1, N_SESSIONS + 1):
            files[flashimage.SESSION_DIR + "/" + flashimage.session_name(i)] = (
                flashimage.synthetic_session(
                    i, 800_000_000 + i * 7200, minutes=SESSION_MIN, seed=i
                )
            )
        total = sum(len(v) for v in files.values())
        image = tmp_path / "flash.img"
        flashimage.put_files(image, files)
        originals = tmp_path / "originals"
        originals.mkdir()
        for dst, data in files.items():
            (originals / Path(dst).name).write_bytes(data)

        with Emulator(idle=True, flash=image).serving() as emu:
            port = emu.device_path
            # wake the device once (the app hands over its REPL), so neither tool pays that
            subprocess.run(
                [_mpremote(), "connect", port, "resume", "exec", "pass"],
                capture_output=True,
                timeout=60,
                check=True,
            )
            t_mp = []
            t_pull = []
            for rep in range(REPEATS):
                out = tmp_path / ("mpremote%d" % rep)
                out.mkdir()
                srcs = [":" + p for p in files]
                t0 = time.perf_counter()
                proc = subprocess.run(
                    [_mpremote(), "connect", port, "resume", "fs", "cp", *srcs, str(out) + "/"],
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                t_mp.append(time.perf_counter() - t0)
                if proc.returncode != 0:
                    raise RuntimeError("mpremote fs cp failed: %s" % proc.stderr[-400:])
                names = [Path(p).name for p in files]
                _m, mismatch, errors = filecmp.cmpfiles(originals, out, names, shallow=False)
                if mismatch or errors:
                    raise RuntimeError("mpremote copies differ: %s" % (mismatch + errors))

                arc = Archive.open(tmp_path / ("archive%d" % rep))
                t0 = time.perf_counter()
                code = pull(port, arc, restart=False, progress=False, say=lambda _m: None)
                t_pull.append(time.perf_counter() - t0)
                if code != 0:
                    raise RuntimeError("pumpmon pull exited %d" % code)
                for row in arc.list():
                    data = arc.read_bytes(row)
                    if data != files[flashimage.SESSION_DIR + "/" + row["name"]]:
                        raise RuntimeError("pulled %s differs from the original" % row["name"])
                if arc.count() != N_SESSIONS:
                    raise RuntimeError("pull archived %d of %d" % (arc.count(), N_SESSIONS))
                arc.close()
                # the pull marked them: remove the marks so the next round starts alike
                subprocess.run(
                    [
                        _mpremote(),
                        "connect",
                        port,
                        "resume",
                        "exec",
                        "import os\nfor n in os.listdir('/sessions'):\n"
                        " if n.endswith('.ack'): os.remove('/sessions/'+n)",
                    ],
                    capture_output=True,
                    timeout=60,
                )
    best_mp = min(t_mp)
    best_pull = min(t_pull)
    mp_kb_s = total / 1024 / best_mp
    pull_kb_s = total / 1024 / best_pull
    ratio = best_mp / best_pull
    print(
        "\n== pull_speed: %d sessions, %.0f KB, over the emulated device (pty)"
        % (N_SESSIONS, total / 1024)
    )
    print("   %-34s %8s %10s" % ("tool", "time s", "KB/s"))
    print("   %-34s %8.2f %10.1f" % ("mpremote fs cp (repr, 256 B chunks)", best_mp, mp_kb_s))
    print("   %-34s %8.2f %10.1f" % ("pumpmon pull (base64 stream, CRC)", best_pull, pull_kb_s))
    print(
        "   pull_speed_ratio = %.1f   (best of %d each; reproduce: "
        ".venv/bin/python -m bench --only pull_speed)" % (ratio, REPEATS)
    )
    return {
        "pull_speed_ratio": round(ratio, 2),
        "pull_kb_s": round(pull_kb_s, 1),
        "mpremote_cp_kb_s": round(mp_kb_s, 1),
    }


if __name__ == "__main__":
    print(run())
