# A fake Sensirion SLF3S liquid flow sensor at the command level (datasheet), for the unix port.
#
#     chip = FakeSLF3S(); machine.fake_i2c_attach(0x08, chip)
#     chip.flow_ml_min = 2.5        # what flows through it now
#
# Modelled: 16-bit commands 0x3608 / 0x3615 (start continuous, water / IPA) and 0x3FF9 (stop);
# while measuring, a read returns flow, temperature and flags words, each followed by its
# CRC-8 (poly 0x31, init 0xFF); a read while idle NACKs (OSError); `corrupt_crc` flips the
# next reply's first CRC; scale 500 per mL/min (1300F) or 10 per uL/min (0600F).
# Timing and power (Sensirion python-i2c-sf06-lf): busy (NACK) for 1 ms after stop and for
# 12 ms after start (no result yet); 0x3677 puts an idle sensor to sleep, where it answers
# nothing until a one-byte write (0x00, itself not acknowledged) and 25 ms. `state` is
# "measuring", "idle" (~3 mA) or "sleep"; `current_ua` follows it.
import errno
import time

SCALE = {"1300F": 500, "0600F": 10000}


def crc8(data):
    crc = 0xFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = ((crc << 1) ^ 0x31) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


class FakeSLF3S:
    def __init__(self, model="1300F"):
        self.scale = SCALE[model]
        self.measuring = False
        self.medium = None
        self.flow_ml_min = 0.0
        self.temp_c = 25.0
        self.air_in_line = False
        self.high_flow = False
        self.corrupt_crc = False
        self.commands = []
        self.asleep = False
        self.busy_nacks = 0
        self._busy_until = None  # ticks_ms before which it NACKs

    @property
    def state(self):
        return "sleep" if self.asleep else ("measuring" if self.measuring else "idle")

    @property
    def current_ua(self):
        return {"sleep": 1, "idle": 3000, "measuring": 3600}[self.state]

    def _busy(self, ms):
        self._busy_until = time.ticks_add(time.ticks_ms(), ms)

    def _check_busy(self):
        if self._busy_until is not None:
            if time.ticks_diff(self._busy_until, time.ticks_ms()) > 0:
                self.busy_nacks += 1
                raise OSError(errno.EIO)
            self._busy_until = None

    def i2c_write(self, data):
        if self.asleep:
            if data == b"\x00":
                self.asleep = False
                self._busy(25)
            raise OSError(errno.EIO)  # asleep: nothing acknowledged (the wake byte neither)
        self._check_busy()
        if len(data) != 2:
            raise OSError(errno.EIO)
        cmd = (data[0] << 8) | data[1]
        self.commands.append(cmd)
        if cmd == 0x3608:
            self.measuring, self.medium = True, "water"
            self._busy(12)
        elif cmd == 0x3615:
            self.measuring, self.medium = True, "ipa"
            self._busy(12)
        elif cmd == 0x3FF9:
            self.measuring = False
            self._busy(1)
        elif cmd == 0x3677 and not self.measuring:
            self.asleep = True
        else:
            raise OSError(errno.EIO)  # unknown command: NACK

    def i2c_read(self, n):
        if self.asleep:
            raise OSError(errno.EIO)
        self._check_busy()
        if not self.measuring:
            raise OSError(errno.EIO)
        raw = max(-32768, min(32767, int(round(self.flow_ml_min * self.scale))))
        temp = int(round(self.temp_c * 200))
        flags = (1 if self.air_in_line else 0) | (2 if self.high_flow else 0)
        out = bytearray()
        for word in (raw, temp, flags):
            pair = bytes(((word >> 8) & 0xFF, word & 0xFF))
            out += pair + bytes((crc8(pair),))
        if self.corrupt_crc:
            out[2] ^= 0xFF
            self.corrupt_crc = False
        return bytes(out[:n])


class GeneralCall:
    """The I2C general-call address 0x00: records the soft-reset byte and resets `devices`."""

    def __init__(self, devices):
        self.devices = devices
        self.resets = 0

    def i2c_write(self, data):
        if data == b"\x06":
            self.resets += 1
            for dev in self.devices:
                dev.measuring = False

    def i2c_read(self, n):
        raise OSError(errno.EIO)
