"""shared/config.py: the schema and validation, as the host imports it (CPython).

Loading on the device (its own `json` and `open`) is tests/firmware/mp/test_config.py; the
host imports the same module under CPython through pumpmon.fwimport.
"""

from __future__ import annotations

import json

from pumpmon.fwimport import firmware_module

config = firmware_module("shared.config")


def test_every_schema_entry_is_complete_and_its_default_valid():
    keys = [e[0] for e in config.SCHEMA]
    assert len(keys) == len(set(keys)), "duplicate keys in SCHEMA"
    for key, kind, default, low, high, units, doc in config.SCHEMA:
        assert kind in ("int", "float", "bool", "str"), key
        assert doc.strip(), "%s has no description" % key
        if kind == "int":
            assert isinstance(default, int) and not isinstance(default, bool), key
            assert low <= default <= high, key
            assert units, "%s: a number needs its units" % key
        elif kind == "float":
            assert isinstance(default, float) and low <= default <= high and default != 0, key
        elif kind == "bool":
            assert default in (True, False), key
        else:
            assert default in low, key
    cfg, problems = config.validate(config.defaults())
    assert problems == []
    assert cfg == config.defaults()


def test_wrong_types_are_rejected_per_key_and_whole_floats_accepted():
    cfg, problems = config.validate(
        {
            "cue_done": 1,  # not a bool
            "haptic_intensity_pct": True,  # a bool is not a number
            "massage_rounds": 2.5,  # not whole
            "stimulate_after_s": 120.0,  # whole: fine
            "units": "litres",
            "after_massage": "single_pump",
        }
    )
    assert cfg["cue_done"] is True
    assert cfg["haptic_intensity_pct"] == 70
    assert cfg["massage_rounds"] == 2
    assert cfg["stimulate_after_s"] == 120 and isinstance(cfg["stimulate_after_s"], int)
    assert cfg["units"] == "ml"
    assert cfg["after_massage"] == "single_pump"
    joined = "\n".join(problems)
    for key in ("cue_done", "haptic_intensity_pct", "massage_rounds", "units"):
        assert key in joined
    assert len(problems) == 4


def test_unknown_keys_and_non_object_json_are_reported():
    cfg, problems = config.validate({"max_sesion_s": 600})
    assert cfg == config.defaults()
    assert problems == ["unknown key 'max_sesion_s' ignored (check its spelling)"]
    cfg, problems = config.validate([1, 2])
    assert cfg == config.defaults() and "JSON object" in problems[0]


def test_validation_agrees_between_device_and_host(mpy_call):
    data = {"max_session_s": 5, "units": "oz", "cue_letdown": False, "x": 1, "button_long_ms": 9e9}
    r = mpy_call("test_config", "validate", data)
    cfg, problems = config.validate(data)
    assert r["cfg"] == cfg
    assert r["problems"] == problems
    assert r["digest"] == config.digest(cfg)


def test_digest_changes_with_any_value():
    base = config.defaults()
    changed = dict(base, massage_rounds=3)
    assert config.digest(base) == config.digest(dict(base))
    assert config.digest(base) != config.digest(changed)


def test_dumps_round_trips_through_load(tmp_path):
    cfg = dict(config.defaults(), units="oz", max_session_s=1200)
    path = tmp_path / "config.json"
    path.write_text(config.dumps(cfg))
    loaded, problems = config.load(str(path))
    assert problems == [] and loaded == cfg


def test_json_schema_lists_every_key_with_its_range():
    js = config.json_schema()
    assert set(js["properties"]) == {e[0] for e in config.SCHEMA}
    p = js["properties"]["max_session_s"]
    assert (p["type"], p["minimum"], p["maximum"], p["default"]) == ("integer", 60, 3600, 900)
    assert js["properties"]["units"]["enum"] == ["ml", "oz"]
    json.dumps(js)  # serialisable as is


def _keys_read_by_the_firmware():
    """(file, key, default literal) for each cfg.get("key", default) / g("key", default)."""
    import ast
    import re

    from pumpmon.unixport import FIRMWARE

    call = re.compile(r"""\b(?:cfg\.get|g)\(\s*"([a-z0-9_]+)"\s*,\s*([^()]+?)\s*\)""")
    found = []
    for path in sorted(FIRMWARE.rglob("*.py")):
        if path.name == "config.py":
            continue
        for key, default in call.findall(path.read_text()):
            try:
                value = ast.literal_eval(default)
            except ValueError:
                value = default  # not a literal: reported below
            found.append((path.name, key, value))
    return found


def test_every_key_the_firmware_reads_is_in_the_schema_with_the_same_default():
    """One schema: a key read with a default elsewhere must be here, defaults agreeing, so the
    device (config.load fills every key) and a replay without a file behave alike."""
    found = _keys_read_by_the_firmware()
    assert len(found) > 20, "the scan found too few keys: has the calling style changed?"
    problems = []
    for name, key, default in found:
        e = config.entry(key)
        if e is None:
            problems.append("%s reads %r, which config.SCHEMA lacks" % (name, key))
        elif e[2] != default:
            problems.append(
                "%s: %r defaults to %r there but %r in config.SCHEMA" % (name, key, default, e[2])
            )
    assert problems == []


def test_every_schema_key_is_read_by_some_firmware_module_or_host_tool():
    """A key nobody reads any more (renamed in flow.py, say) must leave the schema too."""
    from pumpmon.unixport import FIRMWARE, REPO

    files = [p for p in FIRMWARE.rglob("*.py") if p.name != "config.py"]
    files += list((REPO / "host_tools").rglob("*.py"))
    sources = "".join(p.read_text() for p in files)
    # read through a formatted name ("cal_mg_per_count_%d"), or asked for by the issue for
    # layers not wired yet (display units for the host, the flash reserve for logstore)
    expected_elsewhere = {"cal_mg_per_count_1", "cal_mg_per_count_2", "units"}
    expected_elsewhere.add("storage_reserve_kb")
    unread = [
        e[0]
        for e in config.SCHEMA
        if '"%s"' % e[0] not in sources and e[0] not in expected_elsewhere
    ]
    assert unread == []


def test_rules_across_keys_put_a_contradiction_back_to_the_defaults():
    cfg, problems = config.validate({"stimulate_after_s": 1000, "max_session_s": 600})
    assert (cfg["stimulate_after_s"], cfg["max_session_s"]) == (180, 900)
    assert (
        len(problems) == 1
        and "stimulate_after_s (1000) must be below max_session_s" in (problems[0])
    )
    assert config.broken_rules(config.defaults()) == []
    cfg, problems = config.validate({"stimulate_after_s": 500, "max_session_s": 600})
    assert problems == [] and cfg["stimulate_after_s"] == 500
