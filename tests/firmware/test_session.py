"""Session wiring: what the pipeline reports, in what order, through the one sink."""

PIPE = """
from shared import events as ev
from pipeline.session import Session

class Sink:
    def __init__(self):
        self.got = []
    def emit(self, t_ms, code, ch, arg):
        self.got.append((t_ms, code, ch, arg))

class Det:                      # a stand-in detector that says what the test scripts
    script = {}
    onset_ms = [0, 0]
    def found(self, t_ms, ch):
        pass
    def update(self, t_ms, ch, f):
        return self.script.get((t_ms, ch), ev.EV_NONE)

sink = Sink()
s = Session({}, 2, sink)
s.detector = Det()
"""


def test_a_taper_before_any_letdown_is_not_reported(mpy):
    out = mpy(PIPE + """
s.detector.script = {(1000, 0): ev.EV_TAPER, (2000, 1): ev.EV_LETDOWN, (3000, 1): ev.EV_TAPER}
s.start(0)
for t in range(0, 4000, 100):
    s.on_sample(t, 0, 0, 0, 0, 1000)
print([(t, c) for t, c, ch, a in sink.got if c in (ev.EV_LETDOWN, ev.EV_TAPER)])
print(s.tapers)
""")
    lines = out.strip().splitlines()
    assert lines[0] == "[(2000, 1), (3000, 2)]"  # the early taper is gone, the later kept
    assert lines[1] == "[0, 1]"


def test_session_start_and_end_frame_the_events(mpy):
    out = mpy(PIPE + """
s.start(0)
s.on_sample(0, 0, 0, 0, 0, 1000)
s.finish(500, by_done=True)
print(sink.got[0][1] == ev.EV_SESSION_START, sink.got[-1][1] == ev.EV_SESSION_END,
      sink.got[-1][3])
""")
    assert out.split() == ["True", "True", "1"]
