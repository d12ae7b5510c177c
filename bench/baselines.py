"""The two baselines `make bench` prints beside the firmware (CPython, causal, per bottle).

    trace = pumpmon.trace.read_csv(path)         # the same CSV the firmware replays
    pred = gaggiuino(trace)                      # -> bench.score.Prediction
    pred = lsq_slope(trace)

- `gaggiuino`: how espresso-scale firmware does flow (Gaggiuino): flow = dW/dt between
  consecutive distinct readings, clamped >= 0, smoothed by a scalar Kalman filter
  (SimpleKalmanFilter, e_mea = 0.5, e_est = 0.5, q = 0.01); flow >= 0.1 g/s is "flowing".
  A letdown is reported when the smoothed flow rises through 0.1 g/s, a taper when it
  falls back below. Volume: the median reading of the last second, >= 0, / 1.03 g/mL.
- `lsq_slope`: the least-squares slope of weight over a sliding window (6 s), with
  hysteresis: letdown when the slope reaches 0.15 g/s, taper when it falls below
  0.06 g/s. Volume: the window's fitted line at the last sample, >= 0, / 1.03 g/mL.

Both decide at the sample they see (no look-ahead), as a device would. Neither knows about
spikes, motion, tilt or hand pressure: that is the point of comparing against them.
Limits: parameters are the issue's (Gaggiuino) or plain round choices (slope), not tuned on
the benchmark set.
"""

from __future__ import annotations

from collections import deque

from bench.score import Prediction

MILK_DENSITY_G_ML = 1.03
FLOW_THRESHOLD_G_S = 0.1
LSQ_WINDOW_S = 6.0
LSQ_ON_G_S = 0.15
LSQ_OFF_G_S = 0.06


class SimpleKalmanFilter:
    """Port of the Arduino SimpleKalmanFilter (denyssene) used by Gaggiuino."""

    def __init__(self, e_mea: float, e_est: float, q: float):
        self.err_measure = e_mea
        self.err_estimate = e_est
        self.q = q
        self.last_estimate = 0.0

    def update(self, measurement: float) -> float:
        gain = self.err_estimate / (self.err_estimate + self.err_measure)
        current = self.last_estimate + gain * (measurement - self.last_estimate)
        self.err_estimate = (1.0 - gain) * self.err_estimate + abs(
            self.last_estimate - current
        ) * self.q
        self.last_estimate = current
        return current


def _channels(trace) -> list[list[int]]:
    chans = [trace.w1_mg]
    if trace.w2_mg is not None:
        chans.append(trace.w2_mg)
    return chans


def _final_median_g(t_ms: list[int], w_mg: list[int]) -> float:
    t_end = t_ms[-1]
    tail = [w for t, w in zip(t_ms, w_mg) if t >= t_end - 1000]
    tail.sort()
    return tail[len(tail) // 2] / 1000.0


def gaggiuino(trace) -> Prediction:
    letdowns: list[list[float]] = []
    tapers: list[list[float]] = []
    volume_g = 0.0
    t_ms = trace.t_ms
    for w_mg in _channels(trace):
        kf = SimpleKalmanFilter(0.5, 0.5, 0.01)
        ld: list[float] = []
        tp: list[float] = []
        prev_t, prev_w = t_ms[0], w_mg[0]
        flowing = False
        for t, w in zip(t_ms, w_mg):
            if w == prev_w or t == prev_t:
                continue
            flow_g_s = max(0.0, (w - prev_w) / (t - prev_t))  # mg/ms == g/s
            smoothed = kf.update(flow_g_s)
            prev_t, prev_w = t, w
            if not flowing and smoothed >= FLOW_THRESHOLD_G_S:
                flowing = True
                ld.append(t / 1000.0)
            elif flowing and smoothed < FLOW_THRESHOLD_G_S:
                flowing = False
                tp.append(t / 1000.0)
        letdowns.append(ld)
        tapers.append(tp)
        volume_g += max(0.0, _final_median_g(t_ms, w_mg))
    return Prediction(letdowns, tapers, volume_g / MILK_DENSITY_G_ML)


def lsq_slope(trace) -> Prediction:
    letdowns: list[list[float]] = []
    tapers: list[list[float]] = []
    volume_g = 0.0
    t_ms = trace.t_ms
    window_ms = int(LSQ_WINDOW_S * 1000)
    t0 = t_ms[0]
    for w_mg in _channels(trace):
        # exact integer running sums (ms, mg): no drift over a long session
        win: deque[tuple[int, int]] = deque()
        n = st = sw = stt = stw = 0
        ld: list[float] = []
        tp: list[float] = []
        on = False
        for t_abs, w in zip(t_ms, w_mg):
            t = t_abs - t0
            win.append((t, w))
            n += 1
            st += t
            sw += w
            stt += t * t
            stw += t * w
            while win[0][0] < t - window_ms:
                a, b = win.popleft()
                n -= 1
                st -= a
                sw -= b
                stt -= a * a
                stw -= a * b
            if n < 3 or t - win[0][0] < window_ms // 2:
                continue
            den = n * stt - st * st
            if den <= 0:
                continue
            slope_g_s = (n * stw - st * sw) / den  # mg/ms == g/s
            if not on and slope_g_s >= LSQ_ON_G_S:
                on = True
                ld.append(t_abs / 1000.0)
            elif on and slope_g_s < LSQ_OFF_G_S:
                on = False
                tp.append(t_abs / 1000.0)
        letdowns.append(ld)
        tapers.append(tp)
        # the fitted line at the last sample
        den = n * stt - st * st
        if n >= 2 and den > 0:
            slope = (n * stw - st * sw) / den
            intercept = (sw - slope * st) / n
            end_g = (intercept + slope * (t_ms[-1] - t0)) / 1000.0
        else:
            end_g = w_mg[-1] / 1000.0
        volume_g += max(0.0, end_g)
    return Prediction(letdowns, tapers, volume_g / MILK_DENSITY_G_ML)


BASELINES = {"gaggiuino": gaggiuino, "lsq_slope": lsq_slope}
