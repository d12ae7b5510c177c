"""What the parent and the host add to archived sessions: notes, the breast each bottle was on,
settings seen on the device, and which sessions went to Baby Buddy.

    with Annotations.open(arc.root) as notes:
        notes.set_note(row["sha256"], "after a warm compress")
        notes.set_side(row["sha256"], "right", source="wearer")   # bottle 1 was on the right
        notes.side_of(row)                      # per-session side, else the device's, else left
        notes.set_setting("units", "oz", source="device")
        notes.pushed(target)                    # {sha256: Baby Buddy entry id}
        notes.record_push(row["sha256"], target, entry_id)

Kept in DIR/annotations.sqlite3 next to the index, not in it: the index is a cache rebuilt
from the session files, while these are the only copy of what a person typed and of what a
server already holds. Rows are keyed by the session file's SHA-256, which no re-indexing or
renumbering changes. Each call commits by itself (a push recorded is on disk before the next
session is sent).

Bottle sides: a side set by the wearer for one session wins; otherwise the side the device
was set to (`bottle1_side`) when that session was pulled; otherwise the device's latest
setting; otherwise left. Limits: the device does not log its setting in the session itself,
so a session pulled after the setting changed takes the new one; `pumpmon side ID` fixes it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from .errors import PumpmonError

FILE_NAME = "annotations.sqlite3"
SIDES = ("left", "right")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class AnnotationsError(PumpmonError):
    """The annotations file cannot be used; the message says what to do."""


class Annotations:
    def __init__(self, path: Path, db: sqlite3.Connection):
        self.path = path
        self.db = db

    @classmethod
    def open(cls, root: str | Path) -> Annotations:
        path = Path(root) / FILE_NAME
        try:
            db = sqlite3.connect(str(path), timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS session_notes (sha256 TEXT PRIMARY KEY, "
                "note TEXT, bottle1_side TEXT, side_source TEXT, updated_at TEXT)"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, "
                "value TEXT, source TEXT, updated_at TEXT)"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS pushes (sha256 TEXT, target TEXT, "
                "entry_id INTEGER, pushed_at TEXT, PRIMARY KEY (sha256, target))"
            )
        except sqlite3.Error as e:
            raise AnnotationsError(
                "%s is unreadable (%s): it holds notes and the record of "
                "what went to Baby Buddy; restore it from a backup or move "
                "it aside to start afresh" % (path, e)
            ) from None
        return cls(path, db)

    @staticmethod
    def peek_setting(root: str | Path, key: str) -> str | None:
        """A setting without creating the file (None when there is none)."""
        path = Path(root) / FILE_NAME
        if not path.exists():
            return None
        try:
            with Annotations.open(root) as a:
                return a.setting(key)
        except AnnotationsError:
            return None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Annotations:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- notes and sides ---------------------------------------------------------------
    def _upsert(self, sha: str, column: str, value, extra: dict | None = None) -> None:
        cols = {column: value, **(extra or {}), "updated_at": _now()}
        sets = ", ".join("%s=excluded.%s" % (c, c) for c in cols)
        self.db.execute(
            "INSERT INTO session_notes (sha256, %s) VALUES (?, %s) "
            "ON CONFLICT(sha256) DO UPDATE SET %s"
            % (", ".join(cols), ", ".join("?" * len(cols)), sets),
            [sha, *cols.values()],
        )

    def set_note(self, sha: str, text: str | None) -> None:
        self._upsert(sha, "note", text or None)

    def note(self, sha: str) -> str | None:
        row = self.db.execute("SELECT note FROM session_notes WHERE sha256=?", (sha,)).fetchone()
        return row[0] if row else None

    def set_side(self, sha: str, side: str | None, source: str = "wearer") -> None:
        """Which breast bottle 1 was on for this session; None forgets the wearer's choice.
        A device stamp never replaces a side the wearer set."""
        if side is not None and side not in SIDES:
            raise ValueError("the side is left or right, not %r" % side)
        if source == "device":
            row = self.db.execute(
                "SELECT side_source FROM session_notes WHERE sha256=?", (sha,)
            ).fetchone()
            if row and row[0] == "wearer":
                return
        self._upsert(sha, "bottle1_side", side, {"side_source": source if side else None})

    def side_of(self, row: dict) -> str:
        got = self.db.execute(
            "SELECT bottle1_side FROM session_notes WHERE sha256=?", (row["sha256"],)
        ).fetchone()
        if got and got[0] in SIDES:
            return got[0]
        default = self.setting("bottle1_side")
        return default if default in SIDES else "left"

    def side_source(self, sha: str) -> str | None:
        row = self.db.execute(
            "SELECT side_source FROM session_notes WHERE sha256=?", (sha,)
        ).fetchone()
        return row[0] if row else None

    # -- settings ----------------------------------------------------------------------
    def setting(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_setting(self, key: str, value: str, source: str) -> None:
        self.db.execute(
            "INSERT INTO settings VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE "
            "SET value=excluded.value, source=excluded.source, "
            "updated_at=excluded.updated_at",
            (key, value, source, _now()),
        )

    # -- Baby Buddy --------------------------------------------------------------------
    def pushed(self, target: str) -> dict[str, int]:
        rows = self.db.execute("SELECT sha256, entry_id FROM pushes WHERE target=?", (target,))
        return {sha: entry for sha, entry in rows}

    def record_push(self, sha: str, target: str, entry_id: int) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO pushes VALUES (?, ?, ?, ?)",
            (sha, target, int(entry_id), _now()),
        )


def annotate(root: str | Path, rows: list[dict]) -> list[dict]:
    """Copies of index rows with `note` and `bottle1_side` filled in (no file is created
    when there is nothing to read)."""
    path = Path(root) / FILE_NAME
    if not path.exists():
        return [{**r, "note": None, "bottle1_side": "left"} for r in rows]
    with Annotations.open(root) as a:
        return [{**r, "note": a.note(r["sha256"]), "bottle1_side": a.side_of(r)} for r in rows]
