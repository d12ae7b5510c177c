"""Accelerometer drivers (LIS3DH/LIS2DH12 on I2C and SPI, MPU6886) against register fakes."""

import pytest
from drv_helpers import fw

LIS = """
import array
from fake_accel import FakeLIS3DH
from drivers.lis3dh import LIS3DH
i2c = machine.I2C(0)
chip = FakeLIS3DH()
machine.fake_i2c_attach(0x18, chip)
xyz = array.array("i", (0, 0, 0))
"""

MPU = """
import array
from fake_accel import FakeMPU6886
from drivers.mpu6886 import MPU6886
i2c = machine.I2C(0)
chip = FakeMPU6886()
machine.fake_i2c_attach(0x68, chip)
xyz = array.array("i", (0, 0, 0))
"""


@pytest.mark.parametrize("range_g, mg", [(2, [-240, 480, 1012]), (4, [-240, 480, 1012]),
                                         (8, [-240, 480, 1012]), (16, [-240, 480, 1008])])
def test_lis3dh_reads_milli_g_in_high_resolution_mode(mpy_json, range_g, mg):
    out = mpy_json(fw(LIS + f"""
acc = LIS3DH(i2c, range_g={range_g})
chip.set_mgee(-240, 480, 1012)   # 16 g: 12 mg per digit, 1012 -> 84 digits
acc.read_mgee_into(xyz)
out(list(xyz))
"""))
    assert out == mg


def test_lis3dh_uses_the_auto_increment_bit_so_axes_are_distinct(mpy_json):
    out = mpy_json(fw(LIS + """
acc = LIS3DH(i2c)
chip.set_mgee(100, 200, 300)
acc.read_mgee_into(xyz)
out(list(xyz))
"""))
    assert out == [100, 200, 300]


def test_lis3dh_data_ready_is_set_by_a_sample_and_cleared_by_reading(mpy_json):
    out = mpy_json(fw(LIS + """
acc = LIS3DH(i2c)
res = [acc.ready()]
chip.set_mgee(0, 0, 1000)
res.append(acc.ready())
acc.read_mgee_into(xyz)
res.append(acc.ready())
out(res)
"""))
    assert out == [False, True, False]


def test_lis3dh_on_spi_selects_with_cs_and_reads_the_same(mpy_json):
    out = mpy_json(fw("""
import array
from fake_accel import FakeLIS3DH
from drivers.lis3dh import LIS3DH
chip = FakeLIS3DH()
machine.fake_spi_attach(5, chip)
acc = LIS3DH(machine.SPI(1), cs=machine.Pin(5))
xyz = array.array("i", (0, 0, 0))
chip.set_mgee(1, -2, -1000)
acc.read_mgee_into(xyz)
out(list(xyz) + [machine.fake_level(5)])
"""))
    assert out == [1, -2, -1000, 1]  # CS released high after the transfer


def test_lis3dh_power_down_stops_samples_and_power_up_restores_the_rate(mpy_json):
    out = mpy_json(fw(LIS + """
acc = LIS3DH(i2c, rate_hz=100)
acc.power_down()
down = [chip.powered_down, chip.set_mgee(0, 0, 1000)]
acc.power_up()
out(down + [chip.regs[0x20] >> 4])
"""))
    assert out == [True, False, 5]


def test_lis3dh_missing_is_an_oserror_naming_where_it_looked(mpy_json):
    out = mpy_json(fw("""
from drivers.lis3dh import LIS3DH
try:
    LIS3DH(machine.I2C(0), address=0x19)
except OSError as e:
    out(str(e))
"""))
    assert "not found on I2C address 0x19" in out


def test_lis3dh_refuses_a_chip_with_another_who_am_i(mpy_json):
    out = mpy_json(fw(LIS + """
chip.regs[0x0F] = 0x44
try:
    LIS3DH(i2c)
except OSError as e:
    out(str(e))
"""))
    assert "WHO_AM_I 0x44" in out


def test_mpu6886_reads_milli_g_with_the_gyro_in_standby(mpy_json):
    out = mpy_json(fw(MPU + """
imu = MPU6886(i2c, range_g=2)
res = [imu.ready()]
chip.set_mgee(500, -250, 1000)
res.append(imu.ready())
imu.read_mgee_into(xyz)
out(res + list(xyz) + [chip.gyro_on, chip.asleep])
"""))
    assert out == [False, True, 500, -250, 1000, False, False]


def test_mpu6886_power_down_sets_sleep_and_stops_samples(mpy_json):
    out = mpy_json(fw(MPU + """
imu = MPU6886(i2c)
imu.power_down()
res = [chip.asleep, chip.set_mgee(0, 0, 1000)]
imu.power_up()
out(res + [chip.asleep])
"""))
    assert out == [True, False, False]


def test_mpu6886_missing_or_wrong_chip_or_stuck_reset_are_oserrors(mpy_json):
    out = mpy_json(fw("""
from fake_accel import FakeMPU6886
from drivers.mpu6886 import MPU6886
i2c = machine.I2C(0)
msgs = []
try:
    MPU6886(i2c)
except OSError as e:
    msgs.append(str(e))
chip = FakeMPU6886()
machine.fake_i2c_attach(0x68, chip)
chip.regs[0x75] = 0x71
try:
    MPU6886(i2c)
except OSError as e:
    msgs.append(str(e))
chip.regs[0x75] = 0x19
chip.reset_reads = 10**9
try:
    MPU6886(i2c)
except OSError as e:
    msgs.append(str(e))
out(msgs)
"""))
    assert "not found at I2C address 0x68" in out[0]
    assert "WHO_AM_I 0x71" in out[1]
    assert "did not come out of reset" in out[2]
