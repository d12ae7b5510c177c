# A fake NAU7802 at the register level (datasheet register map), for the unix port.
#
#     chip = FakeNAU7802()
#     machine.fake_i2c_attach(0x2A, chip)
#     chip.inputs = [5000, 0]     # counts per channel at gain 128 (scaled for other gains)
#     chip.convert()              # a conversion completes: PU_CTRL.CR is set
#
# Modelled: RR resets every register; PUR follows PUD (after `power_up_reads` status reads);
# conversions only while PUD, PUA and CS are set; CR set by a conversion and cleared by reading
# ADCO_B0 (0x14); CALS clears itself after `cal_reads` reads of CTRL2, setting CAL_ERR when
# `cal_error`; read-only bits (PUR, CR, CAL_ERR) ignore writes; REVISION_ID reads 0x0F.
# Timing (SparkFun / CedarGrove drivers, datasheet): after RR=1 the chip NACKs for `reset_ms`;
# an offset calibration started less than `settle_ms` after power-up (PUR) is taken on an
# unsettled front end: the fake refuses it with CAL_ERR and counts it in `unsettled_cals`.
import errno
import time

from regdev import RegisterDevice

PU_CTRL = 0x00
CTRL1 = 0x01
CTRL2 = 0x02
ADCO_B2 = 0x12
ADCO_B0 = 0x14
REVISION_ID = 0x1F
PUD, PUA, PUR, CS, CR = 0x02, 0x04, 0x08, 0x10, 0x20


class FakeNAU7802(RegisterDevice):
    def __init__(self):
        super().__init__(32)
        self.inputs = [0, 0]
        self.power_up_reads = 2
        self.cal_reads = 3
        self.cal_error = False
        self.calibrations = 0
        self._pur_countdown = 0
        self._cal_countdown = 0
        self.auto = False  # True: a fresh conversion is ready at every status read
        self.reset_ms = 1
        self.settle_ms = 400
        self.unsettled_cals = 0
        self._t_reset = None
        self._t_pur = None
        self._cal_bad = False
        self._reset()

    def _reset(self):
        for i in range(len(self.regs)):
            self.regs[i] = 0
        self.regs[REVISION_ID] = 0x0F

    @property
    def converting(self):
        pu = self.regs[PU_CTRL]
        return pu & (PUD | PUA | CS) == (PUD | PUA | CS) and bool(pu & PUR)

    @property
    def powered_down(self):
        return not self.regs[PU_CTRL] & (PUD | PUA)

    @property
    def gain(self):
        return 1 << (self.regs[CTRL1] & 0x07)

    @property
    def channel(self):
        return 1 if self.regs[CTRL2] & 0x80 else 0

    def convert(self):
        """A conversion completes; False when the chip is not converting."""
        if not self.converting:
            return False
        value = self.inputs[self.channel] * self.gain // 128
        value = max(-0x800000, min(0x7FFFFF, value)) & 0xFFFFFF
        self.regs[ADCO_B2] = value >> 16
        self.regs[ADCO_B2 + 1] = (value >> 8) & 0xFF
        self.regs[ADCO_B0] = value & 0xFF
        self.regs[PU_CTRL] |= CR
        return True

    def _check(self):
        super()._check()
        if self._t_reset is not None:
            if time.ticks_diff(time.ticks_ms(), self._t_reset) < self.reset_ms:
                raise OSError(errno.EIO)  # still in register reset
            self._t_reset = None

    def on_read(self, reg):
        if reg == PU_CTRL and self.auto and not self.regs[PU_CTRL] & CR:
            self.convert()
        if reg == PU_CTRL and self._pur_countdown:
            self._pur_countdown -= 1
            if not self._pur_countdown:
                self.regs[PU_CTRL] |= PUR
                self._t_pur = time.ticks_ms()
        if reg == CTRL2 and self._cal_countdown:
            self._cal_countdown -= 1
            if not self._cal_countdown:
                self.regs[CTRL2] &= ~0x04
                if self.cal_error or self._cal_bad:
                    self.regs[CTRL2] |= 0x08
        value = self.regs[reg]
        if reg == ADCO_B0:
            self.regs[PU_CTRL] &= ~CR
        return value

    def on_write(self, reg, value):
        if reg == PU_CTRL:
            if value & 0x01:
                self._reset()
                self.regs[PU_CTRL] = 0x01
                self._t_reset = time.ticks_ms()
                return
            keep = self.regs[PU_CTRL] & (PUR | CR)
            if not value & PUD:
                keep &= ~(PUR | CR)
                self._t_pur = None
            elif not keep & PUR and not self._pur_countdown:
                self._pur_countdown = self.power_up_reads
            self.regs[PU_CTRL] = (value & ~(PUR | CR)) | keep
        elif reg == CTRL2:
            keep = self.regs[CTRL2] & 0x08
            if value & 0x04:
                self.calibrations += 1
                self._cal_bad = False
                self._cal_countdown = self.cal_reads
                keep = 0
                if (
                    self._t_pur is None
                    or time.ticks_diff(time.ticks_ms(), self._t_pur) < self.settle_ms
                ):
                    self.unsettled_cals += 1
                    self._cal_bad = True
            self.regs[CTRL2] = (value & ~0x08) | keep
        elif reg == REVISION_ID or ADCO_B2 <= reg <= ADCO_B0:
            pass  # read only
        else:
            self.regs[reg] = value
