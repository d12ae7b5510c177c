"""One codec, two Pythons: the device's bytes are exactly what the host would write.

The sessions come from tests/firmware/mp/logsession.py, run by the unix port (through the
device's `shared.logdecode`, whose encoder is viper code there) and by CPython (through the
host's `pumpmon.shared`, the same source run as plain Python). The codec's own tests run in
the port: tests/firmware/mp/test_logcodec.py (which also holds the bytes' digests as the encoder
wrote them before its viper rewrite).
"""

from __future__ import annotations

import importlib.util

from conftest import MP_TESTS
from pumpmon.fwimport import firmware_module


def _logsession():
    spec = importlib.util.spec_from_file_location("logsession", MP_TESTS / "logsession.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_unix_port_and_cpython_write_identical_bytes(mpy_call):
    in_port = mpy_call("logsession", "digest_in_port", heap="4M")
    in_cpython = _logsession().digest_of_a_two_bottle_session(firmware_module("shared.logdecode"))
    assert in_port == in_cpython


def test_unix_port_and_cpython_write_identical_bytes_at_the_encoders_edges(mpy_call):
    # the port runs the encoder's viper code; CPython runs the same source as plain Python
    in_port = mpy_call("logsession", "edge_digests_in_port", heap="4M")
    in_cpython = _logsession().edge_digests(firmware_module("shared.logcodec"))
    assert in_port == in_cpython


def test_the_encoders_private_constants_are_the_formats():
    """logcodec keeps `_FT_SEGMENT = const(2)` copies of logdecode's public constants (the
    device then interns none of their names); each copy, and the log store's, is the
    format's value, and every public constant has its copy."""
    lc = firmware_module("shared.logcodec")
    ld = firmware_module("shared.logdecode")
    logstore = firmware_module("device.logstore")
    public = [
        name
        for name, value in vars(ld).items()
        if name.isupper() and name[0] != "_" and isinstance(value, (int, bytes, tuple))
    ]
    assert len(public) >= 20, public
    for name in public:
        if name == "SYNC":  # two byte constants in the encoder
            continue
        assert getattr(lc, "_" + name) == getattr(ld, name), name
    assert bytes((lc._SYNC0, lc._SYNC1)) == ld.SYNC
    assert logstore._ACCEL_PERIOD_MS == ld.ACCEL_PERIOD_MS
