# The hands-on pumping coach: detections + button + time -> protocol phase and cues.
#
#     c = Coach(cfg)
#     c.start(t_ms)
#     per sample:  c.on_detection(t_ms, code, ch[, onset_ms])  # EV_LETDOWN / EV_TAPER
#                  cue = c.tick(t_ms, volume_mg)        # CUE_* to give now, or CUE_NONE
#                  ph = c.pop_phase_change()            # PH_* entered, or -1
#                  if c.has_result(): t_cue_ms, cue, mg = c.pop_result()   # rare
#                  (c.news: False when both are empty: one attribute to look at per tick)
#     c.on_button(t_ms, kind); c.on_fault(t_ms, fault)   # any time
#     c.stop(t_ms)                                       # session ended for another reason
#
# The protocol (Morton's hands-on pumping; a physician's "no longer than about 15 minutes"):
#
#   stimulation --letdown--> expressing --taper--> massage round --letdown--> expressing ...
#        |  `stimulate` at stimulate_after_s          | taper again: `massage` again, same round
#        |                                            | rounds spent, or no letdown within
#        |                                            v massage_round_s
#        |                          [single pumping --taper / single_pump_s-->] hand expression
#        |                                                                        |
#        +--------------- max_session_s (any phase) --> done <-- taper, or flow stopped
#
# A massage round that times out may have worked: the detector reports an ejection about 11 s
# after its onset (bench median), so one that began in the round's last seconds is found in
# the next step. A letdown whose estimated onset lies before the step that the timeout began,
# or in its first 8 s (the estimate runs late), answers the round: back to expressing, with
# its cue (hand_express then letdown).
# Cues: `letdown` on entering expressing; `massage` on a taper while rounds remain;
# `single_pump` / `hand_express` for the final steps; `done` at the end (sets `finished`);
# `fault` for sensor / storage faults (rate limited); `storage_full` for FAULT_STORAGE_LOW.
# Guarantees: no `massage` / `hand_express` before the first letdown (a taper while still
# waiting for the first letdown is ignored: nothing has flowed); a taper in an active phase
# queues its answer at once, so it is given at the next tick (same sample), except in
# expressing: there `massage` (or the final step) comes _TAPER_WAIT_MS later, if the flow
# estimate stayed under the gate meanwhile and no letdown came (a weak ejection starting as
# the last one tapers, 0.2-0.3 g/s with a 10-20-s rise, crosses the gate 4-8 s after its onset
# and shows in the 5-block estimate ~2.5 s after that: 8 s; rounds 32-33 of issue 12 in
# docs/detection-history.md). Such a taper (the flow under the gate when it came) is in doubt
# while the flow estimate comes back to the taper threshold (0.1 g/s: the detector's
# `taper_mg_s` default, _FLOWING_MG_S) within _TAPER_DOUBT_MS of it: the step then waits until
# the flow has stayed under that for _CALM_MS (round 35: a new ejection under a hand's strokes
# reads 0.10-0.12 g/s in the estimate while it truly brings 0.15-0.2). A taper that came in
# strong flow is not: the flow falling through 0.1-0.12 g/s is the other bottle's. Two bottles
# taper separately: one step, one cue: a second taper that adds nothing new (during a massage
# round with no letdown since it began, or within taper_merge_s of the taper that began the
# single-pump / hand expression step) is answered by the cue already given.
# The safety net, whatever the detector says (tick's `flow_mg_s`: the flow estimate of all
# bottles): no `massage` or `hand_express` while the flow is >= 120 mg/s (a taper then is
# ignored, a timed step waits; the line is 150 mg/s of true flow, and the estimate
# scatters by +-30-40 mg/s, so the gate keeps that margin below it); `done` before
# max_session_s only from hand expression once the volume grew less than flow_stopped_mg
# over hand_express_stop_s and the flow is under 100 mg/s (a taper there is not enough). The
# session turns milk in the bottles during stimulation into the first letdown (session.py), so
# `stimulate` never comes after it.
#
# Cue results: a `massage`, `single_pump` or `hand_express` cue opens a window of
# cue_result_s; the volume growth over it (closed early by the next step's cue or the end of
# the session; a repeated cue within the same step does not reopen it) becomes a result
# (t_cue_ms, cue, mg) for EV_CUE_RESULT. A window closed by on_detection / stop() uses the
# volume of the latest tick (one sample old).
#
# autostart.AutoStart starts a session by itself when a bottle's weight settles and flow
# begins (its own module: the session does not carry it). Keys are read with
# cfg.get(key, default), the defaults being config's schema (a test checks they agree); this
# module does not import config, so the app may drop config after boot.
#
# Limits: one session at a time; bottles are not told apart beyond the taper merging above.
# tick() and the on_* calls allocate nothing in steady state (integers, preallocated
# bytearrays); only closing a cue-result window allocates (a tuple, a few times a session).
from array import array

import micropython
from micropython import const

URGENCY = b"\x00\x02\x01\x03\x04\x05\x06\x02\x03\x06"  # events.URGENCY (test_event_codes)

# The codes this module uses, private copies of events.py's: folded into the bytecode, they
# take no heap (tests/host/test_event_codes.py checks that they agree).
_EV_LETDOWN = const(1)
_EV_TAPER = const(2)
_CUE_NONE = const(0)
_CUE_STIMULATE = const(1)
_CUE_LETDOWN = const(2)
_CUE_MASSAGE = const(3)
_CUE_HAND_EXPRESS = const(4)
_CUE_DONE = const(5)
_CUE_FAULT = const(6)
_CUE_STORAGE_FULL = const(7)
_CUE_SINGLE_PUMP = const(8)
_PH_IDLE = const(0)
_PH_STIMULATION = const(1)
_PH_EXPRESSING = const(2)
_PH_MASSAGE = const(3)
_PH_HAND_EXPRESSION = const(4)
_PH_DONE = const(5)
_PH_SINGLE_PUMP = const(6)
_BTN_SHORT = const(1)
_BTN_LONG = const(2)
_BTN_DOUBLE = const(3)
_FAULT_NONE = const(0)
_FAULT_CONFIG = const(3)
_FAULT_STORAGE_LOW = const(5)
_FAULT_CLOCK = const(6)

_MASSAGE_MAX_MG_S = const(120)  # no massage / hand_express at this flow or above (module comment)
_DONE_MAX_MG_S = const(100)  # no done before the maximum time at this flow or above
_FLOWING_MG_S = const(100)  # a waiting taper is in doubt at this flow ... (module comment)
_TAPER_DOUBT_MS = const(20000)  # ... this soon after it
# a letdown's estimated onset runs late (bench, four sets: 3.3 s median, 7.4 s p90), so one
# estimated within this of the step's start may have begun in the round before it
_ONSET_LATE_MS = const(8000)
_CALM_MS = const(10000)  # a waiting taper is answered once the flow stayed below that 10 s
_TAPER_WAIT_MS = const(8000)  # a taper in expressing: answered this much later (module comment)
_N_CUES = const(9)
_QUEUE = const(4)  # cues waiting for tick(); more than two at once is already unusual
_PHASES = const(4)  # phase changes waiting for pop_phase_change()


# The coach's integers: one array('i'), a slot each (Coach._st). An attribute's name would be
# interned (a heap entry per name) and take a place in the instance's map; a slot is 4 bytes.
_S_STIMULATE_REPEAT_MS = const(0)
_S_MASSAGE_ROUNDS = const(1)
_S_MASSAGE_ROUND_MS = const(2)
_S_SINGLE_PUMP_STEP = const(3)
_S_SINGLE_PUMP_MS = const(4)
_S_HAND_EXPRESS_STOP_MS = const(5)
_S_FLOW_STOPPED_MG = const(6)
_S_CUE_RESULT_MS = const(7)
_S_TAPER_MERGE_MS = const(8)
_S_FAULT_CUE_GAP_MS = const(9)
_S_SINGLE_DONE = const(10)
_S_STEP = const(11)
_S_T_STEP_MS = const(12)
_S_FLOW_IN_STEP = const(13)
_S_AFTER_ROUND = const(14)
_S_TAPER_WAITING = const(15)
_S_T_STRONG_MS = const(16)
_S_T_STIMULATE_MS = const(17)
_S_STIMULATE_DUE = const(18)
_S_T_FAULT_CUE_MS = const(19)
_S_FAULT_CUED = const(20)
_S_V_LAST_MG = const(21)
_S_FLOW_MG_S = const(22)
_S_V_REF_MG = const(23)
_S_T_REF_MS = const(24)
_S_QN = const(25)
_S_PN = const(26)
_S_RES_CUE = const(27)
_S_RES_STEP = const(28)
_S_RES_T_MS = const(29)
_S_RES_V0_MG = const(30)
_S_T_TAPER_MS = const(31)
_S_SLOTS = const(32)


class Coach:
    def __init__(self, cfg=None):
        g = (cfg or {}).get  # defaults: config.SCHEMA's (a test checks they agree)
        self._st = array("i", bytes(4 * _S_SLOTS))  # the settings and integer state (_S_*)
        self.stimulate_after_ms = int(g("stimulate_after_s", 180)) * 1000
        self._st[_S_STIMULATE_REPEAT_MS] = int(g("stimulate_repeat_s", 0)) * 1000
        self.max_session_ms = int(g("max_session_s", 900)) * 1000
        self._st[_S_MASSAGE_ROUNDS] = int(g("massage_rounds", 2))
        self._st[_S_MASSAGE_ROUND_MS] = int(g("massage_round_s", 240)) * 1000
        self._st[_S_SINGLE_PUMP_STEP] = g("after_massage", "hand_express") == "single_pump"
        self._st[_S_SINGLE_PUMP_MS] = int(g("single_pump_s", 240)) * 1000
        self._st[_S_HAND_EXPRESS_STOP_MS] = int(g("hand_express_stop_s", 120)) * 1000
        self._st[_S_FLOW_STOPPED_MG] = int(g("flow_stopped_mg", 1000))
        self._st[_S_CUE_RESULT_MS] = int(g("cue_result_s", 180)) * 1000
        self._st[_S_TAPER_MERGE_MS] = int(g("taper_merge_s", 60)) * 1000
        self._st[_S_FAULT_CUE_GAP_MS] = int(g("fault_cue_gap_s", 60)) * 1000
        self._cue_on = bytearray(_N_CUES)
        on = self._cue_on  # which cues are given
        on[_CUE_STIMULATE] = 1 if g("cue_stimulate", True) else 0
        on[_CUE_LETDOWN] = 1 if g("cue_letdown", True) else 0
        on[_CUE_MASSAGE] = 1 if g("cue_massage", True) else 0
        on[_CUE_SINGLE_PUMP] = 1 if g("cue_single_pump", True) else 0
        on[_CUE_HAND_EXPRESS] = 1 if g("cue_hand_express", True) else 0
        on[_CUE_DONE] = 1 if g("cue_done", True) else 0
        on[_CUE_FAULT] = 1 if g("cue_fault", True) else 0
        on[_CUE_STORAGE_FULL] = 1 if g("cue_storage_full", True) else 0
        self._queue = bytearray(_QUEUE)
        self._phase_q = bytearray(_PHASES)
        self._results = []
        self._reset(0)

    def _reset(self, t_ms):
        st = self._st
        self.phase = _PH_IDLE
        self.finished = False
        self.ended_by_user = False
        self.t_start_ms = t_ms
        self.t_phase_ms = t_ms  # when the current phase began
        self.t_first_letdown_ms = -1
        self.letdowns = 0
        self.tapers = 0
        self.rounds_done = 0  # massage rounds begun
        self.acks = 0  # short presses
        self.marks = 0  # double presses
        self.fault = _FAULT_NONE  # the latest fault not cleared
        st[_S_SINGLE_DONE] = False
        st[_S_STEP] = 0  # protocol steps taken (massage rounds, single pump, hand expression)
        st[_S_T_STEP_MS] = t_ms  # when the current step began
        st[_S_FLOW_IN_STEP] = False  # a letdown came during the current step
        st[_S_AFTER_ROUND] = False  # the current step began when a massage round timed out
        st[_S_TAPER_WAITING] = False  # a taper came while milk still flowed strongly
        st[_S_T_STRONG_MS] = t_ms  # the latest tick at which the flow estimate was strong
        st[_S_T_TAPER_MS] = t_ms  # the latest taper that came with the flow under the gate
        st[_S_T_STIMULATE_MS] = 0
        st[_S_STIMULATE_DUE] = False
        self.stimulated = False  # `stimulate` was cued in this session (hands may be on)
        st[_S_T_FAULT_CUE_MS] = 0
        st[_S_FAULT_CUED] = _FAULT_NONE
        st[_S_V_LAST_MG] = 0  # volume at the latest tick
        st[_S_FLOW_MG_S] = 0  # flow estimate of all bottles at the latest tick
        st[_S_V_REF_MG] = 0  # hand expression: volume when flow was last seen growing
        st[_S_T_REF_MS] = t_ms
        st[_S_QN] = 0
        st[_S_PN] = 0
        self.news = False  # a phase change or a cue result waits (pop_*): read-only
        st[_S_RES_CUE] = _CUE_NONE  # cue whose result window is open
        st[_S_RES_STEP] = 0  # ... and the step it belongs to
        st[_S_RES_T_MS] = 0
        st[_S_RES_V0_MG] = 0
        del self._results[:]

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, t_ms):
        """Begin a session: waiting for the first letdown."""
        self._reset(t_ms)
        self._st[_S_T_STIMULATE_MS] = t_ms + self.stimulate_after_ms
        self._st[_S_STIMULATE_DUE] = True
        self._set_phase(t_ms, _PH_STIMULATION)

    def stop(self, t_ms):
        """The session ends for a reason other than `done` (button, trace end): no cue."""
        if self.phase == _PH_IDLE or self.finished:
            return
        self.finished = True
        self._set_phase(t_ms, _PH_DONE)
        self._drop_protocol_cues()
        self._close_result()

    @property
    def active(self):
        return self.phase != _PH_IDLE and not self.finished

    # -- inputs ------------------------------------------------------------------------------
    def on_detection(self, t_ms, code, ch, onset_ms=-1):
        """A letdown or taper from the detector (ch: 0-based bottle, not used; onset_ms: a
        letdown's estimated onset, -1 when not known)."""
        st = self._st
        if not self.active:
            return
        ph = self.phase
        if code == _EV_LETDOWN:
            self.letdowns += 1
            st[_S_FLOW_IN_STEP] = True
            st[_S_TAPER_WAITING] = False  # flow is back: its own taper will come
            if self.t_first_letdown_ms < 0:
                self.t_first_letdown_ms = t_ms
            if ph == _PH_STIMULATION or ph == _PH_MASSAGE:
                self._set_phase(t_ms, _PH_EXPRESSING)
                self._cue(_CUE_LETDOWN)
            elif st[_S_AFTER_ROUND] and 0 <= onset_ms < st[_S_T_STEP_MS] + _ONSET_LATE_MS:
                # the ejection began in the massage round whose timeout began this step
                st[_S_AFTER_ROUND] = False
                if ph == _PH_SINGLE_PUMP:
                    st[_S_SINGLE_DONE] = False
                self._close_result()
                self._set_phase(t_ms, _PH_EXPRESSING)
                self._cue(_CUE_LETDOWN)
            elif ph == _PH_SINGLE_PUMP:
                self.t_phase_ms = t_ms  # flow is back: keep single pumping while it lasts
            elif ph == _PH_HAND_EXPRESSION:
                st[_S_T_REF_MS] = t_ms  # hand expression is working
        elif code == _EV_TAPER:
            self.tapers += 1
            if st[_S_FLOW_MG_S] >= _MASSAGE_MAX_MG_S:
                # the other bottle (or a new ejection) still flows strongly: the step waits
                # for the flow to fall (tick), it is not forgotten
                st[_S_TAPER_WAITING] = ph == _PH_EXPRESSING or ph == _PH_SINGLE_PUMP
                return
            if ph == _PH_EXPRESSING:
                # answered once the flow has stayed under the gate for _TAPER_WAIT_MS more (the
                # tick, as for a taper in strong flow): a new ejection starting as the last one
                # tapers shows in the 5-block estimate, or as a letdown, within that
                st[_S_TAPER_WAITING] = True
                st[_S_T_TAPER_MS] = t_ms  # (in doubt for a while: tick)
                x = t_ms - _CALM_MS + _TAPER_WAIT_MS  # (as if the flow had been strong then)
                if st[_S_T_STRONG_MS] < x:
                    st[_S_T_STRONG_MS] = x
            elif ph == _PH_SINGLE_PUMP:
                if st[_S_FLOW_IN_STEP] or t_ms - st[_S_T_STEP_MS] >= st[_S_TAPER_MERGE_MS]:
                    self._hand_expression(t_ms)
                # else: the other bottle tapering just after the one that began this step:
                # the cue already given answers it
            # _PH_MASSAGE: no letdown since the round began: still tapered (often the other
            # bottle's taper); the round's cue answers it and the round goes on.
            # _PH_HAND_EXPRESSION: a taper is not enough to stop: done comes when the volume
            # stopped growing (tick). _PH_STIMULATION: no letdown yet, nothing to massage for

    def on_button(self, t_ms, kind):
        """A press: LONG starts / stops the session, SHORT acknowledges, DOUBLE marks."""
        if kind == _BTN_LONG:
            if self.active:
                self.ended_by_user = True
                self.stop(t_ms)
            else:
                self.start(t_ms)
        elif kind == _BTN_SHORT:
            self.acks += 1
        elif kind == _BTN_DOUBLE:
            self.marks += 1

    def on_fault(self, t_ms, fault):
        """A fault (FAULT_*); _FAULT_NONE clears it. Rate-limited `fault` cue; phase kept."""
        st = self._st
        if fault == _FAULT_NONE:
            self.fault = _FAULT_NONE
            return
        self.fault = fault
        if fault == _FAULT_CLOCK or fault == _FAULT_CONFIG:
            return  # not the wearer's to fix mid-session; logged by the caller
        if fault == st[_S_FAULT_CUED] and t_ms - st[_S_T_FAULT_CUE_MS] < st[_S_FAULT_CUE_GAP_MS]:
            return
        st[_S_FAULT_CUED] = fault
        st[_S_T_FAULT_CUE_MS] = t_ms
        self._cue(_CUE_STORAGE_FULL if fault == _FAULT_STORAGE_LOW else _CUE_FAULT)

    # -- per sample --------------------------------------------------------------------------
    @micropython.native
    def tick(self, t_ms, volume_mg, flow_mg_s=0):
        """Time-driven steps; returns the most urgent queued cue, or _CUE_NONE. flow_mg_s:
        the flow estimate of all bottles (the safety net's input)."""
        st = self._st
        st[_S_V_LAST_MG] = volume_mg
        st[_S_FLOW_MG_S] = flow_mg_s
        if flow_mg_s >= _MASSAGE_MAX_MG_S or (
            flow_mg_s >= _FLOWING_MG_S
            and st[_S_TAPER_WAITING]
            and t_ms - st[_S_T_TAPER_MS] < _TAPER_DOUBT_MS
        ):
            st[_S_T_STRONG_MS] = t_ms
        if self.phase != _PH_IDLE and not self.finished:
            if t_ms - self.t_start_ms >= self.max_session_ms:
                self._done(t_ms)
            else:
                ph = self.phase
                if ph == _PH_STIMULATION:
                    if st[_S_STIMULATE_DUE] and t_ms >= st[_S_T_STIMULATE_MS]:
                        self._cue(_CUE_STIMULATE)
                        self.stimulated = True
                        if st[_S_STIMULATE_REPEAT_MS] > 0:
                            st[_S_T_STIMULATE_MS] = t_ms + st[_S_STIMULATE_REPEAT_MS]
                        else:
                            st[_S_STIMULATE_DUE] = False
                elif flow_mg_s >= _MASSAGE_MAX_MG_S:
                    pass  # milk flows strongly: the next step waits
                elif st[_S_TAPER_WAITING] and t_ms - st[_S_T_STRONG_MS] >= _CALM_MS:
                    st[_S_TAPER_WAITING] = False  # the taper that came during strong flow
                    if ph == _PH_EXPRESSING:
                        self._after_taper(t_ms)
                    elif ph == _PH_SINGLE_PUMP:
                        self._hand_expression(t_ms)
                elif ph == _PH_MASSAGE:
                    if t_ms - self.t_phase_ms >= st[_S_MASSAGE_ROUND_MS]:
                        self._final_step(t_ms)  # flow no longer returns ...
                        st[_S_AFTER_ROUND] = True  # ... unless a letdown is found late
                elif ph == _PH_SINGLE_PUMP:
                    if t_ms - self.t_phase_ms >= st[_S_SINGLE_PUMP_MS]:
                        self._hand_expression(t_ms)
                if ph == _PH_HAND_EXPRESSION:
                    if volume_mg - st[_S_V_REF_MG] >= st[_S_FLOW_STOPPED_MG]:
                        st[_S_V_REF_MG] = volume_mg
                        st[_S_T_REF_MS] = t_ms
                    elif (
                        t_ms - st[_S_T_REF_MS] >= st[_S_HAND_EXPRESS_STOP_MS]
                        and flow_mg_s < _DONE_MAX_MG_S
                    ):
                        self._done(t_ms)
        if st[_S_RES_CUE] != _CUE_NONE and t_ms - st[_S_RES_T_MS] >= st[_S_CUE_RESULT_MS]:
            self._close_result()
        if st[_S_QN] == 0:
            return _CUE_NONE
        q = self._queue
        cue = q[0]
        n = st[_S_QN] - 1
        for i in range(n):
            q[i] = q[i + 1]
        st[_S_QN] = n
        if cue == _CUE_MASSAGE or cue == _CUE_HAND_EXPRESS or cue == _CUE_SINGLE_PUMP:
            if cue != st[_S_RES_CUE] or st[_S_RES_STEP] != st[_S_STEP]:  # not a repeat
                self._close_result()
                st[_S_RES_CUE] = cue
                st[_S_RES_STEP] = st[_S_STEP]
                st[_S_RES_T_MS] = t_ms
                st[_S_RES_V0_MG] = volume_mg
        return cue

    # -- outputs for the session -------------------------------------------------------------
    def pop_phase_change(self):
        """The oldest phase entered since the last call (PH_*), or -1."""
        st = self._st
        if st[_S_PN] == 0:
            return -1
        q = self._phase_q
        ph = q[0]
        n = st[_S_PN] - 1
        for i in range(n):
            q[i] = q[i + 1]
        st[_S_PN] = n
        self.news = n > 0 or len(self._results) > 0
        return ph

    def has_result(self):
        return len(self._results) > 0

    def pop_result(self):
        """(t_cue_ms, cue, mg) for the oldest closed cue-result window, or None."""
        if self._results:
            result = self._results.pop(0)
            self.news = self._st[_S_PN] > 0 or len(self._results) > 0
            return result
        return None

    # -- the protocol ------------------------------------------------------------------------
    def _new_step(self, t_ms, phase):
        st = self._st
        st[_S_STEP] += 1
        st[_S_T_STEP_MS] = t_ms
        st[_S_FLOW_IN_STEP] = False
        st[_S_AFTER_ROUND] = False
        self._set_phase(t_ms, phase)

    def _after_taper(self, t_ms):
        if self.rounds_done < self._st[_S_MASSAGE_ROUNDS]:
            self.rounds_done += 1
            self._new_step(t_ms, _PH_MASSAGE)
            self._cue(_CUE_MASSAGE)
        else:
            self._final_step(t_ms)

    def _final_step(self, t_ms):
        st = self._st
        if st[_S_SINGLE_PUMP_STEP] and not st[_S_SINGLE_DONE]:
            st[_S_SINGLE_DONE] = True
            self._new_step(t_ms, _PH_SINGLE_PUMP)
            self._cue(_CUE_SINGLE_PUMP)
        else:
            self._hand_expression(t_ms)

    def _hand_expression(self, t_ms):
        st = self._st
        self._new_step(t_ms, _PH_HAND_EXPRESSION)
        st[_S_V_REF_MG] = st[_S_V_LAST_MG]
        st[_S_T_REF_MS] = t_ms
        self._cue(_CUE_HAND_EXPRESS)

    def _done(self, t_ms):
        self.finished = True
        self._set_phase(t_ms, _PH_DONE)
        self._drop_protocol_cues()
        self._cue(_CUE_DONE)
        self._close_result()

    def _drop_protocol_cues(self):
        """The session is over: steps not yet given are moot (fault / storage cues stay)."""
        q = self._queue
        keep = 0
        for i in range(self._st[_S_QN]):
            c = q[i]
            if c == _CUE_FAULT or c == _CUE_STORAGE_FULL:
                q[keep] = c
                keep += 1
        self._st[_S_QN] = keep

    def _set_phase(self, t_ms, phase):
        if phase == self.phase:
            return
        self.phase = phase
        self.t_phase_ms = t_ms
        q = self._phase_q
        n = self._st[_S_PN]
        if n == _PHASES:  # full: drop the oldest
            for i in range(n - 1):
                q[i] = q[i + 1]
            n -= 1
        q[n] = phase
        self._st[_S_PN] = n + 1
        self.news = True

    def _cue(self, cue):
        """Queue `cue` (when it is on), most urgent first; full: the least urgent is dropped."""
        if not self._cue_on[cue]:
            return
        q = self._queue
        n = self._st[_S_QN]
        u = URGENCY[cue]
        i = 0
        while i < n and URGENCY[q[i]] >= u:
            i += 1
        if n == _QUEUE:
            if i == n:
                return  # less urgent than everything waiting
            n -= 1
        j = n
        while j > i:
            q[j] = q[j - 1]
            j -= 1
        q[i] = cue
        self._st[_S_QN] = n + 1

    def _close_result(self):
        st = self._st
        if st[_S_RES_CUE] == _CUE_NONE:
            return
        mg = st[_S_V_LAST_MG] - st[_S_RES_V0_MG]
        self._results.append((st[_S_RES_T_MS], st[_S_RES_CUE], mg if mg > 0 else 0))
        self.news = True
        st[_S_RES_CUE] = _CUE_NONE
