"""The device on a real board (issue 14): waking right, sleeping between samples, the parts'
timing, wrapping ticks. Each test runs the firmware against a unix stand-in that behaves as
the MicroPython v1.29 ESP32 port or the part does (firmware/unix/machine.py, esp32.py,
tests/firmware/fakes/), and fails on the firmware as it was before issue 14."""

import json
from pathlib import Path

from drv_helpers import fw

BOARDS = Path(__file__).resolve().parents[2] / "boards"

HX_POWER = """
from fake_hx711 import FakeHX711
from drivers.hx711 import HX711
from drivers.button_pin import ButtonPin
from device.power import Power
from device.button import Button
chip = FakeHX711(18, 19)
hx = HX711(machine.Pin(18), machine.Pin(19))
btn = ButtonPin(machine.Pin(32))
p = Power(scales=[hx], button=btn)
"""


# -- 1. the button after a GPIO wake ---------------------------------------------------------
def test_a_long_press_after_a_timer_wake_is_seen(mpy_json):
    # gpio_wakeup_enable leaves the wake pin's interrupt level-triggered: an edge handler
    # still on it would fire without end once the button is held (the fake raises)
    out = mpy_json(fw(HX_POWER + """
import time
p.sleep(max_ms=20)                       # nobody presses: the timer wakes it
b = Button(btn)
machine.fake_drive(32, 0)                # now the wearer holds the button for 1.6 s
kinds = []
t = 0
while t <= 1600:
    kinds.append(b.update(t))
    t += 20
out([2 in kinds, btn.edges])             # 2: BTN_LONG
"""))
    assert out == [True, 1]


def test_a_gpio_wake_by_the_button_counts_as_a_press_and_clears_the_wake_pins(mpy_json):
    out = mpy_json(fw(HX_POWER + """
import esp32
def during(ms):
    machine.fake_drive(32, 0)
machine.fake_sleep_hook = during
woke = p.sleep(max_ms=5000)
machine.fake_drive(32, 1)
machine.fake_sleep_hook = None
reason = machine.wake_reason()
pins_left = list(esp32._gpio_pins)
out([woke, reason, pins_left])
"""))
    woke, reason, pins_left = out
    assert reason == 7  # ESP_SLEEP_WAKEUP_GPIO, as the port reports it (not PIN_WAKE, 2)
    assert woke is True
    assert pins_left == []  # wake_on_gpio(None) would have kept GPIO32 armed


# -- 2. a timer wake goes back to sleep ------------------------------------------------------
def test_timer_wakes_go_straight_back_to_sleep(mpy_json):
    out = mpy_json(fw(HX_POWER + """
from device.board import Board
import time
class App:
    button = Button(btn)
board = Board("t", [hx], [1.0], button=btn, power=p, light_sleep=True, sleep_after_ms=100)
board.sleep_max_ms = 20
app = App()
start = time.ticks_ms()
while time.ticks_diff(time.ticks_ms(), start) < 1000:
    board.wait_for_start(app, 20)
out([p.sleeps, p.t_sleep_ms])
"""))
    sleeps, asleep_ms = out
    # idle 100 ms, then asleep except for one 20-ms button poll per 20-ms timer wake: about
    # half of the remaining 900 ms asleep (the old code stayed awake 100 ms after each wake)
    assert asleep_ms >= 350, out
    assert sleeps >= 15, out


# -- 3. rest between samples -------------------------------------------------------------------
SAMPLER = HX_POWER + """
import time
from device.sampler import AdcSampler
from pipeline.scale import Scale
short_waits = []
def sleep_ms(ms):
    if ms <= 10:
        short_waits.append(ms)   # the esp32 port busy-spins these
    time.sleep_ms(ms)
class Host:
    on = False
    def attached(self):
        return self.on
host = Host()
p.host = host
s = AdcSampler([hx], [Scale(1.0)], None, time.ticks_ms, time.ticks_diff, sleep_ms,
               rest=p.rest, period_ms=30)
chip.a_counts = 1000
def conversion(ms):                       # the next conversion arrives while it sleeps
    chip.convert()
machine.fake_sleep_hook = conversion
s.start()
"""


def test_between_samples_it_light_sleeps_until_the_hx711_is_ready(mpy_json):
    out = mpy_json(fw(SAMPLER + """
got = 0
for i in range(5):
    if s.wait(50) == 1:
        got += 1
out([got, machine.fake_stats["lightsleeps"], machine.wake_reason(), len(short_waits)])
"""))
    got, sleeps, reason, short_waits = out
    assert got == 5
    assert sleeps >= 5 and reason == 7  # woken by DOUT going low (a GPIO wake)
    assert short_waits == 0


def test_with_a_host_attached_it_waits_a_tick_or_more_and_never_light_sleeps(mpy_json):
    out = mpy_json(fw(SAMPLER + """
host.on = True
machine.fake_sleep_hook = None
got = 0
start = time.ticks_ms()
next_ms = 30
while time.ticks_diff(time.ticks_ms(), start) < 400:
    if time.ticks_diff(time.ticks_ms(), start) >= next_ms:
        chip.convert()
        next_ms += 30
    if s.wait(50) == 1:
        got += 1
out([got, machine.fake_stats["lightsleeps"], p.t_rest_wait_ms > p.t_spin_ms])
"""))
    got, sleeps, mostly_blocking = out
    assert sleeps == 0
    assert got >= 5
    assert mostly_blocking


# -- 4. ESP32-S3: SCK held through light sleep ---------------------------------------------------
def test_on_an_s3_the_hx711_stays_powered_down_through_light_sleep(mpy_json):
    out = mpy_json(fw(HX_POWER + """
machine.fake_soc = "esp32s3"
seen = {}
def during(ms):
    seen["down"] = chip.powered_down
    seen["sck"] = machine.fake_level(18)
machine.fake_sleep_hook = during
p.sleep(max_ms=10)
out([seen, chip.resets])
"""))
    seen, resets = out
    assert seen == {"down": True, "sck": 1}
    assert resets == 1  # only the reset of power_up() after waking


# -- 5. never sleep away the host ----------------------------------------------------------------
def test_no_light_sleep_while_a_host_is_attached(mpy_json):
    out = mpy_json(fw(HX_POWER + """
import sys
from device.hostlink import HostLink
p.host = HostLink(sys.stdin)           # just booted: host activity is recent
woke = p.sleep(max_ms=20)
out([woke, machine.fake_stats["lightsleeps"], machine.fake_stats["usb_drops"]])
"""))
    assert out == [False, 0, 0]


def test_vbus_sense_keeps_it_awake_and_its_absence_lets_it_sleep(mpy_json):
    out = mpy_json(fw(HX_POWER + """
import sys
from device.hostlink import HostLink
vbus = machine.Pin(4, machine.Pin.IN)
p.host = HostLink(sys.stdin, vbus_pin=vbus)
machine.fake_drive(4, 1)
p.sleep(max_ms=10)
with_usb = machine.fake_stats["lightsleeps"]
machine.fake_drive(4, 0)
p.sleep(max_ms=10)
out([with_usb, machine.fake_stats["lightsleeps"]])
"""))
    assert out == [0, 1]


# -- 6. part timing --------------------------------------------------------------------------
def test_nau7802_waits_after_reset_and_calibrates_only_once_settled(mpy_json):
    out = mpy_json(fw("""
from fake_nau7802 import FakeNAU7802
from drivers.nau7802 import NAU7802
chip = FakeNAU7802()
chip.auto = True
machine.fake_i2c_attach(0x2A, chip)
adc = NAU7802(machine.I2C(0), rate_sps=80)
out([chip.unsettled_cals, chip.calibrations, chip.regs[0x01] >> 3 & 7, chip.regs[0x1C] >> 7])
"""))
    unsettled, cals, vldo, pga_cap = out
    assert unsettled == 0 and cals == 1
    assert vldo == 0b101  # LDO 3.0 V on a 3.3 V supply
    assert pga_cap == 1  # channel 1 is read: the capacitor across channel 2 is on


def test_nau7802_reading_channel_2_turns_the_pga_capacitor_off(mpy_json):
    out = mpy_json(fw("""
from fake_nau7802 import FakeNAU7802
from drivers.nau7802 import NAU7802
chip = FakeNAU7802()
machine.fake_i2c_attach(0x2A, chip)
adc = NAU7802(machine.I2C(0), channel=1, calibrate=False)
out([chip.channel, chip.regs[0x1C] >> 7])
"""))
    assert out == [1, 0]


def test_nau7802_after_a_wake_gives_readings_only_once_settled(mpy_json):
    out = mpy_json(fw("""
import time
from fake_nau7802 import FakeNAU7802
from drivers.nau7802 import NAU7802, SETTLE_MS
chip = FakeNAU7802()
chip.auto = True
machine.fake_i2c_attach(0x2A, chip)
adc = NAU7802(machine.I2C(0), calibrate=False)
adc.power_down()
adc.power_up()
t0 = time.ticks_ms()
early = adc.ready()                      # conversions come (auto), but are not settled
adc.read()
out([early, time.ticks_diff(time.ticks_ms(), t0) >= SETTLE_MS])
"""))
    assert out == [False, True]


def test_mpu6886_comes_up_although_it_does_not_answer_for_10_ms_after_reset(mpy_json):
    out = mpy_json(fw("""
from fake_accel import FakeMPU6886
from drivers.mpu6886 import MPU6886
chip = FakeMPU6886()
machine.fake_i2c_attach(0x68, chip)
imu = MPU6886(machine.I2C(0))
out([chip.asleep, chip.gyro_on])
"""))
    assert out == [False, False]


def test_slf3s_waits_between_commands_and_sleeps_when_powered_down(mpy_json):
    out = mpy_json(fw("""
from fake_slf3s import FakeSLF3S
from drivers.slf3s import SLF3S
chip = FakeSLF3S()
chip.flow_ml_min = 6.0
machine.fake_i2c_attach(0x08, chip)
flow = SLF3S(machine.I2C(0))
first = flow.read()                      # right after start: 12 ms later in the driver
flow.power_down()
down = [chip.state, chip.current_ua]
flow.power_up()
again = flow.read()
out([first, down, chip.state, again, chip.busy_nacks])
"""))
    first, down, state, again, nacks = out
    assert first == again == 6 * 1030 // 60
    assert down == ["sleep", 1]  # not idling at ~3 mA
    assert state == "measuring" and nacks == 0


def test_xiao_board_file_finds_an_adafruit_lis3dh_at_its_default_address(mpy_json):
    desc = json.loads((BOARDS / "xiao_s3_nau7802.json").read_text())
    out = mpy_json(fw("""
import json
from fake_nau7802 import FakeNAU7802
from fake_accel import FakeLIS3DH
from fake_drv2605 import FakeDRV2605
from device import board
nau = FakeNAU7802()
nau.auto = True
machine.fake_i2c_attach(0x2A, nau)
machine.fake_i2c_attach(0x18, FakeLIS3DH())          # Adafruit 2809: SDO low, 0x18
machine.fake_i2c_attach(0x5A, FakeDRV2605())
hw = board.bring_up(json.loads(%r))
out([hw.accel is not None, [m for m in hw.missing if "accel" in m]])
""" % json.dumps(desc)))
    assert out == [True, []]


# -- 7. ticks wrap -------------------------------------------------------------------------
def test_button_long_press_across_a_ticks_wrap(mpy_json):
    out = mpy_json(fw("""
from device.button import Button
from drivers.button_pin import ButtonPin
machine.fake_ticks_offset_ms = (1 << 30) - 1000 - __import__("time").ticks_ms()
b = Button(ButtonPin(machine.Pin(32)))
machine.fake_drive(32, 0)
kinds = []
for i in range(100):                     # 2 s held, polled every 20 ms, across the wrap
    kinds.append(b.update(machine.fake_ticks_ms()))
    __import__("time").sleep_ms(20)
out([kinds.count(2), machine.fake_ticks_ms() < 10_000])
"""))
    assert out == [1, True]  # one BTN_LONG, and the clock did wrap


def test_autostart_across_a_ticks_wrap(mpy_json):
    out = mpy_json(fw("""
from pipeline.autostart import AutoStart
a = AutoStart({"auto_start": True})
t = (1 << 30) - 9500                     # the wrap falls inside the 3-s hold
started = None
for i in range(200):                     # 20 s at 10 Hz: settle 5 s, then a 3-g rise
    w = 0 if i < 80 else 5000
    if a.update(t, w):
        started = i
    t = (t + 100) & ((1 << 30) - 1)
out(started)
"""))
    assert out is not None and 100 <= out <= 120


# -- 8. drop counter under a held-up scheduler --------------------------------------------------
def test_drops_held_up_behind_a_flash_write_are_all_counted(mpy_json):
    out = mpy_json(fw("""
import time
from drivers.dropcounter import DropCounter
drops = DropCounter(machine.Pin(33))
machine.fake_defer_soft_irqs(True)        # a flash write / GC holds the scheduler
for i in range(3):                        # three drops 30 ms apart meanwhile
    machine.fake_drive(33, 0)
    machine.fake_drive(33, 1)
    time.sleep_ms(30)
machine.fake_defer_soft_irqs(False)
out([drops.drops, drops.flickers])
"""))
    assert out == [3, 0]
