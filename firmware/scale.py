# Scale: raw ADC counts -> milligrams, per channel, integers only.
#
#     s = Scale(mg_per_count=0.7225)   # from calibration (float, converted once)
#     s.tare(counts_at_empty)          # or s.tare_from(driver, samples=16)
#     w_mg = s.to_mg(counts)           # per sample: one subtract, one multiply, one shift
#
# The factor is held as a multiply-and-shift pair chosen so that (counts - tare) * mult
# stays below 2**29 for the full range of a 24-bit ADC: no bigints, no floats per sample.
# Limits: the shift loses at most 1 part in `mult` of resolution (>= 1/256 by construction).

_LIMIT = 1 << 29
_ADC_SPAN = 1 << 24  # largest |counts - tare| from a 24-bit ADC


class Scale:
    def __init__(self, mg_per_count=1.0, tare_counts=0):
        self.tare_counts = int(tare_counts)
        self.set_factor(mg_per_count)

    def set_factor(self, mg_per_count):
        """Store mg/count as mult / 2**shift with the largest mult that cannot overflow."""
        if not mg_per_count or mg_per_count != mg_per_count:  # 0 or NaN
            raise ValueError("calibration factor must be a non-zero number of mg per count")
        self.mg_per_count = mg_per_count
        shift = 0
        # grow the shift while the worst-case product stays below the small-int limit
        while shift < 24 and abs(mg_per_count) * (1 << (shift + 1)) * _ADC_SPAN < _LIMIT:
            shift += 1
        self.shift = shift
        self.mult = int(round(mg_per_count * (1 << shift)))
        if self.mult == 0:
            raise ValueError("calibration factor %r mg/count is too small" % mg_per_count)

    def tare(self, counts):
        self.tare_counts = int(counts)

    def tare_from(self, read_counts, samples=16):
        """Tare on the median of `samples` readings from `read_counts()` (not per sample)."""
        values = sorted(read_counts() for _ in range(samples))
        self.tare_counts = values[len(values) // 2]
        return self.tare_counts

    def to_mg(self, counts):
        return ((counts - self.tare_counts) * self.mult) >> self.shift

    def calibrate(self, counts_with_load, load_mg):
        """Set the factor from one reading with a known load (after tare)."""
        delta = counts_with_load - self.tare_counts
        if delta == 0:
            raise ValueError("no change in counts under the load: check the load cell wiring")
        self.set_factor(load_mg / delta)
        return self.mg_per_count
