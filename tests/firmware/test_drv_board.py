"""boards/sim.json as data (CPython); the bring-up of every board file runs in the port:
tests/firmware/mp/test_drv_board.py."""

from pumpmon.unixport import BOARDS


def test_sim_json_names_the_trace_parts():
    import json

    desc = json.loads((BOARDS / "sim.json").read_text())
    assert desc["scale"] == "trace" and desc["motor"] == "fake" and desc["button"] == "fake"
