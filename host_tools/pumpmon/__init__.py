"""Host tools for the wearable pump monitor (`pumpmon`).

The version has one source, pyproject.toml; it is read from the installed package's metadata.
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("pumpmon")
except _metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
