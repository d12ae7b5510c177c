# MIT license. DRV2605L haptic driver (TI) on I2C: effect library and real-time strength.
#
#     from machine import I2C, Pin
#     from drivers.drv2605 import DRV2605
#     hap = DRV2605(I2C(0, scl=Pin(6), sda=Pin(5)), actuator="erm")
#     hap.play_effect(1)              # "strong click 100%" from the ERM library
#     hap.on(70); hap.off()           # the vibration.Motor interface (real-time playback)
#     hap.power_down()                # standby (~4 uA typical... see docs/hardware.md)
#
# Registers (datasheet SLOS854): STATUS 0x00 (DEVICE_ID bits 7..5: 3 = DRV2605, 7 = DRV2605L),
# MODE 0x01 (DEV_RESET bit 7, STANDBY bit 6, MODE bits 2..0: 0 internal trigger, 5 real-time
# playback), RTP_INPUT 0x02, LIBRARY_SEL 0x03, WAVESEQ1..8 0x04..0x0B, GO 0x0C, overdrive,
# sustain and brake times 0x0D..0x10, FEEDBACK 0x1A (N_ERM_LRA bit 7), CONTROL3 0x1D
# (ERM_OPEN_LOOP bit 5). Effects 1..123 are the TouchSense library; 0 ends a sequence.
#
# Limits: open-loop ERM (libraries 1..5) or closed-loop LRA (library 6) without running the
# auto-calibration (the rated/clamp voltage registers keep their defaults). GO is polled:
# playing() reads it; every wait is bounded. A missing chip is an OSError at construction.
import time

from micropython import const

from drivers.i2creg import I2CRegisters

ADDRESS = const(0x5A)

_STATUS = const(0x00)
_MODE = const(0x01)
_RTP_INPUT = const(0x02)
_LIBRARY = const(0x03)
_WAVESEQ1 = const(0x04)
_GO = const(0x0C)
_OVERDRIVE = const(0x0D)
_SUSTAIN_POS = const(0x0E)
_SUSTAIN_NEG = const(0x0F)
_BRAKE = const(0x10)
_FEEDBACK = const(0x1A)
_CONTROL3 = const(0x1D)

_MODE_RESET = const(0x80)
_MODE_STANDBY = const(0x40)
_MODE_INTERNAL = const(0x00)
_MODE_RTP = const(0x05)
_FEEDBACK_LRA = const(0x80)
_CONTROL3_ERM_OPEN_LOOP = const(0x20)
_RESET_TIMEOUT_MS = const(50)


class DRV2605(I2CRegisters):
    """play_effect(n, ...), playing(), stop(); on(pct)/off() like vibration.Motor."""

    def __init__(self, i2c, address=ADDRESS, actuator="erm", library=1):
        if actuator not in ("erm", "lra"):
            raise ValueError("DRV2605 actuator must be 'erm' or 'lra'")
        if actuator == "lra":
            library = 6
        if not 1 <= library <= 7:
            raise ValueError("DRV2605 library must be 1..7 (1-5 ERM, 6 LRA)")
        super().__init__(i2c, address)
        self.level_pct = 0
        try:
            status = self._read(_STATUS)
        except OSError:
            raise OSError(
                "DRV2605 haptic driver not found at I2C address 0x%02x: check "
                "SDA/SCL, power and that EN is high" % address
            )
        device_id = status >> 5
        if device_id not in (3, 7):
            raise OSError(
                "the device at I2C 0x%02x is not a DRV2605/DRV2605L (device id %d)"
                % (address, device_id)
            )
        self.device_id = device_id
        self._write(_MODE, _MODE_RESET)
        start = time.ticks_ms()
        while self._read(_MODE) & _MODE_RESET:
            if time.ticks_diff(time.ticks_ms(), start) > _RESET_TIMEOUT_MS:
                raise OSError(
                    "DRV2605 at 0x%02x did not finish its reset within %d ms"
                    % (address, _RESET_TIMEOUT_MS)
                )
            time.sleep_ms(1)
        self._write(_MODE, _MODE_INTERNAL)  # out of standby
        self._write(_RTP_INPUT, 0)
        self._write(_WAVESEQ1, 1)
        self._write(_WAVESEQ1 + 1, 0)
        for reg in (_OVERDRIVE, _SUSTAIN_POS, _SUSTAIN_NEG, _BRAKE):
            self._write(reg, 0)
        feedback = self._read(_FEEDBACK)
        control3 = self._read(_CONTROL3)
        if actuator == "erm":
            self._write(_FEEDBACK, feedback & ~_FEEDBACK_LRA)
            self._write(_CONTROL3, control3 | _CONTROL3_ERM_OPEN_LOOP)
        else:
            self._write(_FEEDBACK, feedback | _FEEDBACK_LRA)
        self._write(_LIBRARY, library)
        self.actuator = actuator
        self._mode = _MODE_INTERNAL

    def _set_mode(self, mode):
        if mode != self._mode:
            self._write(_MODE, mode)
            self._mode = mode

    def play_effect(self, *effects):
        """Play up to 8 library effects (1..123) in a row; returns at once."""
        if not 1 <= len(effects) <= 8:
            raise ValueError("DRV2605 plays 1 to 8 effects at a time")
        self._set_mode(_MODE_INTERNAL)
        for i, effect in enumerate(effects):
            if not 1 <= effect <= 123:
                raise ValueError("DRV2605 effect must be 1..123, got %d" % effect)
            self._write(_WAVESEQ1 + i, effect)
        if len(effects) < 8:
            self._write(_WAVESEQ1 + len(effects), 0)
        self._write(_GO, 1)

    def playing(self):
        return bool(self._read(_GO) & 1)

    def stop(self):
        self._write(_GO, 0)

    def on(self, strength_pct=100):
        """Real-time playback at strength_pct (the vibration.Motor interface)."""
        if strength_pct <= 0:
            self.off()
            return
        if strength_pct > 100:
            strength_pct = 100
        self._set_mode(_MODE_RTP)
        self._write(_RTP_INPUT, strength_pct * 127 // 100)  # signed RTP format: 0..0x7F
        self.level_pct = strength_pct

    def off(self):
        self._write(_RTP_INPUT, 0)
        self._set_mode(_MODE_INTERNAL)
        self.level_pct = 0

    def power_down(self):
        """Standby: the output stage is off, registers kept."""
        self._write(_RTP_INPUT, 0)
        self._set_mode(_MODE_STANDBY)
        self.level_pct = 0

    def power_up(self):
        self._set_mode(_MODE_INTERNAL)
