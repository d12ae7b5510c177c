# MIT license. NAU7802 24-bit bridge ADC on I2C (Nuvoton): a load cell on a 3.3 V board.
#
#     from machine import I2C, Pin
#     from drivers.nau7802 import NAU7802
#     adc = NAU7802(I2C(0, scl=Pin(6), sda=Pin(5)), gain=128, rate_sps=80)
#     if adc.ready():
#         counts = adc.read()          # signed 24-bit counts
#     adc.power_down()                 # between sessions (~0.2 uA)
#     adc.power_up()
#
# Why it suits battery boards: it has its own LDO (set here to 3.0 V, so the bridge sees a
# stable excitation below the 3.3 V supply: the LDO needs headroom, as SparkFun's and
# CedarGrove's drivers have it) and runs at 2.7-5.5 V, where an HX711 module wants 5 V
# excitation for its best range.
#
# Start-up (datasheet 9.1, SparkFun / CedarGrove drivers): RR=1, wait 1 ms, RR=0, PUD+PUA,
# wait for PUR; internal LDO (AVDDS) at 3.0 V, gain, rate, chopper clock off (ADC reg 0x15 =
# 0x30), the PGA output capacitor on only when channel 1 (VIN1) is read (it sits across
# channel 2's inputs); CS=1; then, once the analog front end has settled (SETTLE_MS, readings
# in that time discarded), an internal offset calibration (CALS until it clears; CAL_ERR fails
# it). After every power_up() the same settling applies: ready() stays False (and discards
# conversions) until SETTLE_MS have passed, so a tare after waking sees settled readings
# without blocking the wake. A conversion is ready when PU_CTRL.CR is set; ADCO_B2..B0 hold
# it, MSB first.
#
# Limits: every wait is bounded and raises OSError saying what to check; a missing chip is an
# OSError at construction. ready() costs one I2C transaction; read() three bytes into a buffer
# allocated once. Channel 2 (CHS) is selectable; the external/gain calibration modes are not
# used (the scale layer calibrates in software).
import time

from micropython import const

from drivers.i2creg import I2CRegisters

ADDRESS = const(0x2A)

_PU_CTRL = const(0x00)
_CTRL1 = const(0x01)
_CTRL2 = const(0x02)
_ADCO_B2 = const(0x12)
_ADC = const(0x15)
_POWER = const(0x1C)
_REVISION_ID = const(0x1F)

_PU_RR = const(0x01)
_PU_PUD = const(0x02)
_PU_PUA = const(0x04)
_PU_PUR = const(0x08)
_PU_CS = const(0x10)
_PU_CR = const(0x20)
_PU_AVDDS = const(0x80)
_CTRL2_CALS = const(0x04)
_CTRL2_CAL_ERR = const(0x08)
_CTRL2_CHS = const(0x80)
_VLDO_3V0 = const(0b101)  # VLDO: 0b100 would be 3.3 V, no headroom on a 3.3 V supply
_POWER_PGA_CAP_EN = const(0x80)

_POWER_UP_TIMEOUT_MS = const(50)  # datasheet: PUR within ~200 us
_CAL_TIMEOUT_MS = const(1500)  # offset calibration takes a few conversions (10 SPS: ~0.5 s)
_RESET_MS = const(1)  # RR held this long (SparkFun 1 ms; CedarGrove waits 100 ms after it)
SETTLE_MS = const(400)  # after power-up: readings discarded (CedarGrove: 400-600 ms)

_GAINS = (1, 2, 4, 8, 16, 32, 64, 128)
_RATES = {10: 0b000, 20: 0b001, 40: 0b010, 80: 0b011, 320: 0b111}


class NAU7802(I2CRegisters):
    """One NAU7802: ready(), read() -> signed counts, channel, power_down()/power_up()."""

    def __init__(
        self,
        i2c,
        address=ADDRESS,
        gain=128,
        rate_sps=80,
        channel=0,
        timeout_ms=500,
        calibrate=True,
    ):
        if gain not in _GAINS:
            raise ValueError("NAU7802 gain must be one of 1, 2, 4, ..., 128")
        if rate_sps not in _RATES:
            raise ValueError("NAU7802 rate_sps must be 10, 20, 40, 80 or 320")
        super().__init__(i2c, address)
        self.timeout_ms = timeout_ms
        self._data = bytearray(3)
        self.gain = gain
        self.rate_sps = rate_sps
        try:
            revision = self._read(_REVISION_ID)
        except OSError:
            raise OSError(
                "NAU7802 not found at I2C address 0x%02x: check SDA/SCL wiring, power and "
                "pull-ups" % address
            )
        if revision & 0x0F != 0x0F:
            raise OSError(
                "the device at I2C 0x%02x is not a NAU7802 (revision id 0x%02x, expected 0x?F)"
                % (address, revision)
            )
        self._t_up_ms = time.ticks_ms()
        self._settling = False
        self._write(_PU_CTRL, _PU_RR)
        time.sleep_ms(_RESET_MS)
        self._write(_PU_CTRL, 0)
        self.power_up(start=False)
        self._write(_PU_CTRL, self._read(_PU_CTRL) | _PU_AVDDS)
        self._write(_CTRL1, (_VLDO_3V0 << 3) | _GAINS.index(gain))
        self._write(_CTRL2, (_RATES[rate_sps] << 4))
        self._write(_ADC, 0x30)
        self.set_channel(channel)
        self._write(_PU_CTRL, self._read(_PU_CTRL) | _PU_CS)
        if calibrate:
            self.calibrate()

    # -- registers
    def _wait(self, reg, mask, want_set, timeout_ms, what):
        start = time.ticks_ms()
        while bool(self._read(reg) & mask) != want_set:
            if time.ticks_diff(time.ticks_ms(), start) > timeout_ms:
                raise OSError(
                    "NAU7802 at 0x%02x: %s within %d ms" % (self._address, what, timeout_ms)
                )
            time.sleep_ms(1)

    # -- operations
    def settle(self):
        """Wait (bounded: SETTLE_MS) until the front end has settled after power-up,
        discarding the conversions of that time."""
        while self._settling:
            self.ready()
            time.sleep_ms(5)

    def calibrate(self):
        """Internal offset calibration (CALMOD=00), once settled; OSError on CAL_ERR."""
        self.settle()
        ctrl2 = self._read(_CTRL2) & ~0x03
        self._write(_CTRL2, ctrl2 | _CTRL2_CALS)
        self._wait(_CTRL2, _CTRL2_CALS, False, _CAL_TIMEOUT_MS, "calibration did not finish")
        if self._read(_CTRL2) & _CTRL2_CAL_ERR:
            raise OSError(
                "NAU7802 offset calibration failed (CAL_ERR): check the load cell "
                "wiring (E+/E-/A+/A-)"
            )

    def set_channel(self, channel):
        """0: VIN1 (the load cell), 1: VIN2. The next conversion is on the new channel. The
        PGA output capacitor (across VIN2's pins) is on only while VIN1 is read."""
        ctrl2 = self._read(_CTRL2)
        self._write(_CTRL2, (ctrl2 | _CTRL2_CHS) if channel else (ctrl2 & ~_CTRL2_CHS))
        power = self._read(_POWER)
        self._write(
            _POWER, (power & ~_POWER_PGA_CAP_EN) if channel else (power | _POWER_PGA_CAP_EN)
        )
        self.channel = 1 if channel else 0

    def ready(self):
        """A settled conversion is ready (during settling, conversions are read and dropped)."""
        if self._settling:
            if time.ticks_diff(time.ticks_ms(), self._t_up_ms) < SETTLE_MS:
                if self._read(_PU_CTRL) & _PU_CR:
                    self._i2c.readfrom_mem_into(self._address, _ADCO_B2, self._data)
                return False
            self._settling = False
        return bool(self._read(_PU_CTRL) & _PU_CR)

    def read(self):
        """The next conversion in signed counts; waits up to timeout_ms (after settling),
        else OSError."""
        self.settle()
        if not self.ready():
            self._wait(_PU_CTRL, _PU_CR, True, self.timeout_ms, "no conversion came")
        data = self._data
        self._i2c.readfrom_mem_into(self._address, _ADCO_B2, data)
        value = (data[0] << 16) | (data[1] << 8) | data[2]
        if value & 0x800000:
            value -= 0x1000000
        return value

    def power_down(self):
        """Analog and digital off (PUA=PUD=0): ~0.2 uA; registers are kept."""
        self._write(_PU_CTRL, self._read(_PU_CTRL) & ~(_PU_PUD | _PU_PUA | _PU_CS))

    def power_up(self, start=True):
        self._write(_PU_CTRL, self._read(_PU_CTRL) | _PU_PUD | _PU_PUA)
        self._wait(_PU_CTRL, _PU_PUR, True, _POWER_UP_TIMEOUT_MS, "did not power up (PUR)")
        self._t_up_ms = time.ticks_ms()
        self._settling = True
        if start:
            self._write(_PU_CTRL, self._read(_PU_CTRL) | _PU_CS)
