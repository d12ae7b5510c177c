"""The `pumpmon` command line: one thin function per command (mpremote's shape).

A command's `run(args)` returns its exit status, or raises errors.PumpmonError: `main`
prints that as `pumpmon COMMAND: message` and exits with its status, as mpremote's main
does with CommandError.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .errors import PumpmonError

# command name -> module under pumpmon that provides add_arguments(parser) and run(args) -> int
COMMANDS = {
    "replay": ("pumpmon.cmd_replay", "run the firmware over a trace CSV, print JSON Lines"),
    "emulate": ("pumpmon.emulate", "run the firmware as a device on a pseudo-terminal"),
    "pull": ("pumpmon.pull", "copy new sessions from the device into the archive"),
    "sessions": ("pumpmon.cmd_archive", "list archived sessions"),
    "show": ("pumpmon.cmd_archive", "one session's timeline"),
    "export": ("pumpmon.cmd_archive", "export sessions as CSV or JSON"),
    "plot": ("pumpmon.plot", "plot a session to a PNG"),
    "trends": ("pumpmon.cmd_archive", "daily totals and trends"),
    "forget": ("pumpmon.cmd_archive", "remove a session from the archive (kept in its trash)"),
    "time": ("pumpmon.cmd_device", "device clock: `pumpmon time sync`"),
    "config": ("pumpmon.cmd_device", "device configuration: show | set KEY=VALUE"),
    "note": ("pumpmon.cmd_note", "add a note to a session (shown, exported, sent)"),
    "side": ("pumpmon.cmd_note", "which breast bottle 1 was on for one session"),
    "report": ("pumpmon.report", "one HTML page of the sessions to share (print to PDF)"),
    "babybuddy": ("pumpmon.babybuddy", "send sessions to Baby Buddy: push | setup"),
}


class _Parser(argparse.ArgumentParser):
    """A bad flag or value is one line on stderr that says what to do (exit status 2)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, "%s: %s (see `%s --help`)\n" % (self.prog, message, self.prog))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pumpmon", description="Host tools for the wearable pump monitor.")
    parser.add_argument("--version", action="version", version="pumpmon " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p, name)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args._run(args) or 0)
    except PumpmonError as e:  # what the command could not do, and what to do: one line
        sys.stderr.write("pumpmon %s: %s\n" % (e.command or args.command, e))
        return e.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("pumpmon: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
