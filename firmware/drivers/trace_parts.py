# The sim board's load cells and accelerometer, read from a drivers.trace.TraceSource with
# the driver API of the real chips (drivers/__init__.py), so board.py wires them alike.
#
#     src = TraceSource(open("trace.bin", "rb"))
#     scales = [TraceScale(src, 0), TraceScale(src, 1)]
#     while src.advance():          # next record; False at the end of the trace
#         counts = scales[0].read()
#
# Counts are milligrams (1 count = 1 mg). Limits: no timing of their own; the sampler paces
# the trace (sampler.py).


class TraceScale:
    """One bottle's load cell, read from the trace (driver API of drivers.hx711.HX711)."""

    def __init__(self, source, channel):
        self._source = source
        self._index = 1 + channel

    def ready(self):
        return True

    def read(self):
        return self._source.field(self._index)

    def power_down(self):
        pass

    def power_up(self):
        pass


class TraceAccel:
    """The accelerometer columns of the trace, in milli-g (driver API of drivers.lis3dh)."""

    def __init__(self, source):
        self._source = source

    def read_mgee_into(self, out):
        out[0] = self._source.field(3)
        out[1] = self._source.field(4)
        out[2] = self._source.field(5)
