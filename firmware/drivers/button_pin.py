# MIT license. The push button's GPIO side: pin set-up, raw level, an edge counter, wake pin.
#
#     from machine import Pin
#     from drivers.button_pin import ButtonPin
#     btn = ButtonPin(Pin(32), active_low=True)   # button to GND, internal pull-up
#     btn.value()          # raw level 0/1: what button.Button (debouncing, press kinds) polls
#     btn.pressed()        # True while held (raw, not debounced)
#     btn.edges            # presses seen by the IRQ since start (a press between polls)
#
# Debouncing and short/long/double presses live in firmware/button.py; this file only owns the
# pin. power.py arms `btn.pin` as the light-sleep wake source at `btn.wake_level`: it calls
# irq_off() first and irq_on() after waking, because arming a pin for a GPIO wake leaves its
# interrupt level-triggered on the ESP32 (Pin.irq() makes it edge-triggered again).
# Limits: the IRQ counts every press edge, bounces included (it only increments an int); use
# it as "something happened", not as a press count. Boards with an external pull-up (AtomS3)
# pass pull=False.
from machine import Pin


class ButtonPin:
    def __init__(self, pin, active_low=True, pull=True):
        self.pin = pin
        self.active_low = active_low
        self.wake_level = 0 if active_low else 1
        if pull:
            pin.init(Pin.IN, Pin.PULL_UP if active_low else Pin.PULL_DOWN)
        else:
            pin.init(Pin.IN)
        self.edges = 0
        self._handler = self._on_edge  # bound once
        self._trigger = Pin.IRQ_FALLING if active_low else Pin.IRQ_RISING
        self.irq_on()

    def irq_on(self):
        """Count press edges (edge-triggered interrupt)."""
        self.pin.irq(handler=self._handler, trigger=self._trigger)

    def irq_off(self):
        self.pin.irq(handler=None)

    def _on_edge(self, pin):
        self.edges += 1

    def value(self):
        return self.pin.value()

    def pressed(self):
        return self.pin.value() == self.wake_level
