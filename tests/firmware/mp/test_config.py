"""shared/config.py loaded on the device: a missing, corrupt or out-of-range file never stops
it, and the parts build from what load() gives back. (The schema's own checks run under
CPython in tests/firmware/test_config.py.)"""

from device import button, haptics
from mptest import tmpdir
from pipeline import coach
from shared import config
from shared import eventnames as evn

HEAP = {"*": "256K"}  # fails at 112K here (conftest: HEAP)

PARAMS = {
    "test_corrupt_file_runs_on_defaults_without_raising": [
        b'{"max_session_s": 600, ',  # truncated
        b"\xff\xfe\x00garbage\x00",  # binary junk
        b"",  # empty
        b"max_session_s = 600",  # not JSON
    ]
}


def _write(content):
    path = tmpdir() + "/config.json"
    with open(path, "wb") as f:
        f.write(content)
    return path


def test_missing_file_runs_on_defaults_and_says_so():
    cfg, problems = config.load(tmpdir() + "/nope.json")
    assert cfg == config.defaults(), cfg
    assert len(problems) == 1 and "no configuration file" in problems[0], problems


def test_corrupt_file_runs_on_defaults_without_raising(content):
    cfg, problems = config.load(_write(content))
    assert cfg == config.defaults(), cfg
    assert problems, "a corrupt file must be reported"


def test_out_of_range_key_takes_its_default_and_other_keys_are_kept():
    cfg, problems = config.load(_write(b'{"max_session_s": 99999, "massage_rounds": 3}'))
    assert cfg["max_session_s"] == 900, cfg
    assert cfg["massage_rounds"] == 3, cfg
    assert len(problems) == 1, problems
    assert "max_session_s" in problems[0] and "60..3600" in problems[0], problems


class _Motor:
    pct = None

    def on(self, pct):
        self.pct = pct

    def off(self):
        pass


class _Pin:
    def value(self):
        return 1


def test_device_parts_run_on_a_corrupt_configuration():
    """The coach, haptics and button build and work from what load() gives back."""
    path = _write(b'{"max_session_s": "long", "haptic_intensity_pct": 400, "button_long_ms": ')
    cfg, problems = config.load(path)
    lines = []
    config.explain(problems, lines.append)
    m = _Motor()
    c = coach.Coach(cfg)
    h = haptics.Haptics(m, cfg)
    b = button.Button(_Pin(), cfg)
    c.start(0)
    cue = c.tick(180000, 0)
    h.play(180000, cue)
    assert len(lines) >= 1 and lines[0][:8] == "config: ", lines
    assert evn.CUE_NAMES[cue] == "stimulate", cue  # the defaults took over: stimulate at 180 s
    assert m.pct == 70 and b.update(0) == 0, m.pct


def test_partial_dict_falls_back_to_schema_defaults():
    c = coach.Coach({"max_session_s": 600})
    assert (c.max_session_ms, c.stimulate_after_ms) == (600000, 180000)


def validate(data):
    """config.validate on the device, with the digest: compared with the host's by
    tests/firmware/test_config.py."""
    cfg, problems = config.validate(data)
    return {"cfg": cfg, "problems": problems, "digest": config.digest(cfg)}


def test_the_device_loads_a_contradicting_config_on_its_defaults():
    import json

    path = tmpdir() + "/config.json"
    with open(path, "w") as f:
        f.write(json.dumps({"stimulate_after_s": 1000, "max_session_s": 600}))
    cfg, problems = config.load(path)
    assert [cfg["stimulate_after_s"], cfg["max_session_s"]] == [180, 900], cfg
    assert "max_session_s" in problems[0], problems
