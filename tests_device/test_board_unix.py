# boards/unix.py's PtyUart over a real pty: any()/readinto()/write() and a whole
# Engine AT/OK round trip allocate nothing (heap_lock and mem_total, as in
# test_alloc.py). The far end is given by $QSSL_PTY: tools/run_device_tests.py opens a
# pty whose other side answers every CR with "\r\nOK\r\n" (an echo of nothing else).
# Skipped where there is no such pty (a real board, or run by hand).
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()
import os
import alloccheck

_uart = [None]


def uart():
    if sys.implementation.name != "micropython" or not hasattr(os, "getenv"):
        raise tinytest.Skip("needs the MicroPython unix port")
    path = os.getenv("QSSL_PTY")
    if not path:
        raise tinytest.Skip("no $QSSL_PTY (run by tools/run_device_tests.py on the unix port)")
    if _uart[0] is None:
        from boards.unix import PtyUart

        _uart[0] = PtyUart(path)
    return _uart[0]


N = 100


def allocated(fn, n=N):
    return alloccheck.allocated(fn, n)


class PtyIo:
    """write "AT\r", then any()/readinto() until the 6-byte answer is in. Methods
    with few locals, so no frame comes from the heap (the test measures the port)."""

    def __init__(self, u):
        self.u = u
        self.cmd = bytearray(b"AT\r")
        self.buf = bytearray(64)
        self.n = 0
        self.spins = 0

    def run(self):
        self.u.write(self.cmd, 0, 3)
        self.n = 0
        self.spins = 0
        while self.n < 6 and self.spins < 2000000:
            self.step()

    def step(self):
        self.spins += 1
        if self.u.any():
            self.n += self.u.readinto(self.buf, 64)


def test_pty_io_allocates_nothing():
    u = uart()
    io = PtyIo(u)
    tinytest.eq(allocated(io.run), 0, "pty write/any/readinto")
    tinytest.eq(io.n, 6, "answer length")
    tinytest.eq(u.any(), 0, "nothing left")
    tinytest.eq(u.readinto(io.buf, 64), 0, "readinto with nothing waiting")


def test_engine_round_trip_over_pty():
    from qssl.engine import Engine
    import kinds

    e = Engine(uart())
    res = [0]

    def run():
        res[0] = e.command(b"AT", 2000)

    tinytest.eq(allocated(run), 0, "AT/OK over the pty")
    tinytest.eq(res[0], kinds.K_OK)


tinytest.main(globals())
