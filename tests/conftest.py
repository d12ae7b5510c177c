"""Test harness: firmware tests run inside the MicroPython unix port, driven from pytest.

`mpy(code)` runs `code` in the unix port (firmware and its unix fakes on the path) and
returns what it printed; a non-zero exit fails the test with the port's own traceback.
`mpy_json(code)` returns the last printed line parsed as JSON, for structured results.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from pumpmon import unixport


class MicroPythonError(AssertionError):
    pass


def _run(code: str, heap: str = unixport.DEFAULT_HEAP, stdin: str | None = None) -> str:
    proc = unixport.run_code(textwrap.dedent(code), heap=heap, stdin=stdin)
    if proc.returncode != 0:
        raise MicroPythonError(
            f"unix port exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n"
            f"{proc.stderr}"
        )
    return proc.stdout


@pytest.fixture
def mpy():
    """Run code in the MicroPython unix port; returns its stdout."""
    return _run


@pytest.fixture
def mpy_json():
    """Run code in the unix port; returns its last stdout line parsed as JSON."""

    def run(code: str, heap: str = unixport.DEFAULT_HEAP, stdin: str | None = None):
        out = _run(code, heap=heap, stdin=stdin).strip().splitlines()
        assert out, "the code printed nothing"
        return json.loads(out[-1])

    return run
