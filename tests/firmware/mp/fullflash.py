"""A full flash for tests/host/test_app_end_to_end.py, in the unix port.

`fill(img)` mounts the littlefs image file `img` and writes 4-KB files onto it until it has
no room left (photos the wearer keeps); returns how many it wrote.
"""

import flashdev


def fill(img):
    fs = flashdev.mount_image(img, mount_at="/flash")
    n = 0
    block = bytearray(4096)
    try:
        while True:
            with open("/flash/photos%d.bin" % n, "wb") as f:
                f.write(block)
            n += 1
    except OSError:  # no room left: the flash is full
        pass
    flashdev.unmount(fs)
    return n
