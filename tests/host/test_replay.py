"""`pumpmon replay` keeps design contract 3: JSON Lines out, bad input is exit 2 + one line."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

PUMPMON = [sys.executable, "-m", "pumpmon.cli"]


def write_trace(path: Path, rate_hz: float, seconds: float, two: bool, accel: bool) -> Path:
    """A plain session: one ejection at 60 s, flow 0.4 g/s decaying over ~90 s."""
    cols = (
        ["t_s", "weight_g"]
        + (["weight2_g"] if two else [])
        + (["ax_g", "ay_g", "az_g"] if accel else [])
    )
    lines = [",".join(cols)]
    n = int(seconds * rate_hz)
    for i in range(n):
        t = i / rate_hz
        x = max(0.0, t - 60)
        grams = 0.4 * 90 * (1 - math.exp(-x / 90))  # integral of 0.4 g/s * exp(-x/90)
        noise = 0.2 * math.sin(i * 1.7)
        row = [f"{t:.3f}", f"{grams + noise:.3f}"]
        if two:
            row.append(f"{0.6 * grams - noise:.3f}")
        if accel:
            row += ["0.01", "-0.02", "0.99"]
        lines.append(",".join(row))
    path.write_text("\n".join(lines) + "\n")
    return path


def replay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PUMPMON, "replay", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "rate_hz,two,accel",
    [(5, False, False), (10, True, False), (10, False, True), (80, True, True)],
)
def test_replay_prints_json_lines_ending_with_a_summary(tmp_path, rate_hz, two, accel):
    trace = write_trace(tmp_path / "t.csv", rate_hz, 300, two, accel)
    proc = replay(str(trace))
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert events, "no output"
    for e in events:
        assert isinstance(e["t_s"], (int, float)) and isinstance(e["event"], str)
    summary = events[-1]
    assert summary["event"] == "summary"
    assert [e for e in events if e["event"] == "summary"] == [summary]
    for key in ("volume_ml", "letdowns", "duration_s"):
        assert key in summary
    assert summary["duration_s"] == pytest.approx(300 - 1 / rate_hz, abs=0.01)
    times = [e["t_s"] for e in events]
    assert times == sorted(times), "events must come in trace-time order"
    # 0.4 g/s * 90 s * (1 - e^-(240/90)) per bottle, density 1.03
    expected_g = 0.4 * 90 * (1 - math.exp(-240 / 90)) * (1.6 if two else 1.0)
    assert summary["volume_ml"] == pytest.approx(expected_g / 1.03, abs=2.0)


BAD_TRACES = {
    "missing_weight": ("t_s,w\n0,1\n", "weight_g"),
    "missing_time": ("time,weight_g\n0,1\n", "t_s"),
    "unparsable": ("t_s,weight_g\n0,1\n0.1,abc\n", "line 3"),
    "backwards": ("t_s,weight_g\n0,1\n0.2,1\n0.1,1\n", "line 4"),
    "empty": ("", "empty"),
    "header_only": ("t_s,weight_g\n", "no samples"),
    "short_row": ("t_s,weight_g,weight2_g\n0,1,2\n0.1,1\n", "line 3"),
    "nan": ("t_s,weight_g\n0,nan\n", "line 2"),
    "partial_accel": ("t_s,weight_g,ax_g\n0,1,0\n", "az_g"),
}


@pytest.mark.parametrize("case", sorted(BAD_TRACES))
def test_replay_rejects_bad_trace_with_one_line_and_status_2(tmp_path, case):
    text, must_mention = BAD_TRACES[case]
    trace = tmp_path / "bad.csv"
    trace.write_text(text)
    proc = replay(str(trace))
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert must_mention in lines[0]


def test_replay_of_a_missing_file_says_so(tmp_path):
    proc = replay(str(tmp_path / "nope.csv"))
    assert proc.returncode == 2
    assert "no such file" in proc.stderr


def test_replay_rejects_a_bad_config_with_status_2(tmp_path):
    trace = write_trace(tmp_path / "t.csv", 10, 30, False, False)
    cfg = tmp_path / "cfg.json"
    cfg.write_text('{"max_session_s": "long"')
    proc = replay(str(trace), "--config", str(cfg))
    assert proc.returncode == 2
    assert "cfg.json" in proc.stderr and "Traceback" not in proc.stderr


def test_replay_runs_with_a_valid_config(tmp_path):
    trace = write_trace(tmp_path / "t.csv", 10, 400, False, False)
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"max_session_s": 120, "stimulate_after_s": 60}))
    proc = replay(str(trace), "--config", str(cfg))
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    done = [e for e in events if e["event"] == "cue" and e["cue"] == "done"]
    assert done and done[0]["t_s"] <= 125


def test_the_summary_duration_is_the_session_s_not_the_trace_s(tmp_path):
    # 40 minutes of trace; the session ends at `done` (max_session_s = 900 s at the latest)
    trace = write_trace(tmp_path / "long.csv", 5, 2400, False, False)
    proc = replay(str(trace))
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    done = [e for e in events if e["event"] == "cue" and e["cue"] == "done"]
    assert done, "the coach should end the session"
    summary = events[-1]
    assert summary["duration_s"] == pytest.approx(done[0]["t_s"], abs=0.5)
    assert summary["duration_s"] <= 900.5


def test_chunked_encoding_is_byte_for_byte_the_whole_file_encoding(tmp_path):
    import io

    from pumpmon import trace as trace_mod

    path = write_trace(tmp_path / "t.csv", 10, 120, True, True)
    text = path.read_text().splitlines()
    text.insert(5, "")  # a blank line inside the data
    path.write_text("\n".join(text) + "\n")
    out = io.BytesIO()
    n = trace_mod.write_binary(path, out, chunk_rows=7)
    assert n == 1200
    assert out.getvalue() == trace_mod.read_csv(path).to_binary()


def test_a_trace_sampled_under_4_a_second_replays_with_a_note_that_says_what_to_do(tmp_path):
    # design contract 3: 5 to 100 samples a second, gaps allowed. A kitchen scale's log at 1 a
    # second still replays (nothing is refused or lost), but the firmware's 200-ms bins are
    # mostly empty, so the user is told its letdowns may be late and how to fix the trace
    slow = write_trace(tmp_path / "slow.csv", 1, 300, False, False)
    proc = replay(str(slow))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["event"] == "summary"
    note = proc.stderr.strip()
    assert note.startswith("pumpmon replay: note: %s: most samples are more than 250 ms" % slow)
    assert "5 a second or more" in note and len(note.splitlines()) == 1
    # 5 a second (the contract's slowest), and a 5-Hz trace with long gaps: no note
    ok = write_trace(tmp_path / "ok.csv", 5, 300, False, False)
    rows = ok.read_text().splitlines()
    gappy = tmp_path / "gappy.csv"
    gappy.write_text("\n".join(rows[:200] + rows[400:700] + rows[1200:]) + "\n")
    for path in (ok, gappy):
        proc = replay(str(path))
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_the_notes_figures_are_the_same_in_chunks_as_whole(tmp_path):
    import io

    from pumpmon import trace as trace_mod

    # steps of 0.2 s, every third one 0.7 s: 16 long ones of 49; two bottles starting at
    # about 3 and 140 g
    rows = ["t_s,weight_g,weight2_g"] + [
        "%.1f,%d,%d" % (0.2 * i + 0.5 * (i // 3), 3 + i % 2, 140 - (i % 5)) for i in range(50)
    ]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(rows) + "\n")
    whole = trace_mod.stats_of(trace_mod.read_csv(path))
    assert (whole.steps, whole.long_steps) == (49, 16)
    assert whole.start_g == [3.0, 138.0]
    for chunk_rows in (7, 10, 100):
        stats = trace_mod.TraceStats()
        trace_mod.write_binary(path, io.BytesIO(), chunk_rows=chunk_rows, stats=stats)
        assert stats == whole
    notes = trace_mod.notes("t", whole)
    assert len(notes) == 1 and notes[0].startswith("t: weight2_g starts at 138.0 g")
    assert trace_mod.notes("t", trace_mod.TraceStats(49, 24, [0.5])) == []
    assert "under 4 a second" in trace_mod.notes("t", trace_mod.TraceStats(49, 25, [0.5]))[0]


def test_an_untared_trace_replays_with_a_note_that_says_what_to_do(tmp_path):
    # weight_g is the tared reading (contract 3); a trace with the bottle's own 130 g in it
    # reads as 130 g of milk. It still runs, and the user is told why and what to change
    ok = write_trace(tmp_path / "ok.csv", 10, 200, True, False)
    rows = ok.read_text().splitlines()
    untared = tmp_path / "untared.csv"
    untared.write_text(
        "\n".join(
            [rows[0]]
            + [
                "%s,%.3f,%s" % (t, float(w) + 130, w2)
                for t, w, w2 in (r.split(",") for r in rows[1:])
            ]
        )
        + "\n"
    )
    proc = replay(str(untared))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["event"] == "summary"
    note = proc.stderr.strip()
    assert note.startswith("pumpmon replay: note: %s: weight_g starts at 130." % untared), note
    assert "Subtract the starting weight from weight_g" in note and len(note.splitlines()) == 1
    proc = replay(str(ok))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_chunked_encoding_names_the_file_line_of_a_fault_in_a_later_chunk(tmp_path):
    import io

    from pumpmon import trace as trace_mod

    rows = ["t_s,weight_g"] + ["%d,1" % i for i in range(50)]
    rows[31] = "20,1"  # line 32 goes back in time, across a chunk boundary (rows of 10)
    path = tmp_path / "t.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(trace_mod.TraceError, match="line 32: t_s = 20 does not increase"):
        trace_mod.write_binary(path, io.BytesIO(), chunk_rows=10)
    rows[31] = "30,1"
    rows[41] = "40,abc"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(trace_mod.TraceError, match="line 42"):
        trace_mod.write_binary(path, io.BytesIO(), chunk_rows=10)


def test_replay_memory_does_not_grow_with_the_trace(tmp_path):
    """Peak memory of the whole replay (host and unix port), for a 2-hour 100 Hz trace
    (720 000 rows, 17 MB): held whole it took ~250 MB, streamed it takes the same few tens
    of MB as a short trace (bench: replay_memory measures a 10-hour trace)."""
    path = tmp_path / "two_hours.csv"
    with open(path, "w") as f:
        f.write("t_s,weight_g\n")
        for i in range(720_000):
            f.write("%.2f,%.2f\n" % (i / 100, 0.3 * math.sin(i * 0.01)))
    code = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run([sys.executable, '-m', 'pumpmon.cli', 'replay', %r],\n"
        "                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
        "assert p.returncode == 0, p.stderr\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n" % str(path)
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    peak_mb = int(proc.stdout.strip()) / 1024
    assert peak_mb < 120, "peak RSS %.0f MB" % peak_mb


def test_the_demo_sessions_first_letdown_comes_before_2_30_with_no_stimulate_cue():
    """Issue 12: the bundled session's first ejection comes during a walk; it must still be
    reported before 2:30, `stimulate` must not fire with milk in the bottle, and every letdown
    says when it began (onset_t_s, `late` past 20 s) and how it was found."""
    from pumpmon.emulate import DEMO_TRACE

    proc = replay(str(DEMO_TRACE))
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    letdowns = [e for e in events if e["event"] == "letdown"]
    cues = [e["cue"] for e in events if e["event"] == "cue"]
    assert letdowns and letdowns[0]["t_s"] < 150, letdowns[:1]
    assert "stimulate" not in cues, cues
    for e in letdowns:
        assert 0 <= e["onset_t_s"] <= e["t_s"], e
        assert e.get("late", False) == (e["t_s"] - e["onset_t_s"] > 20), e
        assert e["found"] in ("rise", "slow", "resume", "milk", "floor", "walk"), e
