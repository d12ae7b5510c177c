# The per-sample half of a bottle's flow stage: samples -> one filtered value per block.
#
#     bf = BlockFilter(cfg)                 # flow.FlowStage owns one per bottle
#     bf.reset(t_ms, w_mg)
#     k = bf.advance(t_ms)                  # every sample, first: closes a bin / block when due;
#                                           # the block number closed (>= 0), -1 (none)
#                                           # or -2 (before the reset time: skip the sample)
#     if k >= 0 and bf.close_block(): ...   # the block's outputs below (FlowStage reads them)
#     bf.add(w_mg, motion)                  # then the sample itself
#
# Method (docs/detection.md says why): a sample far from both the one before and the filtered
# level (> 15 g) is a glitch and dropped; a tilt the accelerometer reports is undone
# ((bottle + milk) x cos - bottle) up to `tilt_min_cos_q10`, beyond it the bin is disturbed.
# Samples go into fixed time bins (`flow_bin_ms`, trimmed mean: min and max dropped when a bin
# has >= 3 samples), bins through a median of 3 and a 2-s triangle (two 5-bin boxcars), which
# is sampled once a block (`flow_block_bins` bins). The cost per sample is a few integer
# operations whatever the sample rate.
#
# Outputs of close_block(), valid until the next one (all mg in the offset-removed frame):
#   v_mg             the filtered block value
#   spread_mg        range of the filtered bins within the block
#   disturbed        a bin within the triangle's reach was tilted past tilt_min_cos_q10
#   moved            ... or came while the accelerometer said `moving`
#   rough_bins       bins with a roughness value in this block (0: none)
#   rough_mg         their median roughness: a bin's raw sample range + |second difference| of
#                    the filtered bins (walking, knocks, strokes shake the reading; milk cannot)
#   tilt_lo_q10      lowest tilt cosine seen in the block (x1024, 1024 = upright)
#   tilt_change_q10  highest minus lowest tilt cosine in the block
# The owner sets `ref_mg` (running reference that keeps sums small) and `offset_mg` (absorbed
# non-milk level shifts): both are in the raw frame, mg.
#
# Integers: weights are clamped to +-1,000,000 mg around `ref_mg`, bins to 250 samples
# (250 x 1e6 < 2**29). Nothing here allocates.
from array import array

from micropython import const

_NO_BLOCK = const(-1)  # advance(): no block closed at this sample
_SKIP = const(-2)  # advance(): a sample before the reset time (ignore it)
_CLAMP_MG = const(1000000)  # per-sample weight offset from the running reference
_MAX_BIN_SAMPLES = const(250)  # 250 * 1e6 < 2**29
_SPIKE_MG = const(15000)  # a sample this far from both its neighbour before and the
# filtered level is a glitch (HX711 spikes: 3-60 g; walking and strokes stay within ~10 g)
_TRIANGLE_BINS = const(10)  # the triangle spans 10 bins: a disturbed bin marks 10 bins


def select_median(buf, n):
    # In-place insertion sort of buf[0:n] (n <= 66), returns the median. No allocation.
    i = 1
    while i < n:
        x = buf[i]
        j = i - 1
        while j >= 0 and buf[j] > x:
            buf[j + 1] = buf[j]
            j -= 1
        buf[j + 1] = x
        i += 1
    h = n >> 1
    if n & 1:
        return buf[h]
    return (buf[h - 1] + buf[h]) >> 1


class BlockFilter:
    def __init__(self, cfg):
        g = cfg.get
        self._bin_ms = g("flow_bin_ms", 200)
        self._block_bins = g("flow_block_bins", 5)
        self.block_ms = self._bin_ms * self._block_bins
        self._bottle_mg = g("bottle_mg", 125000)
        self._tilt_min = g("tilt_min_cos_q10", 870)
        self._box1 = array("i", [0] * 5)  # median-filtered bins, mg
        self._box2 = array("i", [0] * 5)  # 5-bin sums of them (< 5 * 2**22)
        self._bin_rough_mg = array("i", [0] * self._block_bins)  # per-bin roughness, mg
        self.reset(0, 0)

    def reset(self, t_ms, w_mg):
        self._t0_ms = t_ms
        self.ref_mg = w_mg
        self.offset_mg = 0
        self._bin_no = -1
        self._block_no = -1
        self._bins_in_block = 0  # filtered bins that reached this block
        # the open bin: samples, sum, min, max (relative to ref_mg)
        self._bin_n = 0
        self._bin_sum = 0
        self._bin_min = 0
        self._bin_max = 0
        self._bin_disturbed = 0
        self._bin_moved = 0
        self._disturbed_bins = 0  # bins still inside the triangle's reach of a disturbed one
        self._moved_bins = 0
        self._blk_disturbed = 0
        self._blk_moved = 0
        self._bin_back1_mg = 0  # the two bins before (median of three)
        self._bin_back2_mg = 0
        self._prev_mg = 0  # the sample before (offset removed), mg
        self._bins_closed = 0
        self._box_i = 0  # position in the boxcars
        self._box_fill = 0  # filtered bins in the triangle so far (10 = full)
        self._box1_sum = 0
        self._box2_sum = 0
        for i in range(5):
            self._box1[i] = 0
            self._box2[i] = 0
        self._lo = 1 << 29
        self._hi = -(1 << 29)
        self._filt1_mg = 0  # the two previous median-filtered bins (roughness)
        self._filt2_mg = 0
        self._rough_n = 0  # bins in this block with a roughness in _bin_rough_mg
        self._cos_lo = 1024
        self._cos_hi = 0
        self.v_mg = 0
        self.spread_mg = 0
        self.disturbed = 0
        self.moved = 0
        self.rough_bins = 0
        self.rough_mg = 0
        self.tilt_lo_q10 = 1024
        self.tilt_change_q10 = 0

    # -- per sample -----------------------------------------------------------------------
    def advance(self, t_ms):
        rel = t_ms - self._t0_ms
        if rel < 0:
            return _SKIP
        b = rel // self._bin_ms
        closed = _NO_BLOCK
        if b != self._bin_no:
            self._close_bin()
            blk = b // self._block_bins
            if blk != self._block_no:
                closed = self._block_no  # -1 (NO_BLOCK) before the first
                self._block_no = blk
            self._bin_no = b
        return closed

    def add(self, w_mg, motion):
        if motion is not None:
            if motion.moving:
                self._bin_moved = 1
            c = motion.tilt_cos_q10
            if c < 1024:
                if c < self._tilt_min:
                    self._bin_disturbed = 1
                else:
                    # the cell reads (bottle + milk) * cos - bottle: undo it.
                    # (w + bottle) <= 2.5e6 and (1024 - c) <= 154: product < 2**29
                    m = w_mg + self._bottle_mg
                    if m < 0:
                        m = 0
                    elif m > 2500000:
                        m = 2500000
                    w_mg += (m * (1024 - c)) // c
            if c < self._cos_lo:
                self._cos_lo = c
            if c > self._cos_hi:
                self._cos_hi = c
        # a single-sample spike (HX711 glitch, 3-60 g): far from both the sample before and
        # the filtered level. Dropped before the bins when large: two of them within one
        # 200-ms bin or two adjacent bins would pass the median of three
        xa = w_mg - self.offset_mg
        d = xa - self._prev_mg
        self._prev_mg = xa
        if (d > _SPIKE_MG or d < -_SPIKE_MG) and self._bins_closed >= 3:
            d = xa - self._filt1_mg
            if d > _SPIKE_MG or d < -_SPIKE_MG:
                return
        x = w_mg - self.ref_mg
        if x > _CLAMP_MG:
            x = _CLAMP_MG
        elif x < -_CLAMP_MG:
            x = -_CLAMP_MG
        n = self._bin_n
        if n == 0:
            self._bin_min = x
            self._bin_max = x
        elif n >= _MAX_BIN_SAMPLES:
            return
        elif x < self._bin_min:
            self._bin_min = x
        elif x > self._bin_max:
            self._bin_max = x
        self._bin_sum += x
        self._bin_n = n + 1

    # -- per bin (5 a second) -------------------------------------------------------------
    def _close_bin(self):
        n = self._bin_n
        if n == 0:
            return
        if n >= 3:
            x = (self._bin_sum - self._bin_min - self._bin_max) // (n - 2)
        else:
            x = self._bin_sum // n
        x += self.ref_mg - self.offset_mg  # absolute, offset removed
        # roughness, part 1: the bin's range of raw samples (walking, knocks, strokes shake
        # the reading within 200 ms; milk cannot)
        if self._rough_n < self._block_bins:
            self._bin_rough_mg[self._rough_n] = self._bin_max - self._bin_min if n >= 2 else 0
            self._rough_n += 1
        self._bin_n = 0
        self._bin_sum = 0
        if self._bin_disturbed:
            self._disturbed_bins = _TRIANGLE_BINS
        self._bin_disturbed = 0
        if self._bin_moved:
            self._moved_bins = _TRIANGLE_BINS
        self._bin_moved = 0
        # median of three bins: a one-bin spike never reaches the filter (one bin of delay)
        a = self._bin_back2_mg
        b = self._bin_back1_mg
        self._bin_back2_mg = b
        self._bin_back1_mg = x
        self._bins_closed += 1
        if self._bins_closed < 3:
            return
        if a > b:
            a, b = b, a
        m = x if x < b else b
        if m < a:
            m = a
        # two 5-bin boxcars: a 2-s triangle that averages the 0.8-2 Hz pump ripple and
        # walking away before the blocks sample it once a second (no aliasing)
        i = self._box_i
        self._box1_sum += m - self._box1[i]
        self._box1[i] = m
        self._box2_sum += self._box1_sum - self._box2[i]
        self._box2[i] = self._box1_sum
        self._box_i = (i + 1) % 5
        if self._box_fill < _TRIANGLE_BINS:
            self._box_fill += 1
        # roughness, part 2: |second difference| of consecutive filtered bins (what a 1-sample
        # bin cannot show in its range). Milk, even a changing flow, leaves it at the noise
        if self._bins_closed >= 5 and self._rough_n > 0:
            d2 = m - 2 * self._filt1_mg + self._filt2_mg
            if d2 < 0:
                d2 = -d2
            if d2 > 1000000:
                d2 = 1000000
            self._bin_rough_mg[self._rough_n - 1] += d2
        self._filt2_mg = self._filt1_mg
        self._filt1_mg = m
        if m < self._lo:
            self._lo = m
        if m > self._hi:
            self._hi = m
        if self._disturbed_bins > 0:
            self._disturbed_bins -= 1
            self._blk_disturbed = 1
        if self._moved_bins > 0:
            self._moved_bins -= 1
            self._blk_moved = 1
        self._bins_in_block += 1

    # -- per block --------------------------------------------------------------------------
    def close_block(self):
        """Sets the outputs for the block advance() closed; False when it has no value yet
        (no filtered bin in it, or the triangle not yet full)."""
        if self._bins_in_block == 0 or self._box_fill < _TRIANGLE_BINS:
            self._bins_in_block = 0
            self._lo = 1 << 29
            self._hi = -(1 << 29)
            return False
        self.v_mg = self._box2_sum // 25
        self.spread_mg = self._hi - self._lo
        self._bins_in_block = 0
        self._lo = 1 << 29
        self._hi = -(1 << 29)
        self.disturbed = self._blk_disturbed
        self._blk_disturbed = 0
        self.moved = self._blk_moved
        self._blk_moved = 0
        n = self._rough_n
        self.rough_bins = n
        if n:
            self.rough_mg = select_median(self._bin_rough_mg, n)  # one spike shakes one bin
            self._rough_n = 0
        else:
            self.rough_mg = 0
        self.tilt_lo_q10 = self._cos_lo
        self.tilt_change_q10 = self._cos_hi - self._cos_lo
        self._cos_lo = 1024
        self._cos_hi = 0
        return True
