"""Host tools for the wearable pump monitor (`pumpmon`).

`pumpmon.shared` is the firmware's own `firmware/shared/` package (event codes, configuration
schema, log format), reached through the link host_tools/pumpmon/shared: one copy of each
format for device and host.
Its modules use `micropython.const`, so a stand-in for the `micropython` module is installed
here, before anything imports them.
"""

import sys
import types
from importlib import metadata


def _install_micropython_shim() -> None:
    if "micropython" in sys.modules:
        return
    shim = types.ModuleType("micropython")
    shim.const = lambda value: value  # type: ignore[attr-defined]
    shim.native = lambda f: f  # type: ignore[attr-defined]
    shim.viper = lambda f: f  # type: ignore[attr-defined]
    sys.modules["micropython"] = shim


_install_micropython_shim()

try:
    __version__ = metadata.version("pumpmon")  # the one version: pyproject.toml's
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
