"""What a person reads: volumes, flows, clock times, date filters and breast sides.

    units = readout.units_for(args.units, arc.root)   # --units, else the device's, else mL
    readout.vol(12.34, "oz"), readout.unit_label("oz")          # 0.42, "oz"
    readout.flow(0.5, "ml"), readout.flow_label("ml")            # 29.1, "mL/min"
    readout.local_time(row)                  # "2025-05-08 15:20 +02:00" (or "clock not set")
    readout.local_iso(unix_s)                # "2025-05-08T15:20:00+02:00" for exports
    rows = readout.select(rows, since, until, days)              # the date filters
    left_ml, right_ml = readout.breasts(row, "right")            # bottle 1 worn on the right

Volumes are kept in mL (milk: 1.03 g/mL) and shown in mL or US fluid ounces; flows are shown
per minute, in mL/min (or oz/min), never in g/s. Times are shown in the computer's local time
zone with its UTC offset, so a printout read elsewhere (or across a daylight-saving change)
is unambiguous. The date filters take a day (YYYY-MM-DD, local midnight) or an ISO 8601 time.
"""

from __future__ import annotations

import datetime as dt

from .archive import MG_PER_ML, ML_PER_OZ

SIDES = ("left", "right")


# -- volumes and flows -------------------------------------------------------------------
def vol(ml: float | None, units: str) -> float | None:
    if ml is None:
        return None
    return round(ml / ML_PER_OZ, 2) if units == "oz" else round(ml, 1)


def unit_label(units: str) -> str:
    return "oz" if units == "oz" else "mL"


def flow(g_s: float | None, units: str) -> float | None:
    """A flow in g/s (what the firmware measures) as mL/min or oz/min."""
    if g_s is None:
        return None
    ml_min = g_s * 60.0 * 1000.0 / MG_PER_ML
    return round(ml_min / ML_PER_OZ, 3) if units == "oz" else round(ml_min, 1)


def flow_label(units: str) -> str:
    return unit_label(units) + "/min"


def count(n: int, word: str) -> str:
    """ "1 session", "3 sessions"."""
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


def fmt(v: float | None) -> str:
    return "-" if v is None else ("%g" % v)


# -- times -------------------------------------------------------------------------------
def local_dt(unix_s: float) -> dt.datetime:
    """The computer's local time zone, aware (it carries its UTC offset)."""
    return dt.datetime.fromtimestamp(unix_s, dt.UTC).astimezone()


def offset_text(when: dt.datetime) -> str:
    off = when.utcoffset() or dt.timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return "%s%02d:%02d" % (sign, abs(minutes) // 60, abs(minutes) % 60)


def header_damaged(row: dict) -> bool:
    """The session's header could not be read (so neither its start nor its number)."""
    return bool(row.get("damaged")) and row.get("session_id") is None


def local_time(row: dict) -> str:
    """The session's start for people: local time with the UTC offset."""
    if header_damaged(row):
        return "damaged: unknown"
    if row.get("start_unix_s") is None:
        return "clock not set"
    when = local_dt(row["start_unix_s"])
    return "%s %s" % (when.strftime("%Y-%m-%d %H:%M"), offset_text(when))


def clock(unix_s: float) -> str:
    """A time of day with its offset: "15:21:30 +02:00"."""
    when = local_dt(unix_s)
    return "%s %s" % (when.strftime("%H:%M:%S"), offset_text(when))


def local_iso(unix_s: float | None, timespec: str = "seconds") -> str:
    """ISO 8601 in local time with the offset, for exports; "" when there is no clock."""
    if unix_s is None:
        return ""
    return local_dt(unix_s).isoformat(timespec=timespec)


def mmss(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    return "%d:%02d" % (s // 60, s % 60)


def parse_when(text: str, end_of_day: bool = False) -> float:
    """Unix time of a --since / --until value. A bare day is local midnight (for --until,
    the end of that day). ValueError says what is accepted."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            when = dt.datetime.combine(day, dt.time()).astimezone()
            if end_of_day:
                when += dt.timedelta(days=1)
            return when.timestamp()
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            "%r is not a date: use YYYY-MM-DD (a day, local time) or an ISO 8601 "
            "time such as 2025-05-08T14:30" % text
        ) from None
    if when.tzinfo is None:
        when = when.astimezone()
    return when.timestamp()


def select(
    rows: list[dict],
    since: str | None = None,
    until: str | None = None,
    days: int | None = None,
    now_s: float | None = None,
) -> list[dict]:
    """The sessions that started in [since, until) (and within the last `days` days, counted
    from local midnight `days - 1` days ago). With any filter, sessions without a clock time
    are left out, since their day is unknown. ValueError for a bad date or day count."""
    if since is None and until is None and days is None:
        return rows
    lo = parse_when(since) if since else None
    hi = parse_when(until, end_of_day=True) if until else None
    if days is not None:
        if days < 1:
            raise ValueError("--days must be 1 or more, not %d" % days)
        now = local_dt(now_s if now_s is not None else dt.datetime.now().timestamp())
        first = dt.datetime.combine(now.date() - dt.timedelta(days=days - 1), dt.time())
        start = first.astimezone().timestamp()
        lo = start if lo is None else max(lo, start)
    if lo is not None and hi is not None and hi <= lo:
        raise ValueError("--until is not after --since: nothing can match")
    return [
        r
        for r in rows
        if r.get("start_unix_s") is not None
        and (lo is None or r["start_unix_s"] >= lo)
        and (hi is None or r["start_unix_s"] < hi)
    ]


def add_filter_arguments(p, days: bool = True) -> None:
    """--since, --until (and --days) for a command that lists sessions."""
    p.add_argument(
        "--since",
        metavar="DATE",
        help="only sessions that started on or after DATE (YYYY-MM-DD or ISO 8601)",
    )
    p.add_argument(
        "--until",
        metavar="DATE",
        help="only sessions that started on or before DATE (a day counts whole)",
    )
    if days:
        p.add_argument(
            "--days", metavar="N", type=int, help="only the last N days (today counts as one)"
        )


def add_units_argument(p) -> None:
    p.add_argument(
        "--units",
        choices=("ml", "oz"),
        default=None,
        help="volume unit (default: the device's `units` setting, else mL)",
    )


# -- breasts -----------------------------------------------------------------------------
def breasts(row: dict, bottle1_side: str = "left") -> tuple[float | None, float | None]:
    """(left mL, right mL) of a session whose bottle 1 was worn on `bottle1_side`. The index
    keeps bottle 1 in volume_left_ml and bottle 2 in volume_right_ml."""
    b1, b2 = row.get("volume_left_ml"), row.get("volume_right_ml")
    return (b2, b1) if bottle1_side == "right" else (b1, b2)


def bottle_name(ch: int, bottle1_side: str = "left") -> str:
    """People's name of channel `ch` (0-based): "bottle 1 (left)"."""
    side = bottle1_side if ch == 0 else SIDES[1 - SIDES.index(bottle1_side)]
    return "bottle %d (%s)" % (ch + 1, side)


def units_for(flag: str | None, archive_root=None) -> str:
    """--units when given, else the unit the device was last seen set to, else mL."""
    if flag:
        return flag
    if archive_root is not None:
        from .annotations import Annotations

        value = Annotations.peek_setting(archive_root, "units")
        if value in ("ml", "oz"):
            return value
    return "ml"
