# Sim "ADC": replays a recorded or generated trace as if it came from the load cells.
#
#     src = TraceSource(open("trace.bin", "rb"))
#     while src.advance():          # next record; False at the end of the trace
#         t_ms = src.t_ms
#         w1_mg = src.field(1)      # fields: t_ms, w1_mg, w2_mg, ax_mgee, ay_mgee, az_mgee
#
# The sim board reads it through driver-shaped objects (drivers/trace_parts.py: TraceScale,
# TraceAccel), kept apart so that replay, which reads the fields directly, does not carry
# them in its heap.
#
# The binary trace is what the host makes of a trace CSV (host_tools/pumpmon/trace.py):
# a 8-byte header b"PMTR", version (u8), flags (u8: bit0 second bottle, bit1 accelerometer),
# 2 reserved bytes; then records of six little-endian int32: t_ms, w1_mg, w2_mg, ax_mgee,
# ay_mgee, az_mgee. Counts are milligrams (1 count = 1 mg), so the sim board's scale factor
# is 1.0. Records are read in blocks into one preallocated array: no allocation per sample.
import array

from micropython import const

_VERSION = const(1)
_FLAG_CH2 = const(1)
_FLAG_ACCEL = const(2)
_FIELDS = const(6)
_BLOCK_RECORDS = const(32)  # 768 bytes: small next to a 64 KB heap, still few reads


class TraceError(ValueError):
    pass


class TraceSource:
    def __init__(self, stream):
        self._stream = stream
        head = stream.read(8)
        if not head or len(head) < 8 or head[:4] != b"PMTR":
            raise TraceError("not a pumpmon binary trace (expected the PMTR header)")
        if head[4] != _VERSION:
            raise TraceError(
                "binary trace version %d, this firmware reads %d" % (head[4], _VERSION)
            )
        self.flags = head[5]
        self.channels = 2 if self.flags & _FLAG_CH2 else 1
        self.has_accel = bool(self.flags & _FLAG_ACCEL)
        self._buf = array.array("i", bytes(4 * _FIELDS * _BLOCK_RECORDS))
        self._n = 0  # records in the buffer
        self._i = 0  # next record index
        self._base = 0  # index of the current record's first field
        self.t_ms = 0
        self.count = 0  # records consumed
        self.ended = False

    def _fill(self):
        got = self._stream.readinto(self._buf)
        if not got:
            return False
        self._n = got // (4 * _FIELDS)
        self._i = 0
        return self._n > 0

    def advance(self):
        """Move to the next record; False when the trace has ended."""
        if self._i >= self._n and not self._fill():
            self.ended = True
            return False
        self._base = self._i * _FIELDS
        self._i += 1
        self.count += 1
        self.t_ms = self._buf[self._base]
        return True

    def field(self, index):
        return self._buf[self._base + index]

    def peek_t_ms(self):
        """Time of the next record without consuming it, or -1 at the end."""
        if self._i >= self._n and not self._fill():
            return -1
        return self._buf[self._i * _FIELDS]
