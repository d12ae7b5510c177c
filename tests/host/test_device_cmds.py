"""`pumpmon time sync` and `pumpmon config show|set` against the emulated device."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from emulated_device import emulated_device
from pumpmon import cli, flashimage
from pumpmon.cmd_device import WEARER_KEYS, rtc_tuple
from pumpmon.fwimport import firmware_module
from pumpmon.transport import Device


@pytest.fixture(scope="module")
def device(tmp_path_factory):
    image = tmp_path_factory.mktemp("dev") / "flash.img"
    flashimage.put_files(image, {"/sessions/readme.txt": b"-"})
    with emulated_device(image) as emu:
        yield emu.device_path


def _run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _device_config_text(port):
    with Device.connect(port) as dev:
        return dev.read_file("/config.json").decode()


def _keys():
    """One schema entry of each kind (int, bool, str) that the tests change."""
    schema = firmware_module("shared.config").SCHEMA
    int_e = next(e for e in schema if e[1] == "int" and e[4] - e[3] >= 2)
    bool_e = next(e for e in schema if e[1] == "bool")
    str_e = next(e for e in schema if e[1] == "str")
    return int_e, bool_e, str_e


def test_config_set_writes_values_the_firmware_loads_without_problems(device, capsys):
    int_e, bool_e, str_e = _keys()
    new_int = int_e[3] + 1 if int_e[2] != int_e[3] + 1 else int_e[3] + 2
    new_bool = not bool_e[2]
    new_str = next(c for c in str_e[3] if c != str_e[2])
    code, out, err = _run(
        capsys,
        "config",
        "set",
        "%s=%d" % (int_e[0], new_int),
        "%s=%s" % (bool_e[0], "on" if new_bool else "off"),
        "%s=%s" % (str_e[0], new_str),
        "--port",
        device,
    )
    assert code == 0, err
    assert "%s: %d -> %d" % (int_e[0], int_e[2], new_int) in out
    cfg, problems = firmware_module("shared.config").loads(_device_config_text(device))
    assert problems == []
    assert (cfg[int_e[0]], cfg[bool_e[0]], cfg[str_e[0]]) == (new_int, new_bool, new_str)
    code, out, _err = _run(capsys, "config", "show", "--json", "--port", device)
    assert code == 0
    assert json.loads(out)[int_e[0]] == new_int


def _bad_pairs():
    int_e, bool_e, str_e = _keys()
    return [
        ("%s=%d" % (int_e[0], int_e[4] + 1), "out of range"),
        ("%s=%d" % (int_e[0][:-1] + "x" + int_e[0][-1:], int_e[3]), "did you mean " + int_e[0]),
        ("%s=gallons" % str_e[0], "must be one of"),
        ("%s=maybe" % bool_e[0], "true or false"),
        ("%s=two" % int_e[0], "whole number"),
    ]


@pytest.mark.parametrize("pair, message", _bad_pairs())
def test_config_set_refuses_bad_values_and_changes_nothing(device, capsys, pair, message):
    int_e = _keys()[0]
    _run(capsys, "config", "set", "%s=%d" % (int_e[0], int_e[3]), "--port", device)
    before = _device_config_text(device)
    code, _out, err = _run(capsys, "config", "set", pair, "--port", device)
    assert code == 2
    assert message in err and "nothing was changed" in err
    assert _device_config_text(device) == before


def test_config_show_all_lists_every_schema_key_with_its_meaning(device, capsys):
    code, out, _err = _run(capsys, "config", "show", "--all", "--port", device)
    assert code == 0
    for e in firmware_module("shared.config").SCHEMA:
        assert e[0] in out
        assert e[6][:30] in out


def test_config_show_lists_only_what_a_wearer_sets(device, capsys):
    code, out, _err = _run(capsys, "config", "show", "--port", device)
    assert code == 0
    shown = {
        line.split()[0]
        for line in out.splitlines()
        if line and not line[0].isspace() and not line.startswith("(")
    }
    assert shown == set(WEARER_KEYS)
    assert "ld_k_q4" not in out and "cal_mg_per_count_1" not in out
    assert "config show --all" in out


def test_wearer_keys_are_all_in_the_firmware_schema():
    schema_keys = {e[0] for e in firmware_module("shared.config").SCHEMA}
    assert set(WEARER_KEYS) <= schema_keys
    assert {"units", "bottle1_side"} <= set(WEARER_KEYS)


def test_time_sync_reports_the_device_clock_against_this_computer(device, capsys):
    code, out, _err = _run(capsys, "time", "sync", "--port", device)
    assert code == 0
    assert "device clock set to" in out
    code, out, _err = _run(capsys, "time", "show", "--port", device)
    assert code == 0
    offset = float(out.split("is ")[1].split(" s")[0])
    assert abs(offset) < 5  # the emulator's clock is this computer's


def test_rtc_tuple_is_utc_with_monday_as_weekday_zero():
    when = dt.datetime(2025, 5, 12, 9, 30, 15, 250, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert rtc_tuple(when) == (2025, 5, 12, 0, 7, 30, 15, 250)


def test_device_commands_with_no_device_fail_clearly(tmp_path, capsys):
    code, _out, err = _run(capsys, "config", "show", "--port", str(tmp_path / "ttyNONE"))
    assert code == 2
    assert "no device at" in err


def test_config_set_refuses_a_value_that_contradicts_another_key(device, capsys):
    before = _device_config_text(device)
    code, _out, err = _run(
        capsys, "config", "set", "stimulate_after_s=1000", "max_session_s=600", "--port", device
    )
    assert code == 2
    assert "must be below max_session_s" in err and "nothing was changed" in err
    assert _device_config_text(device) == before
