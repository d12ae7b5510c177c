"""Session files on littlefs (vfs.VfsLfs2 over the emulated flash) in the unix port."""

import flashdev
from device import logstore
from mptest import heap_locked
from shared import events as ev
from shared import logdecode

HEAP = {"*": "2M"}  # decoding whole session files on the device side of the test

_mounted = []


def flash(size_bytes=256 * 1024):
    """A fresh RAM flash image mounted at /flash (unmounted after the test)."""
    _mounted.append(flashdev.mount_image(None, size_bytes=size_bytes, mount_at="/flash"))


def teardown():
    while _mounted:
        flashdev.unmount(_mounted.pop())


def record(st, n, t0=0):
    """Open a two-bottle session with an accelerometer and log `n` samples 100 ms apart."""
    sid = st.open(
        t0,
        2,
        100000,
        has_accel=True,
        device_id="dev-7",
        firmware="1.2",
        board="devkitc",
        config_digest=42,
        start_time_s=None,
    )
    t = t0
    for i in range(n):
        t += 100
        st.sample(t, 30000 + i, 20000 - i)
        st.accel(t, 0, 0, 1000)
    return sid, t


def decode_file(path):
    with open(path, "rb") as f:
        return logdecode.decode(f.read())


def test_closed_session_is_listed_and_decodes_complete_with_its_header():
    flash()
    st = logstore.LogStore("/flash/sessions")
    sid, t = record(st, 900)
    st.event(t, ev.EV_LETDOWN, 0, 350)
    st.close({"t_ms": t, "volume_mg": [12000, 9000], "done": True})
    d = decode_file(st.path(sid))
    listed = st.sessions()
    assert sid == 1, sid
    assert [s[0] for s in listed] == [1] and listed[0][2] is False, listed
    assert len(d["t_ms"]) == 900 and d["complete"], d["summary"]
    h = d["header"]
    got = (h["device_id"], h["firmware"], h["board"], h["config_digest"])
    assert got == ("dev-7", "1.2", "devkitc", 42), h
    assert h["start_time_s"] is None and h["n_channels"] == 2 and h["period_us"] == 100000, h
    summary = d["summary"]
    assert summary["volume_mg"] == [12000, 9000] and summary["letdowns"] == 1, summary
    assert summary["n_samples"] == 900 and summary["done"] is True, summary
    # 30000 and 30001 mg, stored in 50 mg steps
    assert list(d["w_mg"][0][:2]) == [30000, 30000], d["w_mg"][0][:2]
    assert [list(e) for e in d["events"]] == [[90000, 1, 0, 350]], d["events"]


def test_open_session_is_synced_to_flash_every_1_5_s_of_session_time():
    flash()
    st = logstore.LogStore("/flash/sessions")
    checked = 0
    sid, t = record(st, 0)
    for i in range(600):
        t += 100
        st.sample(t, 1000, 2000)
        if i % 37 == 0:
            # what a power cut would leave: the file as last synced, read through another handle
            d = decode_file(st.path(sid))
            last_stored = d["t_ms"][-1] if d["t_ms"] else 0
            assert not d["complete"]
            assert t - last_stored <= 1500, "at t=%d only samples up to %d were on flash" % (
                t,
                last_stored,
            )
            checked += 1
    assert checked > 10, checked


def test_sample_allocates_nothing_between_syncs():
    flash()
    st = logstore.LogStore("/flash/sessions", flush_ms=2000)
    sid, t = record(st, 30)
    for _ in range(40):
        st.flush(t)  # sync now, then 19 samples (1.9 s) that must not sync or allocate
        i = 0
        with heap_locked():  # an allocation raises MemoryError at its line
            while i < 19:
                t += 100
                st.sample(t, 1000 + i * 7, 2000 - i * 3)
                i += 1
        t += 100


def test_ids_keep_increasing_after_the_newest_session_is_pruned():
    flash()
    st = logstore.LogStore("/flash/sessions")
    ids = []
    for _ in range(3):
        sid, t = record(st, 50)
        st.close({"t_ms": t, "volume_mg": [0, 0]})
        ids.append(sid)
    for sid in ids:
        st.confirm(sid)
    pruned = st.prune(10**9)  # more than the flash holds: prune every confirmed session
    st2 = logstore.LogStore("/flash/sessions")  # as after a reboot
    sid, t = record(st2, 5)
    assert ids == [1, 2, 3], ids
    assert pruned == [1, 2, 3], pruned
    assert sid == 4, sid
    assert [s[0] for s in st2.sessions()] == [4], st2.sessions()


def test_prune_deletes_only_confirmed_sessions_oldest_first():
    flash()
    st = logstore.LogStore("/flash/sessions")
    for _ in range(5):
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
    rest = st.prune(10**9)
    assert first == [2], first
    assert rest == [4], rest
    assert [s[0] for s in st.sessions()] == [1, 3, 5], st.sessions()
    assert "no session 99" in err, err


def test_full_flash_refuses_a_session_until_confirmed_sessions_can_be_pruned():
    flash(128 * 1024)
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
    assert [room0, room1, room2] == [True, False, True], (room0, room1, room2)
    assert "pull sessions" in refused, refused
    assert st.space_short is True
    assert st.sessions() == [], st.sessions()  # the confirmed session made room


def test_flash_filling_up_mid_session_stops_logging_with_a_storage_fault():
    flash(64 * 1024)
    st = logstore.LogStore("/flash/sessions", session_bytes=8 * 1024)
    sid, t = record(st, 0)
    x = 1
    i = 0
    for i in range(40000):
        t += 100
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        st.sample(t, x % 2000000, (x >> 7) % 2000000)  # noise: many bytes per sample
        if st.fault:
            break
    st.close({"t_ms": t, "volume_mg": [0, 0]})
    d = decode_file(st.path(sid))
    assert st.fault == ev.FAULT_STORAGE, st.fault
    assert i < 39999, i
    assert d["header"] is not None and d["damaged_segments"] == 0, d["damaged_segments"]
    assert len(d["t_ms"]) > 1000, len(d["t_ms"])  # what was synced before the flash filled


def test_an_overfull_flash_reads_as_full_and_a_session_keeps_at_least_its_summary():
    flash()
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
    sid = st.open(0, 2, 100000, device_id="dev-7", start_time_s=None, summary_only=True)
    for i in range(300):
        st.sample(i * 100, 1000 + i, 2000)
    st.event(5000, ev.EV_LETDOWN, 0, 300)
    st.close({"t_ms": 29900, "volume_mg": [5000, 6000], "done": True})
    d = decode_file(st.path(sid))
    assert free == 0, free  # not the 16 TB an unsigned "-2 blocks" used to read as
    assert refused is True
    assert d["header"] is not None and len(d["t_ms"]) == 0, d
    s = d["summary"]
    assert s["volume_mg"] == [5000, 6000] and s["n_samples"] == 300 and s["letdowns"] == 1, s
