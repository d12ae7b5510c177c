# Emulated flash for the unix port: a block device for vfs.VfsLfs2 (littlefs, the ESP32's
# default filesystem), backed by a file (persistent: `pumpmon emulate --flash FILE`) or by a
# bytearray (tests).
#
#     import flashdev
#     fs = flashdev.mount_image("/tmp/flash.img", size_bytes=2 * 1024 * 1024, mount_at="/flash")
#     # ... use /flash/... with open(), os.listdir(), os.statvfs() ...
#     flashdev.unmount(fs)
#
# Limits: unix port only (the ESP32 has its own `esp32.Partition` device). Writes go straight
# to the backing file with one write() per littlefs program call and no write cache, so a
# process killed at any moment (SIGKILL) leaves the image exactly as a power cut would leave
# the flash between two littlefs operations. Erase fills with 0xFF, like NOR flash. There is
# no wear or bit-error model.
import os

import vfs
from micropython import const

_BLOCK_SIZE = const(4096)  # the ESP32's flash sector
_DEFAULT_SIZE = const(2 * 1024 * 1024)  # a 2 MB data partition
# FileFlash erases a block by writing 0xFF this many bytes at a time: the ESP32 erases in its
# flash chip, without a block-sized buffer of its own in the heap, so the fake keeps a small one
_ERASE_CHUNK = const(256)

# ioctl operations of the extended block-device protocol (see MicroPython's docs/library/vfs).
_IOCTL_INIT = const(1)
_IOCTL_DEINIT = const(2)
_IOCTL_SYNC = const(3)
_IOCTL_BLOCK_COUNT = const(4)
_IOCTL_BLOCK_SIZE = const(5)
_IOCTL_BLOCK_ERASE = const(6)


class RamFlash:
    """Block device over a bytearray (lost when the process ends)."""

    def __init__(self, size_bytes=_DEFAULT_SIZE, block_size=_BLOCK_SIZE):
        if size_bytes % block_size:
            raise ValueError(
                "flash size %d is not a whole number of %d-byte blocks" % (size_bytes, block_size)
            )
        self.block_size = block_size
        self.block_count = size_bytes // block_size
        self.data = bytearray(size_bytes)
        blank = b"\xff" * block_size
        for b in range(self.block_count):
            self.data[b * block_size : (b + 1) * block_size] = blank

    def readblocks(self, block_num, buf, offset=0):
        start = block_num * self.block_size + offset
        buf[:] = self.data[start : start + len(buf)]

    def writeblocks(self, block_num, buf, offset=None):
        if offset is None:
            # simple protocol: whole blocks, erase implied
            offset = 0
        start = block_num * self.block_size + offset
        self.data[start : start + len(buf)] = buf

    def ioctl(self, op, arg):
        if op == _IOCTL_BLOCK_COUNT:
            return self.block_count
        if op == _IOCTL_BLOCK_SIZE:
            return self.block_size
        if op == _IOCTL_BLOCK_ERASE:
            start = arg * self.block_size
            self.data[start : start + self.block_size] = b"\xff" * self.block_size
            return 0
        return 0


class FileFlash:
    """Block device over an image file, created (erased, all 0xFF) when missing.

    The file stays open; every program/erase is written through at once (no cache), so the
    image survives the process being killed.
    """

    def __init__(self, path, size_bytes=_DEFAULT_SIZE, block_size=_BLOCK_SIZE):
        # size_bytes None: an existing image keeps its own size (a new one is 2 MB)
        if size_bytes is not None and size_bytes % block_size:
            raise ValueError(
                "flash size %d is not a whole number of %d-byte blocks" % (size_bytes, block_size)
            )
        self.path = path
        self.block_size = block_size
        try:
            existing = os.stat(path)[6]
        except OSError:
            existing = -1
        if block_size % _ERASE_CHUNK:
            raise ValueError(
                "flash block size %d is not a multiple of %d" % (block_size, _ERASE_CHUNK)
            )
        self._blank = b"\xff" * _ERASE_CHUNK
        if existing < 0:
            size_bytes = size_bytes or _DEFAULT_SIZE
            with open(path, "wb") as f:
                for _ in range(size_bytes // _ERASE_CHUNK):
                    f.write(self._blank)
            existing = size_bytes
        if existing % block_size or existing == 0:
            raise ValueError(
                "flash image %s is %d bytes: not a whole number of %d-byte blocks"
                % (path, existing, block_size)
            )
        if size_bytes is not None and existing != size_bytes:
            raise ValueError(
                "flash image %s is %d bytes, expected %d: pass its size or "
                "delete it to start a new one" % (path, existing, size_bytes)
            )
        self.block_count = existing // block_size
        self.f = open(path, "r+b")

    def readblocks(self, block_num, buf, offset=0):
        self.f.seek(block_num * self.block_size + offset)
        got = self.f.readinto(buf)
        if got != len(buf):
            raise OSError(5)  # EIO: image shorter than its block count

    def writeblocks(self, block_num, buf, offset=None):
        if offset is None:
            offset = 0
        self.f.seek(block_num * self.block_size + offset)
        self.f.write(buf)
        self.f.flush()

    def ioctl(self, op, arg):
        if op == _IOCTL_BLOCK_COUNT:
            return self.block_count
        if op == _IOCTL_BLOCK_SIZE:
            return self.block_size
        if op == _IOCTL_BLOCK_ERASE:
            self.f.seek(arg * self.block_size)
            for _ in range(self.block_size // _ERASE_CHUNK):
                self.f.write(self._blank)
            self.f.flush()
            return 0
        if op == _IOCTL_SYNC:
            self.f.flush()
            return 0
        if op == _IOCTL_DEINIT:
            self.f.flush()
            return 0
        return 0

    def close(self):
        self.f.close()


def mount_device(bdev, mount_at="/flash", format_if_blank=True):
    """Mount `bdev` with littlefs v2 at `mount_at`; formats it first when it holds no
    filesystem (a new image) and `format_if_blank`. Returns the VfsLfs2 object."""
    try:
        fs = vfs.VfsLfs2(bdev)
    except OSError:
        if not format_if_blank:
            raise
        vfs.VfsLfs2.mkfs(bdev)
        fs = vfs.VfsLfs2(bdev)
    vfs.mount(fs, mount_at)
    return fs


def mount_image(path=None, size_bytes=_DEFAULT_SIZE, mount_at="/flash", block_size=_BLOCK_SIZE):
    """Create-or-mount a littlefs image: a file at `path` (kept between runs) or, with
    path None, a RAM image. Returns the mounted VfsLfs2; its block device is `fs_bdev(fs)`."""
    if path is None:
        bdev = RamFlash(size_bytes, block_size)
    else:
        bdev = FileFlash(path, size_bytes, block_size)
    fs = mount_device(bdev, mount_at)
    _devices[id(fs)] = (bdev, mount_at)
    return fs


def fs_bdev(fs):
    """The block device under a filesystem mounted by mount_image."""
    return _devices[id(fs)][0]


def unmount(fs):
    """Unmount a filesystem mounted by mount_image and close its image file."""
    bdev, mount_at = _devices.pop(id(fs))
    vfs.umount(mount_at)
    if hasattr(bdev, "close"):
        bdev.close()


_devices = {}
