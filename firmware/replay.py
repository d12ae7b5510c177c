# Replay: run the firmware's own session pipeline over a binary trace on stdin and print one
# JSON object per line (design contract 3). Unix port only; `pumpmon replay` prepares the
# binary trace from a CSV (and reports bad input) and runs this.
#
#     micropython replay.py [CONFIG.json] < trace.bin
#
# Time is the trace's own clock: a 20-minute session replays in well under a second.
import gc
import sys

from drivers.trace import TraceSource
from shared import eventnames as evn
from shared import events as ev


def _t(t_ms):
    # seconds with millisecond precision, without floats (also g/s from mg/s, which can be
    # negative: -106 is "-0.106", not "-1.894")
    sign = "-" if t_ms < 0 else ""
    t_ms = abs(t_ms)
    return "%s%d.%03d" % (sign, t_ms // 1000, t_ms % 1000)


def _ml(mg):
    # mL from mg of milk (density 1.03 g/mL), printed with 2 decimals
    centi_ml = (mg * 100 + 515) // 1030
    sign = "-" if centi_ml < 0 else ""
    centi_ml = abs(centi_ml)
    return "%s%d.%02d" % (sign, centi_ml // 100, centi_ml % 100)


class JsonLinesSink:
    """Prints each event as a JSON line (rare: allocation here is not per sample)."""

    def __init__(self, out):
        self.out = out
        self.cue_times_ms = {}
        self.session = None  # set once the session exists: letdowns print its onset

    def attach(self, session):
        self.session = session

    def emit(self, t_ms, code, ch, arg):
        w = self.out.write
        if code == ev.EV_LETDOWN and self.session is not None:
            # the estimated onset; `late` when it lies more than 20 s before the decision
            onset = self.session.letdown_onset_ms[ch]
            w(
                '{"t_s": %s, "event": "letdown", "channel": %d, "flow_g_s": %s, '
                '"onset_t_s": %s%s, "found": "%s"}\n'
                % (
                    _t(t_ms),
                    ch + 1,
                    _t(arg),
                    _t(onset - self.session.t_start_ms),
                    ', "late": true' if t_ms - onset > 20000 else "",
                    evn.FOUND_NAMES[self.session.detector.found_by[ch]],
                )
            )
        elif code == ev.EV_LETDOWN or code == ev.EV_TAPER:
            w(
                '{"t_s": %s, "event": "%s", "channel": %d, "flow_g_s": %s}\n'
                % (_t(t_ms), evn.EVENT_NAMES[code], ch + 1, _t(arg))
            )
        elif code == ev.EV_CUE:
            self.cue_times_ms[arg] = t_ms
            w(
                '{"t_s": %s, "event": "cue", "cue": "%s"}\n'
                % (_t(t_ms), evn.name(evn.CUE_NAMES, arg))
            )
        elif code == ev.EV_PHASE:
            w(
                '{"t_s": %s, "event": "phase", "phase": "%s"}\n'
                % (_t(t_ms), evn.name(evn.PHASE_NAMES, arg))
            )
        elif code == ev.EV_CUE_RESULT:
            w(
                '{"t_s": %s, "event": "cue_result", "cue": "%s", "cue_t_s": %s, "volume_ml": %s}\n'
                % (
                    _t(t_ms),
                    evn.name(evn.CUE_NAMES, ch),
                    _t(self.cue_times_ms.get(ch, 0)),
                    _ml(arg),
                )
            )
        elif code == ev.EV_FAULT:
            w(
                '{"t_s": %s, "event": "fault", "fault": "%s", "channel": %d}\n'
                % (_t(t_ms), evn.name(evn.FAULT_NAMES, arg), ch + 1)
            )
        elif code == ev.EV_MOTION:
            w(
                '{"t_s": %s, "event": "motion", "moving": %s}\n'
                % (_t(t_ms), "true" if arg else "false")
            )
        elif code == ev.EV_BUTTON:
            w(
                '{"t_s": %s, "event": "button", "press": "%s"}\n'
                % (_t(t_ms), evn.name(evn.BUTTON_NAMES, arg))
            )
        # session_start / session_end: the summary line says it


def summary_line(s, end_ms=-1):
    """The last line. duration_s is the session's: from its start to `end_ms` (when the
    coach said `done`, as the device ends it), else to the last sample."""
    if end_ms < 0:
        end_ms = s.t_last_ms
    by_bottle = ", ".join(_ml(s.channel_volume_mg(ch)) for ch in range(s.n_channels))
    first = _t(s.t_first_letdown_ms - s.t_start_ms) if s.t_first_letdown_ms >= 0 else "null"
    return (
        '{"t_s": %s, "event": "summary", "volume_ml": %s, "volume_ml_by_bottle": [%s], '
        '"letdowns": %d, "letdowns_by_bottle": [%s], "tapers": %d, "cues": %d, '
        '"first_letdown_s": %s, "duration_s": %s, "complete": true}\n'
        % (
            _t(s.t_last_ms),
            _ml(s.volume_mg()),
            by_bottle,
            sum(s.letdowns),
            ", ".join(str(n) for n in s.letdowns),
            sum(s.tapers),
            s.cues,
            first,
            _t(end_ms - s.t_start_ms),
        )
    )


def build_session(cfg_path, channels, sink, has_accel):
    """The session, configured from `cfg_path` (or defaults). The config module and the
    settings dict are needed only to construct it: they are dropped before sampling starts,
    which leaves ~18 KB more heap for the session."""
    cfg = {}
    if cfg_path:
        import shared
        from shared import config

        cfg, problems = config.load(cfg_path)
        for p in problems:
            sys.stderr.write("config: %s\n" % p)
        del config  # the local name too, or the module stays alive
        shared.unload("config")
        gc.collect()
    from pipeline.session import Session  # imported once the config module is gone

    return Session(cfg, channels, sink, has_accel=has_accel)


def run(stream, cfg_path, out):
    src = TraceSource(stream)
    sink = JsonLinesSink(out)
    s = build_session(cfg_path, src.channels, sink, src.has_accel)
    sink.attach(s)
    gc.collect()
    if not src.advance():
        raise ValueError("the trace has no samples")
    field = src.field
    s.start(src.t_ms, field(1), field(2))
    on_sample = s.on_sample
    coach = s.coach
    more = True
    while more and not coach.finished:
        on_sample(src.t_ms, field(1), field(2), field(3), field(4), field(5))
        more = src.advance()
    # the session ended at `done` (the device stops there; the rest of the trace is after
    # it): the events go on to the trace's end as before, the duration is the session's
    end_ms = s.t_last_ms if coach.finished else -1
    while more:
        on_sample(src.t_ms, field(1), field(2), field(3), field(4), field(5))
        more = src.advance()
    s.finish(s.t_last_ms)
    out.write(summary_line(s, end_ms))
    return s


def main(argv):
    run(sys.stdin.buffer, argv[1] if len(argv) > 1 else None, sys.stdout)


if __name__ == "__main__":
    main(sys.argv)
