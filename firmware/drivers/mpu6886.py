# MIT license. MPU6886 6-axis IMU (TDK InvenSense), accelerometer only, readings in milli-g.
# It is the IMU inside the M5Stack AtomS3 (internal I2C: SDA G38, SCL G39, address 0x68).
#
#     from machine import I2C, Pin
#     from drivers.mpu6886 import MPU6886
#     imu = MPU6886(I2C(0, scl=Pin(39), sda=Pin(38)), range_g=4)
#     out = array.array("i", (0, 0, 0))
#     imu.read_mgee_into(out)                                  # x, y, z in milli-g
#
# Registers (datasheet / M5Stack's driver): WHO_AM_I 0x75 reads 0x19; PWR_MGMT_1 0x6B
# (DEVICE_RESET bit 7, SLEEP bit 6, CLKSEL); PWR_MGMT_2 0x6C (gyro axes standby, bits 2..0);
# ACCEL_CONFIG 0x1C (AFS_SEL bits 4..3); INT_STATUS 0x3A (DATA_RDY bit 0); ACCEL_XOUT_H 0x3B,
# six bytes, big-endian signed.
#
# Limits: the gyroscope is kept in standby (it draws ~2.6 mA; the pipeline uses tilt and
# motion only). No FIFO, no interrupt pin. read_mgee_into() is one 6-byte read into a buffer
# allocated once; |raw| * 1000 < 2**25, so no allocation.
import time

from micropython import const

from drivers.i2creg import I2CRegisters

ADDRESS = const(0x68)
WHO_AM_I_VALUE = const(0x19)

_SMPLRT_DIV = const(0x19)
_CONFIG = const(0x1A)
_ACCEL_CONFIG = const(0x1C)
_ACCEL_CONFIG2 = const(0x1D)
_INT_STATUS = const(0x3A)
_ACCEL_XOUT_H = const(0x3B)
_PWR_MGMT_1 = const(0x6B)
_PWR_MGMT_2 = const(0x6C)
_WHO_AM_I = const(0x75)
_PWR1_RESET = const(0x80)
_PWR1_SLEEP = const(0x40)
_PWR1_CLK_AUTO = const(0x01)
_GYRO_STANDBY = const(0x07)

_RANGE_FS = {2: 0, 4: 1, 8: 2, 16: 3}
_LSB_PER_G = (16384, 8192, 4096, 2048)
_RESET_TIMEOUT_MS = const(100)
_RESET_WAIT_MS = const(10)  # the chip does not answer right after DEVICE_RESET (M5Stack: 10 ms)


class MPU6886(I2CRegisters):
    """ready(), read_mgee_into(out), power_down()/power_up()."""

    def __init__(self, i2c, address=ADDRESS, range_g=4):
        if range_g not in _RANGE_FS:
            raise ValueError("MPU6886 range_g must be 2, 4, 8 or 16")
        super().__init__(i2c, address)
        self._data = bytearray(6)
        try:
            who = self._read(_WHO_AM_I)
        except OSError:
            raise OSError(
                "MPU6886 not found at I2C address 0x%02x: check the internal I2C "
                "pins (AtomS3: SDA G38, SCL G39)" % address
            )
        if who != WHO_AM_I_VALUE:
            raise OSError(
                "the device at I2C 0x%02x is not an MPU6886 (WHO_AM_I 0x%02x, "
                "expected 0x19)" % (address, who)
            )
        self._write(_PWR_MGMT_1, _PWR1_RESET)
        time.sleep_ms(_RESET_WAIT_MS)
        start = time.ticks_ms()
        while self._read(_PWR_MGMT_1) & _PWR1_RESET:
            if time.ticks_diff(time.ticks_ms(), start) > _RESET_TIMEOUT_MS:
                raise OSError(
                    "MPU6886 at 0x%02x did not come out of reset within %d ms"
                    % (address, _RESET_TIMEOUT_MS)
                )
            time.sleep_ms(1)
        self._write(_PWR_MGMT_1, _PWR1_CLK_AUTO)  # awake, best clock
        self._write(_PWR_MGMT_2, _GYRO_STANDBY)
        self._write(_ACCEL_CONFIG, _RANGE_FS[range_g] << 3)
        self._write(_ACCEL_CONFIG2, 0x00)
        self._write(_CONFIG, 0x01)
        self._write(_SMPLRT_DIV, 0x05)
        self._lsb_per_g = _LSB_PER_G[_RANGE_FS[range_g]]
        self.range_g = range_g

    def ready(self):
        return bool(self._read(_INT_STATUS) & 0x01)

    def read_mgee_into(self, out):
        """Write x, y, z in milli-g into out[0..2] (an array('i') or list)."""
        self._i2c.readfrom_mem_into(self._address, _ACCEL_XOUT_H, self._data)
        d = self._data
        lsb = self._lsb_per_g
        # each axis 16-bit big-endian two's complement ((u ^ 0x8000) - 0x8000 is its value);
        # the axes written out, no loop (this runs every sample)
        out[0] = ((((d[0] << 8) | d[1]) ^ 0x8000) - 0x8000) * 1000 // lsb
        out[1] = ((((d[2] << 8) | d[3]) ^ 0x8000) - 0x8000) * 1000 // lsb
        out[2] = ((((d[4] << 8) | d[5]) ^ 0x8000) - 0x8000) * 1000 // lsb

    def power_down(self):
        """SLEEP bit: ~6 uA; registers kept."""
        self._write(_PWR_MGMT_1, _PWR1_SLEEP | _PWR1_CLK_AUTO)

    def power_up(self):
        self._write(_PWR_MGMT_1, _PWR1_CLK_AUTO)
