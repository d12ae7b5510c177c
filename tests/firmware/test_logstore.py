"""Session files on littlefs (vfs.VfsLfs2 over the emulated flash) in the unix port."""

from __future__ import annotations

_PRELUDE = r"""
import json, os, gc
import flashdev, logstore, logcodec
import events as ev
fs = flashdev.mount_image(None, size_bytes=%d, mount_at="/flash")
def record(st, n, t0=0, sid_out=None):
    sid = st.open(t0, 2, 100000, has_accel=True, device_id="dev-7", firmware="1.2",
                  board="devkitc", config_digest=42, start_time_s=None)
    t = t0
    for i in range(n):
        t += 100
        st.sample(t, 30000 + i, 20000 - i)
        st.accel(t, 0, 0, 1000)
    return sid, t
def decode_file(path):
    with open(path, "rb") as f:
        return logcodec.decode(f.read())
"""


def _code(body: str, size: int = 256 * 1024) -> str:
    return _PRELUDE % size + body


def test_closed_session_is_listed_and_decodes_complete_with_its_header(mpy_json):
    got = mpy_json(
        _code(r"""
st = logstore.LogStore("/flash/sessions")
sid, t = record(st, 900)
st.event(t, ev.EV_LETDOWN, 0, 350)
st.close({"t_ms": t, "volume_mg": [12000, 9000], "done": True})
d = decode_file(st.path(sid))
print(json.dumps({"sid": sid, "list": st.sessions(), "n": len(d["t_ms"]),
                  "complete": d["complete"], "header": d["header"], "summary": d["summary"],
                  "w0": d["w_mg"][0][:2], "events": d["events"]}))
"""),
        heap="2M",
    )
    assert got["sid"] == 1
    assert [s[0] for s in got["list"]] == [1] and got["list"][0][2] is False
    assert got["n"] == 900 and got["complete"]
    h = got["header"]
    assert (h["device_id"], h["firmware"], h["board"], h["config_digest"]) == (
        "dev-7",
        "1.2",
        "devkitc",
        42,
    )
    assert h["start_time_s"] is None and h["n_channels"] == 2 and h["period_us"] == 100000
    assert got["summary"]["volume_mg"] == [12000, 9000] and got["summary"]["letdowns"] == 1
    assert got["summary"]["n_samples"] == 900 and got["summary"]["done"] is True
    assert got["w0"] == [30000, 30000]  # 30000 and 30001 mg, stored in 50 mg steps
    assert got["events"] == [[90000, 1, 0, 350]]


def test_open_session_is_synced_to_flash_every_1_5_s_of_session_time(mpy_json):
    got = mpy_json(
        _code(r"""
st = logstore.LogStore("/flash/sessions")
seen = []
sid, t = record(st, 0)
for i in range(600):
    t += 100
    st.sample(t, 1000, 2000)
    if i % 37 == 0:
        # what a power cut would leave: the file as last synced, read through another handle
        d = decode_file(st.path(sid))
        last = d["t_ms"][-1] if d["t_ms"] else 0
        seen.append([t, last, d["complete"]])
print(json.dumps(seen))
"""),
        heap="2M",
    )
    assert len(got) > 10
    for t, last_stored, complete in got:
        assert not complete
        assert t - last_stored <= 1500, "at t=%d only samples up to %d were on flash" % (
            t,
            last_stored,
        )


def test_sample_allocates_nothing_between_syncs(mpy_json):
    got = mpy_json(
        _code(r"""
st = logstore.LogStore("/flash/sessions", flush_ms=2000)
sid, t = record(st, 30)
before = after = worst = i = 0
for k in range(40):
    st.flush(t)  # sync now, then 19 samples (1.9 s) that must not sync or allocate
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    for i in range(19):
        t += 100
        st.sample(t, 1000 + i * 7, 2000 - i * 3)
    after = gc.mem_alloc()
    gc.enable()
    if after - before > worst:
        worst = after - before
    t += 100
print(json.dumps({"worst": worst}))
"""),
        heap="2M",
    )
    assert got["worst"] == 0


def test_ids_keep_increasing_after_the_newest_session_is_pruned(mpy_json):
    got = mpy_json(
        _code(r"""
st = logstore.LogStore("/flash/sessions")
ids = []
for k in range(3):
    sid, t = record(st, 50)
    st.close({"t_ms": t, "volume_mg": [0, 0]})
    ids.append(sid)
for sid in ids:
    st.confirm(sid)
pruned = st.prune(10 ** 9)  # more than the flash holds: prune every confirmed session
st2 = logstore.LogStore("/flash/sessions")  # as after a reboot
sid, t = record(st2, 5)
print(json.dumps({"ids": ids, "pruned": pruned, "next": sid, "left": st2.sessions()}))
"""),
        heap="2M",
    )
    assert got["ids"] == [1, 2, 3]
    assert got["pruned"] == [1, 2, 3]
    assert got["next"] == 4
    assert [s[0] for s in got["left"]] == [4]


def test_prune_deletes_only_confirmed_sessions_oldest_first(mpy_json):
    got = mpy_json(
        _code(r"""
st = logstore.LogStore("/flash/sessions")
for k in range(5):
    sid, t = record(st, 50)
    st.close({"t_ms": t, "volume_mg": [0, 0]})
st.confirm(4)
st.confirm(2)
err = ""
try:
    st.confirm(99)
except ValueError as e:
    err = str(e)
need = st.free_bytes() + 1  # forces one deletion at least
first = st.prune(need)
rest = st.prune(10 ** 9)
print(json.dumps({"first": first, "rest": rest, "left": [s[0] for s in st.sessions()],
                  "err": err}))
"""),
        heap="2M",
    )
    assert got["first"] == [2]
    assert got["rest"] == [4]
    assert got["left"] == [1, 3, 5]
    assert "no session 99" in got["err"]


def test_full_flash_refuses_a_session_until_confirmed_sessions_can_be_pruned(mpy_json):
    got = mpy_json(
        _code(
            r"""
st = logstore.LogStore("/flash/sessions", session_bytes=40 * 1024)
room0 = st.room_for_session()
sid, t = record(st, 20000)  # a few KB: more than one flash block
st.close({"t_ms": t, "volume_mg": [0, 0]})
# fill the flash with something that is not a session
with open("/flash/other.bin", "wb") as f:
    while st.free_bytes() >= 40 * 1024:
        f.write(bytearray(4096))
room1 = st.room_for_session()
refused = ""
try:
    st.open(0, 1, 100000)
except logstore.StorageFull as e:
    refused = str(e)
st.confirm(sid)
room2 = st.room_for_session()
print(json.dumps({"room": [room0, room1, room2], "refused": refused, "short": st.space_short,
                  "left": st.sessions()}))
""",
            size=128 * 1024,
        ),
        heap="1M",
    )
    assert got["room"] == [True, False, True]
    assert "pull sessions" in got["refused"]
    assert got["short"] is True
    assert got["left"] == []  # the confirmed session made room


def test_flash_filling_up_mid_session_stops_logging_with_a_storage_fault(mpy_json):
    got = mpy_json(
        _code(
            r"""
st = logstore.LogStore("/flash/sessions", session_bytes=8 * 1024)
sid, t = record(st, 0)
x = 1
for i in range(40000):
    t += 100
    x = (x * 1103515245 + 12345) & 0x7FFFFFFF
    st.sample(t, x % 2000000, (x >> 7) % 2000000)  # noise: many bytes per sample
    if st.fault:
        break
st.close({"t_ms": t, "volume_mg": [0, 0]})
d = decode_file(st.path(sid))
print(json.dumps({"fault": st.fault, "i": i, "n": len(d["t_ms"]),
                  "header": d["header"] is not None, "damaged": d["damaged_segments"]}))
""",
            size=64 * 1024,
        ),
        heap="1M",
    )
    assert got["fault"] == 4  # events.FAULT_STORAGE
    assert got["i"] < 39999
    assert got["header"] and got["damaged"] == 0
    assert got["n"] > 1000  # what was synced before the flash filled stays readable


def test_an_overfull_flash_reads_as_full_and_a_session_keeps_at_least_its_summary(mpy_json):
    got = mpy_json(
        _code(r"""
st = logstore.LogStore("/flash/sessions")
n = 0
b = bytearray(4096)
try:
    while True:  # the user's own files fill the flash to its last block
        with open("/flash/photo%d.bin" % n, "wb") as f:
            f.write(b)
        n += 1
except OSError:
    pass
free = st.free_bytes()
try:
    st.open(0, 2, 100000)
    refused = False
except OSError:
    refused = True
sid = st.open_summary_only(0, 2, 100000, device_id="dev-7", start_time_s=None)
for i in range(300):
    st.sample(i * 100, 1000 + i, 2000)
st.event(5000, ev.EV_LETDOWN, 0, 300)
st.close({"t_ms": 29900, "volume_mg": [5000, 6000], "done": True})
d = decode_file(st.path(sid))
print(json.dumps({"free": free, "refused": refused, "summary": d["summary"],
                  "header": d["header"] is not None, "n": len(d["t_ms"])}))
"""),
        heap="2M",
    )
    assert got["free"] == 0  # not the 16 TB an unsigned "-2 blocks" used to read as
    assert got["refused"] is True
    assert got["header"] is True and got["n"] == 0
    s = got["summary"]
    assert s["volume_mg"] == [5000, 6000] and s["n_samples"] == 300 and s["letdowns"] == 1
