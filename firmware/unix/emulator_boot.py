# Emulator boot (unix port only): make the process look like a board, then run main.py.
#
#     micropython -i emulator_boot.py FLASH.img FIRMWARE_DIR HOST_DIR
#
# The littlefs image is mounted at "/" as on an ESP32 (so `mpremote fs ls :` shows the
# flash), the firmware sources at /fw (read from the host, like frozen modules), and the
# host's run directory at /host (the trace and the sim board file). Then main.py runs the
# app exactly as on a board; when it returns, `-i` leaves the REPL for mpremote.
import os
import sys

import flashdev
import vfs

_flash_path, _fw_dir, _host_dir = sys.argv[1], sys.argv[2], sys.argv[3]
_bdev = flashdev.FileFlash(_flash_path)  # opened before the host's root is unmounted
vfs.umount("/")
flashdev.mount_device(_bdev, "/")
vfs.mount(vfs.VfsPosix(_fw_dir), "/fw")
vfs.mount(vfs.VfsPosix(_host_dir), "/host")
sys.path[:] = ["", ".frozen", "/lib", "/fw/unix", "/fw"]
os.chdir("/")

# The emulator's hardware is the sim board; its file is written by `pumpmon emulate`.
with open("/host/board.json") as _src:
    _board = _src.read()
with open("/board.json", "w") as _dst:
    _dst.write(_board)
del _src, _dst, _board

# A board gets a default /config.json from `make deploy`; a new emulated flash gets the same.
try:
    os.stat("/config.json")
except OSError:
    import shared
    from shared import config

    with open("/config.json", "w") as _dst:
        _dst.write(config.dumps(config.defaults()))
    del config, _dst
    shared.unload("config")

try:
    import main  # noqa: E402,F401  (runs the app; returns to the REPL when the host takes over)
except SystemExit:
    # `-i` would drop to the REPL even after sys.exit(); the emulator answers this line with
    # Ctrl-D, which ends the unix port as a board's power switch would.
    print("pumpmon-emulator: device exit")
