# The names of the event, cue, phase, button and fault codes (firmware/events.py), as
# printed by replay (JSON Lines), the device console and the host tools.
#
#     import eventnames as evn
#     evn.name(evn.CUE_NAMES, cue)      # "massage"; an unknown code reads as "code_<n>"
#
# Kept apart from events.py so that the session pipeline does not carry the strings: only
# the modules that print names import this one (on the unix port and on a board without
# frozen modules, its code and strings take ~2 KB of heap). Index = code; append-only, like
# the codes. Each table is `tuple([...])`, not a tuple literal: a constant tuple's strings
# load from the .mpy as str objects (64 B each on the 64-bit unix port, 32 B on the ESP32),
# a list display's as interned names (qstrs, about a third of that); 1.3 KB less here.

EVENT_NAMES = tuple(
    [
        "none",
        "letdown",
        "taper",
        "cue",
        "phase",
        "motion",
        "fault",
        "button",
        "cue_result",
        "session_start",
        "session_end",
    ]
)

CUE_NAMES = tuple(
    [
        "none",
        "stimulate",
        "letdown",
        "massage",
        "hand_express",
        "done",
        "fault",
        "storage_full",
        "single_pump",
        "not_saved",
    ]
)

END_NAMES = tuple(["other", "done", "button", "host", "trace"])

FOUND_NAMES = tuple(["?", "rise", "slow", "resume", "milk", "floor", "walk"])

PHASE_NAMES = tuple(
    [
        "idle",
        "stimulation",
        "expressing",
        "massage",
        "hand_expression",
        "done",
        "single_pump",
    ]
)

BUTTON_NAMES = tuple(["none", "short", "long", "double"])

FAULT_NAMES = tuple(
    [
        "none",
        "sensor_timeout",
        "sensor_range",
        "config",
        "storage",
        "storage_low",
        "clock",
        "accel",
    ]
)


def name(table, code):
    """Name for `code` in one of the tables above; unknown codes read as `code_<n>`."""
    if 0 <= code < len(table):
        return table[code]
    return "code_%d" % code
