# Letdown (milk ejection onset) and taper detection per bottle, with two-bottle agreement.
#
#     d = Detector(cfg, n_channels)
#     code = d.update(t_ms, ch, flow_stage)   # after flow_stage.update(); EV_NONE / EV_LETDOWN
#                                             # / EV_TAPER for channel ch (0-based)
#
# Input: once per flow block (1 s) the flow stage's filtered block value (`block_v_mg`: 200-ms
# trimmed bins, median of 3, 2-s triangle, offset removed), its block number and `holding` /
# `unsettled`. docs/detection.md says why the method works; in short:
#
# Letdown = a sequential change-point test. Each channel keeps the last 64 good blocks. A
# straight line (level + slope) is fitted by least squares to a baseline window of up to
# `ld_base_blocks` blocks that ends `ld_guard_blocks` before the newest one (or where the
# evidence began, whichever is older: the baseline never swallows the change it tests) and is
# extrapolated to the newest block. The residual, in units of the channel's noise (learned
# online from second differences of the block values: trend-free, robust, per channel), feeds
# a one-sided CUSUM  S = max(0, S + z - k)  with k = `ld_k_q4`/16 noise units. A letdown is
# S >= h (`ld_h_q4`/16). Milk flowing at a decaying rate is concave: the line lies above it,
# residuals are negative, so a new ejection on a decaying flow (a re-acceleration) shows as
# well as a first one. Two bottles eject together ~95% of the time: a joint CUSUM of
# (z1 + z2)/sqrt(2) decides for both, and each bottle whose own CUSUM holds at least
# `ld_part_pct` % of h gets its letdown; within `ld_sync_s` after one bottle's letdown the
# other needs only `ld_sync_pct` % of h. A lone-bottle ejection needs its own full evidence.
#
# Milk never leaves the bottle: while the flow stage holds an artifact, while the weight is
# unsettled (it fell: a press was released) and across a gap, the evidence is dropped and the
# baseline restarts (`ld_min_base_blocks` good blocks before a decision). After a letdown the
# channel re-arms when its flow (8-block slope) has fallen `ld_rearm_pct` % below its peak
# (at least `ld_rearm_mg_s`) and `ld_gap_s` have passed: one ejection, one event.
#
# A crossing counts only while milk is still arriving (the slope of the newest blocks
# significantly above zero: a step or a wander that stopped is not an ejection), and no block
# adds more than 3 noise units to the evidence. A rise is also checked against physics: since
# the evidence began (m blocks) milk can raise the residual by at most a_max m^2 / 2
# (`ld_max_accel_mg_s2`: 1.2 g/s reached over 8 s) plus 4 noise units, and a block below
# the previous one by over 4 noise units is not milk: either one drops the evidence and
# restarts the baseline (a press, knock or step is starting). So does a block the flow stage
# marks not quiet (unusual spread or roughness of its bins, a tilt changing or beyond ~12
# degrees, the accelerometer saying the wearer moves).
#
# Taper: on the flow stage's robust flow (`flow_mg_s`, 8-block Theil-Sen, frozen while it
# holds). A high-flow period is that flow >= `taper_high_mg_s` for `taper_high_blocks` blocks
# (a leaky count: a block below takes one off; none while the weight is unsettled, i.e. under
# massage strokes: their rises are not milk); its taper is the flow then under `taper_mg_s`
# (research threshold 0.1 g/s) for `taper_blocks` blocks in a row. One taper per period.
#
# Causality: decisions are made at the sample that closes a block. A joint decision is made
# at the last channel's call; a letdown it gives to an earlier channel is returned at that
# channel's next call (one sample later).
# Limits: an ejection whose milk stays within ~4 noise units for its first seconds is found
# late (latency grows as noise^(1/3)); one that starts during massage strokes is found when
# they stop; a hold restarts the baseline (no decision for ~12 s after it).
# Integers: values are relative to the window's newest block, clamped to +-65,535 mg; the
# slope sums are <= 32 * 32 / 2 * 65,535 * 4 < 2**28; z is clamped to +-20 noise units.
#
# Configuration keys (read once, in __init__), with units:
#   ld_base_blocks       int blocks 20   baseline window (10..32)
#   ld_min_base_blocks   int blocks 10   good blocks needed in the baseline before deciding
#   ld_guard_blocks      int blocks 2    the baseline ends this far before the newest block
#   ld_k_q4              int 1/16 sd 24  CUSUM allowance k (noise units x 16)
#   ld_h_q4              int 1/16 sd 64  CUSUM threshold h (noise units x 16)
#   ld_part_pct          int %      25   share of h a bottle's own CUSUM needs in a joint call
#   ld_sync_s            int s      10   window after the other bottle's letdown ...
#   ld_sync_pct          int %      50   ... in which this share of h is enough
#   ld_gap_s             int s      20   no second letdown on a bottle sooner than this
#   ld_rearm_pct         int %      20   re-arm once the flow fell this much below its peak
#   ld_rearm_mg_s        int mg/s   30   ... and at least this much
#   ld_noise_floor_mg    int mg     20   lowest block noise believed (drip quantisation)
#   ld_max_accel_mg_s2   int mg/s^2 250  fastest flow change of an ejection (physics check)
#   flow_bin_ms, flow_block_bins         read to know the block length (flow.py documents them)
#   taper_high_mg_s      int mg/s   100  a high-flow period is at least this flow ...
#   taper_high_blocks    int blocks 5    ... for this many blocks (periods < 5 s do not count)
#   taper_mg_s           int mg/s   100  a taper is the flow under this ...
#   taper_blocks         int blocks 6    ... for this many blocks
from array import array

from micropython import const

_EV_NONE = const(0)
_EV_LETDOWN = const(1)
_EV_TAPER = const(2)
_NEVER = const(-100000000)
_RING = const(64)  # good blocks kept per channel
_VCLAMP = const(65535)  # window values relative to the newest, mg
_ZCLAMP = const(320)  # +-20 noise units, x16
_MAX_WIN = const(32)
_RISE_BLOCKS = const(5)  # a letdown needs the least-squares slope of the newest 5 blocks ...
_RISE_Q4 = const(24)  # ... at least 1.5 standard errors (x16) above zero (still rising)
_ZMAX_Q4 = const(48)  # one block adds at most 3 noise units (x16) to the evidence


class Detector:
    def __init__(self, cfg, n_channels):
        g = cfg.get
        self._base = min(max(g("ld_base_blocks", 20), 10), _MAX_WIN)
        self._min_base = min(max(g("ld_min_base_blocks", 10), 4), self._base)
        self._guard = max(g("ld_guard_blocks", 2), 0)
        self._k = g("ld_k_q4", 24)
        self._h = g("ld_h_q4", 64)
        self._part = self._h * g("ld_part_pct", 25) // 100
        self._sync_ms = g("ld_sync_s", 10) * 1000
        self._h_sync = self._h * g("ld_sync_pct", 50) // 100
        self._gap_ms = g("ld_gap_s", 20) * 1000
        self._rearm_pct = g("ld_rearm_pct", 20)
        self._rearm_min = g("ld_rearm_mg_s", 30)
        self._noise_floor = g("ld_noise_floor_mg", 20)
        blk_s = g("flow_bin_ms", 200) * g("flow_block_bins", 5)  # block length, ms
        # fastest flow change of an ejection (1.2 g/s over 8 s, raised cosine: ~240 mg/s^2),
        # per block^2 in mg
        self._amax = g("ld_max_accel_mg_s2", 250) * blk_s // 1000 * blk_s // 1000
        self._high = g("taper_high_mg_s", 100)
        self._high_blocks = g("taper_high_blocks", 5)
        self._taper = g("taper_mg_s", 100)
        self._taper_blocks = g("taper_blocks", 6)
        n = n_channels
        self.n_channels = n
        m = 2 * n  # paths: 0..n-1 the filtered blocks, n..2n-1 the stroke envelope
        self._ring = array("i", [0] * (m * _RING))
        self._pos = array("i", [0] * m)  # index of the newest value in the path's ring
        self._good = array("i", [0] * m)  # good blocks in a row (capped at _RING)
        self._seen = array("i", [-1] * n)  # flow_stage.block_k last looked at
        self._m2 = array("i", [0] * m)  # EWMA of |second difference| x 16, mg
        self.noise_mg = array("i", [0] * m)  # block noise (sd), mg
        self._s = array("i", [0] * m)  # CUSUM, noise units x 16
        self._slen = array("i", [0] * m)  # blocks the CUSUM has been positive
        self._ra = array("i", [0] * m)  # EWMA of |residual| x16, mg
        self._z = array("i", [0] * m)  # newest standardized residual, x16
        self._zk = array("i", [-1] * m)  # its block number
        self._sj = 0  # joint CUSUM
        self._sjlen = 0
        self._armed = bytearray(m)
        self._pending = bytearray(n)
        self._peak = array("i", [0] * m)
        self._last_ld_ms = array("i", [_NEVER] * m)
        self._fast = array("i", [0] * m)  # 8-block flow, mg/s
        self._high_run = array("i", [0] * n)
        self._in_high = bytearray(n)
        self._low_run = array("i", [0] * n)
        self.letdowns = array("i", [0] * n)
        self.tapers = array("i", [0] * n)
        self._fit_pred = 0
        self._fit_b8 = 0
        self._base_mg = array("i", [0] * m)  # baseline extrapolated to the newest block, mg
        self._sd = array("i", [100] * m)  # residual scale used by the newest decision, mg
        self._rise_n = _RISE_BLOCKS
        self._rise_q = _RISE_Q4
        # one block adds at most this to the evidence: milk rises smoothly, so the evidence
        # of an ejection builds over several blocks; a single jump (a press) cannot decide
        self._zmax = _ZMAX_Q4
        for ch in range(m):
            self._armed[ch] = 1
            self._m2[ch] = 160 * 16  # ~100 mg until learned
            self._ra[ch] = 120 * 16

    # -- per sample ------------------------------------------------------------------------
    def update(self, t_ms, ch, fs):
        if self._pending[ch]:
            self._pending[ch] = 0
            self._fire(t_ms, ch)
            fs.milk_started(self._base_mg[ch])
            return _EV_LETDOWN
        k = fs.block_k
        if k == self._seen[ch]:
            return _EV_NONE
        last = self._seen[ch]
        self._seen[ch] = k
        code = _EV_NONE
        if not fs.holding and fs.accepted >= 3:
            code = self._taper_check(ch, fs.flow_mg_s, fs.unsettled)
        n = self.n_channels
        e = ch + n
        fired = 0
        main_ok = not (fs.holding or fs.unsettled > 0 or not fs.block_quiet or k != last + 1)
        if main_ok:
            self._push(ch, fs.block_v_mg)
            self._slope8(ch, fs.block_ms)
            if self._letdown(t_ms, ch, k):
                fired = 1
        else:
            self._restart(ch)
        # the stroke-envelope path: follows the milk under massage strokes (and knocks), a
        # few seconds later than the main path. Its baseline runs whenever the reading does
        # not shake or tilt; it decides only while the main path cannot (massage, motion,
        # a hold, the main baseline restarting)
        if fs.env_ok and k == last + 1:
            self._push(e, fs.env_low_mg)
            self._slope8(e, fs.block_ms)
            if main_ok and self._good[ch] >= self._min_base:
                self._s[e] = 0
                self._slen[e] = 0
            elif self._letdown(t_ms, e, k) and not fired:
                fired = 2
        else:
            self._restart(e)
        if fired:
            self._fire(t_ms, ch)
            if fired == 1 or self._good[ch] >= self._min_base:
                fs.milk_started(self._base_mg[ch])
            return _EV_LETDOWN
        return code

    def _slope8(self, p, bms):
        if self._good[p] >= 8:
            self._fit(p, 0, 8, 0)
            self._fast[p] = self._fit_b8 * 125 // bms

    # -- per block ---------------------------------------------------------------------------
    def _restart(self, ch):
        self._good[ch] = 0
        self._s[ch] = 0
        self._slen[ch] = 0
        self._zk[ch] = -1

    def _push(self, ch, v):
        p = (self._pos[ch] + 1) % _RING
        self._pos[ch] = p
        self._ring[ch * _RING + p] = v
        g = self._good[ch]
        if g < _RING:
            g += 1
            self._good[ch] = g
        if g >= 3:
            r = self._ring
            b = ch * _RING
            d2 = v - 2 * r[b + (p - 1) % _RING] + r[b + (p - 2) % _RING]
            if d2 < 0:
                d2 = -d2
            m2 = self._m2[ch]
            lim = m2 >> 2  # |d2| x16 clamped at 4 x the mean: a knock barely moves it
            if d2 > lim:
                d2 = lim
            m2 += (d2 * 16 - m2) >> 5
            self._m2[ch] = m2
            # white noise through the 2-s triangle sampled at 1 s: E|d2| = 1.6 sd
            sd = m2 * 10 >> 8
            if sd < self._noise_floor:
                sd = self._noise_floor
            self.noise_mg[ch] = sd

    def _fit(self, ch, end, n, want_pred):
        # Least-squares line through the blocks aged end .. end+n-1 (0 = newest). Sets
        # _fit_b8 (forward slope, mg per block x8) and, if asked, _fit_pred (value at age 0).
        r = self._ring
        b = ch * _RING
        p = self._pos[ch]
        ref = r[b + (p - end) % _RING]
        c = 2 * end + n - 1  # twice the window's centre age
        sv = 0
        sxv = 0
        x = end
        while x < end + n:
            v = r[b + (p - x) % _RING] - ref
            if v > _VCLAMP:
                v = _VCLAMP
            elif v < -_VCLAMP:
                v = -_VCLAMP
            sv += v
            sxv += (2 * x - c) * v
            x += 1
        sxx = n * (n * n - 1) // 12
        b8 = -(sxv * 4) // sxx  # age runs backwards in time
        self._fit_b8 = b8
        if want_pred:
            self._fit_pred = ref + sv // n + b8 * c // 16

    def _letdown(self, t_ms, ch, k):
        good = self._good[ch]
        if not self._armed[ch]:
            f = self._fast[ch]
            if f > self._peak[ch]:
                self._peak[ch] = f
            p = self._peak[ch]
            drop = p * self._rearm_pct // 100
            if drop < self._rearm_min:
                drop = self._rearm_min
            if f <= p - drop and t_ms - self._last_ld_ms[ch] >= self._gap_ms:
                self._armed[ch] = 1
                self._s[ch] = 0
                self._slen[ch] = 0
            return False
        end = self._slen[ch]
        if end < self._guard:
            end = self._guard
        avail = good - end
        if avail < self._min_base:
            # not enough baseline (or the evidence is older than the ring): start afresh
            self._s[ch] = 0
            self._slen[ch] = 0
            self._zk[ch] = -1
            return False
        n = avail if avail < self._base else self._base
        self._fit(ch, end, n, 1)
        self._base_mg[ch] = self._fit_pred  # the level without the change under test
        res = self._ring[ch * _RING + self._pos[ch]] - self._fit_pred
        if res > 100000:
            res = 100000
        elif res < -100000:
            res = -100000
        # the residual's own scale (noise, slow wander and the baseline's error together):
        # EWMA of |res| x16, a single large residual moves it by at most 3 x its mean
        a = res if res >= 0 else -res
        ra = self._ra[ch]
        lim = (ra * 3) >> 4
        if a > lim:
            a = lim
        ra += (a * 16 - ra) >> 5
        self._ra[ch] = ra
        sd = ra * 5 >> 6  # sd = 1.25 x mean |res|
        if sd < self.noise_mg[ch]:
            sd = self.noise_mg[ch]
        self._sd[ch] = sd
        # milk cannot make the weight jump: since the evidence began (slen blocks) the
        # residual can grow at most by the fastest flow change (a_max t^2 / 2) plus noise,
        # and milk never leaves, so a fall beyond the noise is not milk either. Either one is
        # an artifact starting (press, knock, step): drop the evidence and restart the baseline
        m = self._slen[ch] + 1
        lim = self._amax * m * m // 2 + 4 * sd
        fall = (
            self._ring[ch * _RING + (self._pos[ch] - 1) % _RING]
            - self._ring[ch * _RING + self._pos[ch]]
        )
        if res > lim or fall > 4 * sd:
            self._restart(ch)
            self._sj = 0
            return False
        z = res * 16 // sd
        if z > self._zmax:
            z = self._zmax
        elif z < -_ZCLAMP:
            z = -_ZCLAMP
        self._z[ch] = z
        self._zk[ch] = k
        s = self._s[ch] + z - self._k
        if s > 0:
            self._s[ch] = s
            self._slen[ch] += 1
        else:
            self._s[ch] = 0
            self._slen[ch] = 0
        # joint evidence (two bottles), updated at the last channel's block
        if self.n_channels == 2 and ch == 1:
            if self._zk[0] == k and self._armed[0]:
                sj = self._sj + (self._z[0] + z) * 181 // 256 - self._k
                if sj > 0:
                    self._sj = sj
                else:
                    self._sj = 0
            else:
                self._sj = 0
            if self._sj >= self._h and self._rising(1):
                fired = False
                if self._s[0] >= self._part and self._armed[0]:
                    self._pending[0] = 1
                    self._armed[0] = 0
                    fired = True
                if self._s[1] >= self._part:
                    self._sj = 0
                    return True
                if fired:
                    self._sj = 0
        need = self._h
        n = self.n_channels
        for o in range(n):
            if o != ch % n and t_ms - self._last_ld_ms[o] <= self._sync_ms:
                need = self._h_sync
        return self._s[ch] >= need and self._rising(ch)

    def _rising(self, ch):
        # Milk is still arriving when the evidence is complete: the newest blocks rise (a
        # least-squares slope over the last 5 blocks at least 1.5 standard errors above
        # zero). A step (press, settling after motion) or a wander that stopped is not an
        # ejection.
        n = self._rise_n
        if self._good[ch] < n:
            return False
        self._fit(ch, 0, n, 0)
        # SE of the slope per block for noise sd: sd / sqrt(n (n^2 - 1) / 12)
        sxx = n * (n * n - 1) // 12
        b8 = self._fit_b8
        sd = self._sd[ch]
        # b8 / 8 >= q * sd / sqrt(sxx)  <=>  b8^2 * sxx >= (8 q sd)^2 (b8 > 0)
        if b8 <= 0:
            return self._rise_q == 0
        lhs = b8 * b8 // 64 * sxx
        q = self._rise_q * sd // 16
        return lhs >= q * q

    def _fire(self, t_ms, ch):
        # one ejection, one event: both paths of the bottle wait for it to pass
        p = ch
        while p < 2 * self.n_channels:
            self._armed[p] = 0
            self._s[p] = 0
            self._slen[p] = 0
            self._peak[p] = self._fast[p]
            self._last_ld_ms[p] = t_ms
            p += self.n_channels
        self.letdowns[ch] += 1

    def _taper_check(self, ch, flow, unsettled):
        if not self._in_high[ch]:
            if unsettled > 0:
                # the weight fell: something pressed on the bottle, and the rise before was
                # not milk either. No high-flow period starts under massage strokes
                self._high_run[ch] = 0
                return _EV_NONE
            # high flow comes from an ejection: none before the bottle's first letdown
            # leaky count: a block of noise below the threshold does not restart it
            if flow >= self._high:
                self._high_run[ch] += 1
                if self._high_run[ch] >= self._high_blocks:
                    self._in_high[ch] = 1
                    self._low_run[ch] = 0
            elif self._high_run[ch] > 0:
                self._high_run[ch] -= 1
            return _EV_NONE
        if flow < self._taper:
            self._low_run[ch] += 1
            if self._low_run[ch] >= self._taper_blocks:
                self._in_high[ch] = 0
                self._high_run[ch] = 0
                self.tapers[ch] += 1
                return _EV_TAPER
        else:
            self._low_run[ch] = 0
        return _EV_NONE
