# Session files on the device's filesystem (littlefs): one file per session, written through
# the log codec, synced at least every `flush_ms` of session time, pruned only once the host
# has confirmed it holds a copy.
#
#     store = LogStore("/sessions")
#     if not store.room_for_session():      # prunes confirmed sessions first
#         ...give CUE_STORAGE_FULL...
#     sid = store.open(0, n_channels=2, period_us=100000, device_id=..., firmware=..., board=...)
#     per sample:  store.sample(t_ms, w1_mg, w2_mg)     (allocates nothing; syncs every 1.5 s)
#                  store.accel(t_ms, ax, ay, az) / store.event(t_ms, code, ch, arg)
#     store.close({"t_ms": t_ms, "volume_mg": [v1, v2], "done": True})
#     no room even after pruning: open() raises StorageFull; open(..., summary_only=True) (same
#     arguments) then keeps the header and the summary only (a few hundred bytes)
#     store.sessions()  -> [(session_id, size_bytes, confirmed), ...]
#     store.confirm(sid); store.prune(need_bytes)
#
# Files: <root>/<id, 8 digits>.pml (session log), <id>.ack (the host confirmed it holds the
# session; only these are ever pruned), <root>/next_id (so ids never repeat after a prune).
# The open segment is rewritten in place at each sync; littlefs keeps the last synced state on
# a power cut, so at most the last `flush_ms` of session time is lost and the file stays
# readable (no summary frame: the decoder reports it incomplete).
#
# Limits: one session open at a time; not thread safe. A write error (flash full, flash
# fault) stops logging for the rest of the session: `fault` becomes FAULT_STORAGE and the
# calls return quietly, so the sampler never sees an exception. Free space is checked with
# statvfs (which walks littlefs: ms on the device) only before a session, never per sample.
import os

from micropython import const
from shared import logcodec

# The event codes this module uses: private copies of shared/events.py's, folded into the
# bytecode, so the device does not load that module for them (its ~60 names stay out of
# the heap); tests/host/test_event_codes.py checks every copy.
_EV_CUE = const(3)
_EV_FAULT = const(6)
_EV_LETDOWN = const(1)
_FAULT_NONE = const(0)
_FAULT_STORAGE = const(4)
_FAULT_STORAGE_LOW = const(5)

_ACCEL_PERIOD_MS = const(2000)  # the log format's (logdecode.ACCEL_PERIOD_MS)
_ENOSPC = const(28)
_EEXIST = const(17)
_ENOENT = const(2)

_FLUSH_MS = const(1500)  # sync period in session time (the issue allows at most 2 s)
Q_MG = const(50)  # stored weight step: 50 mg, well under the HX711's 150-500 mg noise
# Room one session needs: 30 min of two bottles at 10 Hz at ~1 byte/sample, the
# accelerometer, events, and littlefs's copy-on-write slack.
SESSION_BYTES = const(64 * 1024)
_RESERVE_BLOCKS = const(4)  # littlefs needs free blocks to commit metadata
_LOW_SESSIONS = const(3)  # fewer sessions' room than this left: space is short

SUFFIX = ".pml"
ACK_SUFFIX = ".ack"


class StorageFull(OSError):
    pass


def free_bytes(root):
    """Bytes free for new data on the filesystem holding `root` (littlefs's reserve left
    out). The host asks this at each pull (`pumpmon pull` shows it)."""
    st = os.statvfs(root)
    free_blocks = st[3]
    if free_blocks > st[2]:
        # littlefs filled to its last block counts its free blocks below zero, and statvfs
        # hands that back as a huge unsigned number: the flash is full
        free_blocks = 0
    free = (free_blocks - _RESERVE_BLOCKS) * st[0]
    return free if free > 0 else 0


class LogStore:
    def __init__(
        self, root="/sessions", flush_ms=_FLUSH_MS, session_bytes=SESSION_BYTES, max_samples=1024
    ):
        if flush_ms > 2000 or flush_ms < 1:
            raise ValueError("flush_ms must be 1..2000 (a power cut may lose at most 2 s)")
        self.root = root.rstrip("/") or "/"
        self.flush_ms = flush_ms
        self.session_bytes = session_bytes
        _mkdirs(self.root)
        self.enc = logcodec.SegmentEncoder(1, 100000, Q_MG, max_samples=max_samples)
        self.f = None
        self.session_id = -1
        self.fault = _FAULT_NONE
        self.space_short = False
        self.summary_only = False  # open(summary_only=True): header and summary, nothing else
        # a power cut while a session was being opened leaves a temporary file: drop it
        for n in os.listdir(self.root):
            if n.endswith(".new"):
                os.remove(self.root + "/" + n)

    # -- files ------------------------------------------------------------------------

    def path(self, session_id):
        return "%s/%08d%s" % (self.root, session_id, SUFFIX)

    def _ack_path(self, session_id):
        return "%s/%08d%s" % (self.root, session_id, ACK_SUFFIX)

    def _ids(self, suffix):
        # ids of the files with this suffix, without building a list (ilistdir iterates)
        for entry in os.ilistdir(self.root):
            n = entry[0]
            if n.endswith(suffix) and n[: -len(suffix)].isdigit():
                yield int(n[: -len(suffix)])

    def _exists(self, path):
        try:
            os.stat(path)
            return True
        except OSError:
            return False

    def sessions(self):
        """[(session_id, size_bytes, confirmed)] for every session file, oldest first."""
        out = []
        for sid in self._ids(SUFFIX):
            out.append((sid, os.stat(self.path(sid))[6], self._exists(self._ack_path(sid))))
        out.sort()
        return out

    def _next_id(self):
        nxt = 1
        try:
            with open(self.root + "/next_id") as f:
                nxt = int(f.read().strip() or "1")
        except (OSError, ValueError):
            pass
        for sid in self._ids(SUFFIX):
            if sid >= nxt:
                nxt = sid + 1
        return nxt

    def confirm(self, session_id):
        """The host holds a verified copy of `session_id`: it may be pruned from now on."""
        try:
            os.stat(self.path(session_id))
        except OSError:
            raise ValueError("no session %d on the device: nothing to confirm" % session_id)
        if session_id == self.session_id and self.f is not None:
            raise ValueError(
                "session %d is still being recorded: confirm it after it closes" % session_id
            )
        with open(self._ack_path(session_id), "w") as f:
            f.write("1")

    # -- space ------------------------------------------------------------------------

    def free_bytes(self):
        """Bytes free for new data on the filesystem holding the sessions (littlefs's
        reserve left out)."""
        return free_bytes(self.root)

    def prune(self, need_bytes):
        """Delete confirmed sessions, oldest first, until `need_bytes` are free. Sessions
        the host has not confirmed are never deleted. Returns the pruned ids."""
        pruned = []
        while self.free_bytes() < need_bytes:
            oldest = -1
            for sid in self._ids(ACK_SUFFIX):
                if not self._exists(self.path(sid)):
                    os.remove(self._ack_path(sid))  # marker left by a cut between removes
                elif sid != self.session_id and (oldest < 0 or sid < oldest):
                    oldest = sid
            if oldest < 0:
                break
            os.remove(self.path(oldest))
            os.remove(self._ack_path(oldest))
            pruned.append(oldest)
        return pruned

    def room_for_session(self):
        """True when a whole session fits (after pruning confirmed sessions if needed).
        Sets `space_short` when fewer than three sessions' room (_LOW_SESSIONS) is left."""
        need = self.session_bytes
        if self.free_bytes() < need:
            self.prune(need)
        free = self.free_bytes()
        self.space_short = free < need * _LOW_SESSIONS
        return free >= need

    # -- recording --------------------------------------------------------------------

    def open(
        self,
        t_ms,
        n_channels,
        period_us,
        has_accel=False,
        device_id="",
        firmware="",
        board="",
        config_digest=0,
        start_time_s=None,
        q_mg=Q_MG,
        accel_period_ms=_ACCEL_PERIOD_MS,
        summary_only=False,
    ):
        """Start a session file; returns its id. period_us: the nominal sample period (us,
        e.g. 100000 at 10 Hz, 12500 at 80 Hz). Raises StorageFull when, even after pruning
        confirmed sessions, there is no room for a session (give CUE_STORAGE_FULL).
        summary_only: a file that keeps only its header and, at close, its summary (a few
        hundred bytes), for when a full session found no room: samples and events are
        counted for the summary, not stored; raises OSError when not even that fits."""
        if self.f is not None:
            raise ValueError("session %d is still open: close it first" % self.session_id)
        if not summary_only and not self.room_for_session():
            raise StorageFull(
                _ENOSPC,
                "flash full: %d bytes free, a session needs %d; pull "
                "sessions to a computer so they can be pruned"
                % (self.free_bytes(), self.session_bytes),
            )
        self.summary_only = False
        sid = self._next_id()
        with open(self.root + "/next_id", "w") as f:
            f.write("%d\n" % (sid + 1))
        head = logcodec.header_frame(
            sid,
            n_channels,
            period_us,
            q_mg,
            device_id,
            firmware,
            board,
            config_digest,
            start_time_s,
            has_accel,
            accel_period_ms,
        )
        self.enc.configure(n_channels, period_us, q_mg, accel_period_ms)
        self.enc.reset()
        # the header goes in under a temporary name and is renamed (atomic in littlefs),
        # so a power cut never leaves a session file without its header
        tmp = self.path(sid) + ".new"
        with open(tmp, "wb") as f:
            f.write(head)
        os.rename(tmp, self.path(sid))
        f = open(self.path(sid), "r+b")
        f.seek(len(head))
        self.f = f
        self.session_id = sid
        self.seg_off = len(head)
        self.fault = _FAULT_NONE
        self.flushed_t_ms = t_ms
        self.last_t_ms = t_ms
        self.n_samples = 0
        self.n_events = 0
        self.letdowns = 0
        self.cues = 0
        self.faults = 0
        if self.space_short:
            self.event(t_ms, _EV_FAULT, 255, _FAULT_STORAGE_LOW)
        self.summary_only = summary_only
        return sid

    def _fail(self):
        self.fault = _FAULT_STORAGE
        f = self.f
        self.f = None
        if f is not None:
            try:
                f.close()
            except OSError:
                pass

    def _seal(self):
        f = self.f
        if f is None:
            return
        try:
            f.seek(self.seg_off)
            self.seg_off += self.enc.write_frame(f)
            f.flush()
        except OSError:
            self._fail()
        self.enc.reset()

    def flush(self, t_ms):
        """Write the open segment in place and sync the file (called every flush_ms)."""
        self.flushed_t_ms = t_ms
        f = self.f
        if f is None or self.enc.is_empty():
            return
        try:
            f.seek(self.seg_off)
            self.enc.write_frame(f)
            f.flush()
        except OSError:
            self._fail()

    def sample(self, t_ms, w1_mg, w2_mg=0):
        """One weight sample per bottle (mg) at session time t_ms. No allocation."""
        if self.f is None:
            return
        if self.summary_only:
            self.n_samples += 1
            self.last_t_ms = t_ms
            return
        enc = self.enc
        if enc.needs_seal():
            self._seal()
            if self.f is None:
                return
        enc.sample(t_ms, w1_mg, w2_mg)
        self.n_samples += 1
        self.last_t_ms = t_ms
        if t_ms - self.flushed_t_ms >= self.flush_ms:
            self.flush(t_ms)

    def accel(self, t_ms, ax_mgee, ay_mgee, az_mgee):
        """One accelerometer reading (milli-g); stored as one summary per window."""
        if self.f is None or self.summary_only:
            return
        if self.enc.needs_seal():
            self._seal()
            if self.f is None:
                return
        self.enc.accel(t_ms, ax_mgee, ay_mgee, az_mgee)

    def event(self, t_ms, code, ch, arg):
        """An event, cue (EV_CUE), button press (EV_BUTTON) or fault (EV_FAULT)."""
        if self.f is None:
            return
        if self.summary_only:
            pass  # counted below for the summary, not stored
        elif self.enc.needs_seal():
            self._seal()
            if self.f is None:
                return
        if not self.summary_only:
            self.enc.event(t_ms, code, ch, arg)
        self.n_events += 1
        if code == _EV_LETDOWN:
            self.letdowns += 1
        elif code == _EV_CUE:
            self.cues += 1
        elif code == _EV_FAULT:
            self.faults += 1
        if t_ms - self.flushed_t_ms >= self.flush_ms:
            self.flush(t_ms)

    def close(self, summary):
        """End the session: the last segment and the SUMMARY frame. summary: dict with
        t_ms (session time at the end), volume_mg (list, one per bottle), done (bool).
        Returns the session id (-1 when no session was open)."""
        sid = self.session_id
        f = self.f
        if f is None:
            self.session_id = -1
            return sid
        enc = self.enc
        if self.summary_only:
            enc.reset()  # nothing was encoded; only the summary goes after the header
        elif enc.needs_seal():
            self._seal()
            if self.f is None:
                self.session_id = -1
                return sid
        try:
            if not self.summary_only:
                enc.flush_accel()
            f.seek(self.seg_off)
            if not enc.is_empty():
                self.seg_off += enc.write_frame(f)
            vols = summary.get("volume_mg") or [0] * enc.n_channels
            f.write(
                logcodec.summary_frame(
                    summary.get("t_ms", self.last_t_ms),
                    self.n_samples,
                    self.n_events,
                    self.letdowns,
                    self.cues,
                    self.faults,
                    summary.get("done", False),
                    vols,
                )
            )
            f.close()
        except OSError:
            self._fail()
        self.f = None
        self.session_id = -1
        return sid


def _mkdirs(path):
    parts = [p for p in path.split("/") if p]
    cur = ""
    for p in parts:
        cur += "/" + p
        try:
            os.mkdir(cur)
        except OSError as e:
            if e.args and e.args[0] != _EEXIST:
                raise
