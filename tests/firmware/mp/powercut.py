"""The device side of the power-cut test (tests/host/test_powercut.py), in the unix port.

`record(img, size, seed)` records sessions back to back onto a file-backed littlefs image
through device/logstore.py at an accelerated clock (no sleeping), printing each sample's
t_ms after handing it to the log, until the host kills the process. `check(img, size)`
mounts the image afterwards and decodes every session file.
"""

import os
import sys

import flashdev
from device import logstore
from shared import events as ev


def record(img, size, seed):
    flashdev.mount_image(img, size_bytes=size, mount_at="/flash")
    st = logstore.LogStore("/flash/sessions")
    x = seed
    w = sys.stdout.write
    w("ready\n")
    while True:
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        n = 600 + x % 1400
        if not st.room_for_session():
            for sid, _size, ok in st.sessions():
                if not ok:
                    st.confirm(sid)
            st.prune(st.session_bytes * 4)
        sid = st.open(
            0, 2, 100000, has_accel=True, device_id="powercut", firmware="test", board="sim"
        )
        w("open %d\n" % sid)
        t = 0
        for i in range(n):
            t += 100
            st.sample(t, 20000 + (i * 37) % 900, 15000 + (i * 53) % 700)
            st.accel(t, i % 40, 3, 1000)
            if i % 97 == 5:
                st.event(t, ev.EV_CUE, 255, ev.CUE_STIMULATE)
            w("s %d %d\n" % (sid, t))
        st.close({"t_ms": t, "volume_mg": [0, 0], "done": True})
        w("close %d %d\n" % (sid, n))


def check(img, size):
    """[{sid, header, complete, n, last_t, prefix, damaged, skipped, summary_n}] per file."""
    from shared import logdecode

    flashdev.mount_image(img, size_bytes=size, mount_at="/flash")
    out = []
    for name in sorted(os.listdir("/flash/sessions")):
        if not name.endswith(".pml"):
            continue
        with open("/flash/sessions/" + name, "rb") as f:
            data = f.read()
        d = logdecode.decode(data)
        t = d["t_ms"]
        out.append(
            {
                "sid": int(name[:-4]),
                "header": d["header"] is not None,
                "complete": d["complete"],
                "n": len(t),
                "last_t": t[-1] if t else 0,
                "prefix": list(t) == list(range(100, 100 * len(t) + 1, 100)),
                "damaged": d["damaged_segments"],
                "skipped": d["skipped_bytes"],
                "summary_n": d["summary"]["n_samples"] if d["summary"] else -1,
            }
        )
    return out
