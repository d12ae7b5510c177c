"""The one error type of the `pumpmon` commands (mpremote's CommandError, with a status).

A command raises `PumpmonError(message, exit_code)` (or one of its subclasses: ArchiveError,
DeviceError, ...); `cli.main` catches it once, prints `pumpmon COMMAND: message` on stderr
(COMMAND: the error's `command` when it names one, as "babybuddy push") and exits with
`exit_code`: 1 when the command could not do its work, 2 when what it was asked is wrong (a
bad argument, a session that is not there, a device that does not answer as one).
"""

from __future__ import annotations

CANNOT = 1  # the command could not do its work (a damaged archive, a device unplugged)
BAD_REQUEST = 2  # what was asked is wrong: fix the arguments or the setup


class PumpmonError(Exception):
    """A one-line message that says what to do, and the exit status the command ends with."""

    exit_code = CANNOT  # the default of the class; an instance may say otherwise

    def __init__(self, message: str, exit_code: int | None = None, command: str | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
        self.command = command  # the command as the message names it ("babybuddy push")
