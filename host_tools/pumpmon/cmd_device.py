"""`pumpmon time sync|show` and `pumpmon config show|set KEY=VALUE ...`: the device's clock and
configuration, over the same USB transport as `pumpmon pull`.

    pumpmon time sync [--port DEV]          # set the device clock (UTC) from this computer
    pumpmon time show [--port DEV]          # how far the device clock is from this computer
    pumpmon config show [--port DEV] [--json] [--all]
    pumpmon config set KEY=VALUE [KEY=VALUE ...] [--port DEV] [--stop-session]

The configuration is checked with the firmware's own schema (firmware/shared/config.py, imported
here): an unknown key, a wrong type, an out-of-range value or a broken rule across keys
(stimulate_after_s below max_session_s, ...) is refused with the schema's message and
nothing is written. A session in progress is never ended without --stop-session: without it
`config set` changes nothing and the session goes on (`time` and `config show` pause it only
while they talk to the device). /config.json is written atomically (temporary file, CRC
check, rename) and the app is restarted so the new values apply from the next session.

The clock: sessions store their start as UTC, so the device clock is set to UTC through
machine.RTC (ESP32). Limits: in the emulator the clock is the computer's own, so `time sync`
changes nothing there but reports the offset all the same.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import difflib
import json
import sys
import time

from .errors import BAD_REQUEST, PumpmonError
from .shared import config
from .transport import Device, DeviceCodeError, DeviceError

CONFIG_FILE = "/config.json"  # firmware/app.py
# What a wearer sets (`config show`); the rest (calibration, flow and detector internals,
# wiring) is listed by `config show --all`.
WEARER_KEYS = (
    "units",
    "bottle1_side",
    "max_session_s",
    "stimulate_after_s",
    "stimulate_repeat_s",
    "massage_rounds",
    "massage_round_s",
    "after_massage",
    "single_pump_s",
    "hand_express_stop_s",
    "cue_stimulate",
    "cue_letdown",
    "cue_massage",
    "cue_single_pump",
    "cue_hand_express",
    "cue_done",
    "haptic_intensity_pct",
    "haptic_repeat",
    "haptic_repeat_after_s",
    "auto_start",
    "end_on_done",
)
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def add_arguments(p: argparse.ArgumentParser, name: str) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    if name == "time":
        sub.add_parser("sync", help="set the device clock from this computer (UTC)")
        sub.add_parser("show", help="compare the device clock with this computer's")
    else:
        show = sub.add_parser("show", help="every setting, its value, units and meaning")
        show.add_argument("--json", action="store_true", help="the values as a JSON object")
        show.add_argument(
            "--all",
            action="store_true",
            help="every setting, the calibration and detector internals too",
        )
        st = sub.add_parser("set", help="change settings: KEY=VALUE ...")
        st.add_argument("pairs", nargs="+", metavar="KEY=VALUE")
        st.add_argument(
            "--stop-session",
            action="store_true",
            help="end a session in progress first (without it, a running "
            "session is left alone and nothing is changed)",
        )
    for sp in sub.choices.values():
        sp.add_argument(
            "--port", metavar="DEV", help="serial port of the device (default: find it on USB)"
        )
        sp.add_argument(
            "--no-restart", action="store_true", help="leave the device at its REPL afterwards"
        )


# -- the clock ---------------------------------------------------------------------------
def rtc_tuple(when: dt.datetime) -> tuple[int, ...]:
    """machine.RTC().datetime() tuple for a UTC time: (year, month, day, weekday (Monday 0),
    hours, minutes, seconds, microseconds)."""
    when = when.astimezone(dt.UTC)
    return (
        when.year,
        when.month,
        when.day,
        when.weekday(),
        when.hour,
        when.minute,
        when.second,
        when.microsecond,
    )


def device_unix_time(dev: Device) -> float:
    """The device clock as Unix time (its epoch is 1970 or 2000 depending on the port)."""
    t, epoch_year = dev.eval("(__import__('time').time(),__import__('time').gmtime(0)[0])")
    offset = calendar.timegm((epoch_year, 1, 1, 0, 0, 0))
    return t + offset


def time_sync(dev: Device, say=print) -> float:
    """Set the device clock; returns the offset (s) it had before."""
    before = device_unix_time(dev) - time.time()
    now = dt.datetime.now(dt.UTC)
    try:
        dev.exec("import machine\nmachine.RTC().datetime(%r)" % (rtc_tuple(now),))
    except DeviceCodeError as e:
        raise DeviceError(
            "the device has no settable clock (machine.RTC failed: %s)"
            % e.args[0].splitlines()[-1]
        ) from None
    after = device_unix_time(dev) - time.time()
    say(
        "device clock set to %s UTC (it was %+.0f s off; now %+.0f s)"
        % (now.strftime("%Y-%m-%d %H:%M:%S"), before, after)
    )
    return before


# -- the configuration -------------------------------------------------------------------
def parse_pairs(pairs: list[str], config) -> dict:
    """{key: value} from KEY=VALUE texts, typed by the schema. ValueError says what is wrong."""
    out = {}
    keys = [e[0] for e in config.SCHEMA]
    for pair in pairs:
        if "=" not in pair:
            raise ValueError("%r is not KEY=VALUE" % pair)
        key, text = (s.strip() for s in pair.split("=", 1))
        e = config.entry(key)
        if e is None:
            near = difflib.get_close_matches(key, keys, n=3)
            raise ValueError(
                "no setting %r%s; `pumpmon config show` lists them"
                % (key, " (did you mean %s?)" % ", ".join(near) if near else "")
            )
        kind = e[1]
        if kind == "bool":
            low = text.lower()
            if low in _TRUE:
                out[key] = True
            elif low in _FALSE:
                out[key] = False
            else:
                raise ValueError("%s must be true or false, not %r" % (key, text))
        elif kind == "int":
            try:
                out[key] = int(text)
            except ValueError:
                raise ValueError(
                    "%s must be a whole number (%s), not %r" % (key, e[5], text)
                ) from None
        else:
            out[key] = text
    return out


def read_device_config(dev: Device) -> tuple[dict, dict, list[str]]:
    """(raw JSON object on the device, validated cfg, problems)."""
    exists = dev.eval(
        "__import__('os').stat(%r)[6] if %r in __import__('os').listdir('/') "
        "else -1" % (CONFIG_FILE, CONFIG_FILE.lstrip("/"))
    )
    if exists < 0:
        return {}, config.defaults(), []
    text = dev.read_file(CONFIG_FILE).decode("utf-8", "replace")
    try:
        raw = json.loads(text)
    except ValueError:
        raw = {}
    cfg, problems = config.loads(text)
    return (raw if isinstance(raw, dict) else {}), cfg, problems


def config_lines(cfg: dict, schema, show_all: bool) -> list[str]:
    """`config show` text: each setting, its value and unit, its meaning."""
    lines = []
    for e in schema:
        key, _kind, default, _low, _high, units, doc = e
        if not show_all and key not in WEARER_KEYS:
            continue
        value = cfg[key]
        mark = "" if value == default else "   (default %s)" % json.dumps(default)
        lines.append(
            "%-24s %-14s%s" % (key, json.dumps(value) + (" " + units if units else ""), mark)
        )
        lines.append("    %s" % doc)
    if not show_all:
        lines.append(
            "(%d more: calibration, flow and detector settings; `pumpmon config show "
            "--all` lists them)" % (len(schema) - sum(1 for e in schema if e[0] in WEARER_KEYS))
        )
    return lines


def config_show(dev: Device, as_json: bool, show_all: bool = False) -> int:
    raw, cfg, problems = read_device_config(dev)
    if as_json:
        print(json.dumps(cfg, indent=1))  # every key: for scripts
    else:
        print("\n".join(config_lines(cfg, config.SCHEMA, show_all)))
    for p in problems:
        print("config on the device: %s" % p, file=sys.stderr)
    return 0


def config_set(dev: Device, pairs: list[str]) -> int:
    try:
        changes = parse_pairs(pairs, config)
    except ValueError as e:
        print("pumpmon config set: %s; nothing was changed" % e, file=sys.stderr)
        return 2
    raw, cfg, _problems = read_device_config(dev)
    merged = {k: v for k, v in raw.items() if config.entry(k) is not None}
    merged.update(changes)
    new_cfg, problems = config.validate(merged, apply_rules=False)
    mine = [p for p in problems if any(p.startswith(k + " ") for k in changes)]
    if not mine:  # the rules across keys (stimulate_after_s below max_session_s, ...)
        mine = [m for _low, _high, m in config.broken_rules(new_cfg)]
    if mine:
        for p in mine:
            print("pumpmon config set: %s" % p.split(": using")[0], file=sys.stderr)
        print("pumpmon config set: nothing was changed", file=sys.stderr)
        return 2
    dev.write_file(CONFIG_FILE, config.dumps(new_cfg).encode())
    for k in changes:
        old = cfg.get(k)
        print("%s: %s -> %s" % (k, json.dumps(old), json.dumps(new_cfg[k])))
    return 0


def run(args: argparse.Namespace) -> int:
    name = args.command
    if name == "config" and args.action == "set":
        try:  # refuse bad input before touching the device
            parse_pairs(args.pairs, config)
        except ValueError as e:
            raise PumpmonError(
                "%s; nothing was changed" % e, BAD_REQUEST, command="config set"
            ) from None
    dev = Device.connect(args.port)
    try:
        if name == "time":
            if args.action == "sync":
                time_sync(dev)
            else:
                off = device_unix_time(dev) - time.time()
                print("device clock is %+.1f s from this computer's" % off)
            code = 0
        elif args.action == "show":
            code = config_show(dev, args.json, args.all)
        elif dev.session_in_progress() is not None and not args.stop_session:
            print(
                "pumpmon config set: a session is in progress on the device (left "
                "running): set it again once the session has ended, or add "
                "--stop-session to end it now; nothing was changed",
                file=sys.stderr,
            )
            code = 2
        else:
            if args.stop_session and dev.end_session():
                print("ended the session in progress (its log is closed and saved)")
            code = config_set(dev, args.pairs)
        if not args.no_restart:
            dev.start_app()
        return code
    finally:
        dev.close()
