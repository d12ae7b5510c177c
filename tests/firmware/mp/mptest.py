"""A tiny test runner for the MicroPython unix port (the PyPI port has no `unittest`).

    micropython -c "import mptest; mptest.main('test_flow', ['test_a', 'test_b'])"

imports the module, and runs each named `test_*` function (all of them when no names are
given) between the module's `setup()` and `teardown()` if it has them (teardown runs
whatever the result), with a garbage collection between tests.
`test_x[2]` calls `test_x(PARAMS["test_x"][2])`, PARAMS being a dict in the module.
Each result is one line: `@@mptest pass NAME` or, after the port's own traceback,
`@@mptest fail NAME`; what a test prints comes between its `@@mptest start NAME` and its
result. tests/conftest.py reads these lines and makes one pytest item of each test.

`heap_locked()` is a context manager around a steady-state loop: any allocation inside it
raises MemoryError at the line that allocates, as micropython-lib's usb-device tests check.
`raises(OSError, fn, ...)` / `error_text(...)`: the exception a call must raise, as
pytest.raises. `heap_beside_romfs()`: in a test run with a `"64K+romfs"` heap (conftest), the
heap the test has once the firmware's ROMFS image has taken its blocks. `tmpdir()` is a
fresh folder for the running test (under $MPTEST_TMP, set by conftest).
"""

import gc
import os
import sys

import micropython

_MARK = "@@mptest"
_current = [None]


class heap_locked:
    """`with heap_locked():` fails with MemoryError at any allocation in the block."""

    def __enter__(self):
        gc.collect()
        micropython.heap_lock()
        return self

    def __exit__(self, exc_type, exc, tb):  # named arguments: *args would allocate
        micropython.heap_unlock()
        return False


def heap_beside_romfs():
    """The whole heap less the ROMFS image's blocks (unixport.romfs_boot put the image in
    place before anything else and noted its blocks), in bytes."""
    import __main__

    gc.collect()
    return gc.mem_alloc() + gc.mem_free() - __main__.ROMFS_IMAGE_HEAP_BYTES


def raises(exc_type, fn, *args, **kw):
    """The `exc_type` exception `fn(*args, **kw)` raises; AssertionError if it raises none."""
    try:
        fn(*args, **kw)
    except exc_type as e:
        return e
    raise AssertionError("%s did not raise %s" % (fn, exc_type.__name__))


def error_text(exc_type, fn, *args, **kw):
    """str() of the `exc_type` exception `fn(*args, **kw)` raises (see `raises`)."""
    return str(raises(exc_type, fn, *args, **kw))


def repo_path(relative):
    """The path of a file in the repository (boards/..., docs/...): $MPTEST_REPO/relative."""
    return os.getenv("MPTEST_REPO") + "/" + relative


def tmpdir():
    """A fresh, empty folder for the running test; returns its path."""
    base = os.getenv("MPTEST_TMP") or "/tmp"
    path = base + "/" + _current[0]
    try:
        os.mkdir(path)
    except OSError:  # already there: a second call in the same test
        pass
    return path


def _tests(module):
    params = getattr(module, "PARAMS", {})
    names = []
    for n in sorted(dir(module)):
        if n.startswith("test_"):
            if n in params:
                names += ["%s[%d]" % (n, i) for i in range(len(params[n]))]
            else:
                names.append(n)
    return names


def _call(module, name):
    if name.endswith("]"):
        function, index = name[:-1].split("[")
        getattr(module, function)(module.PARAMS[function][int(index)])
    else:
        getattr(module, name)()


def main(module_name, names=None):
    module = __import__(module_name)
    setup = getattr(module, "setup", None)
    teardown = getattr(module, "teardown", None)
    for name in names or _tests(module):
        _current[0] = name
        print(_MARK, "start", name)
        gc.collect()
        try:
            if setup is not None:
                setup()
            _call(module, name)
            if teardown is not None:
                teardown()
        except Exception as e:  # a failing test is reported, the others still run
            sys.print_exception(e, sys.stdout)
            if teardown is not None:
                _quietly(teardown)
            print(_MARK, "fail", name)
        else:
            print(_MARK, "pass", name)


def _quietly(teardown):
    try:
        teardown()
    except Exception as e:  # the test's own failure is the one to report
        print("teardown also failed:", repr(e))
