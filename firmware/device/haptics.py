# Vibration cues: one distinct pattern per cue, played without blocking the sampler.
#
#     h = Haptics(motor, cfg)        # motor: .on(intensity_pct) / .off() (vibration, drv2605)
#     h.play(t_ms, CUE_MASSAGE)      # returns at once; the pattern runs from tick()
#     h.tick(t_ms)                   # call often: every sample, and between samples if you can
#     h.ack(t_ms)                    # a short press: stop the cue and cancel its repeat
#
# Patterns are alternating on/off durations in ms (on first), played from PATTERNS itself (see
# docs/cues.md for what each feels like). One pattern at a time: a newer cue at least as
# urgent as the one playing replaces it (the interrupted one is kept to play afterwards); a
# less urgent one waits for the current one to end (one waiting slot, most urgent kept).
# Back-to-back patterns are separated by 400 ms of silence so they never run together; a cue
# given again while its pattern is still playing is not restarted.
# With haptic_repeat on, a cue no short press acknowledged plays once more
# haptic_repeat_after_s after it ended.
#
# Limits: timing resolution is the tick interval; a step never gets skipped, a late tick only
# stretches it, so patterns stay recognisable when ticked at 10 Hz. tick() allocates nothing.
from micropython import const

# The event codes this module uses: private copies of shared/events.py's, folded into the
# bytecode, so the device does not load that module for them (its ~60 names stay out of
# the heap); tests/host/test_event_codes.py checks every copy.
_CUE_DONE = const(5)
_CUE_FAULT = const(6)
_CUE_HAND_EXPRESS = const(4)
_CUE_LETDOWN = const(2)
_CUE_MASSAGE = const(3)
_CUE_NONE = const(0)
_CUE_NOT_SAVED = const(9)
_CUE_SINGLE_PUMP = const(8)
_CUE_STIMULATE = const(1)
_CUE_STORAGE_FULL = const(7)
# Urgency per cue code (higher wins): a copy of events.URGENCY, which the coach's cue queue
# uses too (tests/host/test_event_codes.py checks it)
_URGENCY = b"\x00\x02\x01\x03\x04\x05\x06\x02\x03\x06"

_S = const(120)  # a short tap
_L = const(500)  # a long buzz
_G = const(250)  # the gap between elements
_SEPARATE_MS = const(400)  # silence between two patterns, so they never run together

# cue code -> pattern (on, off, on, ..., on); see docs/cues.md
PATTERNS = {
    _CUE_STIMULATE: (150, 450, 150, 450, 150, 450, 150),  # . . . .  four slow taps
    _CUE_LETDOWN: (_S, 150, _S),  # ..  quick double tap
    _CUE_MASSAGE: (_L, _G, _S, _G, _S),  # - . .  long, short, short
    _CUE_HAND_EXPRESS: (700, 300, 700),  # - -  two long buzzes
    _CUE_DONE: (1500,),  # ---  one very long buzz
    _CUE_FAULT: (80, 80, 80, 80, 80, 80, 80, 80, 80, 80, 80),  # ......  rapid buzzing
    _CUE_STORAGE_FULL: (_S, _G, _L, _G, _S, _G, _L),  # . - . -
    _CUE_SINGLE_PUMP: (_S, _G, _L),  # . -  short, long
    _CUE_NOT_SAVED: (_L, _G, _L, _G, _L),  # - - -  three long buzzes
}


def pattern_ms(cue):
    """Total length of a cue's pattern in ms (0 for none / unknown)."""
    return sum(PATTERNS.get(cue, ()))


class Haptics:
    def __init__(self, motor, cfg=None):
        g = (cfg or {}).get  # defaults: config.SCHEMA's (a test checks they agree)
        self.motor = motor
        self.intensity_pct = int(g("haptic_intensity_pct", 70))
        self.repeat = bool(g("haptic_repeat", True))
        self.repeat_after_ms = int(g("haptic_repeat_after_s", 20)) * 1000
        self.playing = _CUE_NONE  # the cue whose pattern is running
        self._pattern = ()  # its durations (PATTERNS[playing]: read in place, no copy)
        self._step = 0  # index into its pattern
        self._t_next_ms = 0  # when the current step ends
        self.waiting = _CUE_NONE  # a cue to play when the current one ends
        self._repeat_cue = _CUE_NONE  # the cue to repeat (unacknowledged)
        self._t_repeat_ms = 0
        self._repeat_armed = False  # a repeat is scheduled (after the pattern ended)
        self.played = 0  # patterns started (plays and repeats)
        self.motor_on = False
        motor.off()

    def play(self, t_ms, cue):
        """Start `cue`'s pattern now, or keep it waiting behind a more urgent one."""
        if cue not in PATTERNS:
            return
        cur = self.playing
        if cue == cur:
            return  # already being felt
        if cur != _CUE_NONE and _URGENCY[cue] < _URGENCY[cur]:
            self._wait(cue)
            return
        if cur != _CUE_NONE:
            self._wait(cur)  # interrupted: play it again afterwards
        self._begin(t_ms, cue, _SEPARATE_MS if cur != _CUE_NONE else 0)
        self._repeat_cue = cue  # the newest cue is the one a repeat refers to
        self._repeat_armed = False

    def _wait(self, cue):
        w = self.waiting
        if w == _CUE_NONE or _URGENCY[cue] >= _URGENCY[w]:
            self.waiting = cue

    def _begin(self, t_ms, cue, lead_ms):
        """Start `cue`; with lead_ms, after that much silence (step -1)."""
        if self.waiting == cue:
            self.waiting = _CUE_NONE
        self.playing = cue
        self._pattern = PATTERNS[cue]
        self.played += 1
        if lead_ms:
            self._step = -1
            self._t_next_ms = t_ms + lead_ms
            self.motor.off()
            self.motor_on = False
            return
        self._step = 0
        self._t_next_ms = t_ms + self._pattern[0]
        self.motor.on(self.intensity_pct)
        self.motor_on = True

    def tick(self, t_ms):
        """Advance the pattern; turn the motor on/off at step boundaries. Allocation free."""
        cue = self.playing
        if cue != _CUE_NONE:
            if t_ms < self._t_next_ms:
                return
            step = self._step + 1
            pattern = self._pattern
            if step < len(pattern):
                self._step = step
                self._t_next_ms = t_ms + pattern[step]
                if step & 1:
                    self.motor.off()
                    self.motor_on = False
                else:
                    self.motor.on(self.intensity_pct)
                    self.motor_on = True
                return
            self._end()
            if cue == self._repeat_cue and self.repeat and not self._repeat_armed:
                self._repeat_armed = True
                self._t_repeat_ms = t_ms + self.repeat_after_ms
            if self.waiting != _CUE_NONE:
                self._begin(t_ms, self.waiting, _SEPARATE_MS)
            return
        if self._repeat_cue != _CUE_NONE and self._repeat_armed and t_ms >= self._t_repeat_ms:
            rep = self._repeat_cue
            self._repeat_cue = _CUE_NONE  # repeated once only
            self._begin(t_ms, rep, 0)

    def _end(self):
        self.playing = _CUE_NONE
        self.motor.off()
        self.motor_on = False

    def ack(self, t_ms):
        """A short press: stop the cue being felt and cancel its repeat."""
        if self.playing != _CUE_NONE:
            self._end()
        self._repeat_cue = _CUE_NONE
        self._repeat_armed = False
        if self.waiting != _CUE_NONE:  # a different cue still has to be given
            self._begin(t_ms, self.waiting, _SEPARATE_MS)
            self._repeat_cue = self.playing

    def stop(self):
        """Silence everything (session end, low battery)."""
        self._end()
        self.waiting = _CUE_NONE
        self._repeat_cue = _CUE_NONE
        self._repeat_armed = False

    @property
    def busy(self):
        return self.playing != _CUE_NONE
