# One pumping session: weight (mg) per bottle -> flow -> detect -> coach, reported to a sink.
#
#     s = Session(cfg, n_channels=2, sink=sink, has_accel=True)
#     s.start(t_ms)
#     for each sample: s.on_sample(t_ms, w1_mg, w2_mg, ax_mgee, ay_mgee, az_mgee)
#     s.on_button(t_ms, BTN_SHORT)       # from the button, any time
#     s.finish(t_ms)                     # summary figures are attributes afterwards
#
# Everything the session observes or decides goes out through one call,
# `sink.emit(t_ms, ev_code, ch, arg)` with integer arguments: replay prints it as JSON
# Lines, the device app logs it and plays cues. For EV_CUE_RESULT, `ch` carries the cue code
# and `arg` the milligrams expressed in the window after that cue.
#
# The per-sample path (on_sample) allocates nothing: integer arithmetic, preallocated
# objects, bound-method calls. Limits: one or two bottles.
import gc
from array import array

import micropython
from micropython import const

from pipeline import coach as coach_mod
from pipeline import detect, flow
from pipeline import motion as motion_mod

# The codes this module uses, private copies of events.py's: folded into the bytecode, they
# take no heap (tests/host/test_event_codes.py checks that they agree).
_EV_NONE = const(0)
_EV_LETDOWN = const(1)
_EV_TAPER = const(2)
_EV_CUE = const(3)
_EV_PHASE = const(4)
_EV_FAULT = const(6)
_EV_BUTTON = const(7)
_EV_CUE_RESULT = const(8)
_EV_SESSION_START = const(9)
_EV_SESSION_END = const(10)
_CUE_NONE = const(0)
_END_OTHER = const(0)
_END_DONE = const(1)
_PH_STIMULATION = const(1)
_PH_EXPRESSING = const(2)
_PH_HAND_EXPRESSION = const(4)

_COACH_EVERY_MS = const(1000)  # the coach's clock: its steps are seconds to minutes long, a
# detection drains it at once, and a cue a second later is not felt (at 10 Hz every 100 ms was
# every sample: ~0.7 us of the ~9 us a sample costs; every 500 ms still ~0.5 us of ~8)
# The coach's safety net for the first letdown: milk in the bottles during stimulation is a
# letdown whatever the detector says (no `stimulate` after it): 2 mL more than at the start
# (2060 mg) on weight that stayed put (FlowStage.settled_mg: a tilt, a press or a re-based
# hold moves the level only while it lasts), or a bottle's flow estimate >= 100 mg/s for 3 s
# while its weight is settled (no hold, no press released lately) and its blocks quiet (a hand
# bearing down and holding, partly letting go between compressions, lifts the estimate to
# 0.2-0.45 g/s on accepted blocks whose bins spread: control-204 and control-301 with held
# presses, no milk), the 8-block estimate's whole window so (Block.still: accepted is not
# enough, a walk's last blocks pass before they are quiet, their level still grams low, and
# the estimate read its return as 0.11-0.2 g/s: control-705 of seeds 700 at noise draw 45)
_NET_MILK_MG = const(2060)
_NET_EMPTY_MG = const(500)  # settled milk below this: the bottles are still empty
_NET_FLOW_MG_S = const(100)
_NET_FLOW_MS = const(3000)
_NET_STILL_BLOCKS = const(8)
_DONE_CALM_BLOCKS = const(8)  # in hand expression `done` waits for this many calm blocks
_MOTION_EVERY_MS = const(40)
_COACH_STRONG_MG_S = const(120)  # coach.py's _MASSAGE_MAX_MG_S: its steps wait at this flow
_BLIND_MAX_MS = const(30000)  # the longest a hold makes the coach's next step wait


class Session:
    def __init__(self, cfg, n_channels, sink, has_accel=False, flow_sensors=None):
        if n_channels not in (1, 2):
            raise ValueError("a session has 1 or 2 bottles, not %r" % n_channels)
        # In a small heap the holes left between long-lived objects cost more than the objects
        # (bench device_cost measures the smallest heap that completes), so: the coach first
        # (its many attributes grow its dict by reallocation), then the session's own
        # attributes, the flow stages, the detector; a gc.collect() after each stage frees
        # its construction garbage (dict growth steps, temporary lists) for the next one to
        # reuse. This order measured best: the bench's 20-min session completes in 54 KB and
        # tests/firmware/test_memory.py's in 49 KB (55 KB and 56 KB without the collects).
        self.n_channels = n_channels
        self.sink = sink
        self.coach = coach_mod.Coach(cfg)
        gc.collect()
        self.flows = [None] * n_channels  # type: list  # flow.FlowStage per bottle
        self.motion = None  # type: motion_mod.Motion | None
        # a flow sensor on a bottle (drop counter, inline sensor) is fused with its weight
        self.fusions = [None] * n_channels  # type: list  # FlowFusion or None per bottle
        self.letdowns = [0] * n_channels
        self.tapers = [0] * n_channels
        self.cues = 0
        self.faults = 0
        self.t_start_ms = 0
        self.t_last_ms = 0
        self.t_first_letdown_ms = -1
        # per bottle: the estimated onset of its latest letdown (ms; the event's onset_t_s)
        self.letdown_onset_ms = array("i", [0] * n_channels)
        self._v0_mg = 0  # volume at the start (the safety net's reference)
        self._t_net_ms = -1  # since when the flow has been at the safety net's threshold
        self._t_empty_ms = 0  # the latest time the bottles were seen settled and empty
        self._t_coach_ms = 0
        self._t_blind_ms = -1  # since when a stage has held or a rise been weighed (-1: neither)
        self._t_motion_ms = -_MOTION_EVERY_MS
        self.started = False
        self.finished = False
        for ch in range(n_channels):
            self.flows[ch] = flow.FlowStage(cfg)
            gc.collect()
        self._flow0 = self.flows[0]  # the per-sample path's own references (no list index)
        self._flow1 = self.flows[1] if n_channels == 2 else None
        self._fused = False  # any flow sensor fused (then fusions[] is looked at)
        self.detector = detect.Detector(cfg, n_channels)
        gc.collect()
        if has_accel:
            self.motion = motion_mod.Motion(cfg)
        # fusion's code is loaded only when a bottle has a flow sensor (the app passes a
        # list with a slot per bottle, None where there is none)
        if flow_sensors and any(sensor is not None for sensor in flow_sensors[:n_channels]):
            from pipeline.fusion import FlowFusion

            for ch, sensor in enumerate(flow_sensors[:n_channels]):
                if sensor is not None:
                    self.fusions[ch] = FlowFusion(sensor, cfg)
                    self._fused = True

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, t_ms, w1_mg=0, w2_mg=0):
        self.t_start_ms = t_ms
        self.t_last_ms = t_ms
        self.flows[0].reset(t_ms, w1_mg)
        if self.n_channels == 2:
            self.flows[1].reset(t_ms, w2_mg)
        self.coach.start(t_ms)
        self._v0_mg = self._settled_mg()
        self._t_empty_ms = t_ms
        self._t_coach_ms = t_ms
        self._t_blind_ms = -1
        self.started = True
        self.sink.emit(t_ms, _EV_SESSION_START, 0, self.n_channels)
        self._drain_coach(t_ms)

    def finish(self, t_ms, by_done=False, end_reason=-1):
        """End the session; end_reason (events.END_*) is logged with EV_SESSION_END (by
        default END_DONE when by_done, else END_OTHER)."""
        if self.finished:
            return
        self.finished = True
        self.t_last_ms = t_ms
        c = self.coach
        self._drain_coach(t_ms)
        c.stop(t_ms)  # closes a cue-result window still open; no further cue
        while c.has_result():
            result = c.pop_result()
            if result is not None:
                self.sink.emit(t_ms, _EV_CUE_RESULT, result[1], result[2])
        phase = c.pop_phase_change()
        while phase >= 0:
            self.sink.emit(t_ms, _EV_PHASE, 0, phase)
            phase = c.pop_phase_change()
        if end_reason < 0:
            end_reason = _END_DONE if by_done else _END_OTHER
        self.sink.emit(t_ms, _EV_SESSION_END, 0, end_reason)

    # -- per sample ------------------------------------------------------------------------
    @micropython.native
    def on_sample(self, t_ms, w1_mg, w2_mg, ax_mgee, ay_mgee, az_mgee):
        # Each bottle in turn: its flow stage, its flow sensor (if fused), the detector. The
        # two bottles are written out (no loop, no per-bottle method call): this runs at the
        # sample rate, while a detection (_detected) comes a few times a session.
        self.t_last_ms = t_ms
        m = self.motion
        if m is not None and t_ms - self._t_motion_ms >= _MOTION_EVERY_MS:
            # 25 Hz is plenty for walking (~2 Hz) and tilt; an 80 Hz input costs no more
            self._t_motion_ms = t_ms
            m.update(t_ms, ax_mgee, ay_mgee, az_mgee)
        # the detector only on a sample that wrote a bottle's block record, or when it left
        # a decision pending for that bottle (Detector.pending): otherwise it has nothing to
        # do (9 samples in 10 at 10 Hz)
        det = self.detector
        pending = det.pending
        f = self._flow0
        # f.update() in its two halves (flow.py): one call per sample and bottle, not two
        k = f.sample(t_ms, w1_mg, m)
        written = k >= 0 and f.closed(k, t_ms, w1_mg, m)
        if self._fused:
            fu = self.fusions[0]
            if fu is not None:
                fu.update(t_ms, f)
        seen = False
        if written or pending[0]:
            code = det.update(t_ms, 0, f)
            if code != _EV_NONE:
                seen = self._detected(t_ms, 0, code)
        f = self._flow1
        if f is not None:
            k = f.sample(t_ms, w2_mg, m)
            written = k >= 0 and f.closed(k, t_ms, w2_mg, m)
            if self._fused:
                fu = self.fusions[1]
                if fu is not None:
                    fu.update(t_ms, f)
            if written or pending[1]:
                code = det.update(t_ms, 1, f)
                if code != _EV_NONE and self._detected(t_ms, 1, code):
                    seen = True
        # the coach counts in seconds: at once after a detection, else every _COACH_EVERY_MS
        if seen or t_ms - self._t_coach_ms >= _COACH_EVERY_MS:
            self._t_coach_ms = t_ms
            self._drain_coach(t_ms)

    def _detected(self, t_ms, ch, code):
        """The detector reported `code` (not EV_NONE) for bottle ch; True when it counts."""
        if code == _EV_TAPER and self.t_first_letdown_ms < 0:
            # a taper is flow falling after a letdown brought it: with no letdown yet in this
            # session there is nothing to taper from (and the coach may not cue massage
            # before the first letdown), so it is not reported
            return False
        if code == _EV_LETDOWN:
            self._letdown(t_ms, ch, self.detector.onset_ms[ch])
            return True
        self.tapers[ch] += 1
        self.sink.emit(t_ms, code, ch, self.flows[ch].flow_mg_s)
        self.coach.on_detection(t_ms, code, ch)
        return True

    def _letdown(self, t_ms, ch, onset_ms):
        self.letdowns[ch] += 1
        if self.t_first_letdown_ms < 0:
            self.t_first_letdown_ms = t_ms
        if onset_ms < self.t_start_ms:
            onset_ms = self.t_start_ms
        self.letdown_onset_ms[ch] = onset_ms
        for f in self.flows:
            f.milk_confirmed()
        self.sink.emit(t_ms, _EV_LETDOWN, ch, self.flows[ch].flow_mg_s)
        self.coach.on_detection(t_ms, _EV_LETDOWN, ch, onset_ms)

    def _flow_mg_s(self):
        f = self.flows[0].flow_mg_s
        if self.n_channels == 2:
            f += self.flows[1].flow_mg_s
        return f

    def _settled_mg(self):
        # the milk in the bottles on weight that stayed put (a flow sensor's volume where
        # one is fused)
        v = 0
        for ch in range(self.n_channels):
            fu = self.fusions[ch]
            v += fu.volume_mg if fu is not None else self.flows[ch].settled_mg
        return v

    def _safety_net(self, t_ms, flow_mg_s):
        # no letdown yet, yet milk in the bottles: that is the first letdown (on the bottle
        # with more milk), found by the net; its onset: where a flow rising linearly from
        # nothing to the flow now would have brought the volume
        settled = 0
        for f in self.flows:
            # (Block.still counts blocks quiet, not held and with no press let go: the newest
            # one is so, and the flow stage changes none of them between its blocks)
            if f.flow_mg_s >= _NET_FLOW_MG_S and f.block.still >= _NET_STILL_BLOCKS:
                settled = 1
        if settled:
            if self._t_net_ms < 0:
                self._t_net_ms = t_ms
        else:
            self._t_net_ms = -1
        volume_mg = self._settled_mg()
        if volume_mg - self._v0_mg < _NET_EMPTY_MG:
            fresh = True
            for f in self.flows:
                if not f.settled_now:
                    fresh = False
            if fresh:  # no milk yet on weight just seen settled: the onset is later
                self._t_empty_ms = t_ms
        if volume_mg - self._v0_mg < _NET_MILK_MG and (
            self._t_net_ms < 0 or t_ms - self._t_net_ms < _NET_FLOW_MS
        ):
            return
        ch = 0
        if self.n_channels == 2 and self.channel_volume_mg(1) > self.channel_volume_mg(0):
            ch = 1
        rate = flow_mg_s if flow_mg_s > 50 else 50
        back_ms = 2 * (volume_mg - self._v0_mg) // rate * 1000  # <= 2 * 2e6 / 50 * 1000: int
        if back_ms < 0:
            back_ms = 0
        onset_ms = t_ms - back_ms
        if onset_ms < self._t_empty_ms:  # not before the bottles were last seen empty
            onset_ms = self._t_empty_ms
        self.detector.found(t_ms, ch)
        # the milk has started on that bottle, as at the detector's own first letdown: its
        # tare stops following the weight as drift (it went on, and took up to 5 g of the
        # first ejection's milk as drift: low_volume-1204 of seeds 1200, found by the net
        # after a walk, read 11.5 mL for 16.3). The level without the milk: the level less
        # the settled milk, now (the tare, within 3 noise units; milk_started)
        f = self.flows[ch]
        f.milk_started(f.level_mg - f.settled_mg, 0)
        self._letdown(t_ms, ch, onset_ms)

    @micropython.native
    def _drain_coach(self, t_ms):
        c = self.coach
        if self._fused:
            v = self.volume_mg()
            f = self._flow_mg_s()
        else:  # volume_mg() and _flow_mg_s() written out (every 100 ms)
            fl = self._flow0
            v = fl.volume_mg
            f = fl.flow_mg_s
            fl = self._flow1
            if fl is not None:
                v += fl.volume_mg
                f += fl.flow_mg_s
        if self.t_first_letdown_ms < 0 and c.active:
            self._safety_net(t_ms, f)
        # the coach's own gate (no massage while milk flows strongly) on the faster of the two
        # flow estimates of each bottle: a new ejection shows in the 5-block one first
        fl = self._flow0
        g = fl.fast_mg_s - fl.flow_mg_s
        if g > 0:
            f += g
        fl = self._flow1
        if fl is not None:
            g = fl.fast_mg_s - fl.flow_mg_s
            if g > 0:
                f += g
        # blind: a bottle's flow stage holds (a tilt past the correction, a knock, a hand on
        # the bottle), so the flow is not known; or the detector weighs a rise as an onset
        # (Detector.weighing: a third of the CUSUM's threshold, half the floor path's need, or
        # milk that came during a hold that the resume path has yet to test):
        # a new ejection shows in the flow estimates seconds after that (low_volume-604 of
        # seeds 600: `done` came 9 s into an ejection on both bottles, found 3 s later). The
        # coach's next step waits as it does for a strong flow, at most _BLIND_MAX_MS
        # (massage strokes can hold for minutes)
        if self._flow0.holding or (fl is not None and fl.holding) or self.detector.weighing():
            if self._t_blind_ms < 0:
                self._t_blind_ms = t_ms
            if t_ms - self._t_blind_ms < _BLIND_MAX_MS and f < _COACH_STRONG_MG_S:
                f = _COACH_STRONG_MG_S
        else:
            self._t_blind_ms = -1
        # in hand expression the next step is `done`, which ends the session: it waits
        # while a stage holds, however long, and until each flow estimate is clear of it
        if c.phase == _PH_HAND_EXPRESSION and f < _COACH_STRONG_MG_S:
            if self._flow0.calm_blocks < _DONE_CALM_BLOCKS or (
                fl is not None and fl.calm_blocks < _DONE_CALM_BLOCKS
            ):
                f = _COACH_STRONG_MG_S
        cue = c.tick(t_ms, v, f)
        # the detector's lone-bottle confirmation guards against a hand's first stroke; the
        # coach knows when hands are off the bottles: pumping before it asks for stimulation,
        # and after a letdown until it asks for massage or hand expression
        ph = c.phase
        self.detector.hands_free = ph == _PH_EXPRESSING or (
            ph == _PH_STIMULATION and not c.stimulated
        )
        # a new cue may close the previous cue's window: report that result first, so
        # readers pair each result with the cue before it (c.news: rare, one attribute)
        if c.news and c.has_result():  # a cue's window closed
            result = c.pop_result()
            if result is not None:
                self.sink.emit(t_ms, _EV_CUE_RESULT, result[1], result[2])
        if cue != _CUE_NONE:
            self.cues += 1
            self.sink.emit(t_ms, _EV_CUE, 0, cue)
        if c.news:
            phase = c.pop_phase_change()
            if phase >= 0:
                self.sink.emit(t_ms, _EV_PHASE, 0, phase)

    # -- other inputs ----------------------------------------------------------------------
    def on_button(self, t_ms, kind):
        self.sink.emit(t_ms, _EV_BUTTON, 0, kind)
        self.coach.on_button(t_ms, kind)
        self._drain_coach(t_ms)

    def on_fault(self, t_ms, fault, ch=0):
        self.faults += 1
        self.sink.emit(t_ms, _EV_FAULT, ch, fault)
        self.coach.on_fault(t_ms, fault)
        self._drain_coach(t_ms)

    # -- figures ---------------------------------------------------------------------------
    def channel_volume_mg(self, ch):
        fu = self.fusions[ch]
        return fu.volume_mg if fu is not None else self.flows[ch].volume_mg

    def volume_mg(self):
        if self.n_channels == 2:
            return self.channel_volume_mg(0) + self.channel_volume_mg(1)
        return self.channel_volume_mg(0)

    def duration_ms(self):
        return self.t_last_ms - self.t_start_ms

    @property
    def done(self):
        return self.coach.finished
