"""Session wiring, the scale's integer arithmetic and a flow sensor fused with its load cell
(pipeline/session.py, scale.py, fusion.py), in the unix port."""

import math

from mptest import heap_locked
from pipeline.fusion import FlowFusion
from pipeline.scale import Scale
from pipeline.session import Session
from shared import eventnames as evn
from shared import events as ev
from synth import RecordingSink

PARAMS = {
    "test_to_mg_matches_the_float_factor_across_the_24_bit_range": [
        0.466,
        0.7225,
        1.0,
        3.3,
        47.5,
        -0.52,
    ]
}

# -- session -------------------------------------------------------------------------------


class ScriptedDetector:
    """A stand-in detector that says what the test scripts: {(t_ms, ch): code}."""

    def __init__(self, script, weighing_ms=(0, 0)):
        self.script = script
        self.onset_ms = [0, 0]
        # always something pending (Detector.pending): the session asks at every sample,
        # not only at the samples that write a block record
        self.pending = bytearray((1, 1))
        self.weighing_ms = weighing_ms  # [from, to): a rise is being weighed (Detector.weighing)
        self.t_ms = 0

    def found(self, t_ms, ch):
        pass

    def update(self, t_ms, ch, f):
        self.t_ms = t_ms
        return self.script.get((t_ms, ch), ev.EV_NONE)

    def weighing(self):
        a, b = self.weighing_ms
        return 1 if a <= self.t_ms < b else 0


def _session(script=None):
    sink = RecordingSink()
    s = Session({}, 2, sink)
    s.detector = ScriptedDetector(script or {})
    return s, sink


def test_a_taper_before_any_letdown_is_not_reported():
    script = {(1000, 0): ev.EV_TAPER, (2000, 1): ev.EV_LETDOWN, (3000, 1): ev.EV_TAPER}
    s, sink = _session(script)
    s.start(0)
    for t in range(0, 4000, 100):
        s.on_sample(t, 0, 0, 0, 0, 1000)
    got = [(t, c) for t, c, ch, a in sink.got if c in (ev.EV_LETDOWN, ev.EV_TAPER)]
    assert got == [(2000, 1), (3000, 2)], got  # the early taper is gone, the later kept
    assert list(s.tapers) == [0, 1], s.tapers


def test_session_start_and_end_frame_the_events():
    s, sink = _session()
    s.start(0)
    s.on_sample(0, 0, 0, 0, 0, 1000)
    s.finish(500, by_done=True)
    assert sink.got[0][1] == ev.EV_SESSION_START, sink.got
    assert sink.got[-1][1] == ev.EV_SESSION_END and sink.got[-1][3] == 1, sink.got


def test_the_session_tells_the_detector_when_hands_are_off_the_bottles():
    # hands-free: pumping before the coach has asked for stimulation, and after a letdown
    # until it asks for massage (stimulation and massage put a hand on the breast)
    script = {(4000, 0): ev.EV_LETDOWN, (9000, 0): ev.EV_TAPER}  # massage at 17 s
    sink = RecordingSink()
    s = Session({"stimulate_after_s": 2}, 2, sink)
    s.detector = ScriptedDetector(script)
    s.start(0)
    seen = []
    for t in range(0, 20000, 100):
        s.on_sample(t, 0, 0, 0, 0, 1000)
        if t in (1500, 3500, 6000, 19500):
            seen.append(s.detector.hands_free)
    cues = [evn.CUE_NAMES[a] for _, c, _, a in sink.got if c == ev.EV_CUE]
    assert cues == ["stimulate", "letdown", "massage"], sink.got
    assert seen == [True, False, True, False], seen


def test_the_coach_waits_while_a_bottle_is_held_and_its_flow_is_not_known():
    # a letdown at 20 s and a taper at 45 s; from 40 s bottle 1 reads 30 g more (a tilt or a
    # knock: the flow stage holds until the level has stayed 10 s, the flow is unknown).
    # Without it the taper's `massage` comes 8 s later; with it the step waits as for a strong
    # flow (the coach cued hand expression once during a tilt while the true flow was
    # 0.9 g/s), then comes once the flow is known and calm
    def massage_at(jump_g):
        s, sink = _session({(20000, 0): ev.EV_LETDOWN, (45000, 0): ev.EV_TAPER})
        s.start(0)
        for t in range(0, 90000, 100):
            w = int(jump_g * 1000) if t >= 40000 else 0
            s.on_sample(t, w, 0, 0, 0, 1000)
        cues = [(t, evn.CUE_NAMES[a]) for t, c, _, a in sink.got if c == ev.EV_CUE]
        return [t for t, name in cues if name == "massage"]

    assert massage_at(0.0) == [53000], massage_at(0.0)
    late = massage_at(30.0)
    assert len(late) == 1 and 55000 <= late[0] <= 90000, late


def test_the_coach_waits_while_a_rise_is_weighed_as_an_onset():
    # a letdown at 20 s and a taper at 45 s: `massage` comes 8 s later (53 s). From 50 s the
    # detector weighs a rise (its CUSUM a third of the way to a letdown): a new ejection may be
    # starting, which the flow estimates show only seconds later (low_volume-604 of seeds
    # 600: `done` 9 s into an ejection on both bottles, found 3 s after it). The step waits
    # as for a strong flow; a letdown then ends the wait without the cue; a rise weighed
    # for ever delays it by the blind wait's bound at most
    def cues(weighing_ms, letdown_ms=None):
        script = {(20000, 0): ev.EV_LETDOWN, (45000, 0): ev.EV_TAPER}
        if letdown_ms is not None:
            script[(letdown_ms, 1)] = ev.EV_LETDOWN
        sink = RecordingSink()
        s = Session({}, 2, sink)
        s.detector = ScriptedDetector(script, weighing_ms)
        s.start(0)
        for t in range(0, 120000, 100):
            s.on_sample(t, 0, 0, 0, 0, 1000)
        return [(t, evn.CUE_NAMES[a]) for t, c, _, a in sink.got if c == ev.EV_CUE]

    assert cues((0, 0)) == [(20000, "letdown"), (53000, "massage")], cues((0, 0))
    got = cues((50000, 56000))  # then calm again: the step comes ~10 s after the rise
    assert len(got) == 2 and got[1][1] == "massage" and 64000 <= got[1][0] <= 67000, got
    got = cues((50000, 56000), letdown_ms=56000)
    assert got == [(20000, "letdown")], got  # the new ejection's letdown: no massage
    got = cues((50000, 1000000))
    assert len(got) == 2 and got[1][1] == "massage" and got[1][0] <= 95000, got


class OnsetSink(RecordingSink):
    """Records each letdown with the onset the session estimated for it when it was emitted."""

    def __init__(self):
        super().__init__()
        self.session = None

    def emit(self, t_ms, code, ch, arg):
        onset_ms = self.session.letdown_onset_ms[ch] if code == ev.EV_LETDOWN else None
        self.got.append((t_ms, code, ch, arg, onset_ms))


def test_milk_in_the_bottle_during_stimulation_is_the_first_letdown_and_stops_stimulate():
    # a detector that never decides on its own (its CUSUM, slow and flow paths all off):
    # only the session's safety net can report the milk (issue 12)
    sink = OnsetSink()
    s = Session({"stimulate_after_s": 90, "ld_h_q4": 100000}, 1, sink)
    sink.session = s
    s.detector._flow_path = lambda t_ms, ch, blk: False
    s.detector._slow = lambda t_ms, ch, bms, now, flow: False
    s.start(0)
    for i in range(0, 150 * 10):
        t_ms = i * 100
        t = t_ms / 1000
        u = t - 40.0  # milk from 40 s: 0.3 g/s reached over 10 s
        g = 0.0
        if u > 0:
            g = 1.5 + 0.3 * (u - 10)
            if u < 10:
                g = 0.3 * (u / 2 - 10 / 6.2832 * math.sin(3.14159 * u / 10))
        g += 0.15 * math.sin(6.2832 * 1.1 * t)
        s.on_sample(t_ms, int(g * 1000), 0, 0, 0, 1000)
    cues = [evn.CUE_NAMES[e[3]] for e in sink.got if e[1] == ev.EV_CUE]
    assert "stimulate" not in cues, sink.got
    letdowns = [e for e in sink.got if e[1] == ev.EV_LETDOWN]
    assert len(letdowns) == 1, sink.got
    t_ms, _, _, _, onset_ms = letdowns[0]
    assert t_ms < 90_000, sink.got
    assert 30_000 <= onset_ms <= t_ms, sink.got  # an estimated onset, not later than the decision


# -- scale ---------------------------------------------------------------------------------


def test_to_mg_matches_the_float_factor_across_the_24_bit_range(mg_per_count):
    s = Scale(mg_per_count, tare_counts=-1234)
    worst = 0
    biggest = 0
    for d in (0, 1, 4095, 4096, 99999, 1234567, 8388607, 16777215, -16777215, -77):
        mg = s.to_mg(d - 1234)
        worst = max(worst, abs(mg - d * mg_per_count))
        biggest = max(biggest, abs(s.mult) * 4096)
    # at most 2 mg of truncation, plus the 17-bit factor's relative error
    assert worst <= 2 + abs(mg_per_count) * 16777215 / 65536, worst
    assert biggest < 2**29, biggest


def test_tare_from_takes_the_median_of_readings():
    readings = iter([100, 102, 5000, 101, 99, 103, 100, -4000, 101])
    s = Scale(1.0)
    got = s.tare_from(lambda: next(readings), samples=9)
    assert got == 101, got


def test_a_zero_calibration_factor_is_refused_with_a_message():
    try:
        Scale(0)
    except ValueError as e:
        assert "calibration" in str(e), e
    else:
        raise AssertionError("Scale(0) was accepted")


# -- fusion --------------------------------------------------------------------------------


class FlowSensor:
    """drivers.dropcounter / slf3s API: read(), volume_mg, valid."""

    def __init__(self):
        self.flow = 0
        self.volume_mg = 0
        self.valid = True
        self.fail = False

    def read(self):
        if self.fail:
            raise OSError(5)
        return self.flow


class Stage:
    """flow.FlowStage's outputs."""

    flow_mg_s = 0
    volume_mg = 0
    holding = False


def _fusion():
    sensor = FlowSensor()
    stage = Stage()
    stage.flow_mg_s, stage.volume_mg = 300, 12000
    return sensor, stage, FlowFusion(sensor, {"fusion_sensor_share_pct": 50})


def test_flow_is_a_blend_and_volume_the_load_cells_when_it_is_steady():
    sensor, stage, fu = _fusion()
    sensor.flow, sensor.volume_mg = 500, 99999
    fu.update(0, stage)
    assert (fu.flow_mg_s, fu.volume_mg) == (400, 12000), (fu.flow_mg_s, fu.volume_mg)


def test_while_the_load_cell_holds_the_sensor_carries_flow_and_volume():
    sensor, stage, fu = _fusion()
    sensor.flow, sensor.volume_mg = 300, 5000
    fu.update(0, stage)
    stage.holding = True  # a hand presses on the bottle: weight frozen
    fu.update(1000, stage)
    sensor.flow, sensor.volume_mg = 350, 7000  # 2 g more milk went through the sensor
    fu.update(2000, stage)
    during = (fu.flow_mg_s, fu.volume_mg)
    stage.holding = False  # released: the load cell, the reference, takes over
    stage.volume_mg = 14100
    fu.update(2200, stage)
    assert during == (350, 14000) and fu.volume_mg == 14100, (during, fu.volume_mg)


def test_an_invalid_or_failing_sensor_leaves_the_load_cell_alone():
    sensor, stage, fu = _fusion()
    sensor.flow, sensor.valid = 5000, False  # air in the line
    fu.update(0, stage)
    a = fu.flow_mg_s
    sensor.valid, sensor.fail = True, True  # a glitching bus
    fu.update(500, stage)
    assert (a, fu.flow_mg_s) == (300, 300), (a, fu.flow_mg_s)


def _feed_fusion(fu, stage, t, stop):
    while t < stop:
        stage.holding = (t // 1000) % 2 == 0
        fu.update(t, stage)
        t += 100


def test_fusion_allocates_nothing_per_sample():
    sensor, stage, fu = _fusion()
    sensor.flow = 400
    _feed_fusion(fu, stage, 0, 2000)
    with heap_locked():  # an allocation raises MemoryError at its line
        _feed_fusion(fu, stage, 2000, 22000)


class _NoSink:
    def emit(self, t_ms, code, ch, arg):
        pass


def test_the_session_reports_the_fused_volume_for_a_bottle_with_a_sensor():
    s = Session({}, 2, _NoSink(), flow_sensors=[None, FlowSensor()])
    s.start(0)
    s.on_sample(0, 0, 0, 0, 0, 1000)
    assert s.fusions[0] is None and s.fusions[1] is not None, s.fusions


class CountingDetector(ScriptedDetector):
    """Nothing pending unless scripted: counts the calls the session makes, and leaves a
    letdown pending for bottle 0 at bottle 1's call at `t_pend_ms` (a joint decision)."""

    def __init__(self, t_pend_ms):
        super().__init__({})
        self.pending = bytearray(2)
        self.calls = [[], []]
        self.t_pend_ms = t_pend_ms

    def update(self, t_ms, ch, f):
        self.calls[ch].append(t_ms)
        if self.pending[ch]:
            self.pending[ch] = 0
            return ev.EV_LETDOWN
        if ch == 1 and t_ms == self.t_pend_ms:
            self.pending[0] = 1
        return ev.EV_NONE


def test_the_detector_is_asked_only_when_a_block_was_written_or_a_decision_waits():
    sink = RecordingSink()
    s = Session({}, 2, sink)
    d = CountingDetector(t_pend_ms=5000)
    s.detector = d
    s.start(0)
    for t in range(0, 8000, 100):
        s.on_sample(t, 0, 0, 0, 0, 1000)
    # blocks are written once a second from 3 s on (median of 3 bins, then the 2-s
    # triangle), and bottle 0 is asked once more at the sample after bottle 1 left a
    # decision pending for it
    assert d.calls[1] == list(range(3000, 8000, 1000)), d.calls
    assert d.calls[0] == sorted(d.calls[1] + [5100]), d.calls
    got = [(t, c, ch) for t, c, ch, a in sink.got if c == ev.EV_LETDOWN]
    assert got == [(5100, ev.EV_LETDOWN, 0)], got
