"""Import the firmware's plain-logic modules (`pipeline`, `device`) under CPython: for the
tests and the benchmarks only. The host tools themselves import only `pumpmon.shared`.

The firmware imports its shared code as the top-level package `shared`; here that name is
bound to `pumpmon.shared`, so a pipeline module and the host see one copy of the event codes.
"""

from __future__ import annotations

import importlib
import sys
import types

from . import shared
from .unixport import FIRMWARE


def firmware_module(name: str) -> types.ModuleType:
    """The firmware module `name` (e.g. "pipeline.coach", "device.haptics") under CPython."""
    sys.modules.setdefault("shared", shared)
    path = str(FIRMWARE)
    if path not in sys.path:
        sys.path.append(path)
    return importlib.import_module(name)
