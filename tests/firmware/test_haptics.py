"""The haptic patterns as data (CPython): distinct to the touch, as docs/cues.md teaches them.

How they play on the device is tests/firmware/mp/test_haptics.py.
"""

from __future__ import annotations

from pumpmon.fwimport import firmware_module

evn = firmware_module("shared.eventnames")
haptics_host = firmware_module("device.haptics")


def test_patterns_can_be_told_apart_by_count_length_and_rhythm():
    """No two cues share a signature of (buzz lengths as short/long/very long, gap class)."""

    def signature(p):
        on = tuple("S" if d < 300 else ("L" if d < 1000 else "V") for d in p[0::2])
        gaps = tuple("q" if d < 200 else "s" for d in p[1::2])
        return on, gaps

    sigs = {cue: signature(p) for cue, p in haptics_host.PATTERNS.items()}
    assert len(set(sigs.values())) == len(sigs), sigs
    for cue, p in haptics_host.PATTERNS.items():
        assert all(d >= 60 for d in p), "steps under 60 ms are not felt: %s" % cue
        assert sum(p) <= 2500, "%s is too long to wait for" % cue


def test_docs_cues_table_lists_every_cue_with_its_pattern():
    """docs/cues.md is what the wearer learns: one row per cue, the felt pattern matching
    PATTERNS (each `·` is one tap, each run of `—` one buzz)."""
    import re

    from pumpmon.unixport import REPO

    text = (REPO / "docs" / "cues.md").read_text()
    rows = {}
    for line in text.splitlines():
        m = re.match(r"\| `(\w+)` \| `([^`]*)`", line)
        if m:
            rows[m.group(1)] = m.group(2)
    assert set(rows) == set(evn.CUE_NAMES[1:])
    for cue, felt in rows.items():
        pattern = haptics_host.PATTERNS[evn.CUE_NAMES.index(cue)]
        elements = re.findall(r"·|—+", felt)
        assert len(elements) == len(pattern[0::2]), cue
        for symbol, on_ms in zip(elements, pattern[0::2]):
            assert (symbol == "·") == (on_ms < 300), (cue, felt, pattern)
