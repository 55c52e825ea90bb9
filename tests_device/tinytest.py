# A tiny test runner for MicroPython (and CPython): no unittest, no allocation tricks.
# Each device test script ends with tinytest.main(globals()); the last line it prints
# is exactly "N passed, M failed", which tools/run_device_tests.py parses (mpremote
# does not pass a script's exit status back).
import gc
import sys


class Skip(Exception):
    pass


def need(*modules):
    """Skip the calling test unless this port has every module named (a board's
    firmware may lack asyncio, select, ...)."""
    for m in modules:
        try:
            __import__(m)
        except ImportError:
            raise Skip("no module %s on this port" % m)


def need_attr(obj, *names):
    """Skip unless obj has every attribute named (micropython.mem_total needs
    MICROPY_MEM_STATS, which board builds leave out)."""
    for n in names:
        if not hasattr(obj, n):
            raise Skip("no %s.%s on this port" % (getattr(obj, "__name__", obj), n))


def setup_path():
    # Under `mpremote mount .` the cwd is the mounted repo (/remote); running
    # `micropython tests_device/x.py` from the repo root works the same way.
    for p in ("tests_device", "lib", ""):
        if p not in sys.path:
            sys.path.insert(0, p)


def _print_exc(e):
    pe = getattr(sys, "print_exception", None)
    if pe is not None:
        pe(e)
    else:  # CPython
        import traceback

        traceback.print_exception(type(e), e, e.__traceback__)


def run(tests, xfail=None):
    """tests: list of (name, callable); xfail: {name: reason} of known failures
    (strict: a known failure that passes counts as failed). Prints one line per
    failure, skip or expected failure, then the summary line. Returns the failures."""
    xfail = xfail or {}
    passed = failed = 0
    for name, fn in tests:
        gc.collect()  # each test starts from a compact heap (a board's is small)
        try:
            fn()
        except Skip as e:
            print("SKIP", name, "-", e.args[0] if e.args else "")
            continue
        except Exception as e:
            if name in xfail:
                print("XFAIL", name, "-", xfail[name], "-", repr(e))
                continue
            failed += 1
            print("FAIL", name, "-", repr(e))
            _print_exc(e)
            continue
        if name in xfail:
            failed += 1
            print("XPASS", name, "- expected to fail:", xfail[name])
            continue
        passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return failed


def collect(g):
    """The test_* callables of a module's globals, sorted by name."""
    names = sorted(k for k in g if k.startswith("test_") and callable(g[k]))
    return [(k, g[k]) for k in names]


def main(g, extra=(), xfail=None):
    return run(collect(g) + list(extra), xfail)


def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))
