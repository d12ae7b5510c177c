# A fake TI DRV2605L at the register level (datasheet SLOS854), for the unix port.
#
#     chip = FakeDRV2605(); machine.fake_i2c_attach(0x5A, chip)
#
# Modelled: STATUS reads DEVICE_ID 7 (DRV2605L) in bits 7..5; MODE resets to 0x40 (standby);
# DEV_RESET (MODE bit 7) restores the defaults and clears itself after `reset_reads` reads;
# writing GO=1 outside standby in internal-trigger mode plays WAVESEQ1.. up to the first 0
# (appended to `played`), GO reads 1 for `play_reads` reads, then clears itself; in RTP mode
# (MODE=5) RTP_INPUT is the drive level (`rtp_levels` keeps each value written).
from regdev import RegisterDevice

MODE, RTP, LIBRARY, WAVESEQ1, GO = 0x01, 0x02, 0x03, 0x04, 0x0C
FEEDBACK, CONTROL3 = 0x1A, 0x1D


class FakeDRV2605(RegisterDevice):
    def __init__(self, device_id=7):
        super().__init__(0x23)
        self.device_id = device_id
        self.reset_reads = 1
        self.play_reads = 2
        self._reset_countdown = 0
        self._play_countdown = 0
        self.played = []
        self.rtp_levels = []
        self._defaults()

    def _defaults(self):
        for i in range(len(self.regs)):
            self.regs[i] = 0
        self.regs[0x00] = (self.device_id << 5) | 0x00
        self.regs[MODE] = 0x40
        self.regs[LIBRARY] = 0x01
        self.regs[WAVESEQ1] = 0x01
        self.regs[FEEDBACK] = 0x36
        self.regs[CONTROL3] = 0xA0

    @property
    def standby(self):
        return bool(self.regs[MODE] & 0x40)

    @property
    def mode(self):
        return self.regs[MODE] & 0x07

    @property
    def drive_level(self):
        """What the actuator gets now: the RTP level in RTP mode, else 0."""
        if self.standby or self.mode != 5:
            return 0
        return self.regs[RTP]

    def on_read(self, reg):
        if reg == MODE and self._reset_countdown:
            self._reset_countdown -= 1
            if not self._reset_countdown:
                self._defaults()
        value = self.regs[reg]
        if reg == GO and self._play_countdown:
            self._play_countdown -= 1  # GO reads 1 for play_reads reads, then clears
            if not self._play_countdown:
                self.regs[GO] = 0
        return value

    def on_write(self, reg, value):
        if reg == 0x00:
            return  # STATUS is read only
        if reg == MODE and value & 0x80:
            self.regs[MODE] = value
            self._reset_countdown = self.reset_reads
            return
        self.regs[reg] = value
        if reg == RTP:
            self.rtp_levels.append(value)
        if reg == GO:
            if value & 1 and not self.standby and self.mode == 0:
                seq = []
                for i in range(8):
                    effect = self.regs[WAVESEQ1 + i]
                    if effect == 0:
                        break
                    seq.append(effect)
                self.played.append(tuple(seq))
                self._play_countdown = self.play_reads
            elif value & 1:
                self.regs[GO] = 0  # ignored in standby / other modes
            else:
                self._play_countdown = 0
