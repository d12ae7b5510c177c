# A fake HX711 at the pulse level, for the unix port (see firmware/unix/machine.py).
#
#     chip = FakeHX711(sck_id=18, dout_id=19)
#     chip.a_counts = 12345        # channel A input, as counts at gain 128
#     chip.convert()               # a conversion completes: DOUT goes low
#
# What it models, from the datasheet: DOUT low = data ready; each SCK rising edge shifts the
# next bit (MSB first) onto DOUT; the 25th edge pulls DOUT high; 25/26/27 pulses in all select
# A-128 / B-32 / A-64 for the next conversion; SCK high for more than 60 us powers the chip
# down and SCK low afterwards resets it (A-128, data discarded). Pulse widths come from the
# fake pin clock, `machine.fake_now_us()`. Channel A at gain 64 gives half the gain-128 counts;
# results saturate at the 24-bit limits as the chip does.
import time

import machine

POWER_DOWN_US = 60


class FakeHX711:
    def __init__(self, sck_id, dout_id):
        self.sck_id = sck_id
        self.dout_id = dout_id
        self.a_counts = 0  # channel A at gain 128
        self.b_counts = 0  # channel B (gain 32)
        self.next_pulses = 25  # gain/channel for the next conversion (after reset: A-128)
        self.last_gain = None  # gain of the conversion last loaded
        self.last_channel = None
        self.pulses = 0  # SCK pulses since the conversion was loaded
        self.loaded = False
        self._word = 0
        self._rise_us = None
        self.power_downs = 0
        self.resets = 0
        self.pulses_outside_critical = 0
        self.bad_pulse_counts = 0  # reads that ended with a pulse count other than 25-27
        machine.fake_watch(sck_id, self._on_sck)
        machine.fake_drive(dout_id, 1)

    @property
    def powered_down(self):
        if self._rise_us is None:
            return False
        return time.ticks_diff(machine.fake_now_us(), self._rise_us) > POWER_DOWN_US

    def convert(self):
        """A conversion completes (time passing); False while powered down."""
        if self.powered_down:
            return False
        self._settle_pulse_count()
        if self.next_pulses == 26:
            value, self.last_gain, self.last_channel = self.b_counts, 32, "B"
        elif self.next_pulses == 27:
            value, self.last_gain, self.last_channel = self.a_counts // 2, 64, "A"
        else:
            value, self.last_gain, self.last_channel = self.a_counts, 128, "A"
        value = max(-0x800000, min(0x7FFFFF, value))
        self._word = value & 0xFFFFFF
        self.pulses = 0
        self.loaded = True
        machine.fake_drive(self.dout_id, 0)
        return True

    def _settle_pulse_count(self):
        if self.loaded and self.pulses:
            if 25 <= self.pulses <= 27:
                self.next_pulses = self.pulses
            else:
                self.bad_pulse_counts += 1

    def _on_sck(self, pin_id, level, t_us):
        if level:
            if self._rise_us is not None:
                return  # already high
            self._rise_us = t_us
            if not machine.fake_in_critical():
                self.pulses_outside_critical += 1
            if not self.loaded:
                return
            self.pulses += 1
            if self.pulses <= 24:
                bit = (self._word >> (24 - self.pulses)) & 1
                machine.fake_drive(self.dout_id, bit)
            elif self.pulses == 25:
                machine.fake_drive(self.dout_id, 1)
        else:
            if self._rise_us is None:
                return
            high_us = time.ticks_diff(t_us, self._rise_us)
            self._rise_us = None
            if high_us > POWER_DOWN_US:
                # it was powered down; SCK low resets it
                self.power_downs += 1
                self.resets += 1
                self.next_pulses = 25
                self.loaded = False
                self.pulses = 0
                machine.fake_drive(self.dout_id, 1)
