# The device application: idle until a session starts, then sample -> session -> log, while
# playing cues and serving the button; stop cleanly when the host (USB) wants the REPL.
#
#     import app; app.main()          # main.py does this, on a board and in the emulator
#
# States: idle (ADC powered down, light sleep on a board; wakes on the button, or starts by
# itself when a bottle's weight settles and flow begins) -> session (sampling at the ADC's
# rate) -> idle. Every wait is bounded (<= 50 ms between checks of the button and the host);
# Ctrl-C from the host (mpremote, `pumpmon pull`) closes the session log before the REPL
# takes over, so a pull never finds a half-written session.
# Limits: one session at a time; the per-sample path allocates nothing, the console and the
# log's block flushes allocate at their own (slower) pace.
import sys
import time

import config
import events as ev
from session import Session

BOARD_FILE = "/board.json"
CONFIG_FILE = "/config.json"
SESSIONS_DIR = "/sessions"

_WAIT_MS = 50  # longest wait between checks of the button, the haptics and the host


def _clock(t_ms):
    s = t_ms // 1000
    return "%d:%02d" % (s // 60, s % 60)


class DeviceSink:
    """Session events -> session log, vibration, console."""

    def __init__(self, app):
        self.app = app
        self.log = None
        self.console = app.console

    def emit(self, t_ms, code, ch, arg):
        log = self.log
        if log is not None:
            log.event(t_ms, code, ch, arg)
        if code == ev.EV_CUE:
            self.app.haptics.play(t_ms, arg)
            self.console("[%s] cue: %s" % (_clock(t_ms), ev.name(ev.CUE_NAMES, arg)))
        elif code == ev.EV_LETDOWN or code == ev.EV_TAPER:
            self.console("[%s] %s (bottle %d)" % (_clock(t_ms), ev.EVENT_NAMES[code], ch + 1))
        elif code == ev.EV_CUE_RESULT:
            self.console("[%s] the %s step brought %d mL"
                         % (_clock(t_ms), ev.name(ev.CUE_NAMES, ch), (arg + 515) // 1030))
        elif code == ev.EV_FAULT:
            self.console("[%s] fault: %s" % (_clock(t_ms), ev.name(ev.FAULT_NAMES, arg)))


class App:
    def __init__(self, hw, cfg, store, sampler_factory, host, console=print,
                 ticks_ms=time.ticks_ms, ticks_diff=time.ticks_diff):
        self.hw = hw
        self.cfg = cfg
        self.store = store
        self.sampler_factory = sampler_factory
        self.host = host
        self.console = console
        self._ticks_ms = ticks_ms
        self._ticks_diff = ticks_diff
        import haptics
        import button

        self.haptics = haptics.Haptics(hw.motor, cfg)
        self.button = button.Button(hw.button, cfg) if hw.button is not None else None
        self.sink = DeviceSink(self)
        self.sessions = 0
        self.stop_reason = ""

    def _host_wants_repl(self):
        return self.host is not None and self.host.attention()

    def run_session(self, header):
        """One session, start to end. Returns why it ended: done|button|host|trace|fault."""
        sampler = self.sampler_factory()
        session = Session(self.cfg, sampler.channels, self.sink, has_accel=sampler.has_accel)
        log = None
        if self.store is not None:
            log = self.store.open_session(header, sampler.channels, sampler.has_accel)
            self.sink.log = log
        sampler.start()
        reason = "trace"
        t_ms = 0
        t_check = -_WAIT_MS
        w = sampler.w_mg
        a = sampler.accel_mgee
        on_sample = session.on_sample
        btn = self.button
        try:
            first = True
            while True:
                r = sampler.wait(_WAIT_MS)
                if r == 1:  # SAMPLE
                    t_ms = sampler.t_ms
                    if first:
                        session.start(t_ms, w[0], w[1])
                        first = False
                    on_sample(t_ms, w[0], w[1], a[0], a[1], a[2])
                    if log is not None:
                        log.sample(t_ms, w[0], w[1])
                        if sampler.has_accel:
                            log.accel(t_ms, a[0], a[1], a[2])
                elif r == -1:  # ENDED
                    reason = "trace"
                    break
                elif r == -2:  # FAULT: the ADC went silent
                    session.on_fault(t_ms, ev.FAULT_SENSOR_TIMEOUT)
                if btn is not None:
                    kind = btn.update(t_ms)
                    if kind:
                        if kind == ev.BTN_SHORT:
                            self.haptics.ack(t_ms)
                        session.on_button(t_ms, kind)
                        if kind == ev.BTN_LONG:
                            reason = "button"
                            break
                self.haptics.tick(t_ms)
                if log is not None:
                    log.poll(t_ms)
                if session.done and self.cfg.get("end_on_done", True):
                    reason = "done"
                    break
                if self._ticks_diff(self._ticks_ms(), t_check) >= _WAIT_MS:
                    t_check = self._ticks_ms()
                    if self._host_wants_repl():
                        reason = "host"
                        break
        except KeyboardInterrupt:  # Ctrl-C from the host on a board
            reason = "host"
        finally:
            session.finish(t_ms, by_done=(reason == "done"))
            self.haptics.stop()
            if log is not None:
                log.close(summary_of(session, reason))
                self.sink.log = None
        self.sessions += 1
        self.stop_reason = reason
        self.console("session %s: %s mL, %d letdowns, %s, ended by %s"
                     % (log.name if log is not None else "-", _ml_text(session.volume_mg()),
                        sum(session.letdowns), _clock(session.duration_ms()), reason))
        return reason


def _ml_text(mg):
    tenth = (mg * 10 + 515) // 1030
    return "%d.%d" % (tenth // 10, tenth % 10)


def summary_of(session, reason):
    return {
        "volume_mg": [f.volume_mg for f in session.flows],
        "letdowns": list(session.letdowns),
        "tapers": list(session.tapers),
        "cues": session.cues,
        "duration_ms": session.duration_ms(),
        "first_letdown_ms": (session.t_first_letdown_ms - session.t_start_ms
                             if session.t_first_letdown_ms >= 0 else -1),
        "ended_by": reason,
    }


def load_json(path, default):
    try:
        import json

        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def main():
    """Boot: board, configuration, storage; then serve sessions until the host takes over."""
    import board as board_mod
    import hostlink
    import logstore

    board_cfg = load_json(BOARD_FILE, None)
    if board_cfg is None:
        print("pumpmon: no %s; copy boards/<your board>.json there (make deploy does)" % BOARD_FILE)
        return
    cfg, problems = config.load(CONFIG_FILE)
    if problems:
        config.explain(problems)
    hw = board_mod.bring_up(board_cfg)
    store = logstore.Store(SESSIONS_DIR, cfg)
    host = hostlink.HostLink(sys.stdin)
    app = App(hw, cfg, store, hw.sampler_factory(cfg), host)
    header = {"board": board_cfg.get("name", "?"), "config_digest": config.digest(cfg)}
    if problems:
        app.sink.emit(0, ev.EV_FAULT, 0, ev.FAULT_CONFIG)
    if board_cfg.get("trace"):
        # the emulator's sim board: the trace is the session
        app.run_session(header)
        if board_cfg.get("exit_after_session"):
            sys.exit(0)
        return
    while True:
        if app._host_wants_repl():
            return
        if hw.wait_for_start(app, _WAIT_MS):
            if app.run_session(header) == "host":
                return
