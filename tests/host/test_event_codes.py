"""The event, cue, phase, button and fault codes: one meaning wherever they are written.

events.py holds the codes; eventnames.py their printed names; the session-path modules keep
private copies (`_EV_LETDOWN = const(1)`, folded into their bytecode so they cost no heap).
These tests read the sources, so a copy or a name that drifts from events.py fails here; so
does a flow threshold copied between the session, the coach and the configuration.
"""

from __future__ import annotations

import ast
import re

from pumpmon.fwimport import firmware_module
from pumpmon.unixport import FIRMWARE

ev = firmware_module("shared.events")
evn = firmware_module("shared.eventnames")

# code prefix in events.py -> its names table in eventnames.py
TABLES = {
    "EV": "EVENT_NAMES",
    "CUE": "CUE_NAMES",
    "PH": "PHASE_NAMES",
    "BTN": "BUTTON_NAMES",
    "FAULT": "FAULT_NAMES",
    "END": "END_NAMES",
}
_PRIVATE_CODE = re.compile(r"^_((?:EV|CUE|PH|BTN|FAULT|END)_\w+) = const\((-?\d+)\)", re.M)


def _codes(prefix: str) -> dict[str, int]:
    return {
        name: value
        for name, value in vars(ev).items()
        if name.startswith(prefix + "_") and isinstance(value, int)
    }


def test_every_code_has_its_name_at_its_index_in_eventnames():
    """EV_SESSION_START is EVENT_NAMES[9] == "session_start": the name is the code's
    lower-cased suffix, and each table has exactly one name per code."""
    for prefix, table_name in TABLES.items():
        codes = _codes(prefix)
        table = getattr(evn, table_name)
        assert sorted(codes.values()) == list(range(len(table))), table_name
        for name, code in codes.items():
            assert table[code] == name[len(prefix) + 1 :].lower(), (name, table[code])


def test_unknown_codes_are_named_by_number():
    assert evn.name(evn.CUE_NAMES, len(evn.CUE_NAMES)) == "code_%d" % len(evn.CUE_NAMES)
    assert evn.name(evn.FAULT_NAMES, -1) == "code_-1"
    assert evn.name(evn.PHASE_NAMES, ev.PH_MASSAGE) == "massage"


def test_private_copies_of_codes_in_firmware_modules_equal_events_py():
    """session.py, coach.py, detect.py fold the codes they use as private constants; every
    such copy must name a code of events.py and carry its value."""
    checked = 0
    problems = []
    for path in sorted(FIRMWARE.rglob("*.py")):
        for name, value in _PRIVATE_CODE.findall(path.read_text()):
            checked += 1
            if not hasattr(ev, name):
                problems.append("%s: _%s is not a code in events.py" % (path.name, name))
            elif getattr(ev, name) != int(value):
                problems.append(
                    "%s: _%s = %s but events.%s = %d"
                    % (path.name, name, value, name, getattr(ev, name))
                )
    assert checked >= 30, "the scan found too few copies: has the constant style changed?"
    assert problems == []


_URGENCY_COPY = re.compile(r"^_?URGENCY = (b\"[^\"]*\")", re.M)


def test_copies_of_the_cue_urgencies_equal_events_py():
    """The haptics and the coach keep their own copy of events.URGENCY (so the device does not
    load events.py): each copy must be byte for byte the same."""
    copies = {}
    for path in sorted(FIRMWARE.rglob("*.py")):
        if path.name == "events.py":
            continue
        for literal in _URGENCY_COPY.findall(path.read_text()):
            copies[path.name] = ast.literal_eval(literal)
    assert {"haptics.py", "coach.py"} <= set(copies), sorted(copies)
    assert all(copy == ev.URGENCY for copy in copies.values()), copies


_IMPORTS_EVENTS = re.compile(r"^from shared(?: import events\b|\.events import)", re.M)


def test_the_device_path_does_not_import_events_py():
    """The app, its logger, the board and the pipeline take their codes from private copies:
    importing events.py would put its ~60 names in the heap beside the session."""
    importers = [
        str(path.relative_to(FIRMWARE))
        for path in sorted(FIRMWARE.rglob("*.py"))
        if _IMPORTS_EVENTS.search(path.read_text())
    ]
    assert importers == ["replay.py"], importers


def _const(path, name: str) -> int:
    m = re.search(r"^%s = const\((-?\d+)\)" % re.escape(name), path.read_text(), re.M)
    assert m, "%s: no %s = const(...)" % (path.name, name)
    return int(m.group(1))


def test_copied_flow_thresholds_agree():
    """Thresholds the session path keeps in two places (a shared name would cost the 64 KB app
    a heap entry): the session's blind flow is the coach's massage gate, and the coach's
    "flow back at the taper threshold" is the detector's taper_mg_s default."""
    pipeline = FIRMWARE / "pipeline"
    gate = _const(pipeline / "coach.py", "_MASSAGE_MAX_MG_S")
    assert _const(pipeline / "session.py", "_COACH_STRONG_MG_S") == gate
    config = firmware_module("shared.config")
    assert _const(pipeline / "coach.py", "_FLOWING_MG_S") == config.defaults()["taper_mg_s"]


def test_the_block_records_still_codes_agree():
    """flow.py's Block.still carries two negative codes while the accelerometer says moving
    (the motion's first blocks on a bottle whose weight shows none of it; a hand on it), and
    detect.py reads them through its own copies: the same values, below every count."""
    pipeline = FIRMWARE / "pipeline"
    for name in ("_STILL_SETTLING", "_STILL_PRESSED"):
        value = _const(pipeline / "flow.py", name)
        assert value < 0, (name, value)
        assert _const(pipeline / "detect.py", name) == value, name
    assert _const(pipeline / "flow.py", "_STILL_SETTLING") != _const(
        pipeline / "flow.py", "_STILL_PRESSED"
    )
