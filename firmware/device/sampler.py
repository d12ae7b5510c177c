# Samplers: where the app's samples come from, with every wait bounded.
#
#     sampler.start(); sampler.resume()  # begin; go on after a pause for the host
#     r = sampler.wait(max_wait_ms)   # 1 (SAMPLE): t_ms, w_mg[], accel_mgee[] are fresh
#                                     # 0 (WAITING): nothing yet (waited at most max_wait_ms)
#                                     # -1 (ENDED): the trace is over; -2 (FAULT): the ADC
#                                     # went silent
#
# AdcSampler reads real load cells (HX711 / NAU7802 drivers: ready(), read() -> counts)
# through Scale objects; TraceSampler replays a binary trace (drivers.trace) paced by the
# clock at `speed` times real time. Both fill preallocated arrays: no allocation per sample.
# Time comes from the injected `ticks_ms` / `ticks_diff` / `sleep_ms` (the time module's).
# Between conversions AdcSampler rests the CPU through the injected `rest(left_ms, due_ms)`
# (power.Power.rest: light sleep, or a wait of more than a FreeRTOS tick); without one it
# polls every millisecond (which the ESP32 port busy-spins).
import array

from micropython import const

# wait()'s answers: private (folded into the bytecode, no names interned); the app compares
# with the numbers, tests/firmware/mp/test_memory.py's sampler returns them
_SAMPLE = const(1)
_WAITING = const(0)
_ENDED = const(-1)
_FAULT = const(-2)


class _Sampler:
    """What the app reads after a sample (wait() returned 1): t_ms, w_mg[channel],
    accel_mgee[axis]."""

    def __init__(self, channels, has_accel, ticks_ms, ticks_diff, sleep_ms):
        self.channels = channels
        self.has_accel = has_accel
        self._ticks_ms = ticks_ms
        self._ticks_diff = ticks_diff
        self._sleep_ms = sleep_ms
        self.w_mg = array.array("i", (0, 0))
        self.accel_mgee = array.array("i", (0, 0, 1000))
        self.t_ms = 0


class TraceSampler(_Sampler):
    def __init__(self, source, speed_x1000, ticks_ms, ticks_diff, sleep_ms):
        super().__init__(source.channels, source.has_accel, ticks_ms, ticks_diff, sleep_ms)
        self.src = source
        self.speed_x1000 = max(1, speed_x1000)
        self._t0_real = 0
        self._t0_trace = -1

    def start(self):
        self._t0_real = self._ticks_ms()
        self._t0_trace = self.src.peek_t_ms()

    def resume(self):
        """After a pause (the host had the REPL): the trace goes on where it stopped."""
        self.start()

    def wait(self, max_wait_ms):
        src = self.src
        nxt = src.peek_t_ms()
        if nxt < 0:
            return _ENDED
        if self._t0_trace < 0:
            self.start()
        due_ms = (nxt - self._t0_trace) * 1000 // self.speed_x1000
        late_ms = self._ticks_diff(self._ticks_ms(), self._t0_real) - due_ms
        if late_ms < 0:
            self._sleep_ms(min(-late_ms, max_wait_ms))
            late_ms = self._ticks_diff(self._ticks_ms(), self._t0_real) - due_ms
            if late_ms < 0:
                return _WAITING
        src.advance()
        self.t_ms = src.t_ms
        self.w_mg[0] = src.field(1)
        self.w_mg[1] = src.field(2)
        if self.has_accel:
            self.accel_mgee[0] = src.field(3)
            self.accel_mgee[1] = src.field(4)
            self.accel_mgee[2] = src.field(5)
        return _SAMPLE


class AdcSampler(_Sampler):
    def __init__(
        self,
        adcs,
        scales,
        accel,
        ticks_ms,
        ticks_diff,
        sleep_ms,
        timeout_ms=1000,
        rest=None,
        period_ms=100,
    ):
        if not adcs:
            raise ValueError("the board has no load cell ADC")
        super().__init__(len(adcs), accel is not None, ticks_ms, ticks_diff, sleep_ms)
        self.adcs = adcs
        self.scales = scales
        self.accel = accel
        self.timeout_ms = timeout_ms
        self.period_ms = period_ms  # the ADC's conversion period (its rate)
        self._rest = rest
        self._t0 = 0
        self._last_ms = 0

    def start(self):
        self._t0 = self._ticks_ms()
        self._last_ms = 0

    def resume(self):
        """After a pause (the host had the REPL): session time went on (a gap in the log)."""
        self._last_ms = self._ticks_diff(self._ticks_ms(), self._t0)

    def wait(self, max_wait_ms):
        now = self._ticks_diff(self._ticks_ms(), self._t0)
        deadline = now + max_wait_ms
        adcs = self.adcs
        rest = self._rest
        while not adcs[0].ready():
            t = self._ticks_diff(self._ticks_ms(), self._t0)
            if t >= deadline:
                if now - self._last_ms > self.timeout_ms:
                    return _FAULT
                return _WAITING
            if rest is None:
                self._sleep_ms(1)
            else:
                rest(deadline - t, self._last_ms + self.period_ms - t)
        self.t_ms = self._ticks_diff(self._ticks_ms(), self._t0)
        self._last_ms = self.t_ms
        scales = self.scales
        self.w_mg[0] = scales[0].to_mg(adcs[0].read())
        if self.channels > 1:
            self.w_mg[1] = scales[1].to_mg(adcs[1].read())
        if self.accel is not None:
            self.accel.read_mgee_into(self.accel_mgee)
        return _SAMPLE
