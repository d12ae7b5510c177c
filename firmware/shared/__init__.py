# Code the device and the host share: event codes and names, the configuration schema, the
# log format. Imports nothing outside this package (relative imports only), so the host can
# import it as `pumpmon.shared`.


def unload(name):
    """Drop a module once it is no longer needed, to get its heap back: `name` is one of
    this package's ("config") or a dotted name ("device.boot"). Its package forgets it too."""
    import sys

    full = name if "." in name else __name__ + "." + name
    sys.modules.pop(full, None)
    package, _, leaf = full.rpartition(".")
    parent = sys.modules.get(package)
    if parent is not None:
        parent.__dict__.pop(leaf, None)
