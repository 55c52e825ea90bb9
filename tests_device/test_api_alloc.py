# Heap allocation per KB sent and received through an SSL socket, on MicroPython
# (micropython.mem_total() before and after). The library allocates nothing on either
# path, so any allocation fails the test (the GC's smallest block, 16 B, over 16 KB is
# 1 B/KB): a frame grown past MicroPython's on-stack limit or a tuple of types built per
# call shows here.
#
# Environment: see tests_device/test_api_https.py (run by tools/run_device_tests.py,
# or by hand with /tmp/qssl_device_env.json).
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()
import gc
import time
import micropython

BOUND = 1  # bytes per KB: below it, nothing was allocated
KB = 16

from devenv import connect  # noqa: E402


def echo_socket():
    return connect("echo")


def _send(s, mv, n):
    # n sends of the same 1 KB memoryview, by write() and sendall() in turn: the library
    # gets no new objects from us
    i = 0
    while i < n:
        if i & 1:
            s.sendall(mv)
        else:
            s.write(mv)
        i += 1


def _recv(s, buf, total):
    got = 0
    t0 = time.ticks_ms()
    while got < total:
        if time.ticks_diff(time.ticks_ms(), t0) > 60000:
            return -got
        k = s.recv_into(buf, 1024 if total - got > 1024 else total - got)
        if not k:
            return -got
        got += k
    return got


def _measure(s, mv, buf):
    gc.collect()
    a = micropython.mem_total()
    _send(s, mv, KB)
    b = micropython.mem_total()
    got = _recv(s, buf, KB * 1024)
    c = micropython.mem_total()
    return b - a, c - b, got


def test_alloc_per_kb():
    tinytest.need_attr(micropython, "mem_total")
    data = bytearray(1024)
    for i in range(1024):
        data[i] = (i * 13) & 0xFF
    mv = memoryview(data)
    buf = bytearray(1500)
    s = echo_socket()
    # the library's waits poll this pty (compat.napper), so that path is in the figures
    tinytest.eq(s._m.eng.ring.nap is time.sleep_ms, False, "waits poll the UART")
    try:
        # warm up: first use of every path (readline buffers, caches) is not counted
        _send(s, mv, 2)
        tinytest.eq(_recv(s, buf, 2048), 2048, "warm-up echo")
        sent, rcvd, got = _measure(s, mv, buf)
        tinytest.eq(got, KB * 1024, "echoed bytes")
    finally:
        s.close()
    per_sent = sent / KB
    per_rcvd = rcvd / KB
    print("allocated: %.1f B/KB sent, %.1f B/KB received (%d KB each way)" % (per_sent, per_rcvd, KB))
    tinytest.eq(per_sent < BOUND, True, "B/KB sent %.1f" % per_sent)
    tinytest.eq(per_rcvd < BOUND, True, "B/KB received %.1f" % per_rcvd)


tinytest.main(globals())
