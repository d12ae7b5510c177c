"""`pumpmon emulate`: the whole firmware in the unix port, as a device on a pseudo-terminal.

    pumpmon emulate [--trace FILE | --idle] [--speed X] [--flash FILE [--format]]
                    [--then-exit] [--quiet]

The first line on stdout is the device path; `mpremote connect <path> ...` and
`pumpmon pull --port <path>` then work against it as against a board on USB.

The flash: `--flash FILE` creates FILE (a new 2 MB image) when it does not exist, mounts it
when it holds a littlefs image, and refuses anything else (a folder, an empty file, a file
of another kind) with one line and exit status 2. It never formats a file it did not create,
unless `--format` asks for it.

Soft reset: a board restarts on a soft reset (Ctrl-D at the REPL, or mpremote's default
before each command), and so does the emulated device: the unix port itself ends there, so
this relay starts it again on the same flash. As on a board, a soft reset from the friendly
REPL runs the app again (not the trace: it is one session per `emulate`), one from the raw
REPL comes back to the raw REPL.

How: `micropython -i firmware/unix/emulator_boot.py` runs on one pseudo-terminal (its
flash is a littlefs image file mounted at "/"), and this process relays bytes between that
terminal and a second one, whose path it prints. The relay plays the part of the USB
serial link: the device never blocks when no host is attached (like USB CDC, output with no
reader is dropped after a small buffer), its console lines are echoed here until a host
starts talking, and Ctrl-C here asks the app to close its session log before the process
is stopped. Limits: one client at a time, as on a real serial port.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tty
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

from . import unixport
from .errors import BAD_REQUEST, PumpmonError
from .trace import TraceError, notes, read_csv, stats_of

DEMO_TRACE = Path(__file__).resolve().parent / "data" / "demo_session.csv"
STALE_OUTPUT_BYTES = 4096  # device output kept for a host that has not connected yet
STOP_GRACE_S = 3.0
EXIT_MARKER = b"pumpmon-emulator: device exit"  # printed by emulator_boot.py on sys.exit()
FLASH_MARKER = b"pumpmon-emulator: flash"  # emulator_boot.py could not mount the image
SOFT_RESET_WINDOW_S = 2.0  # the device ended this soon after the host sent Ctrl-D: a reset
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
BLOCK_BYTES = 4096  # the flash sector (firmware/unix/flashdev.py)
NEW_FLASH_BYTES = 2 * 1024 * 1024  # a new image: a 2 MB data partition
LFS_MAGIC = b"littlefs"  # in the superblock entry at offset 8 of block 0 or 1


def check_flash(path: Path, format_it: bool) -> str:
    """What to do with a --flash FILE: "create" (missing), "format" (asked for), "mount"
    (a littlefs image). EmulatorError (one line) for anything else: never overwrite a file
    the user did not ask us to."""
    if path.is_dir():
        raise EmulatorError(
            f"--flash {path} is a folder: give an image file (a new name creates one)"
        )
    if not path.exists():
        if not path.parent.is_dir():
            raise EmulatorError(f"--flash {path}: folder {path.parent} does not exist")
        return "create"
    if not path.is_file():
        raise EmulatorError(f"--flash {path} is not a regular file: give an image file")
    if format_it:
        return "format"
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(2 * BLOCK_BYTES)
    except OSError as e:
        raise EmulatorError(f"--flash {path}: cannot read it ({e.strerror or e})") from None
    if (
        size == 0
        or size % BLOCK_BYTES
        or LFS_MAGIC not in (head[8:16], head[BLOCK_BYTES + 8 : BLOCK_BYTES + 16])
    ):
        raise EmulatorError(
            f"--flash {path} ({size} bytes) is not a littlefs flash image; refusing to touch "
            "it: give a new file name, or add --format to erase it and make a new image"
        )
    return "mount"


class EmulatorError(RuntimeError):
    pass


class Emulator:
    def __init__(
        self,
        trace: str | Path | None = None,
        idle: bool = False,
        speed: float = 1.0,
        flash: str | Path | None = None,
        then_exit: bool = False,
        console: Callable[[str], None] | None = None,
        format_flash: bool = False,
    ):
        if not math.isfinite(speed) or speed <= 0:
            raise EmulatorError(
                f"--speed must be a finite number above 0 (1 = real time), not {speed!r}"
            )
        self.format_flash = format_flash
        self.idle = idle
        self.trace = None if idle else Path(trace) if trace else DEMO_TRACE
        self.speed = speed
        self.then_exit = then_exit
        self.console = console
        self._tmp = tempfile.TemporaryDirectory(prefix="pumpmon-emulate-")
        self.host_dir = Path(self._tmp.name)
        self.flash = Path(flash) if flash else self.host_dir / "flash.img"
        self.proc: subprocess.Popen[bytes] | None = None
        self.device_path = ""
        self._dev_master = -1
        self._client_master = -1
        self._client_slave = -1
        self._to_client: deque[bytes] = deque()
        self._to_client_bytes = 0
        self._line = b""
        self._client_spoke = False
        self._tail = b""
        self._exiting = False
        self.dropped_bytes = 0
        self.flash_problem = ""  # the device could not mount its flash (it said why)
        self.soft_resets = 0
        self._raw = False  # the host put the REPL in raw mode (Ctrl-A) last, not Ctrl-B
        self._eot_at = -1.0  # when the host last sent Ctrl-D (soft reset when it ends)
        self._rebooting = b""  # after a raw soft reset: output held until the raw banner
        self._reboot_state = 0  # 1: waiting for the new REPL's prompt, 2: for the raw banner
        self._cmd: list[str] = []
        self._env: dict[str, str] = {}
        self.trace_notes: list[str] = []  # what the trace does unexpectedly (trace.notes)

    # -- setup --------------------------------------------------------------------------
    def _write_run_files(self) -> None:
        board: dict[str, str | int | bool] = {
            "name": "sim",
            "scale": "trace",
            "accel": "trace",
            "motor": "fake",
            "button": "fake",
        }
        if self.trace is not None:
            trace = read_csv(self.trace)  # TraceError: the caller reports it
            self.trace_notes = notes(str(self.trace), stats_of(trace))
            (self.host_dir / "trace.bin").write_bytes(trace.to_binary())
            steps = sorted(b - a for a, b in zip(trace.t_ms, trace.t_ms[1:], strict=False))
            # the nominal period (the log stores only deviations from it): the median step,
            # refined to microseconds over the steps near it (80 Hz is 12.5 ms)
            near = [x for x in steps if abs(x - steps[len(steps) // 2]) <= 1] if steps else []
            board.update(
                trace="/host/trace.bin",
                period_us=round(1000 * sum(near) / len(near)) if near else 100_000,
                speed_x1000=max(1, round(self.speed * 1000)),
                exit_after_session=self.then_exit,
            )
        (self.host_dir / "board.json").write_text(json.dumps(board))

    def start(self) -> str:
        mode = check_flash(self.flash, self.format_flash)
        self._write_run_files()
        if mode in ("create", "format"):
            # a blank (erased) image; the device formats it as littlefs at boot
            with open(self.flash, "wb") as f:
                f.truncate(0)
                blank = b"\xff" * BLOCK_BYTES
                for _ in range(NEW_FLASH_BYTES // BLOCK_BYTES):
                    f.write(blank)
        client_master, client_slave = os.openpty()
        tty.setraw(client_slave)
        os.set_blocking(client_master, False)
        self._env = unixport.micropython_env()  # compiles the firmware to .mpy when stale
        self._cmd = unixport.command(
            heap=unixport.EMULATOR_HEAP,
            args=[
                "-i",
                str(unixport.UNIX_FAKES / "emulator_boot.py"),
                str(self.flash.resolve()),
                str(unixport.COMPILED),
                str(self.host_dir),
                "format" if mode in ("create", "format") else "mount",
            ],
        )
        self._client_master = client_master
        self._client_slave = client_slave  # kept open: the link stays up between clients
        self._spawn([])
        self.device_path = os.ttyname(client_slave)
        return self.device_path

    def _spawn(self, extra: list[str]) -> None:
        """Start the unix port on a new device-side terminal."""
        dev_master, dev_slave = os.openpty()
        tty.setraw(dev_slave)
        os.set_blocking(dev_master, False)
        self.proc = subprocess.Popen(
            self._cmd + extra,
            stdin=dev_slave,
            stdout=dev_slave,
            stderr=dev_slave,
            env=self._env,
            cwd=str(self.host_dir),
            start_new_session=True,
        )
        os.close(dev_slave)
        if self._dev_master >= 0:
            try:
                os.close(self._dev_master)
            except OSError:
                pass
        self._dev_master = dev_master

    def _soft_reset(self) -> bool:
        """The device process ended: was it a soft reset (Ctrl-D from the host)? Then start
        it again as a board restarts, and return True."""
        if (
            self.proc is None
            or self.proc.returncode != 0
            or self._exiting
            or self.flash_problem
            or self._eot_at < 0
            or time.monotonic() - self._eot_at > SOFT_RESET_WINDOW_S
        ):
            return False
        self._eot_at = -1.0
        self.soft_resets += 1
        # "soft reboot" as a board says it; the app does not play the trace again
        said = b"soft reboot\r\n" if self._raw else b"MPY: soft reboot\r\n"
        self._to_client.append(said)
        self._to_client_bytes += len(said)
        self._tail = b""
        if self._raw:  # back to the raw REPL, without running the app (as a board)
            self._rebooting = b""
            self._reboot_state = 1
            self._spawn(["raw"])
        else:
            self._spawn(["again"])
        return True

    # -- relay --------------------------------------------------------------------------
    def _from_device(self, data: bytes) -> None:
        if self._reboot_state:
            # after a soft reset from the raw REPL: the new process boots to the friendly
            # REPL; put it in raw mode and show the host only what a board would
            self._rebooting += data
            if self._reboot_state == 1 and b">>> " in self._rebooting:
                self._reboot_state = 2
                self._rebooting = b""
                try:
                    os.write(self._dev_master, b"\x01")
                except OSError:
                    pass
                return
            at = self._rebooting.find(RAW_BANNER)
            if self._reboot_state == 1 or at < 0:
                return
            data = self._rebooting[at:]
            self._rebooting = b""
            self._reboot_state = 0
        seen = self._tail + data
        if EXIT_MARKER in seen:
            try:
                os.write(self._dev_master, b"\x04")  # Ctrl-D at the REPL: the port exits
            except OSError:
                pass
        if FLASH_MARKER in seen and not self.flash_problem:
            line = seen[seen.index(FLASH_MARKER) :].split(b"\n")[0]
            self.flash_problem = line.decode("utf-8", "replace").strip()
        self._tail = seen[-max(len(EXIT_MARKER), 200) :]
        self._to_client.append(data)
        self._to_client_bytes += len(data)
        if not self._client_spoke:
            # nobody is listening yet: keep only the newest bytes, like a USB CDC buffer
            while self._to_client_bytes > STALE_OUTPUT_BYTES and len(self._to_client) > 1:
                self._to_client_bytes -= len(self._to_client.popleft())
            if self.console is not None:
                self._echo(data)

    def _echo(self, data: bytes) -> None:
        self._line += data
        *lines, self._line = self._line.split(b"\n")
        for raw in lines:
            if EXIT_MARKER in raw:
                self._exiting = True  # what follows is the REPL closing: not shown
            if self._exiting:
                continue
            text = raw.decode("utf-8", "replace").rstrip("\r")
            if text and self.console is not None:
                self.console(text)

    def _flush_to_client(self) -> None:
        while self._to_client:
            chunk = self._to_client[0]
            try:
                n = os.write(self._client_master, chunk)
            except BlockingIOError:
                if not self._client_spoke:
                    self.dropped_bytes += self._to_client_bytes
                    self._to_client.clear()
                    self._to_client_bytes = 0
                return
            except OSError:
                return
            self._to_client_bytes -= n
            if n < len(chunk):
                self._to_client[0] = chunk[n:]
                return
            self._to_client.popleft()

    def _to_device(self, data: bytes) -> None:
        # the REPL's mode, as a board's would follow it: Ctrl-A raw, Ctrl-B friendly (raw
        # paste, Ctrl-E A Ctrl-A, stays raw); Ctrl-D at an idle REPL is a soft reset
        for b in data:
            if b == 1:
                self._raw = True
            elif b == 2:
                self._raw = False
        if b"\x04" in data:
            self._eot_at = time.monotonic()
        if not self._client_spoke:
            self._client_spoke = True
            if self.console is not None:
                self.console("[emulator] a host is talking to the device; console echo off")
        view = memoryview(data)
        deadline = time.monotonic() + 5
        while view:
            try:
                n = os.write(self._dev_master, view)
                view = view[n:]
            except BlockingIOError:
                if time.monotonic() > deadline or not self._alive():
                    return
                self._pump_device(0.01)

    def _pump_device(self, timeout_s: float) -> bool:
        """Move what the device printed; False once the device side is gone."""
        r, _, _ = select.select([self._dev_master], [], [], timeout_s)
        if not r:
            return True
        try:
            data = os.read(self._dev_master, 65536)
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not data:
            return False
        self._from_device(data)
        return True

    def step(self, timeout_s: float = 0.05) -> bool:
        """One round of the relay; False when the device process has ended."""
        want_write = [self._client_master] if self._to_client else []
        r, w, _ = select.select([self._dev_master, self._client_master], want_write, [], timeout_s)
        if self._dev_master in r:
            try:
                data = os.read(self._dev_master, 65536)
                if data:
                    self._from_device(data)
            except BlockingIOError:
                pass
            except OSError:  # EIO: the device process closed its terminal
                return self._alive()
        if self._client_master in r:
            try:
                data = os.read(self._client_master, 65536)
                if data:
                    self._to_device(data)
            except (BlockingIOError, OSError):
                pass
        if w or self._to_client:
            self._flush_to_client()
        return self._alive()

    def _alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> int:
        while not should_stop():
            if not self.step():
                self._drain_device()
                if self._soft_reset():
                    continue
                break
        return self.stop()

    def _drain_device(self) -> None:
        for _ in range(20):
            if not self._pump_device(0.01):
                break
        self._flush_to_client()
        if self._line and self.console is not None and not self._client_spoke:
            self._echo(b"\n")

    # -- stop ---------------------------------------------------------------------------
    def stop(self) -> int:
        """Ask the app to close its log (a byte on the USB link), then end the process."""
        proc = self.proc
        code = 0
        if proc is not None:
            if proc.poll() is None:
                try:
                    os.write(self._dev_master, b"\x03")
                except OSError:
                    pass
                deadline = time.monotonic() + STOP_GRACE_S
                while proc.poll() is None and time.monotonic() < deadline:
                    self._pump_device(0.05)
                    if (
                        self._line.endswith(b">>> ")
                        or self._to_client
                        and b">>> " in (self._to_client[-1])
                    ):
                        break
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
                    try:
                        proc.wait(timeout=2)
                    except subprocess.TimeoutExpired:
                        os.killpg(proc.pid, signal.SIGKILL)
                        proc.wait(timeout=5)
                code = 0
            else:
                code = proc.returncode
            self._drain_device()
            self.proc = None
        for fd in (self._dev_master, self._client_master, self._client_slave):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._dev_master = self._client_master = self._client_slave = -1
        self._tmp.cleanup()
        return code

    def kill(self) -> None:
        """Pull the plug (SIGKILL): a power cut, for tests."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    @contextlib.contextmanager
    def serving(self) -> Iterator[Emulator]:
        """Start the device and relay for it in a background thread for the life of the block
        (the demo, the bench, tests); the device is stopped at the end of the block."""
        self.start()
        stop = threading.Event()
        relay = threading.Thread(target=self.run, args=(stop.is_set,), daemon=True)
        relay.start()
        try:
            yield self
        finally:
            stop.set()
            relay.join(timeout=30)

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- command line ------------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser, name: str) -> None:
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--trace",
        metavar="FILE",
        help="trace CSV to run as the session (default: a bundled session)",
    )
    which.add_argument(
        "--idle",
        action="store_true",
        help="run no session; only serve USB (a board sitting on the desk)",
    )
    p.add_argument(
        "--speed",
        type=_speed,
        default=1.0,
        help="session clock speed, 1 = real time (default), 60 = a minute a second",
    )
    p.add_argument(
        "--flash",
        metavar="FILE",
        help="littlefs flash image, created when missing and kept between runs "
        "(default: a temporary one); anything but an image is refused",
    )
    p.add_argument(
        "--format",
        action="store_true",
        help="erase --flash FILE and make a new image in it (its contents are lost)",
    )
    p.add_argument(
        "--then-exit", action="store_true", help="exit once the session's log is closed"
    )
    p.add_argument("--quiet", action="store_true", help="do not echo the device console")


def _speed(text: str) -> float:
    """--speed: a finite number above 0 (argparse prints the one-line error, exit 2)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (1 = real time)") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give a finite number above 0 (1 = real time, 60 = a minute a second)"
        )
    return value


def run(args: argparse.Namespace) -> int:
    def say(line: str) -> None:
        print(line, flush=True)

    if args.format and not args.flash:
        raise PumpmonError("--format needs --flash FILE (the image to erase)", BAD_REQUEST)
    try:
        emu = Emulator(
            trace=args.trace,
            idle=args.idle,
            speed=args.speed,
            flash=args.flash,
            then_exit=args.then_exit,
            console=None if args.quiet else say,
            format_flash=args.format,
        )
        path = emu.start()
    except (TraceError, EmulatorError) as e:
        raise PumpmonError(str(e), BAD_REQUEST) from None
    except (OSError, unixport.UnixPortMissing) as e:
        raise PumpmonError(f"cannot start the device: {e}") from None
    for note in emu.trace_notes:
        print(f"pumpmon emulate: note: {note}", file=sys.stderr, flush=True)
    print(path, flush=True)
    stop = {"now": False}

    def on_signal(signum: int, frame: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = emu.run(lambda: stop["now"])
    if emu.flash_problem:
        raise PumpmonError(emu.flash_problem, BAD_REQUEST)
    if not stop["now"] and code not in (0, None):
        raise PumpmonError(f"the device stopped with status {code}")
    return 0
