"""Session files for an emulated device: synthetic sessions and writing them into a flash image.

    data = synthetic_session(session_id=3, start_time_s=..., minutes=12, seed=3)
    put_files("flash.img", {"/sessions/00000003.pml": data})   # then `pumpmon emulate --flash`

For tests and the benchmark: a pull needs sessions on a device, and writing them over the
serial link would itself be a slow pull in reverse. `put_files` mounts the littlefs image in
the unix port (firmware/unix/flashdev.py, the emulator's own block device) and copies the
files in one run. Sessions are encoded by the firmware's codec (firmware/shared/logcodec.py), so
they are byte for byte what the device's log store writes.

Limits: the synthetic session is a plausible shape (letdowns, tapers, cues, two bottles,
noise), not a physiological model: bench/scenarios.py is that. The image must not be in use
by a running emulator while files are put into it.
"""

from __future__ import annotations

import math
import random
import tempfile
from pathlib import Path

from . import unixport
from .shared import events as ev
from .shared import logcodec as codec
from .shared import logdecode

SESSION_DIR = "/sessions"
EPOCH_2000_UNIX_S = 946684800  # 2000-01-01T00:00:00Z, the log's wall-clock epoch


def session_name(session_id: int) -> str:
    """The log store's file name for a session id (firmware/logstore.py)."""
    return "%08d.pml" % session_id


def synthetic_session(
    session_id: int,
    start_time_s: int | None = None,
    minutes: float = 12,
    seed: int = 0,
    complete: bool = True,
    period_ms: int = 100,
    device_id: str = "240ac4000001",
) -> bytes:
    """A session file: two bottles at 1000/period_ms Hz, letdowns, tapers, cues and their
    results, and (when complete) a summary. start_time_s: seconds since 2000-01-01 UTC."""
    rng = random.Random(seed)
    end_ms = int(minutes * 60_000)
    # letdowns: first after 40..150 s, then every 150..300 s; each a burst of flow that tapers
    letdown_ms = [rng.randint(40_000, 150_000)]
    while letdown_ms[-1] + 150_000 < end_ms - 60_000:
        letdown_ms.append(letdown_ms[-1] + rng.randint(150_000, 300_000))
    share = (1.0, rng.uniform(0.35, 1.1))  # right bottle relative to left
    peak_mg_s = rng.uniform(250, 600)
    events = [(0, ev.EV_SESSION_START, 255, 0), (0, ev.EV_PHASE, 255, ev.PH_STIMULATION)]
    for k, t in enumerate(letdown_ms):
        events.append((t + 4000, ev.EV_LETDOWN, 0, int(peak_mg_s)))
        events.append((t + 4100, ev.EV_CUE, 255, ev.CUE_LETDOWN))
        events.append((t + 4100, ev.EV_PHASE, 255, ev.PH_EXPRESSING))
        taper = t + 95_000
        if taper < end_ms - 20_000:
            events.append((taper, ev.EV_TAPER, 0, 0))
            cue = ev.CUE_MASSAGE if k < len(letdown_ms) - 1 else ev.CUE_HAND_EXPRESS
            events.append((taper + 100, ev.EV_CUE, 255, cue))
            events.append(
                (
                    taper + 100,
                    ev.EV_PHASE,
                    255,
                    ev.PH_MASSAGE if cue == ev.CUE_MASSAGE else ev.PH_HAND_EXPRESSION,
                )
            )
    samples = []
    vol = [0.0, 0.0]
    base = [rng.uniform(80_000, 120_000), rng.uniform(80_000, 120_000)]
    for i in range(end_ms // period_ms):
        t = i * period_ms
        flow = 0.0
        for k, t0 in enumerate(letdown_ms):
            if t >= t0:
                x = (t - t0) / 1000.0
                flow += (
                    peak_mg_s
                    * (0.75**k)
                    * (x / 8.0)
                    * math.exp(1 - x / 8.0)
                    * (1 if x < 8 else math.exp(-(x - 8) / 30.0))
                )
        for ch in (0, 1):
            vol[ch] += flow * share[ch] * period_ms / 1000.0
        w = [int(base[ch] + vol[ch] + rng.gauss(0, 300)) for ch in (0, 1)]
        samples.append((t, w[0], w[1]))
    # what each massage / hand-expression cue brought: milk in the 180 s after it
    for t_cue, code, _ch, arg in list(events):
        if code == ev.EV_CUE and arg in (ev.CUE_MASSAGE, ev.CUE_HAND_EXPRESS):
            i0 = t_cue // period_ms
            i1 = min(len(samples) - 1, (t_cue + 180_000) // period_ms)
            if i1 > i0:
                got = sum(samples[i1][1 + c] - samples[i0][1 + c] for c in (0, 1))
                events.append((samples[i1][0], ev.EV_CUE_RESULT, arg, max(0, got)))
    events.append((end_ms - period_ms, ev.EV_CUE, 255, ev.CUE_DONE))
    events.append((end_ms - period_ms, ev.EV_SESSION_END, 255, 1))
    events.sort(key=lambda e: e[0])
    import inspect

    period = (
        {"period_us": period_ms * 1000}
        if "period_us" in inspect.signature(codec.header_frame).parameters
        else {"period_ms": period_ms}
    )
    header = {
        "session_id": session_id,
        "n_channels": 2,
        **period,
        "q_mg": 20,
        "device_id": device_id,
        "firmware": "synthetic",
        "board": "sim",
        "start_time_s": start_time_s,
    }
    summary = None
    if complete:
        summary = {
            "end_t_ms": end_ms - period_ms,
            "n_samples": len(samples),
            "n_events": len(events),
            "letdowns": sum(1 for e in events if e[1] == ev.EV_LETDOWN),
            "cues": sum(1 for e in events if e[1] == ev.EV_CUE),
            "faults": 0,
            "done": True,
            "volume_mg": [int(v) for v in vol],
        }
    else:  # a power cut: the file ends part-way and has no summary
        cut = rng.randint(len(samples) // 3, 2 * len(samples) // 3)
        t_cut = samples[cut][0]
        samples = samples[:cut]
        events = [e for e in events if e[0] <= t_cut and e[1] != ev.EV_SESSION_END]
    return logdecode.encode_session(header, samples, events=events, summary=summary)


_PUT = """
import os, flashdev, vfs
fs = flashdev.mount_image(%r, mount_at="/flash")
vfs.mount(vfs.VfsPosix(%r), "/src")
def mk(p):
    cur = ""
    for part in p.split("/")[:-1]:
        if part:
            cur += "/" + part
            try:
                os.mkdir(cur)
            except OSError:
                pass
for src, dst in %r:
    mk("/flash" + dst)
    with open("/src/" + src, "rb") as a, open("/flash" + dst, "wb") as b:
        while True:
            chunk = a.read(4096)
            if not chunk:
                break
            b.write(chunk)
flashdev.unmount(fs)
print("ok")
"""


def put_files(image: str | Path, files: dict[str, bytes]) -> None:
    """Write `files` (device path -> contents) into the littlefs image (created when missing)."""
    image = Path(image).resolve()
    with tempfile.TemporaryDirectory(prefix="pumpmon-put-") as tmp:
        pairs = []
        for i, (dst, data) in enumerate(files.items()):
            name = "f%d" % i
            (Path(tmp) / name).write_bytes(data)
            pairs.append((name, dst))
        proc = unixport.run_code(_PUT % (str(image), tmp, pairs), heap="2M")
        if proc.returncode != 0 or "ok" not in proc.stdout:
            raise RuntimeError(
                "could not write into flash image %s: %s"
                % (image, (proc.stderr or proc.stdout).strip()[-500:])
            )
