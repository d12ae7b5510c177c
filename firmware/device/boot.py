# Boot: the board file, the configuration, the board's parts, the log store and the host
# link, put together into the app. Run once per boot by app.main(), which then drops this
# module (shared.unload): none of it is needed while sessions run, so its code does not stay
# in the heap beside them.
#
#     app = boot.start(App, load_board)   # app.App, app.load_board; None: it said why
#
# A board file that is missing or wrong, or a part that does not answer, is one line on the
# console saying what to do, and start() returns None: the REPL stays, so the file can be
# fixed over USB.
import gc
import sys

from micropython import const

# The event codes this module uses: private copies of shared/events.py's, folded into the
# bytecode, so the device does not load that module for them (its ~60 names stay out of
# the heap); tests/host/test_event_codes.py checks every copy.
_EV_FAULT = const(6)
_FAULT_CONFIG = const(3)

BOARD_FILE = "/board.json"
CONFIG_FILE = "/config.json"
SESSIONS_DIR = "/sessions"


def nominal_period_us(board_cfg):
    """The sample period the log codes deviations from: the board file's `period_us` (the
    emulator writes it from the trace), else the first ADC's rate (HX711 RATE pin low: 10 SPS)."""
    if board_cfg.get("period_us"):
        return int(board_cfg["period_us"])
    scales = board_cfg.get("scales") or [{}]
    rate_sps = scales[0].get("rate_sps") or 10
    return 1000000 // int(rate_sps)


def start(app_class, load_board):
    """The app, brought up from the board file and the configuration; None when it cannot
    be (the console says why)."""
    from device import board as board_mod
    from device import hostlink, logstore

    board_cfg, problem = load_board(BOARD_FILE)
    if board_cfg is None:
        print("pumpmon:", problem)
        return None
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
        return None
    store = logstore.LogStore(SESSIONS_DIR)
    power = getattr(hw, "power", None)
    host = hostlink.HostLink(sys.stdin, vbus_pin=getattr(power, "vbus_pin", None))
    app = app_class(hw, cfg, store, hw.sampler_factory(cfg), host)
    if power is not None:
        power.host = host  # never light-sleep while a host is attached
        power.haptics = app.haptics  # nor while a cue plays
    app.header = {
        "board": board_cfg.get("name", "?"),
        "config_digest": config_digest,
        "period_us": nominal_period_us(board_cfg),
        "device_id": getattr(hw, "device_id", ""),
    }
    app.board_cfg = board_cfg
    app.auto = None
    if problems:
        app.sink.emit(0, _EV_FAULT, 0, _FAULT_CONFIG)
    return app
