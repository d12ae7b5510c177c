"""Issue 12's four sets at several noise draws: how much of a figure is the noise's luck, and
whether a change moves more than that.

    .venv/bin/python -m bench.draws                          # fixed, 100, 200, 300 at draws 0-3
    .venv/bin/python -m bench.draws --draws 0,7,8,9 --tree /tmp/trial --against .
                                        # a changed checkout beside main, on the same draws

Round 49 found that the sets every change had been weighed on read high: with the same
sessions' sensor noise drawn afresh (`bench --draw K`), letdown F1 fell by about 0.01-0.03 and
lines that held (wrong cues, no-milk false events) failed. A change worth a few onsets on draw
0 may be the noise's luck. This runs `bench --only detection --only coach_checks` (through
bench.sets' runner) on each set at each draw, and prints:
- each figure by set: draw 0's value, then the mean and the range of the other draws (or of
  all of them when draw 0 is not among them);
- by set, each done-when line missed and on how many of the draws (a line missed on some
  draws only holds by luck);
- the counts over the sets at each draw: onsets missed, false letdowns, wrong cues, tapers
  in true flow;
- with --against, the same counts for the other checkout at the same draws, their paired
  difference (this one minus the other), on how many draws this one is better and worse,
  and the other's own spread from draw to draw: a difference within it is not a finding.

Weigh a change at draws no earlier round chose on (`docs/detection-history.md` names them),
so that it is not tuned to them in turn.

The outputs go under OUT/<label>/draw-K/ (label `tree`, and `against`); the scenarios are
generated once per draw and set, and the --against run takes a copy. Everything goes to
OUT/draws.json, and the run ends with one JSON line of it, without each set's figures. Exit
status: 0; 1 when a run failed (the others still run and are printed); 2 for bad arguments,
before anything runs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

from bench import sets
from bench.context import REPO, draw_arg

DEFAULT_SETS = ["fixed", "100", "200", "300"]  # the sets issue 12's done-when lines name
DEFAULT_DRAWS = [0, 1, 2, 3]
DEFAULT_OUT = REPO / "bench" / "out" / "draws"
MAX_DRAWS = 12  # each draw is about 3 minutes a checkout here

# (key in a set's figures, its label, digits)
FIGURES = (
    ("me_f1", "letdown F1", 3),
    ("me_recall_motion", "recall under motion", 3),
    ("wrong_cues_per_session", "wrong cues / session", 3),
    ("control_false_per_session", "no-milk false / session", 2),
    ("taper_f1", "taper F1", 3),
    ("taper_false_motion", "tapers in true flow", 1),  # a count; its mean to 0.1
    ("me_latency_med_s", "latency median, s", 2),
    ("me_latency_p90_s", "latency p90, s", 2),
    ("volume_err_max_ml", "volume worst, mL", 2),
)
# the counts over the sets, per draw (bench.sets' totals), and their labels
COUNTS = (
    ("onsets_missed", "onsets missed"),
    ("letdowns_false", "false letdowns"),
    ("wrong_cues", "wrong cues"),
    ("taper_false_motion", "tapers in flow"),
)


def draws_arg(text: str) -> list[int]:
    """--draws: comma-separated draws and ranges, e.g. `0,4-6`; at least two, each once."""
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        lo, sep, hi = part.partition("-")
        try:
            ks = list(range(draw_arg(lo), draw_arg(hi) + 1)) if sep else [draw_arg(part)]
        except argparse.ArgumentTypeError:
            ks = []
        if not ks:
            raise argparse.ArgumentTypeError(
                "%r: give draws 0, 1, 2, ... comma-separated or as ranges (e.g. 0-3 or 0,7,8,9)"
                % text
            )
        out += ks
    if len(set(out)) != len(out) or len(out) < 2:
        raise argparse.ArgumentTypeError(
            "%r: give at least two different draws (e.g. 0-3): one draw is `bench.sets --draw K`"
            % text
        )
    if len(out) > MAX_DRAWS:
        raise argparse.ArgumentTypeError(
            "%r: %d draws is more than %d (about 3 minutes each a checkout): give fewer"
            % (text, len(out), MAX_DRAWS)
        )
    return out


def cell(values: dict[int, float | None], digits: int) -> str:
    """One figure of one set over the draws: `d0 | mean (min-max)` of the others, or
    `mean (min-max)` of all when draw 0 was not run. A draw that gave no value is left out."""
    rest = [v for k, v in values.items() if k != 0 and v is not None]
    spread = ""
    if rest:
        spread = "%s (%s-%s)" % (
            sets.fmt(statistics.fmean(rest), digits),
            sets.fmt(min(rest), digits),
            sets.fmt(max(rest), digits),
        )
    if 0 in values:
        return "%s | %s" % (sets.fmt(values[0], digits), spread or "-")
    return spread or "-"


def figure_rows(run: dict[int, dict[str, dict]], set_names: list[str]) -> list[str]:
    """The table of FIGURES by set, for one checkout's runs ({draw: {set: figures}})."""
    rows = ["%-24s" % "figure" + "".join("  %-27s" % n for n in set_names)]
    for key, label, digits in FIGURES:
        cells = []
        for name in set_names:
            values = {k: by_set[name].get(key) for k, by_set in run.items() if name in by_set}
            cells.append(cell(values, digits))
        rows.append("%-24s" % label + "".join("  %-27s" % c for c in cells))
    return rows


def lines_by_set(run: dict[int, dict[str, dict]], set_names: list[str]) -> list[str]:
    """Per set, each done-when line missed and on how many of the draws that ran it."""
    rows = []
    for name in set_names:
        ran = [by_set[name] for by_set in run.values() if name in by_set]
        if not ran:
            continue
        missed: dict[str, int] = {}
        for f in ran:
            for line in sets.lines_missed(f):
                missed[line] = missed.get(line, 0) + 1
        rows.append(
            "%-6s %s"
            % (
                name,
                ", ".join("%s %d/%d" % (line, n, len(ran)) for line, n in missed.items())
                or "every line held on every draw",
            )
        )
    return rows


def counts_by_draw(run: dict[int, dict[str, dict]], set_names: list[str]) -> dict[int, dict]:
    """{draw: the COUNTS summed over the sets}, for the draws where every set ran."""
    out = {}
    for k, by_set in run.items():
        if all(name in by_set for name in set_names):
            t = sets.totals({name: by_set[name] for name in set_names})
            out[k] = {key: t[key] for key, _ in COUNTS}
    return out


def count_rows(
    counts: dict[int, dict], against: dict[int, dict] | None
) -> tuple[list[str], dict[str, dict]]:
    """The counts per draw (beside the other checkout's, with --against) and, with --against,
    for each count: on how many draws this checkout is better and worse (fewer is better), the
    mean paired difference and the other checkout's own spread across the draws (its sample
    standard deviation)."""
    rows = ["%-6s" % "draw" + "".join("  %-20s" % label for _, label in COUNTS)]
    for k in sorted(counts):
        cells = []
        for key, _ in COUNTS:
            new = counts[k][key]
            if against is not None and k in against:
                old = against[k][key]
                cells.append("%d -> %d (%+d)" % (old, new, new - old))
            else:
                cells.append(str(new))
        rows.append("%-6d" % k + "".join("  %-20s" % c for c in cells))
    summary: dict[str, dict] = {}
    if against is None:
        return rows, summary
    both = [k for k in sorted(counts) if k in against]
    for key, label in COUNTS:
        diffs = [counts[k][key] - against[k][key] for k in both]
        base = [against[k][key] for k in both]
        s = {
            "draws": len(both),
            "better": sum(d < 0 for d in diffs),
            "worse": sum(d > 0 for d in diffs),
            "mean_diff": round(statistics.fmean(diffs), 2) if diffs else None,
            "against_sd": round(statistics.stdev(base), 2) if len(base) > 1 else None,
        }
        summary[key] = s
        rows.append(
            "%-15s better on %d of %d draws, worse on %d; mean difference %s, the other's "
            "spread across draws (sd) %s"
            % (
                label,
                s["better"],
                s["draws"],
                s["worse"],
                "-" if s["mean_diff"] is None else "%+.2f" % s["mean_diff"],
                "-" if s["against_sd"] is None else "%.2f" % s["against_sd"],
            )
        )
    return rows, summary


def _share_scenarios(src: Path, dst: Path) -> None:
    """Copies every scenario cache under src (a set's bench output) to the same place under
    dst, so that the other checkout's run does not generate them again. The cache is keyed on
    the generator's source (bench.context), so a checkout whose generator differs still
    generates its own."""
    for d in src.glob("**/scenarios"):
        target = dst / d.relative_to(src)
        if d.is_dir() and not target.exists():
            shutil.copytree(d, target)


def run_all(
    trees: dict[str, Path],
    set_names: list[str],
    draws: list[int],
    out: Path,
    jobs: int,
    runner=sets.run_set,
) -> tuple[dict[str, dict[int, dict[str, dict]]], list[str]]:
    """Runs each set at each draw for each checkout: ({label: {draw: {set: figures}}}, the
    runs that failed, one line each)."""
    runs: dict[str, dict[int, dict[str, dict]]] = {label: {} for label in trees}
    failed: list[str] = []
    for k in draws:
        for name in set_names:
            first: Path | None = None
            for label, tree in trees.items():
                where = out / label / ("draw-%d" % k)
                if first is not None:
                    _share_scenarios(first / name, where / name)
                print("== %s: set %s, draw %d ..." % (label, name, k), file=sys.stderr, flush=True)
                got, why = runner(name, where, jobs, tree, k)
                if got is None:
                    failed.append("%s, set %s, draw %d: %s" % (label, name, k, why))
                    continue
                runs[label].setdefault(k, {})[name] = got
                first = first or where
    return runs, failed


def main(argv: list[str] | None = None, runner=sets.run_set) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.draws",
        description="Runs issue 12's sets at several noise draws and prints each figure's "
        "spread across them; with --against, a change beside another checkout on the same "
        "draws.",
    )
    ap.add_argument(
        "--draws",
        type=draws_arg,
        default=DEFAULT_DRAWS,
        metavar="K,K-K",
        help="the noise draws (default 0-3; 0 is the sets' own)",
    )
    ap.add_argument(
        "--sets",
        type=sets.set_names_arg,
        default=DEFAULT_SETS,
        help="comma-separated, of: %s (default: %s)"
        % (", ".join(sets.SETS), ",".join(DEFAULT_SETS)),
    )
    ap.add_argument(
        "--tree",
        type=sets.tree_arg,
        default=REPO,
        help="the checkout to weigh (default: this one)",
    )
    ap.add_argument(
        "--against",
        type=sets.tree_arg,
        help="another checkout run on the same draws, e.g. main beside a trial",
    )
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="output folder (bench/out/draws)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel replays per set, at most 2")
    args = ap.parse_args(argv)
    out = Path(args.out).resolve()
    trees = {"tree": args.tree}
    if args.against is not None:
        trees = {"against": args.against, "tree": args.tree}
    t0 = time.monotonic()
    runs, failed = run_all(
        trees, args.sets, args.draws, out, min(max(args.jobs, 1), 2), runner=runner
    )
    for label, tree in trees.items():
        run = runs[label]
        print(
            "\n== %s (%s): each figure by set, %s"
            % (
                label,
                tree,
                "draw 0 | the other draws' mean (range)"
                if 0 in args.draws
                else "the draws' mean (range)",
            )
        )
        for row in figure_rows(run, args.sets):
            print("   " + row)
        print("   done-when lines missed, on how many draws:")
        for row in lines_by_set(run, args.sets):
            print("     " + row)
    counts = {label: counts_by_draw(runs[label], args.sets) for label in trees}
    print(
        "\n== over the sets (%s), by draw%s"
        % (
            ", ".join(args.sets),
            ": --against -> --tree (difference)" if args.against is not None else "",
        )
    )
    rows, summary = count_rows(counts["tree"], counts.get("against"))
    for row in rows:
        print("   " + row)
    for line in failed:
        print("   FAILED: " + line)
    which = " --draws " + ",".join(str(k) for k in args.draws)
    if args.sets != DEFAULT_SETS:
        which += " --sets " + ",".join(args.sets)
    if args.tree != REPO:
        which += " --tree %s" % args.tree
    if args.against is not None:
        which += " --against %s" % args.against
    print(
        "   reproduce: .venv/bin/python -m bench.draws%s   (%.0f s here)"
        % (which, time.monotonic() - t0)
    )
    result = {
        "draws": args.draws,
        "sets": args.sets,
        "trees": {label: str(tree) for label, tree in trees.items()},
        "runs": {label: {str(k): v for k, v in run.items()} for label, run in runs.items()},
        "counts": {label: {str(k): v for k, v in c.items()} for label, c in counts.items()},
        "paired": summary,
        "failed": failed,
    }
    out.mkdir(parents=True, exist_ok=True)
    saved = out / "draws.json"
    saved.write_text(json.dumps(result, indent=1))
    sys.stdout.flush()
    # the closing line leaves each set's figures to the file (they are hundreds of keys)
    closing = {k: v for k, v in result.items() if k != "runs"}
    print(json.dumps(dict(closing, runs_in=str(saved))))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
