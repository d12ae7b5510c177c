"""`pumpmon replay TRACE.csv [--config FILE]`: the firmware's pipeline in the unix port.

The host checks the trace and the configuration (bad input: one line on stderr, exit 2),
encodes the trace as binary records into a temporary file, a chunk of rows at a time, and
streams that file to `firmware/replay.py` running in the MicroPython unix port, whose JSON
Lines go straight to stdout as they come. Memory stays bounded however long the trace (a
10-hour 100 Hz trace: `python -m bench --only replay_memory`); the temporary file takes
24 bytes a sample on disk.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import TextIO, cast

from . import unixport
from .shared import config
from .trace import TraceError, TraceStats, notes, write_binary

EXIT_BAD_INPUT = 2
EXIT_FIRMWARE_ERROR = 1
REPLAY_TIMEOUT_S = 3600  # the firmware replays ~a 10-hour trace in minutes; a hang ends here


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
    # typeshed: sys.stdout may be None (pythonw, no console); not so for a command-line tool
    out = out or cast(TextIO, sys.stdout)
    err = err or cast(TextIO, sys.stderr)
    with tempfile.TemporaryDirectory(prefix="pumpmon-replay-") as tmp:
        binary = Path(tmp) / "trace.bin"
        try:
            cfg = load_config(config_path) if config_path else None
            stats = TraceStats()
            with open(binary, "wb") as f:
                write_binary(trace_path, f, stats=stats)
        except (TraceError, ConfigError) as e:
            err.write(f"pumpmon replay: {e}\n")
            return EXIT_BAD_INPUT
        except OSError as e:
            err.write(
                f"pumpmon replay: cannot write the temporary trace in {tmp}: "
                f"{e.strerror or e}; free some disk space\n"
            )
            return EXIT_FIRMWARE_ERROR
        for note in notes(str(trace_path), stats):
            err.write(f"pumpmon replay: note: {note}\n")
        try:
            exe = unixport.micropython_exe()
        except unixport.UnixPortMissing as e:
            err.write(f"pumpmon replay: {e}\n")
            return EXIT_FIRMWARE_ERROR
        argv = ["replay"]
        if cfg is not None:
            cfg_path = Path(tmp) / "config.json"
            cfg_path.write_text(json.dumps(cfg))
            argv.append(str(cfg_path))
        env = unixport.micropython_env()  # compiles the firmware to .mpy when stale
        code = f"import replay; replay.main({argv!r})"
        cmd = [exe, "-X", f"heapsize={unixport.DEFAULT_HEAP}", "-c", code]
        with open(binary, "rb") as stdin, open(Path(tmp) / "stderr", "w+b") as stderr:
            proc = subprocess.Popen(
                cmd,
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
                cwd=str(unixport.COMPILED),
            )
            watchdog = threading.Timer(REPLAY_TIMEOUT_S, proc.kill)  # every wait bounded
            watchdog.start()
            try:
                assert proc.stdout is not None
                for line in proc.stdout:
                    out.write(line.decode("utf-8", "replace"))
                proc.wait()
            finally:
                watchdog.cancel()
            out.flush()
            stderr.seek(0)
            err_text = stderr.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        detail = err_text.strip().splitlines()
        last = detail[-1] if detail else f"exit status {proc.returncode}"
        err.write(
            f"pumpmon replay: the firmware stopped with an error ({last}); this is a bug, "
            "please report it with the trace\n"
        )
        if detail:
            err.write("\n".join(detail) + "\n")
        return EXIT_FIRMWARE_ERROR
    for line in err_text.splitlines():
        err.write(f"pumpmon replay: {line}\n")
    return 0
