# Unix-port stand-in for the ESP32's `machine` module (shadows the port's small built-in one).
#
# It follows the real API (signatures as in the ESP32 stubs) so drivers run unchanged, and adds
# a few module-level hooks, all named `fake_*`, through which tests and chip fakes play the
# outside world:
#
#     import machine
#     machine.fake_drive(16, 0)                 # something outside pulls GPIO16 low
#     machine.fake_watch(17, on_edge)           # on_edge(pin_id, level, t_us) on writes
#     machine.fake_i2c_attach(0x2A, chip)       # a chip fake answers at 0x2A on any I2C bus
#     machine.fake_adc_set_uv(35, 1_900_000)    # the voltage an ADC pin sees
#
# Pins: the state lives per pin id (as on the chip: Pin(5) twice is the same pad). The level a
# pin reads is its output latch in OUT mode, else what the outside drives, else its pull.
# Edges on the effective level run the pin's IRQ handler at once (ESP32 handlers are soft
# anyway); while IRQs are disabled, handlers wait until enable_irq, as on the chip.
#
# Time: `fake_now_us()` is wall time (time.ticks_us) except inside disable_irq/enable_irq,
# where each pin operation costs a nominal PIN_OP_US and the OS cannot stretch a pulse: on the
# chip nothing preempts a critical section, in a process on a busy host it would. Chip fakes
# timestamp edges with it, so an HX711 fake sees the same pulse widths a chip would.
#
# Light sleep, as the ESP32 port of MicroPython v1.29 and ESP-IDF do it:
# - `esp32.wake_on_gpio` pins are armed with gpio_wakeup_enable(pin, LOW/HIGH_LEVEL), which
#   also makes the pin's interrupt level-triggered; nothing turns it back until Pin.irq() is
#   called again. A handler on a level-triggered pin held at its level fires without end: the
#   fake raises FakeInterruptStorm (on the chip the interrupt watchdog resets it).
# - machine.wake_reason() after such a wake is ESP-IDF's GPIO cause (WAKE_GPIO = 7), not
#   PIN_WAKE (2, ext0).
# - On the ESP32-S3 (`fake_soc = "esp32s3"`) the IOs are isolated in light sleep
#   (ESP_SLEEP_GPIO_RESET_WORKAROUND): an output without `hold=True` floats (watchers see it
#   fall to 0 as sleep begins and come back on waking) and the native USB drops
#   (`fake_stats["usb_drops"]`).
# Soft IRQs: `fake_defer_soft_irqs(True)` holds soft handlers back (a garbage collection or a
# flash write delays the scheduler on the chip); they run on `fake_defer_soft_irqs(False)`.
# Hard handlers (`hard=True`) run at the edge. Ticks: the unix port's ticks never wrap;
# `fake_ticks_ms()` is a millisecond clock that wraps at 2**30 as the ESP32's does
# (`fake_ticks_offset_ms` moves it, e.g. to just before a wrap); pass it as the clock.
#
# Limits: I2C transactions are whole-message calls on the device fake (no clock stretching, no
# bit-level bus); Timer callbacks do not run by themselves (call `fake_fire()`); lightsleep
# returns at once when a wake pin is at its wake level, else after time_ms (or
# LIGHTSLEEP_MAX_MS when none is given), polling the pins every millisecond.
import errno
import time

# Reset causes and wake reasons (ESP32 values).
PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5
PIN_WAKE = 2
EXT0_WAKE = 2
EXT1_WAKE = 3
TIMER_WAKE = 4
TOUCHPAD_WAKE = 5
ULP_WAKE = 6
WAKE_GPIO = 7  # ESP_SLEEP_WAKEUP_GPIO: what wake_reason() returns after an esp32.wake_on_gpio
# wake (MicroPython has no constant for it)
SLEEP = 2
DEEPSLEEP = 4
IDLE = 1

PIN_OP_US = 2  # nominal cost of one pin operation inside a critical section (ESP32: ~1-3 us)
LIGHTSLEEP_MAX_MS = 1000  # longest fake light sleep without a time: every wait is bounded
TICKS_PERIOD = 1 << 30  # the ESP32's ticks_ms() wraps here
fake_soc = "esp32"  # "esp32s3": IOs float and USB drops in light sleep (see the header)
fake_ticks_offset_ms = 0


class FakeInterruptStorm(RuntimeError):
    pass


def fake_ticks_ms():
    """Milliseconds that wrap at 2**30, as time.ticks_ms() on the ESP32."""
    return (time.ticks_ms() + fake_ticks_offset_ms) & (TICKS_PERIOD - 1)


# -- pins -----------------------------------------------------------------------------------
_mode = {}  # pin id -> mode
_pull = {}  # pin id -> pull
_latch = {}  # pin id -> output latch 0/1
_ext = {}  # pin id -> level driven from outside, absent when released
_last = {}  # pin id -> last effective level (edge detection)
_irq = {}  # pin id -> [handler, trigger, pin object]
_wake = {}  # pin id -> wake level (0/1) for light sleep
_watchers = {}  # pin id -> [callback(pin_id, level, t_us)]
_pending = []  # pin objects whose IRQ fired while IRQs were disabled
_level_irq = {}  # pin id -> level at which its interrupt is level-triggered (gpio wake armed)
_hold = {}  # pin id -> True while the pad is held (Pin.init(hold=True))
_defer_soft = [False]  # soft IRQs held back (GC, flash write)
_deferred = []  # pin objects whose soft handler waits for the scheduler

# -- virtual time for critical sections ---------------------------------------------------------
_irq_depth = 0
_offset_us = 0  # virtual = wall - offset
_crit_start_us = 0
_crit_ops = 0
fake_stats = {
    "critical_sections": 0,
    "max_ops_in_section": 0,
    "lightsleeps": 0,
    "lightsleep_ms": 0,
    "usb_drops": 0,
}


def fake_now_us():
    """Pin time in microseconds (see the header: nominal inside critical sections)."""
    if _irq_depth:
        return time.ticks_add(_crit_start_us, _crit_ops * PIN_OP_US)
    return time.ticks_add(time.ticks_us(), -_offset_us)


def fake_in_critical():
    """True inside disable_irq()/enable_irq() (chip fakes check their pulses with it)."""
    return _irq_depth > 0


def _op():
    global _crit_ops
    if _irq_depth:
        _crit_ops += 1


def disable_irq():
    """Disable interrupt requests; returns the previous state for enable_irq."""
    global _irq_depth, _crit_start_us, _crit_ops
    state = _irq_depth
    if not _irq_depth:
        _crit_start_us = fake_now_us()
        _crit_ops = 0
        fake_stats["critical_sections"] += 1
    _irq_depth += 1
    return state


def enable_irq(state=0):
    """Restore the state disable_irq returned; runs handlers that fired meanwhile."""
    global _irq_depth, _offset_us
    if not _irq_depth:
        return
    if state == 0:
        end_us = fake_now_us()
        if _crit_ops > fake_stats["max_ops_in_section"]:
            fake_stats["max_ops_in_section"] = _crit_ops
        _irq_depth = 0
        _offset_us = time.ticks_diff(time.ticks_us(), end_us)
        while _pending:
            pin = _pending.pop(0)
            entry = _irq.get(pin._id)
            if entry and entry[0]:
                entry[0](pin)
    else:
        _irq_depth = state


def _read(pid):
    mode = _mode.get(pid, Pin.IN)
    if mode == Pin.OUT:
        return _latch.get(pid, 0)
    if mode == Pin.OPEN_DRAIN and _latch.get(pid, 1) == 0:
        return 0
    if pid in _ext:
        return _ext[pid]
    pull = _pull.get(pid)
    if pull == Pin.PULL_UP or mode == Pin.OPEN_DRAIN:
        return 1
    return 0


def _update(pid):
    """Recompute a pin's level; on an edge, run its IRQ handler (or queue it)."""
    level = _read(pid)
    before = _last.get(pid)
    _last[pid] = level
    entry = _irq.get(pid)
    if entry and entry[0] and pid in _level_irq and level == _level_irq[pid]:
        raise FakeInterruptStorm(
            "GPIO%s: its interrupt is level-triggered (armed as a light-sleep wake pin and not "
            "re-armed with Pin.irq) and the pin is at that level: the handler fires without end"
            % (pid,)
        )
    if before is None or before == level:
        return
    if not entry or not entry[0]:
        return
    edge = Pin.IRQ_RISING if level else Pin.IRQ_FALLING
    if entry[1] & edge:
        if _irq_depth:
            if entry[2] not in _pending:
                _pending.append(entry[2])
        elif _defer_soft[0] and not entry[3]:
            _deferred.append(entry[2])
        else:
            entry[0](entry[2])


def fake_defer_soft_irqs(on):
    """True: soft IRQ handlers wait (the scheduler is held up by a GC or a flash write);
    False: the ones that waited run now, in order, as the scheduler catches up."""
    _defer_soft[0] = bool(on)
    if not on:
        while _deferred:
            pin = _deferred.pop(0)
            entry = _irq.get(pin._id)
            if entry and entry[0]:
                entry[0](pin)


def fake_drive(pin_id, level):
    """The outside world drives `pin_id` to 0/1, or releases it with None."""
    if level is None:
        _ext.pop(pin_id, None)
    else:
        _ext[pin_id] = 1 if level else 0
    _update(pin_id)


def fake_level(pin_id):
    """The level on the wire of `pin_id` now."""
    return _read(pin_id)


def fake_watch(pin_id, callback):
    """Call `callback(pin_id, level, t_us)` whenever the firmware writes to `pin_id`."""
    _watchers.setdefault(pin_id, []).append(callback)


def fake_reset():
    """Forget every pin, bus device, PWM and ADC value (a fresh board)."""
    global _irq_depth, _offset_us
    for table in (
        _mode,
        _pull,
        _latch,
        _ext,
        _last,
        _irq,
        _wake,
        _watchers,
        _i2c_devices,
        _spi_devices,
        _pwm,
        _adc_uv,
        _level_irq,
        _hold,
    ):
        table.clear()
    del _pending[:]
    del _deferred[:]
    _defer_soft[0] = False
    _irq_depth = 0
    _offset_us = 0


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_DOWN = 1
    PULL_UP = 2
    PULL_HOLD = 4
    IRQ_RISING = 1
    IRQ_FALLING = 2
    WAKE_LOW = 4
    WAKE_HIGH = 5
    DRIVE_0 = 0
    DRIVE_1 = 1
    DRIVE_2 = 2
    DRIVE_3 = 3

    def __init__(self, id, mode=-1, pull=-1, *, value=None, drive=None, alt=None, hold=None):
        self._id = id
        self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, *, value=None, drive=None, alt=None, hold=None):
        pid = self._id
        if value is not None:
            _latch[pid] = 1 if value else 0
        if mode != -1:
            _mode[pid] = mode
        if pull != -1:
            _pull[pid] = pull
        if hold is not None:
            _hold[pid] = bool(hold)
        _update(pid)

    def value(self, x=None):
        _op()
        pid = self._id
        if x is None:
            return _read(pid)
        level = 1 if x else 0
        _latch[pid] = level
        _update(pid)
        watchers = _watchers.get(pid)
        if watchers:
            t_us = fake_now_us()
            for callback in watchers:
                callback(pid, level, t_us)
        return None

    def __call__(self, x=None):
        return self.value(x)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def toggle(self):
        self.value(1 - _latch.get(self._id, 0))

    def mode(self, mode=None):
        if mode is None:
            return _mode.get(self._id, Pin.IN)
        self.init(mode)

    def pull(self, pull=None):
        if pull is None:
            return _pull.get(self._id)
        self.init(-1, pull)

    def drive(self, drive=None):
        return Pin.DRIVE_2 if drive is None else None

    def irq(self, handler=None, trigger=3, *, priority=1, wake=None, hard=False):
        pid = self._id
        if trigger in (Pin.WAKE_LOW, Pin.WAKE_HIGH) and wake is not None:
            if not wake & (SLEEP | DEEPSLEEP):
                raise ValueError("bad wake value")
            _wake[pid] = (0 if trigger == Pin.WAKE_LOW else 1, EXT0_WAKE)
            return None
        _wake.pop(pid, None)
        _level_irq.pop(pid, None)  # gpio_set_intr_type: edge-triggered again
        if handler is None:
            _irq.pop(pid, None)
        else:
            _irq[pid] = [handler, trigger, self, bool(hard)]
            _last[pid] = _read(pid)
        return None

    def __repr__(self):
        return "Pin(%r)" % (self._id,)


class Signal:
    def __init__(self, pin, invert=False):
        self._pin = pin
        self._invert = bool(invert)

    def value(self, x=None):
        if x is None:
            return self._pin.value() ^ self._invert
        self._pin.value((1 if x else 0) ^ self._invert)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


def fake_set_wake(pin_id, level, kind=EXT0_WAKE):
    """Used by the esp32 fake (wake_on_ext0 / wake_on_gpio): level None clears. kind is the
    wake reason a wake by this pin reports (EXT0_WAKE, EXT1_WAKE or WAKE_GPIO)."""
    if level is None:
        _wake.pop(pin_id, None)
    else:
        _wake[pin_id] = (1 if level else 0, kind)


def _wake_pin_active():
    for pid in _wake:
        if _read(pid) == _wake[pid][0]:
            return pid
    return None


_wake_reason = 0
fake_sleep_hook = None  # callable(time_ms) run as the device enters light sleep


def _float_outputs():
    """S3 light sleep: outputs not held float; returns [(pin id, latch)] to restore."""
    floated = []
    for pid, mode in _mode.items():
        if mode == Pin.OUT and not _hold.get(pid):
            floated.append((pid, _latch.get(pid, 0)))
    for pid, _level in floated:
        _mode[pid] = Pin.IN
        _update(pid)
        for callback in _watchers.get(pid, ()):
            callback(pid, 0, fake_now_us())
    return floated


def _restore_outputs(floated):
    for pid, level in floated:
        _mode[pid] = Pin.OUT
        _update(pid)
        for callback in _watchers.get(pid, ()):
            callback(pid, level, fake_now_us())


def lightsleep(time_ms=None):
    """Sleep until a wake pin is at its wake level, or time_ms (bounded: LIGHTSLEEP_MAX_MS).

    GPIO wake pins (esp32.wake_on_gpio) become level-triggered interrupts, as
    gpio_wakeup_enable() leaves them (see the header)."""
    global _wake_reason
    fake_stats["lightsleeps"] += 1
    for pid, (level, kind) in _wake.items():
        if kind == WAKE_GPIO:
            _level_irq[pid] = level
    floated = []
    if fake_soc == "esp32s3":
        fake_stats["usb_drops"] += 1
        floated = _float_outputs()
    start = time.ticks_ms()
    try:
        if fake_sleep_hook is not None:
            fake_sleep_hook(time_ms)
        limit_ms = LIGHTSLEEP_MAX_MS if time_ms is None else time_ms
        while True:
            pid = _wake_pin_active()
            if pid is not None:
                _wake_reason = _wake[pid][1]
                return
            if time.ticks_diff(time.ticks_ms(), start) >= limit_ms:
                _wake_reason = TIMER_WAKE
                return
            time.sleep_ms(1)
    finally:
        fake_stats["lightsleep_ms"] += time.ticks_diff(time.ticks_ms(), start)
        _restore_outputs(floated)


def deepsleep(time_ms=None):
    raise SystemExit("deepsleep: the unix port stops here (a board would reset on waking)")


def wake_reason():
    return _wake_reason


def reset_cause():
    return PWRON_RESET


def idle():
    time.sleep_ms(1)


def freq(hz=None):
    return 160_000_000 if hz is None else None


def unique_id():
    return b"\x24\x0a\xc4\x00\x00\x01"


def reset():
    raise SystemExit("machine.reset() in the unix port")


def soft_reset():
    raise SystemExit("machine.soft_reset() in the unix port")


def time_pulse_us(pin, pulse_level, timeout_us=1_000_000):
    """Duration of a pulse at pulse_level; -2 if none started, -1 if it did not end in time."""
    start = time.ticks_us()
    while pin.value() != pulse_level:
        if time.ticks_diff(time.ticks_us(), start) > timeout_us:
            return -2
    t0 = time.ticks_us()
    while pin.value() == pulse_level:
        if time.ticks_diff(time.ticks_us(), t0) > timeout_us:
            return -1
    return time.ticks_diff(time.ticks_us(), t0)


# -- I2C --------------------------------------------------------------------------------------
# A device fake implements `i2c_write(data)` (one write message: register address and data, or a
# command) and `i2c_read(n) -> bytes` (one read message). It may raise OSError (a NACK).
_i2c_devices = {}  # (bus id or None, address) -> device fake


def fake_i2c_attach(address, device, bus=None):
    """Put `device` at `address` on I2C bus `bus` (None: on every bus)."""
    _i2c_devices[(bus, address)] = device


def fake_i2c_detach(address, bus=None):
    _i2c_devices.pop((bus, address), None)


class I2C:
    def __init__(self, id=0, *, scl=None, sda=None, freq=400_000, timeout=50_000):
        self._bus = id
        self._freq = freq

    def init(self, *, scl=None, sda=None, freq=400_000):
        self._freq = freq

    def deinit(self):
        pass

    def _device(self, addr):
        dev = _i2c_devices.get((self._bus, addr)) or _i2c_devices.get((None, addr))
        if dev is None:
            raise OSError(errno.ENODEV)
        return dev

    def scan(self):
        found = []
        for bus, addr in _i2c_devices:
            if (bus is None or bus == self._bus) and addr not in found:
                found.append(addr)
        found.sort()
        return found

    def writeto(self, addr, buf, stop=True):
        self._device(addr).i2c_write(bytes(buf))
        return len(buf) + 1

    def writevto(self, addr, vector, stop=True):
        data = b"".join(bytes(v) for v in vector)
        self._device(addr).i2c_write(data)
        return len(data) + 1

    def readfrom(self, addr, nbytes, stop=True):
        return bytes(self._device(addr).i2c_read(nbytes))

    def readfrom_into(self, addr, buf, stop=True):
        data = self._device(addr).i2c_read(len(buf))
        for i in range(len(buf)):
            buf[i] = data[i]

    @staticmethod
    def _mem(memaddr, addrsize):
        if addrsize == 16:
            return bytes(((memaddr >> 8) & 0xFF, memaddr & 0xFF))
        return bytes((memaddr & 0xFF,))

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        self._device(addr).i2c_write(self._mem(memaddr, addrsize) + bytes(buf))

    def readfrom_mem(self, addr, memaddr, nbytes, *, addrsize=8):
        dev = self._device(addr)
        dev.i2c_write(self._mem(memaddr, addrsize))
        return bytes(dev.i2c_read(nbytes))

    def readfrom_mem_into(self, addr, memaddr, buf, *, addrsize=8):
        data = self.readfrom_mem(addr, memaddr, len(buf), addrsize=addrsize)
        for i in range(len(buf)):
            buf[i] = data[i]


class SoftI2C(I2C):
    def __init__(self, scl=None, sda=None, *, freq=400_000, timeout=50_000):
        super().__init__(-1, scl=scl, sda=sda, freq=freq, timeout=timeout)


# -- SPI --------------------------------------------------------------------------------------
# A device fake implements `spi_transfer(tx, rx)` (rx may be None) and is selected while its
# chip-select pin is low.
_spi_devices = {}  # chip-select pin id -> device fake


def fake_spi_attach(cs_pin_id, device):
    _spi_devices[cs_pin_id] = device


class SPI:
    MSB = 0
    LSB = 1

    def __init__(
        self,
        id=1,
        baudrate=1_000_000,
        *,
        polarity=0,
        phase=0,
        bits=8,
        firstbit=0,
        sck=None,
        mosi=None,
        miso=None,
    ):
        self._id = id

    def init(self, *args, **kwargs):
        pass

    def deinit(self):
        pass

    def _selected(self):
        for pid, dev in _spi_devices.items():
            if _read(pid) == 0:
                return dev
        return None

    def write_readinto(self, write_buf, read_buf):
        dev = self._selected()
        if dev is None:
            for i in range(len(read_buf)):
                read_buf[i] = 0xFF  # nobody drives MISO: it floats high
            return
        dev.spi_transfer(bytes(write_buf), read_buf)

    def write(self, buf):
        dev = self._selected()
        if dev is not None:
            dev.spi_transfer(bytes(buf), None)

    def readinto(self, buf, write=0x00):
        self.write_readinto(bytes([write]) * len(buf), buf)

    def read(self, nbytes, write=0x00):
        buf = bytearray(nbytes)
        self.readinto(buf, write)
        return bytes(buf)


class SoftSPI(SPI):
    pass


# -- PWM --------------------------------------------------------------------------------------
_pwm = {}  # pin id -> PWM object (the last one made on that pin)


def fake_pwm(pin_id):
    """The PWM object driving `pin_id`, or None."""
    return _pwm.get(pin_id)


class PWM:
    def __init__(self, dest, *, freq=None, duty_u16=None, duty_ns=None, invert=False):
        self._pin_id = dest._id if isinstance(dest, Pin) else dest
        self._freq = 5000
        self._duty_u16 = 0
        self.active = True
        _pwm[self._pin_id] = self
        self.init(freq=freq, duty_u16=duty_u16, duty_ns=duty_ns, invert=invert)

    def init(self, *, freq=None, duty_u16=None, duty_ns=None, invert=False):
        self.active = True
        if freq is not None:
            self.freq(freq)
        if duty_u16 is not None:
            self.duty_u16(duty_u16)
        if duty_ns is not None:
            self.duty_ns(duty_ns)

    def deinit(self):
        self.active = False
        self._duty_u16 = 0

    def freq(self, value=None):
        if value is None:
            return self._freq
        if not 1 <= value <= 40_000_000:
            raise ValueError("frequency must be from 1Hz to 40MHz")
        self._freq = value

    def duty_u16(self, value=None):
        if value is None:
            return self._duty_u16
        if not 0 <= value <= 65535:
            raise ValueError("duty_u16 must be from 0 to 65535")
        self._duty_u16 = value

    def duty_ns(self, value=None):
        period_ns = 1_000_000_000 // self._freq
        if value is None:
            return self._duty_u16 * period_ns // 65535
        self.duty_u16(min(65535, value * 65535 // period_ns))

    def duty(self, value=None):
        if value is None:
            return self._duty_u16 >> 6
        self.duty_u16(min(65535, value << 6))


# -- ADC --------------------------------------------------------------------------------------
_adc_uv = {}  # pin id -> microvolts at the pin
_ATTN_FULL_UV = (950_000, 1_250_000, 1_750_000, 3_100_000)


def fake_adc_set_uv(pin_id, uv):
    _adc_uv[pin_id] = uv


class ADC:
    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3
    WIDTH_9BIT = 9
    WIDTH_10BIT = 10
    WIDTH_11BIT = 11
    WIDTH_12BIT = 12

    def __init__(self, id, *, sample_ns=None, atten=0):
        self._pin_id = id._id if isinstance(id, Pin) else id
        self._atten = atten
        self._bits = 12

    def init(self, *, sample_ns=None, atten=None):
        if atten is not None:
            self._atten = atten

    def atten(self, atten):
        self._atten = atten

    def width(self, bits):
        self._bits = bits

    def read_uv(self):
        uv = _adc_uv.get(self._pin_id, 0)
        return max(0, min(uv, _ATTN_FULL_UV[self._atten]))

    def read_u16(self):
        return self.read_uv() * 65535 // _ATTN_FULL_UV[self._atten]

    def read(self):
        return self.read_u16() >> (16 - self._bits)

    def deinit(self):
        pass


# -- Timer, WDT, RTC ----------------------------------------------------------------------------
class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, *, mode=1, period=None, freq=None, callback=None, hard=None):
        self._callback = None
        self.init(mode=mode, period=period, freq=freq, callback=callback)

    def init(self, *, mode=1, period=None, freq=None, callback=None, hard=None, tick_hz=None):
        self.mode = mode
        self.period_ms = period if period is not None else (1000 // freq if freq else None)
        self._callback = callback
        self.running = callback is not None

    def deinit(self):
        self.running = False

    def value(self):
        return 0

    def fake_fire(self):
        """Run the callback once, as the hardware timer would on expiry."""
        if self.running and self._callback:
            if self.mode == Timer.ONE_SHOT:
                self.running = False
            self._callback(self)


class WDT:
    def __init__(self, *, id=0, timeout=5000):
        self.timeout_ms = timeout
        self.feeds = 0

    def feed(self):
        self.feeds += 1


class RTC:
    def __init__(self, id=0):
        self._dt = (2000, 1, 1, 5, 0, 0, 0, 0)

    def init(self, datetime=None):
        if datetime is not None:
            self.datetime(datetime)

    def datetime(self, datetimetuple=None):
        if datetimetuple is None:
            return self._dt
        self._dt = tuple(datetimetuple)
