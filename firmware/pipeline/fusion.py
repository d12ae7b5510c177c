# Fusion: a bottle's weight-based flow (flow.FlowStage) with a flow sensor on the same bottle
# (drivers.dropcounter.DropCounter under the flange, or drivers.slf3s.SLF3S in the tubing).
#
#     fu = FlowFusion(sensor, cfg)          # the session makes one per bottle with a sensor
#     per sample: fu.update(t_ms, stage)    # after stage.update(); no allocation
#     fu.flow_mg_s, fu.volume_mg            # what the session reports for that bottle
#
# The two sources fail in opposite places, which is why both are worth having:
# - the load cell is absolute (grams are grams) but blind while an artifact is held (a hand
#   pressing during massage, a tilt, walking) and slow at the first drops of a letdown;
# - the flow sensor sees every drop at once and is untouched by pressure or tilt, but a drop
#   counter's drop size is only calibrated, and it under-counts a stream (> ~10 drops/s); an
#   inline sensor reports air in the line as invalid.
# So: while the weight stage holds, flow and volume follow the sensor (the volume goes on
# from where the weight stood when the hold began); otherwise flow is a blend
# (`fusion_sensor_share_pct` of the sensor), and the volume is the weight's, the reference,
# which also re-anchors any drift of the sensor's count after each hold.
# Limits: the sensor is read at most every 200 ms (its own window smooths it); letdown and
# taper decisions stay with the detector, which reads the weight stage.
from micropython import const

_READ_EVERY_MS = const(200)


class FlowFusion:
    def __init__(self, sensor, cfg):
        self.sensor = sensor
        self.sensor_share_pct = int(cfg.get("fusion_sensor_share_pct", 50))
        self.flow_mg_s = 0
        self.volume_mg = 0
        self.sensor_flow_mg_s = -1  # -1: no valid reading
        self._t_read_ms = 0
        self._read_once = False
        self._hold_sensor_mg = -1  # the sensor's volume when the current hold began
        self._hold_volume_mg = 0  # the fused volume then

    def _read_sensor(self, t_ms):
        if self._read_once and t_ms - self._t_read_ms < _READ_EVERY_MS:
            return
        self._read_once = True
        self._t_read_ms = t_ms
        s = self.sensor
        try:
            flow = s.read()
        except OSError:  # a glitching bus: the weight carries on alone
            self.sensor_flow_mg_s = -1
            return
        self.sensor_flow_mg_s = flow if s.valid else -1

    def update(self, t_ms, stage):
        self._read_sensor(t_ms)
        sensor_flow = self.sensor_flow_mg_s
        if stage.holding and sensor_flow >= 0:
            if self._hold_sensor_mg < 0:
                self._hold_sensor_mg = self.sensor.volume_mg
                self._hold_volume_mg = self.volume_mg
            self.volume_mg = self._hold_volume_mg + (self.sensor.volume_mg - self._hold_sensor_mg)
            self.flow_mg_s = sensor_flow
            return
        self._hold_sensor_mg = -1
        self.volume_mg = stage.volume_mg
        if sensor_flow < 0:
            self.flow_mg_s = stage.flow_mg_s
        else:
            share = self.sensor_share_pct
            self.flow_mg_s = (stage.flow_mg_s * (100 - share) + sensor_flow * share) // 100
