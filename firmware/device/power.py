# Power between sessions: light sleep with the ADCs powered down and the motor off, waking on
# the button (or after max_ms, so the device still checks the host and the battery).
#
#     p = Power(scales=hw.scales, motor=hw.motor, button=hw.button, accel=hw.accel)
#     woke_by_button = p.sleep(max_ms=30_000)      # returns after waking; parts powered up
#
# Board bring-up level: like board.py it may import `machine` (lightsleep, wake_reason) and
# `esp32` (wake sources); nothing above it does. Wake source: `esp32.wake_on_gpio` when the
# port has it (any GPIO, light sleep only: the AtomS3's G41 is not an RTC pin), else
# Pin.irq(trigger=WAKE_LOW/HIGH, wake=machine.SLEEP) (ext0: RTC pins only, e.g. the DevKitC's
# GPIO32). If neither accepts the pin, the sleep is timer-only and `wake_source` says so.
#
# Limits: the ESP32's light sleep keeps RAM and GPIO levels (the HX711's SCK stays high, so it
# stays powered down) but stops USB-serial on the S3's built-in USB: the host reconnects after
# waking. The expected current per state is in docs/hardware.md. Flow sensors and the
# accelerometer are powered down too when fitted.
import machine

try:
    import esp32
except ImportError:  # not an ESP32 port
    esp32 = None


class Power:
    def __init__(self, scales=(), motor=None, button=None, accel=None, flow_sensors=()):
        self.scales = list(scales)
        self.motor = motor
        self.button = button  # drivers.button_pin.ButtonPin (pin, wake_level)
        self.accel = accel
        self.flow_sensors = list(flow_sensors)
        self.wake_source = "none"
        self.sleeps = 0
        self.asleep = False

    def _arm_wake(self):
        btn = self.button
        if btn is None:
            self.wake_source = "timer"
            return
        if esp32 is not None and hasattr(esp32, "wake_on_gpio"):
            try:
                esp32.wake_on_gpio((btn.pin,), bool(btn.wake_level))
                self.wake_source = "gpio"
                return
            except (ValueError, OSError):
                pass
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
            esp32.wake_on_gpio(None, False)  # type: ignore[union-attr]
        elif self.wake_source == "ext0" and hasattr(btn, "_handler"):
            btn.pin.irq(handler=btn._handler,
                        trigger=machine.Pin.IRQ_FALLING if btn.wake_level == 0
                        else machine.Pin.IRQ_RISING)

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

        Returns True when the button woke it (or is held now)."""
        if self.button is not None and self.button.pressed():
            return True  # no point sleeping: it would wake at once
        self.power_down()
        self._arm_wake()
        self.asleep = True
        self.sleeps += 1
        try:
            machine.lightsleep(max_ms)
        finally:
            self.asleep = False
            self._disarm_wake()
            self.power_up()
        if self.button is None:
            return False
        return machine.wake_reason() == machine.PIN_WAKE or self.button.pressed()
