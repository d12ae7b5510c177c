# Drivers: one chip per file; bus and pins are passed in, the driver never creates them.
#
# The interfaces the rest of the firmware relies on (board.py builds these):
#   load-cell ADC (hx711.HX711, nau7802.NAU7802, trace_parts.TraceScale):
#       ready() -> bool, read() -> signed counts (OSError on timeout), power_down(), power_up()
#   accelerometer (lis3dh.LIS3DH, mpu6886.MPU6886, trace_parts.TraceAccel):
#       read_mgee_into(out) -> out[0..2] in milli-g, ready(), power_down(), power_up()
#   flow sensor (dropcounter.DropCounter, slf3s.SLF3S), a second flow source per bottle:
#       read() -> flow_mg_s (int), volume_mg, valid (False while unreliable: air in line),
#       power_down(), power_up()
#   motor (vibration.Motor, drv2605.DRV2605): on(strength_pct), off(), power_down()
#   button (button_pin.ButtonPin): value() -> raw level, pressed(), pin, wake_level
#   battery (battery.Battery): read_mv(), percent(), low()
# Only these modules and board.py / power.py import `machine`.
