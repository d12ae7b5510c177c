"""bench/blocks.py: each block's record as the detector reads it, a window, bad input."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from pumpmon.unixport import REPO

BLOCKS = [sys.executable, "-m", "bench.blocks"]


def write_trace(path: Path, seconds: float, two: bool) -> Path:
    """10 Hz, an accelerometer; one ejection from 60 s (0.4 g/s decaying over ~90 s)."""
    lines = ["t_s,weight_g" + (",weight2_g" if two else "") + ",ax_g,ay_g,az_g"]
    for i in range(int(seconds * 10)):
        t = i / 10
        x = max(0.0, t - 60)
        grams = 0.4 * 90 * (1 - math.exp(-x / 90))
        noise = 0.2 * math.sin(i * 1.7)
        row = [f"{t:.3f}", f"{grams + noise:.3f}"]
        if two:
            row.append(f"{0.6 * grams - noise:.3f}")
        lines.append(",".join(row + ["0.01", "-0.02", "0.99"]))
    path.write_text("\n".join(lines) + "\n")
    return path


def blocks(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        BLOCKS + list(args), capture_output=True, text=True, cwd=str(REPO), timeout=300
    )


def test_the_table_has_one_line_a_second_for_each_bottle_in_the_window(tmp_path):
    trace = write_trace(tmp_path / "two.csv", 90, two=True)
    p = blocks(str(trace), "--from", "20", "--to", "40")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split()[:3] == ["t_s", "bottle", "v"]
    rows = [line.split() for line in lines[1:] if not line.lstrip().startswith("event")]
    times = sorted({float(r[0]) for r in rows})
    assert times == [float(t) for t in range(20, 41)]
    assert sorted(r[1] for r in rows) == ["1"] * 21 + ["2"] * 21
    # before the milk both bottles are quiet and armed
    assert all("Q" in r[9] and "A" in r[9] for r in rows)


def test_json_lines_give_one_bottles_blocks_and_the_letdown_between_them(tmp_path):
    trace = write_trace(tmp_path / "two.csv", 120, two=True)
    p = blocks(str(trace), "--from", "50", "--to", "100", "--bottle", "2", "--json")
    assert p.returncode == 0, p.stderr
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    found = [r for r in rows if r["kind"] == "block"]
    assert {r["bottle"] for r in found} == {2}
    assert [r["t_s"] for r in found] == [float(t) for t in range(50, 101)]
    letdowns = [r for r in rows if r["kind"] == "event" and r["event"] == "letdown"]
    assert letdowns and 60 < letdowns[0]["t_s"] < 80
    # the block values follow the milk: bottle 2 gains ~0.24 g/s from 60 s
    v = {r["t_s"]: r["v"] for r in found}
    assert v[95.0] - v[65.0] > 5000
    after = [r for r in found if r["t_s"] > letdowns[-1]["t_s"] + 10]
    assert after and all(r["flow"] > 100 for r in after)


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    one = write_trace(tmp_path / "one.csv", 30, two=False)
    for args, says in (
        ([str(tmp_path / "missing.csv")], "no such file"),
        ([str(one), "--bottle", "2"], "has 1 bottle; give --bottle 1"),
        ([str(one), "--from", "20", "--to", "10"], "give the window's start first"),
        ([str(one), "--to", "nan"], "as seconds into the trace"),
    ):
        p = blocks(*args)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        assert p.stdout == ""
        assert len(p.stderr.splitlines()) == 1 and says in p.stderr, p.stderr
