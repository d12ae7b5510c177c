# Letdown (milk ejection onset) and taper detection per bottle, with two-bottle agreement.
#
#     d = Detector(cfg, n_channels)
#     code = d.update(t_ms, ch, flow_stage)   # after flow_stage.update(); EV_NONE / EV_LETDOWN
#                                             # / EV_TAPER for channel ch (0-based)
#     d.weighing()                            # 1 while a rise is weighed as an onset (the
#                                             # coach's next step waits: session.py)
#
# Input: the flow stage's block record (`flow_stage.block`, flow.Block), once per block (1 s):
# its filtered value (`v_mg`: 200-ms trimmed bins, median of 3, 2-s triangle, offset removed),
# block number `k`, `quiet`, `held`, `unsettled`, `accepted`, `calm`, `flow_mg_s` and the block
# length `ms`. At a bottle's first letdown the detector calls `flow_stage.milk_started(base_mg,
# age_blocks)`. docs/detection.md says why the method works; in short:
#
# Letdown = a sequential change-point test. Each channel keeps the last 32 blocks. A straight line
# (level + slope) is fitted by least squares to a baseline window of up to `ld_base_blocks` blocks
# that ends `ld_guard_blocks` before the newest one (or where the evidence began, whichever is
# older: the baseline never swallows the change it tests) and is extrapolated to the newest block
# (a falling line is not: milk never leaves, so a slope below zero, a dip or noise, predicts the
# line's level where the evidence began). The residual, in units of the channel's noise (learned
# online from second differences of the block values: trend-free, robust, per channel), feeds a
# one-sided CUSUM S = max(0, S + z - k) with k = `ld_k_q4`/16 noise units. A letdown is S >= h
# (`ld_h_q4`/16). Milk flowing at a decaying rate is concave: the line lies above it, residuals are
# negative, so a new ejection on a decaying flow (a re-acceleration) shows as well as a first one.
# Two bottles eject together ~95% of the time: a joint CUSUM of (z1 + z2)/sqrt(2) decides for both,
# and each bottle whose own CUSUM holds at least `ld_part_pct` % of h gets its letdown; within
# `ld_sync_s` after one bottle's letdown the other needs only `ld_sync_pct` % of h (the floor path
# likewise of its need). A lone-bottle ejection needs its own full evidence. A bottle that could
# not see it (no good block since the other bottle's evidence began: a walk, a tilt past the
# correction, a press holds it) and already had milk gets its letdown from the other bottle's
# own CUSUM or walk path, dated by it: the breasts eject together (round 32 in
# docs/detection-history.md).
#
# Milk never leaves the bottle: while the flow stage holds an artifact, while the weight is
# unsettled (it fell: a press was released) and across a gap of more than _GAP_BLOCKS, the
# evidence is dropped and the baseline restarts (`ld_min_base_blocks` good blocks before a
# decision); a shorter gap is bridged (_GAP_BLOCKS, round 34). With two bottles, the
# motion's first blocks on a bottle whose weight shows none of it (flow.py's _STILL_SETTLING)
# carry its good stretch and evidence on with no decision; at the first quiet block they stand
# if a hand was seen on the other bottle meanwhile (its weight fell), else the stretch restarts
# there (round 71: a hand that began on the other bottle had hidden this one's onset). After
# a letdown the channel re-arms when its flow (8-block slope) has fallen `ld_rearm_pct` % below
# its peak (at least `ld_rearm_mg_s`; from 2 x `ld_gap_s` after the letdown on, `ld_rearm_mg_s`
# only) and `ld_gap_s` have passed: one ejection, one event. With two bottles, the other bottle's
# fresh letdown (within `ld_sync_s`, its onset within twice that) re-arms it too.
#
# A small lean with no accelerometer (5-8 degrees: 0.5-1.2 g off a 125-g bottle's reading,
# under the flow stage's jump and unsettled thresholds: nothing holds it) would have the
# baseline settle on the leaned level and read the rise when she sits up as an onset. Milk
# never leaves, so a fast fall is remembered (its size and the level before it): the newest two
# blocks' mean below the means of the blocks 3-5, 6-8 and 9-11 back, each carried on by the
# flow before, by at least _LEAN_MG + 4 noise units + a third of what the flow adds over the
# 9.5 blocks from the oldest of them (a flow that slows is no fall; continuous-103 of seeds 100
# at twice the ripple, a flow of 0.35 g/s that levelled off as a walk began),
# from a settled level (9 quiet blocks, not unsettled: no strokes, no walk) and not within
# _LEAN_REST_BLOCKS of the last one. The rise back (beyond the flow, by half the fall, to within
# half the fall of the level before it) restarts the baseline when the lean lasted
# _LEAN_MIN_BLOCKS or more (a shorter one never became the baseline; a held compression and
# the next one would restart it over and over); the floor path restarts with it, and after
# it a high-flow period needs 8 blocks more (the flow's window spans the step). Forgotten
# after _LEAN_MAX_BLOCKS or a hold.
#
# The residual scale is the residuals' own (EWMA of |res|) but at most twice the block
# noise: an ejection's residuals and the concave decay after it would otherwise inflate it
# for tens of blocks, and hide the next onset. A lone bottle's crossing is confirmed one block
# later: the weight must not have fallen by 2 noise units (milk never leaves; the first
# stroke of a massage rises like an onset for 2-3 s, then lets go).
# A crossing counts only while milk is still arriving (the slope of the newest blocks
# significantly above zero: a step or a wander that stopped is not an ejection; nor is a rise
# that came in one block and stopped, over 4 noise units, the newest block under a quarter of
# it: a held compression's; nor one whose one-block rise outgrew the one before by more than
# milk's flow can speed up in a block, a_max + 4 noise units, or stands out from the rises on
# both sides of it by 2 a_max + 4 noise units together: a compression that lands; the
# crossing and its confirming block both), and no block
# adds more than 3 noise units to the evidence. A rise is also checked against physics: since
# the evidence began (m blocks) milk can raise the residual by at most a_max m^2 / 2
# (`ld_max_accel_mg_s2`: 1.2 g/s reached over 8 s) plus 4 noise units, and a block below
# the previous one by over 4 noise units is not milk: either one drops the evidence and
# restarts the baseline (a press, knock or step is starting; the bound is waived on a bottle
# with no letdown yet whose baseline already rises at _RAMP_MG_S and whose newest block's rise
# changed by no more than milk's may: an ejection that began during a hold leaves the baseline
# on its rise, and the line through it falls behind a flow still speeding up). So does a
# block the flow stage marks not quiet (unusual spread or roughness of its bins, a tilt
# changing or beyond ~12 degrees, the accelerometer saying the wearer moves), except a
# steady tilt the correction undoes (Block.steady_tilt: its error is a constant offset),
# which adds no joint evidence.
# The offset is constant only while the tilt holds: a wearer leaning on slowly (the cosine
# changing less per block than a turn) changes it like milk would, by up to (bottle + flange
# span) x the change in 1/cos. A block whose possible error (Block.tilt_err_mg) has moved
# more than _TILT_DRIFT_MG from the one it was last judged against is not good; the slow
# path waits _TILT_WAIT blocks after it and the floor path restarts (as on a turn); the
# resume path compares levels with the error's change in its margin.
#
# Slow path (onsets the CUSUM cannot see: under massage strokes, while moving, after a hold):
# the ring keeps every block that is not held; the lower envelope (minimum over 5 blocks)
# follows the milk under strokes of a few seconds. A letdown is its least-squares slope over
# 10 envelope values reaching a sustained flow (>= 60 mg/s) well above its slope over the 10
# before (flow was low or decaying), still rising and without a one-block step, for 3 blocks,
# and not in the first 24 blocks of a massage (the strokes' residue steps the envelope up as
# they start, and the step reads as a rise until both windows have passed it);
# when its run completes, the flow stage's own robust flow must show that sustained flow too
# (>= 60 mg/s; if not, the run waits for it): an envelope that rises while the weight itself
# shows no flow is a hand or a walk letting the troughs creep up, not milk (round 20 in
# docs/detection-history.md); and inside a not-good stretch, the floor path's floor (the lowest
# bins, below) must rise at half the envelope's flow at least, once it has a slope: strokes
# beating with the 1-s blocks move the blocks' troughs, and with them the envelope and the
# robust flow, by 0.1-0.15 g/s for tens of seconds, while the lowest bins stay at the weight
# (round 57).
# It decides ~12-20 s after the onset; only while the channel is armed.
#
# Floor path (onsets under massage strokes): the lowest bin of each block, held or not, in the
# raw frame; its running minimum (the floor) follows the milk, since a hand only adds weight.
# A lowest bin far below the floor (carried on by the flow, pumping hands free) restarts it.
# Its rise beyond what its slope before projects is an onset (constants _FL_* below); found
# "floor".
#
# Walk path (onsets inside a walk): the block filter's linear chain (Block.lin_mg) cancels
# whole steps; while blocks are rough, its level rising beyond the line through the levels
# before, or beyond the last good stretch's level from before the walk projected by its flow
# (a slow rise: the line before rises with it), by the walk's own scatter, with a sustained
# flow, is an onset (constants _WK_* below); found "walk".
#
# Resume path (milk that arrived during a disturbance, issue 12): the weight (v_mg +
# offset_mg) and flow of the last good stretch are kept (one of 8-12 good blocks between two
# disturbances too, when its flow is no higher than the one kept and in the same frame); 6 good
# blocks after a disturbance the level is compared with that level projected by that flow.
# Extra milk beyond the noise, with the flow after clearly above the flow before, is a letdown
# at once; its onset (onset_ms, the event's onset_t_s) from the extra milk and the rise in
# flow. Not reported when that onset is more than 30 s back (a `letdown` cue then is a wrong
# cue).
#
# Milk path (issue 12, round 15 in docs/detection-history.md): after a taper only a new ejection
# brings the flow back. In the first _MILK_TRY_BLOCKS blocks of a new high-flow period (the
# taper's, below) on settled, quiet weight, with no letdown reported for it (the channel armed),
# the ejection was missed by the paths above: a letdown at the channel's next call, found "milk"
# (as the session's net before the first letdown). Its onset from the level's rise in the ring at
# the flow now (_onset_back). Not when the stretch since the last hold or gap is under 20 blocks or
# the rise began before it, when the level's slope 10-19 blocks back is within _SLOW_RISE_MG_S of
# the flow (a slow decay hovering about the threshold), when the lower envelope rose over 8 blocks
# by less than half what the flow claims (presses lift the estimate, not the troughs), or when the
# onset lies more than _LATE_MAX_MS back, as on the resume path (_milk_back).
#
# Taper: on the flow stage's robust flow (`flow_mg_s`, 8-block Theil-Sen, frozen while it
# holds). A high-flow period is that flow >= `taper_high_mg_s` for `taper_high_blocks` blocks
# (a leaky count: a block below takes one off), not before 6 accepted blocks after a hold (a
# re-based step is not flow), and while the weight is unsettled (massage strokes) only on a
# bottle that already had a letdown, for 10 blocks (only a negative flow takes one off); its
# taper is the flow then under `taper_mg_s` (research threshold 0.1 g/s) for `taper_blocks`
# blocks (a leaky count too: a block above takes one off; under massage strokes a high block
# does not count at all). One taper per period. For 20 blocks after a taper a new period
# needs the flow 40 mg/s above the threshold (hysteresis): the flow is still decaying near the
# threshold there and the estimate's scatter (+-30-40 mg/s) would re-enter and taper again.
# On a bottle that tapered with no letdown since, a run that counted a block under strokes or
# while the 8-block flow spanned the tilt correction's error step needs the 10 blocks too, the
# weight settled or not (round 43: strokes let go, or a lean of a bottle heavier than the 125 g
# assumed, entered a period of no milk and tapered again); after a letdown it needs 4 again.
#
# Causality: decisions are made at the sample that closes a block. A joint decision is made
# at the last channel's call; a letdown it gives to an earlier channel is returned at that
# channel's next call (one sample later).
# Limits: an ejection whose milk stays within ~4 noise units for its first seconds is found
# late (latency grows as noise^(1/3)); one that starts during massage strokes is found by the
# slow path only if its flow is strong (its envelope rises in steps of the stroke period);
# a hold restarts the CUSUM's baseline (no decision for ~12 s after it).
# Integers (slow path): envelope values relative to the newest block, clamped to +-65,535 mg;
# slope sums <= 50 x 65,535; one-block rise x 1000 < 1.4e8.
# Integers: values are relative to the window's newest block, clamped to +-65,535 mg; the
# slope sums are <= 32 * 32 / 2 * 65,535 * 4 < 2**28; z is clamped to +-20 noise units.
#
# Configuration keys (read once, in __init__), with units:
#   ld_base_blocks       int blocks 20   baseline window (10..32)
#   ld_min_base_blocks   int blocks 10   good blocks needed in the baseline before deciding
#   ld_guard_blocks      int blocks 2    the baseline ends this far before the newest block
#   ld_k_q4              int 1/16 sd 24  CUSUM allowance k (noise units x 16)
#   ld_h_q4              int 1/16 sd 52  CUSUM threshold h (noise units x 16)
#   ld_part_pct          int %      25   share of h a bottle's own CUSUM needs in a joint call
#   ld_sync_s            int s      10   window after the other bottle's letdown ...
#   ld_sync_pct          int %      35   ... in which this share of h (and of the floor
#                                        path's need) is enough
#   ld_gap_s             int s      20   no second letdown on a bottle sooner than this
#   ld_rearm_pct         int %      20   re-arm once the flow fell this much below its peak
#   ld_rearm_mg_s        int mg/s   30   ... and at least this much
#   ld_noise_floor_mg    int mg     20   lowest block noise believed (drip quantisation)
#   ld_max_accel_mg_s2   int mg/s^2 250  fastest flow change of an ejection (physics check)
#   flow_bin_ms, flow_block_bins         read to know the block length (flow.py documents them)
#   taper_high_mg_s      int mg/s   100  a high-flow period is at least this flow ...
#   taper_high_blocks    int blocks 4    ... for this many blocks (periods < 5 s do not count;
#                                        the estimate is ~8-10 s wide: a 5-s period of the
#                                        5-s mean flow shows as ~4 blocks above the threshold)
#   taper_mg_s           int mg/s   100  a taper is the flow under this ...
#   taper_blocks         int blocks 6    ... for this many blocks (leaky: one above takes one off)
from array import array

import micropython
from micropython import const

from pipeline.blockfilter import WORD_SX

_EV_NONE = const(0)
_EV_LETDOWN = const(1)
_EV_TAPER = const(2)
_STILL_SETTLING = const(-1)  # flow.py's Block.still: one of the motion's first blocks ...
_STILL_PRESSED = const(-2)  # ... and the weight fell while moving (a hand on the bottle)
_FOUND_RISE = const(1)  # events.FOUND_*: how the latest letdown was found
_FOUND_SLOW = const(2)
_FOUND_RESUME = const(3)
_FOUND_MILK = const(4)
_FOUND_FLOOR = const(5)
_FOUND_WALK = const(6)
_NEVER = const(-100000000)
_RING = const(32)  # blocks kept per channel (held ones skipped)
_VCLAMP = const(65535)  # window values relative to the newest, mg
_ZCLAMP = const(320)  # +-20 noise units, x16
_MAX_WIN = const(32)
_RISE_BLOCKS = const(5)  # a letdown needs the least-squares slope of the newest 5 blocks ...
_RISE_Q4 = const(24)  # ... at least 1.5 standard errors (x16) above zero (still rising)
_SD_CAP = const(2)  # the residual scale is at most twice the block noise, or 100 mg: the
_SD_CAP_MIN_MG = const(100)  # pump ripple aliased through the triangle and the 1-s blocks
# wobbles by up to ~50-100 mg over 3-5 s, which second differences do not measure
_SD_MIN_MG = const(50)  # ... and the evidence's unit is at least this: at 40-320 Hz a block
# averages the noise down to 20-40 mg, but the ripple's wobble stays (a 320-Hz no-milk
# session gave a letdown on a 0.15-g wobble at 6 noise units)
_LEAN_MG = const(200)  # a fall of the newest blocks' mean this far (+ 4 noise + the flow's
# share) below the means of the blocks 3-11 back: a small lean with no accelerometer (module
# comment) ...
_LEAN_MAX_BLOCKS = const(300)  # ... remembered this long at most
_LEAN_MIN_BLOCKS = const(10)  # its return restarts the baseline after a lean this long only
_LEAN_REST_BLOCKS = const(30)  # no new fall is taken this soon after a return
_ZMAX_Q4 = const(48)  # one block adds at most 3 noise units (x16) to the evidence: milk
# rises smoothly, so an ejection's evidence builds over several blocks; a press cannot decide
_ABOVE_LOW_SD = const(3)  # a crossing needs the newest block this many sd above the
# baseline's lowest block (strokes only add weight)
_STEP_BLOCKS = const(4)  # _stopped looks at the one-block rises of this many newest blocks
_JOINT_FAST = const(3)  # a joint crossing after this few blocks of evidence waits a block
_TILT_SD_BLOCKS = const(8)  # a steady tilt's own noise: from this many second differences
_TILT_DRIFT_MG = const(250)  # the tilt error may move this far (module comment above) ...
# slow path (onsets under massage strokes, movement, after holds): the lower envelope is the
# minimum over 5 blocks (pressure only adds weight, milk never leaves); its least-squares
# slope over the newest 10 envelope values ("now") must be, for 3 blocks in a row:
_ENV_BLOCKS = const(5)
_SLOW_W = const(10)
_SLOW_MG_S = const(60)  # at least 60 mg/s (a sustained flow; warm-up drift is <= 40) ...
_SLOW_MAX_MG_S = const(1500)  # ... and at most this (faster is a step, not milk);
_SLOW_RISE_MG_S = const(80)  # at least 80 mg/s above 150 % of the slope over the 10
_SLOW_BEFORE_PCT = const(150)  # envelope values before (flow was low or decaying);
_SLOW_LATE_PCT = const(80)  # the newest 5 values' slope >= 1 / 80 % = 1.25 x it (still
# speeding up: under strokes a flow that only holds is often their residue), or, on quiet
# blocks (the newest _SLOW_W + _ENV_BLOCKS - 1 good, no hold or gap in both windows),
# >= 80 % of it (a flow that levels off: an onset just after massage, where the CUSUM has no
# baseline yet); either way the slope before not falling faster than _SLOW_MG_S (milk never
# leaves: an envelope that fell is a tilt's or a lift's fall, often across a hold, and no flow
# to compare with; a tilt with no accelerometer over a decaying flow gave false letdowns);
_SLOW_JUMP_X = const(3)  # no one-block rise above 3 x the slope + 4 noise (a step); in a
# quiet stretch the block values themselves still rising (the CUSUM's test: a step stopped);
_SLOW_RUN = const(3)
_SLOW_SPAN = const(2 * _SLOW_W + _ENV_BLOCKS - 1)  # blocks until a step in the envelope has
# left both its windows (the newest 10 envelope values and the 10 before, 5 blocks each)
_SLOW_WAIT = const(_SLOW_SPAN)  # and not in the first 24 blocks of a
# not-good stretch (massage strokes, a press the coach did not ask for): the blocks at the
# strokes' troughs lie 0.2-0.7 g above the weight, so the envelope steps up as they start and
# the step reads as a rise until both windows have passed it, as for a tilt below (10 blocks
# covered neither: control-1300 and control-1601 of seeds 1300 and 1600, no milk, letdowns
# 11-13 s into a press at 5 Hz), nor within as many blocks of a hold or gap inside one: the
# envelope steps across it (control-405 of seeds 400 at noise draw 43, no milk: two walks
# under a press, the blocks -0.1-0.5 g before the hold and the strokes' 0.9-4 g after it, a
# letdown 4 blocks after the hold; late_me-404 of seeds 400 at every draw, the level 10 g up
# after a walk and a press held it, the milk of an ejection at 559 s, reported 3 blocks after
# the hold as a new one)
# ... and, inside a not-good stretch, after a new frame (the flow stage re-based: the shift it
# absorbed across a hold is a guess, and under strokes the envelope's troughs came out 1.2-2 g
# higher in the new frame: control-602 of seeds 600 at draw 32, no milk, a lean with no
# accelerometer held during a press, a letdown 6 blocks after the rebase. On good blocks the
# wait is not asked: an ejection that begins as a lean's hold ends is the slow path's to find,
# few-402 of seeds 400 with fast rises at draw 33, 12 s after the rebase)
# ... and the slow path waits this long after the tilt error moved: until both its windows
# have passed the step; a wait for the newest window only left the step in the one before,
# and the flow then measured from it passed for a rise (a 150-g bottle tilted 20 degrees in a
# decaying flow: a letdown 20 s in)
_TILT_WAIT = const(_SLOW_SPAN)

# Resume path (milk that arrived during a disturbance: a hold, massage strokes, walking, a tilt,
# a gap): the level of the last good stretch (>= _PRE_BLOCKS good blocks) and its flow are
# kept (the weight itself: v_mg + offset_mg, so what the flow stage absorbed as offsets does
# not matter). When the weight is good again for _POST_BLOCKS blocks (one fewer when the extra
# milk, the flow after and its rise are twice what the test asks), and at each good block after
# up to _POST_LAST, its level is compared with the level before projected by the flow
# before (the tilt correction's possible error added to the margin when the tilt changed
# between the two). Milk never leaves and a hand only adds
# weight, so a settled level above the projection by more than the noise allows, with milk
# still arriving faster than before, is milk only an ejection explains: a letdown at once,
# its onset estimated from the extra milk and the rise in flow (_onset_back). Not when the
# onset lies more than _LATE_MAX_MS back, nor when it is not after the bottle's last letdown
# (that letdown's ejection, its rise gone on through the hold: round 59). After a taper (one
# since the bottle's last letdown, the flow before under the taper threshold) the flow before is
# an ejection's tail, which only decays: it is projected over _DECAY_MS at most and taken to
# have ended after that, so the ejection is dated from the whole flow after. Projected over a
# 55-s hold, a tail of 57 mg/s (time constant 40 s) ran 1.4-1.7 g past the milk it brought and
# hid the next ejection's (round 75 in docs/detection-history.md). The flow after must still
# rise above the flow before, as a decaying tail does not. The flow before is the newest 8 good
# blocks' line;
# while the CUSUM holds evidence there, its baseline's slope when that is lower (round 58 in
# docs/detection-history.md: an ejection that began just before a tilt lifted the 8-block line
# by its first seconds, and the flow in the tilt was then too little above it), until a letdown
# is reported (_fire: that ejection's milk is then explained).
_PRE_BLOCKS = const(6)
# A gap (no samples for a few seconds: the sampler stalled) is no disturbance: the bottle sat on
# the cell unsampled, and milk that came meanwhile is in the blocks after it. Up to _GAP_BLOCKS
# missing blocks after a good block are bridged: the first block after them (its 2-s triangle
# still holds the bins before the gap) waits, and when the next one is good the ring takes the
# line from the last good block to it for the missing blocks and the waiting one; the good
# stretch and the CUSUM's evidence go on (a restart cost ~12 blocks with no decision; round 34
# in docs/detection-history.md). The line is no observation: the CUSUM's baseline ends before
# it; for _POST_LAST blocks a crossing needs 4 observed blocks among the 5 `_rising` fits, rising
# at the line's rate at least (milk that came during the gap still comes after it; a step
# across it stays flat), or at half of it and 3 standard errors clear of zero (an ejection that
# peaked in the gap decays after it: round 65); evidence that began with the gap and has not
# decided by then restarts the baseline. A gap right after a waiting block is not bridged (the
# waiting block is in no ring)
_GAP_BLOCKS = const(8)
_POST_BLOCKS = const(6)
_POST_LAST = const(12)  # ... and again at each good block up to this one, the reference from
# before kept until then: an ejection that began near the disturbance's end is still rising at
# the first test (its flow after not yet above the flow before), and the CUSUM has no baseline
# before ld_min_base_blocks good blocks
# inside a steady tilt the correction moves by ~ (bottle + milk) / bottle_mg's span x the change
# of Block.tilt_err_mg: at least bottle_mg's 125 g / 25 g (_resume's frame test)
_TILT_GAIN = const(5)
# ... and its speed-up branch, in any good stretch (most follow a disturbance): between ejections
# the flow only decays, so a flow that sped up within the stretch, from its first _RISE_BLOCKS
# blocks to its newest (the windows the third branch's ramp is dated with), is a new ejection. An
# ejection that began during a hold, or in its last seconds, is still rising at the stretch's first
# blocks, and those blocks are both the CUSUM's first baseline (it follows the rise and never
# crosses) and the reference's flow (the level tests find no extra milk). Tested at its
# _SPEED_FIRST .. _SPEED_LAST-th good block while armed, for _SPEED_RUN blocks in a row: the newest
# flow at least _SPEED_MG_S (at most _SLOW_MAX_MG_S), at least max(_SPEED_RISE_MG_S, 3 standard
# errors of the two slopes' difference) above the first one, which is not falling (a fall is the
# weight still settling from the disturbance); the newest level above the first blocks' line by
# _RESUME_MIN_MG + 4 noise units; the newest blocks rising smoothly (no step: a stroke, a tilt's
# return). Not while the slow path still waits after the tilt correction's error moved or after a
# new frame (_TILT_WAIT, _SLOW_WAIT: a turn's error drifting in a steady tilt, a re-based lean with
# no accelerometer easing back up read as a flow speeding up: few-202 and late_me-200 of seeds 200
# at draw 98, no new ejection). Its onset: _onset_back from that extra milk and the rise in flow,
# within the stretch (round 67: many-403 of seeds 400 with fast rises, many-300 of seeds 300, an
# ejection whose rise filled the first good blocks after a walk)
_SPEED_FIRST = const(10)
_SPEED_LAST = const(14)
_SPEED_RUN = const(2)
_SPEED_MG_S = const(120)
_SPEED_RISE_MG_S = const(60)
_RESUME_MIN_MG = const(400)  # the extra milk at least this + 4 noise units + the flow
# before's error over the disturbance (~noise / 4 per block: an 8-block slope's SE is 0.15 sd)
_RESUME_MG_S = const(60)  # the flow after at least this (a sustained flow: drift <= 40) ...
_RESUME_RISE_MG_S = const(40)  # ... and this much above the flow before
_RESUME_FRAME_MG_S = const(150)  # after a frame change: the flow after at least this above
# the flow before (the levels cannot be compared)
_D2_ANY = const(1 << 29)  # _d2_sum with no limit (|d2| of ring values stays far below)
_RESUME_MAX_BLOCKS = const(300)  # a disturbance longer than 5 min: no projection believed
_MILK_GOOD = const(4)  # milk path (_milk_back): the newest blocks good, this many, ...
_MILK_TRY_BLOCKS = const(10)  # ... tried in the first blocks of a high-flow period
_RISE_HALF_MS = const(8000)  # half an ejection's typical rise (8-25 s)
_RAMP_MG_S = const(60)  # a baseline rising this fast lies on an ejection's rise (mg/s)
_DECAY_MS = const(30000)  # a tapered flow before: projected over this at most (module comment)
_LATE_MAX_MS = const(30000)  # an onset further back than this is not reported: a `letdown`
# cue half a minute after the milk came is a wrong cue (issue 12), and the flow stage's own
# 60 mg/s rule has already counted the milk. The event's onset is (_C_BASE_AGE + 1) blocks
# back (_fire): each path tests the age it sets against that (round 32 and before let 31-32 s
# through: late_me-203 of seeds 200, an onset estimated 31 s back, the true one 34 s)


# Floor path (onsets under massage strokes, issue 12): a hand pressing on the bottle only ever
# adds weight and milk never leaves, so the lowest median-filtered bin of each block (the
# weight between strokes: Block.lo_mg + offset_mg, the raw weight, whatever the flow stage held
# or absorbed) has a running minimum over _FL_E blocks (longer than a stroke), the *floor*,
# that follows the milk. Each bin is carried forward by the floor's own flow before the minimum
# is taken (a rising floor would lag by the window otherwise); that flow comes from the floors
# not carried forward (from the carried ones it would feed on itself). Every block with a value
# feeds it, held or not. It restarts at a gap, and when something pulls the weight below the
# milk or shakes it: a block's lowest bin or the floor itself falling more than _FL_FALL_MG + 3
# sd (the lowest bins' scatter) below the floor, a rough block (walking: its roughness is the
# flow stage's; strokes are slow and rarely rough) or a tilt past the correction. It then waits
# until the weight has stayed back up at the floor from before for a whole floor window (a
# walk's swing brings some blocks back up, and a floor built on its troughs rises like milk
# after it), or _FL_WAIT blocks. A one-block rise of the floor beyond _FL_JUMP_MG + 4 noise is
# pressure with no pause between strokes (two hands, a hand resting): it restarts too. A
# letdown is, for _FL_RUN blocks in a row (one when the other bottle's floor rises by at least
# half this need too, or its letdown just came with its onset fresh: the breasts eject
# together, a hand presses each on its own): the floor's
# rise over the newest _FL_D blocks beyond the rise its slope over the _FL_B blocks before
# projects by _FL_MIN_MG + 4 noise units (x _FL_LONE_PCT % when the other bottle's floor shows
# under half of that), spread over the window (no one-block rise of the floor above
# _FL_STEP_PCT % of it) and still rising. The rise counts from no lower than the highest floor
# of the window before, less 4 noise units: milk never leaves, so a floor that dipped (a lean,
# a pump ripple beating against the blocks) and comes back has gained none. While hands are on
# (Detector.hands_free False: massage, hand expression, stimulation once asked for; or the
# weight has not stayed settled for 9 blocks: strokes the coach did not ask for) the rise over
# _FL_L blocks against the slope over the _FL_L before is tested too, with the same need (the
# joint test sums the two bottles' extras over the window bottle 1 took, _FL_D or _FL_L), and
# not until 2 _FL_L + _FL_E - 1 blocks after the last letdown (then none of its floors, each
# the lowest of _FL_E blocks, holds a block from before it): the ejections that come then are
# weak and slow, and over _FL_D blocks they rise little faster than the slope before, which
# holds their own start. It runs on every block while the channel is armed, and re-arms the
# channel itself (massage may go on for minutes: the CUSUM never sees the flow fall); not until
# 2 _FL_D + _FL_B blocks after the channel's last letdown (by any path), when both windows lie
# past that ejection's steepest rise: a slow one (25-s rise) still rises faster than the slope
# before it once the channel has re-armed 20 s on, and was reported twice (late_me-401 of seeds
# 400 with held presses). It never gives the session's first letdown (round 52): before any
# milk, a floor lifted by a hand that never lets go is all it can see.
_FL_RING = const(32)
_FL_E = const(7)  # the floor: minimum over this many blocks (strokes last 3-6 s)
_FL_D = const(8)  # the rise tested: over this many blocks ...
_FL_B = const(8)  # ... against the floor's slope over this many before
_FL_MIN_MG = const(800)  # the extra rise needed (+ 4 noise units), mg
_FL_LONE_PCT = const(150)  # ... on a bottle whose partner's floor does not rise
# two bottles: their sum against 0.62 x the sum of their needs (0.71, sqrt(2) x one need, made a
# joint false alarm under a press rarer than one bottle's own, though it is two letdowns: round
# 69 in docs/detection-history.md) ...
_FL_JOINT_PCT = const(62)
_FL_PART_PCT = const(30)  # ... each with at least this share of its own
_FL_STEP_PCT = const(75)  # no one-block rise of the floor above this share of it
_FL_RUN = const(2)
_FL_L = const(12)  # hands on, also: the rise over this many blocks against the slope over as
# many before
_FL_FALL_MG = const(600)  # a lowest bin or the floor this far (+ 3 sd) below the floor: restart
_FL_WAIT = const(60)  # after that: blocks to wait at most for the weight to return
_FL_ROUGH_RUN = const(2)  # rough blocks in a row that restart it (walking)
_FL_JUMP_MG = const(1500)  # a one-block rise of the floor beyond this (+ 4 noise): restart

# Walk path (onsets inside a walk, issue 12): the flow stage holds rough blocks and its block
# value runs grams off the weight while walking (its glitch rule, trimmed means and median of
# 3 drop the swing's extremes); the block filter's linear chain (Block.lin_mg: plain bin
# means through boxcars that cancel whole steps at 1.5-2.5 Hz) follows the milk within the
# noise. Its levels (lin_mg + offset_mg, median of 3 blocks: a spike passes a linear filter)
# of every block are kept. From the second rough block in a row until _WK_CALM_END blocks in
# a row are not rough, after _WK_MIN_BLOCKS of it, a letdown is, for _WK_RUN blocks in a row,
# while armed: the line through the newest _WK_W levels above the line through the _WK_B
# before them (extrapolated; never falling: milk never leaves) by _WK_MIN_MG + 4 x the walk's
# own scatter (from second differences of the levels), its flow a sustained one
# (_RESUME_MG_S, _RESUME_RISE_MG_S above the flow before, at most _SLOW_MAX_MG_S) that accounts
# for the extra milk, spread over the window (no one-level rise among the newest _WK_W above
# _WK_STEP_X x that flow + 4 sd: a hand that presses and holds during the walk lifts the
# level within a block or two, then holds it, and the line through the newest levels rises
# like milk until it lets go). An ejection that ramps up slowly (late lactation: 0.15 g/s
# reached over 20-25 s) lifts the line before with it, and the difference between the two
# lines stays under the need for the whole walk; so the level is also tested, the same way,
# against the last good stretch's level before the walk (the resume path's reference,
# _C_PRE_*) projected by its flow, by _RESUME_MIN_MG + 4 x the walk's scatter + the tilt
# correction's change + the flow before's error over the blocks since (about one standard
# error of its 8-block slope, 0.15 noise units a block: noise / 8 a block, half the resume
# path's allowance; the resume path decides at once, and there half gave 6 false letdowns
# more on the twelve sets, while here the 3-block run and the sustained flow guard): milk
# that only an ejection explains, as after a hold, found while the walk goes on (round 46 in
# docs/detection-history.md). A level _WK_FALL_MG + 3 sd below one of the newest
# _WK_TOP since the last such fall (a hand pressed, a tilt: milk never leaves) stops it for
# _WK_WAIT blocks from the fall's last block (a fall that takes a few blocks, a tilt with no
# accelerometer, is one fall: the levels before it are not compared again). Onset:
# _onset_back.
_WK_RING = const(16)
_WK_W = const(6)  # the flow now: least squares over this many linear levels ...
_WK_B = const(10)  # ... against the line through the _WK_B before them
_WK_TOP = const(8)  # the fall test looks this far back
_WK_MIN_MG = const(400)
_WK_RUN = const(3)
_WK_CALM_END = const(5)  # the walk ends after this many blocks in a row that are not rough
_WK_MIN_BLOCKS = const(4)  # blocks into the walk before a decision (its scatter is learned)
_WK_FALL_MG = const(300)  # a linear level this far (+ 3 sd) below one of the newest _WK_TOP:
_WK_STEP_X = const(2)  # no one-level rise in the newest _WK_W above this x the flow + 4 sd
_WK_WAIT = const(16)  # no decision until it has left the windows (a hand pressed, a tilt)
_WK_REF_BLOCKS = const(90)  # the level against the reference from before the walk: at most
# this many blocks after it (longer walks: the flow before's projection is not believed)


# the detector's per-channel integers (Detector._cs)
_C_POS = const(0)  # index of the newest value in the channel's ring
_C_GOOD = const(1)  # good blocks in a row (capped at _RING)
_C_SLOW_RUN = const(2)  # slow path: blocks in a row its test passed
_C_SEEN = const(3)  # flow_stage.block_k last looked at
_C_D2_ABS_Q4 = const(4)  # EWMA of |second difference| x 16, mg
_C_CUSUM_Q4 = const(5)  # CUSUM, noise units x 16
_C_CUSUM_LEN = const(6)  # blocks the CUSUM has been positive
_C_RES_ABS_Q4 = const(7)  # EWMA of |residual| x16, mg
_C_Z_Q4 = const(8)  # newest standardized residual, x16
_C_Z_BLOCK = const(9)  # its block number
_C_CONFIRM_V = const(10)  # the block value at the crossing, mg
_C_PEAK = const(11)
_C_LAST_LD_MS = const(12)
_C_FAST = const(13)  # 8-block flow, mg/s
_C_HIGH_RUN = const(14)
_C_LOW_RUN = const(15)
_C_AFTER_TAPER = const(16)  # blocks left in which re-entry needs a margin
_C_BASE_MG = const(17)  # the level before the milk (baseline), mg ...
_C_BASE_AGE = const(18)  # ... at this age (blocks before the newest)
_C_SD = const(19)  # residual scale used by the newest decision, mg
_C_PRE_MG = const(20)
_C_PRE_FLOW = const(21)
_C_PRE_K = const(22)
_C_LIN_N = const(23)  # consecutive values in the linear ring (capped at _WK_RING)
_C_LIN_POS = const(24)  # index of the newest
_C_LIN1 = const(25)  # the two raw linear values before (median of 3), mg
_C_LIN2 = const(26)
_C_WALK = const(27)  # blocks into the current walk (0: none)
_C_WALK_CALM = const(28)  # blocks in a row in it that were not rough
_C_WALK_D2_Q4 = const(29)  # EWMA of the linear level's |second difference| in it, x16, mg
_C_WALK_RUN = const(30)  # blocks in a row the walk test passed
_C_WALK_WAIT = const(31)  # blocks left without a decision (the linear level fell)
_C_PRE_TILT = const(32)  # the tilt correction's possible error then (Block.tilt_err_mg)
_C_TILT_REF = const(33)  # ... the one the newest block was judged against
_C_TILT_WAIT = const(34)  # blocks the slow path still waits after the tilt error moved
_C_HOLD_K = const(35)  # the newest block held by the flow stage, or after a gap
_C_MILK_TRY = const(36)  # blocks the milk path still tries in this high-flow period
_C_FRAME_OFF = const(37)  # the flow stage's offset (Block.offset_mg) at the newest block
_C_FRAME_AGE = const(38)  # blocks since it last moved (a new frame: the flow restarts), capped
_C_TAPER_FLOW = const(39)  # the flow at the taper check before, mg/s
_C_STEP_FLOW = const(40)  # ... and at the one before the newest new frame or tilt step
_C_LEAN_MG = const(41)  # a fast fall no milk explains (a small lean): its size, mg (0: none)
_C_LEAN_REF = const(42)  # ... the level before it (ring frame), mg
_C_LEAN_K = const(43)  # ... the block it was seen
_C_LEAN_FLOW = const(44)  # ... and the flow before it (x6 mg per 3 blocks)
_C_SETTLED_N = const(45)  # quiet blocks in a row, not held nor unsettled (capped at _SETTLED)
_SETTLED = const(9)  # _C_SETTLED_N at this: the weight has settled (no stroke, no walk)
_C_GAP = const(46)  # blocks a bridged gap fills at the next good block (_GAP_BLOCKS; 0: none)
_C_SLOPE_MIN = const(47)  # the CUSUM baseline's lowest slope in this stretch, x8 mg per block
_C_TAPERED = const(48)  # 1: a taper since the bottle's last letdown; 2: ... and the high-flow
# run counted a block under strokes or across a tilt step (0: a letdown since, or no taper yet)
_C_STEP_WAIT = const(49)  # blocks the slow path still waits after a fresh press or a new frame;
# counted negative while the flow stage's weight is unsettled (-1: unsettled, no wait left)
_C_TE_LO = const(50)  # the lowest Block.tilt_err_mg in this run of good blocks ...
_C_TE_HI = const(51)  # ... and the highest (how far the tilt correction may have moved in it)
_C_BASE_B8 = const(52)  # the CUSUM baseline's slope as the prediction used it, x8 mg per block
_C_PRE_OFF = const(53)  # the flow stage's offset (Block.offset_mg) at the reference's stretch
_C_PEAK_MS = const(54)  # when the CUSUM's _C_PEAK was set, ms
_C_SPEED_RUN = const(55)  # the resume path's speed-up branch: blocks in a row its test passed
_C_SLOTS = const(56)
_NO_SLOPE = const(1 << 20)  # (none yet)


# the floor path's per-channel slots (Detector._fs)
_F_POS = const(0)  # index of the newest lowest bin in the rings
_F_N = const(1)  # valid blocks in a row (capped at _FL_RING)
_F_RUN = const(2)
_F_PEAK = const(3)  # highest floor flow since the letdown, mg/s
_F_REF = const(4)  # the floor before a fall below it, mg
_F_WAIT = const(5)  # blocks left to wait for the weight to return
_F_BACK = const(6)  # blocks in a row back up at that floor
_F_EXTRA = const(7)  # the newest extra rise, mg ...
_F_K = const(8)  # ... its block
_F_NEED = const(9)  # ... the rise it needed, mg
_F_BASE = const(10)  # ... and the level without the milk, mg
_F_SLOPE = const(11)  # the floor's rise per block, mg (>= 0)
_F_TOP = const(12)  # the highest floor of the newest _FL_D + 1, mg
_F_DEV_Q4 = const(13)  # EWMA of |lowest bin change| x16, mg
_F_SD = const(14)  # the lowest bins' scatter (sd), mg
_F_ROUGH = const(15)  # rough blocks in a row
_F_AGE = const(16)  # ... its age, blocks (which window's extra it was)
_F_SLOTS = const(17)


# Taper entry (module constants, not keys): a high-flow period starts only when the 8-block
# flow no longer spans a hold (6 accepted blocks since it: a re-based step made false
# periods), and under massage strokes (weight unsettled) only on a bottle that already had a
# letdown, after 10 blocks at the threshold (the strokes scatter the estimate both ways); so
# does a run, after a taper with no letdown since, that counted a block under strokes or within
# _TAPER_FRESH_BLOCKS of a tilt error's step (_C_TAPERED 2)
_TAPER_CALM_BLOCKS = const(6)
_TAPER_MASSAGE_BLOCKS = const(10)
# Re-entry after a taper (hysteresis): the flow at a taper is still decaying slowly near the
# threshold (an ejection decays over 15-140 s), and the 8-block estimate scatters +-30-40 mg/s
# around it, so it re-crossed the threshold for a few blocks and gave a second taper for one
# ejection. For 20 blocks after a taper (a new ejection needs its 8-25 s rise from a trickle
# before its flow is high) a new period needs the flow 40 mg/s above the threshold.
_TAPER_AFTER_BLOCKS = const(20)
# No taper while milk still arrives by a faster measure: the floor's flow at the threshold, or
# the newest 4 good blocks' least-squares flow 50 mg/s above it (a new ejection starting; 50
# is 1-2 standard errors of a 4-block slope at the noise of a still bottle, 0.45 sd per block;
# at 100, round 32 and before, tapers came 5-7 s into the next ejection's rise). Under massage
# strokes (the weight unsettled) also the floor's rise over its newest _TAPER_FLOOR_BLOCKS floors
# at the threshold: the floor's one-block slope and the robust flow both scatter with the
# strokes, and the robust flow's low blocks count toward a taper while its high ones do not, so
# a flow hovering just over the threshold under a long press was tapered early, again and again
# (continuous-404 of seeds 400 at draw 85: five tapers at 0.11-0.18 g/s of true flow; round 65)
_TAPER_FIT_BLOCKS = const(4)
_TAPER_FLOOR_BLOCKS = const(16)
_TAPER_RISE_MG_S = const(50)
_TAPER_REENTRY_MG_S = const(40)
# A step in the weight's frame spoils the 8-block flow (flow_window_blocks) until its window
# has passed it: a new frame (the flow stage's offset moved: a rebase or its undoing) starts
# the flow's ring afresh, and after a rebase that credited the prediction the lower envelope's
# old low made the estimate fall to 0 and climb back over 8 blocks with 0.17 g/s flowing
# (late_me-004); the tilt correction's error steps as a tilt begins and ends ((bottle - the
# 125 g assumed) x (1/cos - 1)), and the slope across it read -180 mg/s with 0.25 g/s flowing.
# When the flow before the step was above the threshold by _TAPER_STEP_MG_S (one just above
# it may be tapering as the step comes: under held presses in continuous-203 of seeds 200 the
# flow read 101 mg/s before a press's rebase, and its taper came 24 s later for the rule), for
# 8 blocks after the step a low flow does not count toward a taper: after a tilt step not at
# all, after a new frame only while it falls (a flow that climbs back is the estimate
# rebuilding)
_TAPER_FRESH_BLOCKS = const(8)
_TAPER_STEP_MG_S = const(20)


# The detector's settings, read once in __init__: one array('i'), a slot each (Detector._k). An
# attribute's name would be interned (a heap entry per name) and take a place in the instance's
# map; a slot is 4 bytes.
_K_BASE = const(0)
_K_MIN_BASE = const(1)
_K_GUARD = const(2)
_K_ALLOW_Q4 = const(3)
_K_THRESH_Q4 = const(4)
_K_PART_Q4 = const(5)
_K_SYNC_MS = const(6)
_K_SYNC_PCT = const(7)
_K_THRESH_SYNC_Q4 = const(8)
_K_GAP_MS = const(9)
_K_REARM_PCT = const(10)
_K_REARM_MIN = const(11)
_K_NOISE_FLOOR = const(12)
_K_ACCEL_MAX_MG = const(13)
_K_BLOCK_MS = const(14)
_K_HIGH = const(15)
_K_HIGH_BLOCKS = const(16)
_K_TAPER = const(17)
_K_TAPER_BLOCKS = const(18)
# ... and two integers of state, not settings: the joint CUSUM, and a joint crossing waiting for
# its confirming block. In this array, not attributes of their own: a Detector with 24
# attributes grows its attribute table to 29 slots (464 B in one block at session start, the
# ROMFS app run's heap then fragmented: its MemoryError in 64 KB, round 74)
_K_JOINT_Q4 = const(19)
_K_JCONF = const(20)
_K_SLOTS = const(21)


class Detector:
    def __init__(self, cfg, n_channels):
        g = cfg.get
        self._k = array("i", bytes(4 * _K_SLOTS))  # the settings (_K_*; and two of state)
        self._k[_K_BASE] = min(max(g("ld_base_blocks", 20), 10), _MAX_WIN)
        self._k[_K_MIN_BASE] = min(max(g("ld_min_base_blocks", 10), 4), self._k[_K_BASE])
        self._k[_K_GUARD] = max(g("ld_guard_blocks", 2), 0)
        self._k[_K_ALLOW_Q4] = g("ld_k_q4", 24)
        self._k[_K_THRESH_Q4] = g("ld_h_q4", 52)
        self._k[_K_PART_Q4] = self._k[_K_THRESH_Q4] * g("ld_part_pct", 25) // 100
        self._k[_K_SYNC_MS] = g("ld_sync_s", 10) * 1000
        self._k[_K_SYNC_PCT] = g("ld_sync_pct", 35)
        self._k[_K_THRESH_SYNC_Q4] = self._k[_K_THRESH_Q4] * self._k[_K_SYNC_PCT] // 100
        self._k[_K_GAP_MS] = g("ld_gap_s", 20) * 1000
        self._k[_K_REARM_PCT] = g("ld_rearm_pct", 20)
        self._k[_K_REARM_MIN] = g("ld_rearm_mg_s", 30)
        self._k[_K_NOISE_FLOOR] = g("ld_noise_floor_mg", 20)
        block_ms = g("flow_bin_ms", 200) * g("flow_block_bins", 5)
        # fastest flow change of an ejection (1.2 g/s over 8 s, raised cosine: ~240 mg/s^2),
        # as mg per block^2
        self._k[_K_ACCEL_MAX_MG] = (
            g("ld_max_accel_mg_s2", 250) * block_ms // 1000 * block_ms // 1000
        )
        self._k[_K_BLOCK_MS] = block_ms
        self._k[_K_HIGH] = g("taper_high_mg_s", 100)
        self._k[_K_HIGH_BLOCKS] = g("taper_high_blocks", 4)
        self._k[_K_TAPER] = g("taper_mg_s", 100)
        self._k[_K_TAPER_BLOCKS] = g("taper_blocks", 6)
        n = n_channels
        self.n_channels = n
        self._ring = array("i", bytes(4 * n * _RING))
        # the per-channel integers: one array('i'), _C_SLOTS slots per channel (_C_*)
        self._cs = array("i", bytes(4 * n * _C_SLOTS))
        self.noise_mg = array("i", [0] * n)  # block noise (sd), mg
        self._armed = bytearray(n)
        # pending[ch]: a joint decision left for ch (FOUND_*). For the caller, read-only (the
        # fast path): update(t_ms, ch, fs) changes nothing and returns EV_NONE unless
        # fs.block was written since its last call for ch or pending[ch] is set, so a caller
        # may skip it then
        self.pending = bytearray(n)
        self._confirm = bytearray(n)  # a lone crossing waits one block for its confirmation
        self._in_high = bytearray(n)
        self.letdowns = array("i", [0] * n)
        self.tapers = array("i", [0] * n)
        self._fit_pred = 0
        self._fit_end = 0
        self._fit_b8 = 0
        self.onset_ms = array("i", [0] * n)  # estimated onset of the latest letdown, ms
        self.found_by = bytearray(n)  # how it was found (FOUND_*)
        # resume path: the last good stretch's level (the weight, mg), its flow (mg/s), its
        # block, and whether a disturbance came since (1) or the level is not known (0 / -1)
        # [ch]: a disturbance since the resume path's reference; [2 + ch]: the newest block
        # was good only as a steady tilt; [4 + ch]: in the motion's first blocks, good while
        # settling; [6 + ch]: a hand seen on the other bottle since they began; [8 + ch]: a
        # hand on this one (the flow stage's fall while moving) at its newest block (one
        # object for all: the app's heap, 64 KB, is full)
        self._pre_dist = bytearray(n + 8)
        # floor path: raw lowest bins of consecutive valid blocks, newest at slot _F_POS
        self._fl = array("i", bytes(4 * n * _FL_RING))
        # the floor path's state per channel: one array('i'), _F_SLOTS slots per channel
        self._fs = array("i", bytes(4 * n * _F_SLOTS))
        for ch in range(n):
            self._fs[ch * _F_SLOTS + _F_K] = -1
            self._fs[ch * _F_SLOTS + _F_DEV_Q4] = 300 * 16
            self._fs[ch * _F_SLOTS + _F_SD] = 260
        self._fl_fu = array("i", bytes(4 * n * _FL_RING))  # the floor after each, mg
        # walk path: the linear levels (median of 3, raw frame) of consecutive blocks
        self._lr = array("i", bytes(4 * n * _WK_RING))
        for ch in range(n):
            self._armed[ch] = 1
            self._cs[ch * _C_SLOTS + _C_SEEN] = -1
            self._cs[ch * _C_SLOTS + _C_Z_BLOCK] = -1
            self._cs[ch * _C_SLOTS + _C_LAST_LD_MS] = _NEVER
            self._cs[ch * _C_SLOTS + _C_SD] = 100
            self._cs[ch * _C_SLOTS + _C_PRE_K] = -1
            self._cs[ch * _C_SLOTS + _C_D2_ABS_Q4] = 160 * 16  # ~100 mg until learned
            self._cs[ch * _C_SLOTS + _C_RES_ABS_Q4] = 120 * 16
        # set by the session from the coach's phase: True while the wearer pumps hands-free
        # (before the coach asks for stimulation, and after a letdown until it asks for
        # massage); a lone bottle's crossing then needs no confirmation block (it guards
        # against the first stroke of a hand), unless that bottle's flow has tapered since
        # its last high-flow period (_letdown: she may massage then unasked)
        self.hands_free = False

    # -- per sample ------------------------------------------------------------------------
    @micropython.viper
    def update(self, t_ms: int, ch: int, fs) -> int:
        # viper: the channel's slots read through ptr32 (sign-extended where they can be
        # negative), the block record's fields as objects; the ring push and the block noise
        # (second differences) written out here
        cs = ptr32(self._cs)  # noqa: F821 (viper built-in)
        sx = int(WORD_SX)
        cb = ch * _C_SLOTS
        pend = ptr8(self.pending)  # noqa: F821
        if pend[ch]:
            # a lone crossing confirmed a block later, or the other bottle's joint call
            ptr8(self.found_by)[ch] = pend[ch]  # noqa: F821
            pend[ch] = 0
            self._fire(t_ms, ch)
            fs.milk_started((cs[cb + _C_BASE_MG] << sx) >> sx, (cs[cb + _C_BASE_AGE] << sx) >> sx)
            return _EV_LETDOWN
        blk = fs.block  # the one record the detector reads (flow.Block)
        k = int(blk.k)
        last = (cs[cb + _C_SEEN] << sx) >> sx
        if k == last:
            return _EV_NONE
        cs[cb + _C_SEEN] = k
        consecutive = k == last + 1
        bridge = (cs[cb + _C_GAP] << sx) >> sx  # blocks to fill before this one, if good
        gapn = 0  # a gap's missing blocks, to bridge (_GAP_BLOCKS)
        if not consecutive and last >= 0 and k - last - 1 <= _GAP_BLOCKS and bridge <= 0:
            if ((cs[cb + _C_GOOD] << sx) >> sx) > 0:
                gapn = k - last - 1
        if bridge > 0:
            cs[cb + _C_GAP] = 0
        if not consecutive or bridge < 0:
            bridge = 0
        off = int(blk.offset_mg)
        d = off - ((cs[cb + _C_FRAME_OFF] << sx) >> sx)
        if d != 0:
            cs[cb + _C_FRAME_OFF] = off
            # the flow stage re-based: it absorbed a shift that came while it held, and the
            # block that re-based came in the old frame (its value and offset both), as did
            # any it accepted after that hold; the blocks from here on come in the new one.
            # Those blocks move to the new frame, or the run of good blocks after every
            # re-base begins a whole offset away from the rest, and its first decision
            # restarts the baseline (continuous-302, seeds 300: an onset 20 s after a tilt
            # found at +21 s instead of +11 s). The blocks before the hold stay: the shift
            # came after them (so does the first block after a gap, pushed before the re-base
            # as the hold's blocks are not: one block, and a gap just before a re-base is rare).
            r = ptr32(self._ring)  # noqa: F821
            n = k - 1 - ((cs[cb + _C_HOLD_K] << sx) >> sx)
            if n > _RING:
                n = _RING
            i = int(cs[cb + _C_POS])
            while n > 0:
                r[ch * _RING + i] = r[ch * _RING + i] - d
                i = (i - 1) & (_RING - 1)
                n -= 1
            cs[cb + _C_CONFIRM_V] = ((cs[cb + _C_CONFIRM_V] << sx) >> sx) - d
            cs[cb + _C_LEAN_MG] = 0
            cs[cb + _C_FRAME_AGE] = 0
            cs[cb + _C_STEP_FLOW] = cs[cb + _C_TAPER_FLOW]
        elif cs[cb + _C_FRAME_AGE] < _TAPER_FRESH_BLOCKS:
            cs[cb + _C_FRAME_AGE] = cs[cb + _C_FRAME_AGE] + 1
        held = 1 if blk.held else 0
        # a fresh press: the flow stage saw the weight fall (strokes) after it had settled
        # from the last one. Its troughs step the lower envelope up, as at the start of a
        # not-good stretch (_SLOW_WAIT), also inside one: a second hand, or a harder press,
        # on a bottle already pressed (control-005 of the fixed set on fresh noise: two
        # overlapping presses, no milk, the slow path's letdown 4-8 s into the second).
        # So does a new frame (above): the shift the flow stage absorbed across a hold is a
        # guess, and the envelope's windows would straddle it (module constants, _SLOW_WAIT)
        pw = (cs[cb + _C_STEP_WAIT] << sx) >> sx
        wait = -pw - 1 if pw < 0 else pw
        if wait > 0:
            wait -= 1
        if d != 0:
            wait = _SLOW_WAIT
        if int(blk.unsettled) > 0:
            if pw >= 0:
                wait = _SLOW_WAIT
            cs[cb + _C_STEP_WAIT] = -wait - 1
        else:
            cs[cb + _C_STEP_WAIT] = wait
        if held or not consecutive:
            cs[cb + _C_HOLD_K] = k  # the ring's values before may be in another frame
        code = _EV_NONE
        r = ptr32(self._ring)  # noqa: F821
        rb = ch * _RING
        good = 0
        tb = ptr8(self._pre_dist)  # noqa: F821
        tb[2 + ch] = 0
        # the tilt correction's error moved (a slow lean): not milk, whatever else holds
        te = int(blk.tilt_err_mg)
        moved = te - ((cs[cb + _C_TILT_REF] << sx) >> sx)
        if moved < -_TILT_DRIFT_MG or moved > _TILT_DRIFT_MG:
            moved = 1
            cs[cb + _C_TILT_REF] = te
            cs[cb + _C_TILT_WAIT] = _TILT_WAIT
            cs[cb + _C_STEP_FLOW] = cs[cb + _C_TAPER_FLOW]
        else:
            moved = 0
            if cs[cb + _C_TILT_WAIT] != 0:
                cs[cb + _C_TILT_WAIT] = cs[cb + _C_TILT_WAIT] - 1
        settle = 0
        if held == 0 and (consecutive or gapn > 0) and moved == 0:
            if int(blk.unsettled) <= 0:
                if blk.quiet:
                    good = 1
                elif int(blk.still) == _STILL_SETTLING:
                    # the motion's first blocks, calm on this bottle (a hand may be on the
                    # other): the good stretch and the evidence go on, and wait for the first
                    # quiet block to decide (a fall before then restarts them)
                    if ((cs[cb + _C_GOOD] << sx) >> sx) > 0 and int(self.n_channels) == 2:
                        good = 1
                        settle = 1
                elif blk.steady_tilt:
                    # a steady corrected tilt: its error is a constant offset, the weight's
                    # changes are milk (not for the joint evidence: see _letdown)
                    good = 1
                    tb[2 + ch] = 1
        # (tb, _pre_dist's bytes: [8 + ch] a hand on this bottle now, [4 + ch] in the motion's
        # first blocks, [6 + ch] a hand seen on the other bottle since they began)
        tb[8 + ch] = 1 if int(blk.still) == _STILL_PRESSED else 0
        if settle:
            tb[4 + ch] = 1
            if tb[9 - ch]:  # (settling is only ever set with two bottles)
                tb[6 + ch] = 1
        elif tb[4 + ch]:
            # the motion's first blocks are over: their evidence stands only if a hand was
            # seen on the other bottle (one accelerometer moves for a hand on either); else
            # the stretch restarts here, as it would have at the motion's start
            tb[4 + ch] = 0
            if tb[6 + ch] == 0 and good:
                self._restart(ch)
                tb[ch] = 1
            tb[6 + ch] = 0
        if gapn > 0:
            if good:
                cs[cb + _C_GAP] = gapn + 1  # this block waits (module constants)
            good = 0
        if good:
            # the ring first: a taper check asks the newest good blocks, this one included
            p = int(cs[cb + _C_POS])
            if bridge > 0:
                # a bridged gap: its blocks on the line from the last good block to this one
                v0 = (r[rb + p] << sx) >> sx
                dv = int(blk.v_mg) - v0
                j = 1
                while j <= bridge:
                    p = (p + 1) % _RING
                    r[rb + p] = v0 + dv * j // (bridge + 1)
                    j += 1
                # ... which are no observations: the CUSUM's baseline ends before them, and
                # the milk that came meanwhile may show all at once
                if cs[cb + _C_CUSUM_Q4] == 0:
                    cs[cb + _C_CUSUM_LEN] = 0
                cs[cb + _C_CUSUM_LEN] = cs[cb + _C_CUSUM_LEN] + bridge
                cs[cb + _C_GAP] = -_POST_LAST
            p = (p + 1) % _RING  # _push, written out
            cs[cb + _C_POS] = p
            r[rb + p] = int(blk.v_mg)
        if held == 0 and int(blk.accepted) >= 3:
            code = int(self._taper_check(ch, blk.flow_mg_s, blk.unsettled, blk.calm, good))
        how = 0
        if self._floor(t_ms, ch, k, consecutive, blk):
            how = _FOUND_FLOOR
        # the walk path (module constants above), its every-block part written out: the
        # linear level (median of the newest three, raw frame) into its ring, and the walk's
        # state; _walk, the rest, only inside a walk
        raw = int(blk.lin_mg) + int(blk.offset_mg)
        n = 0
        if consecutive:
            n = cs[cb + _C_LIN_N]
        if n == 0:
            cs[cb + _C_LIN1] = raw
            cs[cb + _C_LIN2] = raw
        a = (cs[cb + _C_LIN1] << sx) >> sx
        b = (cs[cb + _C_LIN2] << sx) >> sx
        cs[cb + _C_LIN2] = a
        cs[cb + _C_LIN1] = raw
        if a > b:
            m = a
            a = b
            b = m
        m = raw if raw < b else b  # the median of the newest three (a spike shows in one)
        if m < a:
            m = a
        p = (cs[cb + _C_LIN_POS] + 1) % _WK_RING
        cs[cb + _C_LIN_POS] = p
        ptr32(self._lr)[ch * _WK_RING + p] = m  # noqa: F821
        if n < _WK_RING:
            n += 1
        cs[cb + _C_LIN_N] = n
        # the walk: from the second rough block in a row (the floor path counts them) until
        # _WK_CALM_END blocks in a row are not rough; a gap or a tilt past the correction ends it
        w = cs[cb + _C_WALK]
        if not consecutive or blk.tilted:
            w = 0
        elif w == 0:
            if int(ptr32(self._fs)[ch * _F_SLOTS + _F_ROUGH]) >= _FL_ROUGH_RUN:  # noqa: F821
                w = 1
                cs[cb + _C_WALK_CALM] = 0
                # its scatter until learned: twice the block noise (as |second difference|)
                a = 2 * int(ptr32(self.noise_mg)[ch])  # noqa: F821
                cs[cb + _C_WALK_D2_Q4] = (a if a > 100 else 100) * 26
        else:
            w += 1
            if blk.rough:
                cs[cb + _C_WALK_CALM] = 0
            else:
                cs[cb + _C_WALK_CALM] = cs[cb + _C_WALK_CALM] + 1
                if cs[cb + _C_WALK_CALM] >= _WK_CALM_END:
                    w = 0
        cs[cb + _C_WALK] = w if w < 10000 else 10000
        if w == 0:
            cs[cb + _C_WALK_RUN] = 0
        elif n >= 3 and self._walk(t_ms, ch, blk, raw, m, p, n, w) and how == 0:
            how = _FOUND_WALK
        if how:
            self._restart(ch)
            ptr8(self.found_by)[ch] = how  # noqa: F821
            self._fire(t_ms, ch)
            fs.milk_started((cs[cb + _C_BASE_MG] << sx) >> sx, (cs[cb + _C_BASE_AGE] << sx) >> sx)
            return _EV_LETDOWN
        bms = int(blk.ms)
        # a small lean with no accelerometer (module comment). The fall remembered (mg, 0:
        # none) and the blocks since it was seen (or since the last return)
        g = (cs[cb + _C_LEAN_MG] << sx) >> sx
        age = k - ((cs[cb + _C_LEAN_K] << sx) >> sx)
        # the means tested: the newest two blocks' (a), the three 3-5 back (b), 6-8 back (m)
        # and 9-11 back (w), all x6, over the blocks since a hold or a gap (n: 12, 6 for a
        # return's test, or none); on a block that is not good, this one is not in the ring
        # yet (o = 1). None when there is nothing to test
        n = k - ((cs[cb + _C_HOLD_K] << sx) >> sx)
        if n > 11:
            n = 12
        elif n > 5:
            n = 6
        else:
            n = 0
        if g == 0 and (cs[cb + _C_SETTLED_N] < _SETTLED or age < _LEAN_REST_BLOCKS):
            n = 0
        a = 0
        b = 0
        m = 0
        w = 0
        i = 0
        p = int(cs[cb + _C_POS])
        o = 0 if good else 1
        while i < n:
            x = int(blk.v_mg) if i < o else (r[rb + ((p - i + o) & (_RING - 1))] << sx) >> sx
            if i < 2:
                a += 3 * x
            elif i < 3:
                pass
            elif i < 6:
                b += 2 * x
            elif i < 9:
                m += 2 * x
            else:
                w += 2 * x
            i += 1
        # the flow before (x6 mg per 3 blocks): the lesser of the two older steps, or the one
        # kept at the fall while the windows still span it
        e = m - w if m - w < b - m else b - m
        if e < 0 or n < 12:
            e = 0
        if g > 0 and age < 12:
            e = (cs[cb + _C_LEAN_FLOW] << sx) >> sx
        if g > 0:
            if age > _LEAN_MAX_BLOCKS or cs[cb + _C_HOLD_K] > cs[cb + _C_LEAN_K]:
                # (a hold since restarted the baseline itself)
                cs[cb + _C_LEAN_MG] = 0
            elif (
                n > 0
                and a - b - e * 7 // 6 >= 3 * g
                and int(blk.v_mg) >= ((cs[cb + _C_LEAN_REF] << sx) >> sx) - (g >> 1)
            ):
                # back up fast (beyond the flow, 3.5 blocks on, by half the fall), to within
                # half the fall of the level before it: the wearer sat up. The baseline
                # restarts here (its blocks were leaned), unless the lean was too short for
                # the baseline to settle on it: a compression held a few seconds and the next
                # one (held presses, many-103 of seeds 100: an onset lost on both bottles to
                # four restarts in 30 s)
                cs[cb + _C_LEAN_MG] = 0
                if age >= _LEAN_MIN_BLOCKS:
                    self._restart(ch)
                    self._fl_bad(ch, 0)
                    # ... and the flow's 8-block estimate spans the step up: a high-flow
                    # period needs that many blocks more (_taper_check)
                    if ptr8(self._in_high)[ch] == 0:  # noqa: F821
                        cs[cb + _C_HIGH_RUN] = -_TAPER_FRESH_BLOCKS
                cs[cb + _C_LEAN_K] = k  # (the next fall: _LEAN_REST_BLOCKS from here)
        elif n == 12:
            # fell fast from a settled level (the 9 blocks before quiet: no strokes, no walk),
            # below all three older means carried on by the flow: not milk (milk never
            # leaves), nor a press let go (the weight back where it was before it). The
            # smallest of the three falls (x6), negative
            i = a - b - e * 7 // 6
            x = a - m - e * 13 // 6
            if x > i:
                i = x
            x = a - w - e * 19 // 6
            if x > i:
                i = x
            x = int(ptr32(self.noise_mg)[ch])  # noqa: F821
            if -i >= 6 * (_LEAN_MG + 4 * x) + e * 19 // 18:
                cs[cb + _C_LEAN_MG] = -i // 6
                cs[cb + _C_LEAN_REF] = b // 6
                cs[cb + _C_LEAN_K] = k
                cs[cb + _C_LEAN_FLOW] = e
        if held or int(blk.unsettled) > 0 or not blk.quiet:
            cs[cb + _C_SETTLED_N] = 0
        elif cs[cb + _C_SETTLED_N] < _SETTLED:
            cs[cb + _C_SETTLED_N] = cs[cb + _C_SETTLED_N] + 1
        if good == 0:
            if ((cs[cb + _C_GAP] << sx) >> sx) > 0:
                return code  # a gap's first block waits (bridged at the next good one)
            cs[cb + _C_GAP] = 0  # (a bridge's countdown ends with the good stretch)
            # _restart, written out
            ptr8(self._confirm)[ch] = 0  # noqa: F821
            g = (cs[cb + _C_GOOD] << sx) >> sx
            o = 1 - ch
            if (
                g > 0
                and int(self.n_channels) == 2
                and ptr8(self._armed)[ch] != 0  # noqa: F821
                and int(ptr32(self.letdowns)[ch]) > 0  # noqa: F821
                and (
                    ptr8(self.found_by)[o] == _FOUND_RISE  # noqa: F821
                    or ptr8(self.found_by)[o] == _FOUND_WALK  # noqa: F821
                )
                and t_ms - ((cs[o * _C_SLOTS + _C_LAST_LD_MS] << sx) >> sx) <= 2 * int(blk.ms)
                and ((cs[cb + _C_LAST_LD_MS] << sx) >> sx)
                < ((cs[o * _C_SLOTS + _C_LAST_LD_MS] << sx) >> sx)
            ):
                # the other bottle's rise or walk letdown came within the last 2 blocks, while
                # this one could still read its weight (no loan then: _fire), and this one goes
                # blind before its own paths decided (a lean, a walk or a hand beginning just
                # after the onset: few-101 of seeds 100, 4 s after it, at draws 0, 115, 117): the
                # loan it would have had, dated by the other bottle's onset
                age = (t_ms - ((ptr32(self.onset_ms)[o] << sx) >> sx)) // int(blk.ms) - 1  # noqa: F821
                cs[cb + _C_BASE_AGE] = age if age > 0 else 0
                ptr8(self.found_by)[ch] = ptr8(self.found_by)[o]  # noqa: F821
                self._fire(t_ms, ch)
                fs.milk_started(
                    (cs[cb + _C_BASE_MG] << sx) >> sx, (cs[cb + _C_BASE_AGE] << sx) >> sx
                )
                cs[cb + _C_GOOD] = -1
                return _EV_LETDOWN
            if (
                g >= 8
                and ptr8(self._pre_dist)[ch] != 0  # noqa: F821
                and d == 0
                and off == ((cs[cb + _C_PRE_OFF] << sx) >> sx)
            ):
                # a good stretch of 8-12 blocks ends, tested by the resume path against a
                # reference from before an older disturbance. When its flow is no higher than
                # that reference's (the flow decayed: no new ejection began in it), it is the
                # reference for the disturbance beginning here, as update writes it from 8 good
                # blocks on: the older one, projected by its own flow over tens of blocks, runs
                # past a flow that decayed since. Not when the flow stage re-based since that
                # reference, or at this block: the stretch may lie in another frame
                self._fit(ch, 0, 8, 1)
                f = int(self._fit_b8) * 125 // bms
                if f <= int(cs[cb + _C_PRE_FLOW]):
                    cs[cb + _C_PRE_MG] = int(self._fit_pred) + off
                    cs[cb + _C_PRE_FLOW] = f if f > 0 else 0
                    cs[cb + _C_PRE_K] = k - 1
                    cs[cb + _C_PRE_TILT] = cs[cb + _C_TE_HI]
                    cs[cb + _C_PRE_OFF] = off
            cs[cb + _C_CUSUM_Q4] = 0
            cs[cb + _C_CUSUM_LEN] = 0
            cs[cb + _C_Z_BLOCK] = -1
            ptr8(self._pre_dist)[ch] = 1  # noqa: F821
            # not-good blocks in a row, counted negative (the slow path waits at the start
            # of massage: the strokes' residue in the envelope builds up over ~10 s)
            g = (g if g < 0 else 0) - 1
            cs[cb + _C_GOOD] = g if g > -_RING else -_RING
            if held:
                return code
            p = (int(cs[cb + _C_POS]) + 1) % _RING  # _push, written out
            cs[cb + _C_POS] = p
            r[rb + p] = int(blk.v_mg)
        else:
            v = int(blk.v_mg)
            p = int(cs[cb + _C_POS])  # pushed above
            # a good block: count it, and learn the block noise from second differences
            g = (cs[cb + _C_GOOD] << sx) >> sx
            if g < 0:
                g = 0
            if g == 0:
                cs[cb + _C_TE_LO] = te
                cs[cb + _C_TE_HI] = te
            elif te < int(cs[cb + _C_TE_LO]):
                cs[cb + _C_TE_LO] = te
            elif te > int(cs[cb + _C_TE_HI]):
                cs[cb + _C_TE_HI] = te
            if g < _RING:
                g += 1 + bridge
                if g > _RING:
                    g = _RING
                cs[cb + _C_GOOD] = g
            gc = (cs[cb + _C_GAP] << sx) >> sx
            if gc < 0:
                # an ejection that began in a bridged gap shows within _POST_LAST blocks;
                # evidence that began with it (or in the first blocks after) and has not
                # decided then is a step (a few drops, the cell settling): the baseline
                # restarts, as after any other gap
                cs[cb + _C_GAP] = gc + 1
                if gc == -1 and cs[cb + _C_CUSUM_LEN] > _POST_LAST - _RISE_BLOCKS:
                    self._restart(ch)
            if g >= 3 and bridge == 0 and settle == 0:
                d2 = (
                    v
                    - 2 * ((r[rb + (p - 1) % _RING] << sx) >> sx)
                    + ((r[rb + (p - 2) % _RING] << sx) >> sx)
                )
                if d2 < 0:
                    d2 = -d2
                m2 = (cs[cb + _C_D2_ABS_Q4] << sx) >> sx
                lim = m2 >> 2  # |d2| x16 clamped at 4 x the mean: a knock barely moves it
                if d2 > lim:
                    d2 = lim
                m2 += (d2 * 16 - m2) >> 5
                cs[cb + _C_D2_ABS_Q4] = m2
                # white noise through the 2-s triangle sampled at 1 s: E|d2| = 1.6 sd
                sd = m2 * 10 >> 8
                nf = int(self._k[_K_NOISE_FLOOR])
                if sd < nf:
                    sd = nf
                ptr32(self.noise_mg)[ch] = sd  # noqa: F821
            good = (cs[cb + _C_GOOD] << sx) >> sx
            pre = int(ptr8(self._pre_dist)[ch])  # noqa: F821
            if good >= 8:
                self._fit(ch, 0, 8, 1)
                f = int(self._fit_b8) * 125 // bms
                cs[cb + _C_FAST] = f
                if (pre == 0 or good > _POST_LAST) and settle == 0:
                    # _resume written out where it has nothing to test: the newest good
                    # stretch's level and flow, this line; while the CUSUM holds evidence,
                    # the flow is its baseline's when that is lower (an ejection that began
                    # just before a disturbance would lift the flow before, and hide itself
                    # after)
                    if ((cs[cb + _C_CUSUM_Q4] << sx) >> sx) > 0:
                        fb = ((cs[cb + _C_BASE_B8] << sx) >> sx) * 125 // bms
                        if fb < f:
                            f = fb
                    cs[cb + _C_PRE_MG] = int(self._fit_pred) + int(blk.offset_mg)
                    cs[cb + _C_PRE_FLOW] = 0 if f < 0 else (f if f < 2000 else 2000)
                    cs[cb + _C_PRE_K] = k
                    cs[cb + _C_PRE_TILT] = int(blk.tilt_err_mg)
                    cs[cb + _C_PRE_OFF] = int(blk.offset_mg)
                    ptr8(self._pre_dist)[ch] = 0  # noqa: F821
                    pre = 0
            how = 0
            resumed = 0  # the resume path (either branch) found milk
            if settle:
                self._letdown(t_ms, ch, k)  # (the CUSUM's evidence; no decision yet)
            elif (
                good >= _POST_BLOCKS - 1
                and (good < 8 or pre != 0)
                and self._resume(ch, k, bms, blk)
            ):
                resumed = 1
            elif self._letdown(t_ms, ch, k):
                how = _FOUND_RISE
            elif (
                _SPEED_FIRST <= good <= _SPEED_LAST
                and ptr8(self._armed)[ch] != 0  # noqa: F821
                and cs[cb + _C_TILT_WAIT] == 0
                and cs[cb + _C_STEP_WAIT] == 0
                and self._speedup(ch, bms)
            ):
                resumed = 1
            if resumed and t_ms - (((cs[cb + _C_BASE_AGE] << sx) >> sx) + 1) * bms > (
                (cs[cb + _C_LAST_LD_MS] << sx) >> sx
            ):
                # one ejection, one event: milk the resume path dates before this bottle's
                # last letdown is that letdown's ejection. A letdown just before a hold has
                # the ejection's first seconds for its flow, and the rest of its rise comes
                # during the hold (few-101 of seeds 100 at draw 55: the CUSUM at 373 s, a tilt
                # from 373 s, bottle 2 re-armed as its flow fell from its peak in the tilt,
                # the same ejection again at 395 s)
                how = _FOUND_RESUME
            if how:
                ptr8(self.found_by)[ch] = how  # noqa: F821
                self._fire(t_ms, ch)
                fs.milk_started(
                    (cs[cb + _C_BASE_MG] << sx) >> sx, (cs[cb + _C_BASE_AGE] << sx) >> sx
                )
                return _EV_LETDOWN
        # the slow path (not on held blocks): only while armed, after the first blocks, not
        # until both its windows lie past a tilt error's move, and ld_gap_s after the last
        # letdown (its run restarts while disarmed or early)
        if (
            ptr8(self._armed)[ch] == 0  # noqa: F821
            or k <= _SLOW_SPAN
            or cs[cb + _C_TILT_WAIT] != 0
            or settle
        ):
            cs[cb + _C_SLOW_RUN] = 0
        elif t_ms - ((cs[cb + _C_LAST_LD_MS] << sx) >> sx) >= int(self._k[_K_GAP_MS]):
            # its first test written out: a sustained flow on the envelope (mg/s)
            now = int(self._env_slope(ch, 0, _SLOW_W)) * 125 // bms
            if now < _SLOW_MG_S or now > _SLOW_MAX_MG_S:
                cs[cb + _C_SLOW_RUN] = 0  # most blocks: no sustained flow on the envelope
            elif self._slow(t_ms, ch, bms, now, int(blk.flow_mg_s)):
                ptr8(self.found_by)[ch] = _FOUND_SLOW  # noqa: F821
                self._fire(t_ms, ch)
                fs.milk_started(
                    (cs[cb + _C_BASE_MG] << sx) >> sx, (cs[cb + _C_BASE_AGE] << sx) >> sx
                )
                return _EV_LETDOWN
        return code

    # -- per block ---------------------------------------------------------------------------
    def _restart(self, ch):
        cs = self._cs
        cb = ch * _C_SLOTS
        self._confirm[ch] = 0
        cs[cb + _C_GOOD] = 0
        cs[cb + _C_CUSUM_Q4] = 0
        cs[cb + _C_CUSUM_LEN] = 0
        cs[cb + _C_Z_BLOCK] = -1

    def _push(self, ch, v):
        cs = self._cs
        cb = ch * _C_SLOTS
        p = (cs[cb + _C_POS] + 1) % _RING
        cs[cb + _C_POS] = p
        self._ring[ch * _RING + p] = v

    @micropython.viper
    def _fit(self, ch: int, end: int, n: int, want_pred: int):
        # Least-squares line through the blocks aged end .. end+n-1 (0 = newest). Sets
        # _fit_b8 (forward slope, mg per block x8) and, if asked, _fit_pred (value at age 0).
        cs = ptr32(self._cs)  # noqa: F821 (viper built-in)
        self._line(self._ring, ch * _RING, cs[ch * _C_SLOTS + _C_POS], _RING, end, n, want_pred)

    @micropython.viper
    def _line(self, r, b: int, p: int, size: int, end: int, n: int, want_pred: int):
        # _fit on any ring: r[b + i] for i in 0 .. size - 1, the newest at i = p (viper:
        # values relative to ref, |v| <= _VCLAMP, sums < 2**28; ring values sign-extended)
        rp = ptr32(r)  # noqa: F821 (viper built-in)
        sx = int(WORD_SX)
        ref = (rp[b + (p - end) % size] << sx) >> sx
        c = 2 * end + n - 1  # twice the window's centre age
        sv = 0
        sxv = 0
        x = end
        while x < end + n:
            v = ((rp[b + (p - x) % size] << sx) >> sx) - ref
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
            self._fit_end = ref + sv // n + b8 * (n - 1) // 16  # the value at age `end`

    def _rearm_due(self, t_ms, ch, flow, peaks, i, at=-1):
        # one ejection, one event: a channel re-arms once its flow has fallen ld_rearm_pct %
        # below its peak since the letdown (at least ld_rearm_mg_s) and ld_gap_s have passed;
        # from twice ld_gap_s on, a fall of ld_rearm_mg_s is enough: the ejection is past its
        # peak, and a flow that decays slowly (tau of minutes) or whose peak came during a
        # hold fell 20 % only after the next ejection had begun (many-001, 128 s), which
        # then went unreported. peaks[i]: that peak (the CUSUM's and the floor path's own),
        # raised to `flow` here; peaks[at], if given (the CUSUM's), when it was set: its
        # flow also re-arms on half the fall once past its peak, and 60 s after the onset
        # whatever it saw (below)
        peak = peaks[i]
        if flow > peak:
            peak = flow
            peaks[i] = flow
            if at >= 0:
                peaks[at] = t_ms
        since = t_ms - self._cs[ch * _C_SLOTS + _C_LAST_LD_MS]
        gap = self._k[_K_GAP_MS]
        if self.n_channels == 2 and since >= gap:
            # the breasts eject together: the other bottle's letdown, newer than this one's
            # and its onset fresh (not a late find), re-arms this one, whose flow may not have
            # fallen yet (its peak hidden by a hold, a slow decay: many-001, 128 s, bottle 2
            # read 490-505 mg/s for 30 s and its next ejection, 13.5 g in 20 s, went unseen)
            other = t_ms - self._cs[(1 - ch) * _C_SLOTS + _C_LAST_LD_MS]
            if other < since and self._other_fresh(t_ms, ch):
                return True
        if (
            at >= 0
            and since >= 2 * gap
            and t_ms - self.onset_ms[ch] >= 3 * gap
            and self._cs[ch * _C_SLOTS + _C_GOOD] >= self._k[_K_MIN_BASE]
        ):
            # an ejection whose onset is 3 x ld_gap_s (60 s) back has passed its peak (it
            # rises over 8-25 s, 50 at the slowest), whatever flow was seen: a letdown found
            # in a walk, whose peak came while the weight could not be read, set its peak
            # from the first flow after the walk, which decays over minutes and fell 30 mg/s
            # under it only after the next ejection had begun (continuous-704 of seeds 700,
            # draw 73: the walk ended at 192 s, the next ejections at 206 s went unreported).
            # The CUSUM's only, once it has its ld_min_base_blocks good blocks (it cannot
            # decide before): re-armed at the walk's end, the slow path compared the flow
            # after it with the flow before it, this ejection's first seconds, and reported
            # its rise again (few-603 of seeds 600, 165 s, at every draw)
            return True
        drop = peak * self._k[_K_REARM_PCT] // 100
        if at >= 0 and t_ms - peaks[at] >= gap // 2:
            # a flow that has made no new high for ld_gap_s / 2 is past its peak: half the
            # fall is enough. The next ejection may come 30 s after the last, on a flow that
            # decays with a tau of minutes and has fallen 10-15 % (many-001 of the fixed set,
            # 128 s: bottle 1's peak 345 mg/s at 122 s, 310 at 131 s; found 21.6 s late). The
            # CUSUM's flow only: the floor path's, on its own, rests on a peak's plateau for
            # 10 s under a fast rise, and the resume path reported the same ejection again
            # (late_me-402 of seeds 400 with fast rises, draw 73, 145 s)
            drop = drop // 2
        if drop < self._k[_K_REARM_MIN] or since >= 2 * gap:
            drop = self._k[_K_REARM_MIN]
        return flow <= peak - drop and since >= gap

    @micropython.viper
    def _letdown(self, t_ms: int, ch: int, k: int) -> int:
        # The CUSUM path on a good block (module constants above). 1: a letdown. Viper: the
        # slots and the ring through ptr32 (sign-extended); // floors as in bytecode.
        sx = int(WORD_SX)
        cs = ptr32(self._cs)  # noqa: F821 (viper built-in)
        cb = ch * _C_SLOTS
        ring = ptr32(self._ring)  # noqa: F821
        rb = ch * _RING
        armed = ptr8(self._armed)  # noqa: F821
        good = (cs[cb + _C_GOOD] << sx) >> sx
        if armed[ch] == 0:
            cs[cb + _C_SLOPE_MIN] = _NO_SLOPE
            f = (cs[cb + _C_FAST] << sx) >> sx
            if self._rearm_due(t_ms, ch, f, self._cs, cb + _C_PEAK, cb + _C_PEAK_MS):
                armed[ch] = 1
                cs[cb + _C_CUSUM_Q4] = 0
                cs[cb + _C_CUSUM_LEN] = 0
            return 0
        end = (cs[cb + _C_CUSUM_LEN] << sx) >> sx
        guard = int(self._k[_K_GUARD])
        if end < guard:
            end = guard
        avail = good - end
        if avail < int(self._k[_K_MIN_BASE]):
            # not enough baseline (or the evidence is older than the ring): start afresh
            cs[cb + _C_CUSUM_Q4] = 0
            cs[cb + _C_CUSUM_LEN] = 0
            cs[cb + _C_Z_BLOCK] = -1
            return 0
        base = int(self._k[_K_BASE])
        n = avail if avail < base else base
        self._fit(ch, end, n, 1)
        # the level without the change under test, where the evidence began (extrapolating
        # the baseline's slope to the newest block would add its error x the evidence's age)
        cs[cb + _C_BASE_MG] = int(self._fit_end)
        cs[cb + _C_BASE_AGE] = end
        pos = int(cs[cb + _C_POS])
        v = (ring[rb + pos] << sx) >> sx
        pred = int(self._fit_pred)
        if int(self._fit_b8) < 0:
            pred = int(self._fit_end)  # milk never leaves: the baseline does not fall
        # between ejections the flow only decays: on a full window, a baseline slope more
        # than 3 standard errors above the lowest one in this good stretch (armed) is an
        # ejection's slow rise taken into the baseline (a line ending 2 blocks back follows a
        # ramp of 0.05-0.1 g/s: its residuals stay near the allowance), and the line is held
        # at that slope. 3 SE over 20 blocks: 3 x 8 sd / sqrt(665) = 0.93 sd (x8): sd
        b8 = int(self._fit_b8)
        mn = (cs[cb + _C_SLOPE_MIN] << sx) >> sx
        if good <= int(self._k[_K_MIN_BASE]) + int(self._k[_K_GUARD]):
            mn = _NO_SLOPE  # (a new stretch: its first decision)
        cs[cb + _C_BASE_B8] = b8  # (the slope the prediction uses: the resume path's flow)
        if n == base:
            cap = (mn if mn > 0 else 0) + ((cs[cb + _C_SD] << sx) >> sx)
            if b8 > cap:
                cs[cb + _C_BASE_B8] = cap
                pred = int(self._fit_pred) - (b8 - cap) * (2 * end + n - 1) // 16
                cs[cb + _C_BASE_MG] = int(self._fit_end) - (b8 - cap) * (n - 1) // 16
        if b8 < mn:
            mn = b8
        cs[cb + _C_SLOPE_MIN] = mn
        res = v - pred
        if res > 100000:
            res = 100000
        elif res < -100000:
            res = -100000
        # the residual's own scale (noise, slow wander and the baseline's error together):
        # EWMA of |res| x16, a single large residual moves it by at most 3 x its mean
        a = res if res >= 0 else -res
        ra = (cs[cb + _C_RES_ABS_Q4] << sx) >> sx
        lim = (ra * 3) >> 4
        if a > lim:
            a = lim
        ra += (a * 16 - ra) >> 5
        cs[cb + _C_RES_ABS_Q4] = ra
        sd = ra * 5 >> 6  # sd = 1.25 x mean |res|
        nz = int(ptr32(self.noise_mg)[ch])  # noqa: F821
        cap = _SD_CAP * nz
        if cap < _SD_CAP_MIN_MG:
            cap = _SD_CAP_MIN_MG
        if sd > cap:
            # an ejection's own residuals (and the concave decay after it) inflate the
            # scale for tens of blocks: the next onset would be found late or not at all
            sd = cap
        if sd < nz:
            sd = nz
        if ptr8(self._pre_dist)[2 + ch]:  # noqa: F821
            # a steady corrected tilt: the correction's jitter ((bottle + milk) x the tilt
            # estimate's jitter in 1/cos, 0.1-0.5 g a block at 40 deg) adds to the noise the
            # upright blocks taught: the scale is at least the stretch's own, from the
            # second differences of its newest blocks (E|d2| = 1.6 sd)
            m = good - 2
            if m > _TILT_SD_BLOCKS:
                m = _TILT_SD_BLOCKS
            if m > 0:
                acc = 0
                j = 0
                while j < m:
                    d2 = (
                        ((ring[rb + ((pos - j) & (_RING - 1))] << sx) >> sx)
                        - 2 * ((ring[rb + ((pos - j - 1) & (_RING - 1))] << sx) >> sx)
                        + ((ring[rb + ((pos - j - 2) & (_RING - 1))] << sx) >> sx)
                    )
                    acc += d2 if d2 >= 0 else -d2
                    j += 1
                tsd = acc * 10 // (16 * m)
                if sd < tsd:
                    sd = tsd
        cs[cb + _C_SD] = sd
        # milk cannot make the weight jump: since the evidence began (slen blocks) the
        # residual can grow at most by the fastest flow change (a_max t^2 / 2) plus noise,
        # and milk never leaves, so a fall beyond the noise is not milk either. Either one is
        # an artifact starting (press, knock, step): drop the evidence and restart the baseline
        m = ((cs[cb + _C_CUSUM_LEN] << sx) >> sx) + 1
        amax = int(self._k[_K_ACCEL_MAX_MG])
        lim = amax * m * m // 2 + 4 * sd
        v1 = (ring[rb + ((pos - 1) & (_RING - 1))] << sx) >> sx
        fall = v1 - v
        if res > lim and fall <= 4 * sd:
            # beyond what milk adds since the evidence began, unless the baseline itself
            # lies on a first ejection's rise (it began during a hold: the line through its
            # blocks falls behind a flow still speeding up, and restarting would fit the
            # next baseline on the rise again): a bottle with no letdown yet, its baseline
            # rising at _RAMP_MG_S, the newest block's rise changed by no more than milk's
            # may (amax a block; a press's or a knock's by far more)
            d2 = v - 2 * v1 + ((ring[rb + ((pos - 2) & (_RING - 1))] << sx) >> sx)
            if (
                d2 <= amax + 4 * sd
                and int(self._fit_b8) * 125 >= _RAMP_MG_S * int(self._k[_K_BLOCK_MS])
                and int(ptr8(self.found_by)[ch]) == 0  # noqa: F821
            ):
                lim = res
        if res > lim or fall > 4 * sd:
            self._restart(ch)
            self._k[_K_JOINT_Q4] = 0
            return 0
        # the evidence's unit is at least _SD_MIN_MG (the rules above keep the scale: a
        # larger one let a slow dip's fall pass as noise and its return count as milk)
        z = res * 16 // (sd if sd > _SD_MIN_MG else _SD_MIN_MG)
        if z > _ZMAX_Q4:
            z = _ZMAX_Q4
        elif z < -_ZCLAMP:
            z = -_ZCLAMP
        cs[cb + _C_Z_Q4] = z
        cs[cb + _C_Z_BLOCK] = k
        allow = int(self._k[_K_ALLOW_Q4])
        thresh = int(self._k[_K_THRESH_Q4])
        sc = ((cs[cb + _C_CUSUM_Q4] << sx) >> sx) + z - allow
        if sc > 0:
            cs[cb + _C_CUSUM_Q4] = sc
            cs[cb + _C_CUSUM_LEN] = cs[cb + _C_CUSUM_LEN] + 1
        else:
            cs[cb + _C_CUSUM_Q4] = 0
            cs[cb + _C_CUSUM_LEN] = 0
        nch = int(self.n_channels)
        # joint evidence (two bottles), updated at the last channel's block
        if nch == 2 and ch == 1:
            # not on a tilted block: one accelerometer corrects both bottles, so the
            # correction's error moves both alike and is no independent evidence
            tb = ptr8(self._pre_dist)  # noqa: F821
            sj = 0
            if ((cs[_C_Z_BLOCK] << sx) >> sx) == k and armed[0] != 0:
                if tb[2] == 0 and tb[3] == 0 and tb[4] == 0 and tb[5] == 0:
                    sj = (
                        int(self._k[_K_JOINT_Q4])
                        + (((cs[_C_Z_Q4] << sx) >> sx) + z) * 181 // 256
                        - allow
                    )
                    if sj < 0:
                        sj = 0
            # a joint crossing while hands may be on the bottles waits one block, as a lone
            # one does: milk never leaves, so neither weight may have fallen since (a stroke
            # on both breasts at once rises like an onset for 1-2 s, then falls)
            jc = int(self._k[_K_JCONF])
            self._k[_K_JCONF] = 0
            p0 = int(cs[_C_POS]) & (_RING - 1)
            if jc:
                sd0 = (cs[_C_SD] << sx) >> sx
                if ((ring[p0] << sx) >> sx) < ((cs[_C_CONFIRM_V] << sx) >> sx) - 2 * sd0 or (
                    v < ((cs[_C_SLOTS + _C_CONFIRM_V] << sx) >> sx) - 2 * sd
                ):
                    sj = 0
            self._k[_K_JOINT_Q4] = sj
            if sj >= thresh and self._above_low(1, v, end, n, sd) and self._rising(1):
                if jc == 0 and not self.hands_free and cs[_C_SLOTS + _C_CUSUM_LEN] <= _JOINT_FAST:
                    self._k[_K_JCONF] = 1
                    cs[_C_CONFIRM_V] = ring[p0]
                    cs[_C_SLOTS + _C_CONFIRM_V] = v
                else:
                    part = int(self._k[_K_PART_Q4])
                    fired = 0
                    if ((cs[_C_CUSUM_Q4] << sx) >> sx) >= part and armed[0] != 0:
                        ptr8(self.pending)[0] = _FOUND_RISE  # noqa: F821
                        armed[0] = 0
                        fired = 1
                    if ((cs[_C_SLOTS + _C_CUSUM_Q4] << sx) >> sx) >= part:
                        self._k[_K_JOINT_Q4] = 0
                        return 1
                    if fired:
                        self._k[_K_JOINT_Q4] = 0
        need = thresh
        sync_ms = int(self._k[_K_SYNC_MS])
        o = 0
        while o < nch:
            if o != ch and t_ms - ((cs[o * _C_SLOTS + _C_LAST_LD_MS] << sx) >> sx) <= sync_ms:
                need = int(self._k[_K_THRESH_SYNC_Q4])
            o += 1
        conf = ptr8(self._confirm)  # noqa: F821
        if conf[ch]:
            # a lone bottle's crossing one block ago: milk never leaves the bottle, so the
            # weight must not have fallen since (the first stroke of a massage rises like an
            # onset for 2-3 s, then falls)
            conf[ch] = 0
            if v >= ((cs[cb + _C_CONFIRM_V] << sx) >> sx) - 2 * sd and not self._stopped(ch, sd):
                return 1
        if ((cs[cb + _C_CUSUM_Q4] << sx) >> sx) >= need:
            if not self._above_low(ch, v, end, n, sd):
                return 0
            if self._rising(ch) and not self._stopped(ch, sd):
                # hands on; or hands free unless this is the bottle's first letdown or its
                # flow is high and not slowing: a wearer may massage on her own once the
                # flow slows, before the coach asks (a hand presses when it likes: the bench's
                # start 3-30 s after the true taper), and a stroke's first rise looks like an
                # onset. Slowing: the taper's low run under way (a high-flow period whose
                # flow has begun to fall under the taper threshold: the taper comes 6 blocks
                # later), or done (the run stays at the taper until the next period), or no
                # high-flow period at all since a letdown (a weak ejection never makes one)
                if need == thresh and (
                    not self.hands_free
                    or (
                        int(ptr8(self._in_high)[ch]) == 0  # noqa: F821
                        and int(ptr8(self.found_by)[ch]) != 0  # noqa: F821
                    )
                    or int(cs[cb + _C_LOW_RUN]) > 0
                ):
                    conf[ch] = 1
                    cs[cb + _C_CONFIRM_V] = v
                    return 0
                return 1
        return 0

    @micropython.viper
    def _env_slope(self, ch: int, end: int, w: int) -> int:
        # least-squares slope (mg per block x8) of the lower envelope (minimum over
        # _ENV_BLOCKS blocks) at ages end .. end + w - 1; _fit_pred: its largest rise in one
        # block (mg)
        cs = self._cs
        cb = ch * _C_SLOTS
        r = ptr32(self._ring)  # noqa: F821 (viper built-in)
        sx = int(WORD_SX)
        b = ch * _RING
        p = int(cs[cb + _C_POS])
        ref = (r[b + p] << sx) >> sx
        c = 2 * end + w - 1
        sxv = 0
        jump = 0
        last = 0
        x = end
        while x < end + w:
            e = _VCLAMP
            j = x
            while j < x + _ENV_BLOCKS:
                v = ((r[b + (p - j) % _RING] << sx) >> sx) - ref
                if v < e:
                    e = v
                j += 1
            if e < -_VCLAMP:
                e = -_VCLAMP
            if x > end and last - e > jump:
                jump = last - e
            last = e
            sxv += (2 * x - c) * e
            x += 1
        self._fit_pred = jump
        return -(sxv * 4) // (w * (w * w - 1) // 12)

    def _slow(self, t_ms, ch, bms, now, flow):
        # The slow path, for onsets the CUSUM cannot see (under massage strokes, during
        # movement, right after a hold): pressure only adds weight for a few seconds, so the
        # lower envelope follows the milk, biased low by a roughly steady amount. Its slope
        # rising to a sustained flow, from a slope that was lower, is an onset (the module
        # constants above list the conditions). It shares the re-arming with the CUSUM.
        # Called by update while armed, ld_gap_s after the last letdown, from the 25th block,
        # with a sustained flow on the envelope: `now` (mg/s), its slope over the newest
        # _SLOW_W values (_env_slope has just left their largest rise in _fit_pred); `flow`,
        # the flow stage's robust flow (mg/s).
        cs = self._cs
        cb = ch * _C_SLOTS
        g = cs[cb + _C_GOOD]
        jump = self._fit_pred * 1000 // bms  # mg/s (the newest window's largest rise)
        pw = cs[cb + _C_STEP_WAIT]  # > 0 or < -1: a fresh press's or new frame's wait is on
        before = self._env_slope(ch, _SLOW_W, _SLOW_W) * 125 // bms
        late = self._env_slope(ch, 0, _SLOW_W >> 1) * 125 // bms
        span = cs[cb + _C_SEEN] - cs[cb + _C_HOLD_K]  # blocks since the last hold or gap
        if (
            (
                late * _SLOW_LATE_PCT >= now * 100
                or (
                    g >= _SLOW_W + _ENV_BLOCKS - 1
                    and late * 100 >= now * _SLOW_LATE_PCT
                    and span >= _SLOW_SPAN
                )
            )
            and before >= -_SLOW_MG_S
            and now - before * _SLOW_BEFORE_PCT // 100 >= _SLOW_RISE_MG_S
            and jump <= _SLOW_JUMP_X * now + 4 * self.noise_mg[ch]
            and not (g < 0 and (g > -_SLOW_WAIT or span < _SLOW_WAIT))
            and not (g < 0 and (pw > 0 or pw < -1))
            and (g < _RISE_BLOCKS or self._rising(ch))
        ):
            cs[cb + _C_SLOW_RUN] += 1
        else:
            cs[cb + _C_SLOW_RUN] = 0
        if cs[cb + _C_SLOW_RUN] < _SLOW_RUN:
            return False
        if flow < _SLOW_MG_S:
            # the weight itself shows no sustained flow yet: wait for it at the run's end
            cs[cb + _C_SLOW_RUN] = _SLOW_RUN - 1
            return False
        fq = self._fs
        fb = ch * _F_SLOTS
        if (
            g < 0
            and fq[fb + _F_N] >= _FL_E + _FL_D + _FL_B
            and 2 * fq[fb + _F_SLOPE] * 1000 // bms < now
        ):
            # under strokes, nor the lowest bins either (the floor's slope, set once _floor
            # has _FL_D + _FL_B + 1 floors; its count restarts at a fall, and stays at 1
            # through the wait after it): the envelope and the robust flow read the blocks,
            # whose troughs a stroke train beating with the 1-s blocks moves up for tens of
            # seconds, while the lowest bins stay at the weight (late_lactation-200 of seeds
            # 200 at noise draw 44: the envelope at 73-111 mg/s and the robust flow at 94-134
            # over 302-305 s, 37 s into a press, the floor at 10-42; no milk then)
            cs[cb + _C_SLOW_RUN] = _SLOW_RUN - 1
            return False
        cs[cb + _C_SLOW_RUN] = 0
        # the level without the milk: the envelope before the rise
        cs[cb + _C_BASE_MG] = self._ring_min(ch, _SLOW_W, _ENV_BLOCKS)
        cs[cb + _C_BASE_AGE] = _SLOW_W
        return True

    def _resume(self, ch, k, bms, blk):
        # The resume path (module constants above): True when the milk that came during the
        # disturbance just ended is an ejection's; sets the baseline and its age for _fire.
        # Called by update with _POST_BLOCKS - 1 .. 7 good blocks (update does its part after).
        cs = self._cs
        cb = ch * _C_SLOTS
        good = cs[cb + _C_GOOD]
        fired = False
        off = blk.offset_mg
        # one block before the first test (the weight calm as long), the level test alone, on
        # those blocks' line, with twice its margins (m: the extra milk, the flow after, its
        # rise over the flow before). Most of the path's finds come at its first test, and 15
        # of its 24 late finds at draw 119 came 0-2 s past the 20 s (round 73 in
        # docs/detection-history.md): milk that clear shows a block sooner
        m = 2 if good < _POST_BLOCKS else 1
        n = _POST_BLOCKS + 1 - m  # the blocks of the line tested
        if (
            self._pre_dist[ch]
            and _POST_BLOCKS - 1 <= good <= _POST_LAST
            and cs[cb + _C_PRE_K] >= 0
            # the flow stage accepted the stretch after without a hold, and does not see the
            # weight falling (milk never leaves: a fall is a disturbance still settling)
            and blk.calm >= n
            and blk.flow_mg_s > -_RESUME_MG_S
        ):
            self._fit(ch, 0, n, 1)
            now = self._fit_pred + off  # the weight now (fit), mg
            after = self._fit_b8 * 125 // bms  # mg/s
            before = cs[cb + _C_PRE_FLOW]  # mg/s, 0 .. 2000
            dt = k - cs[cb + _C_PRE_K]  # blocks
            if self._armed[ch] and dt <= _RESUME_MAX_BLOCKS and after <= _SLOW_MAX_MG_S:
                per_blk = before * bms // 1000  # mg per block
                span = self._span(ch, before, dt, bms)
                extra = now - cs[cb + _C_PRE_MG] - per_blk * span  # <= 2000 x 300
                sd = self.noise_mg[ch]
                most = 2 * after * bms // 1000 * dt + 4 * sd  # the most milk can bring
                # a tilt the accelerometer corrects leaves an error of (bottle_mg - the true
                # bottle) x (1/cos - 1): the two levels may differ by that much more when the
                # tilt changed between them (flow.py's Block.tilt_err_mg)
                tilt_err = blk.tilt_err_mg - cs[cb + _C_PRE_TILT]
                if tilt_err < 0:
                    tilt_err = -tilt_err
                # the frame test below, past the first test: the flow over the whole good
                # stretch, two standard errors of its slope under it (from the stretch's own
                # scatter: the correction jitters by 0.1-0.5 g a block), still
                # _RESUME_FRAME_MG_S above the flow before. An ejection that began during the
                # disturbance is still speeding up at the first test (many-007 of the fixed
                # set: 171 mg/s over the first 6 blocks of a 27-degree tilt, 270 over 8); a
                # newest few blocks' slope alone reads the jitter as a flow (control-502 of
                # seeds 500: 150 mg/s over 6 blocks, no milk). Inside a steady tilt the
                # accelerometer reports, the correction's error is a constant offset; upright,
                # or with no accelerometer, a tilt's return or a stroke's first rise may step
                # the weight at any block, so there the newest blocks must rise smoothly too
                # (below). With no steady tilt the later tests run since round 62 (no
                # accelerometer: late_me-104 of seeds 100 at three times the ripple, draw 69,
                # an ejection 3 s into the tilt's good stretch; the first test came before it
                # rose). The first test is at the 6th good block, or the 6th calm one: the
                # block that re-based was counted good in the frame before it, one ahead
                # (continuous-402 of seeds 400 at draw 67)
                frame = good <= _POST_BLOCKS or blk.calm == _POST_BLOCKS
                # the whole good stretch's flow, and the block scatter (E|d2| = 1.6 sd) in
                # mg/s: the frame test's, and the third branch's date from the milk below
                whole = after
                if good > _POST_BLOCKS:
                    self._fit(ch, 0, good, 0)
                    whole = self._fit_b8 * 125 // bms
                acc = self._d2_sum(ch, good, _D2_ANY) * 10 // (16 * (good - 2)) * 1000 // bms
                slope = after  # the good stretch's flow (at the first test: its 6 blocks')
                if not frame and after - before >= _RESUME_FRAME_MG_S:
                    slope = whole
                    x = slope - before - _RESUME_FRAME_MG_S
                    # against x256 / (2 x the slope's SE per unit scatter, sqrt(12 / (g (g^2 -
                    # 1))), g = 7 .. 12)
                    frame = x > 0 and x * 256 >= acc * b"\x61\x4f\x42\x38\x31\x2b"[good - 7]
                # inside a steady tilt, at any test: the stretch's rise beyond the flow before
                # is more than the tilt correction may have moved in it. The accelerometer's
                # jitter moves the cosine, and with it the whole correction, (bottle + milk) x
                # the change in 1/cos: _TILT_GAIN times the change of Block.tilt_err_mg (which
                # is bottle_mg's span's only). It wanders slowly (the gravity's low-pass), so
                # second differences do not see it (control-505 of seeds 500 at draw 38, 5 Hz,
                # no milk: +1.06 g over the first 6 good blocks of a 30-degree tilt while the
                # error moved by 228 mg and the raw weight held)
                if frame and blk.steady_tilt:
                    x = (slope - before) * (good - 1) * bms // 1000
                    frame = x > _TILT_GAIN * (cs[cb + _C_TE_HI] - cs[cb + _C_TE_LO])
                # the levels compare only if the flow stage has not since absorbed a rise or
                # undone a fall it absorbed: with its offset up since the reference, a tilt's
                # return with no accelerometer, the reference taken inside the tilt, reads as
                # milk (a synthetic 19-degree tilt over a steady flow: 3 letdowns in 8 bottles
                # at its return once the flow stage re-based such tilts sooner, round 62).
                # In a steady tilt the accelerometer reports, the offset is the correction's
                # error, which tilt_err holds: the levels compare (late_lactation-003 of the
                # fixed set at draw 128: +20.4 s on the frame branch, +17.4 s so; round 76)
                same = off - cs[cb + _C_PRE_OFF] <= _RESUME_MIN_MG + 4 * sd or blk.steady_tilt
                if (
                    same
                    and extra >= m * (_RESUME_MIN_MG + 4 * sd + dt * sd // 4 + tilt_err)
                    and after >= m * _RESUME_MG_S
                    and after - before >= m * _RESUME_RISE_MG_S
                    and extra <= most
                    # and the good stretch rises smoothly: a massage stroke that begins in it
                    # (just after a tilt) steps the weight faster than milk's flow changes,
                    # and its slope read as the flow after (control-205 of seeds 200, round 49)
                    and self._d2_sum(ch, n, self._k[_K_ACCEL_MAX_MG] + 6 * sd) >= 0
                ):
                    # (past the projection's span the flow before is taken to have ended:
                    # the ejection brings all of the flow after)
                    df = after if span < dt else after - before
                    back = self._onset_back(extra, df * bms // 1000, dt, bms)
                    if back + 1 <= _LATE_MAX_MS // bms:
                        x = dt - back  # the blocks from the reference to the onset
                        if x > span:
                            x = span
                        cs[cb + _C_BASE_MG] = cs[cb + _C_PRE_MG] + per_blk * x - off
                        cs[cb + _C_BASE_AGE] = back
                        fired = True
                elif (
                    m == 1
                    and (extra < -(_RESUME_MIN_MG + 4 * sd) or tilt_err > _RESUME_MIN_MG)
                    and after >= _RESUME_FRAME_MG_S
                    and after - before >= _RESUME_FRAME_MG_S
                    and dt <= _LATE_MAX_MS // bms
                    and frame
                    # past the first test and not in a steady tilt: no step in the newest
                    # blocks (control-105 of seeds 100 at three times the ripple, draw 69: a
                    # tilt's return in the 6th calm block; late_me-200 of seeds 200, draw 70:
                    # a stroke's first rise)
                    and (
                        good == _POST_BLOCKS
                        or blk.steady_tilt
                        or self._d2_sum(ch, _POST_BLOCKS, self._k[_K_ACCEL_MAX_MG] + 6 * sd) >= 0
                    )
                ):
                    # the weight settled lower than milk allows, or the tilt changed enough
                    # to hide the milk: the frame changed (a tilt with no accelerometer reads
                    # (bottle + milk) x cos, one with it is corrected with bottle_mg, a bottle
                    # set down elsewhere), so the levels cannot be compared; milk still adds
                    # weight in the new frame, and a flow there well above the flow before is an
                    # ejection that began during the disturbance (onset: its start at most)
                    cs[cb + _C_BASE_MG] = now - after * bms // 1000 * (_POST_BLOCKS // 2) - off
                    cs[cb + _C_BASE_AGE] = dt
                    fired = True
                elif (
                    m == 1
                    and same
                    and after >= _RESUME_FRAME_MG_S
                    and after - before >= _RESUME_FRAME_MG_S
                    and -(_RESUME_MIN_MG + 4 * sd) <= now - cs[cb + _C_PRE_MG] <= most
                    and blk.tilt_err_mg <= _RESUME_MIN_MG
                    and cs[cb + _C_PRE_TILT] <= _RESUME_MIN_MG
                    and self._d2_sum(ch, _POST_BLOCKS, self._k[_K_ACCEL_MAX_MG] + 6 * sd) >= 0
                ):
                    # too little extra milk for the test above (the flow before decayed during
                    # the disturbance, and the projection with it is an upper bound), but milk
                    # now arrives far faster than before, which only a new ejection does; the
                    # two levels are in one frame (the weight between the level before and what
                    # milk can bring, upright at both ends) and the newest blocks rise smoothly
                    # (a tilt's return with no accelerometer is a step that a 6-block slope
                    # reads as a flow). The onset: from the rise in the good stretch beyond the
                    # flow before when the reference is under 30 s old (the onset lies after
                    # it); otherwise from the flow's ramp through the good stretch, if it dates
                    # the onset within 30 s
                    pos = cs[cb + _C_POS]
                    vn = self._ring[ch * _RING + pos]
                    rise = vn - self._ring[ch * _RING + (pos - good + 1) % _RING]
                    rise -= per_blk * (good - 1)
                    if rise < 0:
                        rise = 0
                    # With the reference over 30 s old the onset may lie anywhere in the
                    # disturbance, unless the milk since the reference is too little for an older
                    # one. If the flow before stopped at the reference, the ejection brought all of
                    # that milk and its flow is the whole flow after; if it went on, the extra milk
                    # at the flow's rise. The onset lies no further back than the earlier of the
                    # two dates (in between, the first bounds it while that milk is under the flow
                    # after over the whole disturbance). The flow after: the whole good stretch's
                    # when lower (a stroke starting in the newest blocks lifts theirs:
                    # continuous-502 of seeds 500 at draw 90, 777 mg/s), two standard errors low
                    # (the stretch's own scatter, as in the frame test; x256: 2 sqrt(12 / (6 x
                    # 35))): a flow read high dates the onset too near (many-302 of seeds 300 at
                    # twice the ripple, draw 90: 194 mg/s read, 105 true, the onset 24 s back). A
                    # 23-s walk, the ejection at its end: the reference 31 blocks old at the first
                    # test, 4.2 g since at 235 mg/s, 25 blocks back at most (many-201 of seeds 200
                    # at draw 89: found at +8.6 s; round 66)
                    near = dt <= _LATE_MAX_MS // bms
                    if not near:
                        f = (whole if whole < after else after) - acc * 122 // 256
                        if f - before > 0:
                            e = self._onset_back(
                                now - cs[cb + _C_PRE_MG], f * bms // 1000 + 1, dt, bms
                            )
                            back = self._onset_back(
                                extra if extra > 0 else 0, (f - before) * bms // 1000 + 1, dt, bms
                            )
                            near = (e if e > back else back) + 1 <= _LATE_MAX_MS // bms
                    if near:
                        back = self._onset_back(rise, (after - before) * bms // 1000, good, bms)
                    else:
                        # not so dated: the flow seen ramping up through the good stretch, its
                        # first and newest 5 blocks' flows, good - 5 blocks apart, extrapolated
                        # back to the flow before (not ramping, or over 30 s back: no letdown)
                        back = -1
                        if good >= 2 * _RISE_BLOCKS:
                            self._fit(ch, good - _RISE_BLOCKS, _RISE_BLOCKS, 0)
                            e = self._fit_b8 * 125 // bms  # the first window's flow, mg/s
                            self._fit(ch, 0, _RISE_BLOCKS, 0)
                            d = self._fit_b8 * 125 // bms - e  # the flow's ramp, mg/s
                            if d >= _RESUME_FRAME_MG_S // 2:
                                # blocks from the first window back to the flow before
                                e = (e - before) * (good - _RISE_BLOCKS) // d
                                back = good - _RISE_BLOCKS // 2 - 1 + (e if e > 0 else 0)
                                if back + 1 > _LATE_MAX_MS // bms:
                                    back = -1
                    if back >= 0:
                        cs[cb + _C_BASE_MG] = vn - per_blk * back - rise
                        cs[cb + _C_BASE_AGE] = back
                        fired = True
        if not fired and (good < _POST_BLOCKS or self._pre_dist[ch] and good < _POST_LAST):
            return False  # the reference from before stays for the next good block's test
        # the newest good stretch's level and flow: the reference for the next disturbance
        # (update writes it itself from 8 good blocks on)
        self._fit(ch, 0, good if good < 8 else 8, 1)
        cs[cb + _C_PRE_MG] = self._fit_pred + off
        f = self._fit_b8 * 125 // bms
        cs[cb + _C_PRE_FLOW] = 0 if f < 0 else (f if f < 2000 else 2000)
        cs[cb + _C_PRE_K] = k
        cs[cb + _C_PRE_TILT] = blk.tilt_err_mg
        cs[cb + _C_PRE_OFF] = off
        self._pre_dist[ch] = 0
        return fired

    def _speedup(self, ch, bms):
        # The resume path's speed-up branch (module constants above): True when the flow sped up
        # within this good stretch; sets the baseline and its age for _fire
        cs = self._cs
        cb = ch * _C_SLOTS
        good = cs[cb + _C_GOOD]
        self._fit(ch, good - _RISE_BLOCKS, _RISE_BLOCKS, 1)
        first = self._fit_b8 * 125 // bms  # mg/s
        proj = self._fit_pred  # the first blocks' line at the newest block
        self._fit(ch, 0, _RISE_BLOCKS, 0)
        now = self._fit_b8 * 125 // bms
        sd = self.noise_mg[ch]
        vn = self._ring[ch * _RING + cs[cb + _C_POS]]
        extra = vn - proj
        # 3 standard errors of the difference of two 5-block slopes: 3 sd sqrt(2 x 12 / (5 x
        # 24)) = 1.34 sd a block
        rise = sd * 1342 // bms
        if rise < _SPEED_RISE_MG_S:
            rise = _SPEED_RISE_MG_S
        run = 0 if good == _SPEED_FIRST else cs[cb + _C_SPEED_RUN]
        if (
            first >= 0
            and _SPEED_MG_S <= now <= _SLOW_MAX_MG_S
            and now - first >= rise
            and extra >= _RESUME_MIN_MG + 4 * sd
            and self._d2_sum(ch, _POST_BLOCKS, self._k[_K_ACCEL_MAX_MG] + 6 * sd) >= 0
        ):
            run += 1
        else:
            run = 0
        cs[cb + _C_SPEED_RUN] = run
        if run < _SPEED_RUN:
            return False
        cs[cb + _C_SPEED_RUN] = 0
        back = self._onset_back(extra, (now - first) * bms // 1000, good, bms)
        # the level without the milk at the onset: the first blocks' line there
        cs[cb + _C_BASE_MG] = proj - first * bms // 1000 * back
        cs[cb + _C_BASE_AGE] = back
        return True

    def _d2_sum(self, ch, n, lim):
        # the sum of |second difference| over the newest n blocks (the stretch's scatter), or
        # -1 as soon as one is beyond lim: milk's flow changes by at most ld_max_accel a
        # block, and a step (or a knock) does not pass
        r = self._ring
        b = ch * _RING
        p = self._cs[ch * _C_SLOTS + _C_POS]
        acc = 0
        j = 0
        while j < n - 2:
            d2 = (
                r[b + (p - j) % _RING]
                - 2 * r[b + (p - j - 1) % _RING]
                + r[b + (p - j - 2) % _RING]
            )
            if d2 < 0:
                d2 = -d2
            if d2 > lim:
                return -1
            acc += d2
            j += 1
        return acc

    def _walk(self, t_ms, ch, blk, raw, m, p, n, w):
        # The walk path (module constants above) inside a walk (update keeps the linear
        # levels and the walk's state: raw, the newest level; m, its median of three, at p in
        # the ring; n levels in a row; w blocks into the walk). True: a letdown; sets the
        # baseline.
        cs = self._cs
        cb = ch * _C_SLOTS
        r = self._lr
        rb = ch * _WK_RING
        # the walk's own scatter: EWMA of the levels' |second difference| (trend-free)
        d2 = m - 2 * r[rb + (p - 1) % _WK_RING] + r[rb + (p - 2) % _WK_RING]
        if d2 < 0:
            d2 = -d2
        q = cs[cb + _C_WALK_D2_Q4]
        lim = q >> 2  # x16 clamped at 4 x the mean: a knock barely moves it
        if d2 > lim:
            d2 = lim
        q += (d2 * 16 - q) >> 3
        cs[cb + _C_WALK_D2_Q4] = q
        sd = q * 10 >> 8  # E|d2| = 1.6 sd
        # milk never leaves: a level below a recent one beyond the scatter (the newest one
        # unfiltered: the median would show it a block late) is a hand that pressed (strokes
        # during a walk) or a tilt; its rises are not milk either
        top = m
        j = 1
        top_n = _WK_TOP
        if cs[cb + _C_WALK_WAIT] > 0:
            # only the levels since the fall that started the wait: the fall is known (a
            # tilt with no accelerometer takes 2-3 blocks to reach its angle, and its level
            # before would restart the wait for _WK_TOP blocks more); a new one restarts it
            top_n = _WK_WAIT - cs[cb + _C_WALK_WAIT] + 1
            if top_n > _WK_TOP:
                top_n = _WK_TOP
        while j < n and j < top_n:
            x = r[rb + (p - j) % _WK_RING]
            if x > top:
                top = x
            j += 1
        if (raw if raw < m else m) < top - _WK_FALL_MG - 3 * sd:
            cs[cb + _C_WALK_WAIT] = _WK_WAIT
        elif cs[cb + _C_WALK_WAIT] > 0:
            cs[cb + _C_WALK_WAIT] -= 1
        if (
            w < _WK_MIN_BLOCKS
            or cs[cb + _C_WALK_WAIT] > 0
            or n < _WK_W + _WK_B
            or not self._armed[ch]
            or t_ms - cs[cb + _C_LAST_LD_MS] < self._k[_K_GAP_MS]
        ):
            cs[cb + _C_WALK_RUN] = 0
            return False
        bms = blk.ms
        # the flow now: the line through the newest _WK_W levels; the reference: the line
        # through the _WK_B before them (before the walk too: the linear chain is good on quiet
        # blocks), extrapolated to now, never falling (milk never leaves)
        self._line(r, rb, p, _WK_RING, 0, _WK_W, 1)
        now = self._fit_b8 * 125 // bms  # mg/s
        level = self._fit_pred
        self._line(r, rb, p, _WK_RING, _WK_W, _WK_B, 1)
        b8 = self._fit_b8
        proj = self._fit_pred
        if b8 < 0:
            proj -= b8 * (2 * _WK_W + _WK_B - 1) // 16  # the line's mean, flat
            b8 = 0
        before = b8 * 125 // bms
        dt = _WK_W
        extra = level - proj
        need = _WK_MIN_MG + 4 * sd
        per_blk = before * bms // 1000
        # the shape of milk: spread over the window, not one step (a hand pressing and
        # holding during the walk: its level rises within a block or two, then stays)
        step = self._top_rise(r, rb, p, _WK_RING, _WK_W - 1)
        spread = step <= _WK_STEP_X * now * bms // 1000 + 4 * sd
        span = _WK_W + _WK_B  # blocks the milk may have come over (_onset_back)
        ok = (
            extra >= need
            # not while the tilt correction's error moved within the two windows (a tilt
            # the accelerometer reports ending during a walk: the levels before it lie
            # lower by the correction's error, and their return reads as milk; control-005
            # of the fixed set at draw 30, no milk, a letdown as a 23-degree tilt ended)
            and cs[cb + _C_TILT_WAIT] <= _TILT_WAIT - _WK_W - _WK_B
            and _RESUME_MG_S <= now <= _SLOW_MAX_MG_S
            and now - before >= _RESUME_RISE_MG_S
            and extra <= 2 * now * bms // 1000 * dt + 4 * sd
            and spread
        )
        dk = blk.k - cs[cb + _C_PRE_K]  # blocks since the last good stretch's reference
        if not ok and cs[cb + _C_PRE_K] >= 0 and dk <= _WK_REF_BLOCKS:
            # a slow ramp lifts the line before with it: the level against the last good
            # stretch's, from before the walk, projected by its flow (module comment)
            b = cs[cb + _C_PRE_FLOW]  # mg/s, 0 .. 2000
            per_b = b * bms // 1000
            pj = self._span(ch, b, dk, bms)
            x = level - cs[cb + _C_PRE_MG] - per_b * pj  # both in the raw frame
            te = blk.tilt_err_mg - cs[cb + _C_PRE_TILT]
            if te < 0:
                te = -te
            if (
                x >= _RESUME_MIN_MG + 4 * sd + dk * self.noise_mg[ch] // 8 + te
                and _RESUME_MG_S <= now <= _SLOW_MAX_MG_S
                and now - b >= _RESUME_RISE_MG_S
                and x <= 2 * now * bms // 1000 * dk + 4 * sd
                and spread
            ):
                ok = True
                extra = x
                before = b
                per_blk = per_b
                if pj < dk:
                    # past the projection's span the flow before is taken to have ended
                    before = 0
                    per_blk = 0
                span = dk
        if ok:
            cs[cb + _C_WALK_RUN] += 1
        else:
            cs[cb + _C_WALK_RUN] = 0
        if cs[cb + _C_WALK_RUN] < _WK_RUN:
            return False
        back = self._onset_back(extra, (now - before) * bms // 1000, span, bms)
        if (back + 1) + 1 > _LATE_MAX_MS // bms:  # (its age: back + 1, below)
            return False
        cs[cb + _C_WALK_RUN] = 0
        # the level without the milk at the onset (the level frame), a block behind (median)
        cs[cb + _C_BASE_MG] = level - extra - per_blk * back - blk.offset_mg
        cs[cb + _C_BASE_AGE] = back + 1
        return True

    def _other_fresh(self, t_ms, ch):
        # the other bottle's letdown came within ld_sync_s, its onset within twice that (fresh,
        # not a late find): the breasts ejected together (it re-arms this bottle, and lets the
        # floor path decide in one block)
        sync = self._k[_K_SYNC_MS]
        o = 1 - ch
        return (
            t_ms - self._cs[o * _C_SLOTS + _C_LAST_LD_MS] <= sync
            and t_ms - self.onset_ms[o] <= 2 * sync
        )

    def _span(self, ch, flow, dt, bms):
        # the blocks of the dt since a reference that its flow (mg/s) is projected over: all of
        # them, but after a taper (one since the bottle's last letdown, the flow under the taper
        # threshold: a tail, which only decays) _DECAY_MS at most (the resume path's comment)
        if flow < self._k[_K_TAPER] and self._cs[ch * _C_SLOTS + _C_TAPERED] != 0:
            x = _DECAY_MS // bms
            if dt > x:
                return x
        return dt

    def _onset_back(self, extra, df, dt, bms):
        # Blocks back to the onset of an ejection that brought `extra` mg more than the flow
        # before while raising the flow by `df` mg per block: a rise still going on (linear
        # over T) gives df T / 2, a rise over R that then levels off df (T - R / 2); an
        # ejection rises over 8-25 s, so the smaller of 2 E / df and E / df + 8 s. Never
        # before the last good stretch.
        back = extra * 2 // df
        b2 = extra // df + _RISE_HALF_MS // bms
        if b2 < back:
            back = b2
        return back if back < dt else dt

    def _ring_min(self, ch, age, n):
        # the lowest of the channel's ring values at ages age .. age + n - 1 (n >= 1)
        r = self._ring
        b = ch * _RING
        p = self._cs[ch * _C_SLOTS + _C_POS] - age
        e = r[b + p % _RING]
        j = 1
        while j < n:
            v = r[b + (p - j) % _RING]
            if v < e:
                e = v
            j += 1
        return e

    def _floor_base(self, ch):
        # The floor path's baseline and its age, handed on with its letdown on channel ch.
        # A bottle's first letdown sets its tare (FlowStage.milk_started), a level in the block
        # values' frame; the floor is the lowest bins', below them by the pump's ripple and the
        # noise (few-102 of seeds 100, 5 Hz: the bottle read 1.70 mL high). With no hand on
        # the bottle and the weight settled, the mean of the block values over the floor's own
        # blocks is that level; under strokes they carry the hand, and the floor stands
        # (round 78)
        cs = self._cs
        cb = ch * _C_SLOTS
        fq = self._fs
        age = fq[ch * _F_SLOTS + _F_AGE]
        cs[cb + _C_BASE_AGE] = age
        if self.letdowns[ch] or not self.hands_free or cs[cb + _C_SETTLED_N] < _SETTLED:
            cs[cb + _C_BASE_MG] = fq[ch * _F_SLOTS + _F_BASE]
            return
        r = self._ring
        b = ch * _RING
        p = cs[cb + _C_POS] - (age - (_FL_E >> 1))  # the floor's newest block
        t = 0
        j = 0
        while j < _FL_E:
            t += r[b + (p - j) % _RING]
            j += 1
        cs[cb + _C_BASE_MG] = t // _FL_E

    def _milk_back(self, ch, flow):
        # A high-flow period after a taper with no letdown for it (_taper_check): blocks back
        # to the onset of the ejection that raised the flow (the level's rise above its lowest
        # older value in the ring, at the flow now: _onset_back), or -1 when the stretch since
        # the last hold or gap is too short to see where the rise began, the rise began before
        # it, or the onset lies more than _LATE_MAX_MS back (a `letdown` cue then is a wrong
        # cue; the flow stage has counted the milk)
        cs = self._cs
        cb = ch * _C_SLOTS
        span = cs[cb + _C_SEEN] - cs[cb + _C_HOLD_K]
        if span < 2 * _SLOW_W or cs[cb + _C_GOOD] < _MILK_GOOD:
            return -1  # also on quiet blocks only (held presses scatter the flow estimate)
        if span > _RING:
            span = _RING
        now = self._ring[ch * _RING + cs[cb + _C_POS]]
        # the lowest older value, older than the blocks the flow is measured on
        pre = min(now, self._ring_min(ch, _SLOW_W, span - _SLOW_W))
        bms = self._k[_K_BLOCK_MS]
        df = flow * bms // 1000
        if df <= 0 or now - pre < 4 * self.noise_mg[ch]:
            return -1
        # milk that stays: the lower envelope (minimum over _ENV_BLOCKS) rose over the newest 8
        # blocks by at least half what the flow claims (a hand only adds weight, so held
        # presses that lift the flow estimate between their troughs leave it flat)
        if self._ring_min(ch, 0, _ENV_BLOCKS) - self._ring_min(ch, 8, _ENV_BLOCKS) < 4 * df:
            return -1
        # the flow rose (after a taper it only decays): the level's slope over the 10 blocks
        # before the newest 10 lies well below the flow now (a slow decay hovering about the
        # threshold does not)
        self._fit(ch, _SLOW_W, _SLOW_W, 0)
        if flow - self._fit_b8 * 125 // bms < _SLOW_RISE_MG_S:
            return -1
        back = self._onset_back(now - pre, df, span, bms)
        if back >= span - 1 or back + 1 > _LATE_MAX_MS // bms:
            return -1
        return back

    def _fl_bad(self, ch, n):
        # something pulled the weight below the milk (walking, a tilt, a lift): the floor
        # restarts once the weight has stayed back up at the floor from before (milk never
        # leaves) for a whole floor window, or after a minute (a walk's swing brings some
        # blocks back up, and a floor built on its troughs rises like milk after it)
        fq = self._fs
        fqb = ch * _F_SLOTS
        if n >= _FL_E:
            fq[fqb + _F_REF] = fq[fqb + _F_TOP]
        elif fq[fqb + _F_WAIT] == 0:
            fq[fqb + _F_REF] = -_VCLAMP * 256
        fq[fqb + _F_WAIT] = _FL_WAIT
        fq[fqb + _F_BACK] = 0
        fq[fqb + _F_N] = 0
        fq[fqb + _F_RUN] = 0
        fq[fqb + _F_SLOPE] = 0

    @micropython.viper
    def _floor(self, t_ms: int, ch: int, k: int, consecutive: int, blk) -> int:
        # The floor path (module constants above). 1: a letdown; sets the baseline. Viper:
        # the slots and rings through ptr32 (sign-extended), ring indices with & (_FL_RING -
        # 1) (_FL_RING is a power of 2); // and % floor as in bytecode.
        sx = int(WORD_SX)
        R = _FL_RING - 1
        cs = ptr32(self._cs)  # noqa: F821 (viper built-in)
        cb = ch * _C_SLOTS
        fq = ptr32(self._fs)  # noqa: F821
        fqb = ch * _F_SLOTS
        fl = ptr32(self._fl)  # noqa: F821
        fu = ptr32(self._fl_fu)  # the floor after each block, not carried forward  # noqa: F821
        nzs = ptr32(self.noise_mg)  # noqa: F821
        armed = ptr8(self._armed)  # noqa: F821
        b = ch * _FL_RING
        n = 0
        if consecutive:
            n = (fq[fqb + _F_N] << sx) >> sx
        raw = int(blk.lo_mg) + int(blk.offset_mg)
        sd = (fq[fqb + _F_SD] << sx) >> sx
        tol = _FL_FALL_MG + 3 * sd
        pos = int(fq[fqb + _F_POS])
        # walking shakes nearly every block; a massage stroke's steep edge now and then one
        rough = 0
        if blk.rough:
            rough = ((fq[fqb + _F_ROUGH] << sx) >> sx) + 1
        fq[fqb + _F_ROUGH] = rough
        bad = 0
        # the floor is the lowest of _FL_E blocks: in a flow it lags the lowest bins by the
        # flow over _FL_E - 1 blocks, and a fall into that lag (a tilt with no accelerometer
        # while milk flows, over two blocks: the flow stage does not hold it) went unseen, and
        # the flow after it, against the flat floor before, read as an ejection. The flow: the
        # lesser of the floor's and the flow stage's; hands free only (under massage strokes
        # with three times the ripple a carried floor restarted the path at ejections: seeds
        # 100, many-103, two onsets lost)
        lag = 0
        if self.hands_free:
            lag = (fq[fqb + _F_SLOPE] << sx) >> sx
            x = int(blk.flow_mg_s) * int(blk.ms) // 1000
            if x < lag:
                lag = x
            lag = lag * (_FL_E - 1) if lag > 0 else 0
        if blk.tilted or blk.turned or rough >= _FL_ROUGH_RUN:
            # (a turn the accelerometer reports: the correction's error, up to ~4 g, steps)
            bad = 1
        elif cs[cb + _C_TILT_WAIT] == _TILT_WAIT:
            # (the correction's error moved this block: a slow lean)
            bad = 1
        elif n >= _FL_E and raw < ((fu[b + pos] << sx) >> sx) + lag - tol:
            bad = 1
        if bad:
            self._fl_bad(ch, n)
            return 0
        if fq[fqb + _F_WAIT] != 0:
            fq[fqb + _F_WAIT] = fq[fqb + _F_WAIT] - 1
            if raw < ((fq[fqb + _F_REF] << sx) >> sx) - tol:
                fq[fqb + _F_BACK] = 0
            else:
                fq[fqb + _F_BACK] = fq[fqb + _F_BACK] + 1
                if int(fq[fqb + _F_BACK]) >= _FL_E:
                    fq[fqb + _F_WAIT] = 0
            if fq[fqb + _F_WAIT] != 0:
                n = 0
        prev = (fl[b + pos] << sx) >> sx
        pos = (pos + 1) & R
        fq[fqb + _F_POS] = pos
        fl[b + pos] = raw
        if n > 0:
            # the lowest bins' own scatter: EWMA of |change| (x16), noise and stroke residue
            d = raw - prev
            if d < 0:
                d = -d
            if d > 8 * sd + 1000:
                d = 8 * sd + 1000
            mq = (fq[fqb + _F_DEV_Q4] << sx) >> sx
            mq += (d * 16 - mq) >> 4
            fq[fqb + _F_DEV_Q4] = mq
            fq[fqb + _F_SD] = mq * 14 >> 8  # sd = 0.886 x mean |change|
        if n < _FL_RING:
            n += 1
        fq[fqb + _F_N] = n
        if n < _FL_E:
            fq[fqb + _F_RUN] = 0
            return 0
        # the floor now: the lowest of the newest _FL_E lowest bins
        f = (fl[b + pos] << sx) >> sx
        j = 1
        while j < _FL_E:
            x = (fl[b + ((pos - j) & R)] << sx) >> sx
            if x < f:
                f = x
            j += 1
        fu[b + pos] = f
        # floors known at ages 0 .. m - 1
        m = n - _FL_E + 1
        top = f
        j = 1
        while j < m and j <= _FL_D:
            x = (fu[b + ((pos - j) & R)] << sx) >> sx
            if x > top:
                top = x
            j += 1
        fq[fqb + _F_TOP] = top
        if f < top - tol:
            # the floor itself fell: milk never leaves and a hand only adds weight
            self._fl_bad(ch, _FL_E)
            return 0
        nz = (nzs[ch] << sx) >> sx
        if m >= 2 and f - ((fu[b + ((pos - 1) & R)] << sx) >> sx) > _FL_JUMP_MG + 4 * nz:
            # the floor jumped further in one block than milk flows: pressure with no pause
            # between strokes (two hands, a hand resting on the bottle); start afresh
            fq[fqb + _F_N] = 0
            fq[fqb + _F_RUN] = 0
            fq[fqb + _F_SLOPE] = 0
            return 0
        if m < _FL_D + _FL_B + 1:
            fq[fqb + _F_RUN] = 0
            return 0
        s = (fq[fqb + _F_SLOPE] << sx) >> sx
        # the floor at ages 0, _FL_D and 2 with its lowest bins carried by s mg per block
        f0 = 0
        fd = 0
        f2 = 0
        fl_l = 0  # ... and at age _FL_L
        i = 0
        while i < 4:
            p = pos
            if i == 1:
                p = pos - _FL_D
            elif i == 2:
                p = pos - 2
            elif i == 3:
                p = pos - _FL_L
            e = (fl[b + (p & R)] << sx) >> sx
            j = 1
            while j < _FL_E:
                x = ((fl[b + ((p - j) & R)] << sx) >> sx) + s * j
                if x < e:
                    e = x
                j += 1
            if i == 0:
                f0 = e
            elif i == 1:
                fd = e
            elif i == 2:
                f2 = e
            else:
                fl_l = e
            i += 1
        # the floor's rise before, over _FL_D blocks: the least-squares line through the
        # floors (as they are) at ages _FL_D .. _FL_D + _FL_B (two single floors scatter more),
        # each relative to the one at age _FL_D (the weights sum to 0: the same sum); and the
        # same over _FL_L blocks through the floors at ages _FL_L .. 2 _FL_L (hands on, below).
        # Each window's highest floor too (hd, hl: below)
        before = 0
        bl = 0
        ref = 0
        hd = 0
        hl = 0
        i = 0
        while i < 2:
            d = _FL_D
            w = _FL_B
            if i == 1:
                d = _FL_L
                w = _FL_L
            r0 = (fu[b + ((pos - d) & R)] << sx) >> sx
            sxv = 0
            hi = 0
            j = 0
            while j <= w:
                y = ((fu[b + ((pos - d - j) & R)] << sx) >> sx) - r0
                sxv += (2 * j - w) * y
                if y > hi:
                    hi = y
                j += 1
            x = -(sxv * 6 * d) // (w * (w + 1) * (w + 2))
            if x < 0:
                x = 0
            if i == 0:
                before = x
                ref = r0
                hd = r0 + hi
            else:
                bl = x
                hl = r0 + hi
            i += 1
        # milk never leaves, further back too: the highest floor still in the ring beyond
        # both windows (ages _FL_D + _FL_B + 1 .. m - 1) counts as well (below). A dip longer
        # than the window before (a slow lean, a ripple's beat) and its return gained no
        # milk. Only the ring's: two stroke trains out of step lift the floor without a
        # pause, and a memory kept for the whole stretch held that lifted floor against the
        # next ejections (round 39: 10 onsets lost on the twelve sets)
        j = _FL_D + _FL_B + 1
        while j < m:
            x = (fu[b + ((pos - j) & R)] << sx) >> sx
            if x > hd:
                hd = x
            if x > hl:
                hl = x
            j += 1
        rise = f0 - fd
        flow = rise * 1000 // (_FL_D * int(blk.ms))  # the floor's flow, mg/s
        # the flow that carries the next block's floors forward, from the floors as they are
        # (from the carried ones it would feed on itself: a press would lift it)
        sl = (f - ref) // _FL_D
        if sl < 0:
            sl = 0
        elif sl > 1500:
            sl = 1500
        fq[fqb + _F_SLOPE] = sl
        if armed[ch] == 0:
            # re-arm here too (massage may go on for minutes: the CUSUM never sees it end)
            if self._rearm_due(t_ms, ch, flow, self._fs, fqb + _F_PEAK):
                armed[ch] = 1
            fq[fqb + _F_RUN] = 0
            return 0
        gap = int(self._k[_K_GAP_MS])
        since = t_ms - ((cs[cb + _C_LAST_LD_MS] << sx) >> sx)
        if since < gap or since < (2 * _FL_D + _FL_B) * int(blk.ms):
            fq[fqb + _F_RUN] = 0
            return 0
        before = before * _FL_D // _FL_B
        # milk never leaves: a floor that fell in the window before and comes back up has
        # gained no milk until it passes the highest floor there (less 4 noise units). A dip
        # and its return are something else: a lean without an accelerometer, or a pump's
        # ripple beating against the 1-s blocks, which moves the lowest bins (a median of 3
        # of 200-ms bins) by up to half its amplitude, down and up again (a 2 x ripple gave
        # joint letdowns in no-milk sessions of seeds 300)
        if hd - 4 * nz > fd:
            fd = hd - 4 * nz
        if hl - 4 * nz > fl_l:
            fl_l = hl - 4 * nz
        extra = f0 - fd - before
        need = _FL_MIN_MG + 4 * nz
        base = fd + before
        wl = _FL_D  # the window of the extra tested
        xd = extra  # ... and the extra over each window (the joint test, below)
        xl = -1
        if (
            ((not self.hands_free) or cs[cb + _C_SETTLED_N] < _SETTLED)
            and m >= 2 * _FL_L + 1
            and since >= (2 * _FL_L + _FL_E - 1) * int(blk.ms)
        ):
            # hands on (massage, hand expression, stimulation once asked for; or strokes the
            # coach did not ask for: a hand presses when it likes, and the weight that has not
            # stayed settled for 9 blocks says so as well as the coach): the ejections
            # that come then are weak and slow (0.1-0.2 g/s) and the strokes scatter the
            # floor. Over _FL_D blocks such an ejection rises little faster than the slope
            # before it, which holds its own start; over _FL_L blocks against the _FL_L
            # before, twice as much of its milk shows. The larger extra of the two is tested
            # (the same need; the joint test, below, takes the window bottle 1 took)
            xl = f0 - fl_l - bl
            if xl > extra:
                extra = xl
                base = fl_l + bl
                wl = _FL_L
        # the shape of milk: still rising, and spread over the window (the largest one-block
        # rise of the floor as it is: carried forward, the flow a step gave it would smooth
        # the step away)
        shape = 0
        if extra > 0 and f0 > f2:
            step = 0
            j = 0
            while j < wl:
                x = ((fu[b + ((pos - j) & R)] << sx) >> sx) - (
                    (fu[b + ((pos - j - 1) & R)] << sx) >> sx
                )
                if x > step:
                    step = x
                j += 1
            if step * 100 <= extra * _FL_STEP_PCT + 2 * nz * 100:
                shape = 1
        fq[fqb + _F_EXTRA] = extra if shape else 0
        fq[fqb + _F_NEED] = need
        fq[fqb + _F_K] = k
        fq[fqb + _F_BASE] = base - int(blk.offset_mg)
        fq[fqb + _F_AGE] = wl + (_FL_E >> 1)
        own = need
        joint = 0
        runs = _FL_RUN  # a lone bottle's rise: _FL_RUN passes in a row
        if int(self.n_channels) == 2:
            # the two breasts eject together (~95 %), and a hand presses one at a time: a rise
            # on this bottle alone needs more evidence, and one on both needs less from each
            # (their sum against _FL_JOINT_PCT % of the two needs: the floors' errors are
            # independent)
            ob = (1 - ch) * _F_SLOTS
            eo = 0
            if ((fq[ob + _F_K] << sx) >> sx) >= k - 1:
                eo = (fq[ob + _F_EXTRA] << sx) >> sx
            if eo * 2 < need:
                own = need * _FL_LONE_PCT // 100
            else:
                runs = 1  # the other bottle's floor rises too (the breasts eject together)
            if t_ms - ((cs[(1 - ch) * _C_SLOTS + _C_LAST_LD_MS] << sx) >> sx) <= int(
                self._k[_K_SYNC_MS]
            ):
                # the other bottle's letdown just came (by any path): the breasts eject
                # together, so this one's rise needs as much less evidence as the CUSUM's
                own = need * int(self._k[_K_SYNC_PCT]) // 100
                if self._other_fresh(t_ms, ch):
                    # ... and with its onset fresh (not a late find), in one block, as when
                    # the other bottle's floor rises too: the second block came 1 s past the
                    # 20 s (many-006 of the fixed set: bottle 1's rise letdown at 175 s, bottle
                    # 2's floor at 181 s for an onset at 160.1 s; round 77)
                    runs = 1
            if ch == 1 and ((fq[_F_K] << sx) >> sx) == k and armed[0] != 0:
                # the joint test sums the two bottles' extras over the same window: the one
                # bottle 1 took (its baseline's age says which: _FL_D, or _FL_L while hands
                # are on, where a weak ejection under strokes shows on both first), this
                # bottle's over it
                xj = xd
                if int(fq[_F_AGE]) == _FL_L + (_FL_E >> 1):
                    xj = xl
                if xj > 0 and t_ms - ((cs[_C_LAST_LD_MS] << sx) >> sx) >= gap:
                    need0 = (fq[_F_NEED] << sx) >> sx
                    if (
                        (eo + xj) * 100 >= (need0 + need) * _FL_JOINT_PCT
                        and eo * 100 >= need0 * _FL_PART_PCT
                        and xj * 100 >= need * _FL_PART_PCT
                    ):
                        joint = 1
        if shape == 0 or (extra < own and joint == 0):
            fq[fqb + _F_RUN] = 0
            return 0
        lds = ptr32(self.letdowns)  # noqa: F821
        if lds[0] == 0 and (int(self.n_channels) == 1 or lds[1] == 0):
            # not the session's first letdown: before any milk a floor lifted by a hand that
            # never lets go (compressions held with short releases, two stroke trains out of
            # step) is all it sees, and the first ejection has the CUSUM, the other paths
            # and the session's net (2 mL, 0.1 g/s). As a session's first letdown the floor
            # path was right 3 times in 15 (the fifteen sets at draw 0, seven of them at draws
            # 19-21; the 12 others in no-milk sessions), and those 3 the other paths found too
            fq[fqb + _F_RUN] = 0
            return 0
        fq[fqb + _F_RUN] = fq[fqb + _F_RUN] + 1
        if int(fq[fqb + _F_RUN]) < runs:
            return 0
        fq[fqb + _F_RUN] = 0
        fq[fqb + _F_PEAK] = flow
        self._floor_base(ch)
        if joint:
            # the other bottle's letdown too, by the same evidence (at its next call)
            ptr8(self.pending)[0] = _FOUND_FLOOR  # noqa: F821
            armed[0] = 0
            fq[_F_RUN] = 0
            self._floor_base(0)
        return 1

    def weighing(self):
        """1 while a rise is being weighed as an onset on an armed bottle: its CUSUM holds a
        third of its threshold or more; or the resume path has yet to test the good blocks
        after a disturbance (fewer than _POST_LAST) and the weight stands _RESUME_MIN_MG over
        the level before it, projected by the flow before as that path projects it (_span);
        or the floor path's extra rise, tested at its newest block, half its need (under
        massage strokes). The session's coach waits for it (session.py)."""
        part = int(self._k[_K_THRESH_Q4]) // 3
        cs = self._cs
        fq = self._fs
        for ch in range(int(self.n_channels)):
            if not self._armed[ch]:
                continue
            cb = ch * _C_SLOTS
            if cs[cb + _C_CUSUM_Q4] >= part:
                return 1
            g = cs[cb + _C_GOOD]
            if self._pre_dist[ch] and 0 < g < _POST_LAST and cs[cb + _C_PRE_K] >= 0:
                # milk that came during the disturbance just ended, still to be tested: an
                # ejection that began in a hold is reported at the resume path's first tests,
                # 5-12 good blocks after it, and the coach's next step given before then lands
                # in its flow (low_volume-202 of seeds 200 at draw 124: `hand_express` 14 s
                # into an ejection that began in a 41-degree tilt, 1 s before its letdown)
                x = cs[cb + _C_SEEN] - cs[cb + _C_PRE_K]
                bms = self._k[_K_BLOCK_MS]
                pf = cs[cb + _C_PRE_FLOW]
                if x <= _RESUME_MAX_BLOCKS and (
                    self._ring[ch * _RING + cs[cb + _C_POS]]
                    + cs[cb + _C_FRAME_OFF]
                    - cs[cb + _C_PRE_MG]
                    - pf * bms // 1000 * self._span(ch, pf, x, bms)
                    >= _RESUME_MIN_MG
                ):
                    return 1
            b = ch * _F_SLOTS
            if (
                fq[b + _F_K] == cs[cb + _C_SEEN]
                and fq[b + _F_EXTRA] > 0
                and 2 * fq[b + _F_EXTRA] >= fq[b + _F_NEED]
            ):
                return 1
        return 0

    def found(self, t_ms, ch):
        """Someone else (the session's safety net) found this bottle's letdown: disarm as
        if the detector had fired, so the same ejection is not reported twice."""
        self._restart(ch)
        self.found_by[ch] = _FOUND_MILK
        self._fire(t_ms, ch)

    def _above_low(self, ch, v, end, n, sd):
        # At a crossing: milk lifts the weight above the lowest block of the baseline too.
        # Massage strokes too small to unsettle the weight only ever add to it; when they
        # stop it drops back to their troughs, where a line through the strokes leaves
        # positive residuals (control-103 of seeds 100: a false letdown 10 s after a press).
        # And above every block before the evidence in this run of good blocks by one sd:
        # milk never leaves, so a weight that dipped slowly (a lean without an accelerometer:
        # 145 g x (1 - cos 7 deg) = 1.1 g) and comes back has gained none, though the line
        # through the dip's blocks falls behind it. Bytecode, not viper: it runs only at a
        # crossing, and as bytecode it made the room the ROMFS app run needed to stay in its
        # 64-KB budget with round 39's safety-net fix (a few hundred bytes; that run fails or
        # not with the image's size and its allocations together: bench device_cost)
        ring = self._ring
        cs = self._cs
        rb = ch * _RING
        pos = cs[ch * _C_SLOTS + _C_POS]
        lo = v
        hi = v - 2 * sd - 1  # (no block before: passes)
        m = cs[ch * _C_SLOTS + _C_GOOD] - end  # (the baseline's n blocks at least)
        if m < n:
            m = n
        j = 0
        while j < m:
            x = ring[rb + ((pos - end - j) & (_RING - 1))]
            if j < n and x < lo:
                lo = x
            if x > hi:
                hi = x
            j += 1
        return v >= lo + _ABOVE_LOW_SD * sd and v > hi + sd

    def _rising(self, ch):
        # Milk is still arriving when the evidence is complete: the newest blocks rise (a
        # least-squares slope over the last 5 blocks at least 1.5 standard errors above
        # zero). A step (press, settling after motion) or a wander that stopped is not an
        # ejection.
        cs = self._cs
        cb = ch * _C_SLOTS
        n = _RISE_BLOCKS
        if cs[cb + _C_GOOD] < n:
            return False
        g = cs[cb + _C_GAP]
        if g < 0 and _POST_LAST + g < n - 1:
            # the newest blocks hold more than one of a bridged gap's line (no observations)
            return False
        self._fit(ch, 0, n, 0)
        slower = 1
        if g < 0:
            # soon after a bridged gap: milk that came during it still comes after it (an
            # ejection's flow changes smoothly, and speeds up over its first 8-25 s), at the
            # rate across the gap at least; a step across it (a few drops, something set on
            # the bottle) stays flat. The line's rate: its two newest values, just older than
            # the _POST_LAST + g blocks observed since
            a = cs[cb + _C_POS] - _POST_LAST - g
            r = self._ring
            across = 8 * (r[ch * _RING + a % _RING] - r[ch * _RING + (a - 1) % _RING])
            if self._fit_b8 < across:
                # slower than across the gap: an ejection that peaked in it decays after it
                # (many-001 of the fixed set at draw 87: 482 mg a block across, 430 after),
                # at half the rate at least and twice as clear of the noise as below (a step
                # of 0.5 g across a gap gave one more letdown in 48 at half the rate alone)
                if 2 * self._fit_b8 < across:
                    return False
                slower = 2
        # SE of the slope per block for noise sd: sd / sqrt(n (n^2 - 1) / 12)
        sxx = n * (n * n - 1) // 12
        b8 = self._fit_b8
        sd = cs[cb + _C_SD]
        # b8 / 8 >= q * sd / sqrt(sxx)  <=>  b8^2 * sxx >= (8 q sd)^2 (b8 > 0)
        if b8 <= 0:
            return False
        if b8 > 20000:  # 2.5 g/s: rising, whatever the noise (keeps b8^2 small)
            return True
        lhs = b8 * b8 // 64 * sxx  # <= 4e8 / 64 * 10 < 2**29 (sxx = 10 for 5 blocks)
        q = _RISE_Q4 * sd * slower // 16
        if q > 20000:
            q = 20000
        return lhs >= q * q

    def _stopped(self, ch, sd):
        # At a crossing (and its confirmation): the rise is no ejection's if it stopped or
        # fell back. Stopped: a rise that came in one block, a hand pressing (a held
        # compression rises in under a second, the block filter spreads it over 2-3 blocks,
        # then it holds flat); milk's flow changes smoothly, so an ejection's newest block
        # still rises by a good part of its largest one. The largest one-block rise of the
        # newest _STEP_BLOCKS over 4 noise units, the newest under a quarter of it. Fell back:
        # below. (Bytecode: it runs at crossings only, and stays in the ROMFS image on a board.)
        r = self._ring
        b = ch * _RING
        cb = ch * _C_SLOTS
        p = self._cs[cb + _C_POS]
        v = r[b + p]
        new = v - r[b + (p - 1) % _RING]
        top = self._top_rise(r, b, p, _RING, _STEP_BLOCKS)
        if top > 4 * sd and 4 * new < top:
            return True
        # Or a rise that came faster than milk's flow can speed up: a one-block rise over the
        # one before (or over none, if the weight fell then: milk never leaves, so that was
        # noise) by more than a_max's block's worth + 4 noise units (a held compression lands
        # within a second: +1.9 g in one block after +0.1 g). Or a one-block rise that stands
        # out from the rises on both sides of it, by more than a_max's worth each + 4 noise
        # units together: a step in the weight, where milk's flow changes smoothly both ways
        # (a compression landing over 2-3 blocks: +0.14, +0.68, +0.22 g, control-500 of seeds
        # 500 at noise draw 37; +0.28, +0.98, +0.38 g, control-100 with held presses at draw
        # 36; each just under the one-sided test). A fall after the rise counts as it is (the
        # confirming block's, whose fall the confirmation itself weighs: milk never leaves):
        # +0.33, +0.85, -0.30 g, control-100 of seeds 100 at draw 40. Not soon after a bridged
        # gap: the gap's line is no observation, and the blocks after it catch up with the milk
        # that came meanwhile (late_me-1101 of seeds 1100: +1.1-1.2 g a block after a 4-s gap
        # inside an ejection's rise)
        if self._cs[cb + _C_GAP] >= 0:
            amax = self._k[_K_ACCEL_MAX_MG]
            lim = amax + 4 * sd
            after = 0  # the rise after this one (the newest, j = 0, has none)
            j = 0
            while j < _STEP_BLOCKS - 1:
                before = max(r[b + (p - j - 1) % _RING] - r[b + (p - j - 2) % _RING], 0)
                rise = r[b + (p - j) % _RING] - r[b + (p - j - 1) % _RING]
                if rise - before > lim:
                    return True
                if j > 0 and 2 * rise - before - after > 2 * amax + 4 * sd:
                    return True
                after = rise
                j += 1
        # Or a rise that fell back: milk never leaves, so the newest block may not lie 1.5 sd
        # below any block of the evidence (the blocks the CUSUM has been positive). A hand's
        # first strokes, too small to unsettle the weight, rise like an onset for 2-3 s and
        # fall back between them (late_lactation-100 and late_me-104 of seeds 100: letdowns
        # 4-10 s into a press, the newest block 0.3-0.7 g under the evidence's highest)
        j = min(self._cs[cb + _C_CUSUM_LEN], self._cs[cb + _C_GOOD] - 1, _RING - 1)
        while j > 0:
            if r[b + (p - j) % _RING] - 3 * sd // 2 > v:
                return True
            j -= 1
        return False

    def _top_rise(self, r, b, p, size, n):
        # the largest one-step rise among the newest n of a ring's values (r[b ..
        # b + size - 1], the newest at p): the shape tests of _stopped and the walk path
        top = r[b + p] - r[b + (p - 1) % size]
        for j in range(1, n):
            d = r[b + (p - j) % size] - r[b + (p - j - 1) % size]
            if d > top:
                top = d
        return top

    def _fire(self, t_ms, ch):
        # the estimated onset (the event's onset_t_s): where the evidence began
        cs = self._cs
        cb = ch * _C_SLOTS
        self.onset_ms[ch] = t_ms - (cs[cb + _C_BASE_AGE] + 1) * self._k[_K_BLOCK_MS]
        self._armed[ch] = 0
        self._confirm[ch] = 0
        self.pending[ch] = 0  # one ejection, one event (a milk-path report may be waiting)
        cs[cb + _C_CUSUM_Q4] = 0
        cs[cb + _C_CUSUM_LEN] = 0
        cs[cb + _C_PEAK] = cs[cb + _C_FAST]
        cs[cb + _C_PEAK_MS] = t_ms
        # the resume path's flow before is the flow again (update: while the CUSUM held
        # evidence it was its baseline's): the milk of this ejection is now explained
        f = cs[cb + _C_FAST]
        if cs[cb + _C_PRE_FLOW] < f:
            cs[cb + _C_PRE_FLOW] = f if f < 2000 else 2000
        # ... and the floor path's peak is this ejection's, from here on (left at an earlier
        # ejection's, the floor path re-armed the channel 20 s into this one, whose flow had
        # not yet passed that peak: a second letdown on its rise, late_me-401 of seeds 400
        # with held presses, 754 and 776 s)
        self._fs[ch * _F_SLOTS + _F_PEAK] = 0
        cs[cb + _C_LAST_LD_MS] = t_ms
        cs[cb + _C_TAPERED] = 0
        self.letdowns[ch] += 1
        how = self.found_by[ch]
        if (how == _FOUND_RISE or how == _FOUND_WALK) and self.n_channels == 2:
            # the other bottle, blind now (its newest block not good: held, unsettled,
            # shaken or tilted past the correction) and still armed, cannot see this ejection,
            # and the breasts eject together (~95 %). If it had milk before (its tare is set),
            # it gets its letdown at its next call, dated by this evidence (the CUSUM's or the
            # walk path's: the floor and resume paths' lent more false letdowns than onsets).
            # Its own paths find it only once it is readable again, 2-9 s later or past the 20
            # s a letdown is worth (few-304 of seeds 300: a press, then a tilt, +31.8 s). It
            # may have seen the ejection's first blocks before it went blind, too few to decide
            # on: until round 72 only a bottle blind since the evidence began got it, and a hand
            # that came on it a few seconds after the onset hid the ejection (many-103 of seeds
            # 100 with held presses at draws 0 and 115-118, low_volume-501 of seeds 500 at three
            # of them). One still reading its weight gets it if it goes blind within 2 blocks,
            # before its own paths decide (update)
            o = 1 - ch
            age = cs[cb + _C_BASE_AGE]
            if (
                self._armed[o]
                and self.letdowns[o] > 0
                and cs[o * _C_SLOTS + _C_GOOD] < 0
                and not self.pending[o]
            ):
                self.pending[o] = how
                self._armed[o] = 0
                cs[o * _C_SLOTS + _C_BASE_AGE] = age

    def _still_flowing(self, ch, fresh, unsettled):
        # At a taper: does milk still arrive? The robust flow lags (8 blocks, frozen while
        # held); a new ejection starting as the last one tapers, or milk under massage strokes,
        # shows first in the floor's flow (held blocks included) or in the newest good blocks
        cs = self._cs
        cb = ch * _C_SLOTS
        fq = self._fs
        fqb = ch * _F_SLOTS
        ms = self._k[_K_BLOCK_MS]
        if fq[fqb + _F_SLOPE] * 1000 // ms >= self._k[_K_TAPER]:
            return True
        if unsettled > 0 and fq[fqb + _F_N] - _FL_E + 1 > _TAPER_FLOOR_BLOCKS:
            # under strokes the floor's slope scatters with them (80-200 mg/s at 0.11 g/s,
            # continuous-404 of seeds 400 at draw 85): its rise over a longer window, while
            # the floor path has that many floors in a row (the newest is the block before)
            p = fq[fqb + _F_POS]
            b = ch * _FL_RING
            fu = self._fl_fu
            rise = fu[b + p] - fu[b + (p - _TAPER_FLOOR_BLOCKS) % _FL_RING]
            # (against the rise the threshold makes: no product of the rise, which could leave
            # the chip's small ints)
            if rise >= (self._k[_K_TAPER] * _TAPER_FLOOR_BLOCKS * ms + 999) // 1000:
                return True
        # the newest good blocks in the ring: with this block (`fresh`: pushed, not counted
        # in _C_GOOD yet) or, on a block that is not good, up to the one before
        if cs[cb + _C_GOOD] + fresh >= _TAPER_FIT_BLOCKS:
            self._fit(ch, 0, _TAPER_FIT_BLOCKS, 0)
            if self._fit_b8 * 125 // ms >= self._k[_K_TAPER] + _TAPER_RISE_MG_S:
                return True
        return False

    @micropython.viper
    def _taper_check(self, ch: int, flow: int, unsettled: int, calm: int, fresh: int) -> int:
        # viper: the channel's slots through ptr32 (sign-extended), once a block per bottle
        sx = int(WORD_SX)
        cs = ptr32(self._cs)  # noqa: F821 (viper built-in)
        cb = ch * _C_SLOTS
        inh = ptr8(self._in_high)  # noqa: F821
        if inh[ch] == 0:
            after = (cs[cb + _C_AFTER_TAPER] << sx) >> sx
            if after > 0:
                # just after a taper: the decaying flow's scatter is not a new period
                cs[cb + _C_AFTER_TAPER] = after - 1
                flow -= _TAPER_REENTRY_MG_S
            if calm < _TAPER_CALM_BLOCKS:
                # the 8-block flow still spans a hold's re-based step: not milk yet
                return _EV_NONE
            need = int(self._k[_K_HIGH_BLOCKS])
            hr = (cs[cb + _C_HIGH_RUN] << sx) >> sx
            tapered = cs[cb + _C_TAPERED]
            if tapered == 2 and hr <= 0:
                tapered = 1
            if unsettled > 0:
                # the weight fell: something pressed on the bottle. Massage strokes' rises
                # are not milk, but an ejection can start under massage: a period starts
                # there only on a bottle that already had milk, and needs twice as long
                if int(ptr32(self.letdowns)[ch]) == 0:  # noqa: F821
                    cs[cb + _C_HIGH_RUN] = 0
                    return _EV_NONE
                need = _TAPER_MASSAGE_BLOCKS
            if tapered != 0 and flow >= int(self._k[_K_HIGH]):
                if unsettled > 0 or cs[cb + _C_TILT_WAIT] > _TILT_WAIT - _TAPER_FRESH_BLOCKS:
                    tapered = 2
            if tapered == 2:
                # tapered with no letdown since, and the run counted a block under strokes or
                # while the 8-block flow spanned the tilt correction's error step (a lean, a
                # turn, a bottle heavier than assumed): it needs as long as under massage
                need = _TAPER_MASSAGE_BLOCKS
            cs[cb + _C_TAPERED] = tapered
            # leaky count: a block of noise below the threshold does not restart it (no
            # letdown is required first: a missed onset should not cost its taper too);
            # under massage only a falling estimate takes one off (the strokes scatter it)
            if flow >= int(self._k[_K_HIGH]):
                hr += 1
                cs[cb + _C_HIGH_RUN] = hr
                if hr >= need:
                    inh[ch] = 1
                    cs[cb + _C_LOW_RUN] = 0
                    # a new period after a taper: the milk path tries its first blocks (below)
                    if int(ptr32(self.tapers)[ch]) > 0:  # noqa: F821
                        cs[cb + _C_MILK_TRY] = _MILK_TRY_BLOCKS
            elif hr > 0:
                if unsettled == 0 or flow < 0:
                    cs[cb + _C_HIGH_RUN] = hr - 1
            elif hr < 0:
                cs[cb + _C_HIGH_RUN] = hr + 1  # (after a lean's return: update)
            return _EV_NONE
        mt = cs[cb + _C_MILK_TRY]
        if mt > 0:
            # the milk path (module comment): after a taper only a new ejection brings the
            # flow back; on settled weight, with no letdown reported for it (armed), it is one
            # the other paths missed, reported at this channel's next call (update: pending)
            cs[cb + _C_MILK_TRY] = mt - 1
            # not while the tilt correction's error step may still lie in the flow's window
            # (a turn: the step is no milk, as for the slow path)
            if (
                unsettled == 0
                and int(ptr8(self._armed)[ch]) != 0  # noqa: F821
                and cs[cb + _C_TILT_WAIT] == 0
            ):
                back = int(self._milk_back(ch, flow))
                if back >= 0:
                    ptr8(self.pending)[ch] = _FOUND_MILK  # noqa: F821
                    cs[cb + _C_BASE_AGE] = back
                    cs[cb + _C_MILK_TRY] = 0
        lr = (cs[cb + _C_LOW_RUN] << sx) >> sx
        tb = int(self._k[_K_TAPER_BLOCKS])
        before = (cs[cb + _C_TAPER_FLOW] << sx) >> sx
        cs[cb + _C_TAPER_FLOW] = flow
        if flow < int(self._k[_K_TAPER]):
            if ((cs[cb + _C_STEP_FLOW] << sx) >> sx) >= int(self._k[_K_TAPER]) + _TAPER_STEP_MG_S:
                # the flow was above the threshold before a step the estimate's window now
                # spans (module constants above); a low value then is not yet a taper
                if cs[cb + _C_TILT_WAIT] > _TILT_WAIT - _TAPER_FRESH_BLOCKS:
                    return _EV_NONE
                if cs[cb + _C_FRAME_AGE] < _TAPER_FRESH_BLOCKS and flow >= before:
                    return _EV_NONE
            lr += 1
            cs[cb + _C_LOW_RUN] = lr
            if lr >= tb:
                if self._still_flowing(ch, fresh, unsettled):
                    cs[cb + _C_LOW_RUN] = tb - 1
                    return _EV_NONE
                inh[ch] = 0
                cs[cb + _C_HIGH_RUN] = 0
                cs[cb + _C_AFTER_TAPER] = _TAPER_AFTER_BLOCKS
                tp = ptr32(self.tapers)  # noqa: F821
                tp[ch] = tp[ch] + 1
                cs[cb + _C_TAPERED] = 1
                return _EV_TAPER
        elif unsettled == 0 and lr > 0:
            # a leaky count: a slowly decaying flow near the threshold reads above it now and
            # then (the estimate's scatter); a block above takes one off instead of restarting
            # the run. Under massage strokes a high block does not count at all: the strokes
            # lift the estimate, the milk has tapered
            cs[cb + _C_LOW_RUN] = lr - 1
        return _EV_NONE
