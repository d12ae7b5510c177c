# MIT license. Sensirion SLF3S liquid flow sensor (SLF3S-1300F / -0600F) on I2C, flow in mg/s.
#
#     from machine import I2C, Pin
#     from drivers.slf3s import SLF3S
#     flow = SLF3S(I2C(0, scl=Pin(22), sda=Pin(21)), model="1300F")   # starts measuring
#     flow_mg_s = flow.read()        # also integrates flow.volume_mg; flow.air_in_line
#     flow.power_down()              # stops measuring (the sensor idles at ~3 mA... see docs)
#
# For tubing setups: the sensor sits in the line from the flange to the bottle and measures the
# milk as it passes, a second flow source next to the load cell (fused in the flow stage).
# Protocol (datasheet): fixed address 0x08; 16-bit commands: 0x3608 start continuous
# measurement calibrated for water (0x3615 for isopropanol), 0x3FF9 stop; soft reset is 0x06
# to the general-call address 0x00. A read returns 9 bytes: flow, temperature, signalling
# flags, each a big-endian 16-bit word followed by a CRC-8 (poly 0x31, init 0xFF). Scale:
# SLF3S-1300F 500 per mL/min, SLF3S-0600F 10 per uL/min; temperature 200 per degC. Flag bit 0:
# air in line; bit 1: high flow (out of the specified range).
#
# Timing (Sensirion's python-i2c-sf06-lf): 1 ms after stop before the next command, the first
# result 12 ms after start; sleep (0x3677) from idle only, and a wake by a write of one byte
# 0x00 (not acknowledged), then 25 ms before the next command. After stop alone the sensor
# idles at about 3 mA: power_down() stops it and puts it to sleep.
#
# Limits: the calibration is for water; milk (fat, viscosity) reads a few percent off, so the
# weight stays the reference for volume. mg/s assumes 1.03 g/mL. The first result comes ~12 ms
# after start; a read before that, or any CRC mismatch, raises OSError (a bus glitch: the
# caller counts a fault and keeps the last flow). Volume integrates positive flow only.
import time

from micropython import const

ADDRESS = const(0x08)
_GENERAL_CALL = const(0x00)
_START_WATER = b"\x36\x08"
_START_IPA = b"\x36\x15"
_STOP = b"\x3f\xf9"
_RESET = b"\x06"
_SLEEP = b"\x36\x77"
_WAKE = b"\x00"
_STOP_MS = const(1)
_START_MS = const(12)
_WAKE_MS = const(25)
_FLAG_AIR = const(0x01)
_FLAG_HIGH_FLOW = const(0x02)
_DENSITY_MG_PER_ML = const(1030)

# raw counts per mL/min
_SCALE = {"1300F": 500, "0600F": 10000}


def crc8(buf, start, n):
    """Sensirion CRC-8 of buf[start:start+n] (no slicing: no allocation)."""
    crc = 0xFF
    for i in range(start, start + n):
        crc ^= buf[i]
        for _ in range(8):
            crc = ((crc << 1) ^ 0x31) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


class SLF3S:
    """read() -> flow in mg/s (signed); volume_mg, air_in_line, high_flow, temp_c_x100."""

    def __init__(
        self, i2c, address=ADDRESS, model="1300F", medium="water", clock_ms=time.ticks_ms
    ):
        if model not in _SCALE:
            raise ValueError("SLF3S model must be '1300F' or '0600F'")
        if medium not in ("water", "ipa"):
            raise ValueError("SLF3S medium must be 'water' or 'ipa'")
        self._i2c = i2c
        self._address = address
        self._per_ml_min = _SCALE[model]
        self._start = _START_WATER if medium == "water" else _START_IPA
        self._clock_ms = clock_ms
        self._data = bytearray(9)
        self.volume_mg = 0
        self.flow_mg_s = 0
        self.air_in_line = False
        self.high_flow = False
        self.temp_c_x100 = 0
        self.valid = False
        self.channel = 0  # the bottle it measures (0-based); set by board.py
        self._t_last = None
        self._volume_rem = 0  # sub-mg remainder of the integral (mg * ms)
        self.asleep = False
        try:
            self._i2c.writeto(address, _STOP)  # harmless when idle; a NACK means "not there"
        except OSError:
            raise OSError(
                "SLF3S flow sensor not found at I2C address 0x%02x: check SDA/SCL, "
                "3.3 V and the cable" % address
            )
        time.sleep_ms(_STOP_MS)
        self.power_up()

    def power_up(self):
        """Wake it if asleep, start continuous measurement, wait for the first result."""
        if self.asleep:
            try:
                self._i2c.writeto(self._address, _WAKE)
            except OSError:
                pass  # the wake byte is not acknowledged
            time.sleep_ms(_WAKE_MS)
            self.asleep = False
        self._i2c.writeto(self._address, self._start)
        time.sleep_ms(_START_MS)
        self.measuring = True
        self._t_last = None

    def power_down(self):
        """Stop measuring, then sleep (from idle it would draw ~3 mA)."""
        self._i2c.writeto(self._address, _STOP)
        self.measuring = False
        time.sleep_ms(_STOP_MS)
        try:
            self._i2c.writeto(self._address, _SLEEP)
        except OSError:
            return  # stays idle; still stopped
        self.asleep = True

    def soft_reset(self):
        """General-call reset: resets every device on the bus that honours it."""
        self._i2c.writeto(_GENERAL_CALL, _RESET)
        self.measuring = False

    def ready(self):
        return self.measuring

    def read(self):
        """Latest flow in mg/s; updates volume_mg and the flags. OSError on NACK or bad CRC."""
        if not self.measuring:
            raise OSError("SLF3S is stopped: call power_up() before read()")
        d = self._data
        self._i2c.readfrom_into(self._address, d)
        for word in range(3):
            if crc8(d, 3 * word, 2) != d[3 * word + 2]:
                self.valid = False
                raise OSError(
                    "SLF3S CRC mismatch (word %d): a bus glitch; check the cable "
                    "length and pull-ups" % word
                )
        raw = (d[0] << 8) | d[1]
        if raw & 0x8000:
            raw -= 0x10000
        temp = (d[3] << 8) | d[4]
        if temp & 0x8000:
            temp -= 0x10000
        flags = (d[6] << 8) | d[7]
        self.temp_c_x100 = temp // 2
        self.air_in_line = bool(flags & _FLAG_AIR)
        self.high_flow = bool(flags & _FLAG_HIGH_FLOW)
        self.valid = not self.air_in_line
        # |raw| <= 32767: raw * 1030 < 2**26
        flow = raw * _DENSITY_MG_PER_ML // (self._per_ml_min * 60)
        self.flow_mg_s = flow
        now = self._clock_ms()
        if self._t_last is not None and flow > 0 and self.valid:
            dt_ms = time.ticks_diff(now, self._t_last)
            if 0 < dt_ms < 10_000:
                total = flow * dt_ms + self._volume_rem  # <= 5e3 * 1e4: < 2**26
                self.volume_mg += total // 1000
                self._volume_rem = total % 1000
        self._t_last = now
        return flow
