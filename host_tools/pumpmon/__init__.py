"""Host tools for the wearable pump monitor (`pumpmon`)."""

__version__ = "0.1.0"
