# Byte-wide registers of an I2C chip: the read/write pair every register-map driver needs.
#
#     class MyChip(I2CRegisters):
#         def __init__(self, i2c, address=0x40):
#             super().__init__(i2c, address)
#             self._write(_CTRL, 0x01)
#
# One scratch byte, allocated once; reads go through readfrom_mem_into (no allocation).
# Errors are the bus's own OSError (ENODEV / EIO): each driver's probe turns a missing chip
# into a message that names it.


class I2CRegisters:
    def __init__(self, i2c, address):
        self._i2c = i2c
        self._address = address
        self._reg = bytearray(1)

    def _read(self, reg):
        self._i2c.readfrom_mem_into(self._address, reg, self._reg)
        return self._reg[0]

    def _write(self, reg, value):
        self._reg[0] = value
        self._i2c.writeto_mem(self._address, reg, self._reg)
