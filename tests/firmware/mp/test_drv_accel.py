"""Accelerometer drivers (LIS3DH/LIS2DH12 on I2C and SPI, MPU6886) against register fakes."""

import array

import machine
from drivers.lis3dh import LIS3DH
from drivers.mpu6886 import MPU6886
from fake_accel import FakeLIS3DH, FakeMPU6886
from mptest import error_text, heap_locked

ISOLATE = True  # a fresh fake `machine` (its buses) per test
PARAMS = {
    # (range_g, mg read back for -240, 480, 1012 mg)
    "test_lis3dh_reads_milli_g_in_high_resolution_mode": [
        (2, [-240, 480, 1012]),
        (4, [-240, 480, 1012]),
        (8, [-240, 480, 1012]),
        (16, [-240, 480, 1008]),
    ]
}


def _attach(chip, address):
    machine.fake_i2c_attach(address, chip)
    return machine.I2C(0), chip, array.array("i", (0, 0, 0))


def _lis():
    return _attach(FakeLIS3DH(), 0x18)


def _mpu():
    return _attach(FakeMPU6886(), 0x68)


def test_lis3dh_reads_milli_g_in_high_resolution_mode(case):
    range_g, mg = case
    i2c, chip, xyz = _lis()
    acc = LIS3DH(i2c, range_g=range_g)
    chip.set_mgee(-240, 480, 1012)  # 16 g: 12 mg per digit, 1012 -> 84 digits
    acc.read_mgee_into(xyz)
    assert list(xyz) == mg, list(xyz)


def test_lis3dh_uses_the_auto_increment_bit_so_axes_are_distinct():
    i2c, chip, xyz = _lis()
    acc = LIS3DH(i2c)
    chip.set_mgee(100, 200, 300)
    acc.read_mgee_into(xyz)
    assert list(xyz) == [100, 200, 300], list(xyz)


def test_lis3dh_data_ready_is_set_by_a_sample_and_cleared_by_reading():
    i2c, chip, xyz = _lis()
    acc = LIS3DH(i2c)
    res = [acc.ready()]
    chip.set_mgee(0, 0, 1000)
    res.append(acc.ready())
    acc.read_mgee_into(xyz)
    res.append(acc.ready())
    assert res == [False, True, False], res


def test_lis3dh_on_spi_selects_with_cs_and_reads_the_same():
    chip = FakeLIS3DH()
    machine.fake_spi_attach(5, chip)
    acc = LIS3DH(machine.SPI(1), cs=machine.Pin(5))
    xyz = array.array("i", (0, 0, 0))
    chip.set_mgee(1, -2, -1000)
    acc.read_mgee_into(xyz)
    got = list(xyz) + [machine.fake_level(5)]
    assert got == [1, -2, -1000, 1], got  # CS released high after the transfer


def test_lis3dh_power_down_stops_samples_and_power_up_restores_the_rate():
    i2c, chip, _ = _lis()
    acc = LIS3DH(i2c, rate_hz=100)
    acc.power_down()
    got = [chip.powered_down, chip.set_mgee(0, 0, 1000)]
    acc.power_up()
    got.append(chip.regs[0x20] >> 4)
    assert got == [True, False, 5], got


def test_lis3dh_missing_is_an_oserror_naming_where_it_looked():
    text = error_text(OSError, LIS3DH, machine.I2C(0), address=0x19)
    assert "not found on I2C address 0x19" in text, text


def test_lis3dh_refuses_a_chip_with_another_who_am_i():
    i2c, chip, _ = _lis()
    chip.regs[0x0F] = 0x44
    text = error_text(OSError, LIS3DH, i2c)
    assert "WHO_AM_I 0x44" in text, text


def test_mpu6886_reads_milli_g_with_the_gyro_in_standby():
    i2c, chip, xyz = _mpu()
    imu = MPU6886(i2c, range_g=2)
    res = [imu.ready()]
    chip.set_mgee(500, -250, 1000)
    res.append(imu.ready())
    imu.read_mgee_into(xyz)
    got = res + list(xyz) + [chip.gyro_on, chip.asleep]
    assert got == [False, True, 500, -250, 1000, False, False], got


def test_mpu6886_comes_up_although_it_does_not_answer_for_10_ms_after_reset():
    i2c, chip, _ = _mpu()
    MPU6886(i2c)
    got = [chip.asleep, chip.gyro_on]
    assert got == [False, False], got


def test_mpu6886_power_down_sets_sleep_and_stops_samples():
    i2c, chip, _ = _mpu()
    imu = MPU6886(i2c)
    imu.power_down()
    got = [chip.asleep, chip.set_mgee(0, 0, 1000)]
    imu.power_up()
    got.append(chip.asleep)
    assert got == [True, False, False], got


def test_mpu6886_missing_or_wrong_chip_or_stuck_reset_are_oserrors():
    i2c = machine.I2C(0)
    missing = error_text(OSError, MPU6886, i2c)
    chip = FakeMPU6886()
    machine.fake_i2c_attach(0x68, chip)
    chip.regs[0x75] = 0x71
    wrong = error_text(OSError, MPU6886, i2c)
    chip.regs[0x75] = 0x19
    chip.reset_reads = 10**9
    stuck = error_text(OSError, MPU6886, i2c)
    assert "not found at I2C address 0x68" in missing, missing
    assert "WHO_AM_I 0x71" in wrong, wrong
    assert "did not come out of reset" in stuck, stuck


class _QuietBus:
    """A bus whose transfer leaves the buffer as it is (the fake I2C allocates)."""

    def readfrom_mem_into(self, addr, reg, buf):
        pass


def test_both_accelerometers_decode_a_reading_without_allocating():
    # read_mgee_into runs every sample: its decoding allocates nothing. One read through
    # the fake fills each driver's buffer; the same bytes are decoded again heap-locked
    i2c, chip, xyz = _lis()
    acc = LIS3DH(i2c, range_g=4)
    chip.set_mgee(-3000, 15, 2046)
    acc.read_mgee_into(xyz)
    i2c2, chip2, xyz2 = _mpu()
    imu = MPU6886(i2c2, range_g=8)
    chip2.set_mgee(-7999, 0, 4000)
    imu.read_mgee_into(xyz2)
    acc._bus = _QuietBus()
    imu._i2c = _QuietBus()
    xyz[0] = xyz2[0] = 0
    with heap_locked():  # an allocation raises MemoryError at its line
        acc.read_mgee_into(xyz)
        imu.read_mgee_into(xyz2)
    assert list(xyz) + list(xyz2) == [-3000, 16, 2046, -8000, 0, 4000], (xyz, xyz2)
