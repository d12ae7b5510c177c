"""Fixtures the host tests share: a local time zone with an offset, no Baby Buddy settings."""

from __future__ import annotations

import time

import pytest

BABYBUDDY_VARS = ("PUMPMON_BABYBUDDY_URL", "PUMPMON_BABYBUDDY_TOKEN", "PUMPMON_BABYBUDDY_CHILD")


@pytest.fixture
def berlin(monkeypatch):
    """Local time is Europe/Berlin (May: +02:00), whatever the test machine's zone is."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def no_babybuddy_settings(tmp_path, monkeypatch):
    """No user's own Baby Buddy settings leak in (config file or environment)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for var in BABYBUDDY_VARS:
        monkeypatch.delenv(var, raising=False)
