"""The onsets the firmware missed and the letdowns that were false, by set and by session.

    .venv/bin/python -m bench.misses                           # bench/out (make bench's sets)
    .venv/bin/python -m bench.misses bench/out/sets            # every set bench.sets ran
    .venv/bin/python -m bench.misses OUT --list                # ... and one line each
    .venv/bin/python -m bench.misses OUT --list --at hand_pressure --path floor
    .venv/bin/python -m bench.misses NEW --against OLD          # what a change won and lost

Reads every detection_sessions.json under the given folders (`python -m bench --only
detection` writes one per set, bench.sets one per set under its OUT) and prints, per set and
over all of them:
- the required onsets missed, by the disturbance at the onset (bench.wearer's split: the kinds
  at it, "before" / "after" within 30 s, or "clean"), each split by its ejection's own milk in
  its first 20 s (under 2 g, 2 g or more), and how many of them a letdown found late (20-40 s
  after: a miss and a false letdown each in the F1);
- the late finds by the path that reported them, by their latency (20-22, 22-25, 25-30, 30-40
  s): a path whose late finds sit just past the window would gain most from being faster;
- the false letdowns by path: late finds, letdowns in no-milk sessions, and the others by the
  coach's phase then.
With --list, one line per missed onset and false letdown (--at and --path filter them).
With --against OLD (the same sets from another tree, e.g. bench.sets' output before a
change): set by set, each onset missed in one and not the other (now found / now missed), and
each false letdown in one with none on its bottle within 3 s in the other (gone / new), then
the counts over the sets both hold.

Exit status: 0; 2 when a folder does not exist or holds no detection_sessions.json this
listing can read. A file written before these keys existed, or unreadable, is skipped with a
message that says which command writes it afresh; the others are still counted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from bench.context import REPO

DEFAULT_OUT = REPO / "bench" / "out"
LATE_BINS_S = ((20.0, 22.0), (22.0, 25.0), (25.0, 30.0), (30.0, 40.0))
SMALL_G = 2.0  # bench.wearer's SIZE_G: an ejection under this in its first 20 s is small


class Unusable(Exception):
    """A folder or file the listing cannot use; the message says what to do."""


def find(roots: list[Path]) -> list[tuple[str, Path]]:
    """(set name, detection_sessions.json) under each root, sorted by set name. The set name is
    the file's folder relative to its root (the root's own name when the file is in it)."""
    found = []
    for root in roots:
        if not root.is_dir():
            raise Unusable(
                "%s: no such folder (give a bench output folder, e.g. bench/out)" % root
            )
        files = sorted(root.rglob("detection_sessions.json"))
        if not files:
            raise Unusable(
                "%s holds no detection_sessions.json: run `.venv/bin/python -m bench --only "
                "detection` (or `make bench`, or `python -m bench.sets`) first" % root
            )
        for f in files:
            rel = f.parent.relative_to(root)
            found.append((str(rel) if str(rel) != "." else root.name, f))
    return sorted(found)


def load(path: Path) -> list[dict]:
    try:
        rows = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise Unusable(
            "%s: unreadable (%s); run the bench again to rewrite it" % (path, e)
        ) from None
    if not isinstance(rows, list) or not all(
        isinstance(r, dict) and "missed_onsets" in r for r in rows
    ):
        raise Unusable(
            "%s was written before the bench listed missed onsets: run `.venv/bin/python -m "
            "bench --only detection` with the same options again" % path
        )
    return rows


class Tally:
    def __init__(self):
        self.missed = Counter()  # (at, "small" / "large" / "?") -> n
        self.missed_late = Counter()  # at -> n found late
        self.late = Counter()  # (path, latency bin index) -> n
        self.false = Counter()  # (path, where: "late find" / "no-milk" / phase) -> n
        self.onsets = 0
        self.sessions = 0

    def add(self, rows: list[dict]) -> None:
        for r in rows:
            self.sessions += 1
            no_milk = r["truth"]["phenotype"] == "no_milk"
            self.onsets += sum(len(o) for o in r["truth"]["onsets_s"])
            for m in r["missed_onsets"]:
                size = m["size_g"]
                cls = "?" if size is None else ("small" if size < SMALL_G else "large")
                self.missed[(m["at"], cls)] += 1
                if m["late_path"] is not None:
                    self.missed_late[m["at"]] += 1
                    self.late[(m["late_path"], _late_bin(m["late_s"]))] += 1
            for f in r["false_letdowns"]:
                if f["late_find_of_s"] is not None:
                    where = "late find"
                elif no_milk:
                    where = "no-milk"
                else:
                    where = f["phase"]
                self.false[(f["path"], where)] += 1

    def report(self, title: str) -> None:
        n_missed = sum(self.missed.values())
        n_false = sum(self.false.values())
        n_late = sum(self.late.values())
        print(
            "== %s: %d sessions, %d onsets; %d missed (%d of them found late), %d false letdowns"
            % (title, self.sessions, self.onsets, n_missed, n_late, n_false)
        )
        if n_missed:
            ats = Counter()
            for (at, _), n in self.missed.items():
                ats[at] += n
            print(
                "   missed, by the disturbance at the onset (small: under %g g in 20 s):" % SMALL_G
            )
            for at, n in ats.most_common():
                print(
                    "      %-26s %4d  (small %d, 2 g or more %d, found late %d)"
                    % (
                        at,
                        n,
                        self.missed[(at, "small")],
                        self.missed[(at, "large")],
                        self.missed_late[at],
                    )
                )
        if n_late:
            paths = Counter()
            for (p, _), n in self.late.items():
                paths[p] += n
            heads = ", ".join("%g-%g s" % b for b in LATE_BINS_S)
            print("   late finds by path (%s after the onset):" % heads)
            for p, n in paths.most_common():
                bins = " / ".join(str(self.late[(p, i)]) for i in range(len(LATE_BINS_S)))
                print("      %-8s %4d  (%s)" % (p, n, bins))
        if n_false:
            paths = Counter()
            for (p, _), n in self.false.items():
                paths[p] += n
            print("   false letdowns by path (late finds, in no-milk sessions, else the phase):")
            for p, n in paths.most_common():
                parts = sorted(
                    ((w, c) for (q, w), c in self.false.items() if q == p), key=lambda x: -x[1]
                )
                print("      %-8s %4d  (%s)" % (p, n, ", ".join("%s %d" % x for x in parts)))


def _late_bin(late_s: float) -> int:
    for i, (_, b) in enumerate(LATE_BINS_S):
        if late_s <= b:
            return i
    return len(LATE_BINS_S) - 1


def listing(set_name: str, rows: list[dict], at: str | None, path: str | None) -> list[str]:
    """One line per missed onset and false letdown of the set, filtered by `at` (the missed
    onsets' disturbance) and `path` (the late find's or the false letdown's path)."""
    out = []
    for r in rows:
        for m in r["missed_onsets"]:
            if at is not None and m["at"] != at:
                continue
            if path is not None and m["late_path"] != path:
                continue
            out.append(_onset_line(set_name, r, m, "missed"))
        for f in r["false_letdowns"]:
            if at is not None or (path is not None and f["path"] != path):
                continue
            out.append(_false_line(set_name, r, f))
    return out


FALSE_MATCH_S = 3.0  # two false letdowns on one bottle this close are one (a block or two apart)


def _head(set_name: str, r: dict, bottle: int) -> str:
    return "%-10s %-22s %3s Hz  bottle %d" % (set_name, r["name"], r.get("rate_hz", "?"), bottle)


def _onset_line(set_name: str, r: dict, m: dict, word: str) -> str:
    """A missed onset: `word` ("missed", or "onset" where the line says what changed), its
    time, the disturbance at it, its ejection's milk in 20 s, and whether it was found late."""
    size = "?" if m["size_g"] is None else "%.1f g" % m["size_g"]
    late = (
        "found late by %s (+%.1f s)" % (m["late_path"], m["late_s"])
        if m["late_path"]
        else "not found"
    )
    return "%s  %-6s %6.1f s  %-22s %7s  %s" % (
        _head(set_name, r, m["bottle"]),
        word,
        m["t_s"],
        m["at"],
        size,
        late,
    )


def _false_line(set_name: str, r: dict, f: dict) -> str:
    why = (
        "late find of %.1f s" % f["late_find_of_s"]
        if f["late_find_of_s"] is not None
        else "in %s" % f["phase"]
    )
    return "%s  false  %6.1f s  %-8s %s" % (
        _head(set_name, r, f["bottle"]),
        f["t_s"],
        f["path"],
        why,
    )


def compare(set_name: str, new: list[dict], old: list[dict]) -> tuple[list[str], Counter]:
    """What changed from `old` to `new` (one set's rows, sessions matched by name): lines
    "now found" / "now missed" for onsets missed in only one of them, "gone" / "new" for
    false letdowns with none on the same bottle within FALSE_MATCH_S in the other; and their
    counts."""
    old_by = {r["name"]: r for r in old}
    lines = []
    n = Counter()
    for r in new:
        o = old_by.get(r["name"])
        if o is None:
            continue
        was = {(m["bottle"], round(m["t_s"], 1)): m for m in o["missed_onsets"]}
        now = {(m["bottle"], round(m["t_s"], 1)): m for m in r["missed_onsets"]}
        for key in sorted(set(was) - set(now)):
            lines.append("now found   " + _onset_line(set_name, o, was[key], "onset"))
            n["found"] += 1
        for key in sorted(set(now) - set(was)):
            lines.append("now missed  " + _onset_line(set_name, r, now[key], "onset"))
            n["missed"] += 1
        for a, b, word in (
            (o["false_letdowns"], r["false_letdowns"], "gone"),
            (r["false_letdowns"], o["false_letdowns"], "new"),
        ):
            for f in a:
                if not any(
                    g["bottle"] == f["bottle"] and abs(g["t_s"] - f["t_s"]) <= FALSE_MATCH_S
                    for g in b
                ):
                    row = o if word == "gone" else r
                    lines.append("%-11s " % ("false " + word) + _false_line(set_name, row, f))
                    n["false " + word] += 1
    return lines, n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.misses",
        description="Missed onsets and false letdowns of the firmware, from the bench's output.",
    )
    ap.add_argument(
        "folders", nargs="*", type=Path, help="bench output folders (default: bench/out)"
    )
    ap.add_argument(
        "--list", action="store_true", help="one line per missed onset and false letdown"
    )
    ap.add_argument(
        "--at", help="list only missed onsets with this disturbance (e.g. hand_pressure, clean)"
    )
    ap.add_argument(
        "--path", help="list only late finds and false letdowns of this path (e.g. floor)"
    )
    ap.add_argument(
        "--against",
        type=Path,
        metavar="OLD",
        help="compare with this output folder of the same sets: onsets now found or missed, "
        "false letdowns gone or new",
    )
    args = ap.parse_args(argv)
    sets = read_sets(args.folders or [DEFAULT_OUT])
    if not sets:
        return 2
    if args.against is not None:
        return _against(sets, args.against)
    total = Tally()
    for name, rows in sets:
        one = Tally()
        one.add(rows)
        total.add(rows)
        one.report(name)
        if args.list or args.at or args.path:
            for line in listing(name, rows, args.at, args.path):
                print("   " + line)
    if len(sets) > 1:
        total.report("all %d sets" % len(sets))
    return 0


def read_sets(roots: list[Path]) -> list[tuple[str, list[dict]]]:
    """(set name, rows) of every set under the roots that can be read; a stale or unreadable
    set is skipped with its message on stderr (the others are still read), a root that cannot
    be used gives its message and no sets."""
    try:
        files = find(roots)
    except Unusable as e:
        print("bench.misses: %s" % e, file=sys.stderr)
        return []
    sets = []
    for name, f in files:
        try:
            sets.append((name, load(f)))
        except Unusable as e:  # one stale set does not hide the others
            print("bench.misses: skipped %s" % e, file=sys.stderr)
    return sets


def _changes(n: Counter) -> str:
    return "%d onsets now found, %d now missed; %d false letdowns gone, %d new" % (
        n["found"],
        n["missed"],
        n["false gone"],
        n["false new"],
    )


def _against(sets: list[tuple[str, list[dict]]], old_root: Path) -> int:
    old_sets = dict(read_sets([old_root]))
    if not old_sets:
        return 2
    total = Counter()
    compared = 0
    for name, rows in sets:
        if name not in old_sets:
            print("== %s: not in %s (nothing to compare)" % (name, old_root))
            continue
        compared += 1
        lines, n = compare(name, rows, old_sets[name])
        total.update(n)
        print("== %s: %s" % (name, _changes(n)))
        for line in lines:
            print("   " + line)
    for name in sorted(set(old_sets) - {name for name, _ in sets}):
        print("== %s: only in %s (nothing to compare)" % (name, old_root))
    if not compared:
        print(
            "bench.misses: no set of the given folders is in %s (compare outputs of the same "
            "sets, e.g. two `bench.sets --out` folders)" % old_root,
            file=sys.stderr,
        )
        return 2
    print("== against %s, %d sets: %s" % (old_root, compared, _changes(total)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
