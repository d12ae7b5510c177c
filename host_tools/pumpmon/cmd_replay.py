"""`pumpmon replay TRACE.csv [--config FILE]` (see pumpmon.replay)."""

from __future__ import annotations

import argparse

from .replay import replay


def add_arguments(p: argparse.ArgumentParser, name: str) -> None:
    p.add_argument("trace", metavar="TRACE.csv", help="trace CSV: t_s, weight_g[, weight2_g]...")
    p.add_argument("--config", metavar="FILE", help="device configuration JSON to run with")


def run(args: argparse.Namespace) -> int:
    return replay(args.trace, args.config)
