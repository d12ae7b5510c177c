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
import gc
import sys
import time

from device import button, haptics
from pipeline.session import Session
from shared import eventnames as evn
from shared import events as ev

BOARD_FILE = "/board.json"
CONFIG_FILE = "/config.json"
SESSIONS_DIR = "/sessions"
FIRMWARE_VERSION = "0.1.0"

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
            self.console("[%s] cue: %s" % (_clock(t_ms), evn.name(evn.CUE_NAMES, arg)))
        elif code == ev.EV_LETDOWN or code == ev.EV_TAPER:
            self.console("[%s] %s (bottle %d)" % (_clock(t_ms), evn.EVENT_NAMES[code], ch + 1))
        elif code == ev.EV_CUE_RESULT:
            self.console("[%s] the %s step brought %d mL"
                         % (_clock(t_ms), evn.name(evn.CUE_NAMES, ch), (arg + 515) // 1030))
        elif code == ev.EV_FAULT:
            self.console("[%s] fault: %s" % (_clock(t_ms), evn.name(evn.FAULT_NAMES, arg)))


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
        self.haptics = haptics.Haptics(hw.motor, cfg)
        self.button = button.Button(hw.button, cfg) if hw.button is not None else None
        self.sink = DeviceSink(self)
        self.sessions = 0
        self.stop_reason = ""

    def _host_wants_repl(self):
        return self.host is not None and self.host.attention()

    def _open_log(self, sampler, header):
        """Open the session file; on a full flash give `storage_full` and run unlogged."""
        store = self.store
        if store is None:
            return None
        try:
            store.open(0, sampler.channels, header.get("period_us", 100000),
                       has_accel=sampler.has_accel, device_id=header.get("device_id", ""),
                       firmware=FIRMWARE_VERSION, board=header.get("board", ""),
                       config_digest=header.get("config_digest", 0),
                       start_time_s=wall_clock_s())
        except OSError as e:  # StorageFull, or the flash failed
            self.console("log: %s" % e)
            self.sink.emit(0, ev.EV_CUE, 0, ev.CUE_STORAGE_FULL)
            return None
        if store.space_short:
            self.sink.emit(0, ev.EV_CUE, 0, ev.CUE_STORAGE_FULL)
        return store

    def run_session(self, header):
        """One session, start to end. Returns why it ended: done|button|host|trace."""
        sampler = self.sampler_factory()
        sensors = [None] * sampler.channels  # flow sensors by the bottle they sit on
        for sensor in getattr(self.hw, "flow_sensors", ()):
            if 0 <= getattr(sensor, "channel", 0) < sampler.channels:
                sensors[sensor.channel] = sensor
        session = Session(self.cfg, sampler.channels, self.sink, has_accel=sampler.has_accel,
                          flow_sensors=sensors)
        log = self._open_log(sampler, header)
        self.sink.log = log
        sampler.start()
        reason = "trace"
        t_ms = 0
        t_check = time.ticks_ms()
        w = sampler.w_mg
        a = sampler.accel_mgee
        on_sample = session.on_sample
        btn = self.button
        end_on_done = self.cfg.get("end_on_done", True)
        started = False
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
        finally:
            session.finish(t_ms, by_done=(reason == "done"))
            self.haptics.stop()
            sid = -1
            if log is not None:
                sid = log.close({"t_ms": t_ms, "volume_mg": [session.channel_volume_mg(ch)
                                                             for ch in range(sampler.channels)],
                                 "done": reason == "done"})
            self.sink.log = None
        self.sessions += 1
        self.stop_reason = reason
        self.console("session %d: %s mL, %d letdowns, %s long, ended by %s"
                     % (sid, _ml_text(session.volume_mg()), sum(session.letdowns),
                        _clock(session.duration_ms()), reason))
        return reason


def nominal_period_us(board_cfg):
    """The sample period the log codes deviations from: the board file's `period_us` (the
    emulator writes it from the trace), else the first ADC's rate (HX711 RATE pin low: 10 SPS)."""
    if board_cfg.get("period_us"):
        return int(board_cfg["period_us"])
    scales = board_cfg.get("scales") or [{}]
    rate_sps = scales[0].get("rate_sps") or 10
    return 1000000 // int(rate_sps)


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
        return None, ("no %s: copy boards/<your board>.json there (`make deploy` does)"
                      % path)
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


def main():
    """Boot: board, configuration, storage; then serve sessions until the host takes over."""
    global _trace_played
    from device import board as board_mod
    from device import hostlink, logstore

    board_cfg, problem = load_board(BOARD_FILE)
    if board_cfg is None:
        print("pumpmon:", problem)
        return
    import shared
    from shared import config

    cfg, problems = config.load(CONFIG_FILE)
    if problems:
        config.explain(problems)
    config_digest = int(config.digest(cfg), 16)
    del config  # ~12 KB back: only the settings dict is kept
    shared.unload("config")
    gc.collect()
    try:
        hw = board_mod.bring_up(board_cfg)
    except (OSError, ValueError, KeyError, TypeError) as e:
        # a part that does not answer, or a board file that names wrong pins: say which,
        # and stay at the REPL so the file can be fixed over USB
        print("pumpmon: the board in %s did not come up: %s" % (BOARD_FILE, e))
        return
    store = logstore.LogStore(SESSIONS_DIR)
    power = getattr(hw, "power", None)
    host = hostlink.HostLink(sys.stdin, vbus_pin=getattr(power, "vbus_pin", None))
    app = App(hw, cfg, store, hw.sampler_factory(cfg), host)
    if power is not None:
        power.host = host  # never light-sleep while a host is attached
        power.haptics = app.haptics  # nor while a cue plays
    header = {"board": board_cfg.get("name", "?"), "config_digest": config_digest,
              "period_us": nominal_period_us(board_cfg),
              "device_id": getattr(hw, "device_id", "")}
    if problems:
        app.sink.emit(0, ev.EV_FAULT, 0, ev.FAULT_CONFIG)
    if hw.trace is not None:
        # the emulator's sim board: the trace is one session, played once per boot
        if not _trace_played:
            _trace_played = True
            if app.run_session(header) == "host":
                return
            if board_cfg.get("exit_after_session"):
                sys.exit(0)
        while not app._host_wants_repl():  # then sit on the desk, serving USB
            time.sleep_ms(_WAIT_MS)
        return
    auto = autostart_check(hw, cfg)
    while True:
        if app._host_wants_repl():
            return
        if hw.wait_for_start(app, _WAIT_MS) or (auto is not None and auto(time.ticks_ms())):
            if app.run_session(header) == "host":
                return
