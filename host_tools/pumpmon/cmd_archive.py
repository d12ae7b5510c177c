"""`pumpmon sessions | show | export | trends`: read the archive (no device needed).

    pumpmon sessions [--archive DIR] [--json] [--units ml|oz] [--reindex]
    pumpmon show ID [--units ml|oz]
    pumpmon export ID|--all --format csv|json [-o FILE] [--units ml|oz]
    pumpmon trends [--json] [--units ml|oz]
    pumpmon forget ID          # out of the archive; the file is kept in DIR/trash/<device>/

The index answers `sessions` and `trends` without decoding files; `show` and `export` decode
the session with the firmware's codec. Times are shown in the computer's local time zone and
exported in UTC (ISO 8601). Volumes in mL (1.03 g/mL) or US fluid ounces. The wording states
amounts and times only; it never grades them.

Exit status: 0; 1 the archive or a session cannot be read; 2 bad usage (unknown id, ...).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys
from collections import OrderedDict

from .archive import ML_PER_OZ, Archive, ArchiveError, firmware_module


def add_arguments(p: argparse.ArgumentParser, name: str) -> None:
    p.add_argument("--archive", metavar="DIR",
                   help="archive folder (default: $XDG_DATA_HOME/pumpmon)")
    p.add_argument("--units", choices=("ml", "oz"), default="ml", help="volume unit (mL)")
    if name == "sessions":
        p.add_argument("--json", action="store_true",
                       help="a JSON array, one object per session")
        p.add_argument("--reindex", action="store_true",
                       help="first rebuild missing index rows from the archived files")
    elif name in ("show", "forget"):
        p.add_argument("id", metavar="ID", help="session id (see `pumpmon sessions`)")
    elif name == "export":
        which = p.add_mutually_exclusive_group(required=True)
        which.add_argument("id", metavar="ID", nargs="?", help="session id")
        which.add_argument("--all", action="store_true", help="every session")
        p.add_argument("--format", choices=("csv", "json"), required=True)
        p.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    elif name == "trends":
        p.add_argument("--json", action="store_true", help="JSON instead of a table")


# -- helpers -----------------------------------------------------------------------------
def vol(ml: float | None, units: str) -> float | None:
    if ml is None:
        return None
    return round(ml / ML_PER_OZ, 2) if units == "oz" else round(ml, 1)


def unit_label(units: str) -> str:
    return "oz" if units == "oz" else "mL"


def header_damaged(row: dict) -> bool:
    """The session's header could not be read (so neither its start nor its number)."""
    return bool(row.get("damaged")) and row.get("session_id") is None


def local_time(row: dict) -> str:
    if header_damaged(row):
        return "damaged: unknown"
    if row.get("start_unix_s") is None:
        return "clock not set"
    return dt.datetime.fromtimestamp(row["start_unix_s"]).strftime("%Y-%m-%d %H:%M")


def mmss(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    return "%d:%02d" % (s // 60, s % 60)


def session_json(row: dict, units: str) -> dict:
    """The public fields of one session (the `sessions --json` object)."""
    u = unit_label(units).lower()
    return {
        "id": row["id"],
        "start": row["start"],
        "duration_s": row["duration_s"],
        "volume_%s" % u: vol(row["volume_ml"], units),
        "volume_left_%s" % u: vol(row["volume_left_ml"], units),
        "volume_right_%s" % u: vol(row["volume_right_ml"], units),
        **({"volume_ml": vol(row["volume_ml"], "ml")} if units != "ml" else {}),
        "volume_estimated": bool(row["volume_estimated"]),
        "letdowns": row["letdowns"],
        "first_letdown_s": row["first_letdown_s"],
        "tapers": row["tapers"],
        "cues": row["cues"],
        "complete": bool(row["complete"]),
        "damaged": bool(row["damaged"]),
        "device": row["device"],
        "session_number": row["session_id"],
    }


def timeline(session: dict) -> list[dict]:
    """Events of a decoded session as dicts: t_s, event, and its details in words."""
    ev = firmware_module("events")
    evn = firmware_module("eventnames")
    out = []
    for t_ms, code, ch, arg in session.get("events") or []:
        item = {"t_s": round(t_ms / 1000.0, 1), "event": evn.name(evn.EVENT_NAMES, code)}
        if code in (ev.EV_LETDOWN, ev.EV_TAPER):
            item["bottle"] = ch + 1 if ch != 255 else None
            if code == ev.EV_LETDOWN:
                item["flow_g_s"] = round(arg / 1000.0, 2)
        elif code == ev.EV_CUE:
            item["cue"] = evn.name(evn.CUE_NAMES, arg)
        elif code == ev.EV_CUE_RESULT:
            item["cue"] = evn.name(evn.CUE_NAMES, ch)
            item["volume_ml"] = round(arg / 1030.0, 1)
        elif code == ev.EV_PHASE:
            item["phase"] = evn.name(evn.PHASE_NAMES, arg)
        elif code == ev.EV_FAULT:
            item["fault"] = evn.name(evn.FAULT_NAMES, arg)
        elif code == ev.EV_BUTTON:
            item["press"] = evn.name(evn.BUTTON_NAMES, arg)
        elif code == ev.EV_MOTION:
            item["moving"] = bool(arg)
        elif code == ev.EV_SESSION_END:
            item["ended_by_done"] = arg == ev.END_DONE
            item["ended_by"] = evn.name(evn.END_NAMES, arg)
        out.append(item)
    return out


# -- commands ----------------------------------------------------------------------------
FILE_NOTES = {"missing": "archived file missing: `pumpmon pull` fetches it again",
              "changed": "archived file damaged on this computer: `pumpmon pull` fetches it "
                         "again"}


def cmd_sessions(arc: Archive, args: argparse.Namespace) -> int:
    if args.reindex and not arc.rebuilt:
        added = arc.reindex()
        print("reindexed: %d session files added to the index" % added, file=sys.stderr)
    rows = arc.list()
    file_state = {r["id"]: arc.file_state(r) for r in rows}
    if args.json:
        items = []
        for r in rows:
            item = session_json(r, args.units)
            item["file"] = file_state[r["id"]]  # ok | missing | changed
            items.append(item)
        json.dump(items, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    if not rows:
        print("no sessions in the archive at %s yet: `pumpmon pull` copies them from the "
              "device" % arc.root)
        _print_device_space(arc)
        return 0
    u = unit_label(args.units)
    print("%-12s %-16s %8s %9s %9s %9s %8s %12s  %s" % (
        "id", "start", "length", "total " + u, "left " + u, "right " + u, "letdowns",
        "1st letdown", "note"))
    for r in rows:
        notes = []
        if not r["complete"]:
            notes.append("cut short")
        if r["volume_estimated"]:
            notes.append("volume from weights")
        if header_damaged(r):
            notes.append("damaged: header unreadable")
        elif r["damaged"]:
            notes.append("damaged")
        if file_state[r["id"]] != "ok":
            notes.append(FILE_NOTES[file_state[r["id"]]])
        print("%-12s %-16s %8s %9s %9s %9s %8d %12s  %s" % (
            r["id"], local_time(r), mmss(r["duration_s"]), _fmt(vol(r["volume_ml"], args.units)),
            _fmt(vol(r["volume_left_ml"], args.units)),
            _fmt(vol(r["volume_right_ml"], args.units)), r["letdowns"] or 0,
            mmss(r["first_letdown_s"]), ", ".join(notes)))
    print("%d sessions" % len(rows))
    _print_device_space(arc)
    return 0


def _print_device_space(arc: Archive) -> None:
    from .pull import space_text

    for d in arc.device_space():
        print("%s (device %s, at the last pull, %s)" % (
            space_text(d["free_bytes"], d["session_bytes"]), d["device"] or "?", d["at"]))


def _fmt(v: float | None) -> str:
    return "-" if v is None else ("%g" % v)


def cmd_show(arc: Archive, args: argparse.Namespace) -> int:
    row = arc.find(args.id)
    session = arc.load(row)
    u = unit_label(args.units)
    print("session %s  (%s, device %s, number %s)" % (
        row["id"], local_time(row), row["device"],
        "unknown" if row["session_id"] is None else row["session_id"]))
    print("length %s, %d letdowns, first letdown after %s" % (
        mmss(row["duration_s"]), row["letdowns"] or 0, mmss(row["first_letdown_s"])))
    est = " (from the weights: the session was cut short)" if row["volume_estimated"] else ""
    print("volume: %s %s in all; bottle 1 (left) %s %s, bottle 2 (right) %s %s%s" % (
        _fmt(vol(row["volume_ml"], args.units)), u, _fmt(vol(row["volume_left_ml"], args.units)),
        u, _fmt(vol(row["volume_right_ml"], args.units)), u, est))
    if not row["complete"]:
        print("the session ended without its closing summary (power cut or reset)")
    if header_damaged(row):
        print("this session's header is damaged: its start, number and samples cannot be read;"
              " what follows is what could be read (%d events%s)" % (
                  len(session.get("events") or []),
                  ", the closing summary" if session.get("summary") else ""))
    elif row["damaged"]:
        print("parts of this session's file are damaged; what follows is the intact part")
    print()
    print("timeline:")
    for item in timeline(session):
        t = mmss(item["t_s"])
        e = item["event"]
        if e == "letdown":
            print("  %6s  letdown (bottle %s, flow %.2f g/s)" % (t, item["bottle"],
                                                                  item["flow_g_s"]))
        elif e == "taper":
            print("  %6s  flow tapered (bottle %s)" % (t, item["bottle"]))
        elif e == "cue":
            print("  %6s  cue: %s" % (t, item["cue"].replace("_", " ")))
        elif e == "cue_result":
            print("  %6s  the %s step brought %s %s" % (
                t, item["cue"].replace("_", " "), _fmt(vol(item["volume_ml"], args.units)), u))
        elif e == "phase":
            print("  %6s  phase: %s" % (t, item["phase"].replace("_", " ")))
        elif e == "fault":
            print("  %6s  fault: %s" % (t, item["fault"].replace("_", " ")))
        elif e == "button":
            print("  %6s  button: %s press" % (t, item["press"]))
        elif e == "motion":
            print("  %6s  %s" % (t, "moving: weight held" if item["moving"] else "still again"))
        elif e == "session_end":
            print("  %6s  session end (%s)" % (t, END_WORDS.get(item["ended_by"],
                                                              item["ended_by"])))
        elif e == "session_start":
            print("  %6s  %s" % (t, e.replace("_", " ")))
        else:
            print("  %6s  %s" % (t, e))
    return 0


END_WORDS = {"done": "ended by the `done` cue", "button": "ended by a long press",
             "host": "ended from the computer (--stop-session)",
             "trace": "the emulator's trace ran out", "other": "end reason not recorded"}


def cmd_forget(arc: Archive, args: argparse.Namespace) -> int:
    row = arc.find(args.id)
    moved = arc.forget(row)
    if moved is None:
        print("forgot session %s (its file was already gone); a pull leaves it on the device"
              % row["id"])
    else:
        print("forgot session %s: its file is kept in %s; a pull leaves it on the device"
              % (row["id"], moved))
    return 0


def _sample_rows(session: dict, units: str):
    """Rows of (t_s, weight per bottle in g, event names at that sample)."""
    t_ms = session.get("t_ms") or []
    w = session.get("w_mg") or []
    events = timeline(session)
    ei = 0
    for i, t in enumerate(t_ms):
        here = []
        while ei < len(events) and events[ei]["t_s"] * 1000 <= t + 1e-6:
            e = events[ei]
            detail = e.get("cue") or e.get("phase") or e.get("fault") or e.get("press")
            here.append("%s:%s" % (e["event"], detail) if detail else e["event"])
            ei += 1
        yield [round(t / 1000.0, 3)] + [round(col[i] / 1000.0, 2) for col in w] + [
            " ".join(here)]


def cmd_export(arc: Archive, args: argparse.Namespace) -> int:
    rows = arc.list() if args.all else [arc.find(args.id)]
    out = io.StringIO()
    u = unit_label(args.units)
    if args.format == "json":
        items = []
        for r in rows:
            s = arc.load(r)
            item = session_json(r, args.units)
            item["events"] = timeline(s)
            item["samples"] = {"t_s": [round(t / 1000.0, 3) for t in s.get("t_ms") or []],
                               "weight_g": [[round(v / 1000.0, 2) for v in col]
                                            for col in s.get("w_mg") or []]}
            items.append(item)
        json.dump(items if args.all else items[0], out)
        out.write("\n")
    elif args.all:
        # one row per session
        w = csv.writer(out)
        w.writerow(["id", "start (UTC, ISO 8601)", "start (local)", "duration (s)",
                    "volume (%s)" % u, "left (%s)" % u, "right (%s)" % u, "letdowns",
                    "first letdown (s)", "tapers", "cues", "complete", "volume estimated"])
        for r in rows:
            w.writerow([r["id"], r["start"] or "", local_time(r), r["duration_s"],
                        vol(r["volume_ml"], args.units), vol(r["volume_left_ml"], args.units),
                        vol(r["volume_right_ml"], args.units), r["letdowns"],
                        r["first_letdown_s"] if r["first_letdown_s"] is not None else "",
                        r["tapers"], r["cues"], "yes" if r["complete"] else "no",
                        "yes" if r["volume_estimated"] else "no"])
    else:
        s = arc.load(rows[0])
        n_ch = len(s.get("w_mg") or [])
        w = csv.writer(out)
        w.writerow(["time (s)"] + ["bottle %d weight (g)" % (c + 1) for c in range(n_ch)]
                   + ["events"])
        for rec in _sample_rows(s, args.units):
            w.writerow(rec)
    text = out.getvalue()
    if args.output:
        try:
            with open(args.output, "w", newline="", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            print("pumpmon export: cannot write %s: %s" % (args.output, e.strerror or e),
                  file=sys.stderr)
            return 1
        print("wrote %s (%d sessions)" % (args.output, len(rows)), file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def trends(rows: list[dict]) -> dict:
    """Per day (local date of the start): sessions, total, left, right, mean time to first
    letdown. Sessions without a wall-clock time are counted apart."""
    days: OrderedDict[str, dict] = OrderedDict()
    no_clock = 0
    for r in sorted((r for r in rows if r.get("start_unix_s") is not None),
                    key=lambda r: r["start_unix_s"]):
        day = dt.datetime.fromtimestamp(r["start_unix_s"]).date().isoformat()
        d = days.setdefault(day, {"date": day, "sessions": 0, "volume_ml": 0.0,
                                  "left_ml": 0.0, "right_ml": 0.0, "_first": []})
        d["sessions"] += 1
        d["volume_ml"] += r["volume_ml"] or 0.0
        d["left_ml"] += r["volume_left_ml"] or 0.0
        d["right_ml"] += r["volume_right_ml"] or 0.0
        if r["first_letdown_s"] is not None:
            d["_first"].append(r["first_letdown_s"])
    no_clock = sum(1 for r in rows if r.get("start_unix_s") is None and not header_damaged(r))
    out = []
    for d in days.values():
        first = d.pop("_first")
        d["mean_first_letdown_s"] = round(sum(first) / len(first), 1) if first else None
        for k in ("volume_ml", "left_ml", "right_ml"):
            d[k] = round(d[k], 1)
        out.append(d)
    return {"days": out, "sessions_without_clock": no_clock}


def cmd_trends(arc: Archive, args: argparse.Namespace) -> int:
    t = trends(arc.list())
    if args.json:
        if args.units == "oz":
            for d in t["days"]:
                for k in ("volume", "left", "right"):
                    key = "volume_ml" if k == "volume" else k + "_ml"
                    d[key.replace("_ml", "_oz")] = vol(d[key], "oz")
        json.dump(t, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    u = unit_label(args.units)
    if not t["days"]:
        print("no sessions with a wall-clock time yet")
    else:
        print("%-10s %8s %10s %10s %10s %14s" % ("day", "sessions", "total " + u, "left " + u,
                                                 "right " + u, "1st letdown"))
        for d in t["days"]:
            print("%-10s %8d %10s %10s %10s %14s" % (
                d["date"], d["sessions"], _fmt(vol(d["volume_ml"], args.units)),
                _fmt(vol(d["left_ml"], args.units)), _fmt(vol(d["right_ml"], args.units)),
                mmss(d["mean_first_letdown_s"])))
        n = len(t["days"])
        mean = sum(d["volume_ml"] for d in t["days"]) / n
        per_day = sum(d["sessions"] for d in t["days"]) / n
        print("over %d days: %s %s a day on average, %.1f sessions a day" % (
            n, _fmt(vol(mean, args.units)), u, per_day))
    if t["sessions_without_clock"]:
        print("%d sessions have no wall-clock time (the device clock was not set): not in "
              "the daily table; `pumpmon time sync` sets the clock for future sessions"
              % t["sessions_without_clock"])
    return 0


COMMANDS = {"sessions": cmd_sessions, "show": cmd_show, "export": cmd_export,
            "trends": cmd_trends, "forget": cmd_forget}


def run(args: argparse.Namespace) -> int:
    name = args.command
    try:
        arc = Archive.open(args.archive, create=False)
    except ArchiveError as e:
        if name == "sessions" and "no archive at" in str(e):  # nothing pulled yet: empty
            if args.json:
                print("[]")
            else:
                print("no sessions yet: %s" % e)
            return 0
        print("pumpmon %s: %s" % (name, e), file=sys.stderr)
        return 1
    if arc.rebuilt:
        print("pumpmon: %s" % arc.rebuilt, file=sys.stderr)
    try:
        return COMMANDS[name](arc, args)
    except ArchiveError as e:
        print("pumpmon %s: %s" % (name, e), file=sys.stderr)
        return 2 if "no session" in str(e) or "ambiguous" in str(e) else 1
    finally:
        arc.close()
