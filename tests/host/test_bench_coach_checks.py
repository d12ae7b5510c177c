"""bench/coach_checks.py counts what it claims (CPython: the benchmark's own scoring)."""

from __future__ import annotations

from pumpmon.fwimport import firmware_module


def _check_session(lines, no_milk=False):
    import sys

    from pumpmon.unixport import REPO

    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from bench.coach_checks import check_session

    config = firmware_module("shared.config")
    events = [dict(zip(("t_s", "event", "x"), line)) for line in lines]
    for e in events:  # the third field names the cue or phase
        x = e.pop("x", None)
        if e["event"] == "cue":
            e["cue"] = x
        elif e["event"] == "phase":
            e["phase"] = x
    return check_session(events, config.defaults(), no_milk)


def test_bench_coach_checks_pass_a_good_session_and_count_each_failure():
    good = [
        (0.0, "phase", "stimulation"),
        (100.0, "letdown"),
        (100.0, "cue", "letdown"),
        (300.0, "taper"),
        (302.0, "cue", "massage"),
        (600.0, "taper"),
        (600.0, "cue", "hand_express"),
        (900.0, "cue", "done"),
        (950.0, "taper"),  # after done: the session is over
        (1000.0, "summary"),
    ]
    got = _check_session(good)
    counts = [got[k] for k in ("massage_before_letdown", "taper_without_cue", "done_late")]
    assert counts == [0, 0, 0]

    early = [(0.0, "phase", "stimulation"), (50.0, "cue", "massage"), (100.0, "letdown")]
    assert _check_session(early)["massage_before_letdown"] == 1
    # a taper that no step cue answers before the flow comes back is unanswered
    ignored = good[:4] + [(400.0, "letdown"), (400.0, "cue", "letdown")] + good[5:]
    assert _check_session(ignored)["taper_without_cue"] == 1
    # one that waits for a strong flow to fall is answered by the cue that follows (issue 12)
    waited = good[:4] + [(330.0, "cue", "massage")] + good[5:]
    assert _check_session(waited)["taper_without_cue"] == 0
    late_done = good[:7] + [(906.0, "cue", "done"), (1000.0, "summary")]
    assert _check_session(late_done)["done_late"] == 1
    no_done = good[:7] + [(1000.0, "summary")]
    assert _check_session(no_done)["done_late"] == 1


def test_bench_coach_checks_time_stimulate_in_no_milk_sessions():
    on_time = [(0.0, "phase", "stimulation"), (180.0, "cue", "stimulate"), (900.0, "cue", "done")]
    assert _check_session(on_time, no_milk=True)["stimulate_late"] == 0
    late = [(0.0, "phase", "stimulation"), (186.0, "cue", "stimulate"), (900.0, "cue", "done")]
    assert _check_session(late, no_milk=True)["stimulate_late"] == 1
    missing = [(0.0, "phase", "stimulation"), (900.0, "cue", "done")]
    assert _check_session(missing, no_milk=True)["stimulate_late"] == 1
    assert _check_session(missing, no_milk=False)["stimulate_late"] == 0
