# Fakes of the accelerometers at the register level: LIS3DH/LIS2DH12 (I2C and SPI) and MPU6886.
#
#     chip = FakeLIS3DH(); machine.fake_i2c_attach(0x18, chip)
#     chip.set_mgee(0, 0, 1000)      # the acceleration it senses now (a new sample)
#
# LIS3DH, from the datasheet: WHO_AM_I 0x33; CTRL_REG1 0x07 after boot (ODR 0: power-down, no
# new samples); the output registers hold 16-bit left-justified two's complement, 12 bits
# significant in HR mode (1/2/4/12 mg per digit for FS 0..3), 10 bits in normal mode and 8 in
# low-power mode; STATUS_REG.ZYXDA is set by a new sample and cleared by reading the outputs;
# on I2C the sub-address auto-increments only when its bit 7 is set (else reads repeat one
# register), on SPI bit 7 means read and bit 6 (MS) auto-increment.
# MPU6886: WHO_AM_I 0x19; PWR_MGMT_1 resets to 0x40 (asleep), DEVICE_RESET self-clears after
# `reset_reads` reads; no new samples while SLEEP; ACCEL_XOUT_H.. big-endian at 16384 >> FS
# LSB per g; INT_STATUS.DATA_RDY cleared on read; the pointer always auto-increments. For
# `reset_ms` (10 ms, M5Stack's driver waits that long) after DEVICE_RESET it NACKs.
import errno
import time

from regdev import RegisterDevice

_HR_MG = (1, 2, 4, 12)
_NORMAL_MG = (4, 8, 16, 48)
_LP_MG = (16, 32, 64, 192)


class FakeLIS3DH(RegisterDevice):
    def __init__(self, who_am_i=0x33):
        super().__init__(0x40)
        self.regs[0x0F] = who_am_i
        self.regs[0x20] = 0x07
        self.samples = 0

    def auto_increment(self, first_byte):
        return bool(first_byte & 0x80)

    def reg_address(self, first_byte):
        return first_byte & 0x7F

    @property
    def powered_down(self):
        return self.regs[0x20] >> 4 == 0

    def set_mgee(self, x, y, z):
        """A new sample; ignored while powered down (ODR 0). False then."""
        if self.powered_down:
            return False
        fs = (self.regs[0x23] >> 4) & 3
        if self.regs[0x23] & 0x08:
            bits, mg = 12, _HR_MG[fs]
        elif self.regs[0x20] & 0x08:
            bits, mg = 8, _LP_MG[fs]
        else:
            bits, mg = 10, _NORMAL_MG[fs]
        for i, value in enumerate((x, y, z)):
            digits = int(round(value / mg))
            limit = 1 << (bits - 1)
            digits = max(-limit, min(limit - 1, digits))
            word = (digits << (16 - bits)) & 0xFFFF
            self.regs[0x28 + 2 * i] = word & 0xFF
            self.regs[0x29 + 2 * i] = word >> 8
        self.regs[0x27] |= 0x08
        self.samples += 1
        return True

    def on_read(self, reg):
        if 0x28 <= reg <= 0x2D:
            self.regs[0x27] &= ~0x08
        return self.regs[reg]

    def on_write(self, reg, value):
        if reg in (0x0F, 0x27) or 0x28 <= reg <= 0x2D:
            return  # read only
        self.regs[reg] = value

    # SPI side (machine.fake_spi_attach(cs_pin_id, chip)): one transfer = one transaction
    def spi_transfer(self, tx, rx):
        first = tx[0]
        reg = first & 0x3F
        advance = bool(first & 0x40)
        for i in range(1, len(tx)):
            if first & 0x80:
                if rx is not None:
                    rx[i] = self.on_read(reg)
            else:
                self.writes.append((reg, tx[i]))
                self.on_write(reg, tx[i])
            if advance:
                reg += 1


class FakeMPU6886(RegisterDevice):
    def __init__(self):
        super().__init__(0x80)
        self.reset_reads = 2
        self.reset_ms = 10
        self._t_reset = None
        self._reset_countdown = 0
        self._defaults()

    def _check(self):
        super()._check()
        if self._t_reset is not None:
            if time.ticks_diff(time.ticks_ms(), self._t_reset) < self.reset_ms:
                raise OSError(errno.EIO)  # resetting: no answer
            self._t_reset = None

    def _defaults(self):
        for i in range(len(self.regs)):
            self.regs[i] = 0
        self.regs[0x75] = 0x19
        self.regs[0x6B] = 0x40

    @property
    def asleep(self):
        return bool(self.regs[0x6B] & 0x40)

    @property
    def gyro_on(self):
        return self.regs[0x6C] & 0x07 != 0x07

    def set_mgee(self, x, y, z):
        if self.asleep or self.regs[0x6B] & 0x80:
            return False
        lsb = 16384 >> ((self.regs[0x1C] >> 3) & 3)
        for i, value in enumerate((x, y, z)):
            raw = max(-32768, min(32767, int(round(value * lsb / 1000))))
            word = raw & 0xFFFF
            self.regs[0x3B + 2 * i] = word >> 8
            self.regs[0x3C + 2 * i] = word & 0xFF
        self.regs[0x3A] |= 0x01
        return True

    def on_read(self, reg):
        if reg == 0x6B and self._reset_countdown:
            self._reset_countdown -= 1
            if not self._reset_countdown:
                self._defaults()
        value = self.regs[reg]
        if reg == 0x3A:
            self.regs[0x3A] &= ~0x01
        return value

    def on_write(self, reg, value):
        if reg == 0x75:
            return
        if reg == 0x6B and value & 0x80:
            self._reset_countdown = self.reset_reads
            self._t_reset = time.ticks_ms()
        self.regs[reg] = value
