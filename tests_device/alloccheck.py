# Counting what a hot path allocates on MicroPython. A function runs n times twice:
#  1. under micropython.heap_lock(): any real allocation raises MemoryError;
#  2. unlocked, with micropython.mem_total() before and after: the delta must be 0.
# Both are needed: a call frame bigger than 11 words is taken from the heap (seen by
# mem_total) but under heap_lock falls back silently to the C stack.
# Measure inside functions: module-level names would grow the globals dict.
import micropython

import tinytest


def _loop(fn, n):
    i = 0
    while i < n:
        fn()
        i += 1


def allocated(fn, n):
    """Bytes allocated by n calls of fn (after two warm-up calls); raises
    AssertionError if a call allocates under heap_lock. Skips the test on a port
    without heap_lock or mem_total."""
    tinytest.need_attr(micropython, "heap_lock", "heap_unlock", "mem_total")
    fn()
    fn()
    micropython.heap_lock()
    try:
        _loop(fn, n)
    except MemoryError:
        micropython.heap_unlock()
        raise AssertionError("allocates under heap_lock")
    micropython.heap_unlock()
    a = micropython.mem_total()
    _loop(fn, n)
    return micropython.mem_total() - a
