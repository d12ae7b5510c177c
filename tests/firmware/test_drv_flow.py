"""Flow sensors: SLF3S (command-level fake) and the optical drop counter (pulse trains)."""

from drv_helpers import fw

SLF = """
from fake_slf3s import FakeSLF3S, GeneralCall
from drivers.slf3s import SLF3S
i2c = machine.I2C(0)
chip = FakeSLF3S()
machine.fake_i2c_attach(0x08, chip)
now = [0]
clock = lambda: now[0]
"""

DROPS = """
from drivers.dropcounter import DropCounter
now = [0]
clock = lambda: now[0]
pin = machine.Pin(33)
def drop(t_ms, width_ms=20):
    now[0] = t_ms
    machine.fake_drive(33, 0)      # the drop cuts the beam: receiver output low
    now[0] = t_ms + width_ms
    machine.fake_drive(33, 1)
"""


def test_slf3s_starts_water_measurement_and_converts_ml_min_to_mg_s(mpy_json):
    out = mpy_json(fw(SLF + """
flow = SLF3S(i2c, clock_ms=clock)
chip.flow_ml_min = 6.0            # 0.1 mL/s = 103 mg/s of milk
chip.temp_c = 31.5
f = flow.read()
out([chip.commands, chip.medium, f, flow.temp_c_x100, flow.valid])
"""))
    assert out == [[0x3FF9, 0x3608], "water", 103, 3150, True]


def test_slf3s_0600f_scale_is_ten_per_microlitre_per_minute(mpy_json):
    out = mpy_json(fw("""
from fake_slf3s import FakeSLF3S
from drivers.slf3s import SLF3S
chip = FakeSLF3S("0600F")
machine.fake_i2c_attach(0x08, chip)
flow = SLF3S(machine.I2C(0), model="0600F")
chip.flow_ml_min = 1.2            # 1200 uL/min = 20.6 mg/s
out(flow.read())
"""))
    assert out == 20


def test_slf3s_integrates_positive_flow_into_volume(mpy_json):
    out = mpy_json(fw(SLF + """
flow = SLF3S(i2c, clock_ms=clock)
chip.flow_ml_min = 6.0
for t in range(0, 10_001, 100):   # 10 s at 103 mg/s
    now[0] = t
    flow.read()
chip.flow_ml_min = -3.0           # backflow does not un-express milk
for t in range(10_100, 12_001, 100):
    now[0] = t
    flow.read()
out(flow.volume_mg)
"""))
    assert out == 1030


def test_slf3s_air_in_line_marks_the_reading_invalid(mpy_json):
    out = mpy_json(fw(SLF + """
flow = SLF3S(i2c)
chip.air_in_line = True
flow.read()
a = [flow.air_in_line, flow.valid]
chip.air_in_line = False
flow.read()
out(a + [flow.valid])
"""))
    assert out == [True, False, True]


def test_slf3s_bad_crc_is_an_oserror(mpy_json):
    out = mpy_json(fw(SLF + """
flow = SLF3S(i2c)
chip.corrupt_crc = True
try:
    flow.read()
    out("no error")
except OSError as e:
    out(str(e))
"""))
    assert "CRC mismatch" in out


def test_slf3s_crc8_matches_sensirions_test_vector(mpy_json):
    out = mpy_json(fw("""
from drivers.slf3s import crc8
out(crc8(b"\\xbe\\xef", 0, 2))
"""))
    assert out == 0x92


def test_slf3s_stop_reset_and_read_while_stopped(mpy_json):
    out = mpy_json(fw(SLF + """
gc = GeneralCall([chip])
machine.fake_i2c_attach(0x00, gc)
flow = SLF3S(i2c)
flow.power_down()
res = [chip.measuring]
try:
    flow.read()
except OSError as e:
    res.append(str(e))
flow.power_up()
flow.soft_reset()
out(res + [gc.resets, chip.measuring])
"""))
    assert out[0] is False
    assert "power_up()" in out[1]
    assert out[2:] == [1, False]


def test_slf3s_missing_is_an_oserror(mpy_json):
    out = mpy_json(fw("""
from drivers.slf3s import SLF3S
try:
    SLF3S(machine.I2C(0))
except OSError as e:
    out(str(e))
"""))
    assert "SLF3S flow sensor not found at I2C address 0x08" in out


def test_drop_counter_flow_from_a_steady_pulse_train(mpy_json):
    out = mpy_json(fw(DROPS + """
dc = DropCounter(pin, drop_mg=50, window_ms=5000, clock_ms=clock)
for i in range(20):               # 2 drops/s for 10 s
    drop(i * 500)
now[0] = 9_999
out([dc.drops, dc.volume_mg, dc.read()])
"""))
    assert out == [20, 1000, 100]  # 10 drops in the 5 s window x 50 mg / 5 s


def test_drop_counter_ignores_beam_flicker_within_one_drop(mpy_json):
    out = mpy_json(fw(DROPS + """
dc = DropCounter(pin, drop_mg=50, min_gap_ms=8, clock_ms=clock)
drop(1000, width_ms=1)
drop(1003, width_ms=1)            # the same drop's tail
drop(1500)
out([dc.drops, dc.flickers])
"""))
    assert out == [2, 1]


def test_drop_counter_flow_falls_to_zero_after_the_window(mpy_json):
    out = mpy_json(fw(DROPS + """
dc = DropCounter(pin, window_ms=5000, clock_ms=clock)
for i in range(10):
    drop(i * 300)
now[0] = 3000
during = dc.read()
now[0] = 9000
out([during > 0, dc.read()])
"""))
    assert out == [True, 0]


def test_drop_counter_fast_drops_use_the_ring_span(mpy_json):
    out = mpy_json(fw(DROPS + """
dc = DropCounter(pin, drop_mg=50, window_ms=5000, ring=16, clock_ms=clock)
for i in range(40):               # 10 drops/s: more than the ring holds in the window
    drop(i * 100, width_ms=10)
now[0] = 3950
out(dc.read())
"""))
    assert out == 500  # 10 drops/s x 50 mg


def test_drop_counter_power_down_stops_counting(mpy_json):
    out = mpy_json(fw(DROPS + """
dc = DropCounter(pin, clock_ms=clock)
drop(0)
dc.power_down()
drop(500)
dc.power_up()
drop(1000)
out(dc.drops)
"""))
    assert out == 2
