"""`pumpmon report [--archive DIR] [--days N | --since DATE] [--until DATE] -o FILE.html`: one
self-contained HTML page of the sessions for a parent to share (a lactation consultant asks
for a few days of pumping records).

The page: the period and totals; a plot of the daily totals per breast; a plot of a typical
session (the one with the median volume: milk so far per bottle and the flow, letdowns
marked); per day the sessions and the total, left and right; per session the start in local
time with its UTC offset, the length, the volumes, the letdowns and the first letdown's time,
what each massage and hand-expression step brought (the device measures the milk in the
window after each such cue, EV_CUE_RESULT), and the parent's note.

Self-contained: the plots are SVG (text drawn as paths) inlined as data: URIs, the style is
in the page, there is no script, link or font to fetch, so it opens offline, attaches to an
e-mail whole, and prints cleanly to PDF (print CSS: no page break inside a table row or plot).
The wording states amounts and times; it never grades them.

Exit status: 0; 1 the archive cannot be read or the file cannot be written; 2 bad usage.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import io
import statistics

from .annotations import AnnotationsError, annotate
from .archive import Archive, ArchiveError
from .cmd_archive import step_results, timeline, trends
from .errors import BAD_REQUEST, PumpmonError
from .plot import BOTTLE_COLORS, LETDOWN_COLOR, series
from .readout import (
    add_units_argument,
    bottle_name,
    breasts,
    clock,
    count,
    flow,
    flow_label,
    fmt,
    local_dt,
    local_time,
    mmss,
    offset_text,
    select,
    unit_label,
    units_for,
    vol,
)

CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222; margin: 2em auto;
       max-width: 60em; padding: 0 1em; line-height: 1.35; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.0em; margin: 1.2em 0 0.3em; }
p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.5em; text-align: right;
         vertical-align: top; }
th { background: #f2f2f2; }
td.text, th.text { text-align: left; }
figure { margin: 1em 0; }
figure img { width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #555; }
.note { font-style: italic; }
footer { margin-top: 2em; font-size: 0.8em; color: #555; }
@page { size: A4; margin: 14mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr, figure, .day { break-inside: avoid; page-break-inside: avoid; }
  th { background: #eee; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def add_arguments(p: argparse.ArgumentParser, name: str) -> None:
    p.add_argument(
        "--archive", metavar="DIR", help="archive folder (default: $XDG_DATA_HOME/pumpmon)"
    )
    span = p.add_mutually_exclusive_group()
    span.add_argument(
        "--days",
        metavar="N",
        type=int,
        help="the last N days, today included (default: every session)",
    )
    span.add_argument(
        "--since", metavar="DATE", help="sessions that started on or after DATE (YYYY-MM-DD)"
    )
    p.add_argument(
        "--until",
        metavar="DATE",
        help="sessions that started on or before DATE (a day counts whole)",
    )
    p.add_argument(
        "-o", "--output", metavar="FILE.html", required=True, help="the HTML file to write"
    )
    add_units_argument(p)


# -- plots -------------------------------------------------------------------------------
def _svg_uri(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue().encode()).decode()


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "path"  # text as outlines: no font to fetch
    return plt


def daily_plot(days: list[dict], units: str) -> str:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.2))
    x = list(range(len(days)))
    left = [vol(d["left_ml"], units) or 0 for d in days]
    right = [vol(d["right_ml"], units) or 0 for d in days]
    ax.bar([i - 0.2 for i in x], left, width=0.4, color=BOTTLE_COLORS[0], label="left")
    ax.bar([i + 0.2 for i in x], right, width=0.4, color=BOTTLE_COLORS[1], label="right")
    ax.set_xticks(
        x, [d["date"][5:] for d in days], rotation=45 if len(days) > 10 else 0, fontsize=8
    )
    pad = max(0.0, (5 - len(days)) / 2)  # a day or two: bars of a sensible width, centred
    ax.set_xlim(-0.7 - pad, len(days) - 0.3 + pad)
    ax.set_ylabel("per day (%s)" % unit_label(units))
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    uri = _svg_uri(fig)
    plt.close(fig)
    return uri


def session_plot(row: dict, session: dict, units: str) -> str:
    plt = _pyplot()
    data = series(session)
    side = row.get("bottle1_side") or "left"
    fig, (ax_v, ax_f) = plt.subplots(
        2, 1, sharex=True, figsize=(9, 4.6), gridspec_kw={"height_ratios": [3, 2]}
    )
    for ch, cum in enumerate(data["cumulative_ml"]):
        colour = BOTTLE_COLORS[ch % 2]
        ax_v.plot(
            data["t_min"],
            [vol(v, units) for v in cum],
            color=colour,
            lw=1.4,
            label=bottle_name(ch, side),
        )
        ax_f.plot(
            data["t_min"], [flow(v, units) for v in data["flow_g_s"][ch]], color=colour, lw=0.9
        )
    first = True
    for item in timeline(session):
        if item["event"] == "letdown":
            for ax in (ax_v, ax_f):
                ax.axvline(
                    item["t_s"] / 60.0,
                    color=LETDOWN_COLOR,
                    lw=1.0,
                    label="letdown" if first and ax is ax_v else None,
                )
            first = False
    ax_v.set_ylabel("milk so far (%s)" % unit_label(units))
    ax_f.set_ylabel("flow (%s)" % flow_label(units))
    ax_f.set_xlabel("minutes since the start")
    ax_v.legend(fontsize=8, loc="upper left")
    for ax in (ax_v, ax_f):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    uri = _svg_uri(fig)
    plt.close(fig)
    return uri


# -- the page ----------------------------------------------------------------------------
def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _steps(session: dict | None, units: str) -> str:
    items = step_results(session or {})
    return (
        "; ".join(
            "%s at %s: %s %s"
            % (
                i["cue"].replace("_", " "),
                mmss(i["cue_t_s"]),
                fmt(vol(i["volume_ml"], units)),
                unit_label(units),
            )
            for i in items
        )
        or "-"
    )


def _first_letdown(row: dict) -> str:
    if row["first_letdown_s"] is None:
        return "none detected"
    text = "%s in" % mmss(row["first_letdown_s"])
    if row.get("start_unix_s") is not None:
        text += " (%s)" % clock(row["start_unix_s"] + row["first_letdown_s"]).rsplit(" ", 1)[0]
    return text


def render(
    rows: list[dict],
    sessions: dict[str, dict | None],
    units: str,
    period: str,
    problems: dict[str, str] | None = None,
) -> str:
    """The HTML page. rows: annotated index rows (with a clock time), oldest first;
    sessions: id -> decoded session (None when its file could not be read)."""
    problems = problems or {}
    u = unit_label(units)
    now = dt.datetime.now().astimezone()
    t = trends(rows)
    days = t["days"]
    total_ml = sum(r["volume_ml"] or 0 for r in rows)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Pumping record, %s</title>" % _e(period),
        "<style>%s</style>" % CSS,
        "</head><body>",
        "<h1>Pumping record</h1>",
        '<p class="meta">%s &middot; made %s %s by pumpmon &middot; times are local '
        "(UTC %s) &middot; volumes in %s, flow in %s</p>"
        % (
            _e(period),
            now.strftime("%Y-%m-%d %H:%M"),
            offset_text(now),
            offset_text(now),
            u,
            flow_label(units),
        ),
    ]
    if not rows:
        out.append("<p>No sessions in this period.</p>")
    else:
        out.append(
            "<p>%s over %s: %s %s in all, %s %s a day on average, "
            "%.1f sessions a day.</p>"
            % (
                count(len(rows), "session"),
                count(len(days), "day"),
                fmt(vol(total_ml, units)),
                u,
                fmt(vol(total_ml / len(days), units)),
                u,
                len(rows) / len(days),
            )
        )
        out.append(
            '<figure><img alt="daily totals, left and right" src="%s">'
            "<figcaption>Milk per day, left and right breast.</figcaption></figure>"
            % daily_plot(days, units)
        )
        typical = _typical(rows, sessions)
        if typical is not None:
            median_row, median_session = typical
            out.append(
                '<figure><img alt="a typical session" src="%s"><figcaption>A typical '
                "session (the median volume): %s, %s %s in %s. Top: milk in each "
                "bottle so far; bottom: the flow; green lines: letdowns.</figcaption>"
                "</figure>"
                % (
                    session_plot(median_row, median_session, units),
                    _e(local_time(median_row)),
                    fmt(vol(median_row["volume_ml"], units)),
                    u,
                    mmss(median_row["duration_s"]),
                )
            )
        out.append(
            "<h2>Per day</h2><table><tr><th class=text>day</th><th>sessions</th>"
            "<th>total (%s)</th><th>left (%s)</th><th>right (%s)</th>"
            "<th>first letdown, mean</th></tr>" % (u, u, u)
        )
        for d in days:
            out.append(
                "<tr><td class=text>%s</td><td>%d</td><td>%s</td><td>%s</td>"
                "<td>%s</td><td>%s</td></tr>"
                % (
                    d["date"],
                    d["sessions"],
                    fmt(vol(d["volume_ml"], units)),
                    fmt(vol(d["left_ml"], units)),
                    fmt(vol(d["right_ml"], units)),
                    mmss(d["mean_first_letdown_s"]),
                )
            )
        out.append("</table>")
        out.append("<h2>Sessions</h2>")
        by_day: dict[str, list[dict]] = {}
        for r in rows:
            by_day.setdefault(local_dt(r["start_unix_s"]).date().isoformat(), []).append(r)
        for day, day_rows in by_day.items():
            out.append(
                '<div class="day"><h3>%s</h3><table><tr><th class=text>start</th>'
                "<th>length</th><th>total (%s)</th><th>left (%s)</th><th>right (%s)</th>"
                "<th>letdowns</th><th>first letdown</th><th class=text>what massage and "
                "hand expression brought</th></tr>" % (_e(day), u, u, u)
            )
            for r in day_rows:
                left_ml, right_ml = breasts(r, r.get("bottle1_side") or "left")
                flags = []
                if not r["complete"]:
                    flags.append("cut short: volume from the weights")
                if r["damaged"]:
                    flags.append("part of the file is damaged")
                if r["id"] in problems:
                    flags.append(problems[r["id"]])
                extra = "".join(
                    '<br><span class="note">%s</span>' % _e(x)
                    for x in ([r["note"]] if r.get("note") else []) + flags
                )
                out.append(
                    "<tr><td class=text>%s%s</td><td>%s</td><td>%s</td><td>%s</td>"
                    "<td>%s</td><td>%d</td><td>%s</td><td class=text>%s</td></tr>"
                    % (
                        _e(local_time(r)),
                        extra,
                        mmss(r["duration_s"]),
                        fmt(vol(r["volume_ml"], units)),
                        fmt(vol(left_ml, units)),
                        fmt(vol(right_ml, units)),
                        r["letdowns"] or 0,
                        _first_letdown(r),
                        _e(_steps(sessions.get(r["id"]), units)),
                    )
                )
            out.append("</table></div>")
    out.append(
        "<footer>Volumes come from the weight of each bottle (1 mL of milk weighs "
        "1.03 g). Letdowns are found from the flow; the first letdown's time is "
        "counted from the start of the session. Amounts vary a lot between people, "
        "breasts and sessions; trends over days say more than any one session. The "
        "device gives cues, not medical advice.</footer>"
    )
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _typical(rows: list[dict], sessions: dict[str, dict | None]) -> tuple[dict, dict] | None:
    """(row, session) of the complete session with samples of the median volume, or None."""
    usable = [
        (r, s)
        for r in rows
        if r["complete"] and (s := sessions.get(r["id"])) and (s.get("t_ms") or [])
    ]
    if not usable:
        return None
    median = statistics.median_low([r["volume_ml"] or 0 for r, _ in usable])
    return next((r, s) for r, s in usable if (r["volume_ml"] or 0) == median)


def _period(args: argparse.Namespace, rows: list[dict]) -> str:
    if args.days:
        return "the last %d days" % args.days
    if rows:
        first = local_dt(rows[0]["start_unix_s"]).date().isoformat()
        last = local_dt(rows[-1]["start_unix_s"]).date().isoformat()
        return first if first == last else "%s to %s" % (first, last)
    return "no sessions"


def run(args: argparse.Namespace) -> int:
    if not args.output.lower().endswith((".html", ".htm")):
        raise PumpmonError("the output must be an .html file, not %s" % args.output, BAD_REQUEST)
    try:
        with Archive.open(args.archive, create=False) as arc:
            units = units_for(args.units, arc.root)
            try:
                picked = select(arc.list(), args.since, args.until, args.days)
            except ValueError as e:
                raise PumpmonError(str(e), BAD_REQUEST) from None
            if not (args.since or args.until or args.days):
                picked = [r for r in picked if r["start_unix_s"] is not None]
            rows = annotate(arc.root, picked)
            sessions: dict[str, dict | None] = {}
            problems: dict[str, str] = {}
            for r in rows:
                try:
                    sessions[r["id"]] = arc.load(r)
                except ArchiveError as e:
                    sessions[r["id"]] = None
                    problems[r["id"]] = "its file could not be read: %s" % e
        page = render(rows, sessions, units, _period(args, rows), problems)
    except (ArchiveError, AnnotationsError) as e:  # any of them: the report cannot be made
        raise PumpmonError(str(e)) from None
    try:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(page)
    except OSError as e:
        raise PumpmonError("cannot write %s: %s" % (args.output, e.strerror or e)) from None
    print(
        "wrote %s (%s, %.0f KB, self-contained: open it in a browser, print it to "
        "PDF or attach it)" % (args.output, count(len(rows), "session"), len(page) / 1024)
    )
    return 0
