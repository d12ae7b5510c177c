# The per-sample half of a bottle's flow stage: samples -> one filtered value per block.
#
#     bf = BlockFilter(cfg)                 # flow.FlowStage owns one per bottle
#     bf.reset(t_ms, w_mg)
#     k = bf.sample(t_ms, w_mg, motion)     # every sample: closes a bin / block when due,
#                                           # then takes the sample: -1 (taken), -2 (before
#                                           # the reset time: skipped) or the block number
#                                           # closed (>= 0: the sample is NOT taken yet)
#     if k >= 0:
#         if bf.close_block(): ...          # the block's outputs below (FlowStage reads them)
#         bf.sample(t_ms, w_mg, motion)     # the same sample again: now it is taken (-1)
#
# Method (docs/detection.md says why): a sample far from both the one before and the filtered
# level (> 15 g) is a glitch and dropped; a tilt the accelerometer reports is undone
# ((bottle + milk) x cos - bottle) up to `tilt_min_cos_q10`, beyond it the bin is disturbed.
# Samples go into fixed time bins (`flow_bin_ms`, trimmed mean: min and max dropped when a bin
# has >= 3 samples), bins through a median of 3 and a 2-s triangle (two 5-bin boxcars), which
# is sampled once a block (`flow_block_bins` bins). The triangle's median has a dead band: the
# middle bin is clipped only beyond its neighbours by more than 2 x the bins' running mean
# |second difference| - 1.5 g (0 in quiet bins: the plain median), so a pump's steady ripple
# passes unbiased (the plain median clips its unequal peaks and troughs by an amount that
# wanders as the bins drift through the pump's cycle); the owner closes the band (slot
# _MED_HARD, which flow.py writes once a block) unless the blocks are quiet and nothing is held
# or let go. At 20 Hz and up (bins of 3 samples or more, whose trimmed mean has dropped a
# one-sample spike already) the triangle takes the bins as they are, in every block: the
# median has nothing left to clip but the ripple. So does the block's lowest bin there: the
# plain median of 200-ms bins under a pump's ripple near 1 Hz reads its trough at -0.3 to -0.8
# of its amplitude as the bins drift through the cycle, a beat the floor path read as milk;
# a bin alone reads a sine's at -0.76 to -0.94 (round 61). The roughness, and the lowest bin
# below 20 Hz, keep the plain median. The cost per sample is a few integer operations
# whatever the sample rate.
# Beside it, a linear chain for walking (lin_mg): the glitch rule, the trimmed mean and the
# median of 3 drop a walk's swing extremes, so v_mg runs grams off the weight while walking
# at 5 Hz. Every sample (tilt-corrected, before the glitch rule, clipped to the chain's
# output +- 1.5 g + 1.5 x the swing it sees: a single spike passes a linear filter whole)
# goes into a plain bin mean; the means go through boxcars of 2, 3, 5 and 5 bins (zeros at
# 2.5, 1.67, 1 and 2 Hz: whole steps at 1.5-2.5 Hz are cancelled to < 0.5 %, and at 5 Hz a
# step's second harmonic aliases near 1-1.67 Hz), sampled at the block's close.
#
# Outputs of close_block(), valid until the next one (all mg in the offset-removed frame):
#   v_mg             the filtered block value
#   lin_mg           the linear chain's value (below): unbiased under a walk's swing
#   lo_mg            the lowest median-filtered bin in the block (before the triangle: the
#                    weight between massage strokes, which only ever add to it); at 20 Hz
#                    and up the lowest bin as the triangle takes it (unclipped)
#   spread_mg        range of the filtered bins within the block
#   disturbed        a bin within the triangle's reach was tilted past tilt_min_cos_q10
#   moved            ... or came while the accelerometer said `moving`
#   blind            1: every sample of the block was dropped as a glitch (a swing beyond the
#                    glitch rule at one sample a bin, 5 Hz): the block has no value of its
#                    own (v_mg, lo_mg: the triangle's as it stood), and the owner takes it
#                    for a rough one; close_block() is False only for a block with no sample
#   rough_bins       bins with a roughness value in this block (0: none)
#   rough_mg         their median roughness: a bin's raw sample range (the glitch rule's
#                    drops too) + |second difference| of the filtered bins (walking, knocks,
#                    strokes shake the reading; milk cannot)
#   tilt_lo_q10      lowest tilt cosine seen in the block (x1024, 1024 = upright)
#   tilt_change_q10  highest minus lowest tilt cosine in the block
# The owner sets `ref_mg` (running reference that keeps sums small) and `offset_mg` (absorbed
# non-milk level shifts): both are in the raw frame, mg.
#
# Integers: weights are clamped to +-1,000,000 mg around `ref_mg`, bins to 250 samples
# (250 x 1e6 < 2**29), so the viper code's 32-bit ints on the chip (64-bit in the unix port)
# give the same results. Nothing here allocates.
#
# Native code: sample and the bin it closes are viper functions over one array('i') of state
# (slots below), as is select_median (flow.py's Theil-Sen uses it too); the block
# outputs and the rest stay bytecode. On a board they are compiled for xtensawin (`make mpy`)
# and their machine code lives in IRAM; in the unix port, -march=host.
import sys
from array import array

import micropython
from micropython import const

_NO_BLOCK = const(-1)  # sample(): taken, no block closed
_SKIP = const(-2)  # sample(): before the reset time (ignored)
_CLAMP_MG = const(1000000)  # per-sample weight offset from the running reference
_MAX_BIN_SAMPLES = const(250)  # 250 * 1e6 < 2**29
_SPIKE_MG = const(15000)  # a sample this far from both its neighbour before and the
# filtered level is a glitch (HX711 spikes: 3-60 g; walking and strokes stay within ~10 g)
_TRIANGLE_BINS = const(10)  # the triangle spans 10 bins: a disturbed bin marks 10 bins
_FAR = const(1 << 29)  # start of a running minimum / maximum
SLOPE_CLAMP_DIFF_MG = const(400000)  # theil_sen_slope: pairwise differences before *1000
NO_SLOPE = const(-(1 << 29))  # theil_sen_slope: no pair in the window

# The viper functions read the state with ptr32, and a ptr32 read is sign-extended on the
# ESP32 (32-bit viper ints) but zero-extended on the 64-bit unix port: a field that may be
# negative is read as `(p[i] << sx) >> sx`, sx being this shift (0 on the chip, 32 on a 64-bit
# port). Fields that are never negative (counts, flags, cosines, configuration) are read as
# they are. Writes need nothing: a store keeps the low 32 bits.
WORD_SX = 32 if sys.maxsize > 0x7FFFFFFF else 0

# The state: one array('i'), one slot per field (the names as the fields were before)
_SX = const(0)  # WORD_SX, where the viper code finds it
_BIN_MS = const(1)  # configuration
_BLOCK_BINS = const(2)
_BOTTLE_MG = const(3)
_TILT_MIN = const(4)
_T0_MS = const(5)  # reset time
_REF_MG = const(6)  # ref_mg (property)
_OFFSET_MG = const(7)  # offset_mg (property)
_BIN_NO = const(8)
_BLOCK_NO = const(9)
_BINS_IN_BLOCK = const(10)  # filtered bins that reached this block
_BIN_N = const(11)  # the open bin: samples, sum, min, max (relative to ref_mg)
_BIN_SUM = const(12)
_BIN_MIN = const(13)
_BIN_MAX = const(14)
_BIN_DISTURBED = const(15)
_BIN_MOVED = const(16)
_DISTURBED_BINS = const(17)  # bins still inside the triangle's reach of a disturbed one
_MOVED_BINS = const(18)
_BLK_DISTURBED = const(19)
_BLK_MOVED = const(20)
_BACK1_MG = const(21)  # the two bins before (median of three)
_BACK2_MG = const(22)
_PREV_MG = const(23)  # the sample before (offset removed), mg
_BINS_CLOSED = const(24)
_BOX_I = const(25)  # position in the boxcars
_BOX_FILL = const(26)  # filtered bins in the triangle so far (10 = full)
_BOX1_SUM = const(27)
_BOX2_SUM = const(28)
_LO_MG = const(29)  # lowest and highest filtered bin in the block
_HI_MG = const(30)
_FILT1_MG = const(31)  # the two previous median-filtered bins (roughness)
_FILT2_MG = const(32)
_ROUGH_N = const(33)  # bins in this block with a roughness in _bin_rough_mg
_COS_LO = const(34)
_COS_HI = const(35)
_BOX1 = const(36)  # 5 median-filtered bins, mg
_BOX2 = const(41)  # 5 sums of 5 of them (< 5 * 2**22)
# the linear chain (lin_mg): every sample, before the glitch rule, in a plain bin mean, then
# boxcars of 2, 3, 5 and 5 bins, in the raw frame (absolute, offset not removed)
_LIN_N = const(46)  # the open bin: samples and their sum (relative to ref_mg) ...
_LIN_SUM = const(47)
_LIN_LO = const(48)  # the clip: _LIN_OUT -+ 1.5 g + 1.5 x the swing (raw frame), mg
_LIN_DEV = const(49)  # the swing: the bins' largest |distance| from _LIN_OUT, fast up and
# slow down, mg
_LIN_OUT = const(50)  # the newest output (raw frame), mg
_LIN_LAST = const(51)  # the newest bin mean (raw frame), mg: carried into empty bins
_LIN_C = const(52)  # bins pushed, modulo 30 (the boxcars' positions)
_LIN_FILL = const(53)  # 1 once the boxcars hold a value
_LIN_SKIP = const(54)  # empty bins before the one being closed
_LIN_S1 = const(55)  # running sums: of 2 bin means ...
_LIN_S2 = const(56)  # ... of 3 of those (6 bin means)
_LIN_S3 = const(57)  # ... of 5 means of 6
_LIN_S4 = const(58)  # ... of 5 of those (25 means of 6)
_LIN_R1 = const(59)  # the boxcars' rings: 2, 3, 5, 5 slots
_LIN_R2 = const(61)
_LIN_R3 = const(64)
_LIN_R4 = const(69)
_LIN_HI = const(74)  # the clip's top (_LIN_LO: its bottom)
_LIN_WMIN = const(75)  # the open bin's lowest and highest sample (raw frame, before the
_LIN_WMAX = const(76)  # glitch rule and the clip), mg
_D2_MEAN = const(77)  # running mean of the filtered bins' |second difference| (1/16 a bin), mg
_MED_HARD = const(78)  # set by the owner: 1 = the triangle's median of three without its band
_GLITCH_BINS = const(79)  # bins in this block whose every sample the glitch rule dropped
_LO_BIN_MG = const(80)  # the block's lowest bin for lo_mg (20 Hz and up: unclipped)
_FIELDS = const(81)
_LIN_CLIP_MG = const(1500)  # a sample is clipped to the output +- 1.5 g + 1.5 x the swing:
# a single spike (3-60 g) would pass a linear filter whole
_LIN_MAX_MG = const(4000000)  # bin means clamped to +-4e6 mg: 25 x that < 2**29
_LIN_MAX_SKIP = const(12)  # empty bins carried at most (the chain spans 12 bins)


@micropython.viper
def select_median(buf, n: int) -> int:
    # In-place insertion sort of buf[0:n] (an array('i'), n <= 66), returns the median.
    # No allocation.
    p = ptr32(buf)  # noqa: F821 (viper built-in)
    sx = int(WORD_SX)
    i = 1
    while i < n:
        x = (p[i] << sx) >> sx
        j = i - 1
        while j >= 0:
            y = (p[j] << sx) >> sx
            if y <= x:
                break
            p[j + 1] = y
            j -= 1
        p[j + 1] = x
        i += 1
    h = n >> 1
    if n & 1:
        return (p[h] << sx) >> sx
    return (((p[h - 1] << sx) >> sx) + ((p[h] << sx) >> sx)) >> 1


@micropython.viper
def lowest(buf, size: int, end: int, n: int) -> int:
    # The lowest of the n entries before index `end` of a ring of `size` entries (an
    # array('i'), 1 <= n <= size, 0 <= end < size). No allocation.
    p = ptr32(buf)  # noqa: F821 (viper built-in)
    sx = int(WORD_SX)
    i = end - 1
    if i < 0:
        i += size
    low = (p[i] << sx) >> sx
    j = 1
    while j < n:
        i -= 1
        if i < 0:
            i += size
        x = (p[i] << sx) >> sx
        if x < low:
            low = x
        j += 1
    return low


@micropython.viper
def theil_sen_slope(ring_k, ring_v, pairs, n: int, k: int, win: int, block_ms: int) -> int:
    # Theil-Sen slope (mg/s, flow.py's estimate): the median of the pairwise slopes of the
    # blocks numbered in (k - win, k]. ring_k / ring_v: n slots of block numbers (-1: empty)
    # and their values (mg); pairs: scratch of n (n - 1) / 2 slots or more. Each difference
    # is clamped to +-SLOPE_CLAMP_DIFF_MG (x1000 < 2**29). NO_SLOPE when no pair is in the
    # window. No allocation.
    rk = ptr32(ring_k)  # noqa: F821 (viper built-in)
    rv = ptr32(ring_v)  # noqa: F821
    pp = ptr32(pairs)  # noqa: F821
    sx = int(WORD_SX)
    m = 0
    lo_k = k - win
    a = 0
    while a < n:
        ka = (rk[a] << sx) >> sx
        if lo_k < ka and ka <= k:
            va = (rv[a] << sx) >> sx
            b = 0
            while b < n:
                kb = (rk[b] << sx) >> sx
                if ka < kb and kb <= k:
                    d = ((rv[b] << sx) >> sx) - va
                    if d > SLOPE_CLAMP_DIFF_MG:
                        d = SLOPE_CLAMP_DIFF_MG
                    elif d < -SLOPE_CLAMP_DIFF_MG:
                        d = -SLOPE_CLAMP_DIFF_MG
                    pp[m] = d * 1000 // ((kb - ka) * block_ms)
                    m += 1
                b += 1
        a += 1
    if m == 0:
        return NO_SLOPE
    return int(select_median(pairs, m))


class BlockFilter:
    def __init__(self, cfg):
        g = cfg.get
        self._s = s = array("i", bytes(4 * _FIELDS))  # the state (see _FIELDS above)
        s[_SX] = WORD_SX
        s[_BIN_MS] = g("flow_bin_ms", 200)
        s[_BLOCK_BINS] = g("flow_block_bins", 5)
        s[_BOTTLE_MG] = g("bottle_mg", 125000)
        s[_TILT_MIN] = g("tilt_min_cos_q10", 707)
        self.block_ms = s[_BIN_MS] * s[_BLOCK_BINS]
        self._bin_rough_mg = array("i", bytes(4 * s[_BLOCK_BINS]))  # per-bin roughness, mg
        self.reset(0, 0)

    # the frame, set by the owner (raw frame, mg): kept in the state for the viper code
    @property
    def ref_mg(self):
        return self._s[_REF_MG]

    @ref_mg.setter
    def ref_mg(self, v):
        self._s[_REF_MG] = v

    @property
    def offset_mg(self):
        return self._s[_OFFSET_MG]

    @offset_mg.setter
    def offset_mg(self, v):
        self._s[_OFFSET_MG] = v

    def shift_offset(self, d_mg):
        """Move offset_mg by d_mg (the owner absorbed a level shift): the history kept in the
        offset-removed frame (the median's and the triangle's bins, the block's lowest and
        highest bin, the glitch rule's references) moves with it, so the blocks after carry no
        step from the change. Once per rebase, not per sample."""
        s = self._s
        s[_OFFSET_MG] += d_mg
        for i in (_BACK1_MG, _BACK2_MG, _PREV_MG, _FILT1_MG, _FILT2_MG):
            s[i] -= d_mg
        for i in range(5):
            s[_BOX1 + i] -= d_mg
            s[_BOX2 + i] -= 5 * d_mg
        s[_BOX1_SUM] -= 5 * d_mg
        s[_BOX2_SUM] -= 25 * d_mg
        if s[_LO_MG] != _FAR:
            s[_LO_MG] -= d_mg
        if s[_LO_BIN_MG] != _FAR:
            s[_LO_BIN_MG] -= d_mg
        if s[_HI_MG] != -_FAR:
            s[_HI_MG] -= d_mg

    def reset(self, t_ms, w_mg):
        s = self._s
        for i in range(_T0_MS, _FIELDS):
            s[i] = 0
        s[_T0_MS] = t_ms
        s[_REF_MG] = w_mg
        s[_BIN_NO] = -1
        s[_BLOCK_NO] = -1
        s[_LO_MG] = _FAR
        s[_LO_BIN_MG] = _FAR
        s[_HI_MG] = -_FAR
        s[_COS_LO] = 1024
        self.v_mg = 0
        self.lo_mg = 0
        self.spread_mg = 0
        self.disturbed = 0
        self.moved = 0
        self.blind = 0
        self.rough_bins = 0
        self.rough_mg = 0
        self.tilt_lo_q10 = 1024
        self.tilt_change_q10 = 0
        self.lin_mg = 0
        s[_LIN_DEV] = 500  # ~ the noise until learned
        s[_LIN_LO] = -_FAR  # no clip until the chain has a value
        s[_LIN_HI] = _FAR
        s[_LIN_WMIN] = _FAR
        s[_LIN_WMAX] = -_FAR

    # -- per sample (viper: integers in the state array) ------------------------------------
    @micropython.viper
    def sample(self, t_ms: int, w_mg: int, motion) -> int:
        # One call per sample (the cost of a call is much of the per-sample cost): first the
        # bin and block the time falls in, then the sample itself, unless a block closed.
        s = ptr32(self._s)  # noqa: F821 (viper built-in)
        sx = s[_SX]
        rel = t_ms - ((s[_T0_MS] << sx) >> sx)
        if rel < 0:
            return _SKIP
        b = rel // s[_BIN_MS]
        old = (s[_BIN_NO] << sx) >> sx
        if b != old:
            if s[_BIN_N] or s[_LIN_N]:
                s[_LIN_SKIP] = b - old - 1  # empty bins after it (the linear chain carries)
                self._close_bin()
            s[_BIN_NO] = b
            blk = b // s[_BLOCK_BINS]
            last = (s[_BLOCK_NO] << sx) >> sx
            if blk != last:
                s[_BLOCK_NO] = blk
                if last >= 0:
                    return last  # the caller closes the block, then gives the sample again
        if motion:  # a Motion, or None (viper cannot compare an object with None)
            if motion.moving:
                s[_BIN_MOVED] = 1
            c = int(motion.tilt_cos_q10)
            if c < 1024:
                if c < s[_TILT_MIN]:
                    s[_BIN_DISTURBED] = 1
                else:
                    # the cell reads (bottle + milk) * cos - bottle: undo it.
                    # (w + bottle) <= 2.5e6 and (1024 - c) <= 524 (the config's lowest
                    # tilt_min_cos_q10 is 500): product < 1.4e9 < 2**31 (viper: machine
                    # words, 32-bit on the chip)
                    m = w_mg + s[_BOTTLE_MG]
                    if m < 0:
                        m = 0
                    elif m > 2500000:
                        m = 2500000
                    w_mg += (m * (1024 - c)) // c
            if c < s[_COS_LO]:
                s[_COS_LO] = c
            if c > s[_COS_HI]:
                s[_COS_HI] = c
        ref = (s[_REF_MG] << sx) >> sx
        x = w_mg - ref
        if x > _CLAMP_MG:
            x = _CLAMP_MG
        elif x < -_CLAMP_MG:
            x = -_CLAMP_MG
        # the linear chain takes every sample (a walk's swing extremes too), clipped to the
        # chain's output +- 1.5 g + 1.5 x the swing it has seen (a single spike passes a
        # linear filter whole), relative to ref_mg within +-1e6: bin sums of 250 < 2.5e8
        n = s[_LIN_N]
        if n < _MAX_BIN_SAMPLES:
            xl = w_mg
            if xl > (s[_LIN_WMAX] << sx) >> sx:
                s[_LIN_WMAX] = xl
            if xl < (s[_LIN_WMIN] << sx) >> sx:
                s[_LIN_WMIN] = xl
            c = (s[_LIN_LO] << sx) >> sx
            if xl < c:
                xl = c
            else:
                c = (s[_LIN_HI] << sx) >> sx
                if xl > c:
                    xl = c
            xl -= ref
            if xl > _CLAMP_MG:
                xl = _CLAMP_MG
            elif xl < -_CLAMP_MG:
                xl = -_CLAMP_MG
            s[_LIN_SUM] = ((s[_LIN_SUM] << sx) >> sx) + xl
            s[_LIN_N] = n + 1
        # a single-sample spike (HX711 glitch, 3-60 g): far from both the sample before and
        # the filtered level. Dropped before the bins when large: two of them within one
        # 200-ms bin or two adjacent bins would pass the median of three
        xa = w_mg - ((s[_OFFSET_MG] << sx) >> sx)
        d = xa - ((s[_PREV_MG] << sx) >> sx)
        s[_PREV_MG] = xa
        if (d > _SPIKE_MG or d < -_SPIKE_MG) and s[_BINS_CLOSED] >= 3:
            d = xa - ((s[_FILT1_MG] << sx) >> sx)
            if d > _SPIKE_MG or d < -_SPIKE_MG:
                return _NO_BLOCK  # dropped
        n = s[_BIN_N]
        if n == 0:
            s[_BIN_MIN] = x
            s[_BIN_MAX] = x
        elif n >= _MAX_BIN_SAMPLES:
            return _NO_BLOCK  # the bin is full: dropped
        elif x < (s[_BIN_MIN] << sx) >> sx:
            s[_BIN_MIN] = x
        elif x > (s[_BIN_MAX] << sx) >> sx:
            s[_BIN_MAX] = x
        s[_BIN_SUM] = ((s[_BIN_SUM] << sx) >> sx) + x
        s[_BIN_N] = n + 1
        return _NO_BLOCK

    # -- per bin (5 a second) -------------------------------------------------------------
    @micropython.viper
    def _close_bin(self):
        s = ptr32(self._s)  # noqa: F821 (viper built-in)
        sx = s[_SX]
        # the linear chain: the bin's plain mean (the last one again for an empty bin, and
        # for each empty bin after it), through boxcars of 2, 3, 5 and 5 bins: zeros at 2.5,
        # 1.67, 1 and 2 Hz (|H| < 0.001 over 1.7-2.5 Hz: whole steps of a walk), 12 bins long
        ln = s[_LIN_N]
        if ln:
            m = ((s[_LIN_SUM] << sx) >> sx) // ln + ((s[_REF_MG] << sx) >> sx)
            if m > _LIN_MAX_MG:
                m = _LIN_MAX_MG
            elif m < -_LIN_MAX_MG:
                m = -_LIN_MAX_MG
        else:
            m = (s[_LIN_LAST] << sx) >> sx
        # the swing: the bin's sample furthest from the output (a walk's extremes, which the
        # glitch rule may drop), up by half the difference per bin (known within ~1 s), down
        # by 1/32 (a spike opens the clip for a few seconds only)
        out = (s[_LIN_OUT] << sx) >> sx
        wmax = (s[_LIN_WMAX] << sx) >> sx
        wmin = (s[_LIN_WMIN] << sx) >> sx
        # the bin's range of every sample, the glitch rule's drops too: a walk's swing
        # beyond _SPIKE_MG a sample is dropped sample after sample and leaves the kept ones
        # still; a single spike widens one bin's range only (roughness is a median of bins)
        raw_rng = 0
        if ln >= 2:
            raw_rng = wmax - wmin
            if raw_rng > 1000000:
                raw_rng = 1000000
        dm = 0
        if ln and s[_LIN_FILL]:
            dm = wmax - out
            d = out - wmin
            if d > dm:
                dm = d
            if dm > 200000:
                dm = 200000
        s[_LIN_WMAX] = -_FAR
        s[_LIN_WMIN] = _FAR
        dv = s[_LIN_DEV]
        dv += (dm - dv) >> 1 if dm > dv else (dm - dv) >> 5
        s[_LIN_DEV] = dv
        s[_LIN_LAST] = m
        s[_LIN_N] = 0
        s[_LIN_SUM] = 0
        reps = s[_LIN_SKIP]
        if reps < 0:
            reps = 0
        elif reps > _LIN_MAX_SKIP:
            reps = _LIN_MAX_SKIP
        if s[_LIN_FILL] == 0:
            s[_LIN_FILL] = 1
            reps = -1
            s[_LIN_R1] = m
            s[_LIN_R1 + 1] = m
            s[_LIN_S1] = 2 * m
            j = 0
            while j < 5:
                if j < 3:
                    s[_LIN_R2 + j] = 2 * m
                s[_LIN_R3 + j] = m
                s[_LIN_R4 + j] = 5 * m
                j += 1
            s[_LIN_S2] = 6 * m
            s[_LIN_S3] = 5 * m
            s[_LIN_S4] = 25 * m
            s[_LIN_OUT] = m
        c = s[_LIN_C]
        while reps >= 0:
            i = c % 2
            s1 = ((s[_LIN_S1] << sx) >> sx) + m - ((s[_LIN_R1 + i] << sx) >> sx)
            s[_LIN_S1] = s1
            s[_LIN_R1 + i] = m
            i = c % 3
            s2 = ((s[_LIN_S2] << sx) >> sx) + s1 - ((s[_LIN_R2 + i] << sx) >> sx)
            s[_LIN_S2] = s2
            s[_LIN_R2 + i] = s1
            y = s2 // 6
            i = c % 5
            s3 = ((s[_LIN_S3] << sx) >> sx) + y - ((s[_LIN_R3 + i] << sx) >> sx)
            s[_LIN_S3] = s3
            s[_LIN_R3 + i] = y
            s4 = ((s[_LIN_S4] << sx) >> sx) + s3 - ((s[_LIN_R4 + i] << sx) >> sx)
            s[_LIN_S4] = s4
            s[_LIN_R4 + i] = s3
            s[_LIN_OUT] = s4 // 25
            c = c + 1 if c < 29 else 0
            reps -= 1
        s[_LIN_C] = c
        # the clip for the next bin, around the output (raw frame)
        out = (s[_LIN_OUT] << sx) >> sx
        dv += (dv >> 1) + _LIN_CLIP_MG
        s[_LIN_LO] = out - dv
        s[_LIN_HI] = out + dv
        n = s[_BIN_N]
        if n == 0:
            # every sample of the bin was a glitch (or there was none): the nonlinear chain
            # skips it
            if ln:
                s[_GLITCH_BINS] = s[_GLITCH_BINS] + 1
            return
        lo = (s[_BIN_MIN] << sx) >> sx
        hi = (s[_BIN_MAX] << sx) >> sx
        if n >= 3:
            x = (((s[_BIN_SUM] << sx) >> sx) - lo - hi) // (n - 2)
        else:
            x = ((s[_BIN_SUM] << sx) >> sx) // n
        x += ((s[_REF_MG] << sx) >> sx) - ((s[_OFFSET_MG] << sx) >> sx)  # absolute, offset removed
        # roughness, part 1: the bin's range of raw samples (walking, knocks, strokes shake
        # the reading within 200 ms; milk cannot)
        rough = ptr32(self._bin_rough_mg)  # noqa: F821
        rn = s[_ROUGH_N]
        if rn < s[_BLOCK_BINS]:
            rough[rn] = raw_rng
            rn += 1
            s[_ROUGH_N] = rn
        s[_BIN_N] = 0
        s[_BIN_SUM] = 0
        if s[_BIN_DISTURBED]:
            s[_DISTURBED_BINS] = _TRIANGLE_BINS
        s[_BIN_DISTURBED] = 0
        if s[_BIN_MOVED]:
            s[_MOVED_BINS] = _TRIANGLE_BINS
        s[_BIN_MOVED] = 0
        # median of three bins: a one-bin spike never reaches the filter (one bin of delay)
        a = (s[_BACK2_MG] << sx) >> sx
        b = (s[_BACK1_MG] << sx) >> sx
        s[_BACK2_MG] = b
        s[_BACK1_MG] = x
        closed = s[_BINS_CLOSED] + 1
        s[_BINS_CLOSED] = closed
        if closed < 3:
            return
        lo = a if a < x else x
        hi = a + x - lo
        m = b
        if m > hi:
            m = hi
        elif m < lo:
            m = lo
        # the triangle's input: the same, softened by a dead band (the middle bin clipped only
        # beyond its neighbours by more than twice the bins' usual |second difference|, less
        # 1.5 g). A pump's ripple (a second harmonic: unequal peaks and troughs) clipped by
        # the plain median leaves a bias in v_mg that wanders as the bins drift through the
        # pump's cycle (0.2-0.5 g with 2 g of ripple); a spike or a quiet bin is clipped as
        # before (band 0). The roughness keeps the plain median (the lowest bin: below).
        # The owner closes the band (_MED_HARD) unless the blocks are quiet and nothing is
        # held or let go. With 3 samples a bin or more (20 Hz and up) the trimmed mean has
        # dropped a one-sample spike already, and the bins go to the triangle as they are, in
        # every block: the plain median would clip only the ripple, and switching between the
        # two as blocks go quiet and back stepped the block values by its bias (round 43)
        # the block's lowest bin (lo_mg) the same way at 20 Hz and up (a ripple's trough
        # unclipped); below that the plain median (a one-sample spike is one bin)
        ms = m
        lb = m
        if n >= 3:
            ms = b
            lb = b
        elif s[_MED_HARD] == 0:
            band = 2 * ((s[_D2_MEAN] << sx) >> sx) - 1500
            if band > 0:
                ms = b
                if ms > hi + band:
                    ms = hi + band
                elif ms < lo - band:
                    ms = lo - band
        # two 5-bin boxcars: a 2-s triangle that averages the 0.8-2 Hz pump ripple and
        # walking away before the blocks sample it once a second (no aliasing)
        i = s[_BOX_I]
        sum1 = ((s[_BOX1_SUM] << sx) >> sx) + ms - ((s[_BOX1 + i] << sx) >> sx)
        s[_BOX1_SUM] = sum1
        s[_BOX1 + i] = ms
        s[_BOX2_SUM] = ((s[_BOX2_SUM] << sx) >> sx) + sum1 - ((s[_BOX2 + i] << sx) >> sx)
        s[_BOX2 + i] = sum1
        s[_BOX_I] = i + 1 if i < 4 else 0
        if s[_BOX_FILL] < _TRIANGLE_BINS:
            s[_BOX_FILL] = s[_BOX_FILL] + 1
        # roughness, part 2: |second difference| of consecutive filtered bins (what a 1-sample
        # bin cannot show in its range). Milk, even a changing flow, leaves it at the noise
        f1 = (s[_FILT1_MG] << sx) >> sx
        if closed >= 5:
            d2 = m - 2 * f1 + ((s[_FILT2_MG] << sx) >> sx)
            if d2 < 0:
                d2 = -d2
            if d2 > 1000000:
                d2 = 1000000
            if rn > 0:
                rough[rn - 1] = rough[rn - 1] + d2
            dm = (s[_D2_MEAN] << sx) >> sx
            s[_D2_MEAN] = dm + ((d2 - dm) >> 4)
        s[_FILT2_MG] = f1
        s[_FILT1_MG] = m
        if m < (s[_LO_MG] << sx) >> sx:
            s[_LO_MG] = m
        if lb < (s[_LO_BIN_MG] << sx) >> sx:
            s[_LO_BIN_MG] = lb
        if m > (s[_HI_MG] << sx) >> sx:
            s[_HI_MG] = m
        if s[_DISTURBED_BINS] > 0:
            s[_DISTURBED_BINS] = s[_DISTURBED_BINS] - 1
            s[_BLK_DISTURBED] = 1
        if s[_MOVED_BINS] > 0:
            s[_MOVED_BINS] = s[_MOVED_BINS] - 1
            s[_BLK_MOVED] = 1
        s[_BINS_IN_BLOCK] = s[_BINS_IN_BLOCK] + 1

    # -- per block --------------------------------------------------------------------------
    @micropython.viper
    def close_block(self) -> bool:
        """Sets the outputs for the block sample() closed; False when it has no value yet
        (no sample in it, or the triangle not yet full)."""
        s = ptr32(self._s)  # noqa: F821 (viper built-in)
        sx = s[_SX]
        off = (s[_OFFSET_MG] << sx) >> sx
        self.lin_mg = ((s[_LIN_OUT] << sx) >> sx) - off
        if s[_BOX_FILL] < _TRIANGLE_BINS or (s[_BINS_IN_BLOCK] == 0 and s[_GLITCH_BINS] == 0):
            s[_BINS_IN_BLOCK] = 0
            s[_GLITCH_BINS] = 0
            s[_LO_MG] = _FAR
            s[_LO_BIN_MG] = _FAR
            s[_HI_MG] = -_FAR
            return False
        v = ((s[_BOX2_SUM] << sx) >> sx) // 25
        self.v_mg = v
        if s[_BINS_IN_BLOCK] == 0:
            # samples, but the glitch rule dropped every one (a walk's swing beyond it, one
            # sample a bin): no value of its own, and no gap either (the owner holds it as
            # rough; the linear chain took every sample). The bins' flags wait in the open
            # bin's (_close_bin returned before passing them on)
            self.blind = 1
            self.lo_mg = v
            self.spread_mg = 0
            self.disturbed = s[_BLK_DISTURBED] | s[_BIN_DISTURBED]
            self.moved = s[_BLK_MOVED] | s[_BIN_MOVED]
        else:
            self.blind = 0
            lo = (s[_LO_MG] << sx) >> sx
            self.lo_mg = (s[_LO_BIN_MG] << sx) >> sx
            self.spread_mg = ((s[_HI_MG] << sx) >> sx) - lo
            self.disturbed = s[_BLK_DISTURBED]
            self.moved = s[_BLK_MOVED]
        s[_BINS_IN_BLOCK] = 0
        s[_GLITCH_BINS] = 0
        s[_LO_MG] = _FAR
        s[_LO_BIN_MG] = _FAR
        s[_HI_MG] = -_FAR
        s[_BLK_DISTURBED] = 0
        s[_BLK_MOVED] = 0
        n = s[_ROUGH_N]
        self.rough_bins = n
        if n:
            self.rough_mg = select_median(self._bin_rough_mg, n)  # one spike shakes one bin
            s[_ROUGH_N] = 0
        else:
            self.rough_mg = 0
        self.tilt_lo_q10 = s[_COS_LO]
        self.tilt_change_q10 = s[_COS_HI] - s[_COS_LO]
        s[_COS_LO] = 1024
        s[_COS_HI] = 0
        return True
