"""pumpmon.cli: one place turns a command's PumpmonError into a line and an exit status; a
command that cannot be imported is an error, not a command quietly missing."""

from __future__ import annotations

import sys
import types

import pytest
from pumpmon import cli
from pumpmon.errors import BAD_REQUEST, PumpmonError


def _command(monkeypatch, run):
    module = types.ModuleType("pumpmon_test_command")
    module.add_arguments = lambda p, name: None  # type: ignore[attr-defined]
    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(cli.COMMANDS, "probe", (module.__name__, "a test command"))


def test_a_pumpmon_error_is_one_line_named_by_the_command_with_its_status(monkeypatch, capsys):
    def run(args):
        raise PumpmonError("no session 'x' in the archive", BAD_REQUEST)

    _command(monkeypatch, run)
    assert cli.main(["probe"]) == 2
    assert capsys.readouterr().err == "pumpmon probe: no session 'x' in the archive\n"


def test_an_error_may_name_the_command_as_the_user_typed_it(monkeypatch, capsys):
    def run(args):
        raise PumpmonError("no token", command="probe push")

    _command(monkeypatch, run)
    assert cli.main(["probe"]) == 1
    assert capsys.readouterr().err == "pumpmon probe push: no token\n"


def test_a_command_that_fails_to_import_is_not_hidden(monkeypatch):
    monkeypatch.setitem(cli.COMMANDS, "broken", ("pumpmon.no_such_command", "a broken command"))
    with pytest.raises(ModuleNotFoundError, match="pumpmon.no_such_command"):
        cli.build_parser()
