"""`pumpmon replay TRACE.csv [--config FILE]`: the firmware's pipeline in the unix port.

The host checks the trace and the configuration (bad input: one line on stderr, exit 2),
encodes the trace as binary records and streams them to `firmware/replay.py` running in
the MicroPython unix port, whose JSON Lines go straight to stdout.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from . import unixport
from .shared import config
from .trace import TraceError, read_csv

EXIT_BAD_INPUT = 2
EXIT_FIRMWARE_ERROR = 1


class ConfigError(ValueError):
    pass


def load_config(path: str | Path) -> dict:
    """Read and validate a configuration file with the firmware's own schema."""
    p = Path(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such configuration file") from None
    except json.JSONDecodeError as e:
        raise ConfigError(
            f"{p} line {e.lineno}: not valid JSON ({e.msg}); fix the file or leave out --config"
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: cannot read it ({e})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{p}: the configuration must be a JSON object of key: value")
    cfg, problems = config.validate(raw)
    if problems:
        raise ConfigError(f"{p}: " + "; ".join(str(x) for x in problems))
    return cfg


def replay(
    trace_path: str | Path,
    config_path: str | Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the replay; returns the exit status (0, 1 firmware error, 2 bad input)."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        trace = read_csv(trace_path)
        cfg = load_config(config_path) if config_path else None
    except (TraceError, ConfigError) as e:
        err.write(f"pumpmon replay: {e}\n")
        return EXIT_BAD_INPUT
    try:
        exe = unixport.micropython_exe()
    except unixport.UnixPortMissing as e:
        err.write(f"pumpmon replay: {e}\n")
        return EXIT_FIRMWARE_ERROR
    with tempfile.TemporaryDirectory(prefix="pumpmon-replay-") as tmp:
        argv = ["replay"]
        if cfg is not None:
            cfg_path = Path(tmp) / "config.json"
            cfg_path.write_text(json.dumps(cfg))
            argv.append(str(cfg_path))
        env = unixport.micropython_env()  # compiles the firmware to .mpy when stale
        code = f"import replay; replay.main({argv!r})"
        cmd = [exe, "-X", f"heapsize={unixport.DEFAULT_HEAP}", "-c", code]
        proc = subprocess.run(
            cmd,
            input=trace.to_binary(),
            capture_output=True,
            env=env,
            cwd=str(unixport.COMPILED),
            timeout=600,
        )
    out.write(proc.stdout.decode("utf-8", "replace"))
    out.flush()
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        last = detail[-1] if detail else f"exit status {proc.returncode}"
        err.write(
            f"pumpmon replay: the firmware stopped with an error ({last}); this is a bug, "
            "please report it with the trace\n"
        )
        if detail:
            err.write("\n".join(detail) + "\n")
        return EXIT_FIRMWARE_ERROR
    for line in proc.stderr.decode("utf-8", "replace").splitlines():
        err.write(f"pumpmon replay: {line}\n")
    return 0
