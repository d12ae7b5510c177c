# Base for I2C chip fakes that are a register map (attach with machine.fake_i2c_attach).
#
# A write message sets the register pointer from its first byte and writes the rest from
# there; a read message returns bytes from the pointer. Whether the pointer advances, and how
# reads and writes act on the chip, is each fake's business: override `on_read(reg)` /
# `on_write(reg, value)`. `auto_increment(first_byte)` says whether this message's pointer
# advances (the ST parts advance only when bit 7 of the sub-address is set); `fail_next`
# makes the next message NACK (OSError EIO), as a glitching bus would.
import errno


class RegisterDevice:
    def __init__(self, size=256):
        self.regs = bytearray(size)
        self.pointer = 0
        self._advance = True
        self.fail_next = 0
        self.writes = []  # (reg, value) in order, for tests that check what was written

    def auto_increment(self, first_byte):
        return True

    def reg_address(self, first_byte):
        return first_byte

    def _check(self):
        if self.fail_next:
            self.fail_next -= 1
            raise OSError(errno.EIO)

    def i2c_write(self, data):
        self._check()
        if not data:
            return
        self._advance = self.auto_increment(data[0])
        self.pointer = self.reg_address(data[0])
        for value in data[1:]:
            self.writes.append((self.pointer, value))
            self.on_write(self.pointer, value)
            if self._advance:
                self.pointer = (self.pointer + 1) % len(self.regs)

    def i2c_read(self, n):
        self._check()
        out = bytearray(n)
        for i in range(n):
            out[i] = self.on_read(self.pointer)
            if self._advance:
                self.pointer = (self.pointer + 1) % len(self.regs)
        return bytes(out)

    def on_read(self, reg):
        return self.regs[reg]

    def on_write(self, reg, value):
        self.regs[reg] = value
