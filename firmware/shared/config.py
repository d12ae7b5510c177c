# The device configuration: one schema, its defaults, validation and loading (shared with host).
#
#     import config
#     cfg, problems = config.load("/config.json")   # never raises; bad keys run on defaults
#     if problems:
#         config.explain(problems)                  # says what was wrong on the REPL
#         ...log FAULT_CONFIG...
#     cfg["max_session_s"]                           # every schema key is present in `cfg`
#
# The schema: entries() yields (key, type, default, low, high, units, description) for every
# key; under CPython (host tools) the same entries are also the tuple SCHEMA. `type` is
# "int", "float", "bool" or "str"; for "str" the allowed values are in `low` (a tuple) and
# `high` is None. Ranges are inclusive; a "float" must also not be 0 (it is a factor).
# Every key another module reads with cfg.get("key", default) belongs here with the same
# default (tests/firmware/test_config.py checks that). The host tools import this very
# module through host_tools/pumpmon/fwimport.py (CPython), so it must not import `machine`
# and uses only `json` (and hashlib for digest()) from the standard library.
#
# Rules across keys (stimulate_after_s below max_session_s, ...) are in _RULES, checked by
# validate() on the device and by `pumpmon config set` on the host.
#
# Limits: the file is a flat JSON object (no nesting); it is read once at boot, so loading may
# allocate freely. Unknown keys are reported (they are usually typos) and ignored.
import json
import sys

# The table: one key per line, `key|type|default|low|high|units|description` (a description
# may go on over lines indented by spaces); lines starting with "#" are section titles. It is
# one string, not a tuple of tuples, because that is ~3x smaller in RAM on the device;
# entries() parses it on demand (at boot only).
_TABLE = """\
# the coach: the hands-on pumping protocol
stimulate_after_s|int|180|10|1800|s|give the `stimulate` cue when no letdown has come this long
    after the start
stimulate_repeat_s|int|0|0|1800|s|repeat `stimulate` this often while still no letdown (0: give it
    once)
max_session_s|int|900|60|3600|s|give `done` and end the session at this length (a physician's
    'about 15 minutes')
massage_rounds|int|2|0|10|rounds|massage rounds (flow tapered -> massage) before the final step
massage_round_s|int|240|30|900|s|a massage round with no new letdown this long: flow no longer
    returns, final step
after_massage|str|hand_express|hand_express,single_pump|||the step after the massage rounds: hand
    expression, or single pumping first
single_pump_s|int|240|30|900|s|longest single-pumping step before hand expression (when
    after_massage=single_pump)
hand_express_stop_s|int|120|20|900|s|`done` when the volume grew less than flow_stopped_mg for this
    long in hand expression
flow_stopped_mg|int|1000|100|20000|mg|growth below this (per hand_express_stop_s) means the flow
    has stopped
taper_merge_s|int|60|0|300|s|a taper this soon after the one that began the final step (the other
    bottle's) repeats the step's cue instead of moving on
cue_result_s|int|180|30|900|s|window after a massage / hand_express cue over which the milk it
    brought is measured
fault_cue_gap_s|int|60|5|900|s|at most one `fault` cue per this interval (a failing sensor reports
    every sample)
# which cues are on
cue_stimulate|bool|true||||give the `stimulate` cue
cue_letdown|bool|true||||give the `letdown` cue when flow starts
cue_massage|bool|true||||give the `massage` cue when flow tapers
cue_single_pump|bool|true||||give the `single_pump` cue
cue_hand_express|bool|true||||give the `hand_express` cue
cue_done|bool|true||||give the `done` cue
cue_fault|bool|true||||give the `fault` cue when a sensor fails
cue_storage_full|bool|true||||give the `storage_full` cue when flash is almost full
# haptics
haptic_intensity_pct|int|70|10|100|%|vibration strength
haptic_repeat|bool|true||||play a cue once more when no short press acknowledged it
haptic_repeat_after_s|int|20|3|120|s|wait this long after a cue ends before repeating it
# button
button_active_low|bool|true||||the pin reads 0 while pressed (button to ground, pull-up)
button_debounce_ms|int|30|5|200|ms|a level must hold this long to count
button_long_ms|int|1500|500|5000|ms|held this long: a long press (start / stop a session)
button_double_gap_ms|int|350|150|1000|ms|a second press within this gap makes a double press (mark
    a moment)
# automatic start (autostart.AutoStart, wired in app.py)
auto_start|bool|false||||start a session by itself when a bottle's weight settles and flow begins
auto_start_settle_s|int|5|1|60|s|the weight must stay within auto_start_band_mg this long to count
    as settled
auto_start_band_mg|int|1500|200|20000|mg|how still a settled weight is
auto_start_rise_mg|int|3000|500|50000|mg|flow has begun when the weight rose this much over the
    settled weight ...
auto_start_hold_ms|int|3000|500|30000|ms|... and stayed up this long
fusion_sensor_share_pct|int|50|0|100|%|with a flow sensor on a bottle: its share of the flow
    shown (the rest is the load cell's); while the load cell is disturbed it is 100
end_on_done|bool|true||||end the session by itself after the `done` cue (else a long press ends it)
# display and storage
units|str|ml|ml,oz|||volume unit shown to people
bottle1_side|str|left|left,right|||the breast bottle 1 is worn on (bottle 2: the other); the host
    reports left and right with it
storage_reserve_kb|int|64|8|1024|KiB|flash kept free: below it, old pulled sessions are pruned and
    `storage_full` is cued
# scale calibration (app.py; set by the calibration procedure)
cal_mg_per_count_1|float|1.0|-1000.0|1000.0|mg/count|bottle 1 load cell: milligrams per ADC count
    (negative if wired reversed; not 0)
cal_mg_per_count_2|float|1.0|-1000.0|1000.0|mg/count|bottle 2 load cell: milligrams per ADC count
    (negative if wired reversed; not 0)
# flow stage (firmware/flow.py documents these)
flow_bin_ms|int|200|50|1000|ms|time bin for samples
flow_block_bins|int|5|2|20|bins|bins per block (block = 1 s by default)
flow_window_blocks|int|8|3|12|blocks|Theil-Sen window for the flow
flow_fast_blocks|int|5|3|12|blocks|Theil-Sen window for the fast flow
flow_jump_mg|int|1200|200|20000|mg|a block this far from the prediction is an artifact (press,
    tilt, knock)
flow_spread_mg|int|1500|200|20000|mg|a block whose bins spread this much over twice the usual is an
    artifact (walking)
flow_noise_mg|int|150|10|5000|mg|starting guess of block noise (learned)
flow_rebase_s|int|10|2|120|s|a held level this steady this long becomes an offset
flow_max_mg_s|int|2000|200|5000|mg/s|highest flow credited across a gap or hold
flow_env_blocks|int|4|1|30|blocks|lower envelope (running minimum) over this many blocks
flow_unsettle_mg|int|700|100|20000|mg|a fall this far (+3 x noise) below the recent top marks the
    weight unsettled
bottle_mg|int|125000|0|500000|mg|empty bottle + flange on the cell (for the tilt correction)
tilt_min_cos_q10|int|707|500|1024|cos x1024|tilt beyond this cosine (~45 deg) is held
flow_tilt_change_q10|int|6|1|200|cos x1024|a block whose tilt cosine changes more than this is not
    quiet (the detector ignores it)
# detector (firmware/detect.py documents these)
ld_base_blocks|int|20|10|32|blocks|letdown baseline window
ld_min_base_blocks|int|10|2|32|blocks|good blocks needed in the baseline before deciding
ld_guard_blocks|int|2|0|8|blocks|the baseline ends this far before the newest block
ld_k_q4|int|24|0|64|1/16 sd|CUSUM allowance k (noise units x 16)
ld_h_q4|int|52|16|640|1/16 sd|CUSUM threshold h (noise units x 16)
ld_part_pct|int|25|0|100|%|share of h a bottle's own CUSUM needs in a joint (two-bottle) call
ld_sync_s|int|10|0|120|s|window after the other bottle's letdown ...
ld_sync_pct|int|35|10|100|%|... in which this share of h (and of the floor path's need) is enough
ld_gap_s|int|20|0|300|s|no second letdown on a bottle sooner than this
ld_rearm_pct|int|20|1|100|%|re-arm once the flow fell this much below its peak ...
ld_rearm_mg_s|int|30|0|1000|mg/s|... and at least this much
ld_max_accel_mg_s2|int|250|10|5000|mg/s2|limit on the flow acceleration the letdown detector uses
    (see firmware/detect.py)
ld_noise_floor_mg|int|20|1|1000|mg|lowest block noise believed (drip quantisation)
taper_high_mg_s|int|100|20|2000|mg/s|a high-flow period is at least this ...
taper_high_blocks|int|4|1|60|blocks|... for this many blocks
taper_mg_s|int|100|10|2000|mg/s|a taper is the flow under this ...
taper_blocks|int|6|1|60|blocks|... for this many blocks
# motion (firmware/motion.py documents these)
motion_mgee|int|80|10|2000|milli-g|mean shaking above this is motion
motion_hang_ms|int|2000|0|30000|ms|motion stays on this long after the shaking stopped
motion_up_axis|int|2|0|2|axis|0 = x, 1 = y, 2 = z: the accelerometer axis along gravity when
    upright
"""

# Rules across keys: `low|op|high|why`, op "<" or "<=". A configuration that breaks one
# contradicts itself (the device could never do what it asks), so loading it puts the keys
# of that rule back to their defaults (and says so), and `pumpmon config set` refuses it.
_RULES = """\
stimulate_after_s|<|max_session_s|the `stimulate` cue could never be given
ld_min_base_blocks|<=|ld_base_blocks|the letdown baseline could never hold enough blocks
ld_guard_blocks|<|ld_base_blocks|the letdown baseline would be empty
taper_mg_s|<=|taper_high_mg_s|a taper would need the flow below the level that counts as high
auto_start_band_mg|<|auto_start_rise_mg|a settled weight could count as flow beginning
"""

_KEY = 0
_TYPE = 1
_DEFAULT = 2
_LOW = 3
_HIGH = 4
_UNITS = 5
_DOC = 6


def _literal(kind, text):
    if text == "":
        return None
    if kind == "bool":
        return text == "true"
    if kind == "float":
        return float(text)
    if kind == "int":
        return int(text)
    return text


def _parse(row):
    key, kind, default, low, high, units, doc = row.split("|", 6)
    if kind == "str":
        return (key, kind, default, tuple(low.split(",")), None, units, doc)
    return (key, kind, _literal(kind, default), _literal(kind, low), _literal(kind, high),
            units, doc)  # fmt: skip


def entries():
    """Each schema entry (key, type, default, low, high, units, description), in order."""
    # walks the table with find() instead of split(): one line alive at a time, so a small
    # heap is not asked for the whole table's lines at once
    table = _TABLE
    end = len(table)
    start = 0
    row = ""
    while start < end:
        stop = table.find("\n", start)
        if stop < 0:
            stop = end
        line = table[start:stop]
        start = stop + 1
        if line.startswith(" "):
            row += " " + line.strip()  # the description goes on
            continue
        if row:
            yield _parse(row)
        row = "" if line.startswith("#") else line
    if row:
        yield _parse(row)


def entry(key):
    """The schema entry for `key`, or None."""
    for e in entries():
        if e[_KEY] == key:
            return e
    return None


def defaults():
    """A fresh configuration dict with every key at its default."""
    return {e[_KEY]: e[_DEFAULT] for e in entries()}


def value(cfg, key):
    """cfg[key], else the schema default (for code handed a partial dict). Not per sample."""
    if cfg is not None and key in cfg:
        return cfg[key]
    e = entry(key)
    if e is None:
        raise KeyError("no configuration key %r in the configuration schema" % key)
    return e[_DEFAULT]


def _check(e, raw):
    """(value, problem or None) for one key: the value itself, or the default and why."""
    key, kind, default, low, high, units = e[0], e[1], e[2], e[3], e[4], e[5]
    if kind == "bool":
        if raw is True or raw is False:
            return raw, None
        return default, "%s must be true or false, not %r: using %r" % (key, raw, default)
    if kind == "str":
        if isinstance(raw, str) and raw in low:
            return raw, None
        return default, "%s must be one of %s, not %r: using %r" % (
            key,
            ", ".join(low),
            raw,
            default,
        )
    if kind == "float":
        if raw is True or raw is False or not isinstance(raw, (int, float)):
            return default, "%s must be a number (%s), not %r: using %r" % (
                key,
                units,
                raw,
                default,
            )
        raw = float(raw)
        if raw != raw or raw == 0 or raw < low or raw > high:
            return default, "%s = %r %s must be non-zero within %r..%r: using %r" % (
                key,
                raw,
                units,
                low,
                high,
                default,
            )
        return raw, None
    # int: accept a float only when it is a whole number (180.0); bools are not numbers here
    whole = raw is not True and raw is not False and isinstance(raw, (int, float))
    if whole and isinstance(raw, float):
        # NaN and the infinities first: int() of them raises
        whole = raw == raw and raw not in (float("inf"), float("-inf")) and raw == int(raw)
    if not whole:
        return default, "%s must be a whole number (%s), not %r: using %r" % (
            key,
            units,
            raw,
            default,
        )
    raw = int(raw)
    if raw < low or raw > high:
        return default, "%s = %d %s is out of range %d..%d: using %r" % (
            key,
            raw,
            units,
            low,
            high,
            default,
        )
    return raw, None


def rules():
    """Each rule across keys: (low key, op, high key, why it matters)."""
    for line in _RULES.split("\n"):
        if line:
            low, op, high, why = line.split("|", 3)
            yield low, op, high, why


def broken_rules(cfg):
    """[(low key, high key, message)] for each rule `cfg` breaks."""
    out = []
    for low, op, high, why in rules():
        a = cfg[low]
        b = cfg[high]
        if a < b or (op == "<=" and a == b):
            continue
        out.append(
            (
                low,
                high,
                "%s (%r) must be %s %s (%r): %s"
                % (low, a, "below" if op == "<" else "at most", high, b, why),
            )
        )
    return out


def validate(data, apply_rules=True):
    """(cfg, problems): every schema key checked; bad or missing ones take their default;
    then (apply_rules) the rules across keys, whose broken ones put their keys back to the
    defaults (`pumpmon config set` checks them itself, to refuse instead).

    `data` is what the JSON file held. Keys it lacks are not problems (defaults are the
    point); wrong types, out-of-range values and unknown keys are, one message each.
    """
    problems = []
    cfg = defaults()
    if not isinstance(data, dict):
        problems.append(
            "the configuration must be a JSON object {...}, not %s: using defaults"
            % type(data).__name__
        )
        return cfg, problems
    known = set()
    for e in entries():
        key = e[_KEY]
        known.add(key)
        if key in data:
            v, problem = _check(e, data[key])
            cfg[key] = v
            if problem:
                problems.append(problem)
    for key in data:
        if key not in known:
            problems.append("unknown key %r ignored (check its spelling)" % (key,))
    broken = broken_rules(cfg) if apply_rules else ()
    while broken:  # each pass puts one rule's keys back to their defaults (which agree)
        low, high, message = broken[0]
        for key in (low, high):
            cfg[key] = value(None, key)  # its default
        problems.append(
            "%s: using %s = %r and %s = %r" % (message, low, cfg[low], high, cfg[high])
        )
        broken = broken_rules(cfg)
    return cfg, problems


def loads(text):
    """(cfg, problems) from JSON text; never raises on bad content."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        return defaults(), [
            "the configuration is not valid JSON (%s): using defaults; fix or delete it" % exc
        ]
    return validate(data)


def load(path):
    """(cfg, problems) from the JSON file at `path`; never raises (missing/corrupt -> defaults)."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError as exc:
        return defaults(), [
            "no configuration file at %s (%s): using defaults; write one to change them"
            % (path, exc)
        ]
    except (UnicodeError, ValueError) as exc:
        return defaults(), ["%s is not readable text (%s): using defaults" % (path, exc)]
    return loads(text)


def _items(cfg):
    """(key, JSON text of its value) in schema order; cfg's value, else the default."""
    for e in entries():
        key = e[_KEY]
        v = cfg[key] if cfg is not None and key in cfg else e[_DEFAULT]
        yield key, json.dumps(v)


def dumps(cfg):
    """JSON text of a configuration, keys in schema order (for writing the file)."""
    return "{\n" + ",\n".join('  "%s": %s' % kv for kv in _items(cfg)) + "\n}\n"


def digest(cfg):
    """8 hex digits identifying a configuration (for session headers): same values, same digest.
    Hashed key by key, so a small heap never holds the whole text at once."""
    import hashlib
    from binascii import hexlify

    h = hashlib.sha256()
    for kv in _items(cfg):
        h.update(("%s=%s;" % kv).encode())
    return hexlify(h.digest()[:4]).decode()


def explain(problems, out=print):
    """Say on the REPL (or through `out`) what was wrong with the configuration."""
    for p in problems:
        out("config: " + p)


def json_schema():
    """The schema as a JSON Schema (draft 2020-12) dict, for host tools and editors."""
    props = {}
    for e in entries():
        key, kind, default, low, high, units, doc = e
        p = {"description": doc + (" [%s]" % units if units else ""), "default": default}
        if kind == "bool":
            p["type"] = "boolean"
        elif kind == "str":
            p["type"] = "string"
            p["enum"] = [c for c in low]  # type: ignore[union-attr]
        elif kind == "float":
            p["type"] = "number"
            p["minimum"] = low
            p["maximum"] = high
            p["not"] = {"const": 0}
        else:
            p["type"] = "integer"
            p["minimum"] = low
            p["maximum"] = high
        props[key] = p
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "pump monitor configuration",
        "type": "object",
        "properties": props,
        "additionalProperties": False,
    }


if sys.implementation.name != "micropython":
    # the host tools and the tests read the whole table at once; the device never builds it
    SCHEMA = tuple(entries())
