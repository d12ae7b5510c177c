"""What the bench command tests share (test_bench_sets, test_bench_draws)."""

import pytest

# a set's figures that hold every per-set done-when line of issue 12: each test moves the one
# figure it is about
GOOD = {
    "me_f1": 0.96,
    "me_recall_motion": 0.92,
    "me_recall_clean": 1.0,
    "wrong_cues_per_session": 0.03,
    "control_false_per_session": 0.0,
    "me_latency_med_s": 7.0,
    "me_latency_p90_s": 12.0,
    "onset_floor_0p5g_med_s": 5.4,
    "onset_floor_0p5g_p90_s": 9.5,
    "taper_f1": 0.91,
    "taper_false_motion": 0,
    "volume_err_med_ml": 0.3,
    "volume_err_max_ml": 1.9,
}


def refusal(main, argv, capsys) -> str:
    """What a command's `main(argv, runner=...)` printed on stderr when it refused `argv`
    with exit status 2 before running anything (a runner that is called fails the test)."""
    ran = []
    with pytest.raises(SystemExit) as e:
        main(argv, runner=lambda *a: ran.append(a))
    assert e.value.code == 2 and not ran
    return capsys.readouterr().err
