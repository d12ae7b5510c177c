"""One way to talk to the pump monitor over USB: mpremote's SerialTransport plus a fast reader.

    with Device.connect(port=None) as dev:          # None: find the board on USB by its IDs
        dev.listdir_sessions("/sessions")         # [(name, size, head_crc32), ...]
        dev.iter_files(paths, on_file)            # on_file(path, data): each verified
                                                  # against a CRC-32 taken on the device
        dev.start_app()                           # leave it running its app, as we found it

Connecting: the port is opened exclusively, then the raw REPL is entered WITHOUT a soft reset
(mpremote's `resume`): a soft reset would end the emulated device, and on a board it would
cut a session short. The app treats the first byte from the host (mpremote's Ctrl-C) as a
request to close its session log cleanly, then returns to the REPL; we wait for that.

Speed: mpremote's `fs_readfile` asks for 256 bytes at a time and gets them back as `repr`
text, one round trip each. `iter_files` sends one small program that streams every file as
base64 lines of 768 bytes in ONE exec and prints each file's CRC-32 and length at its end; the
host decodes and checks both before a file counts as read.

Limits: one client at a time (the port is locked); files are held in memory one at a time
(a session file is tens of KB); the device must have `binascii` (ESP32 and unix port do).
"""

from __future__ import annotations

import ast
import base64
import binascii
import errno
import time
from collections.abc import Callable, Iterable
from typing import cast

import serial
import serial.tools.list_ports
from mpremote.transport import TransportError, TransportExecError
from mpremote.transport_serial import SerialTransport

from .errors import BAD_REQUEST, CANNOT, PumpmonError

# USB vendor:product IDs of the boards the monitor runs on (pumpmon.build's `--port auto`
# looks for the same).
USB_IDS = {
    (0x303A, 0x1001): "Espressif ESP32-S3/C3 native USB",
    (0x10C4, 0xEA60): "Silicon Labs CP210x USB-serial bridge",
    (0x1A86, 0x7523): "WCH CH340 USB-serial bridge",
    (0x1A86, 0x55D4): "WCH CH9102 USB-serial bridge",
}

READ_CHUNK_BYTES = 768  # a multiple of 3: every base64 line decodes alone; small: heaps fragment
HEAD_CRC_BYTES = 1024  # the start of a file, hashed to tell two files of one name apart
IDLE_TIMEOUT_S = 5.0  # no byte from the device for this long: it is gone or hung
REPL_TIMEOUT_S = 10.0  # how long the app may take to close its log and give up the REPL
# A device in light sleep wakes at least every 30 s (sleep_max_ms) and stays awake once a byte
# from the host gets through; meanwhile an ESP32-S3's USB port is gone and a DevKitC's UART
# loses what is sent. Connecting retries (port lookup, open, REPL handshake) this long.
WAKE_TIMEOUT_S = 40.0


class DeviceError(PumpmonError):
    """Something the user can act on: the message says what happened and what to do."""

    exit_code = BAD_REQUEST  # the port named is no pump monitor, or none was found


class DeviceGone(DeviceError):
    """The link broke (unplugged, the device reset or stopped answering)."""

    exit_code = CANNOT


class DeviceCodeError(DeviceError):
    """Code run on the device raised an exception (the device's traceback is the text)."""


class _Transport(SerialTransport):
    """SerialTransport that can be handed back bytes it has not yet seen (the raw REPL's
    next prompt, when a bulk read took it together with the end of a transfer)."""

    pushback = b""

    def read_until(
        self, min_num_bytes, ending, timeout=10, data_consumer=None, timeout_overall=None
    ):
        if self.pushback and data_consumer is None:
            data, self.pushback = self.pushback, b""
            idx = data.find(ending)
            if idx >= 0:
                self.pushback = data[idx + len(ending) :]
                return data[: idx + len(ending)]
            return data + super().read_until(min_num_bytes, ending, timeout, None, timeout_overall)
        return super().read_until(min_num_bytes, ending, timeout, data_consumer, timeout_overall)


def _port(transport: SerialTransport) -> serial.Serial:
    """The transport's serial port. mpremote types it as a Serial or a SerialIntercept; the
    intercept stands in only while a host folder is mounted (`mpremote mount`), which
    pumpmon never does."""
    return cast(serial.Serial, transport.serial)


def board_ports(ports: Iterable) -> list[tuple[str, str]]:
    """[(device path, description)] of those of `ports` (pyserial's ListPortInfo) whose USB
    IDs are a supported board's (USB_IDS), sorted."""
    found = []
    for p in ports:
        vid, pid = getattr(p, "vid", None), getattr(p, "pid", None)
        kind = USB_IDS.get((vid, pid)) if vid is not None and pid is not None else None
        if kind:
            found.append((p.device, "%s (%04x:%04x)" % (kind, p.vid, p.pid)))
    return sorted(found)


def find_ports() -> list[tuple[str, str]]:
    """[(device path, description)] of the serial ports whose USB IDs are a supported board."""
    return board_ports(serial.tools.list_ports.comports())


def choose_port(port: str | None) -> str:
    """The port to use: `port` when given, else the one supported board on USB."""
    if port:
        return port
    found = find_ports()
    if not found:
        known = ", ".join("%04x:%04x" % ids for ids in USB_IDS)
        raise DeviceError(
            "no pump monitor found on USB (looked for USB IDs %s): plug it in with a data "
            "cable, or name the port with --port" % known
        )
    if len(found) > 1:
        listing = "; ".join("%s: %s" % f for f in found)
        raise DeviceError("several possible devices on USB (%s): choose one with --port" % listing)
    return found[0][0]


class DeviceAsleep(DeviceError):
    """No answer that a sleeping device would also give: worth retrying until it wakes."""


def _may_be_asleep(port: str | None, err: DeviceError) -> bool:
    """A sleeping board: no board on USB (S3: its USB port drops in light sleep), its device
    node gone (the same), or a port that opened but whose REPL did not answer (DevKitC)."""
    text = str(err)
    if isinstance(err, DeviceAsleep):
        return True
    if port is None:
        return text.startswith("no pump monitor found on USB")
    if text.startswith("no device at"):
        return port.startswith("/dev/") or not port.startswith("/")  # a USB node, or COMn
    return False


def _open_error(port: str, exc: BaseException) -> DeviceError:
    text = str(exc)
    err = getattr(exc, "errno", None)
    if (
        err == errno.ENOENT
        or "No such file" in text
        or "could not open port" in text
        and ("No such file" in text or "FileNotFound" in text)
    ):
        return DeviceError(
            "no device at %s: check the port name (omit --port to search USB)" % port
        )
    if err in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        return DeviceError(
            "no permission to open %s: add yourself to the group that owns it "
            "(often `dialout`), then log in again" % port
        )
    if (
        err in (errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK)
        or "lock" in text.lower()
        or ("busy" in text.lower())
    ):
        return DeviceError(
            "%s is busy: another program (mpremote, a serial monitor, another "
            "pumpmon) has it open; close it and try again" % port
        )
    return DeviceError("cannot open %s: %s" % (port, text))


class Device:
    """The pump monitor at the other end of a serial port, in raw REPL."""

    def __init__(self, transport: _Transport, port: str):
        self.transport = transport
        self.port = port
        self.console_before_repl = b""  # what the app printed while it handed over the REPL

    # -- connecting -------------------------------------------------------------------
    @classmethod
    def connect(
        cls,
        port: str | None = None,
        repl_timeout_s: float = REPL_TIMEOUT_S,
        say: Callable[[str], None] | None = None,
        wake_timeout_s: float = WAKE_TIMEOUT_S,
    ) -> Device:
        """Connect, retrying for up to wake_timeout_s while the device may be asleep (no board
        on USB, its port gone, or no REPL answer: docs/hardware.md, "Power")."""
        deadline = time.monotonic() + wake_timeout_s
        told = False
        while True:
            try:
                return cls._connect_once(port, repl_timeout_s, say)
            except DeviceError as e:
                if not _may_be_asleep(port, e) or time.monotonic() >= deadline:
                    if _may_be_asleep(port, e) and wake_timeout_s > 0:
                        raise DeviceError(
                            "%s (waited %.0f s for it to wake: press its button "
                            "and try again)" % (e, wake_timeout_s)
                        ) from None
                    raise
                if say is not None and not told:
                    say(
                        "no answer from the device: it may be asleep (it wakes at least every "
                        "30 s); trying again for up to %.0f s" % wake_timeout_s
                    )
                    told = True
                time.sleep(0.5)

    @classmethod
    def _connect_once(
        cls, port: str | None, repl_timeout_s: float, say: Callable[[str], None] | None
    ) -> Device:
        path = choose_port(port)
        # Open once ourselves first: mpremote turns every open failure into "failed to
        # access", and the user needs to know which one (missing, busy, no permission).
        try:
            probe = serial.Serial(path, exclusive=True)
            probe.close()
        except (serial.SerialException, OSError, ValueError) as e:
            raise _open_error(path, e) from None
        try:
            transport = _Transport(path, baudrate=115200, exclusive=True)
        except (TransportError, serial.SerialException, OSError) as e:
            raise _open_error(path, e) from None
        # A bounded wait on every read (mpremote's default blocks forever on a pty).
        _port(transport).timeout = 1.0
        dev = cls(transport, path)
        try:
            dev._enter_raw_repl(repl_timeout_s, say)
        except BaseException:
            dev.close()
            raise
        return dev

    def _enter_raw_repl(self, timeout_s: float, say: Callable[[str], None] | None) -> None:
        """Ctrl-C (the app closes its session log and returns), then Ctrl-A, no soft reset."""
        ser = _port(self.transport)
        banner = b"raw REPL; CTRL-B to exit\r\n"
        try:
            ser.timeout = 0.05  # short reads: the nudges below must go out on time
            ser.write(b"\r\x03")  # Ctrl-C: the app closes its session log and returns
            time.sleep(0.02)
            ser.write(b"\r\x01")  # Ctrl-A: raw REPL (read by the REPL once the app is out)
            seen = b""
            deadline = time.monotonic() + timeout_s
            next_nudge = time.monotonic() + 1.0
            while banner not in seen:
                now = time.monotonic()
                if now > deadline:
                    raise DeviceAsleep(
                        "the device at %s did not hand over its REPL within %.0f s (it printed "
                        "%r): it may be busy or running other code; unplug and replug it, or "
                        "press its reset button, then try again"
                        % (self.port, timeout_s, seen[-120:].decode("utf-8", "replace"))
                    )
                if now >= next_nudge:
                    # still no banner: the app may still be closing its log; ask again
                    if say is not None and next_nudge > 0:
                        say(
                            "waiting for the device to close its session log and hand over "
                            "its REPL (up to %.0f s)" % timeout_s
                        )
                        say = None
                    ser.write(b"\r\x03\r\x01")
                    next_nudge = now + 1.0
                n = ser.in_waiting
                data = ser.read(n if n else 1)
                if data:
                    seen += data
                    if len(seen) > 65536:
                        seen = seen[-4096:]
            # what came before the first banner is the app's console (its closing line)
            self.console_before_repl = seen.split(b"raw REPL;", 1)[0]
            # drain: later Ctrl-A's may produce more banners; settle on one clean prompt
            time.sleep(0.05)
            while ser.in_waiting:
                ser.read(ser.in_waiting)
                time.sleep(0.02)
            ser.write(b"\r\x01")
            tail = self.transport.read_until(1, banner, timeout=2)
            if not tail.endswith(banner):
                raise DeviceError(
                    "the device at %s answered, but not as a MicroPython raw REPL "
                    "(%r): is it a pump monitor?" % (self.port, tail[-80:])
                )
            self.transport.in_raw_repl = True
            ser.timeout = 1.0
        except (serial.SerialException, OSError) as e:
            raise DeviceGone(
                "lost the device at %s while connecting: %s" % (self.port, e)
            ) from None

    def close(self) -> None:
        try:
            if self.transport.in_raw_repl:
                self.transport.exit_raw_repl()
        except (serial.SerialException, OSError):
            pass
        try:
            self.transport.close()
        except (serial.SerialException, OSError):
            pass

    def __enter__(self) -> Device:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- running code -------------------------------------------------------------------
    def exec(self, code: str) -> bytes:
        """Run `code` on the device; its stdout. DeviceCodeError when it raised."""
        try:
            return self.transport.exec(code)
        except TransportExecError as e:
            raise DeviceCodeError(e.error_output.strip()) from None
        except TransportError as e:
            raise DeviceGone("the device at %s stopped answering: %s" % (self.port, e)) from None
        except (serial.SerialException, OSError) as e:
            raise DeviceGone("lost the device at %s: %s" % (self.port, e)) from None

    def eval(self, expr: str):
        """Evaluate `expr` on the device; its repr parsed back into a Python value."""
        out = self.exec("print(repr(%s))" % expr).strip()
        try:
            return ast.literal_eval(out.decode())
        except (ValueError, SyntaxError, UnicodeDecodeError):
            raise DeviceError("unexpected answer from the device: %r" % out[:200]) from None

    def _stream(self, code: str, on_line: Callable[[bytes], None]) -> None:
        """Run `code` and hand every line it prints to on_line as it arrives (bulk reads)."""
        ser = _port(self.transport)
        try:
            self.transport.exec_raw_no_follow(code)
        except TransportError as e:
            raise DeviceGone("the device at %s stopped answering: %s" % (self.port, e)) from None
        except (serial.SerialException, OSError) as e:
            raise DeviceGone("lost the device at %s: %s" % (self.port, e)) from None
        pending = b""
        err = b""
        in_err = False
        last_byte = time.monotonic()
        try:
            while True:
                n = ser.in_waiting
                data = ser.read(n if n else 1)
                now = time.monotonic()
                if not data:
                    if now - last_byte > IDLE_TIMEOUT_S:
                        raise DeviceGone(
                            "the device at %s stopped sending for %.0f s in the "
                            "middle of a transfer (unplugged?)" % (self.port, IDLE_TIMEOUT_S)
                        )
                    continue
                last_byte = now
                if in_err:
                    err += data
                else:
                    pending += data
                    eot = pending.find(b"\x04")
                    if eot >= 0:
                        err = pending[eot + 1 :]
                        pending = pending[:eot]
                        in_err = True
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        on_line(line.rstrip(b"\r"))
                    if in_err and pending:
                        on_line(pending.rstrip(b"\r"))
                        pending = b""
                if in_err and b"\x04" in err:
                    end = err.index(b"\x04")
                    # the next prompt may have come with the same read: hand it back
                    self.transport.pushback = err[end + 1 :]
                    err = err[:end]
                    break
        except (serial.SerialException, OSError) as e:
            raise DeviceGone(
                "lost the device at %s in the middle of a transfer: %s" % (self.port, e)
            ) from None
        if err.strip():
            raise DeviceCodeError(err.decode("utf-8", "replace").strip())

    # -- files --------------------------------------------------------------------------
    def unique_id(self) -> str:
        """The chip's unique id as hex ("" when the port has none)."""
        out = self.exec(
            "try:\n import machine,binascii\n print(binascii.hexlify(machine.unique_id())"
            ".decode())\nexcept Exception:\n print('')\n"
        )
        return out.decode().strip()

    def session_in_progress(self) -> int | None:
        """The id of the session the app paused to hand over the REPL (-1: one that is not
        being saved), None when no session is running (or the device has no app)."""
        try:
            return self.eval(
                "(lambda m:m.session_in_progress() if hasattr(m,"
                "'session_in_progress') else None)(__import__('app'))"
            )
        except DeviceCodeError:
            return None

    def end_session(self) -> bool:
        """End the paused session now (its log closed, end reason `host`); True if there
        was one."""
        out = self.exec("print(__import__('app').end_session_in_progress())")
        return out.strip().splitlines()[-1:] == [b"True"]  # after the app's closing line

    def flash_space(self, folder: str) -> tuple[int, int] | None:
        """(free bytes, bytes one session needs) on the flash holding `folder`, from the
        device's log store; None when the device cannot say."""
        try:
            got = self.eval(
                "(lambda m:(m.free_bytes(%r),m.SESSION_BYTES))"
                "(__import__('device.logstore').logstore)" % folder
            )
        except DeviceError:
            return None
        return int(got[0]), int(got[1])

    def listdir_sessions(self, folder: str, suffix: str = ".pml") -> list[tuple[str, int, int]]:
        """[(name, size_bytes, crc32 of the first HEAD_CRC_BYTES)] of the files in `folder`
        ending in `suffix`, sorted by name. A missing folder is an empty list."""
        code = (
            "import os,binascii\n"
            "def _ls(d,sfx,n):\n"
            " b=bytearray(n)\n"
            " try:\n  names=sorted(e[0] for e in os.ilistdir(d) if not e[1]&0x4000)\n"
            " except OSError:\n  return\n"
            " for nm in names:\n"
            "  if not nm.endswith(sfx) or nm[0]=='.':\n   continue\n"
            "  p=d+'/'+nm\n"
            "  with open(p,'rb') as f:\n   k=f.readinto(b)\n"
            "  print(repr((nm,os.stat(p)[6],binascii.crc32(memoryview(b)[:k]))))\n"
            "_ls(%r,%r,%d)\ndel _ls\n" % (folder.rstrip("/"), suffix, HEAD_CRC_BYTES)
        )
        rows: list[tuple[str, int, int]] = []

        def on_line(line: bytes) -> None:
            if line.strip():
                try:
                    name, size, crc = ast.literal_eval(line.decode())
                except (ValueError, SyntaxError, UnicodeDecodeError):
                    raise DeviceError(
                        "unexpected listing line from the device: %r" % line[:120]
                    ) from None
                rows.append((name, int(size), int(crc) & 0xFFFFFFFF))

        self._stream(code, on_line)
        return rows

    def iter_files(
        self,
        paths: list[str],
        on_file: Callable[[str, bytes], None],
        on_bytes: Callable[[int], None] | None = None,
    ) -> list[str]:
        """Stream `paths`; call on_file(path, contents) as soon as each arrives verified
        (so a link that dies half-way leaves the earlier ones handled). Returns the
        problems with files that did not verify; raises DeviceGone when the link dies."""
        state: dict = {"index": -1, "parts": [], "skip": False}
        failures: list[str] = []

        def on_line(line: bytes) -> None:
            if not line:
                return
            tag = line[:2]
            if tag == b"F ":
                state["index"] = int(line[2:])
                state["parts"] = []
                state["skip"] = False
            elif tag == b"C ":
                _c, i_text, size_text, crc_text = line.split()
                i = int(i_text)
                if i != state["index"]:
                    raise DeviceError("the device's file stream is out of order (file %d)" % i)
                if not state["skip"]:
                    data = b"".join(state["parts"])
                    want_size = int(size_text)
                    want_crc = int(crc_text) & 0xFFFFFFFF
                    got_crc = binascii.crc32(data) & 0xFFFFFFFF
                    if len(data) != want_size or got_crc != want_crc:
                        failures.append(
                            "%s: %d bytes with CRC %08x arrived, the device read %d with CRC "
                            "%08x" % (paths[i], len(data), got_crc, want_size, want_crc)
                        )
                    else:
                        on_file(paths[i], data)
                state["index"] = -1
                state["parts"] = []
            elif tag == b"E ":
                _e, i_text, code_text = line.split()
                failures.append(
                    "%s: the device could not open it (OSError %s)"
                    % (paths[int(i_text)], code_text.decode())
                )
            else:
                if state["index"] < 0:
                    raise DeviceError("unexpected output from the device: %r" % line[:120])
                if state["skip"]:
                    return
                try:
                    chunk = base64.b64decode(line, validate=True)
                except binascii.Error:
                    failures.append("%s: a damaged line arrived" % paths[state["index"]])
                    state["skip"] = True
                    return
                state["parts"].append(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))

        if paths:
            code = _READER % (list(paths), READ_CHUNK_BYTES)
            self._stream(code, on_line)
        return failures

    def read_file(self, path: str) -> bytes:
        """One whole file, verified; DeviceError when it is missing or arrives damaged."""
        got: list[bytes] = []
        problems = self.iter_files([path], lambda _p, data: got.append(data))
        if problems or not got:
            raise DeviceError("; ".join(problems) or "%s: nothing arrived" % path)
        return got[0]

    def write_file(self, path: str, data: bytes, chunk_bytes: int = 768) -> None:
        """Write `data` to `path` atomically (a temporary name, then rename), verified by
        the device's CRC-32 of what it wrote."""
        tmp = path + ".tmp"
        lines = [
            base64.b64encode(data[i : i + chunk_bytes]).decode()
            for i in range(0, len(data), chunk_bytes)
        ]
        self.exec("import binascii,os\n_f=open(%r,'wb')\n_c=0" % tmp)
        for ln in lines:  # one small exec each: compiling code needs heap on the device
            self.exec("_b=binascii.a2b_base64(%r)\n_f.write(_b)\n_c=binascii.crc32(_b,_c)" % ln)
        got = self.eval("(_f.close(),_c&0xffffffff)[1]")
        want = binascii.crc32(data) & 0xFFFFFFFF
        if got != want:
            self.exec("os.remove(%r)" % tmp)
            raise DeviceError(
                "writing %s: the device stored CRC %08x, expected %08x; nothing "
                "was changed, try again" % (path, got, want)
            )
        self.exec("os.rename(%r,%r)\ndel _f,_c" % (tmp, path))

    def remove(self, path: str) -> None:
        self.exec("import os\nos.remove(%r)" % path)

    # -- handing the device back ---------------------------------------------------------
    def start_app(self) -> bool:
        """Start the app again without waiting for it, and let go of the REPL (no soft reset:
        that would end the emulated device). Returns False when there was nothing to start
        (the emulator's trace board runs its one session only once)."""
        try:
            replay_board = self.eval(
                "(lambda j:bool(j and j.get('trace')))(__import__('app').load_board"
                "('/board.json')[0])"
            )
        except DeviceCodeError:
            replay_board = True  # no app on this device: nothing to start
        if replay_board and self.session_in_progress() is not None:
            replay_board = False  # its one session was paused for us: let it go on
        ser = _port(self.transport)
        try:
            self.transport.exit_raw_repl()
            if replay_board:
                return False
            # friendly REPL: one line starts the app; the app then polls the link, which is
            # quiet (the REPL consumed the line), so it keeps running after we close the port
            self.transport.read_until(1, b">>> ", timeout=2)
            ser.write(b"import app;app.main()\r")
            self.transport.read_until(1, b"app.main()\r\n", timeout=2)
            return True
        except (serial.SerialException, OSError) as e:
            raise DeviceGone(
                "lost the device at %s while restarting its app: %s" % (self.port, e)
            ) from None


_READER = (
    "import binascii,sys,gc\n"
    "def _rd(ps,n):\n"
    " gc.collect()\n"
    " while 1:\n"  # the largest buffer the heap allows, down to 384 bytes
    "  try:\n   b=bytearray(n)\n   break\n"
    "  except MemoryError:\n   if n<=384:\n    raise\n   n//=2\n"
    " mv=memoryview(b)\n w=sys.stdout.write\n"
    " for i,p in enumerate(ps):\n"
    "  try:\n   f=open(p,'rb')\n"
    "  except OSError as e:\n   print('E',i,e.args[0])\n   continue\n"
    "  print('F',i)\n  c=0\n  s=0\n"
    "  while 1:\n"
    "   k=f.readinto(b)\n   if not k:\n    break\n"
    "   c=binascii.crc32(mv[:k],c)\n   s+=k\n"
    "   w(binascii.b2a_base64(mv[:k]))\n"
    "  f.close()\n  print('C',i,s,c&0xffffffff)\n"
    "_rd(%r,%d)\ndel _rd\n"
)
