# The pump monitor's vocabulary: event, cue, phase, button and fault codes.
#
# One module for the firmware and the host tools (the log codec stores these codes). Codes
# are append-only: never renumber, the logs on flash keep them. Their printed names live in
# eventnames.py, imported only where names are printed (replay, the console, the host).
# Modules on the session path (session, coach, detect) keep private copies of the codes
# they use (`_EV_LETDOWN = const(1)`: folded into their bytecode, no dict entry, no lookup);
# tests/host/test_event_codes.py checks that every copy agrees with this module.
from micropython import const

# Events (what the pipeline observed or did). 0 means "nothing".
EV_NONE = const(0)
EV_LETDOWN = const(1)  # a milk ejection began (arg: peak-to-date flow, mg/s)
EV_TAPER = const(2)  # flow fell to a trickle after a high-flow period
EV_CUE = const(3)  # a vibration cue was given (arg: cue code)
EV_PHASE = const(4)  # the coach changed phase (arg: phase code)
EV_MOTION = const(5)  # wearer moving / tilted: weight readings held (arg: 1 start, 0 end)
EV_FAULT = const(6)  # a sensor or storage fault (arg: fault code)
EV_BUTTON = const(7)  # a button press (arg: press kind)
EV_CUE_RESULT = const(8)  # what a cue brought: arg = mg expressed in the window after it
EV_SESSION_START = const(9)
EV_SESSION_END = const(10)  # arg: why it ended (END_*; 1 is `done`, as in older logs)

# Cues (each is a distinct vibration pattern; see docs/cues.md).
CUE_NONE = const(0)
CUE_STIMULATE = const(1)  # no letdown yet: massage, warmth, a photo of the baby
CUE_LETDOWN = const(2)  # milk is flowing: compress
CUE_MASSAGE = const(3)  # flow has tapered: massage, then compress again
CUE_HAND_EXPRESS = const(4)  # massage rounds spent: finish by hand expression
CUE_DONE = const(5)  # the session is over
CUE_FAULT = const(6)  # a sensor failed: check the bottle / device
CUE_STORAGE_FULL = const(7)  # flash almost full: pull sessions to a computer
CUE_SINGLE_PUMP = const(8)  # switch to single pumping, both hands on one breast
CUE_NOT_SAVED = const(9)  # flash full, nothing confirmed to prune: only the summary is saved

# How urgent each cue is (index: cue code): a more urgent cue interrupts a playing one and
# goes first in the coach's queue. fault and storage_full outrank the protocol's cues.
URGENCY = bytes((0, 2, 1, 3, 4, 5, 6, 2, 3, 6))

# Why a session ended (the arg of EV_SESSION_END). Logs written before these codes carry 1
# for `done` and 0 for any other reason, which reads as "other".
END_OTHER = const(0)  # not recorded (an older log)
END_DONE = const(1)  # the coach's `done`: flow stopped after the final step, or max_session_s
END_BUTTON = const(2)  # a long press
END_HOST = const(3)  # a computer asked for it (`pumpmon config set --stop-session`)
END_TRACE = const(4)  # the emulator's recorded trace ran out

# How a letdown was found (replay's `found`): the detector's paths, or the session's net.
FOUND_RISE = const(1)  # the weight rose on quiet blocks (the evidence test)
FOUND_SLOW = const(2)  # a sustained rise of the lower envelope (slow, or under disturbance)
FOUND_RESUME = const(3)  # milk that arrived during a disturbance, seen when the level settled
FOUND_MILK = const(4)  # the safety net: milk in the bottles (or flow) with no letdown yet;
# after a taper, a new high-flow period with no letdown for it (detect.py's milk path)
FOUND_FLOOR = const(5)  # the floor (the weight between massage strokes) rose like milk
FOUND_WALK = const(6)  # the gait-cancelled weight rose like milk during a walk

# Coach phases.
PH_IDLE = const(0)
PH_STIMULATION = const(1)  # waiting for the first letdown
PH_EXPRESSING = const(2)  # milk flowing: compress
PH_MASSAGE = const(3)  # flow tapered: massage round
PH_HAND_EXPRESSION = const(4)  # final hand expression step
PH_DONE = const(5)
PH_SINGLE_PUMP = const(6)

# Button press kinds.
BTN_NONE = const(0)
BTN_SHORT = const(1)  # acknowledge a cue
BTN_LONG = const(2)  # start / stop a session
BTN_DOUBLE = const(3)  # mark a moment

# Faults.
FAULT_NONE = const(0)
FAULT_SENSOR_TIMEOUT = const(1)  # ADC gave no sample within its deadline
FAULT_SENSOR_RANGE = const(2)  # reading out of range / saturated / bottle removed
FAULT_CONFIG = const(3)  # configuration file missing, corrupt or out of range
FAULT_STORAGE = const(4)  # flash write failed
FAULT_STORAGE_LOW = const(5)  # little space left
FAULT_CLOCK = const(6)  # wall clock not set
FAULT_ACCEL = const(7)  # accelerometer absent or failed
