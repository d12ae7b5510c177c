"""The coach's safety net (issue 12, point 4), in the unix port: whatever the detector says,
no `stimulate` once the bottles hold milk, no `massage` / `hand_express` while milk flows
strongly, no `done` on a mere taper in hand expression, one cue per step with two bottles."""

from __future__ import annotations

import json

COACH = """
import json
from shared import events as ev, eventnames as evn
from pipeline import coach
c = coach.Coach(json.loads(%r))
c.start(0)
script = json.loads(%r)   # [t_ms, what, arg]
out = []
vol = 0
flow = 0
i = 0
for t in range(0, %d, 100):
    while i < len(script) and script[i][0] <= t:
        _, what, arg = script[i]; i += 1
        if what == "letdown": c.on_detection(t, ev.EV_LETDOWN, arg)
        elif what == "taper": c.on_detection(t, ev.EV_TAPER, arg)
        elif what == "flow": flow = arg
    vol += flow * 100 // 1000
    cue = c.tick(t, vol, flow)
    if cue:
        out.append([t, evn.CUE_NAMES[cue]])
print(json.dumps({"cues": out, "finished": c.finished}))
"""


def run(mpy_json, script, end_ms, cfg=None):
    script = sorted(script, key=lambda s: s[0])
    return mpy_json(COACH % (json.dumps(cfg or {}), json.dumps(script), end_ms))


def test_no_massage_on_a_taper_while_the_flow_estimate_is_strong(mpy_json):
    # bottle 1 tapers while bottle 2 (or a new ejection) still brings 0.2 g/s
    script = [[60_000, "letdown", 0], [60_000, "flow", 200], [200_000, "taper", 0]]
    r = run(mpy_json, script, 300_000)
    assert [c for _, c in r["cues"]] == ["letdown"], r
    # the same taper with the flow down to 0.05 g/s gets its massage cue
    script[1][2] = 50
    r = run(mpy_json, script, 300_000)
    assert [200_000, "massage"] in r["cues"], r


def test_a_timed_step_waits_while_milk_flows_strongly(mpy_json):
    # the massage round times out at 240 s but milk flows at 0.2 g/s: no hand_express yet
    cfg = {"massage_rounds": 1, "massage_round_s": 240}
    script = [[60_000, "letdown", 0], [100_000, "taper", 0], [200_000, "flow", 200]]
    r = run(mpy_json, script, 400_000, cfg)
    assert "hand_express" not in [c for _, c in r["cues"]], r
    script.append([380_000, "flow", 0])
    r = run(mpy_json, script, 400_000, cfg)
    assert [380_000, "hand_express"] in r["cues"], r


def test_second_bottle_taper_in_the_same_step_gets_no_second_cue(mpy_json):
    script = [[60_000, "letdown", 0], [200_000, "taper", 0], [212_000, "taper", 1]]
    r = run(mpy_json, script, 300_000, {"massage_rounds": 2})
    assert [c for _, c in r["cues"]] == ["letdown", "massage"], r


def test_a_taper_in_hand_expression_does_not_end_the_session_while_milk_comes(mpy_json):
    cfg = {"massage_rounds": 0, "hand_express_stop_s": 120, "flow_stopped_mg": 1000}
    script = [
        [60_000, "letdown", 0], [200_000, "taper", 0],
        [200_000, "flow", 60],          # hand expression brings 0.06 g/s: 1 g every 17 s
        [300_000, "taper", 1],          # a taper (the other bottle) in hand expression
        [500_000, "flow", 0],           # stopped
    ]  # fmt: skip
    r = run(mpy_json, script, 800_000, cfg)
    done = [t for t, c in r["cues"] if c == "done"]
    assert len(done) == 1 and done[0] >= 500_000 + 100_000, r


SESSION = """
import json, math
from shared import events as ev, eventnames as evn
from pipeline.session import Session

class Sink:
    def __init__(self):
        self.got = []
    def emit(self, t_ms, code, ch, arg):
        if code == ev.EV_LETDOWN:
            self.got.append([t_ms, "letdown", ch, s.letdown_onset_ms[ch]])
        elif code == ev.EV_CUE:
            self.got.append([t_ms, evn.CUE_NAMES[arg]])

sink = Sink()
# a detector that never decides on its own (its CUSUM, slow and flow paths all off): only
# the session's safety net can report the milk
cfg = {"stimulate_after_s": 90, "ld_h_q4": 100000}
s = Session(cfg, 1, sink)
s.detector._flow_path = lambda t_ms, ch, blk: False
s.detector._slow = lambda t_ms, ch, bms: False
s.start(0)
for i in range(0, 150 * 10):
    t_ms = i * 100
    t = t_ms / 1000
    u = t - 40.0                    # milk from 40 s: 0.3 g/s reached over 10 s
    g = 0.0
    if u > 0:
        g = 1.5 + 0.3 * (u - 10)
        if u < 10:
            g = 0.3 * (u / 2 - 10 / 6.2832 * math.sin(3.14159 * u / 10))
    g += 0.15 * math.sin(6.2832 * 1.1 * t)
    s.on_sample(t_ms, int(g * 1000), 0, 0, 0, 1000)
print(json.dumps(sink.got))
"""


def test_milk_in_the_bottle_during_stimulation_is_the_first_letdown_and_stops_stimulate(mpy_json):
    got = mpy_json(SESSION)
    assert "stimulate" not in [e[1] for e in got], got
    letdowns = [e for e in got if len(e) == 4]  # the events (the cue has no channel)
    assert len(letdowns) == 1, got
    t_ms, _, _, onset_ms = letdowns[0]
    assert t_ms < 90_000, got
    assert 30_000 <= onset_ms <= t_ms, got  # an estimated onset, not later than the decision
