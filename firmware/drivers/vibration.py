# MIT license. Coin vibration motor (ERM) switched by a transistor on a PWM pin.
#
#     from machine import Pin
#     from drivers.vibration import Motor
#     motor = Motor(Pin(27))          # GPIO -> 1 kohm -> NPN base / N-MOSFET gate; motor to 3V3
#     motor.on(70)                    # strength in percent
#     motor.off()
#
# Circuit (docs/hardware.md): the motor between the supply and the transistor's collector
# (drain), a flyback diode (1N4148 / BAT54) across the motor, 100 nF across it against noise.
# PWM at 20 kHz: above hearing, so the motor does not whine, and the ERM's inertia averages it.
#
# Limits: an ERM needs a minimum voltage to start spinning, so strengths from 1 % map onto
# min_pct..100 % duty; strength is open loop (no back-EMF sensing: the DRV2605L driver does
# that). on()/off() only set the duty: no allocation, callable from the sample loop.
from machine import PWM
from micropython import const

_FREQ_HZ = const(20_000)
_FULL = const(65535)


class Motor:
    """on(strength_pct), off(), power_down(); level_pct is what it was last told."""

    def __init__(self, pin, min_pct=35, active_high=True, freq_hz=_FREQ_HZ):
        if not 0 <= min_pct < 100:
            raise ValueError("Motor min_pct must be 0..99")
        self._min_pct = min_pct
        self._invert = not active_high
        self._pwm = PWM(pin, freq=freq_hz, duty_u16=_FULL if self._invert else 0)
        self.level_pct = 0

    def _duty(self, pct):
        duty = pct * _FULL // 100
        return _FULL - duty if self._invert else duty

    def on(self, strength_pct=100):
        """Vibrate at strength_pct (1..100); 0 stops."""
        if strength_pct <= 0:
            self.off()
            return
        if strength_pct > 100:
            strength_pct = 100
        duty_pct = self._min_pct + (100 - self._min_pct) * strength_pct // 100
        self._pwm.duty_u16(self._duty(duty_pct))
        self.level_pct = strength_pct

    def off(self):
        self._pwm.duty_u16(self._duty(0))
        self.level_pct = 0

    def power_down(self):
        self.off()

    def power_up(self):
        pass
