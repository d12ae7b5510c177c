# Code the device and the host share: event codes and names, the configuration schema, the
# log format. Imports nothing outside this package (relative imports only), so the host can
# import it as `pumpmon.shared`.


def unload(name):
    """Drop the submodule `name` once it is no longer needed, to get its heap back."""
    import sys

    sys.modules.pop(__name__ + "." + name, None)
    globals().pop(name, None)
