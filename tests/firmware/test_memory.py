"""The device's memory budget: a whole session in a small heap, nothing allocated per sample.

Run in the unix port with the firmware compiled to .mpy, as a board runs it. The trace is
made inside MicroPython from integers (a linear congruential generator for the noise), so the
test measures the firmware, not a data loader.
"""

SESSION = """
import gc, micropython
from pipeline.session import Session
from shared import events as ev

class Sink:
    def __init__(self):
        self.n = 0
    def emit(self, t_ms, code, ch, arg):
        self.n += 1

sink = Sink()
s = Session({}, 2, sink, has_accel=True)
seed = 12345
def weight_mg(t_ms, seed):
    # 30 g of milk over minutes 2..8, a 200 mg sawtooth of noise
    t = t_ms // 1000
    milk = 0 if t < 120 else (30000 if t > 480 else (t - 120) * 30000 // 360)
    return milk + (seed % 400) - 200
s.start(0, 0, 0)
"""


def test_a_twenty_minute_double_pumping_session_runs_in_a_64k_heap(mpy):
    out = mpy(SESSION + """
for i in range(12000):             # 20 minutes at 10 Hz, two bottles, accelerometer
    t = i * 100
    seed = (seed * 1103515245 + 12345) & 0x3FFFFFFF
    s.on_sample(t, weight_mg(t, seed), weight_mg(t, seed >> 3), 0, 0, 1000)
s.finish(1200000)
gc.collect()
print("completed", s.volume_mg(), sink.n)
""", heap="64K")
    words = out.split()
    assert words[0] == "completed"
    assert int(words[1]) > 40000  # both bottles' milk (2 x 30 g) was followed, give or take


def test_the_per_sample_path_allocates_nothing_in_steady_state(mpy):
    out = mpy(SESSION + """
for i in range(3000):              # settle: 5 minutes, milk flowing
    t = i * 100
    seed = (seed * 1103515245 + 12345) & 0x3FFFFFFF
    s.on_sample(t, weight_mg(t, seed), weight_mg(t, seed >> 3), 0, 0, 1000)
def measure(seed):                 # locals only: a new global would grow the module's dict
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    events_before = sink.n
    i = 9000
    while i < 11000:               # 2000 samples after the milk stopped: nothing to report
        t = i * 100
        seed = (seed * 1103515245 + 12345) & 0x3FFFFFFF
        s.on_sample(t, weight_mg(t, seed), weight_mg(t, seed >> 3), 0, 0, 1000)
        i += 1
    used = gc.mem_alloc() - before
    gc.enable()
    return used, sink.n - events_before

print("%d %d" % measure(seed))
""", heap="256K")
    allocated, events = (int(x) for x in out.split())
    if events == 0:
        assert allocated == 0, f"{allocated} bytes over 2000 samples"
    else:  # an event or cue is rare and may allocate; per sample it must still round to 0
        assert allocated / 2000 < 1, f"{allocated} bytes over 2000 samples, {events} events"
