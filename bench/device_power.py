"""Bench, part of the device_cost section: the device's whole per-sample cost and the battery.

    .venv/bin/python -m bench --only device_cost

1. The device path per sample, in the MicroPython unix port, at 10 Hz (20-min session) and
   80 Hz (5-min session; a 20-min one at 80 Hz does not fit the unix port's preloaded array
   in a sensible heap): two HX711 reads as both HX711 board files run them
   (drivers.hx711.shift_in_regs, the viper loop on the GPIO registers: their pins are below
   32 on an ESP32 / ESP32-S3), over a register block in RAM (an array('i') at the offsets
   W1TS/W1TC/IN; on the chip each of its ~10 register accesses per bit also waits a few APB
   cycles, not counted here), with disable_irq/enable_irq bound to built-in functions (one C
   call each, as on the chip); Scale.to_mg twice, the LIS3DH driver's
   read_mgee_into (its I2C read a do-nothing method: the bus time is counted in the power
   model, not here), session.Session.on_sample and the log encoder
   (shared.logcodec.SegmentEncoder: sample and accel; sealed segments are discarded). The same
   loop calling a do-nothing function with the same arguments is timed in the same run: the
   ratio is what carries over to a board. Best of 3. The Pin-object read (shift_in_pins: other
   chips, `fast=False`) is timed alone in the same run and printed beside it.
2. The estimated ESP32 CPU duty: us per sample x ESP32_FACTOR x rate. ESP32_FACTOR = 200
   (ESP32 at 160 MHz; 120 for an ESP32-S3 at 240 MHz) is the issue-14 estimate from
   MicroPython's perf_bench run here against published ESP32 results; it is not measured on
   a board here and moves every duty and battery figure with it.
3. Time in each state, measured by running the firmware's own sampler, power and board code in
   the unix port with the pulse-level HX711 fakes (drivers.hx711, device.sampler.AdcSampler,
   device.power.Power, device.board.Board.wait_for_start): light sleeps per sample during a
   session (no host), and the time awake per 30-s timer wake between sessions.
4. The power model: mAh per day for each board at 8 twenty-minute two-bottle sessions a day
   (the AtomS3 and XIAO carry one bottle's ADC: their files fit one), from those times and the
   current per state in docs/hardware.md (CURRENTS below; datasheet figures, NOT measured on a
   board). Battery days on 500 mAh: `battery_days_500mah_by_board`, each board at its ADC's
   rate as built (the HX711's RATE pin low, 10 SPS; the NAU7802 at 80), and
   `battery_days_500mah_hx711_80sps`, the HX711 boards with RATE high (80 SPS).
"""

from __future__ import annotations

import os

from pumpmon import trace as trace_mod

from bench import scenarios as scn_mod
from bench.context import BenchContext, log

ESP32_FACTOR = {"esp32": 200.0, "esp32s3": 120.0}
SESSIONS_PER_DAY = 8
SESSION_S = 20 * 60
SLEEP_AFTER_S = 60  # board files: idle awake after a session before the first sleep
SLEEP_MAX_S = 30  # the timer wake between sessions
WAKE_OVERHEAD_MS = 1.0  # light sleep entry + exit (ESP-IDF docs: ~0.5-1 ms with flash on)
I2C_ACCEL_MS = 0.25  # one 6-byte LIS3DH/MPU6886 read at 400 kHz: awake, CPU mostly idle
CUES_MS_PER_SESSION = 8 * 1500  # about 8 cues of ~1.5 s each per session
# docs/hardware.md, "Power: states and expected current" (mA; midpoints of its ranges)
CURRENTS = {
    "devkitc_hx711": {
        "soc": "esp32",
        "active": 30.0,
        "adc_on": 2 * (1.5 + 3.3),
        "sleep_chip": 0.8,
        "sleep_board": 5.0,
        "motor": 70.0,
        "divider": 0.021,
    },
    "xiao_s3_nau7802": {
        "soc": "esp32s3",
        "active": 30.0,
        "adc_on": 1.5 + 3.3,
        "sleep_chip": 0.24,
        "sleep_board": 0.24,
        "motor": 70.0,
        "divider": 0.021,
    },
    "atoms3_hx711": {
        "soc": "esp32s3",
        "active": 30.0,
        "adc_on": 1.5 + 3.3,
        "sleep_chip": 0.24,
        "sleep_board": 0.24,
        "motor": 70.0,
        "divider": 0.021,
    },
}

_COST = r"""
import gc, time, array, json
from shared import events as ev
from shared.logcodec import SegmentEncoder
from pipeline.session import Session
from pipeline.scale import Scale
from drivers.hx711 import shift_in_pins, shift_in_regs
import uctypes

class Sink:
    def __init__(self):
        self.events = 0
    def emit(self, t_ms, code, ch, arg):
        self.events += 1

class Bus:  # the LIS3DH's I2C: the transfer itself is bus time, not CPU (power model)
    def readfrom_mem_into(self, addr, reg, buf):
        pass

import sys
sys.path.append(%(fakes)r)
import machine
from fake_accel import FakeLIS3DH
from drivers.lis3dh import LIS3DH
machine.fake_i2c_attach(0x18, FakeLIS3DH())
acc = LIS3DH(machine.I2C(0))
acc._bus = Bus()  # set up over the fake; read over a bus that costs one call

f = open(%(trace)r, "rb")
head = f.read(8)
size = f.seek(0, 2)
f.seek(8)
N = (size - 8) // 24
buf = array.array("i", bytes(24 * N))
f.readinto(buf)
f.close()
xyz = array.array("i", (0, 0, 0))
# the GPIO block up to GPIO_IN (0x3C) in RAM: shift_in_regs writes W1TS/W1TC and reads IN there
regs = array.array("i", bytes(4 * 16))
base = uctypes.addressof(regs)

def device_run():
    s = Session({}, 2, Sink(), has_accel=True)
    s.start(buf[0], buf[1], buf[2])
    enc = SegmentEncoder(2, %(period_us)d, 50)
    sc1 = Scale(1.0)
    sc2 = Scale(1.0)
    on_sample = s.on_sample
    b = buf
    off = gc.isenabled
    on = abs
    t0 = time.ticks_us()
    i = 0
    end = N * 6
    while i < end:
        w1 = sc1.to_mg(shift_in_regs(base, 1 << 18, 1 << 19, 25, off, on)) * 0 + b[i + 1]
        w2 = sc2.to_mg(shift_in_regs(base, 1 << 25, 1 << 26, 25, off, on)) * 0 + b[i + 2]
        acc.read_mgee_into(xyz)
        t = b[i]
        on_sample(t, w1, w2, b[i + 3], b[i + 4], b[i + 5])
        if enc.needs_seal():
            enc.reset()
        enc.sample(t, w1, w2)
        enc.accel(t, b[i + 3], b[i + 4], b[i + 5])
        i += 6
    return time.ticks_diff(time.ticks_us(), t0)

def pins_run(n):  # the Pin-object read alone: one C call per pin operation
    sck = abs
    dout = gc.isenabled
    off = gc.isenabled
    on = abs
    t0 = time.ticks_us()
    for _ in range(n):
        shift_in_pins(sck, dout, 25, off, on)
    t1 = time.ticks_us()
    for _ in range(n):
        shift_in_regs(base, 1 << 18, 1 << 19, 25, off, on)
    t2 = time.ticks_us()
    return time.ticks_diff(t1, t0), time.ticks_diff(t2, t1)

def nothing(t, w1, w2, ax, ay, az):
    pass

def trivial_run():
    b = buf
    t0 = time.ticks_us()
    i = 0
    end = N * 6
    while i < end:
        nothing(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5])
        i += 6
    return time.ticks_diff(time.ticks_us(), t0)

best_d = best_t = best_p = best_r = None
for rep in range(3):
    gc.collect()
    t = trivial_run()
    best_t = t if best_t is None or t < best_t else best_t
    gc.collect()
    d = device_run()
    best_d = d if best_d is None or d < best_d else best_d
    p, r = pins_run(N)
    best_p = p if best_p is None or p < best_p else best_p
    best_r = r if best_r is None or r < best_r else best_r
print(json.dumps({"samples": N, "device_us": best_d, "trivial_us": best_t,
                  "hx711_pins_us": best_p, "hx711_regs_us": best_r}))
"""

# Time in each state: the firmware's sampler, power and board code with HX711 fakes whose
# conversions come every period (the sleep hook sleeps until the next one is due, then
# converts: DOUT falls and wakes the chip, as on a board).
_STATES = r"""
import sys, time, json
sys.path.append(%(fakes)r)
import machine
from fake_hx711 import FakeHX711
from drivers.hx711 import HX711
from drivers.button_pin import ButtonPin
from device.power import Power
from device.sampler import AdcSampler
from device.board import Board
from device.button import Button
from pipeline.scale import Scale

out = {}
for rate in (10, 80):
    machine.fake_reset()
    period = 1000 // rate
    chips = [FakeHX711(18, 19), FakeHX711(25, 26)]
    hx = [HX711(machine.Pin(18), machine.Pin(19)), HX711(machine.Pin(25), machine.Pin(26))]
    btn = ButtonPin(machine.Pin(32))
    p = Power(scales=hx, button=btn)
    s = AdcSampler(hx, [Scale(1.0), Scale(1.0)], None, time.ticks_ms, time.ticks_diff,
                   time.sleep_ms, rest=p.rest, period_ms=period)
    t_start = time.ticks_ms()
    due = [period]
    def convert_if_due():
        if time.ticks_diff(time.ticks_ms(), t_start) >= due[0]:
            for c in chips:
                c.convert()
            due[0] += period
    def hook(ms):
        wait = due[0] - time.ticks_diff(time.ticks_ms(), t_start)
        if 0 < wait <= ms:
            time.sleep_ms(wait)
        elif wait > ms:
            time.sleep_ms(ms)
        convert_if_due()
    machine.fake_sleep_hook = hook
    s.start()
    samples = 0
    while time.ticks_diff(time.ticks_ms(), t_start) < 3000:
        convert_if_due()
        if s.wait(50) == 1:
            samples += 1
    wall = time.ticks_diff(time.ticks_ms(), t_start)
    out["rate_%%d" %% rate] = {"samples": samples, "wall_ms": wall,
                              "rest_sleeps": p.rest_sleeps, "rest_sleep_ms": p.t_rest_sleep_ms,
                              "spin_ms": p.t_spin_ms, "wait_ms": p.t_rest_wait_ms}

# between sessions: timer wakes (sleep_max 100 ms here), the button never pressed
machine.fake_reset()
machine.fake_sleep_hook = None
chips = [FakeHX711(18, 19)]
hx = [HX711(machine.Pin(18), machine.Pin(19))]
btn = ButtonPin(machine.Pin(32))
p = Power(scales=hx, button=btn)
board = Board("b", hx, [1.0], button=btn, power=p, light_sleep=True, sleep_after_ms=0)
board.sleep_max_ms = 100
class App:
    button = Button(btn)
t0 = time.ticks_ms()
while time.ticks_diff(time.ticks_ms(), t0) < 2000:
    board.wait_for_start(App, 50)
wall = time.ticks_diff(time.ticks_ms(), t0)
out["idle"] = {"wall_ms": wall, "sleeps": p.sleeps, "sleep_ms": p.t_sleep_ms}
print(json.dumps(out))
"""


def _trace(ctx: BenchContext, rate_hz: int, duration_s: float) -> str:
    ddir = ctx.out_dir / "device_cost"
    ddir.mkdir(parents=True, exist_ok=True)
    path = ddir / ("device_%dhz.bin" % rate_hz)
    scn = scn_mod.generate(
        1, "many", rate_hz=rate_hz, n_bottles=2, has_accel=True, duration_s=duration_s
    )
    csv_path = ddir / ("device_%dhz.csv" % rate_hz)
    scn.to_csv(csv_path)
    path.write_bytes(trace_mod.read_csv(csv_path).to_binary())
    return os.path.abspath(path)


def power_model(
    board: str, duty: float, rest_sleeps_per_s: float, idle_awake_ms: float, rate_hz: int
) -> dict:
    """mAh per day for `board` from the fraction of time in each state (see the header)."""
    c = CURRENTS[board]
    # during a session: awake = CPU duty + sleep entry/exit + the accelerometer's bus time
    awake = min(
        1.0, duty + rest_sleeps_per_s * WAKE_OVERHEAD_MS / 1000 + rate_hz * I2C_ACCEL_MS / 1000
    )
    session_h = SESSIONS_PER_DAY * SESSION_S / 3600
    cue_h = SESSIONS_PER_DAY * CUES_MS_PER_SESSION / 3.6e6
    sampling = session_h * (
        awake * (c["active"] + c["adc_on"]) + (1 - awake) * (c["sleep_chip"] + c["adc_on"])
    )
    cues = cue_h * c["motor"] * 0.5  # the patterns drive the motor about half the time
    idle_awake_h = SESSIONS_PER_DAY * SLEEP_AFTER_S / 3600
    idle_awake = idle_awake_h * (c["active"] + c["adc_on"])
    asleep_h = 24 - session_h - idle_awake_h
    wakes = asleep_h * 3600 / SLEEP_MAX_S
    wake_h = wakes * idle_awake_ms / 3.6e6
    between = wake_h * c["active"] + (asleep_h - wake_h) * c["sleep_board"]
    divider = 24 * c["divider"]
    total = sampling + cues + idle_awake + between + divider
    return {
        "mah_per_day": round(total, 1),
        "sampling_mah": round(sampling, 1),
        "cues_mah": round(cues, 1),
        "idle_awake_mah": round(idle_awake, 1),
        "between_sessions_mah": round(between, 1),
        "awake_fraction_in_session": round(awake, 3),
        "battery_days_500mah": round(500 / total, 1),
    }


def run(ctx: BenchContext, run_script) -> dict:
    """run_script(name, code, heap) -> (json or None, error): device_cost's runner."""
    from pathlib import Path

    out: dict = {}
    costs = {}
    fakes = str(Path(__file__).resolve().parents[1] / "tests" / "firmware" / "fakes")
    for rate, dur in ((10, 1200.0), (80, 300.0)):
        log("bench: device cost: whole device path at %d Hz..." % rate)
        res, err = run_script(
            "bench_device_%d" % rate,
            _COST
            % {"trace": _trace(ctx, rate, dur), "period_us": 1_000_000 // rate, "fakes": fakes},
            "8M",
        )
        costs[rate] = (res, err)
    log("bench: device cost: time in each state (firmware sampler/power/board, HX711 fakes)...")
    states, states_err = run_script("bench_states", _STATES % {"fakes": fakes}, "256K")

    print()
    print("== device cost: the whole device path per sample (2 HX711 reads, LIS3DH read,")
    print(
        "   session, log encoder), unix port; ESP32 duty at %gx (ESP32, 160 MHz) / %gx (S3)"
        % (ESP32_FACTOR["esp32"], ESP32_FACTOR["esp32s3"])
    )
    print(
        "   HX711 reads: the register path both HX711 board files run (shift_in_regs, over a"
        " register block in RAM)"
    )
    duty = {}
    for rate in (10, 80):
        res, err = costs[rate]
        if res is None:
            print("   %d Hz: FAILED: %s" % (rate, err))
            out["us_ratio_to_trivial_%dhz" % rate] = None
            out["esp32_cpu_duty_%dhz" % rate] = None
            continue
        us = res["device_us"] / res["samples"]
        ratio = res["device_us"] / max(res["trivial_us"], 1)
        duty[rate] = {soc: us * f * rate / 1e6 for soc, f in ESP32_FACTOR.items()}
        out["us_per_sample_device_%dhz" % rate] = round(us, 2)
        out["us_ratio_to_trivial_%dhz" % rate] = round(ratio, 1)
        out["esp32_cpu_duty_%dhz" % rate] = round(duty[rate]["esp32"], 4)
        out["esp32s3_cpu_duty_%dhz" % rate] = round(duty[rate]["esp32s3"], 4)
        if rate == 10:
            pins_us = res["hx711_pins_us"] / res["samples"]
            regs_us = res["hx711_regs_us"] / res["samples"]
            out["us_per_hx711_read_regs"] = round(regs_us, 3)
            out["us_per_hx711_read_pins"] = round(pins_us, 3)
            print(
                "   one HX711 read alone: %.2f us on the registers (in the figures below),"
                " %.2f us over Pin objects (other chips, fast=False)" % (regs_us, pins_us)
            )
        print(
            "   %d Hz: %.2f us/sample, %.1fx a trivial loop (%d samples, best of 3);"
            " estimated CPU duty ESP32 %.1f %%, ESP32-S3 %.1f %%"
            % (
                rate,
                us,
                ratio,
                res["samples"],
                100 * duty[rate]["esp32"],
                100 * duty[rate]["esp32s3"],
            )
        )
    if states is None:
        print("   time in each state: FAILED: %s" % states_err)
        out["battery_days_500mah"] = None
        out["battery_days_500mah_by_board"] = None
        out["battery_days_500mah_hx711_80sps"] = None
        return out
    r10 = states["rate_10"]
    r80 = states["rate_80"]
    idle = states["idle"]
    idle_awake_ms = (idle["wall_ms"] - idle["sleep_ms"]) / max(idle["sleeps"], 1)
    print("   time in each state (firmware code in the unix port, HX711 fakes, no host):")
    for name, r in (("10 Hz", r10), ("80 Hz", r80)):
        print(
            "     %s: %d samples in %d ms, %d light sleeps (%d ms asleep), short waits %d ms,"
            " blocking waits %d ms"
            % (
                name,
                r["samples"],
                r["wall_ms"],
                r["rest_sleeps"],
                r["rest_sleep_ms"],
                r["spin_ms"],
                r["wait_ms"],
            )
        )
    print(
        "     between sessions: %d timer wakes in %d ms, %.1f ms awake per wake"
        % (idle["sleeps"], idle["wall_ms"], idle_awake_ms)
    )
    by_board = {}
    print(
        "   power model at %d x %d-min two-bottle sessions a day, 10 Hz (80 Hz for the"
        " NAU7802; @80: an HX711 with RATE high), currents from docs/hardware.md (datasheet,"
        " not measured):" % (SESSIONS_PER_DAY, SESSION_S // 60)
    )
    # each board at its ADC's rate as built (the HX711's RATE pin low: 10 SPS), and the HX711
    # boards again with RATE high (80 SPS: docs/hardware.md, "The HX711's sample rate")
    hx711_80 = {}
    runs = [(b, 80 if b.startswith("xiao") else 10) for b in CURRENTS]
    runs += [(b, 80) for b in CURRENTS if b.endswith("_hx711")]
    for board, rate in runs:
        c = CURRENTS[board]
        r = r80 if rate == 80 else r10
        if rate not in duty:
            continue
        sleeps_per_s = r["rest_sleeps"] * 1000 / max(r["wall_ms"], 1)
        m = power_model(board, duty[rate][c["soc"]], sleeps_per_s, idle_awake_ms, rate)
        label = board
        if board.endswith("_hx711") and rate == 80:
            hx711_80[board] = m["battery_days_500mah"]
            label = board + "@80"
        else:
            by_board[board] = m["battery_days_500mah"]
        print(
            "     %-16s %5.1f mAh/day -> %4.1f days on 500 mAh (sampling %.1f, cues %.1f,"
            " idle awake %.1f, between sessions %.1f; awake %.1f %% of a session)"
            % (
                label,
                m["mah_per_day"],
                m["battery_days_500mah"],
                m["sampling_mah"],
                m["cues_mah"],
                m["idle_awake_mah"],
                m["between_sessions_mah"],
                100 * m["awake_fraction_in_session"],
            )
        )
    out["battery_days_500mah_by_board"] = by_board
    # the HX711 boards with RATE high: 80 SPS ("board@80" in the lines above)
    out["battery_days_500mah_hx711_80sps"] = hx711_80
    worse = [by_board[b] for b in ("xiao_s3_nau7802", "atoms3_hx711") if b in by_board]
    out["battery_days_500mah"] = min(worse) if worse else None
    return out
