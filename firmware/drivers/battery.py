# MIT license. Battery voltage through a resistor divider on an ADC pin.
#
#     from machine import ADC, Pin
#     from drivers.battery import Battery
#     bat = Battery(ADC(Pin(35), atten=ADC.ATTN_11DB), divider_x1000=2000)   # 2 x 100 kohm
#     bat.read_mv()        # cell voltage in mV (mean of `samples` readings)
#     bat.percent()        # rough state of charge of a 1-cell LiPo, 0..100
#
# read_uv() is the ESP32's calibrated reading (eFuse Vref), so no per-board factor is needed
# beyond the divider ratio; `trim_x1000` corrects a measured error (1000 = none).
# Limits: the LiPo curve is a resting-voltage table: under load (motor running) the reading
# sags ~50-100 mV, so read between vibrations. A 2 x 100 kohm divider draws 21 uA for ever;
# larger resistors need a 100 nF cap at the ADC pin. Integers only.

# (mV, %) resting voltage of a 1-cell LiPo, high to low (typical curve, not a datasheet)
_CURVE_MV = (4200, 4100, 4000, 3900, 3800, 3750, 3700, 3600, 3500, 3300)
_CURVE_PCT = (100, 90, 80, 65, 50, 40, 30, 15, 5, 0)


class Battery:
    def __init__(self, adc, divider_x1000=2000, trim_x1000=1000, samples=4, low_mv=3450):
        if divider_x1000 < 1000:
            raise ValueError("Battery divider_x1000 is (R1+R2)/R2 x 1000: at least 1000")
        self._adc = adc
        self.divider_x1000 = divider_x1000
        self.trim_x1000 = trim_x1000
        self.samples = max(1, samples)
        self.low_mv = low_mv

    def read_mv(self):
        total_uv = 0
        for _ in range(self.samples):
            total_uv += self._adc.read_uv()
        pin_mv = total_uv // self.samples // 1000
        return pin_mv * self.divider_x1000 // 1000 * self.trim_x1000 // 1000

    def percent(self, mv=None):
        if mv is None:
            mv = self.read_mv()
        if mv >= _CURVE_MV[0]:
            return 100
        for i in range(1, len(_CURVE_MV)):
            hi, lo = _CURVE_MV[i - 1], _CURVE_MV[i]
            if mv >= lo:
                p_hi, p_lo = _CURVE_PCT[i - 1], _CURVE_PCT[i]
                return p_lo + (p_hi - p_lo) * (mv - lo) // (hi - lo)
        return 0

    def low(self):
        return self.read_mv() < self.low_mv
