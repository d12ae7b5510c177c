"""`make bench` (python -m bench): runs the benchmark sections and ends with one JSON line.

    .venv/bin/python -m bench                       # every section (what `make bench` runs)
    .venv/bin/python -m bench --only detection      # one section (repeat --only for more)
    .venv/bin/python -m bench --quick               # a small subset, for a fast look
    .venv/bin/python -m bench --only detection --seeds 100   # a held-out set (not tuned on)
    .venv/bin/python -m bench --only detection --seeds 100 --press held   # ... its presses held
    .venv/bin/python -m bench --only detection --seeds 100 --flow pulsed  # ... milk in pulses
    .venv/bin/python -m bench --only detection --seeds 100 --rise fast    # ... rising in 2-6 s
    .venv/bin/python -m bench --only detection --seeds 100 --gait wide    # ... steps 1.5-2.5 Hz
    .venv/bin/python -m bench --only detection --seeds 100 --rate 320     # ... all at 320 Hz
    .venv/bin/python -m bench --only detection --seeds 100 --ripple 2     # ... pump ripple x 2
    .venv/bin/python -m bench --only detection --seeds 100 --noise 2      # ... cells' noise x 2
    .venv/bin/python -m bench --only detection --without press,walk,tilt  # ... undisturbed
    .venv/bin/python -m bench --only detection --draw 1   # the same sessions, fresh sensor noise
    .venv/bin/python -m bench.sets   # detection + coach on all the sets, with totals

Each section is a module with `run(ctx) -> dict`: it prints its own table (with the command
that reproduces it) and returns figures; the figures of all sections are merged into the
closing JSON line, which is always the last line of stdout. A section module that does not
exist yet is skipped with a note. Progress goes to stderr.

Exit status: 0, or 1 when a section failed (its error is printed and the JSON line still
closes the output, with "<section>_error").
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback

from bench import scenarios as scn_mod
from bench.context import DEFAULT_OUT, BenchContext, draw_arg

SECTIONS = [
    "bench.detection",
    "bench.device_cost",
    "bench.coach_checks",
    "bench.log_size",
    "bench.pull_speed",
    "bench.replay_speed",
    "bench.replay_memory",
]


def _disturbances(text: str) -> tuple[str, ...]:
    """--without's value: comma-separated names of scenarios.DISTURBANCES, in that order."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in scn_mod.DISTURBANCES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            "%r: give some of %s, comma-separated (e.g. press,walk)"
            % (text, ", ".join(scn_mod.DISTURBANCES))
        )
    return tuple(d for d in scn_mod.DISTURBANCES if d in names)


def _noise_scale(text: str) -> float:
    """--noise's value: one of scenarios.NOISE_SCALES."""
    try:
        x = float(text)
    except ValueError:
        x = -1.0
    if x not in scn_mod.NOISE_SCALES:
        raise argparse.ArgumentTypeError(
            "%r: give one of %s (the cells' noise, times the sets' own)"
            % (text, ", ".join("%g" % v for v in scn_mod.NOISE_SCALES))
        )
    return x


def _short(name: str) -> str:
    return name.split(".", 1)[1] if name.startswith("bench.") else name


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument(
        "--only",
        action="append",
        metavar="SECTION",
        help="run only this section (%s); repeat for more" % ", ".join(map(_short, SECTIONS)),
    )
    ap.add_argument("--jobs", type=int, default=2, help="parallel replays, at most 2 (default 2)")
    ap.add_argument("--quick", action="store_true", help="a small subset of the scenario set")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="output directory (bench/out)")
    ap.add_argument(
        "--seeds",
        type=int,
        metavar="N",
        help="score a held-out scenario set instead of the fixed one: seeds N..N+4 of each "
        "phenotype, N..N+5 no-milk (N >= 100; the figures of the issue come from the fixed set)",
    )
    ap.add_argument(
        "--press",
        choices=scn_mod.PRESS_STYLES,
        default="strokes",
        help="with --seeds: how a hand presses during massage (strokes: the bench's own; "
        "held: compressions held 2-6 s, a check on a hand the detector was not tuned on)",
    )
    ap.add_argument(
        "--flow",
        choices=scn_mod.FLOW_STYLES,
        default="smooth",
        help="with --seeds: how milk reaches the bottle (smooth: the bench's own; pulsed: once "
        "per pump cycle, through the valve, a check on a flow the detector was not tuned on)",
    )
    ap.add_argument(
        "--rise",
        choices=scn_mod.RISE_STYLES,
        default="gradual",
        help="with --seeds: how fast an ejection's flow reaches its peak (gradual: the bench's "
        "own 8-25 s; fast: 2-6 s; slow: 16-50 s; checks on ejections the detector was not tuned "
        "on)",
    )
    ap.add_argument(
        "--gait",
        choices=scn_mod.GAIT_STYLES,
        default="usual",
        help="with --seeds: a walk's step rate (usual: the bench's own 1.7-2.2 Hz; wide: the "
        "same walks over 1.5-2.5 Hz, the range issue 12 names)",
    )
    ap.add_argument(
        "--rate",
        type=int,
        choices=scn_mod.DEVICE_RATES_HZ,
        metavar="HZ",
        help="with --seeds: every session sampled at this rate (%s; the sets draw from %s)"
        % (", ".join(map(str, scn_mod.DEVICE_RATES_HZ)), ", ".join(map(str, scn_mod.RATES_HZ))),
    )
    ap.add_argument(
        "--ripple",
        type=int,
        choices=scn_mod.RIPPLE_SCALES,
        default=1,
        metavar="X",
        help="with --seeds: the pump's ripple at the cell X times the sets' own 0.2-1 g (%s; "
        "2-3: a check on a pump the detector was not tuned on; 0: none, what the ripple costs)"
        % ", ".join(map(str, scn_mod.RIPPLE_SCALES)),
    )
    ap.add_argument(
        "--noise",
        type=_noise_scale,
        default=1,
        metavar="X",
        help="with --seeds: the load cells' noise X times the sets' own 0.15-0.35 g a sample "
        "(%s; a check on a noisier HX711 module the detector was not tuned on)"
        % ", ".join("%g" % x for x in scn_mod.NOISE_SCALES),
    )
    ap.add_argument(
        "--without",
        type=_disturbances,
        default=(),
        metavar="KINDS",
        help="the same sessions with these disturbances' effect on the cells and the "
        "accelerometer left out (comma-separated: %s); the truth still lists them, so the "
        "motion / clean split names the same onsets: what each disturbance costs"
        % ", ".join(scn_mod.DISTURBANCES),
    )
    ap.add_argument(
        "--draw",
        type=draw_arg,
        default=0,
        metavar="K",
        help="the same sessions (fixed or --seeds) with the sensor's noise, its spikes and the "
        "pump's phase drawn afresh (draw K >= 1; 0: the sets' own, which the detector was tuned "
        "on): the truth is the same, so set against draw 0 it shows what the noise's luck gives",
    )
    args = ap.parse_args(argv)
    # a held-out set's rendering: the fixed set keeps its own (option, value, default, what)
    for option, value, default, what in (
        ("--press", args.press, "strokes", "presses"),
        ("--flow", args.flow, "smooth", "flow"),
        ("--rise", args.rise, "gradual", "ejections"),
        ("--gait", args.gait, "usual", "walks"),
        ("--rate", args.rate, None, "rates"),
        ("--ripple", args.ripple, 1, "ripple"),
        ("--noise", "%g" % args.noise, "1", "cells' noise"),
    ):
        if value != default and args.seeds is None:
            ap.error(
                "%s %s needs --seeds N (the fixed set keeps its own %s)" % (option, value, what)
            )

    wanted = SECTIONS
    if args.only:
        names = [_short(n) for n in args.only]
        unknown = [n for n in names if n not in map(_short, SECTIONS)]
        if unknown:
            ap.error(
                "unknown section %s; choose from %s"
                % (", ".join(unknown), ", ".join(map(_short, SECTIONS)))
            )
        wanted = [s for s in SECTIONS if _short(s) in names]

    if args.seeds is not None and args.seeds < 100:
        ap.error(
            "--seeds %d overlaps the fixed bench set (seeds 1-8): use 100 or more" % args.seeds
        )
    ctx = BenchContext(
        out_dir=args.out,
        jobs=args.jobs,
        quick=args.quick,
        seeds=args.seeds,
        press=args.press,
        flow=args.flow,
        rate_hz=args.rate,
        ripple=args.ripple,
        without=args.without,
        rise=args.rise,
        gait=args.gait,
        draw=args.draw,
        noise=args.noise,
    )
    figures: dict = {}
    failed = False
    t0 = time.monotonic()
    for name in wanted:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:
                print("\n== %s: skipped (module %s does not exist yet)" % (_short(name), name))
                continue
            raise
        try:
            got = mod.run(ctx)
        except Exception as e:  # a broken section must not hide the others' figures
            failed = True
            traceback.print_exc(file=sys.stderr)
            print("\n== %s: FAILED: %s: %s" % (_short(name), type(e).__name__, e))
            figures["%s_error" % _short(name)] = "%s: %s" % (type(e).__name__, e)
            continue
        figures.update(got or {})
        ctx.figures = figures
    figures["bench_quick"] = args.quick
    figures["bench_wall_s"] = round(time.monotonic() - t0, 1)
    sys.stdout.flush()
    print(json.dumps(figures, sort_keys=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
