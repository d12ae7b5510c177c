"""`pumpmon sessions | show | export | trends`: read the archive (no device needed).

    pumpmon sessions [--archive DIR] [--json] [--units ml|oz] [--reindex] [--since D] [--until D]
    pumpmon show ID [--units ml|oz]
    pumpmon export ID|--all --format csv|json [-o FILE] [--units ml|oz] [--since D] [--until D]
    pumpmon trends [--json] [--units ml|oz] [--since D] [--until D] [--days N]
    pumpmon forget ID          # out of the archive; the file is kept in DIR/trash/<device>/

The index answers `sessions` and `trends` without decoding files; `show` and `export` decode
the session with the firmware's codec. Times are shown in the computer's local time zone with
its UTC offset and exported both in UTC and in local time with the offset (ISO 8601).
Volumes in mL (1.03 g/mL) or US fluid ounces (`--units`, else the device's `units` setting),
flows in mL/min (or oz/min). Left and right follow the device's `bottle1_side` and any
per-session choice (`pumpmon side`). The wording states amounts and times only; it never
grades them.

Exit status: 0; 1 the archive or a session cannot be read; 2 bad usage (unknown id, ...).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections import OrderedDict

from .annotations import annotate
from .archive import Archive, NoArchive
from .errors import BAD_REQUEST, PumpmonError
from .readout import (
    add_filter_arguments,
    add_units_argument,
    bottle_name,
    breasts,
    flow,
    flow_label,
    header_damaged,
    local_dt,
    local_iso,
    local_time,
    mmss,
    select,
    unit_label,
    units_for,
    vol,
)
from .readout import fmt as _fmt
from .shared import eventnames as evn
from .shared import events as ev


def add_arguments(p: argparse.ArgumentParser, name: str) -> None:
    p.add_argument(
        "--archive", metavar="DIR", help="archive folder (default: $XDG_DATA_HOME/pumpmon)"
    )
    add_units_argument(p)
    if name in ("sessions", "export", "trends"):
        add_filter_arguments(p, days=name != "export")
    if name == "sessions":
        p.add_argument("--json", action="store_true", help="a JSON array, one object per session")
        p.add_argument(
            "--reindex",
            action="store_true",
            help="first rebuild missing index rows from the archived files",
        )
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
def _rows(arc: Archive, args: argparse.Namespace) -> list[dict]:
    """The sessions the filters keep, with notes and sides (ValueError: a bad filter)."""
    rows = select(
        arc.list(),
        getattr(args, "since", None),
        getattr(args, "until", None),
        getattr(args, "days", None),
    )
    return annotate(arc.root, rows)


def session_json(row: dict, units: str) -> dict:
    """The public fields of one session (the `sessions --json` object)."""
    u = unit_label(units).lower()
    side = row.get("bottle1_side") or "left"
    left_ml, right_ml = breasts(row, side)
    return {
        "id": row["id"],
        "start": row["start"],
        "start_local": local_iso(row.get("start_unix_s")) or None,
        "duration_s": row["duration_s"],
        "volume_%s" % u: vol(row["volume_ml"], units),
        "volume_left_%s" % u: vol(left_ml, units),
        "volume_right_%s" % u: vol(right_ml, units),
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
        "bottle1_side": side,
        "note": row.get("note"),
    }


def timeline(session: dict) -> list[dict]:
    """Events of a decoded session as dicts: t_s, event, and its details in words."""
    out = []
    for t_ms, code, ch, arg in session.get("events") or []:
        item = {"t_s": round(t_ms / 1000.0, 1), "event": evn.name(evn.EVENT_NAMES, code)}
        if code in (ev.EV_LETDOWN, ev.EV_TAPER):
            item["bottle"] = ch + 1 if ch != 255 else None
            if code == ev.EV_LETDOWN:
                item["flow_g_s"] = round(arg / 1000.0, 2)
                item["flow_ml_min"] = flow(arg / 1000.0, "ml")
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


def step_results(session: dict) -> list[dict]:
    """What each massage / hand-expression step brought: {"cue", "cue_t_s", "t_s",
    "volume_ml"}, the cue's time taken from the latest cue of that kind before the result
    (the session emits a result before any new cue; docs/architecture.md)."""
    last_cue: dict[str, float] = {}
    out = []
    for item in timeline(session):
        if item["event"] == "cue":
            last_cue[item["cue"]] = item["t_s"]
        elif item["event"] == "cue_result":
            out.append(
                {
                    "cue": item["cue"],
                    "cue_t_s": last_cue.get(item["cue"], item["t_s"]),
                    "t_s": item["t_s"],
                    "volume_ml": item["volume_ml"],
                }
            )
    return out


# -- commands ----------------------------------------------------------------------------
FILE_NOTES = {
    "missing": "archived file missing: `pumpmon pull` fetches it again",
    "changed": "archived file damaged on this computer: `pumpmon pull` fetches it again",
}


def cmd_sessions(arc: Archive, args: argparse.Namespace) -> int:
    if args.reindex and not arc.rebuilt:
        added = arc.reindex()
        print("reindexed: %d session files added to the index" % added, file=sys.stderr)
    rows = _rows(arc, args)
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
        if arc.count():
            print(
                "no sessions in that time span (%d in the archive at %s)" % (arc.count(), arc.root)
            )
            return 0
        print(
            "no sessions in the archive at %s yet: `pumpmon pull` copies them from the "
            "device" % arc.root
        )
        _print_device_space(arc)
        return 0
    u = unit_label(args.units)
    print(
        "%-12s %-23s %8s %9s %9s %9s %8s %12s  %s"
        % (
            "id",
            "start",
            "length",
            "total " + u,
            "left " + u,
            "right " + u,
            "letdowns",
            "1st letdown",
            "note",
        )
    )
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
        if r.get("note"):
            notes.append(r["note"])
        if file_state[r["id"]] != "ok":
            notes.append(FILE_NOTES[file_state[r["id"]]])
        left_ml, right_ml = breasts(r, r["bottle1_side"])
        print(
            "%-12s %-23s %8s %9s %9s %9s %8d %12s  %s"
            % (
                r["id"],
                local_time(r),
                mmss(r["duration_s"]),
                _fmt(vol(r["volume_ml"], args.units)),
                _fmt(vol(left_ml, args.units)),
                _fmt(vol(right_ml, args.units)),
                r["letdowns"] or 0,
                mmss(r["first_letdown_s"]),
                "; ".join(notes),
            )
        )
    print("%d sessions" % len(rows))
    _print_device_space(arc)
    return 0


def _print_device_space(arc: Archive) -> None:
    from .pull import space_text

    for d in arc.device_space():
        print(
            "%s (device %s, at the last pull, %s)"
            % (space_text(d["free_bytes"], d["session_bytes"]), d["device"] or "?", d["at"])
        )


def cmd_show(arc: Archive, args: argparse.Namespace) -> int:
    row = annotate(arc.root, [arc.find(args.id)])[0]
    session = arc.load(row)
    side = row["bottle1_side"]
    u = unit_label(args.units)
    fu = flow_label(args.units)
    print(
        "session %s  (%s, device %s, number %s)"
        % (
            row["id"],
            local_time(row),
            row["device"],
            "unknown" if row["session_id"] is None else row["session_id"],
        )
    )
    print(
        "length %s, %d letdowns, first letdown after %s"
        % (mmss(row["duration_s"]), row["letdowns"] or 0, mmss(row["first_letdown_s"]))
    )
    est = " (from the weights: the session was cut short)" if row["volume_estimated"] else ""
    n_ch = len(session.get("w_mg") or []) or row.get("n_channels") or 2
    per_bottle = [row["volume_left_ml"], row["volume_right_ml"]][:n_ch]
    print(
        "volume: %s %s in all; %s%s"
        % (
            _fmt(vol(row["volume_ml"], args.units)),
            u,
            ", ".join(
                "%s %s %s" % (bottle_name(ch, side), _fmt(vol(v, args.units)), u)
                for ch, v in enumerate(per_bottle)
            ),
            est,
        )
    )
    if row.get("note"):
        print("note: %s" % row["note"])
    if not row["complete"]:
        print("the session ended without its closing summary (power cut or reset)")
    if header_damaged(row):
        print(
            "this session's header is damaged: its start, number and samples cannot be read;"
            " what follows is what could be read (%d events%s)"
            % (
                len(session.get("events") or []),
                ", the closing summary" if session.get("summary") else "",
            )
        )
    elif row["damaged"]:
        print("parts of this session's file are damaged; what follows is the intact part")
    print()
    print("timeline:")
    for item in timeline(session):
        t = mmss(item["t_s"])
        if row.get("start_unix_s") is not None:
            t = "%5s %s" % (t, _clock_hm(row["start_unix_s"] + item["t_s"]))
        e = item["event"]
        where = bottle_name(item["bottle"] - 1, side) if item.get("bottle") else "both bottles"
        if e == "letdown":
            print(
                "  %6s  letdown (%s, flow %s %s)"
                % (t, where, _fmt(flow(item["flow_g_s"], args.units)), fu)
            )
        elif e == "taper":
            print("  %6s  flow tapered (%s)" % (t, where))
        elif e == "cue":
            print("  %6s  cue: %s" % (t, item["cue"].replace("_", " ")))
        elif e == "cue_result":
            print(
                "  %6s  the %s step brought %s %s"
                % (t, item["cue"].replace("_", " "), _fmt(vol(item["volume_ml"], args.units)), u)
            )
        elif e == "phase":
            print("  %6s  phase: %s" % (t, item["phase"].replace("_", " ")))
        elif e == "fault":
            print("  %6s  fault: %s" % (t, item["fault"].replace("_", " ")))
        elif e == "button":
            print("  %6s  button: %s press" % (t, item["press"]))
        elif e == "motion":
            print("  %6s  %s" % (t, "moving: weight held" if item["moving"] else "still again"))
        elif e == "session_end":
            print(
                "  %6s  session end (%s)" % (t, END_WORDS.get(item["ended_by"], item["ended_by"]))
            )
        elif e == "session_start":
            print("  %6s  %s" % (t, e.replace("_", " ")))
        else:
            print("  %6s  %s" % (t, e))
    return 0


def _clock_hm(unix_s: float) -> str:
    return local_dt(unix_s).strftime("%H:%M:%S")


END_WORDS = {
    "done": "ended by the `done` cue",
    "button": "ended by a long press",
    "host": "ended from the computer (--stop-session)",
    "trace": "the emulator's trace ran out",
    "other": "end reason not recorded",
}


def cmd_forget(arc: Archive, args: argparse.Namespace) -> int:
    row = arc.find(args.id)
    moved = arc.forget(row)
    if moved is None:
        print(
            "forgot session %s (its file was already gone); a pull leaves it on the device"
            % row["id"]
        )
    else:
        print(
            "forgot session %s: its file is kept in %s; a pull leaves it on the device"
            % (row["id"], moved)
        )
    return 0


def _sample_rows(session: dict, row: dict, units: str):
    """Per sample: time since start, clock time, weight, cumulative volume and flow per bottle,
    and the events at that sample with the bottle each concerns."""
    from .plot import cumulative_ml, flow_g_s  # plot imports this module

    t_ms = session.get("t_ms") or []
    w = session.get("w_mg") or []
    t_s = [t / 1000.0 for t in t_ms]
    weights_g = [[v / 1000.0 for v in col] for col in w]
    cumulative = [cumulative_ml(t_s, col) for col in weights_g]
    flows = [flow_g_s(t_s, col) for col in weights_g]
    start = row.get("start_unix_s")
    side = row.get("bottle1_side") or "left"
    events = timeline(session)
    ei = 0
    for i, t in enumerate(t_ms):
        here = []
        last = i == len(t_ms) - 1  # events after the last sample go on the last row
        while ei < len(events) and (last or events[ei]["t_s"] * 1000 <= t + 1e-6):
            e = events[ei]
            detail = e.get("cue") or e.get("phase") or e.get("fault") or e.get("press")
            text = "%s:%s" % (e["event"], detail) if detail else e["event"]
            if e.get("bottle"):
                text += "@" + bottle_name(e["bottle"] - 1, side).replace(" ", "")
            here.append(text)
            ei += 1
        yield (
            [
                round(t_s[i], 3),
                local_iso(start + t_s[i], "milliseconds") if start is not None else "",
            ]
            + [round(col[i], 2) for col in weights_g]
            + [vol(col[i], units) for col in cumulative]
            + [flow(col[i], units) for col in flows]
            + [" ".join(here)]
        )


def cmd_export(arc: Archive, args: argparse.Namespace) -> int:
    rows = _rows(arc, args) if args.all else annotate(arc.root, [arc.find(args.id)])
    out = io.StringIO()
    u = unit_label(args.units)
    if args.format == "json":
        items = []
        for r in rows:
            s = arc.load(r)
            item = session_json(r, args.units)
            item["events"] = timeline(s)
            item["samples"] = {
                "t_s": [round(t / 1000.0, 3) for t in s.get("t_ms") or []],
                "weight_g": [[round(v / 1000.0, 2) for v in col] for col in s.get("w_mg") or []],
            }
            items.append(item)
        json.dump(items if args.all else items[0], out)
        out.write("\n")
    elif args.all:
        # one row per session
        w = csv.writer(out)
        w.writerow(
            [
                "id",
                "start (UTC, ISO 8601)",
                "start (local, ISO 8601)",
                "duration (s)",
                "volume (%s)" % u,
                "left (%s)" % u,
                "right (%s)" % u,
                "bottle 1 side",
                "letdowns",
                "first letdown (s)",
                "tapers",
                "cues",
                "complete",
                "damaged",
                "volume estimated",
                "note",
            ]
        )
        for r in rows:
            left_ml, right_ml = breasts(r, r["bottle1_side"])
            w.writerow(
                [
                    r["id"],
                    r["start"] or "",
                    local_iso(r["start_unix_s"]),
                    r["duration_s"],
                    vol(r["volume_ml"], args.units),
                    vol(left_ml, args.units),
                    vol(right_ml, args.units),
                    r["bottle1_side"],
                    r["letdowns"],
                    r["first_letdown_s"] if r["first_letdown_s"] is not None else "",
                    r["tapers"],
                    r["cues"],
                    "yes" if r["complete"] else "no",
                    "yes" if r["damaged"] else "no",
                    "yes" if r["volume_estimated"] else "no",
                    r["note"] or "",
                ]
            )
    else:
        r = rows[0]
        s = arc.load(r)
        n_ch = len(s.get("w_mg") or [])
        names = [bottle_name(c, r["bottle1_side"]) for c in range(n_ch)]
        w = csv.writer(out)
        w.writerow(
            ["time (s)", "clock time (local, ISO 8601)"]
            + ["%s weight (g)" % n for n in names]
            + ["%s cumulative (%s)" % (n, u) for n in names]
            + ["%s flow (%s)" % (n, flow_label(args.units)) for n in names]
            + ["events"]
        )
        for rec in _sample_rows(s, r, args.units):
            w.writerow(rec)
    text = out.getvalue()
    if args.output:
        try:
            with open(args.output, "w", newline="", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            print(
                "pumpmon export: cannot write %s: %s" % (args.output, e.strerror or e),
                file=sys.stderr,
            )
            return 1
        print("wrote %s (%d sessions)" % (args.output, len(rows)), file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def trends(rows: list[dict]) -> dict:
    """Per day (local date of the start): sessions, total, left, right, mean time to first
    letdown. Sessions without a wall-clock time are counted apart. Rows may carry
    `bottle1_side` (see annotations.annotate); without it bottle 1 is left."""
    days: OrderedDict[str, dict] = OrderedDict()
    for r in sorted(
        (r for r in rows if r.get("start_unix_s") is not None), key=lambda r: r["start_unix_s"]
    ):
        day = local_dt(r["start_unix_s"]).date().isoformat()
        d = days.setdefault(
            day,
            {
                "date": day,
                "sessions": 0,
                "volume_ml": 0.0,
                "left_ml": 0.0,
                "right_ml": 0.0,
                "_first": [],
            },
        )
        left_ml, right_ml = breasts(r, r.get("bottle1_side") or "left")
        d["sessions"] += 1
        d["volume_ml"] += r["volume_ml"] or 0.0
        d["left_ml"] += left_ml or 0.0
        d["right_ml"] += right_ml or 0.0
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
    t = trends(_rows(arc, args))
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
        print("no sessions with a wall-clock time in that span yet")
    else:
        print(
            "%-10s %8s %10s %10s %10s %14s"
            % ("day", "sessions", "total " + u, "left " + u, "right " + u, "1st letdown")
        )
        for d in t["days"]:
            print(
                "%-10s %8d %10s %10s %10s %14s"
                % (
                    d["date"],
                    d["sessions"],
                    _fmt(vol(d["volume_ml"], args.units)),
                    _fmt(vol(d["left_ml"], args.units)),
                    _fmt(vol(d["right_ml"], args.units)),
                    mmss(d["mean_first_letdown_s"]),
                )
            )
        n = len(t["days"])
        mean = sum(d["volume_ml"] for d in t["days"]) / n
        per_day = sum(d["sessions"] for d in t["days"]) / n
        print(
            "over %d days: %s %s a day on average, %.1f sessions a day"
            % (n, _fmt(vol(mean, args.units)), u, per_day)
        )
    if t["sessions_without_clock"]:
        print(
            "%d sessions have no wall-clock time (the device clock was not set): not in "
            "the daily table; `pumpmon time sync` sets the clock for future sessions"
            % t["sessions_without_clock"]
        )
    return 0


COMMANDS = {
    "sessions": cmd_sessions,
    "show": cmd_show,
    "export": cmd_export,
    "trends": cmd_trends,
    "forget": cmd_forget,
}


def run(args: argparse.Namespace) -> int:
    name = args.command
    try:
        arc = Archive.open(args.archive, create=False)
    except NoArchive as e:
        if name != "sessions":
            raise
        if args.json:  # nothing pulled yet: no sessions
            print("[]")
        else:
            print("no sessions yet: %s" % e)
        return 0
    if arc.rebuilt:
        print("pumpmon: %s" % arc.rebuilt, file=sys.stderr)
    try:
        args.units = units_for(args.units, arc.root)
        return COMMANDS[name](arc, args)
    except ValueError as e:  # a bad --since / --until / --days
        raise PumpmonError(str(e), BAD_REQUEST) from None
    finally:
        arc.close()
