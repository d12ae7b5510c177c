# The device application: idle until a session starts, then sample -> session -> log, while
# playing cues and serving the button; stop cleanly when the host (USB) wants the REPL.
#
#     import app; app.main()          # main.py does this, on a board and in the emulator
#
# States: idle (ADC powered down, light sleep on a board; wakes on the button, or starts by
# itself when a bottle's weight settles and flow begins) -> session (sampling at the ADC's
# rate) -> idle. Every wait is bounded (<= 50 ms between checks of the button and the host).
# When the host (mpremote, `pumpmon pull`) starts talking during a session, the session is
# PAUSED, not ended: its log is synced, the REPL is handed over, and everything stays in
# memory; the next `app.main()` (which `pumpmon` runs when it lets go) goes on with it. Only
# `end_session_in_progress()` (`pumpmon config set --stop-session`) ends it from the host.
# A full flash never starts a session silently: the `not_saved` cue, and only the summary
# is saved. Why each session ended is logged (EV_SESSION_END's arg, events.END_*).
# Limits: one session at a time; the per-sample path allocates nothing, the console and the
# log's block flushes allocate at their own (slower) pace. Samples are missed while the host
# holds a session paused (a gap in the log); a reset while paused leaves the session cut
# short (no summary), as a power cut does.
import gc

# Collect after every 4 KB allocated (GC_THRESHOLD_BYTES), not only when the heap is
# exhausted, while the app loads, boots and sets a session up: loading the firmware's modules
# leaves the loader's scratch between the code it keeps, and an early collection hands those
# holes to the next module instead of leaving them too small for the session's arrays. In the
# unix port's 64-bit heap this takes the smallest heap that completes a 20-minute session of
# the app with its logger from 131 KB to 116 KB (`make bench`: app_smallest_heap_kb).
# Off while a session is served (App._serve): calls whose frame is over 11 words take it from
# the heap and give it back at once, and the threshold counts those too, so it would collect
# every few dozen samples (the session's time per sample x2 in the unix port).
GC_THRESHOLD_BYTES = 4096
gc.threshold(GC_THRESHOLD_BYTES)

import sys  # noqa: E402  (after the threshold: it applies to these imports too)
import time  # noqa: E402

import micropython  # noqa: E402
from device import button, haptics  # noqa: E402
from micropython import const  # noqa: E402
from pipeline.session import Session  # noqa: E402
from shared import eventnames as evn  # noqa: E402

# The event codes this module uses: private copies of shared/events.py's, folded into the
# bytecode, so the device does not load that module for them (its ~60 names stay out of
# the heap); tests/host/test_event_codes.py checks every copy.
_BTN_LONG = const(2)
_BTN_SHORT = const(1)
_CUE_NOT_SAVED = const(9)
_CUE_STORAGE_FULL = const(7)
_END_BUTTON = const(2)
_END_DONE = const(1)
_END_HOST = const(3)
_END_TRACE = const(4)
_EV_CUE = const(3)
_EV_CUE_RESULT = const(8)
_EV_FAULT = const(6)
_EV_LETDOWN = const(1)
_EV_TAPER = const(2)
_FAULT_SENSOR_TIMEOUT = const(1)

FIRMWARE_VERSION = "0.1.0"

_WAIT_MS = 50  # longest wait between checks of the button, the haptics and the host
_END_CODES = {
    "done": _END_DONE,
    "button": _END_BUTTON,
    "host": _END_HOST,
    "trace": _END_TRACE,
}


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
        if code == _EV_CUE:
            self.app.haptics.play(t_ms, arg)
            self.console("[%s] cue: %s" % (_clock(t_ms), evn.name(evn.CUE_NAMES, arg)))
        elif code == _EV_LETDOWN or code == _EV_TAPER:
            self.console("[%s] %s (bottle %d)" % (_clock(t_ms), evn.EVENT_NAMES[code], ch + 1))
        elif code == _EV_CUE_RESULT:
            self.console(
                "[%s] the %s step brought %d mL"
                % (_clock(t_ms), evn.name(evn.CUE_NAMES, ch), (arg + 515) // 1030)
            )
        elif code == _EV_FAULT:
            self.console("[%s] fault: %s" % (_clock(t_ms), evn.name(evn.FAULT_NAMES, arg)))


class App:
    def __init__(
        self,
        hw,
        cfg,
        store,
        sampler_factory,
        host,
        console=print,
        ticks_ms=time.ticks_ms,
        ticks_diff=time.ticks_diff,
    ):
        self.hw = hw
        self.cfg = cfg
        self.store = store
        self.sampler_factory = sampler_factory
        self.host = host
        self.console = console
        self._ticks_ms = ticks_ms
        self._ticks_diff = ticks_diff
        self.haptics = haptics.Haptics(hw.motor, cfg)
        self.button = button.Button(hw.button, cfg) if hw.button is not None else None
        self.sink = DeviceSink(self)
        self.sessions = 0
        self.stop_reason = ""
        # the session in progress: [session, sampler, log, t_ms, started]; kept while the
        # host has the REPL (paused), None between sessions
        self.paused = None  # type: list | None
        self.header = {}  # the session header's fields (main() fills them in)
        self.board_cfg = {}
        self.auto = None  # type: object  # autostart_check()'s function (auto_start on)

    def _host_wants_repl(self):
        return self.host is not None and self.host.attention()

    def _open_log(self, sampler, header):
        """Open the session file; on a full flash give `storage_full` and run unlogged."""
        store = self.store
        if store is None:
            return None
        period_us = header.get("period_us", 100000)
        fields = {  # the session header's fields, for the full file or the summary-only one
            "has_accel": sampler.has_accel,
            "device_id": header.get("device_id", ""),
            "firmware": FIRMWARE_VERSION,
            "board": header.get("board", ""),
            "config_digest": header.get("config_digest", 0),
            "start_time_s": wall_clock_s(),
        }
        try:
            store.open(0, sampler.channels, period_us, **fields)
        except OSError as e:  # StorageFull (nothing confirmed to prune), or the flash failed
            self.console("log: %s" % e)
            # never silently: a cue of its own, and the session's summary kept at least
            self.sink.emit(0, _EV_CUE, 0, _CUE_NOT_SAVED)
            try:
                store.open(0, sampler.channels, period_us, summary_only=True, **fields)
            except OSError as e2:
                self.console("log: not even the summary fits: %s" % e2)
                return None
            self.console("log: flash full: only this session's summary is saved")
            return store
        if store.space_short:
            self.sink.emit(0, _EV_CUE, 0, _CUE_STORAGE_FULL)
        return store

    def run_session(self, header):
        """One session, start to end (or to a pause for the host). Returns why it ended:
        done|button|trace, or "paused" (resume_session() goes on with it)."""
        sampler = self.sampler_factory()
        sensors = [None] * sampler.channels  # flow sensors by the bottle they sit on
        for sensor in getattr(self.hw, "flow_sensors", ()):
            if 0 <= getattr(sensor, "channel", 0) < sampler.channels:
                sensors[sensor.channel] = sensor
        # the log first: what opening it leaves behind (a directory listing, the header) is
        # collected before the session's arrays are made, instead of on top of them (the
        # app's smallest heap from ROMFS 64 -> 63 KB, `make bench`: device_cost)
        log = self._open_log(sampler, header)
        gc.collect()
        try:
            session = Session(
                self.cfg,
                sampler.channels,
                self.sink,
                has_accel=sampler.has_accel,
                flow_sensors=sensors,
            )
        except Exception:  # (no heap for it): the file ends now, with its summary
            if log is not None:
                log.close({})
            raise
        self.sink.log = log
        sampler.start()
        self.paused = [session, sampler, log, 0, False]
        return self._serve()

    def resume_session(self):
        """Go on with the session paused for the host. Returns as run_session()."""
        p = self.paused
        if p is None:
            return "none"
        p[1].resume()
        self.sink.log = p[2]
        self.console("session: resumed")
        return self._serve()

    def end_session(self, reason="host"):
        """End the paused session now: its log closed, `reason` recorded."""
        if self.paused is None:
            return False
        self._end(reason)
        return True

    def _serve(self):
        # Ctrl-C from the host is a byte the host link sees, not an exception that could
        # land half-way through a sample (restored before the REPL gets the link back)
        micropython.kbd_intr(-1)
        gc.threshold(-1)  # collect only when the heap is exhausted (see GC_THRESHOLD_BYTES)
        try:
            return self._serve_loop()
        finally:
            gc.threshold(GC_THRESHOLD_BYTES)
            micropython.kbd_intr(3)

    def _serve_loop(self):
        p = self.paused
        if p is None:
            return "none"
        session, sampler, log, t_ms, started = p
        reason = "trace"
        t_check = time.ticks_ms()
        w = sampler.w_mg
        a = sampler.accel_mgee
        on_sample = session.on_sample
        btn = self.button
        end_on_done = self.cfg.get("end_on_done", True)
        try:
            while True:
                r = sampler.wait(_WAIT_MS)
                if r == 1:  # SAMPLE
                    t_ms = sampler.t_ms
                    if not started:
                        session.start(t_ms, w[0], w[1])
                        started = True
                    on_sample(t_ms, w[0], w[1], a[0], a[1], a[2])
                    if log is not None:
                        log.sample(t_ms, w[0], w[1])
                        if sampler.has_accel:
                            log.accel(t_ms, a[0], a[1], a[2])
                elif r == -1:  # ENDED (a trace)
                    reason = "trace"
                    break
                elif r == -2:  # FAULT: the ADC went silent
                    session.on_fault(t_ms, _FAULT_SENSOR_TIMEOUT)
                if btn is not None:
                    kind = btn.update(t_ms)
                    if kind:
                        if kind == _BTN_SHORT:
                            self.haptics.ack(t_ms)
                        session.on_button(t_ms, kind)
                        if kind == _BTN_LONG:
                            reason = "button"
                            break
                self.haptics.tick(t_ms)
                if end_on_done and session.done and not self.haptics.busy:
                    reason = "done"
                    break
                if self._ticks_diff(self._ticks_ms(), t_check) >= _WAIT_MS:
                    t_check = self._ticks_ms()
                    if self._host_wants_repl():
                        reason = "host"
                        break
        except KeyboardInterrupt:  # Ctrl-C from the host on a board
            reason = "host"
        p[3] = t_ms
        p[4] = started
        if reason == "host":  # pause: keep it all, sync the log, hand the REPL over
            self.haptics.stop()
            if log is not None:
                log.flush(t_ms)
            self.console(
                "session %d paused: a computer has the USB link; it goes on when "
                "the app restarts" % (log.session_id if log is not None else -1)
            )
            return "paused"
        self._end(reason)
        return reason

    def _end(self, reason):
        p = self.paused
        if p is None:
            return
        session, sampler, log, t_ms, _started = p
        self.paused = None
        session.finish(t_ms, by_done=(reason == "done"), end_reason=_END_CODES[reason])
        self.haptics.stop()
        sid = -1
        if log is not None:
            sid = log.close(
                {
                    "t_ms": t_ms,
                    "volume_mg": [session.channel_volume_mg(ch) for ch in range(sampler.channels)],
                    "done": reason == "done",
                }
            )
        self.sink.log = None
        self.sessions += 1
        self.stop_reason = reason
        self.console(
            "session %d: %s mL, %d letdowns, %s long, ended by %s"
            % (
                sid,
                _ml_text(session.volume_mg()),
                sum(session.letdowns),
                _clock(session.duration_ms()),
                reason,
            )
        )


def wall_clock_s():
    """Seconds since 2000-01-01 UTC (the log format's epoch) when the clock has been set
    (`pumpmon time sync`), else None. Ports differ in their own epoch (1970 or 2000)."""
    t = int(time.time())
    if time.gmtime(t)[0] < 2024:
        return None
    if time.gmtime(0)[0] == 1970:
        t -= 946684800
    return t


def _ml_text(mg):
    tenth = (mg * 10 + 515) // 1030
    return "%d.%d" % (tenth // 10, tenth % 10)


def load_board(path):
    """(board dict, None) from the board file, or (None, what is wrong and what to do)."""
    import json

    try:
        with open(path) as f:
            board = json.load(f)
    except OSError:
        return None, ("no %s: copy boards/<your board>.json there (`make deploy` does)" % path)
    except ValueError as e:
        return None, "%s is not valid JSON (%s): copy it again from boards/" % (path, e)
    if not isinstance(board, dict):
        return None, "%s must hold a JSON object: copy it again from boards/" % path
    return board, None


def autostart_check(hw, cfg):
    """With `auto_start` on, a function of t_ms that is True when a session should start by
    itself (a bottle's weight settles, then flow begins: autostart.AutoStart); else None.
    The first ADC keeps sampling while idle, so the board does not light-sleep then."""
    if not cfg.get("auto_start", False) or not hw.scales:
        return None
    from pipeline.autostart import AutoStart
    from pipeline.scale import Scale

    adc = hw.scales[0]
    adc.power_up()
    scale = Scale(hw.calibration[0])
    scale.tare(adc.read())  # relative weight is all AutoStart needs
    hw.light_sleep = False
    auto = AutoStart(cfg)

    def check(t_ms):
        if adc.ready() and auto.update(t_ms, scale.to_mg(adc.read())):
            auto.reset()
            return True
        return False

    return check


_trace_played = False
_app = None  # the running App (kept between main() calls: a paused session lives in it)


def session_in_progress():
    """The id of the session paused for the host (-1 when it is not being saved), or None
    when there is none. The host asks this over the REPL (`pumpmon pull`, `config set`)."""
    a = _app
    if a is None or a.paused is None:
        return None
    log = a.paused[2]
    return log.session_id if log is not None else -1


def end_session_in_progress():
    """End the paused session (reason `host`); True when there was one."""
    return _app is not None and _app.end_session("host")


def main():
    """Boot: board, configuration, storage; then serve sessions until the host takes over.
    A session paused for the host goes on first."""
    global _trace_played, _app
    if _app is not None and _app.paused is not None:
        return _serve(_app, _app.resume_session())
    import shared
    from device import boot

    try:  # the board, the configuration, the log store (/board.json, /config.json)
        app = boot.start(App, load_board)
    finally:
        del boot
        shared.unload("device.boot")  # boot-only code: its heap back for the sessions
        gc.collect()
    if app is None:
        return
    _app = app
    if app.hw.trace is not None:
        # the emulator's sim board: the trace is one session, played once per boot
        if not _trace_played:
            _trace_played = True
            return _serve(app, app.run_session(app.header))
        return _serve(app, None)
    app.auto = autostart_check(app.hw, app.cfg)
    return _serve(app, None)


def _serve(app, last):
    """After a session (`last`: how it ended, None when none ran): serve sessions until the
    host takes over."""
    if last == "paused":
        return
    hw = app.hw
    if hw.trace is not None:
        if last is not None and app.board_cfg.get("exit_after_session"):
            sys.exit(0)
        while not app._host_wants_repl():  # then sit on the desk, serving USB
            time.sleep_ms(_WAIT_MS)
        return
    auto = app.auto
    while True:
        if app._host_wants_repl():
            return
        if hw.wait_for_start(app, _WAIT_MS) or (auto is not None and auto(time.ticks_ms())):
            if app.run_session(app.header) == "paused":
                return
