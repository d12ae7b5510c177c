"""The session archive on the computer: the raw session files plus an SQLite index.

    arc = Archive.open()                         # $XDG_DATA_HOME/pumpmon (~/.local/share/pumpmon)
    arc.holds(device, name, size, head_crc)      # already archived?
    rec = arc.add(device, name, data, head_crc)  # atomic: temp file, verify, rename, index row
    arc.list()                                   # every session's summary row, oldest first
    arc.find("42"), arc.load(rec)                # by id (or a unique number); decoded session

Layout: DIR/index.sqlite3 and DIR/sessions/<device>/<name stem>-<crc32>.pml, the exact bytes
the device held (verified by CRC-32 on the way in). The index holds one row per session with
its summary (start, duration, volume per bottle, letdowns, time to first letdown, complete),
so thousands of sessions list without decoding a file. The files are the truth: `reindex()`
rebuilds the index from them.

Safety: a session file is written under a temporary name, synced, read back and checked,
renamed into place, and only then indexed in one transaction. A pull killed at any point
leaves a valid archive: at worst a file without its row, which the next pull writes again
(same name, same bytes) and indexes. A missing or unreadable index is rebuilt from the files
when the archive is opened (the unreadable one is kept aside). A row whose file is missing
or changed on disk counts as not held: the next pull fetches it again. Nothing here ever
deletes a session: `forget` moves its file to DIR/trash/<device>/.

Units: volumes are kept in mL (milk density 1.03 g/mL: 1 mL = 1030 mg). Bottle 1 is reported as
left and bottle 2 as right (the convention the host tools use: wear them that way round).

Limits: one writer at a time (SQLite serialises writers; a second pull waits up to 10 s).
Sessions decode with the firmware's own codec (firmware/shared/logdecode.py); a session that is
damaged is still archived byte for byte and flagged.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import os
import sqlite3
from pathlib import Path

from .errors import BAD_REQUEST, PumpmonError
from .shared import events, logdecode

MG_PER_ML = 1030  # milk: 1.03 g/mL
ML_PER_OZ = 29.5735
EPOCH_2000_UNIX_S = 946684800  # the log's wall clock counts seconds from 2000-01-01 UTC
INDEX_NAME = "index.sqlite3"
SCHEMA_VERSION = 1

_COLUMNS = (
    ("id", "TEXT PRIMARY KEY"),
    ("device", "TEXT NOT NULL"),
    ("name", "TEXT NOT NULL"),
    ("size", "INTEGER NOT NULL"),
    ("head_crc", "INTEGER NOT NULL"),
    ("crc32", "INTEGER NOT NULL"),
    ("sha256", "TEXT NOT NULL"),
    ("file", "TEXT NOT NULL"),
    ("pulled_at", "TEXT NOT NULL"),
    ("session_id", "INTEGER"),
    ("start", "TEXT"),  # ISO 8601 UTC, NULL when the device clock was not set
    ("start_unix_s", "REAL"),
    ("duration_s", "REAL"),
    ("volume_ml", "REAL"),
    ("volume_left_ml", "REAL"),
    ("volume_right_ml", "REAL"),
    ("volume_estimated", "INTEGER"),  # 1: no summary; volume taken from the weights
    ("letdowns", "INTEGER"),
    ("tapers", "INTEGER"),
    ("cues", "INTEGER"),
    ("first_letdown_s", "REAL"),
    ("complete", "INTEGER"),
    ("damaged", "INTEGER"),
    ("n_channels", "INTEGER"),
    ("board", "TEXT"),
    ("firmware", "TEXT"),
)


class ArchiveError(PumpmonError):
    """The archive cannot be used as asked; the message says what to do."""


class NoArchive(ArchiveError):
    """Nothing has been pulled into this folder yet (not an error for `pumpmon sessions`)."""


def default_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / "pumpmon"


def _codec():
    return logdecode


def _events():
    return events


def decode(data: bytes) -> dict:
    """The session decoded by the firmware's codec."""
    return _codec().decode(data)


def summarize(session: dict) -> dict:
    """The index's summary fields of a decoded session."""
    ev = _events()
    header = session.get("header") or {}
    summary = session.get("summary")
    events = session.get("events") or []
    t_ms = session.get("t_ms") or []
    w_mg = session.get("w_mg") or []
    start_unix = None
    start_iso = None
    if header.get("start_time_s") is not None:
        start_unix = header["start_time_s"] + EPOCH_2000_UNIX_S
        start_iso = (
            dt.datetime.fromtimestamp(start_unix, dt.UTC).isoformat().replace("+00:00", "Z")
        )
    t0 = t_ms[0] if t_ms else 0
    starts = [e[0] for e in events if e[1] == ev.EV_SESSION_START]
    if starts:
        t0 = min(t0, starts[0]) if t_ms else starts[0]
    if summary is not None:
        end = summary["end_t_ms"]
    else:
        end = max([t_ms[-1] if t_ms else 0] + [e[0] for e in events])
    estimated = summary is None
    if summary is not None:
        vols_mg = list(summary["volume_mg"])
    else:
        vols_mg = [_weight_gain_mg(col) for col in w_mg]
    letdown_t = [e[0] for e in events if e[1] == ev.EV_LETDOWN]
    damaged = bool(session.get("damaged_segments") or session.get("skipped_bytes") or not header)
    vol_ml = [v / MG_PER_ML for v in vols_mg]
    return {
        "session_id": header.get("session_id"),
        "start": start_iso,
        "start_unix_s": start_unix,
        "duration_s": round(max(0, end - t0) / 1000.0, 1),
        "volume_ml": round(sum(vol_ml), 1),
        "volume_left_ml": round(vol_ml[0], 1) if len(vol_ml) > 0 else None,
        "volume_right_ml": round(vol_ml[1], 1) if len(vol_ml) > 1 else None,
        "volume_estimated": int(estimated),
        "letdowns": len(letdown_t),
        "tapers": sum(1 for e in events if e[1] == ev.EV_TAPER),
        "cues": sum(1 for e in events if e[1] == ev.EV_CUE),
        "first_letdown_s": round((letdown_t[0] - t0) / 1000.0, 1) if letdown_t else None,
        "complete": int(summary is not None),
        "damaged": int(damaged),
        "n_channels": header.get("n_channels"),
        "board": header.get("board"),
        "firmware": header.get("firmware"),
    }


def _weight_gain_mg(col: list[int]) -> int:
    """Milk gained in a bottle with no summary (a session cut short): the median of the
    last readings minus the median of the first, never below zero."""
    if len(col) < 2:
        return 0
    k = max(1, min(20, len(col) // 4))
    first = sorted(col[:k])[k // 2]
    last = sorted(col[-k:])[k // 2]
    return max(0, last - first)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _connect(index: Path) -> sqlite3.Connection:
    """The index database, its tables made when new. sqlite3.DatabaseError: unreadable."""
    db = sqlite3.connect(str(index), timeout=10, isolation_level=None)
    try:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        cols = ", ".join("%s %s" % c for c in _COLUMNS)
        db.execute(
            "CREATE TABLE IF NOT EXISTS sessions (%s, UNIQUE(device, name, size, head_crc))" % cols
        )
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute(
            "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
        )
        db.execute("CREATE INDEX IF NOT EXISTS sessions_start ON sessions(start_unix_s)")
        # sessions removed with `pumpmon forget` (their files are in trash/): a pull leaves
        # them on the device instead of copying them back
        db.execute(
            "CREATE TABLE IF NOT EXISTS forgotten (device TEXT NOT NULL, name TEXT NOT "
            "NULL, size INTEGER NOT NULL, head_crc INTEGER NOT NULL, crc32 INTEGER, "
            "file TEXT, UNIQUE(device, name, size, head_crc))"
        )
        # what each device said about its flash at the last pull
        db.execute(
            "CREATE TABLE IF NOT EXISTS devices (device TEXT PRIMARY KEY, "
            "free_bytes INTEGER, session_bytes INTEGER, sessions_fit INTEGER, "
            "at TEXT)"
        )
        db.execute("SELECT count(*) FROM sessions").fetchone()
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db


def _move_aside(index: Path) -> Path:
    """Rename an unreadable index (and its WAL files) out of the way; returns its new path."""
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    aside = index.with_name("%s.unreadable-%s" % (index.name, stamp))
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(index) + suffix)
        if src.exists():
            os.replace(src, Path(str(aside) + suffix))
    return aside


def crc32_of(path: Path) -> int | None:
    """CRC-32 of a file's bytes; None when it cannot be read."""
    try:
        return binascii.crc32(path.read_bytes()) & 0xFFFFFFFF
    except OSError:
        return None


def _head_crc(data: bytes) -> int:
    return binascii.crc32(data[:1024]) & 0xFFFFFFFF


class Archive:
    def __init__(self, root: Path, db: sqlite3.Connection):
        self.root = root
        self.db = db
        self.rebuilt = ""  # what open() did to the index, when it had to rebuild it

    # -- opening ------------------------------------------------------------------------
    @classmethod
    def open(cls, root: str | Path | None = None, create: bool = True) -> Archive:
        root = Path(root) if root else default_dir()
        index = root / INDEX_NAME
        if root.exists() and not root.is_dir():
            raise ArchiveError(
                "%s is a file, not an archive folder: pass --archive DIR with a "
                "folder (a new one is fine)" % root
            )
        has_files = any((root / "sessions").glob("*/*.pml")) if root.is_dir() else False
        if not create and not index.exists() and not has_files:
            raise NoArchive(
                "no archive at %s yet: run `pumpmon pull` first (or pass --archive DIR)" % root
            )
        rebuild = has_files and not index.exists()
        try:
            (root / "sessions").mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ArchiveError(
                "cannot use %s as the archive: %s" % (root, e.strerror or e)
            ) from None
        try:
            db = _connect(index)
        except sqlite3.DatabaseError as e:
            # the files are the truth, the index a cache: keep the bad one for a post-mortem,
            # build a new one from the files
            aside = _move_aside(index)
            try:
                db = _connect(index)
            except sqlite3.DatabaseError as e2:
                raise ArchiveError(
                    "the archive index %s is unreadable (%s) and a new one cannot be made "
                    "there (%s): check the disk; the session files are untouched" % (index, e, e2)
                ) from None
            arc = cls(root, db)
            arc.rebuilt = (
                "the index was unreadable (%s; kept as %s): rebuilt it from %d "
                "session files" % (e, aside.name, arc.reindex())
            )
            return arc
        arc = cls(root, db)
        if rebuild:
            arc.rebuilt = "the index was missing: rebuilt it from %d session files" % arc.reindex()
        return arc

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------
    def holds(self, device: str, name: str, size: int, head_crc: int) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM sessions WHERE device=? AND name=? AND size=? AND head_crc=?",
            (device, name, size, head_crc),
        ).fetchone()
        return row is not None

    def _new_id(self, name: str, crc: int) -> str:
        stem = name.rsplit(".", 1)[0]
        for candidate in (stem, "%s-%08x" % (stem, crc)):
            taken = self.db.execute("SELECT 1 FROM sessions WHERE id=?", (candidate,))
            if taken.fetchone() is None:
                return candidate
        raise ArchiveError(
            "session id %s is taken twice over: the index is inconsistent; "
            "run `pumpmon sessions --reindex`" % stem
        )

    def add(self, device: str, name: str, data: bytes, head_crc: int | None = None) -> dict:
        """Archive one session file (the exact bytes from the device). Returns its row as a
        dict. Idempotent: a session already held is not written twice."""
        if head_crc is None:
            head_crc = _head_crc(data)
        old = None
        if self.holds(device, name, len(data), head_crc):
            old = self._row_where(device, name, len(data), head_crc)
            if self.file_state(old) == "ok":
                return old
            # indexed, but its file is missing or changed on this disk: write it again
        crc = binascii.crc32(data) & 0xFFFFFFFF
        summary = summarize(decode(data))
        stem = name.rsplit(".", 1)[0]
        rel = Path("sessions") / (device or "unknown-device") / ("%s-%08x.pml" % (stem, crc))
        dest = self.root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(".%s.%d.part" % (dest.name, os.getpid()))
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if binascii.crc32(tmp.read_bytes()) & 0xFFFFFFFF != crc:
                raise ArchiveError(
                    "%s did not read back as written: the disk may be failing; "
                    "nothing was indexed" % tmp
                )
            os.replace(tmp, dest)
            _fsync_dir(dest.parent)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise ArchiveError(
                "cannot write %s: %s (nothing was indexed; free some space and "
                "pull again)" % (dest, e.strerror or e)
            ) from None
        row = {
            "device": device,
            "name": name,
            "size": len(data),
            "head_crc": head_crc,
            "crc32": crc,
            "sha256": hashlib.sha256(data).hexdigest(),
            "file": str(rel),
            "pulled_at": dt.datetime.now(dt.UTC)
            .isoformat(timespec="seconds")
            .replace("+00:00", "Z"),
            **summary,
        }
        if old is not None:
            keys = [k for k in row if k not in ("device", "name", "size", "head_crc")]
            self.db.execute(
                "UPDATE sessions SET %s WHERE id=?" % ", ".join("%s=?" % k for k in keys),
                [row[k] for k in keys] + [old["id"]],
            )
        else:
            self._insert(row, name, crc)
        return self._row_where(device, name, len(data), head_crc)

    def file_state(self, row: dict) -> str:
        """ "ok" when the session's archived file is there and matches the index's CRC-32,
        "missing" when it is gone, "changed" when its bytes differ."""
        path = self.root / row["file"]
        if not path.is_file():
            return "missing"
        return "ok" if crc32_of(path) == row["crc32"] else "changed"

    def holds_verified(self, device: str, name: str, size: int, head_crc: int) -> bool:
        """Already archived, and its file reads back intact (else a pull fetches it again)."""
        if not self.holds(device, name, size, head_crc):
            return False
        return self.file_state(self._row_where(device, name, size, head_crc)) == "ok"

    def verified_crc(self, device: str, name: str, size: int, head_crc: int) -> int | None:
        """CRC-32 of the archived file as read back now (None when there is none): what a
        prune compares with the device's own CRC before it deletes anything. A session
        removed with `forget` counts by its copy in the trash folder."""
        row = self.db.execute(
            "SELECT file, crc32 FROM sessions WHERE device=? AND name=? AND size=? AND "
            "head_crc=? UNION ALL SELECT file, crc32 FROM forgotten WHERE device=? AND name=? "
            "AND size=? AND head_crc=?",
            (device, name, size, head_crc) * 2,
        ).fetchone()
        if row is None or row["file"] is None:
            return None
        got = crc32_of(self.root / row["file"])
        return got if got == row["crc32"] else None

    def is_forgotten(self, device: str, name: str, size: int, head_crc: int) -> bool:
        return (
            self.db.execute(
                "SELECT 1 FROM forgotten WHERE device=? AND name=? AND size=? AND head_crc=?",
                (device, name, size, head_crc),
            ).fetchone()
            is not None
        )

    def forget(self, row: dict) -> Path | None:
        """Remove a session from the archive: its file moves to trash/<device>/ (kept, never
        deleted) and its index row goes; a later pull leaves it on the device. Returns where
        the file went (None when it was already missing)."""
        src = self.root / row["file"]
        rel = Path("trash") / Path(row["file"]).relative_to("sessions")
        dest = self.root / rel
        moved = None
        if src.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
            _fsync_dir(dest.parent)
            moved = dest
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "INSERT OR REPLACE INTO forgotten VALUES (?, ?, ?, ?, ?, ?)",
                (
                    row["device"],
                    row["name"],
                    row["size"],
                    row["head_crc"],
                    row["crc32"],
                    str(rel) if moved else None,
                ),
            )
            db.execute("DELETE FROM sessions WHERE id=?", (row["id"],))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return moved

    def record_device_space(self, device: str, free_bytes: int, session_bytes: int) -> None:
        """What the device said about its flash at this pull (`sessions` shows it)."""
        self.db.execute(
            "INSERT OR REPLACE INTO devices VALUES (?, ?, ?, ?, ?)",
            (
                device,
                free_bytes,
                session_bytes,
                free_bytes // max(1, session_bytes),
                dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            ),
        )

    def device_space(self) -> list[dict]:
        return [dict(r) for r in self.db.execute("SELECT * FROM devices ORDER BY device")]

    def _insert(self, row: dict, name: str, crc: int) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            if (
                db.execute(
                    "SELECT 1 FROM sessions WHERE device=? AND name=? AND size=? AND head_crc=?",
                    (row["device"], name, row["size"], row["head_crc"]),
                ).fetchone()
                is None
            ):
                row["id"] = self._new_id(name, crc)
                keys = [c[0] for c in _COLUMNS]
                db.execute(
                    "INSERT INTO sessions (%s) VALUES (%s)"
                    % (", ".join(keys), ", ".join("?" * len(keys))),
                    [row.get(k) for k in keys],
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def reindex(self) -> int:
        """Index every session file in the archive that has no row (after an index was lost
        or moved aside). Returns how many rows were added."""
        added = 0
        for path in sorted((self.root / "trash").glob("*/*.pml")):
            data = path.read_bytes()
            name = path.stem.rsplit("-", 1)[0] + ".pml"
            self.db.execute(
                "INSERT OR IGNORE INTO forgotten VALUES (?, ?, ?, ?, ?, ?)",
                (
                    path.parent.name,
                    name,
                    len(data),
                    _head_crc(data),
                    binascii.crc32(data) & 0xFFFFFFFF,
                    str(path.relative_to(self.root)),
                ),
            )
        for path in sorted((self.root / "sessions").glob("*/*.pml")):
            data = path.read_bytes()
            device = path.parent.name
            stem = path.stem.rsplit("-", 1)[0]
            name = stem + ".pml"
            head = _head_crc(data)
            if self.holds(device, name, len(data), head):
                continue
            crc = binascii.crc32(data) & 0xFFFFFFFF
            row = {
                "device": device,
                "name": name,
                "size": len(data),
                "head_crc": head,
                "crc32": crc,
                "sha256": hashlib.sha256(data).hexdigest(),
                "file": str(path.relative_to(self.root)),
                "pulled_at": dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
                .isoformat(timespec="seconds")
                .replace("+00:00", "Z"),
                **summarize(decode(data)),
            }
            self._insert(row, name, crc)
            added += 1
        return added

    # -- reading ------------------------------------------------------------------------
    def _row_where(self, device: str, name: str, size: int, head_crc: int) -> dict:
        row = self.db.execute(
            "SELECT * FROM sessions WHERE device=? AND name=? AND size=? AND head_crc=?",
            (device, name, size, head_crc),
        ).fetchone()
        return dict(row)

    def list(self) -> list[dict]:
        """Every session, oldest first (sessions without a wall-clock time by pull order)."""
        rows = self.db.execute(
            "SELECT * FROM sessions ORDER BY start_unix_s IS NULL, start_unix_s, device, name"
        ).fetchall()
        return [dict(r) for r in rows]

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM sessions").fetchone()[0]

    def find(self, key: str) -> dict:
        """A session by its id, or by its number on the device when that is unambiguous."""
        row = self.db.execute("SELECT * FROM sessions WHERE id=?", (key,)).fetchone()
        if row is not None:
            return dict(row)
        if key.isdigit():
            rows = self.db.execute(
                "SELECT * FROM sessions WHERE session_id=?", (int(key),)
            ).fetchall()
            if len(rows) == 1:
                return dict(rows[0])
            if len(rows) > 1:
                raise ArchiveError(
                    "session number %s is ambiguous (%s): use the full id"
                    % (key, ", ".join(r["id"] for r in rows)),
                    BAD_REQUEST,
                )
        raise ArchiveError(
            "no session %r in the archive at %s: `pumpmon sessions` lists them" % (key, self.root),
            BAD_REQUEST,
        )

    def read_bytes(self, row: dict) -> bytes:
        path = self.root / row["file"]
        try:
            data = path.read_bytes()
        except OSError as e:
            raise ArchiveError(
                "session %s: cannot read %s (%s)" % (row["id"], path, e.strerror or e)
            ) from None
        if binascii.crc32(data) & 0xFFFFFFFF != row["crc32"]:
            raise ArchiveError(
                "session %s: %s has changed since it was pulled (CRC mismatch): "
                "the disk copy is damaged; pull it again if the device still "
                "has it" % (row["id"], path)
            )
        return data

    def load(self, row: dict) -> dict:
        """The decoded session (firmware codec) for an index row."""
        return decode(self.read_bytes(row))
