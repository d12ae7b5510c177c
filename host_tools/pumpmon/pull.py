"""`pumpmon pull`: copy the sessions the archive does not hold yet from the device over USB.

    pumpmon pull [--port DEV] [--archive DIR] [--prune] [--no-restart]

1. Open the archive first (a bad archive stops us before the device is touched).
2. Connect (auto-detects the board by its USB IDs when --port is not given). A session in
   progress is paused by the device (its log synced) while we hold the REPL, and left alone:
   its file is not copied (it comes with the next pull) and it goes on when the app restarts.
3. List /sessions on the device (name, size, CRC-32 of the first KB), keep those the archive
   lacks or holds only in a copy that no longer reads back intact (missing or changed on this
   disk), stream them in one transfer; each file counts only once its length and CRC-32
   match what the device computed while reading it, and it is archived atomically on arrival.
   Sessions removed from the archive with `pumpmon forget` are not copied back.
4. Mark every archived session as confirmed on the device (the log store may then prune it
   when flash runs short); with --prune, delete from the device exactly the sessions whose
   archived file, read back now, has the CRC-32 the device computes for its own copy.
5. Say how much flash the device has free and how many sessions fit (kept in the archive for
   `pumpmon sessions`), start the app again and let go of the port.

If the link dies part-way (unplugged, the device reset), the sessions that arrived whole are
archived, nothing on the device has changed, the exit status is 1, and the next pull copies
the rest. Exit status: 0 all good; 1 a transfer or a session problem (the message says
which); 2 bad usage or no device.
"""

from __future__ import annotations

import argparse
import sys
import time

from .archive import Archive, ArchiveError
from .errors import BAD_REQUEST, PumpmonError
from .sharedsettings import remember_device_settings
from .transport import Device, DeviceCodeError, DeviceGone

SESSIONS_DIR = "/sessions"
SESSION_SUFFIX = ".pml"  # firmware/logstore.py
ACK_SUFFIX = ".ack"


def add_arguments(p: argparse.ArgumentParser, name: str) -> None:
    p.add_argument(
        "--port",
        metavar="DEV",
        help="serial port of the device (default: find it on USB by its IDs)",
    )
    p.add_argument(
        "--archive", metavar="DIR", help="archive folder (default: $XDG_DATA_HOME/pumpmon)"
    )
    p.add_argument(
        "--prune",
        action="store_true",
        help="after verifying, delete from the device the sessions the archive "
        "holds (never any other)",
    )
    p.add_argument(
        "--no-restart",
        action="store_true",
        help="leave the device at its REPL instead of starting the app again",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--push",
        action="store_true",
        help="then send new sessions to Baby Buddy (`pumpmon babybuddy push`); "
        "a failed push does not fail the pull",
    )


class _Progress:
    """A progress bar on stderr when it is a terminal (rich), silent otherwise."""

    def __init__(self, total_bytes: int, n_files: int, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty() and total_bytes > 0
        self.bar = None
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TransferSpeedColumn,
            )

            self.bar = Progress(
                TextColumn("pulling %d sessions" % n_files),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.task = self.bar.add_task("pull", total=total_bytes)
            self.bar.start()

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=n)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def pull(
    port: str | None,
    archive: Archive,
    prune: bool = False,
    restart: bool = True,
    progress: bool = True,
    say=print,
    on_archived=None,
) -> int:
    """Run one pull; returns the exit status. on_archived(row) is called after each session
    is archived (tests use it to pull the plug at a chosen moment)."""
    t0 = time.monotonic()
    dev = Device.connect(port, say=say)
    try:
        device = dev.unique_id()
        running = dev.session_in_progress()
        on_device = dev.listdir_sessions(SESSIONS_DIR, SESSION_SUFFIX)
        if running is not None:
            on_device = [r for r in on_device if r[0] != running_name(running)]
            say(
                "a session is in progress on the device: left running (it is copied by the "
                "next pull once it has ended)"
            )
        acked = {
            n[: -len(ACK_SUFFIX)] for n, _s, _c in dev.listdir_sessions(SESSIONS_DIR, ACK_SUFFIX)
        }
        forgotten = [r for r in on_device if archive.is_forgotten(device, r[0], r[1], r[2])]
        on_device = [r for r in on_device if r not in forgotten]
        bad_copy = [
            r
            for r in on_device
            if archive.holds(device, r[0], r[1], r[2])
            and not archive.holds_verified(device, r[0], r[1], r[2])
        ]
        new = [r for r in on_device if not archive.holds_verified(device, r[0], r[1], r[2])]
        held_before = len(on_device) - len(new)
        say(
            "%d sessions on the device, %d already archived, copying %d"
            % (len(on_device), held_before, len(new))
        )
        if bad_copy:
            say(
                "%d of them again, as their archived file is missing or damaged on this "
                "computer: %s" % (len(bad_copy), ", ".join(r[0] for r in bad_copy))
            )
        if forgotten:
            say(
                "%d sessions removed with `pumpmon forget` stay on the device, not copied"
                % len(forgotten)
            )
        bar = _Progress(sum(r[1] for r in new), len(new), progress)
        by_path = {SESSIONS_DIR + "/" + r[0]: r for r in new}
        copied: list[dict] = []
        damaged: list[str] = []

        def on_file(path: str, data: bytes) -> None:
            name, _size, head_crc = by_path[path]
            row = archive.add(device, name, data, head_crc)
            copied.append(row)
            if row["damaged"]:
                damaged.append(row["id"])
            if on_archived is not None:
                on_archived(row)

        try:
            failures = dev.iter_files(list(by_path), on_file, on_bytes=bar.advance)
        except DeviceGone as e:
            bar.stop()
            say(
                "%d of %d new sessions were archived and verified before the link broke"
                % (len(copied), len(new))
            )
            raise DeviceGone(
                "%s. Nothing on the device was changed. Plug it back in and run "
                "`pumpmon pull` again: it copies only what is missing" % e
            ) from None
        finally:
            bar.stop()
        dt = time.monotonic() - t0
        n_bytes = sum(r["size"] for r in copied)
        say(
            "archived %d sessions (%.1f KB in %.1f s) in %s"
            % (len(copied), n_bytes / 1024, dt, archive.root)
        )
        for sid in damaged:
            say(
                "session %s is damaged on the device: archived as it was (its intact parts are "
                "readable with `pumpmon show %s`)" % (sid, sid)
            )
        for problem in failures:
            say("not copied: %s" % problem)

        # every session the archive now holds, verified: mark it on the device, prune if asked
        held = [r for r in on_device if archive.holds_verified(device, r[0], r[1], r[2])]
        held += forgotten  # their copy is in the archive's trash folder (checked on prune)
        to_ack = [r[0] for r in held if r[0][: -len(SESSION_SUFFIX)] not in acked]
        if to_ack:
            try:
                _confirm(
                    dev,
                    [
                        int(n[: -len(SESSION_SUFFIX)])
                        for n in to_ack
                        if n[: -len(SESSION_SUFFIX)].isdigit()
                    ],
                )
            except DeviceCodeError as e:
                say(
                    "could not mark the pulled sessions on the device, so it will not free "
                    "their space by itself (%s)" % e.args[0].splitlines()[-1]
                )
        if prune and held:
            pruned = _prune(dev, archive, device, held)
            kept = len(held) - pruned
            say(
                "pruned %d archived sessions from the device (each archived file read back "
                "and checked against the device's CRC first)%s"
                % (
                    pruned,
                    "; %d kept on the device: their archived copy did not match" % kept
                    if kept
                    else "",
                )
            )
        space = dev.flash_space(SESSIONS_DIR)
        if space is not None:
            free_bytes, session_bytes = space
            archive.record_device_space(device, free_bytes, session_bytes)
            say(space_text(free_bytes, session_bytes))
        remember_device_settings(dev, archive.root, [r["sha256"] for r in copied], say)
        if restart:
            dev.start_app()
        return 1 if (damaged or failures) else 0
    finally:
        dev.close()


_CRC_FN = (
    "import binascii\n"
    "def _crc(p):\n"
    " b=bytearray(1024)\n m=memoryview(b)\n c=0\n"
    " with open(p,'rb') as f:\n"
    "  while 1:\n   k=f.readinto(b)\n   if not k:\n    return c&0xffffffff\n"
    "   c=binascii.crc32(m[:k],c)\n"
)


def running_name(session_id: int) -> str:
    """The log store's file name of a session (firmware/logstore.py)."""
    return "%08d%s" % (session_id, SESSION_SUFFIX)


def space_text(free_bytes: int, session_bytes: int) -> str:
    fit = free_bytes // max(1, session_bytes)
    return "device flash: %d KB free, room for %d more session%s%s" % (
        free_bytes // 1024,
        fit,
        "" if fit == 1 else "s",
        " (it is full: the next session is not saved unless archived sessions can be pruned)"
        if fit == 0
        else "",
    )


def _prune(dev: Device, archive: Archive, device: str, held: list) -> int:
    """Delete from the device the sessions whose archived file, read back now, has the
    CRC-32 the device computes now for its own copy. Returns how many were deleted."""
    crcs = dev.eval(
        "[_crc(%r+'/'+_n) for _n in %r]" % (SESSIONS_DIR, [r[0] for r in held])
        if dev.exec(_CRC_FN) == b""
        else "[]"
    )
    names = []
    for (name, size, head_crc), crc in zip(held, crcs):
        if archive.verified_crc(device, name, size, head_crc) == crc:
            names.append(name)
    if names:
        dev.exec(
            "import os\nfor _n in %r:\n os.remove(%r+'/'+_n)\n try:\n"
            "  os.remove(%r+'/'+_n[:-4]+%r)\n except OSError:\n  pass\n"
            % (names, SESSIONS_DIR, SESSIONS_DIR, ACK_SUFFIX)
        )
    return len(names)


def _confirm(dev: Device, session_ids: list[int]) -> None:
    """Tell the device's log store the host holds these sessions (firmware/logstore.py)."""
    if not session_ids:
        return
    dev.exec(
        "from device import logstore\n_s=logstore.LogStore(%r)\n"
        "for _i in %r:\n _s.confirm(_i)\ndel _s\n" % (SESSIONS_DIR, session_ids)
    )


def run(args: argparse.Namespace) -> int:
    try:
        archive = Archive.open(args.archive)
    except ArchiveError as e:  # the folder given cannot hold an archive: name another
        raise PumpmonError(str(e), BAD_REQUEST) from None
    try:
        code = pull(
            args.port,
            archive,
            prune=args.prune,
            restart=not args.no_restart,
            progress=not args.quiet,
        )
        if args.push:
            from .babybuddy import push_after_pull

            push_after_pull(archive.root)  # reports its own problems; never fails the pull
        return code
    finally:
        archive.close()
