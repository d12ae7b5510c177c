# Scale: raw ADC counts -> milligrams, per channel, integers only.
#
#     s = Scale(mg_per_count=0.7225)   # from calibration (float, converted once)
#     s.tare(counts_at_empty)          # or s.tare_from(driver, samples=16)
#     w_mg = s.to_mg(counts)           # per sample: one subtract, one multiply, one shift
#
# The factor is held as mult / 2**shift with a 17-bit mult (precision 1 part in 65536), and
# the count difference d (|d| < 2**24 from a 24-bit ADC) is split into d >> 12 and d & 4095,
# so each product stays below 2**29: no bigints (the ESP32's small ints end at 2**30), no
# floats per sample. Truncation costs at most 2 mg. Limits: |counts - tare| < 2**24.

from micropython import const

_MULT_BITS = const(17)
_LO_BITS = const(12)  # folded into the bytecode (const): no global lookup per sample
_LO_MASK = const(4095)  # (1 << _LO_BITS) - 1


class Scale:
    def __init__(self, mg_per_count=1.0, tare_counts=0):
        self.tare_counts = int(tare_counts)
        self.set_factor(mg_per_count)

    def set_factor(self, mg_per_count):
        """Store mg/count as mult / 2**shift with mult in [2**16, 2**17)."""
        if not mg_per_count or mg_per_count != mg_per_count:  # 0 or NaN
            raise ValueError("calibration factor must be a non-zero number of mg per count")
        if abs(mg_per_count) > 1e6 or abs(mg_per_count) < 1e-6:
            raise ValueError("calibration factor %r mg/count is out of range" % mg_per_count)
        self.mg_per_count = mg_per_count
        shift = 0
        magnitude = abs(mg_per_count)
        while magnitude * (1 << shift) < (1 << (_MULT_BITS - 1)):
            shift += 1
        while magnitude * (1 << shift) >= (1 << _MULT_BITS) and shift > -40:
            shift -= 1
        self.shift = shift
        self.mult = int(round(mg_per_count * 2**shift))
        self._hi_shift = shift - _LO_BITS  # may be negative for big factors

    def tare(self, counts):
        self.tare_counts = int(counts)

    def tare_from(self, read_counts, samples=16):
        """Tare on the median of `samples` readings from `read_counts()` (not per sample)."""
        values = sorted(read_counts() for _ in range(samples))
        self.tare_counts = values[len(values) // 2]
        return self.tare_counts

    def to_mg(self, counts):
        d = counts - self.tare_counts
        negative = d < 0
        if negative:
            d = -d
        hi = self.mult * (d >> _LO_BITS)  # < 2**17 * 2**12
        lo = self.mult * (d & _LO_MASK)  # < 2**17 * 2**12
        shift = self.shift
        if shift >= 0:
            mg = (hi >> self._hi_shift if self._hi_shift >= 0 else hi << -self._hi_shift) + (
                lo >> shift
            )
        else:
            mg = (hi << -self._hi_shift) + (lo << -shift)
        return -mg if negative else mg

    def calibrate(self, counts_with_load, load_mg):
        """Set the factor from one reading with a known load (after tare)."""
        delta = counts_with_load - self.tare_counts
        if delta == 0:
            raise ValueError("no change in counts under the load: check the load cell wiring")
        self.set_factor(load_mg / delta)
        return self.mg_per_count
