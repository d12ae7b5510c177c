"""The layout is the design: which layer may import which (docs/architecture.md, "Layout").

    firmware/shared    imports nothing outside itself (the host imports it as pumpmon.shared)
    firmware/pipeline  imports shared only: no `machine`, no I/O
    firmware/drivers   imports `machine` and its own base classes only
    firmware/device    imports drivers, pipeline and shared
    host_tools/pumpmon imports the firmware only as pumpmon.shared, never through sys.path

The rule is read from the sources (every import statement, at any depth), so a new module or
a lazy import inside a function is checked too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pumpmon.unixport import FIRMWARE, REPO

FIRMWARE_PACKAGES = ("shared", "pipeline", "device", "drivers")
# what each layer may import, besides the MicroPython standard library
ALLOWED = {
    "shared": {"shared"},
    "pipeline": {"shared", "pipeline"},
    "drivers": {"drivers", "machine"},
    "device": {"shared", "pipeline", "device", "drivers", "machine", "esp32"},
}
STDLIB = {
    "array", "binascii", "collections", "errno", "gc", "hashlib", "io", "json", "math",
    "micropython", "os", "random", "select", "struct", "sys", "time", "vfs",
}  # fmt: skip


def imported_roots(path: Path) -> set[str]:
    """The top-level names a module imports (relative imports count as its own package)."""
    tree = ast.parse(path.read_text(), str(path))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x: the module's own package
                roots.add(path.parent.name)
            elif node.module:
                roots.add(node.module.split(".")[0])
    return roots


def layer_modules(layer: str) -> list[Path]:
    return sorted(p for p in (FIRMWARE / layer).rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_firmware_layer_imports_only_the_layers_below_it(layer):
    modules = layer_modules(layer)
    assert modules, "firmware/%s has no modules: has the layout changed?" % layer
    broken = []
    for path in modules:
        extra = imported_roots(path) - ALLOWED[layer] - STDLIB
        if extra:
            broken.append("%s imports %s" % (path.relative_to(REPO), sorted(extra)))
    assert broken == []


def test_shared_code_uses_relative_imports_so_the_host_can_import_it_as_a_package():
    """`from shared import x` inside firmware/shared would load a second copy on the host."""
    broken = []
    for path in layer_modules("shared"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("shared")
                and not node.level
            ):
                broken.append(str(path.relative_to(REPO)))
    assert broken == []


def test_only_drivers_and_board_bring_up_import_machine():
    allowed = {"device/board.py", "device/power.py", "device/sampler.py"}
    users = sorted(
        p.relative_to(FIRMWARE).as_posix()
        for p in FIRMWARE.rglob("*.py")
        if "machine" in imported_roots(p) and p.parts[-2] not in ("drivers", "unix")
    )
    assert set(users) <= allowed, users


def test_host_tools_import_the_firmware_only_as_pumpmon_shared():
    """No firmware module name at top level and no sys.path games in the host tools; the
    tests' and benchmarks' helper pumpmon.fwimport is the one exception, and says so."""
    firmware_names = {"shared", "pipeline", "device", "drivers", "app", "replay", "main"}
    for layer in ("shared", "pipeline", "device"):
        firmware_names.update(p.stem for p in layer_modules(layer))
    broken = []
    for path in sorted((REPO / "host_tools" / "pumpmon").rglob("*.py")):
        if path.name == "fwimport.py" or "shared" in path.relative_to(REPO).parts:
            continue
        text = path.read_text()
        if "sys.path" in text:
            broken.append("%s changes sys.path" % path.name)
        wrong = imported_roots(path) & firmware_names - {"pumpmon"}
        if wrong - {"pumpmon"}:
            broken.append("%s imports %s" % (path.name, sorted(wrong)))
    assert broken == []
