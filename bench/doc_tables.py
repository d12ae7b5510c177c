"""docs/detection.md's figure tables, in Markdown, from one run of every set.

    .venv/bin/python -m bench.sets --out OUT                 # every set at draw 0 (3-10 min)
    .venv/bin/python -m bench.doc_tables OUT                 # the tables, to paste into the doc
    .venv/bin/python -m bench.doc_tables DIR/tree/draw-0     # bench.draws' output at one draw

Reads OUT/<set>.log for the sets of bench.sets (bench.sets and bench.draws keep each set's
stdout there; its last line is the bench's closing JSON) and prints, measured in that one run:
- the headline per set (the fixed set and seeds 100, 200, 300: issue 12's sets), each figure
  in **bold** where it meets its done-when line;
- recall and latency by context, and recall by the disturbance at the onset;
- latency, late finds and the onset's error by the path that found the letdown;
- wrong cues by kind;
- every set's done-when figures in one table (the held-out sets and the variants too).

The doc's figures are then one measurement at one commit, each with the command that gives
it, instead of figures edited in by hand round after round. Exit status: 0; 2 when the folder
holds none of the sets' logs or a log's last line is not a closing JSON (with what to run).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.sets import SETS, STDERR_MARK, closing_json

HEADLINE = ("fixed", "100", "200", "300")
LABELS = {
    "fixed": "fixed",
    "100": "seeds 100",
    "200": "seeds 200",
    "300": "seeds 300",
    "400": "seeds 400",
    "500": "seeds 500",
    "600": "seeds 600",
    "700": "seeds 700",
    "held": "seeds 100, held presses",
    "pulsed": "seeds 200, pulsed flow",
    "ripple2": "seeds 300, ripple x 2",
    "ripple3": "seeds 100, ripple x 3",
    "fast": "seeds 400, rises x 0.25",
    "slow": "seeds 300, rises x 2",
    "gait": "seeds 200, steps 1.5-2.5 Hz",
}
PATHS = ("rise", "floor", "resume", "walk", "slow", "milk")
DISTURBANCES = (
    ("hand_pressure", "a press"),
    ("walk", "a walk"),
    ("tilt", "a tilt"),
    ("press+", "a press and a walk or a tilt"),
    ("before", "the disturbance ended before it"),
    ("after", "the disturbance began after it"),
)
WRONG = (
    ("stimulate", "`stimulate` after 2 g of milk or at >= 0.1 g/s"),
    ("letdown", "`letdown` with no true onset in [t - 30, t + 3] s"),
    ("massage", "`massage` at a true flow >= 0.15 g/s"),
    ("hand_express", "`hand_express` at a true flow >= 0.15 g/s"),
    ("done", "`done` before the maximum time at >= 0.1 g/s"),
    ("missed_letdown", "an onset in stimulation or massage with no `letdown` within 30 s"),
)


class Unusable(Exception):
    """A folder the tables cannot be made from; the message says what to do."""


def read(folder: Path) -> dict[str, dict]:
    """set name -> its closing JSON, for every set whose log is in the folder."""
    if not folder.is_dir():
        raise Unusable(
            "%s is not a folder: give the --out of `python -m bench.sets` (or "
            "`python -m bench.draws`' DIR/tree/draw-D)" % folder
        )
    got = {}
    for name in SETS:
        log = folder / (name + ".log")
        if not log.is_file():
            continue
        stdout = log.read_text(errors="replace").split(STDERR_MARK)[0]
        closing = closing_json(stdout)
        if closing is None:
            raise Unusable(
                "%s does not end with the bench's closing JSON (the set's run failed?): run "
                "`python -m bench.sets --sets %s --out %s` again" % (log, name, folder)
            )
        got[name] = closing
    if not got:
        raise Unusable(
            "%s holds no set's log (fixed.log, 100.log, ...): run `python -m bench.sets --out "
            "%s` first" % (folder, folder)
        )
    return got


def num(v, digits: int = 3) -> str:
    """A figure as the doc prints it: '-' when missing."""
    if v is None:
        return "-"
    if isinstance(v, float):
        return ("%." + str(digits) + "f") % v
    return str(v)


def bold(text: str, held: bool | None) -> str:
    return "**%s**" % text if held else text


def _held(f: dict, key: str) -> bool | None:
    """Whether figure `key` meets its done-when line (None: no line, or no figure)."""
    v = f.get(key)
    if v is None:
        return None
    if key == "me_f1":
        return v >= 0.95
    if key == "me_recall_motion":
        clean = f.get("me_recall_clean")
        return v >= 0.90 and (clean is None or v >= 0.9 * clean)
    if key == "wrong_cues_per_session":
        return v <= 0.05
    if key == "control_false_per_session":
        return v <= 0.1
    if key == "taper_f1":
        return v >= 0.90
    if key == "taper_false_motion":
        return v == 0
    if key == "volume_err_med_ml":
        return v <= 0.5
    if key == "volume_err_max_ml":
        return v <= 2.0
    if key in ("me_latency_med_s", "me_latency_p90_s"):
        floor = f.get(
            "onset_floor_0p5g_med_s" if key == "me_latency_med_s" else "onset_floor_0p5g_p90_s"
        )
        slack = 2.0 if key == "me_latency_med_s" else 3.0
        return None if floor is None else v <= floor + slack
    return None


def fig(f: dict, key: str, digits: int = 3) -> str:
    return bold(num(f.get(key), digits), _held(f, key))


def _row(label: str, cells: list[str]) -> str:
    return "| %s | %s |" % (label, " | ".join(cells))


def _head(first: str, names: list[str]) -> list[str]:
    return [
        "| %s | %s |" % (first, " | ".join(LABELS[n] for n in names)),
        "|---" * (len(names) + 1) + "|",
    ]


def headline(runs: dict[str, dict]) -> list[str]:
    names = [n for n in HEADLINE if n in runs]
    fs = [runs[n] for n in names]

    def each(fn) -> list[str]:
        return [fn(f) for f in fs]

    out = ["### The headline, per set", ""] + _head("figure [target]", names)
    out += [
        _row(
            "sessions: milk + no-milk",
            each(
                lambda f: (
                    "%s + %s" % (f.get("bench_sessions_milk"), f.get("bench_sessions_no_milk"))
                )
            ),
        ),
        _row(
            "true letdowns (under motion + clean)",
            each(
                lambda f: (
                    "%d (%s + %s)"
                    % (
                        (f.get("me_onsets_motion") or 0) + (f.get("me_onsets_clean") or 0),
                        f.get("me_onsets_motion"),
                        f.get("me_onsets_clean"),
                    )
                )
            ),
        ),
        _row(
            "letdown precision / recall",
            each(lambda f: "%s / %s" % (num(f.get("me_precision")), num(f.get("me_recall")))),
        ),
        _row("letdown F1, -3..+20 s [>= 0.95]", each(lambda f: fig(f, "me_f1"))),
        _row(
            "recall under motion [>= 0.90 and >= 0.9 x clean]",
            each(lambda f: fig(f, "me_recall_motion")),
        ),
        _row("recall, clean", each(lambda f: num(f.get("me_recall_clean")))),
        _row("wrong cues per session [<= 0.05]", each(lambda f: fig(f, "wrong_cues_per_session"))),
        _row(
            "false events per no-milk session [<= 0.1]",
            each(lambda f: fig(f, "control_false_per_session", 2)),
        ),
        _row(
            "taper precision / recall",
            each(
                lambda f: "%s / %s" % (num(f.get("taper_precision")), num(f.get("taper_recall")))
            ),
        ),
        _row("taper F1, -5..+45 s [>= 0.90]", each(lambda f: fig(f, "taper_f1"))),
        _row(
            "tapers in true flow, `taper_false_motion` [0]",
            each(lambda f: fig(f, "taper_false_motion")),
        ),
        _row("taper latency median, s", each(lambda f: num(f.get("taper_latency_med_s"), 2))),
        _row(
            "letdown latency median / p90, s [<= 0.5-g floor + 2 / + 3 s]",
            each(
                lambda f: (
                    "%s / %s" % (fig(f, "me_latency_med_s", 2), fig(f, "me_latency_p90_s", 2))
                )
            ),
        ),
        _row(
            "onset floor 0.5 g, median / p90, s (+ 2 / + 3 s)",
            each(lambda f: _floor_lines(f)),
        ),
        _row(
            "onset floor 0.2 g / 0.3 g, median (p90), s",
            each(
                lambda f: (
                    "%s (%s) / %s (%s)"
                    % tuple(
                        num(f.get("onset_floor_%s_%s_s" % (g, q)), 1)
                        for g in ("0p2g", "0p3g")
                        for q in ("med", "p90")
                    )
                )
            ),
        ),
        _row(
            "volume error median / worst, mL [<= 0.5 / <= 2]",
            each(
                lambda f: (
                    "%s / %s" % (fig(f, "volume_err_med_ml", 2), fig(f, "volume_err_max_ml", 2))
                )
            ),
        ),
    ]
    return out


def _floor_lines(f: dict) -> str:
    med, p90 = f.get("onset_floor_0p5g_med_s"), f.get("onset_floor_0p5g_p90_s")
    if med is None or p90 is None:
        return "-"
    return "%.1f / %.1f (%.1f / %.1f)" % (med, p90, med + 2.0, p90 + 3.0)


def by_context(runs: dict[str, dict]) -> list[str]:
    names = [n for n in HEADLINE if n in runs]
    fs = [runs[n] for n in names]

    def rec(f, r, n):
        return "%s (%s)" % (num(f.get(r)), num(f.get(n)))

    out = ["### By context", ""] + _head("figure", names)
    out += [
        _row(
            "recall under motion (onsets)",
            [rec(f, "me_recall_motion", "me_onsets_motion") for f in fs],
        ),
        _row(
            "... ejections bringing >= 2 g in their first 20 s",
            [rec(f, "me_recall_motion_2g", "me_onsets_motion_2g") for f in fs],
        ),
        _row(
            "... ejections bringing under 2 g",
            [rec(f, "me_recall_motion_under_2g", "me_onsets_motion_under_2g") for f in fs],
        ),
        _row("recall, clean (onsets)", [rec(f, "me_recall_clean", "me_onsets_clean") for f in fs]),
        _row(
            "letdown latency median, clean / under motion, s",
            [
                "%s / %s"
                % (
                    num(f.get("me_latency_med_s_clean"), 2),
                    num(f.get("me_latency_med_s_motion"), 2),
                )
                for f in fs
            ],
        ),
    ]
    out += ["", "By the disturbance at the onset (`me_recall_motion_by_disturbance`):", ""]
    out += _head("at the onset", names)
    for key, label in DISTURBANCES:
        cells = []
        for f in fs:
            by = f.get("me_recall_motion_by_disturbance") or {}
            if key == "press+":
                parts = [v for k, v in by.items() if k.startswith("hand_pressure+")]
                n = sum(int(v.get("n") or 0) for v in parts)
                found = sum(float(v.get("recall") or 0) * int(v.get("n") or 0) for v in parts)
                cells.append("%s (%d)" % (num(round(found / n, 3)) if n else "-", n))
            else:
                v = by.get(key) or {}
                cells.append("%s (%s)" % (num(v.get("recall")), v.get("n", 0)))
        out.append(_row(label, cells))
    return out


def by_path(runs: dict[str, dict]) -> list[str]:
    names = [n for n in HEADLINE if n in runs]
    fs = [runs[n] for n in names]
    out = [
        "### By the path that found the letdown",
        "",
        "Letdowns found and matched, their median latency, and in brackets the median beyond each "
        "onset's own 0.5-g time (`me_latency_by_path`):",
        "",
    ]
    out += _head("path", names)
    for p in PATHS:
        cells = []
        for f in fs:
            v = (f.get("me_latency_by_path") or {}).get(p)
            cells.append(
                "-"
                if not v
                else "%s: %s s (%+.2f)"
                % (v.get("n"), num(v.get("med_s"), 2), v.get("beyond_floor_med_s") or 0.0)
            )
        out.append(_row("`%s`" % p, cells))
    out += [
        "",
        "Late finds (an onset missed in the window that a letdown on its bottle, matched to no "
        "onset, followed 20-40 s after: a miss and a false letdown each) and the onset error "
        "(the event's `onset_t_s` less the true onset, median over the matched letdowns; "
        "positive: estimated late):",
        "",
    ]
    out += _head("", names)
    out.append(
        _row(
            "late finds (by path)",
            [
                "%s (%s)"
                % (
                    f.get("me_late_finds", 0),
                    ", ".join(
                        "%s %s" % kv
                        for kv in sorted(
                            (f.get("me_late_finds_by_path") or {}).items(), key=lambda kv: -kv[1]
                        )
                    )
                    or "none",
                )
                for f in fs
            ],
        )
    )
    for p in PATHS:
        cells = []
        for f in fs:
            v = (f.get("me_onset_error_by_path") or {}).get(p)
            cells.append("-" if not v else "%+.1f s (%s)" % (v.get("med_s") or 0.0, v.get("n")))
        out.append(_row("onset error, `%s`" % p, cells))
    return out


def wrong_cues(runs: dict[str, dict]) -> list[str]:
    names = [n for n in HEADLINE if n in runs]
    fs = [runs[n] for n in names]
    out = ["### Wrong cues by kind", ""] + _head("kind", names)
    for key, label in WRONG:
        out.append(_row(label, [num(f.get("wrong_cues_" + key)) for f in fs]))
    cells = []
    for f in fs:
        n = sum(int(f.get("wrong_cues_" + k) or 0) for k, _ in WRONG)
        sessions = (f.get("bench_sessions_milk") or 0) + (f.get("bench_sessions_no_milk") or 0)
        cells.append(
            bold(
                "%d in %d sessions (%s)" % (n, sessions, num(f.get("wrong_cues_per_session"))),
                _held(f, "wrong_cues_per_session"),
            )
        )
    out.append(_row("all", cells))
    return out


def every_set(runs: dict[str, dict]) -> list[str]:
    out = [
        "### Every set",
        "",
        "| set | letdown F1 [>= 0.95] | recall under motion / clean [>= 0.90] | wrong cues / "
        "session [<= 0.05] | false events / no-milk session [<= 0.1] | latency median / p90, s "
        "(0.5-g floor) | taper F1 [>= 0.90] | tapers in true flow [0] | volume error median / "
        "worst, mL |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in SETS:
        f = runs.get(name)
        if f is None:
            continue
        floor = "%s / %s" % (
            num(f.get("onset_floor_0p5g_med_s"), 1),
            num(f.get("onset_floor_0p5g_p90_s"), 1),
        )
        out.append(
            _row(
                LABELS[name],
                [
                    fig(f, "me_f1"),
                    "%s / %s" % (fig(f, "me_recall_motion"), num(f.get("me_recall_clean"))),
                    fig(f, "wrong_cues_per_session"),
                    fig(f, "control_false_per_session", 2),
                    "%s / %s (%s)"
                    % (fig(f, "me_latency_med_s", 2), fig(f, "me_latency_p90_s", 2), floor),
                    fig(f, "taper_f1"),
                    fig(f, "taper_false_motion"),
                    "%s / %s" % (fig(f, "volume_err_med_ml", 2), fig(f, "volume_err_max_ml", 2)),
                ],
            )
        )
    return out


def tables(runs: dict[str, dict]) -> list[str]:
    """Every table, with a blank line between them."""
    out: list[str] = []
    for part in (headline, by_context, by_path, wrong_cues, every_set):
        if out:
            out.append("")
        out += part(runs)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.doc_tables",
        description="docs/detection.md's figure tables from one run of every set.",
    )
    ap.add_argument(
        "folder",
        type=Path,
        help="bench.sets' --out (or bench.draws' DIR/tree/draw-D): one <set>.log per set",
    )
    args = ap.parse_args(argv)
    try:
        runs = read(args.folder)
    except Unusable as e:
        print("bench.doc_tables: %s" % e, file=sys.stderr)
        return 2
    missing = [n for n in SETS if n not in runs]
    if missing:
        print(
            "bench.doc_tables: no log for %s in %s: those rows are left out"
            % (", ".join(missing), args.folder),
            file=sys.stderr,
        )
    print("\n".join(tables(runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
