# Power: light sleep between sessions with the ADCs powered down and the motor off, waking on
# the button (or after max_ms, so the device still checks the host and the battery); and rest
# between samples during a session.
#
#     p = Power(scales=hw.scales, motor=hw.motor, button=hw.button, accel=hw.accel)
#     p.host = hostlink.HostLink(sys.stdin)        # never sleep while a host is attached
#     woke_by_button = p.sleep(max_ms=30_000)      # returns after waking; parts powered up
#     p.rest(left_ms, due_ms)                      # in a session: until the next conversion
#
# Board bring-up level: like board.py it may import `machine` (lightsleep, wake_reason) and
# `esp32` (wake sources); nothing above it does. Wake source: `esp32.wake_on_gpio` when the
# port has it (any GPIO, light sleep only: the AtomS3's G41 is not an RTC pin), else
# Pin.irq(trigger=WAKE_LOW/HIGH, wake=machine.SLEEP) (ext0: RTC pins only, e.g. the DevKitC's
# GPIO32). If neither accepts the pin, the sleep is timer-only and `wake_source` says so.
#
# What the ESP32 port does and this module works around (MicroPython v1.29, ESP-IDF 5):
# - gpio_wakeup_enable() (machine.lightsleep with wake_on_gpio pins) makes the pin's
#   interrupt level-triggered and leaves it so: an edge handler on the pin would then fire
#   without end while the button is held. The handler is taken off before the sleep and put
#   back (edge-triggered) after it. `esp32.wake_on_gpio(None, ...)` keeps the pins: `()`
#   clears them. After a GPIO wake, wake_reason() is 7 (ESP_SLEEP_WAKEUP_GPIO), not PIN_WAKE.
# - The ESP32-S3 isolates its IOs in light sleep: the HX711's SCK is held (Pin hold) so it
#   stays high (powered down) between sessions and low (converting) between samples.
# - A delay of one FreeRTOS tick (10 ms) or less busy-spins (mp_hal_delay_ms): a wait meant to
#   rest the CPU is either a light sleep or longer than a tick.
# - Light sleep stops the native USB (S3) and loses UART bytes (ESP32): no light sleep while a
#   host is attached (`host.attached()`: VBUS sense where the board has it, else recent host
#   activity), and none while a cue plays (the PWM/I2C motor needs the clocks).
#
# Time in each state is counted (ms) for the power model of `make bench`: `t_sleep_ms` (light
# sleep between sessions), `t_rest_sleep_ms` (light sleep between samples), `t_rest_wait_ms`
# (blocking waits, CPU idle but not asleep), `t_spin_ms` (waits of a tick or less: busy).
# The expected current per state is in docs/hardware.md.
import time

import machine

try:
    import esp32
except ImportError:  # not an ESP32 port
    esp32 = None

TICK_MS = 10  # one FreeRTOS tick (CONFIG_FREERTOS_HZ=100 in the ESP32 port)
WAKE_GPIO = 7  # ESP_SLEEP_WAKEUP_GPIO: machine has no name for it
_PIN_REASONS = (machine.PIN_WAKE, machine.EXT1_WAKE, WAKE_GPIO)


def _has_gpio_wake():
    return esp32 is not None and hasattr(esp32, "wake_on_gpio")


class Power:
    def __init__(
        self,
        scales=(),
        motor=None,
        button=None,
        accel=None,
        flow_sensors=(),
        host=None,
        vbus_pin=None,
    ):
        self.scales = list(scales)
        self.motor = motor
        self.button = button  # drivers.button_pin.ButtonPin (pin, wake_level)
        self.accel = accel
        self.flow_sensors = list(flow_sensors)
        self.host = host  # device.hostlink.HostLink (attached()) or None: no host check
        self.haptics = None  # device.haptics.Haptics: no light sleep while it plays
        self.wake_source = "none"
        self.sleeps = 0
        self.asleep = False
        self.rest_sleep = True  # light sleep between samples (when no host is attached)
        self.vbus_pin = vbus_pin  # VBUS sense pin from the board file (for hostlink.HostLink)
        # the ADC whose data-ready pin wakes a rest (HX711 DOUT), and pins held in sleep
        self._ready = None
        self._held = []
        for part in self.scales:
            if hasattr(part, "hold_pins"):
                self._held.append(part)
        if self.scales and hasattr(self.scales[0], "ready_pin"):
            self._ready = self.scales[0]
        self.t_sleep_ms = 0
        self.t_rest_sleep_ms = 0
        self.t_rest_wait_ms = 0
        self.t_spin_ms = 0
        self.rest_sleeps = 0

    def may_sleep(self):
        """False while a host is attached (light sleep would drop its USB link)."""
        host = self.host
        return host is None or not host.attached()

    # -- between sessions --------------------------------------------------------------
    def _arm_wake(self):
        btn = self.button
        if btn is None:
            self.wake_source = "timer"
            return
        if _has_gpio_wake():
            try:
                btn.irq_off()  # gpio_wakeup_enable makes its interrupt level-triggered
                esp32.wake_on_gpio((btn.pin,), bool(btn.wake_level))  # type: ignore
                self.wake_source = "gpio"
                return
            except (ValueError, OSError):
                btn.irq_on()
        trigger = machine.Pin.WAKE_HIGH if btn.wake_level else machine.Pin.WAKE_LOW
        try:
            btn.pin.irq(trigger=trigger, wake=machine.SLEEP)
            self.wake_source = "ext0"
        except (ValueError, OSError):
            self.wake_source = "timer"  # this pin cannot wake the chip: wake on time only

    def _disarm_wake(self):
        btn = self.button
        if btn is None:
            return
        if self.wake_source == "gpio":
            esp32.wake_on_gpio((), False)  # type: ignore[union-attr]  # None would keep them
        if self.wake_source in ("gpio", "ext0"):
            btn.irq_on()  # edge-triggered again

    def power_down(self):
        """Motor off, ADCs, accelerometer and flow sensors to their lowest-power state."""
        if self.motor is not None:
            self.motor.off()
        for part in self.scales + self.flow_sensors:
            part.power_down()
        if self.accel is not None and hasattr(self.accel, "power_down"):
            self.accel.power_down()

    def power_up(self):
        for part in self.scales + self.flow_sensors:
            part.power_up()
        if self.accel is not None and hasattr(self.accel, "power_up"):
            self.accel.power_up()

    def sleep(self, max_ms=30_000):
        """Light sleep until the button or max_ms; parts powered up again on return.

        Returns True when the button woke it (or is held now). Does not sleep (returns False
        at once) while a host is attached."""
        if self.button is not None and self.button.pressed():
            return True  # no point sleeping: it would wake at once
        if not self.may_sleep():
            return False
        self.power_down()
        self._arm_wake()
        self.asleep = True
        self.sleeps += 1
        t0 = time.ticks_ms()
        try:
            machine.lightsleep(max_ms)
        finally:
            self.t_sleep_ms += time.ticks_diff(time.ticks_ms(), t0)
            self.asleep = False
            self._disarm_wake()
            self.power_up()
        if self.button is None:
            return False
        return machine.wake_reason() in _PIN_REASONS or self.button.pressed()

    # -- during a session ----------------------------------------------------------------
    def rest(self, left_ms, due_ms):
        """Rest the CPU while the ADC converts, for at most left_ms; due_ms is when the next
        conversion is expected (from the ADC's rate). Light sleep when no host is attached and
        no cue plays: until the ADC's data-ready pin (and the button) wakes it, or, without
        such a pin, until due_ms. Else a blocking wait of more than one tick when due_ms allows
        it (FreeRTOS idles), or a short wait, which the port busy-spins (t_spin_ms)."""
        if left_ms <= 0:
            return
        t0 = time.ticks_ms()
        hap = self.haptics
        if self.rest_sleep and self.may_sleep() and (hap is None or not hap.busy):
            ms = left_ms if self._ready is not None else min(left_ms, max(due_ms, 1))
            self._rest_sleep(ms)
            self.t_rest_sleep_ms += time.ticks_diff(time.ticks_ms(), t0)
            return
        if due_ms > TICK_MS:
            # over a tick: mp_hal_delay_ms blocks the task for whole ticks (the HX711 keeps
            # its conversion until read; the overshoot stays under the 12.5 ms of 80 SPS)
            time.sleep_ms(min(left_ms, due_ms))
            self.t_rest_wait_ms += time.ticks_diff(time.ticks_ms(), t0)
        else:
            time.sleep_ms(1)
            self.t_spin_ms += time.ticks_diff(time.ticks_ms(), t0)

    def _rest_sleep(self, ms):
        adc = self._ready
        btn = self.button
        gpio = adc is not None and _has_gpio_wake()
        for part in self._held:
            part.hold_pins(True)
        if gpio:
            adc.irq_off()  # type: ignore[union-attr]
            if btn is not None and btn.wake_level == 0 and not btn.pressed():
                btn.irq_off()
                esp32.wake_on_gpio((adc.ready_pin, btn.pin), False)  # type: ignore
            else:
                btn = None
                esp32.wake_on_gpio((adc.ready_pin,), False)  # type: ignore
        self.rest_sleeps += 1
        try:
            machine.lightsleep(ms)
        finally:
            if gpio:
                esp32.wake_on_gpio((), False)  # type: ignore[union-attr]
                adc.irq_on()  # type: ignore[union-attr]
                if btn is not None:
                    btn.irq_on()
            for part in self._held:
                part.hold_pins(False)
