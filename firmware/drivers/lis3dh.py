# MIT license. LIS3DH / LIS2DH12 3-axis accelerometer (ST), on I2C or SPI, readings in milli-g.
#
#     from machine import I2C, Pin
#     from drivers.lis3dh import LIS3DH
#     acc = LIS3DH(I2C(0, scl=Pin(22), sda=Pin(21)))          # address 0x18 (SDO/SA0 low)
#     # acc = LIS3DH(SPI(1, ...), cs=Pin(5))                   # SPI: the chip-select pin
#     out = array.array("i", (0, 0, 0))
#     acc.read_mgee_into(out)                                  # x, y, z in milli-g
#
# Both parts answer WHO_AM_I (0x0F) with 0x33 and share the register map used here: CTRL_REG1
# (ODR, axes on), CTRL_REG4 (BDU, full scale, HR), STATUS_REG.ZYXDA, OUT_X_L..OUT_Z_H (16-bit
# little-endian, left-justified). A multi-byte read needs the auto-increment bit: bit 7 of the
# sub-address on I2C, bit 6 (MS) on SPI, where bit 7 means "read".
#
# Limits: high-resolution mode only (12 bit: 1/2/4/12 mg per digit at +-2/4/8/16 g); no FIFO,
# no interrupt pins, no click detection. read_mgee_into() does one 6-byte transfer into a
# buffer allocated once and integer arithmetic (|value| <= 16000 mg): no allocation.
import micropython
from micropython import const

ADDRESS = const(0x18)  # 0x19 with SDO/SA0 high
WHO_AM_I_VALUE = const(0x33)

_WHO_AM_I = const(0x0F)
_CTRL_REG1 = const(0x20)
_CTRL_REG4 = const(0x23)
_STATUS_REG = const(0x27)
_OUT_X_L = const(0x28)
_I2C_AUTO_INC = const(0x80)
_SPI_READ = const(0x80)
_SPI_AUTO_INC = const(0x40)
_STATUS_ZYXDA = const(0x08)
_CTRL4_BDU = const(0x80)
_CTRL4_HR = const(0x08)

_ODR = {1: 1, 10: 2, 25: 3, 50: 4, 100: 5, 200: 6, 400: 7}
_RANGE_FS = {2: 0, 4: 1, 8: 2, 16: 3}
_MG_PER_DIGIT_HR = (1, 2, 4, 12)


class LIS3DH:
    """ready(), read_mgee_into(out), power_down()/power_up(); I2C or SPI by duck typing."""

    def __init__(self, bus, address=ADDRESS, cs=None, rate_hz=50, range_g=2):
        if rate_hz not in _ODR:
            raise ValueError("LIS3DH rate_hz must be one of 1, 10, 25, 50, 100, 200, 400")
        if range_g not in _RANGE_FS:
            raise ValueError("LIS3DH range_g must be 2, 4, 8 or 16")
        self._bus = bus
        self._address = address
        self._i2c = hasattr(bus, "readfrom_mem_into")
        self._cs = cs
        if self._i2c:
            self._data = bytearray(6)
            self._offset = 0
            where = "I2C address 0x%02x" % address
        else:
            if cs is None:
                raise ValueError("LIS3DH on SPI needs its chip-select pin: cs=Pin(...)")
            cs.init(cs.OUT, value=1)
            self._tx = bytearray(7)
            self._data = bytearray(7)
            self._offset = 1
            where = "SPI (CS %r)" % (cs,)
        self._reg = bytearray(1)
        self._xfer2 = bytearray(2)
        self._rx2 = bytearray(2)
        try:
            who = self._read(_WHO_AM_I)
        except OSError:
            raise OSError(
                "LIS3DH/LIS2DH12 not found on %s: check wiring, power and the "
                "SDO/SA0 address pin" % where
            )
        if who != WHO_AM_I_VALUE:
            raise OSError(
                "the device on %s is not a LIS3DH/LIS2DH12 (WHO_AM_I 0x%02x, "
                "expected 0x33): check the address and the wiring" % (where, who)
            )
        self._mg_per_digit = _MG_PER_DIGIT_HR[_RANGE_FS[range_g]]
        self._ctrl1 = (_ODR[rate_hz] << 4) | 0x07  # ODR, normal power, X/Y/Z on
        self._write(_CTRL_REG4, _CTRL4_BDU | (_RANGE_FS[range_g] << 4) | _CTRL4_HR)
        self._write(_CTRL_REG1, self._ctrl1)
        self.range_g = range_g

    # -- transport
    def _read(self, reg):
        if self._i2c:
            self._bus.readfrom_mem_into(self._address, reg, self._reg)
            return self._reg[0]
        self._xfer2[0] = reg | _SPI_READ
        self._xfer2[1] = 0
        cs = self._cs
        assert cs is not None
        cs(0)
        try:
            self._bus.write_readinto(self._xfer2, self._rx2)
        finally:
            cs(1)
        return self._rx2[1]

    def _write(self, reg, value):
        if self._i2c:
            self._reg[0] = value
            self._bus.writeto_mem(self._address, reg, self._reg)
            return
        self._xfer2[0] = reg
        self._xfer2[1] = value
        cs = self._cs
        assert cs is not None
        cs(0)
        try:
            self._bus.write(self._xfer2)
        finally:
            cs(1)

    def _read_xyz(self):
        if self._i2c:
            self._bus.readfrom_mem_into(self._address, _OUT_X_L | _I2C_AUTO_INC, self._data)
            return
        self._tx[0] = _OUT_X_L | _SPI_READ | _SPI_AUTO_INC
        cs = self._cs
        assert cs is not None
        cs(0)
        try:
            self._bus.write_readinto(self._tx, self._data)
        finally:
            cs(1)

    # -- operations
    def ready(self):
        """A new X/Y/Z sample since the last read (STATUS_REG.ZYXDA)."""
        return bool(self._read(_STATUS_REG) & _STATUS_ZYXDA)

    @micropython.viper
    def read_mgee_into(self, out):
        """Write x, y, z in milli-g into out[0..2] (an array('i') or list)."""
        if self._i2c:  # the I2C read written out: this runs every sample
            self._bus.readfrom_mem_into(self._address, _OUT_X_L | _I2C_AUTO_INC, self._data)
        else:
            self._read_xyz()
        d = ptr8(self._data)  # noqa: F821 (viper built-in; bytes, no sign to extend)
        o = int(self._offset)
        k = int(self._mg_per_digit)
        # each axis 16-bit little-endian two's complement ((u ^ 0x8000) - 0x8000 is its
        # value), 12 bits left-justified (>> 4); the axes written out, no loop
        out[0] = (((d[o] | (d[o + 1] << 8)) ^ 0x8000) - 0x8000 >> 4) * k
        out[1] = (((d[o + 2] | (d[o + 3] << 8)) ^ 0x8000) - 0x8000 >> 4) * k
        out[2] = (((d[o + 4] | (d[o + 5] << 8)) ^ 0x8000) - 0x8000 >> 4) * k

    def power_down(self):
        """ODR = 0: the part sleeps (~0.5 uA); registers are kept."""
        self._write(_CTRL_REG1, 0x07)

    def power_up(self):
        self._write(_CTRL_REG1, self._ctrl1)
