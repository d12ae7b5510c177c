# Device code: board bring-up, sampling, power, the host link, button, haptics, the log store.
# Imports drivers, pipeline and shared.
