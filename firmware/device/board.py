# Board bring-up: reads a board description (boards/<name>.json, on the device /board.json) and
# builds the buses and drivers of the fitted parts. With firmware/drivers/* (and power.py) the
# only code that imports `machine`.
#
#     import board
#     hw = board.bring_up(board.load("/board.json"))
#     hw.scales          # load-cell ADC drivers: ready(), read() -> counts, power_down/up()
#     hw.accel           # accelerometer (read_mgee_into) or None
#     hw.flow_sensors    # [(channel, sensor)]-like list of flow sensors (may be empty)
#     hw.motor, hw.button, hw.battery, hw.power, hw.name
#     factory = hw.sampler_factory(cfg); sampler = factory()   # what app.py samples from
#
# A board file (see docs/hardware.md) names pins as GPIO numbers and I2C addresses as numbers
# or "0x.." strings. A part marked "optional": true that does not answer is left out and
# listed in hw.missing; any other missing part raises OSError with the driver's message.
# The sim board ("scale": "trace") replays a binary trace through drivers.trace and uses the
# unix fakes of a PWM motor and a button pin ("motor"/"button" pins, which tests drive with
# machine.fake_drive).
#
# Limits: one I2C bus ("i2c") plus an optional second one ("i2c_internal", e.g. the AtomS3's
# IMU bus); calibration (mg_per_count) is per scale in the board file until a calibration
# step writes it; tare happens at each session start (median of 8 readings).
import time

from machine import ADC, I2C, Pin
from micropython import const

# The event codes this module uses: private copies of shared/events.py's, folded into the
# bytecode, so the device does not load that module for them (its ~60 names stay out of
# the heap); tests/host/test_event_codes.py checks every copy.
_BTN_LONG = const(2)
_BTN_NONE = const(0)

_TARE_SAMPLES = 8
_POLL_MS = 20  # button polls while idle: > 1 FreeRTOS tick (10 ms), < the 30 ms debounce x 2


def load(path):
    import json

    with open(path) as f:
        return json.load(f)


def _num(value):
    if isinstance(value, str):
        return int(value, 0)
    return int(value)


class Board:
    """The fitted parts of one board (see the module header); made by bring_up()."""

    def __init__(
        self,
        name,
        scales,
        calibration,
        accel=None,
        flow_sensors=(),
        motor=None,
        button=None,
        battery=None,
        power=None,
        missing=(),
        trace=None,
        speed_x1000=1000,
        light_sleep=False,
        sleep_after_ms=60_000,
        period_ms=100,
    ):
        self.name = name
        self.scales = scales
        self.calibration = calibration  # mg per count, per scale
        self.accel = accel
        self.flow_sensors = list(flow_sensors)
        self.motor = motor
        self.button = button
        self.battery = battery
        self.power = power
        self.missing = list(missing)
        self.trace = trace
        self.speed_x1000 = speed_x1000
        self.light_sleep = light_sleep
        self.sleep_after_ms = sleep_after_ms
        self.sleep_max_ms = 30_000
        self.period_ms = period_ms  # the first ADC's conversion period
        self._idle_since = time.ticks_ms()

    # -- what app.py calls -----------------------------------------------------------------
    def sampler_factory(self, cfg):
        """A zero-argument function that makes the sampler for one session."""
        from device import sampler

        if self.trace is not None:
            src = self.trace

            def make_trace_sampler():
                return sampler.TraceSampler(
                    src, self.speed_x1000, time.ticks_ms, time.ticks_diff, time.sleep_ms
                )

            return make_trace_sampler

        def make_adc_sampler():
            from pipeline import scale

            scales = []
            for adc, mg_per_count in zip(self.scales, self.calibration):
                s = scale.Scale(mg_per_count)
                s.tare_from(adc.read, samples=_TARE_SAMPLES)
                scales.append(s)
            rest = self.power.rest if self.power is not None else None
            return sampler.AdcSampler(
                self.scales,
                scales,
                self.accel,
                time.ticks_ms,
                time.ticks_diff,
                time.sleep_ms,
                rest=rest,
                period_ms=self.period_ms,
            )

        return make_adc_sampler

    def wait_for_start(self, app, wait_ms):
        """Poll the button for up to wait_ms: True on a long press (start a session). After
        sleep_after_ms without a press, light-sleep (when the board allows and no host is
        attached) until the button. A wake by the timer (sleep_max_ms, to look at the host and
        the battery) goes back to sleep at the next call; only a press restarts the idle time.
        Polls every _POLL_MS: longer than a FreeRTOS tick, so the port blocks instead of
        busy-spinning."""
        btn = app.button
        t_end = time.ticks_add(time.ticks_ms(), wait_ms)
        while time.ticks_diff(t_end, time.ticks_ms()) > 0:
            if btn is not None:
                kind = btn.update(time.ticks_ms())
                if kind != _BTN_NONE:
                    self._idle_since = time.ticks_ms()
                    if kind == _BTN_LONG:
                        return True
            time.sleep_ms(_POLL_MS)
        if (
            self.light_sleep
            and self.power is not None
            and btn is not None
            and not btn.pressed
            and time.ticks_diff(time.ticks_ms(), self._idle_since) >= self.sleep_after_ms
            and self.power.may_sleep()
        ):
            woke_by_button = self.power.sleep(self.sleep_max_ms)
            btn.reset(time.ticks_ms())
            if woke_by_button:
                self._idle_since = time.ticks_ms()
        return False


def _optional(missing, spec, what, build):
    try:
        return build()
    except OSError as e:
        if spec.get("optional"):
            missing.append("%s: %s" % (what, e))
            return None
        raise


def _i2c(spec):
    if spec is None:
        return None
    return I2C(
        _num(spec.get("id", 0)),
        scl=Pin(_num(spec["scl"])),
        sda=Pin(_num(spec["sda"])),
        freq=_num(spec.get("freq", 400_000)),
    )


def _bus_for(spec, buses):
    bus = buses.get(spec.get("bus", "i2c"))
    if bus is None:
        raise ValueError(
            "board file: %s needs an I2C bus (%r)" % (spec.get("type"), spec.get("bus", "i2c"))
        )
    return bus


def _build_scale(spec, buses):
    kind = spec.get("type")
    if kind == "hx711":
        from drivers.hx711 import HX711

        return HX711(
            Pin(_num(spec["sck"])), Pin(_num(spec["dout"])), gain=_num(spec.get("gain", 128))
        )
    if kind == "nau7802":
        from drivers.nau7802 import NAU7802

        return NAU7802(
            _bus_for(spec, buses),
            address=_num(spec.get("address", 0x2A)),
            gain=_num(spec.get("gain", 128)),
            rate_sps=_num(spec.get("rate_sps", 80)),
            channel=_num(spec.get("channel", 0)),
        )
    raise ValueError("board file: unknown scale type %r (hx711, nau7802, trace)" % (kind,))


def _build_accel(spec, buses):
    kind = spec.get("type")
    if kind in ("lis3dh", "lis2dh12"):
        from drivers.lis3dh import LIS3DH

        return LIS3DH(
            _bus_for(spec, buses),
            address=_num(spec.get("address", 0x18)),
            rate_hz=_num(spec.get("rate_hz", 50)),
            range_g=_num(spec.get("range_g", 2)),
        )
    if kind == "mpu6886":
        from drivers.mpu6886 import MPU6886

        return MPU6886(
            _bus_for(spec, buses),
            address=_num(spec.get("address", 0x68)),
            range_g=_num(spec.get("range_g", 4)),
        )
    raise ValueError("board file: unknown accel type %r (lis3dh, lis2dh12, mpu6886)" % (kind,))


def _build_flow(spec, buses):
    kind = spec.get("type")
    if kind == "dropcounter":
        from drivers.dropcounter import DropCounter

        return DropCounter(
            Pin(_num(spec["pin"])),
            drop_mg=_num(spec.get("drop_mg", 50)),
            active_low=spec.get("active_low", True),
        )
    if kind == "slf3s":
        from drivers.slf3s import SLF3S

        return SLF3S(_bus_for(spec, buses), model=spec.get("model", "1300F"))
    raise ValueError("board file: unknown flow sensor type %r (dropcounter, slf3s)" % (kind,))


def _build_motor(spec, buses):
    kind = spec.get("type", "pwm")
    if kind == "pwm":
        from drivers.vibration import Motor

        return Motor(
            Pin(_num(spec["pin"])),
            min_pct=_num(spec.get("min_pct", 35)),
            active_high=spec.get("active_high", True),
        )
    if kind == "drv2605":
        from drivers.drv2605 import DRV2605

        return DRV2605(
            _bus_for(spec, buses),
            address=_num(spec.get("address", 0x5A)),
            actuator=spec.get("actuator", "erm"),
        )
    raise ValueError("board file: unknown motor type %r (pwm, drv2605)" % (kind,))


def _bring_up_sim(desc):
    from drivers.button_pin import ButtonPin
    from drivers.trace import TraceSource
    from drivers.trace_parts import TraceAccel, TraceScale
    from drivers.vibration import Motor

    src = None
    scales = []
    accel = None
    path = desc.get("trace")
    if path:
        src = TraceSource(open(path, "rb"))
        scales = [TraceScale(src, ch) for ch in range(src.channels)]
        if desc.get("accel") == "trace" and src.has_accel:
            accel = TraceAccel(src)
    return Board(
        desc.get("name", "sim"),
        scales,
        [1.0] * len(scales),  # counts are mg
        accel=accel,
        motor=Motor(Pin("motor")),
        button=ButtonPin(Pin("button"), active_low=True),
        trace=src,
        speed_x1000=_num(desc.get("speed_x1000", 1000)),
    )


def bring_up(desc):
    """Build the board described by `desc` (a dict from a board file)."""
    if desc.get("scale") == "trace":
        return _bring_up_sim(desc)
    from drivers.battery import Battery
    from drivers.button_pin import ButtonPin

    from device.power import Power

    name = desc.get("name", "?")
    missing = []
    buses = {}
    for key in ("i2c", "i2c_internal"):
        if desc.get(key):
            buses[key] = _i2c(desc[key])
    scales = []
    calibration = []
    for spec in desc.get("scales", ()):
        scales.append(_build_scale(spec, buses))
        calibration.append(float(spec.get("mg_per_count", 1.0)))
    if not scales:
        raise ValueError('board file %r fits no load cell ADC ("scales")' % name)
    accel = None
    if desc.get("accel"):
        spec = desc["accel"]
        accel = _optional(missing, spec, "accelerometer", lambda: _build_accel(spec, buses))
    flow_sensors = []
    for spec in desc.get("flow_sensors", ()):
        sensor = _optional(missing, spec, "flow sensor", lambda: _build_flow(spec, buses))
        if sensor is not None:
            sensor.channel = _num(spec.get("channel", 0))
            flow_sensors.append(sensor)
    motor = None
    if desc.get("motor"):
        spec = desc["motor"]
        motor = _optional(missing, spec, "motor", lambda: _build_motor(spec, buses))
    button = None
    if desc.get("button"):
        spec = desc["button"]
        button = ButtonPin(
            Pin(_num(spec["pin"])),
            active_low=spec.get("active_low", True),
            pull=spec.get("pull", True),
        )
    battery = None
    if desc.get("battery"):
        spec = desc["battery"]
        adc = ADC(Pin(_num(spec["pin"])), atten=ADC.ATTN_11DB)
        battery = Battery(adc, divider_x1000=_num(spec.get("divider_x1000", 2000)))
    vbus_pin = None
    if desc.get("vbus"):  # a divider from USB 5 V to a GPIO: high while a host/charger is on
        vbus_pin = Pin(_num(desc["vbus"]["pin"]), Pin.IN)
    power = Power(
        scales=scales,
        motor=motor,
        button=button,
        accel=accel,
        flow_sensors=flow_sensors,
        vbus_pin=vbus_pin,
    )
    return Board(
        name,
        scales,
        calibration,
        accel=accel,
        flow_sensors=flow_sensors,
        motor=motor,
        button=button,
        battery=battery,
        power=power,
        missing=missing,
        light_sleep=bool(desc.get("light_sleep", True)),
        sleep_after_ms=_num(desc.get("sleep_after_s", 60)) * 1000,
        period_ms=1000 // _num(desc["scales"][0].get("rate_sps", 10)),
    )
