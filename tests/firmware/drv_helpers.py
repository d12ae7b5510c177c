"""Helpers for the driver tests: run code in the unix port with the chip fakes importable.

`fw(code)` prefixes `code` (dedented) with the lines that put tests/firmware/fakes on the
MicroPython path, import the fake `machine` and define `out(value)` (prints it as JSON), so
each test reads as a short scenario.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

FAKES = Path(__file__).resolve().parent / "fakes"


def fw(code: str) -> str:
    prelude = (
        f"import sys\nsys.path.append({str(FAKES)!r})\nimport json\nimport machine\n"
        "def out(value):\n    print(json.dumps(value))\n"
    )
    return prelude + textwrap.dedent(code)
