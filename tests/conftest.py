"""Test harness: firmware tests are MicroPython files run in the unix port, driven from pytest.

tests/firmware/mp/test_*.py are plain MicroPython modules of `test_*` functions. pytest
collects each function as its own item (the file is read, not imported, by CPython); the
first item of a file to run runs the whole file once in the unix port through
tests/firmware/mp/mptest.py, and each item then reports its own result with the port's
traceback and what the test printed. The files are compiled to .mpy first, as the firmware
is, so a small heap holds the code under test rather than the compiler.

A module-level `HEAP = {"test_name": "64K"}` in a test file runs each named test in a
process of its own with that heap, and `"*"` the heap for the file's other tests (the default
is unixport.DEFAULT_HEAP). A heap written `"64K+romfs"` runs the test as a board deployed
with `make deploy ROMFS=1` runs the firmware: the firmware's ROMFS image
(unixport.compiled_romfs) is read into the heap first and mounted at /rom, the firmware is
imported from it only, and the heap is 64K plus the image's blocks (mptest.heap_beside_romfs()
is the test's share); the tests' own compiled modules are in that image too (/rom/harness),
so their bytecode stays out of the heap as the firmware's does; and
`PARAMS = {"test_name": [value, ...]}` (literals) makes one item per value, `test_name[value]`,
calling the function with that value: pytest's parametrize. `ISOLATE = True` runs each test
of the file in a process of its own (the driver tests: the fake `machine` keeps state).

A file's tests share one heap with the firmware's and the tests' bytecode (a board keeps the
firmware's in flash), and what stays alive between tests moves from run to run (the port scans
its C stack conservatively), so a file that runs close to the default heap fails now and then:
give it `"*"` room (the firmware's own budget is tests/firmware/mp/test_memory.py's).

`mpy_call(module, function, *args)` calls a function of a tests/firmware/mp module in the
port (arguments and result as JSON), for tests that compare the port with CPython.
"""

from __future__ import annotations

import ast
import json
import os
import tempfile
import time
from pathlib import Path

import pytest
from pumpmon import unixport

TESTS = Path(__file__).resolve().parent
MP_TESTS = TESTS / "firmware" / "mp"
FAKES = TESTS / "firmware" / "fakes"
COMPILED_TESTS = unixport.REPO / "build" / "unix-mpy-tests"
_MARK = "@@mptest "


class MicroPythonError(AssertionError):
    pass


def pytest_pycollect_makemodule(module_path, parent):
    if module_path.parent == MP_TESTS:
        return MpFile.from_parent(parent, path=module_path)
    return None


class MpFile(pytest.File):
    """A MicroPython test file: one item per top-level `test_*` function."""

    def collect(self):
        tree = ast.parse(self.path.read_text(), str(self.path))
        literals = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                name = getattr(node.targets[0], "id", "")
                if name in ("HEAP", "PARAMS", "ISOLATE"):
                    literals[name] = ast.literal_eval(node.value)
        self.heaps: dict[str, str] = literals.get("HEAP", {})
        params: dict[str, list] = literals.get("PARAMS", {})
        self.isolate: bool = literals.get("ISOLATE", False)
        self.results: dict[str, tuple[str, str]] = {}
        self.port_names: dict[str, str] = {}  # item name -> the name mptest.main is given
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                if node.name not in params:
                    self.port_names[node.name] = node.name
                    yield MpItem.from_parent(self, name=node.name, lineno=node.lineno)
                    continue
                for i, value in enumerate(params[node.name]):
                    ident = str(value) if isinstance(value, int | float | str) else str(i)
                    name = f"{node.name}[{ident}]"
                    self.port_names[name] = f"{node.name}[{i}]"
                    yield MpItem.from_parent(self, name=name, lineno=node.lineno)

    def result(self, item: MpItem) -> tuple[str, str]:
        """(status, output) of `item`, running its group of tests in the port if not yet run."""
        if item.name not in self.results:
            heap = self.heaps.get(_function(item.name))
            if heap is not None or self.isolate:
                group = [item.name]
                heap = heap or self.heaps.get("*", unixport.DEFAULT_HEAP)
            else:
                heap = self.heaps.get("*", unixport.DEFAULT_HEAP)
                selected = [i.name for i in item.session.items if i.parent is self]
                group = [
                    n for n in selected if _function(n) not in self.heaps and n not in self.results
                ]
            self._run(group, heap)
        return self.results[item.name]

    def _run(self, names: list[str], heap: str) -> None:
        unixport.compile_tree(MP_TESTS, COMPILED_TESTS, "tests/firmware/mp/")
        item_names = {self.port_names[n]: n for n in names}
        code = f"import mptest\nmptest.main({self.path.stem!r}, {list(item_names)!r})"
        romfs = None
        extra_path = [COMPILED_TESTS, FAKES]
        if heap.endswith("+romfs"):
            # the tests' own code in the image too: the heap holds what they make, not their
            # bytecode (unixport.compiled_romfs)
            romfs = unixport.compiled_romfs(harness=COMPILED_TESTS)
            heap = unixport.heap_beside_romfs(heap[: -len("+romfs")], romfs)
            extra_path.insert(0, unixport.ROMFS_HARNESS)
        with tempfile.TemporaryDirectory(prefix="mptest-") as tmp:
            os.environ["MPTEST_TMP"] = tmp  # mptest.tmpdir() makes a folder per test in it
            os.environ["MPTEST_REPO"] = str(unixport.REPO)  # mptest.repo_path()
            try:
                proc = unixport.run_code(
                    code,
                    heap=heap,
                    timeout_s=900,
                    extra_path=extra_path,
                    romfs=romfs,
                )
            finally:
                del os.environ["MPTEST_TMP"], os.environ["MPTEST_REPO"]
        current, output = None, []
        for line in proc.stdout.splitlines():
            if line.startswith(_MARK):
                word, name = line[len(_MARK) :].split(" ", 1)
                name = item_names.get(name, name)
                if word == "start":
                    current, output = name, []
                else:
                    self.results[name] = (word, "\n".join(output))
                    current = None
            elif current is not None:
                output.append(line)
        for name in names:
            if name not in self.results:  # the port stopped before this test reported
                lost = "\n".join(output) if name == current else ""
                self.results[name] = (
                    "fail",
                    f"the unix port exited {proc.returncode} before this test reported\n"
                    f"{lost}\n--- stderr\n{proc.stderr}",
                )


def _function(item_name: str) -> str:
    return item_name.split("[", 1)[0]


class MpTestFailure(Exception):
    pass


class MpItem(pytest.Item):
    def __init__(self, *, lineno: int, **kw):
        super().__init__(**kw)
        self.lineno = lineno

    def runtest(self):
        status, output = self.parent.result(self)  # type: ignore[union-attr]
        if status != "pass":
            raise MpTestFailure(output)
        if output:
            print(output)  # what the test printed, shown with -s

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, MpTestFailure):
            return f"{self.name} failed in the MicroPython unix port:\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.lineno - 1, self.name


def call_in_port(module: str, function: str, *args, heap: str = unixport.DEFAULT_HEAP):
    """`module.function(*args)` in the unix port (a tests/firmware/mp module); its result."""
    unixport.compile_tree(MP_TESTS, COMPILED_TESTS, "tests/firmware/mp/")
    code = (
        f"import json, sys, {module}\n"
        f"print(json.dumps({module}.{function}(*json.loads(sys.stdin.read()))))"
    )
    proc = unixport.run_code(
        code, heap=heap, stdin=json.dumps(args), extra_path=[COMPILED_TESTS, FAKES]
    )
    if proc.returncode != 0:
        raise MicroPythonError(f"unix port exited {proc.returncode}\n{proc.stdout}{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def mpy_call():
    """Call a function of a tests/firmware/mp module in the unix port; returns its result."""
    return call_in_port


# Host tests: a local time zone with an offset, no Baby Buddy settings.
BABYBUDDY_VARS = ("PUMPMON_BABYBUDDY_URL", "PUMPMON_BABYBUDDY_TOKEN", "PUMPMON_BABYBUDDY_CHILD")


@pytest.fixture
def berlin(monkeypatch):
    """Local time is Europe/Berlin (May: +02:00), whatever the test machine's zone is."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def no_babybuddy_settings(tmp_path, monkeypatch):
    """No user's own Baby Buddy settings leak in (config file or environment)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for var in BABYBUDDY_VARS:
        monkeypatch.delenv(var, raising=False)
