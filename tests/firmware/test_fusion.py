"""A flow sensor on a bottle is fused with its load cell (firmware/fusion.py, session.py)."""

FAKES = """
import gc
from pipeline.fusion import FlowFusion

class Sensor:                     # drivers.dropcounter / slf3s API: read(), volume_mg, valid
    def __init__(self):
        self.flow = 0
        self.volume_mg = 0
        self.valid = True
        self.fail = False
    def read(self):
        if self.fail:
            raise OSError(5)
        return self.flow

class Stage:                      # flow.FlowStage's outputs
    flow_mg_s = 0
    volume_mg = 0
    holding = False

sensor = Sensor()
stage = Stage()
fu = FlowFusion(sensor, {"fusion_sensor_share_pct": 50})
"""


def test_flow_is_a_blend_and_volume_the_load_cells_when_it_is_steady(mpy):
    out = mpy(FAKES + """
stage.flow_mg_s, stage.volume_mg = 300, 12000
sensor.flow, sensor.volume_mg = 500, 99999
fu.update(0, stage)
print(fu.flow_mg_s, fu.volume_mg)
""")
    assert out.split() == ["400", "12000"]


def test_while_the_load_cell_holds_the_sensor_carries_flow_and_volume(mpy):
    out = mpy(FAKES + """
stage.flow_mg_s, stage.volume_mg = 300, 12000
sensor.flow, sensor.volume_mg = 300, 5000
fu.update(0, stage)
stage.holding = True              # a hand presses on the bottle: weight frozen
fu.update(1000, stage)
sensor.flow, sensor.volume_mg = 350, 7000   # 2 g more milk went through the sensor
fu.update(2000, stage)
during = (fu.flow_mg_s, fu.volume_mg)
stage.holding = False             # released: the load cell, the reference, takes over
stage.volume_mg = 14100
fu.update(2200, stage)
print(during[0], during[1], fu.volume_mg)
""")
    assert out.split() == ["350", "14000", "14100"]


def test_an_invalid_or_failing_sensor_leaves_the_load_cell_alone(mpy):
    out = mpy(FAKES + """
stage.flow_mg_s, stage.volume_mg = 300, 12000
sensor.flow, sensor.valid = 5000, False       # air in the line
fu.update(0, stage)
a = fu.flow_mg_s
sensor.valid, sensor.fail = True, True        # a glitching bus
fu.update(500, stage)
print(a, fu.flow_mg_s)
""")
    assert out.split() == ["300", "300"]


def test_fusion_allocates_nothing_per_sample(mpy):
    out = mpy(FAKES + """
stage.flow_mg_s, stage.volume_mg = 300, 12000
sensor.flow = 400

def feed(start, stop):            # in a function: module-level loops allocate globals
    t = start
    while t < stop:
        stage.holding = (t // 1000) % 2 == 0
        fu.update(t, stage)
        t += 100

def measure():                   # locals only: a new global would grow the module's dict
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    feed(2000, 22000)
    used = gc.mem_alloc() - before
    gc.enable()
    return used

feed(0, 2000)
print(measure())
""")
    assert out.strip() == "0"


def test_the_session_reports_the_fused_volume_for_a_bottle_with_a_sensor(mpy):
    out = mpy(FAKES + """
from pipeline.session import Session
class Sink:
    def emit(self, *a):
        pass
s = Session({}, 2, Sink(), flow_sensors=[None, sensor])
s.start(0)
s.on_sample(0, 0, 0, 0, 0, 1000)
print(s.fusions[0] is None, s.fusions[1] is not None)
""")
    assert out.split() == ["True", "True"]
