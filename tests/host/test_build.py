"""pumpmon.build: `make mpy` (mpy-cross for the ESP32) and `make deploy` (mpremote)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from pumpmon import build, unixport
from pumpmon.fwimport import firmware_module
from pumpmon.unixport import BOARDS, FIRMWARE

MPY_VERSION = 6
ARCH_XTENSAWIN = 10  # mpy header: byte 2 bits 2..7 when a module has native code


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("mpy")
    build.build_mpy(out)
    return out


def test_mpy_writes_a_mpy_for_every_firmware_module(built):
    modules = {p for p in FIRMWARE.rglob("*.py") if "__pycache__" not in p.parts}
    expected = {
        p.relative_to(FIRMWARE).with_suffix(".mpy")
        for p in modules
        if "unix" not in p.relative_to(FIRMWARE).parts[:-1]
        and p.relative_to(FIRMWARE).as_posix() not in ("main.py", "boot.py")
    }
    written = {p.relative_to(built) for p in built.rglob("*.mpy")}
    assert written == expected
    assert Path("drivers/hx711.mpy") in written and Path("device/board.mpy") in written


def test_mpy_leaves_out_the_unix_fakes_and_keeps_main_as_source(built):
    assert not (built / "unix").exists()
    assert (built / "main.py").read_text() == (FIRMWARE / "main.py").read_text()
    assert not (built / "main.mpy").exists()


def test_every_mpy_has_the_micropython_1_29_header(built):
    for path in built.rglob("*.mpy"):
        head = path.read_bytes()[:3]
        assert head[:1] == b"M" and head[1] == MPY_VERSION, path


def test_mpy_compiles_for_xtensawin(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "fast.py").write_text(
        "import micropython\n@micropython.native\ndef twice(x):\n    return 2 * x\n"
    )
    out = tmp_path / "out"
    build.build_mpy(out, root=src)
    assert (out / "fast.mpy").read_bytes()[2] >> 2 == ARCH_XTENSAWIN


def test_a_module_that_does_not_compile_is_named_in_the_error(tmp_path):
    src = tmp_path / "src"
    (src / "drivers").mkdir(parents=True)
    (src / "drivers" / "broken.py").write_text("def f(:\n")
    with pytest.raises(build.BuildError, match="firmware/drivers/broken.py"):
        build.build_mpy(tmp_path / "out", root=src)


def _build_command(*args):
    """`python -m pumpmon.build ARGS` as make runs it; the finished process (text)."""
    return subprocess.run(
        [sys.executable, "-m", "pumpmon.build", *args], capture_output=True, text=True
    )


def test_make_mpy_command_line_reports_the_module_count(tmp_path):
    proc = _build_command("mpy", "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    n = len(list((tmp_path / "o").rglob("*.mpy")))
    assert f"{n} modules compiled for xtensawin" in proc.stdout


def test_deploy_copies_firmware_board_file_and_default_config(built, tmp_path):
    calls = []

    def fake_run(cmd):
        calls.append(cmd)
        return SimpleNamespace(returncode=0)

    # stage files go next to the build dir: use a copy in tmp
    build_dir = tmp_path / "mpy"
    build_dir.mkdir()
    (build_dir / "shared").mkdir()
    (build_dir / "shared" / "events.mpy").write_bytes((built / "shared/events.mpy").read_bytes())
    (build_dir / "drivers").mkdir()
    (build_dir / "drivers" / "hx711.mpy").write_bytes((built / "drivers/hx711.mpy").read_bytes())
    build.deploy(
        "devkitc_hx711", "/dev/ttyUSB7", build_dir=build_dir, run=fake_run, wake=lambda port: None
    )

    cleanup, copy, reset = calls
    assert cleanup[2:6] == ["mpremote", "connect", "/dev/ttyUSB7", "exec"]
    assert "'drivers/hx711.py'" in cleanup[6] and "'shared/events.py'" in cleanup[6]
    assert copy[4:9] == ["/dev/ttyUSB7", "fs", "cp", "-r", str(build_dir / "drivers")]
    assert copy[-1] == ":"
    staged = {Path(p).name: Path(p) for p in copy[9:-1]}
    assert json.loads(staged["board.json"].read_text())["name"] == "devkitc_hx711"
    config = firmware_module("shared.config")
    assert json.loads(staged["config.json"].read_text()) == config.defaults()
    assert reset[-1] == "reset"


def test_deploy_keep_config_copies_no_config(built, tmp_path):
    cmds = build.deploy_commands("atoms3_hx711", "/dev/ttyACM0", built, tmp_path, keep_config=True)
    assert not any(arg.endswith("config.json") for arg in cmds[1])


def test_deploy_to_an_unknown_board_lists_the_known_ones(built, tmp_path):
    with pytest.raises(build.BuildError) as err:
        build.deploy_commands("esp8266_toaster", "/dev/null", built, tmp_path)
    for name in ("devkitc_hx711", "xiao_s3_nau7802", "atoms3_hx711"):
        assert name in str(err.value)


def test_deploy_before_make_mpy_says_to_build_first(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(build.BuildError, match="make mpy"):
        build.deploy_commands("devkitc_hx711", "/dev/null", tmp_path / "empty", tmp_path)


@pytest.fixture(scope="module")
def romfs_built(tmp_path_factory):
    out = tmp_path_factory.mktemp("romfs")
    size = build.build_romfs(out / "firmware.romfs", mpy_dir=out / "mpy")
    return out, size


def test_romfs_packs_every_compiled_module_and_the_port_can_list_them(romfs_built):
    out, size = romfs_built
    image = out / "firmware.romfs"
    assert image.stat().st_size == size and image.read_bytes()[:3] == b"\xd2\xcd\x31"
    # the unix port's own VfsRom reads it: every module of `make mpy`, in its folder
    code = (
        "import os, vfs\n"
        f"vfs.mount(vfs.VfsRom(open({str(image)!r}, 'rb').read()), '/rom')\n"
        "def walk(d):\n"
        "    for name, kind, *_ in os.ilistdir(d):\n"
        "        p = d + '/' + name\n"
        "        if kind == 0x4000:\n"
        "            walk(p)\n"
        "        else:\n"
        "            print(p[5:], os.stat(p)[6])\n"
        "walk('/rom')\n"
    )
    proc = unixport.run_code(code, heap="2M")
    assert proc.returncode == 0, proc.stderr
    listed = dict(line.rsplit(" ", 1) for line in proc.stdout.splitlines())
    compiled = {str(p.relative_to(out / "mpy")): p for p in (out / "mpy").rglob("*.mpy")}
    assert set(listed) == set(compiled) and "pipeline/detect.mpy" in listed
    assert all(int(listed[n]) == compiled[n].stat().st_size for n in listed)
    assert "main.py" not in listed  # the board runs /main.py from its filesystem


def test_make_romfs_command_line_reports_the_module_count_and_size(tmp_path):
    proc = _build_command("romfs", "--out", str(tmp_path / "f.romfs"))
    assert proc.returncode == 0, proc.stderr
    size = (tmp_path / "f.romfs").stat().st_size
    assert f"into the ROMFS image {tmp_path / 'f.romfs'} ({size} bytes)" in proc.stdout


def test_the_unix_ports_romfs_takes_its_blocks_beside_the_budget_and_no_more():
    """unixport.romfs_boot puts the image in the heap first and notes its blocks; the heap
    asked for is the budget plus those blocks and the GC's table entries for them, so the
    code's share is what a plain 64 KB heap gives (a board keeps the image in flash: it takes
    neither), and the firmware comes from /rom."""
    image = unixport.compiled_romfs()
    code = (
        "import gc, app\n"
        "gc.collect()\n"
        "print(ROMFS_IMAGE_HEAP_BYTES, gc.mem_alloc() + gc.mem_free() - ROMFS_IMAGE_HEAP_BYTES,"
        " app.__file__)\n"
    )
    heap = unixport.heap_beside_romfs("64K", image)
    proc = unixport.run_code(code, heap=heap, romfs=image)
    assert proc.returncode == 0, proc.stderr
    blocks, share, app_file = proc.stdout.split()
    assert int(blocks) == unixport.romfs_image_heap_bytes(image) >= image.stat().st_size
    plain = unixport.run_code("import gc\nprint(gc.mem_alloc() + gc.mem_free())", heap="64K")
    # to a few blocks: the port's total moves by a few blocks from run to run
    plain_bytes = int(plain.stdout)
    assert abs(int(share) - plain_bytes) <= 8 * unixport.GC_BLOCK_BYTES, (share, plain_bytes)
    assert plain_bytes <= 64 * 1024
    assert app_file == "/rom/app.mpy"


def test_a_romfs_run_names_no_host_file_by_the_checkouts_path():
    """The port interns each import path entry, and the boot code's image name lives as long
    as the run: a ROMFS run names host files relative to where it starts
    (unixport.romfs_path), so a 64-KB budget measured there does not depend on where the
    repository was cloned (round 67: the bench's app run needed 65 KB from a 14-character
    checkout path and completed in 64 KB at 12)."""
    image = unixport.compiled_romfs()
    readme = unixport.REPO / "README.md"
    fakes = unixport.REPO / "tests" / "firmware" / "fakes"
    code = "import sys\nprint(repr(sys.path))\nprint(open(%r).read(40))\n" % (
        unixport.romfs_path(readme)
    )
    proc = unixport.run_code(
        code,
        heap=unixport.heap_beside_romfs("64K", image),
        extra_path=[unixport.ROMFS_HARNESS, fakes],
        romfs=image,
    )
    assert proc.returncode == 0, proc.stderr
    assert str(unixport.REPO) not in unixport.romfs_boot(image)
    sys_path, first = proc.stdout.split("\n", 1)
    assert str(unixport.REPO) not in sys_path, sys_path
    assert "/rom/harness" in sys_path and "../../tests/firmware/fakes" in sys_path, sys_path
    assert first.rstrip("\n") == readme.read_text()[:40].rstrip("\n")


def _fake_board(answer):
    calls = []

    def run(cmd, **kw):
        calls.append(cmd)
        out = answer if cmd[5] == "exec" and "rom_ioctl" in cmd[6] else ""
        return SimpleNamespace(returncode=0, stdout=out)

    return calls, run


def _deploy_romfs(out, run):
    """`make deploy ROMFS=1` for the DevKitC over the fake board `run`, from `out`."""
    build.deploy(
        "devkitc_hx711",
        "/dev/ttyUSB7",
        build_dir=out / "mpy",
        run=run,
        wake=lambda port: None,
        romfs=out / "firmware.romfs",
    )


def test_deploy_romfs_writes_the_image_and_clears_what_would_shadow_it(romfs_built, tmp_path):
    out, size = romfs_built
    calls, run = _fake_board(f"romfs-partitions 1 {size + 4096}\n")
    _deploy_romfs(out, run)
    probe, cleanup, romfs, copy, reset = calls
    assert "rom_ioctl" in probe[6]
    # every module, as .mpy and as .py, and then the emptied folders
    assert "'pipeline/detect.mpy'" in cleanup[6] and "'pipeline/detect.py'" in cleanup[6]
    assert "os.rmdir" in cleanup[6] and "'pipeline'" in cleanup[6]
    assert romfs[3:] == ["connect", "/dev/ttyUSB7", "romfs", "deploy", str(out / "firmware.romfs")]
    names = [Path(a).name for a in copy[7:-1]]
    assert copy[5:8] == ["fs", "cp", str(out / "mpy" / "main.py")]
    assert names == ["main.py", "board.json", "config.json"] and copy[-1] == ":"
    assert reset[-1] == "reset"


@pytest.mark.parametrize(
    "answer, message",
    [
        ("romfs-partitions -1 -1\n", "has no ROMFS"),
        ("romfs-partitions 0 -1\n", "no romfs partition"),
        ("romfs-partitions 1 4096\n", "bytes and the board's romfs partition 4096"),
        ("Traceback (most recent call last):\n", "did not say"),
    ],
)
def test_deploy_romfs_stops_before_writing_when_the_board_cannot_take_it(
    romfs_built, answer, message
):
    out, _ = romfs_built
    calls, run = _fake_board(answer)
    with pytest.raises(build.BuildError, match=message) as err:
        _deploy_romfs(out, run)
    assert len(calls) == 1  # the probe only: nothing was removed or written
    assert "make deploy` without ROMFS=1" in str(err.value) or message == "did not say"


def test_the_romfs_probe_runs_in_micropython_and_tells_a_firmware_without_romfs():
    """The probe is real MicroPython: the unix port from PyPI has VfsRom but no rom_ioctl,
    as a stock ESP32_GENERIC has neither; the message says what to do."""
    proc = unixport.run_code(build._ROMFS_PROBE)
    assert proc.returncode == 0, proc.stderr
    with pytest.raises(build.BuildError, match="MICROPY_VFS_ROM") as err:
        build.check_romfs_probe(proc.stdout, 1000)
    assert "make deploy` without ROMFS=1" in str(err.value)


def test_deploy_romfs_before_make_romfs_says_to_build_first(built, tmp_path):
    with pytest.raises(build.BuildError, match="make romfs"):
        build.deploy_romfs_commands(
            "devkitc_hx711", "/dev/null", tmp_path / "none.romfs", built, tmp_path
        )


def port(device, vid, pid):
    return SimpleNamespace(device=device, vid=vid, pid=pid)


def test_port_auto_picks_the_one_esp32_serial_port():
    ports = [
        port("/dev/ttyS0", None, None),
        port("/dev/ttyACM0", 0x303A, 0x1001),
        port("/dev/ttyUSB9", 0x2341, 0x0043),
    ]  # an Arduino Uno: not a pump monitor
    assert build.find_port(lambda: ports) == "/dev/ttyACM0"


def test_port_auto_refuses_to_guess_between_two_boards_or_none():
    two = [port("/dev/ttyUSB0", 0x10C4, 0xEA60), port("/dev/ttyUSB1", 0x1A86, 0x7523)]
    with pytest.raises(build.BuildError, match="several boards"):
        build.find_port(lambda: two)
    with pytest.raises(build.BuildError, match="no ESP32 board"):
        build.find_port(lambda: [])


@pytest.mark.parametrize("name", ["devkitc_hx711", "xiao_s3_nau7802", "atoms3_hx711"])
def test_board_files_name_their_pins_and_parts(name):
    desc = json.loads((BOARDS / f"{name}.json").read_text())
    assert desc["name"] == name
    assert desc["scales"] and desc["button"]["pin"] >= 0 and desc["motor"]
    pins = [s[k] for s in desc["scales"] for k in ("sck", "dout") if k in s]
    pins += [desc["button"]["pin"], desc["battery"]["pin"]]
    if desc["motor"].get("type", "pwm") == "pwm":
        pins.append(desc["motor"]["pin"])
    for bus in ("i2c", "i2c_internal"):
        if bus in desc:
            pins += [desc[bus]["scl"], desc[bus]["sda"]]
    assert len(pins) == len(set(pins)), f"{name}: a GPIO is used twice: {pins}"


def test_the_firmware_and_the_host_tools_carry_the_one_version():
    """pyproject.toml's version is the one version: `pumpmon --version` reads it (through
    importlib.metadata) and firmware/app.py's FIRMWARE_VERSION, written into every session's
    header, must say the same (the firmware cannot read the package metadata)."""
    import ast
    import tomllib

    import pumpmon
    from pumpmon.unixport import REPO

    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    tree = ast.parse((FIRMWARE / "app.py").read_text())
    in_firmware = [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and getattr(node.targets[0], "id", "") == "FIRMWARE_VERSION"
        and isinstance(node.value, ast.Constant)
    ]
    assert in_firmware == [version]
    assert pumpmon.__version__ == version


def test_a_firmware_module_is_compiled_under_its_import_name():
    """The .mpy's source name (what a traceback shows) is the name the importer interns
    anyway, so it adds no interned name on the device (unixport.module_name)."""
    assert unixport.module_name(Path("pipeline/detect.py")) == "pipeline.detect"
    assert unixport.module_name(Path("pipeline/__init__.py")) == "pipeline"
    assert unixport.module_name(Path("app.py")) == "app"
    assert unixport.module_name(Path("unix/flashdev.py")) == "flashdev"  # a top-level fake
