"""Import the firmware's plain-logic modules (events, log codec, config schema) in CPython.

The design keeps one copy of each format: the host imports the firmware's own modules. They
use `micropython.const`, so a tiny stand-in for the `micropython` module is installed first.
"""

from __future__ import annotations

import importlib
import sys
import types

from .unixport import FIRMWARE


def _install_micropython_shim() -> None:
    if "micropython" in sys.modules:
        return
    shim = types.ModuleType("micropython")
    shim.const = lambda value: value  # type: ignore[attr-defined]
    shim.native = lambda f: f  # type: ignore[attr-defined]
    shim.viper = lambda f: f  # type: ignore[attr-defined]
    sys.modules["micropython"] = shim


def firmware_module(name: str) -> types.ModuleType:
    """The firmware module `name` (e.g. "events", "logcodec"), imported under CPython."""
    _install_micropython_shim()
    path = str(FIRMWARE)
    if path not in sys.path:
        sys.path.append(path)
    return importlib.import_module(name)
