"""Flow sensors: SLF3S (command-level fake) and the optical drop counter (pulse trains)."""

import time

import machine
from drivers.dropcounter import DropCounter
from drivers.slf3s import SLF3S, crc8
from fake_slf3s import FakeSLF3S, GeneralCall
from mptest import error_text

ISOLATE = True  # a fresh fake `machine` (its bus and pins) per test


class Clock:
    """The injected clock: `clock()` reads `now_ms`, which the test moves."""

    def __init__(self):
        self.now_ms = 0

    def __call__(self):
        return self.now_ms


def _slf3s():
    chip = FakeSLF3S()
    machine.fake_i2c_attach(0x08, chip)
    return machine.I2C(0), chip, Clock()


def test_slf3s_starts_water_measurement_and_converts_ml_min_to_mg_s():
    i2c, chip, clock = _slf3s()
    flow = SLF3S(i2c, clock_ms=clock)
    chip.flow_ml_min = 6.0  # 0.1 mL/s = 103 mg/s of milk
    chip.temp_c = 31.5
    f = flow.read()
    got = [chip.commands, chip.medium, f, flow.temp_c_x100, flow.valid]
    assert got == [[0x3FF9, 0x3608], "water", 103, 3150, True], got


def test_slf3s_0600f_scale_is_ten_per_microlitre_per_minute():
    chip = FakeSLF3S("0600F")
    machine.fake_i2c_attach(0x08, chip)
    flow = SLF3S(machine.I2C(0), model="0600F")
    chip.flow_ml_min = 1.2  # 1200 uL/min = 20.6 mg/s
    got = flow.read()
    assert got == 20, got


def test_slf3s_integrates_positive_flow_into_volume():
    i2c, chip, clock = _slf3s()
    flow = SLF3S(i2c, clock_ms=clock)
    chip.flow_ml_min = 6.0
    for t in range(0, 10_001, 100):  # 10 s at 103 mg/s
        clock.now_ms = t
        flow.read()
    chip.flow_ml_min = -3.0  # backflow does not un-express milk
    for t in range(10_100, 12_001, 100):
        clock.now_ms = t
        flow.read()
    assert flow.volume_mg == 1030, flow.volume_mg


def test_slf3s_air_in_line_marks_the_reading_invalid():
    i2c, chip, _ = _slf3s()
    flow = SLF3S(i2c)
    chip.air_in_line = True
    flow.read()
    got = [flow.air_in_line, flow.valid]
    chip.air_in_line = False
    flow.read()
    got.append(flow.valid)
    assert got == [True, False, True], got


def test_slf3s_bad_crc_is_an_oserror():
    i2c, chip, _ = _slf3s()
    flow = SLF3S(i2c)
    chip.corrupt_crc = True
    text = error_text(OSError, flow.read)
    assert "CRC mismatch" in text, text


def test_slf3s_crc8_matches_sensirions_test_vector():
    assert crc8(b"\xbe\xef", 0, 2) == 0x92


def test_slf3s_stop_reset_and_read_while_stopped():
    i2c, chip, _ = _slf3s()
    general_call = GeneralCall([chip])
    machine.fake_i2c_attach(0x00, general_call)
    flow = SLF3S(i2c)
    flow.power_down()
    measuring = chip.measuring
    text = error_text(OSError, flow.read)
    flow.power_up()
    flow.soft_reset()
    assert measuring is False
    assert "power_up()" in text, text
    assert [general_call.resets, chip.measuring] == [1, False], general_call.resets


def test_slf3s_waits_between_commands_and_sleeps_when_powered_down():
    chip = FakeSLF3S()
    chip.flow_ml_min = 6.0
    machine.fake_i2c_attach(0x08, chip)
    flow = SLF3S(machine.I2C(0))  # the real clock: the fake times the driver's waits
    first = flow.read()  # right after start: 12 ms later in the driver
    flow.power_down()
    down = [chip.state, chip.current_ua]
    flow.power_up()
    again = flow.read()
    assert first == again == 6 * 1030 // 60, (first, again)
    assert down == ["sleep", 1], down  # not idling at ~3 mA
    assert chip.state == "measuring" and chip.busy_nacks == 0, (chip.state, chip.busy_nacks)


def test_slf3s_missing_is_an_oserror():
    text = error_text(OSError, SLF3S, machine.I2C(0))
    assert "SLF3S flow sensor not found at I2C address 0x08" in text, text


class Drops:
    """An optical drop counter's receiver on pin 33 and the clock its driver reads."""

    def __init__(self):
        self.clock = Clock()
        self.pin = machine.Pin(33)

    def counter(self, **kw):
        return DropCounter(self.pin, clock_ms=self.clock, **kw)

    def drop(self, t_ms, width_ms=20):
        self.clock.now_ms = t_ms
        machine.fake_drive(33, 0)  # the drop cuts the beam: receiver output low
        self.clock.now_ms = t_ms + width_ms
        machine.fake_drive(33, 1)


def test_drop_counter_flow_from_a_steady_pulse_train():
    d = Drops()
    dc = d.counter(drop_mg=50, window_ms=5000)
    for i in range(20):  # 2 drops/s for 10 s
        d.drop(i * 500)
    d.clock.now_ms = 9_999
    got = [dc.drops, dc.volume_mg, dc.read()]
    assert got == [20, 1000, 100], got  # 10 drops in the 5 s window x 50 mg / 5 s


def test_drop_counter_ignores_beam_flicker_within_one_drop():
    d = Drops()
    dc = d.counter(drop_mg=50, min_gap_ms=8)
    d.drop(1000, width_ms=1)
    d.drop(1003, width_ms=1)  # the same drop's tail
    d.drop(1500)
    assert [dc.drops, dc.flickers] == [2, 1], [dc.drops, dc.flickers]


def test_drop_counter_flow_falls_to_zero_after_the_window():
    d = Drops()
    dc = d.counter(window_ms=5000)
    for i in range(10):
        d.drop(i * 300)
    d.clock.now_ms = 3000
    during = dc.read()
    d.clock.now_ms = 9000
    got = [during > 0, dc.read()]
    assert got == [True, 0], got


def test_drop_counter_fast_drops_use_the_ring_span():
    d = Drops()
    dc = d.counter(drop_mg=50, window_ms=5000, ring=16)
    for i in range(40):  # 10 drops/s: more than the ring holds in the window
        d.drop(i * 100, width_ms=10)
    d.clock.now_ms = 3950
    got = dc.read()
    assert got == 500, got  # 10 drops/s x 50 mg


def test_drop_counter_power_down_stops_counting():
    d = Drops()
    dc = d.counter()
    d.drop(0)
    dc.power_down()
    d.drop(500)
    dc.power_up()
    d.drop(1000)
    assert dc.drops == 2, dc.drops


def test_drops_held_up_behind_a_flash_write_are_all_counted():
    drops = DropCounter(machine.Pin(33))
    machine.fake_defer_soft_irqs(True)  # a flash write / GC holds the scheduler
    for i in range(3):  # three drops 30 ms apart meanwhile
        machine.fake_drive(33, 0)
        machine.fake_drive(33, 1)
        time.sleep_ms(30)
    machine.fake_defer_soft_irqs(False)
    got = [drops.drops, drops.flickers]
    assert got == [3, 0], got
