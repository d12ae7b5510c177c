"""`pumpmon plot ID -o FILE.png`: one session on one time axis (matplotlib, Agg backend).

Top: the weight of each bottle (g), despiked: a 1.5 s running median takes out the
single-sample spikes a load cell shows (a knock reads 100 g for one sample). Middle: the milk
in each bottle so far (mL or oz), from the weights (see cumulative_ml). Bottom: the flow
(mL/min or oz/min), the slope of the despiked weight over a 10 s window (a raw slope turns a
50 g spike into a "flow" of several hundred mL/min and buries the real 5-50 mL/min). Across
all three: letdowns (solid green lines), tapers (dashed orange lines), and cues (purple
triangles along the top, named). Bottles are named by breast (`bottle1_side`).

Limits: the flow and the running volume drawn here are computed from the logged weights for
the picture, not the firmware's robust estimate (which the letdown and taper marks and the
session's volume come from), so the curve's end may differ from the session's volume by a
few mL.
"""

from __future__ import annotations

import argparse
import bisect

from .annotations import annotate
from .archive import MG_PER_ML, Archive
from .cmd_archive import timeline
from .errors import BAD_REQUEST, PumpmonError
from .readout import (
    add_units_argument,
    bottle_name,
    breasts,
    flow,
    flow_label,
    local_time,
    mmss,
    unit_label,
    units_for,
    vol,
)

LETDOWN_COLOR = "#1a9850"
TAPER_COLOR = "#f46d43"
CUE_COLOR = "#7b3294"
BOTTLE_COLORS = ("#2c7bb6", "#d7191c")
FLOW_WINDOW_S = 10.0
DESPIKE_WINDOW_S = 1.5
SETTLE_WINDOW_S = 5.0  # median for the running volume: longer than a hand pressing the cell


def add_arguments(p: argparse.ArgumentParser, name: str) -> None:
    p.add_argument("id", metavar="ID", help="session id (see `pumpmon sessions`)")
    p.add_argument("-o", "--output", metavar="FILE.png", required=True, help="PNG to write")
    p.add_argument(
        "--archive", metavar="DIR", help="archive folder (default: $XDG_DATA_HOME/pumpmon)"
    )
    add_units_argument(p)


def running_median(
    t_s: list[float], w_g: list[float], window_s: float = DESPIKE_WINDOW_S
) -> list[float]:
    """Median of the weights in a centred window (sorted window kept with bisect)."""
    n = len(t_s)
    out = [0.0] * n
    window: list[float] = []
    lo = hi = 0
    half = window_s / 2
    for i in range(n):
        while hi < n and t_s[hi] <= t_s[i] + half:
            bisect.insort(window, w_g[hi])
            hi += 1
        while t_s[lo] < t_s[i] - half:
            del window[bisect.bisect_left(window, w_g[lo])]
            lo += 1
        out[i] = window[len(window) // 2]
    return out


def flow_g_s(t_s: list[float], w_g: list[float], window_s: float = FLOW_WINDOW_S) -> list[float]:
    """Least-squares slope of the despiked weight over a centred window, clamped at 0 (g/s)."""
    w_g = running_median(t_s, w_g)
    n = len(t_s)
    out = [0.0] * n
    lo = 0
    hi = 0
    half = window_s / 2
    # running sums over the window [lo, hi)
    st = sw = stt = stw = 0.0
    for i in range(n):
        while hi < n and t_s[hi] <= t_s[i] + half:
            t, w = t_s[hi], w_g[hi]
            st += t
            sw += w
            stt += t * t
            stw += t * w
            hi += 1
        while t_s[lo] < t_s[i] - half:
            t, w = t_s[lo], w_g[lo]
            st -= t
            sw -= w
            stt -= t * t
            stw -= t * w
            lo += 1
        m = hi - lo
        den = m * stt - st * st
        if m >= 3 and den > 1e-9:
            out[i] = max(0.0, (m * stw - st * sw) / den)
    return out


def cumulative_ml(t_s: list[float], w_g: list[float]) -> list[float]:
    """Milk in the bottle so far (mL) from its weights: the weight over a 5 s running median
    (spikes and short presses gone), then at each time the least weight still to come (milk
    never leaves the bottle, so a later lower reading caps an earlier bump), less the first
    such value. Never decreasing, starts at 0."""
    if not t_s:
        return []
    settled = running_median(t_s, w_g, SETTLE_WINDOW_S)
    floor = settled[:]
    for i in range(len(floor) - 2, -1, -1):
        floor[i] = min(floor[i], floor[i + 1])
    base = floor[0]
    return [max(0.0, (v - base) * 1000.0 / MG_PER_ML) for v in floor]


def series(session: dict) -> dict:
    """What the plot draws, per bottle: t_min, despiked weight (g), cumulative mL, flow g/s."""
    t_ms = session.get("t_ms") or []
    t_s = [t / 1000.0 for t in t_ms]
    out = {"t_min": [t / 60.0 for t in t_s], "weight_g": [], "cumulative_ml": [], "flow_g_s": []}
    for col in session.get("w_mg") or []:
        w_g = [v / 1000.0 for v in col]
        out["weight_g"].append(running_median(t_s, w_g) if t_s else [])
        out["cumulative_ml"].append(cumulative_ml(t_s, w_g))
        out["flow_g_s"].append(flow_g_s(t_s, w_g) if t_s else [])
    return out


def render(row: dict, session: dict, path: str, units: str = "ml") -> dict:
    """Draw the session into the PNG at `path`. Returns how many of each mark were drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    side = row.get("bottle1_side") or "left"
    data = series(session)
    t_min = data["t_min"]
    fig, (ax_w, ax_v, ax_f) = plt.subplots(
        3, 1, sharex=True, figsize=(11, 8.5), gridspec_kw={"height_ratios": [3, 2, 2]}
    )
    for ch, w_g in enumerate(data["weight_g"]):
        label = bottle_name(ch, side)
        colour = BOTTLE_COLORS[ch % 2]
        ax_w.plot(t_min, w_g, lw=0.8, color=colour, label=label)
        ax_v.plot(
            t_min,
            [vol(v, units) for v in data["cumulative_ml"][ch]],
            lw=1.2,
            color=colour,
            label=label,
        )
        ax_f.plot(
            t_min,
            [flow(v, units) for v in data["flow_g_s"][ch]],
            lw=0.9,
            color=colour,
            label=label,
        )
    ax_w.set_ylabel("weight (g, despiked)")
    ax_v.set_ylabel("milk so far (%s)" % unit_label(units))
    ax_f.set_ylabel("flow (%s)" % flow_label(units))
    ax_f.set_xlabel("time since start (min)")
    marks = {"letdown": 0, "taper": 0, "cue": 0}
    seen_label = set()
    for item in timeline(session):
        x = item["t_s"] / 60.0
        kind = item["event"]
        if kind in ("letdown", "taper"):
            style = (
                dict(color=LETDOWN_COLOR, ls="-", lw=1.3)
                if kind == "letdown"
                else dict(color=TAPER_COLOR, ls="--", lw=1.3)
            )
            for ax in (ax_w, ax_v, ax_f):
                ax.axvline(x, **style, label=kind if (kind, ax) not in seen_label else None)
                seen_label.add((kind, ax))
            marks[kind] += 1
        elif kind == "cue":
            # x in data, y in axes units: every cue sits on the top edge of the weight plot
            edge = ax_w.get_xaxis_transform()
            ax_w.plot(
                [x],
                [1.0],
                marker="v",
                ms=9,
                color=CUE_COLOR,
                clip_on=False,
                transform=edge,
                ls="none",
                label="cue" if "cue" not in seen_label else None,
            )
            seen_label.add("cue")
            ax_w.annotate(
                item["cue"].replace("_", " "),
                (x, 1.0),
                xycoords=edge,
                xytext=(0, 8),
                textcoords="offset points",
                rotation=60,
                fontsize=7,
                color=CUE_COLOR,
                ha="left",
                va="bottom",
                annotation_clip=False,
            )
            marks["cue"] += 1
    u = unit_label(units)
    left_ml, right_ml = breasts(row, side)
    fig.suptitle(
        "session %s, %s: %s %s (left %s, right %s), %d letdowns, length %s"
        % (
            row["id"],
            local_time(row),
            vol(row["volume_ml"], units),
            u,
            vol(left_ml, units),
            vol(right_ml, units),
            row["letdowns"] or 0,
            mmss(row["duration_s"]),
        ),
        fontsize=10,
    )
    ax_w.legend(loc="lower right", fontsize=8)
    ax_v.legend(loc="upper left", fontsize=8)
    ax_f.legend(loc="upper right", fontsize=8)
    for ax in (ax_w, ax_v, ax_f):
        ax.grid(alpha=0.3)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return marks


def run(args: argparse.Namespace) -> int:
    with Archive.open(args.archive, create=False) as arc:
        row = annotate(arc.root, [arc.find(args.id)])[0]
        session = arc.load(row)
        units = units_for(args.units, arc.root)
    if not session.get("t_ms"):
        # nothing to draw (a damaged header leaves the samples unreadable): say what was read
        raise PumpmonError(
            "session %s has no readable samples (%s), so there is nothing to plot; what could "
            "be read: %d events%s (`pumpmon show %s`)"
            % (
                row["id"],
                "its file is damaged" if row["damaged"] else "none were logged",
                len(session.get("events") or []),
                ", the summary: %s mL" % row["volume_ml"] if session.get("summary") else "",
                row["id"],
            )
        )
    if not args.output.lower().endswith(".png"):
        raise PumpmonError("the output must be a .png file, not %s" % args.output, BAD_REQUEST)
    try:
        marks = render(row, session, args.output, units)
    except OSError as e:
        raise PumpmonError("cannot write %s: %s" % (args.output, e.strerror or e)) from None
    print(
        "wrote %s (%d letdowns, %d tapers, %d cues marked)"
        % (args.output, marks["letdown"], marks["taper"], marks["cue"])
    )
    return 0
