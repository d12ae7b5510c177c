"""`pumpmon note ID TEXT` and `pumpmon side ID left|right|device`: what a parent adds to one
archived session.

    pumpmon note 12 "after a warm compress"    # shown by show/sessions, exported, sent
    pumpmon note 12 ""                          # removes the note
    pumpmon side 12 right                       # bottle 1 was on the right in session 12
    pumpmon side 12 device                      # back to the device's `bottle1_side`

Both are kept in the archive's annotations file (annotations.py), never in the session file,
which stays the device's exact bytes. Exit status: 0; 1 the archive cannot be used; 2 bad
usage (unknown session).
"""

from __future__ import annotations

import argparse

from .annotations import Annotations
from .archive import Archive
from .errors import BAD_REQUEST, PumpmonError

NOTE_MAX_CHARS = 2000


def add_arguments(p: argparse.ArgumentParser, name: str) -> None:
    p.add_argument("id", metavar="ID", help="session id (see `pumpmon sessions`)")
    if name == "note":
        p.add_argument(
            "text",
            metavar="TEXT",
            nargs="+",
            help='the note (quote it, or give words; "" removes the note)',
        )
    else:
        p.add_argument(
            "side",
            choices=("left", "right", "device"),
            help="the breast bottle 1 was on; `device`: follow bottle1_side",
        )
    p.add_argument(
        "--archive", metavar="DIR", help="archive folder (default: $XDG_DATA_HOME/pumpmon)"
    )


def run(args: argparse.Namespace) -> int:
    name = args.command
    with Archive.open(args.archive, create=False) as arc:
        row = arc.find(args.id)
        with Annotations.open(arc.root) as notes:
            if name == "note":
                text = " ".join(args.text).strip()
                if len(text) > NOTE_MAX_CHARS:
                    raise PumpmonError(
                        "the note is %d characters; keep it under %d"
                        % (len(text), NOTE_MAX_CHARS),
                        BAD_REQUEST,
                    )
                notes.set_note(row["sha256"], text)
                print("session %s: %s" % (row["id"], "note: " + text if text else "note removed"))
            else:
                notes.set_side(row["sha256"], None if args.side == "device" else args.side)
                side = notes.side_of(row)
                print(
                    "session %s: bottle 1 on the %s, bottle 2 on the %s%s"
                    % (
                        row["id"],
                        side,
                        "right" if side == "left" else "left",
                        " (the device's bottle1_side)" if args.side == "device" else "",
                    )
                )
    return 0
