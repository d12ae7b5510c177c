# Emulator boot (unix port only): make the process look like a board, then run main.py.
#
#     micropython -i emulator_boot.py FLASH.img FIRMWARE_DIR HOST_DIR format|mount [raw|again]
#
# The littlefs image is mounted at "/" as on an ESP32 (so `mpremote fs ls :` shows the
# flash), the firmware sources at /fw (read from the host, like frozen modules), and the
# host's run directory at /host (the trace and the sim board file). Then main.py runs the
# app exactly as on a board; when it returns, `-i` leaves the REPL for mpremote.
# `format`: the image is new (`pumpmon emulate` made it): make the filesystem when it has
# none. `mount`: never format; an image that does not mount is one line and an exit.
# After a soft reset `pumpmon emulate` starts this again with `raw` (from the raw REPL: the
# app does not run, as on a board) or `again` (the app runs; the trace is not played again).
import os
import sys

import flashdev
import vfs

_flash_path, _fw_dir, _host_dir = sys.argv[1], sys.argv[2], sys.argv[3]
_mode = sys.argv[4] if len(sys.argv) > 4 else "mount"
_after_reset = sys.argv[5] if len(sys.argv) > 5 else ""
try:
    _bdev = flashdev.FileFlash(_flash_path, size_bytes=None)  # before "/" is unmounted
    vfs.umount("/")
    flashdev.mount_device(_bdev, "/", format_if_blank=(_mode == "format"))
except (OSError, ValueError) as _e:
    print(
        "pumpmon-emulator: flash image %s cannot be mounted (%r): give a new file name, or "
        "--format to erase it" % (_flash_path, _e)
    )
    print("pumpmon-emulator: device exit")
    raise SystemExit
vfs.mount(vfs.VfsPosix(_fw_dir), "/fw")
vfs.mount(vfs.VfsPosix(_host_dir), "/host")
sys.path[:] = ["", ".frozen", "/lib", "/fw/unix", "/fw"]
os.chdir("/")

# The emulator's hardware is the sim board; its file is written by `pumpmon emulate`.
with open("/host/board.json") as _src:
    _board = _src.read()
try:
    with open("/board.json") as _src:
        _same = _src.read() == _board
except OSError:
    _same = False
if not _same:  # (rewritten only when it changed: a full flash may have no room for it)
    with open("/board.json", "w") as _dst:
        _dst.write(_board)
    del _dst
del _src, _board, _same

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

if _after_reset:
    import app

    app._trace_played = True  # the trace is one session per `pumpmon emulate`
try:
    if _after_reset != "raw":
        import main  # noqa: E402,F401  (runs the app; back to the REPL when the host speaks)
except SystemExit:
    # `-i` would drop to the REPL even after sys.exit(); the emulator answers this line with
    # Ctrl-D, which ends the unix port as a board's power switch would.
    print("pumpmon-emulator: device exit")
