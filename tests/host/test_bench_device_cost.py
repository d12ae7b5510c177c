"""bench/device_cost.py: what a failed run in the port reports."""

from __future__ import annotations

import sys

from pumpmon.unixport import REPO

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import device_cost  # noqa: E402


def test_a_failed_run_names_the_error_and_the_frame_that_raised_it():
    # the port's traceback, as the ROMFS app run printed it in round 74
    output = "\n".join(
        [
            "Traceback (most recent call last):",
            '  File "<stdin>", line 13, in <module>',
            '  File "app", line 186, in run_session',
            '  File "pipeline.session", line 111, in __init__',
            '  File "pipeline.detect", line 693, in __init__',
            "MemoryError: memory allocation failed, allocating 464 bytes",
        ]
    )
    assert device_cost._failure(output, 1) == (
        "MemoryError: memory allocation failed, allocating 464 bytes"
        ' (File "pipeline.detect", line 693, in __init__)'
    )


def test_a_failed_run_with_no_traceback_says_what_it_printed_or_its_exit_code():
    assert device_cost._failure("MemoryError: out of memory\n", 1) == "MemoryError: out of memory"
    assert device_cost._failure("", 3) == "exit 3"
