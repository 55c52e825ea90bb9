# compat.napper, the wait between two looks at the UART: on MicroPython it polls a port
# that select.poll takes and wakes when a byte comes; a port that cannot be polled (no
# stream at all, or a stream whose ioctl refuses the poll request) gets sleep_ms, chosen
# once. The wake-up is checked over the pty of tools/run_device_tests.py ($QSSL_PTY,
# whose far end answers each CR with "\r\nOK\r\n"): a nap of several seconds must end
# long before its time when the answer comes (a sleep would not), and again for the next
# answer (the registration outlives the first event).
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()
import os
import time
from qssl import compat

_WAIT_MS = 4000  # what each nap is given; the answer comes within milliseconds


def _need_mp():
    if sys.implementation.name != "micropython":
        raise tinytest.Skip("napper polls only on MicroPython")
    tinytest.need("select", "io")


def test_plain_object_sleeps():
    _need_mp()

    class NotAStream:
        def any(self):
            return 0

    tinytest.eq(compat.napper(NotAStream()) is time.sleep_ms, True, "no stream: sleep_ms")


def test_stream_refusing_poll_sleeps():
    # An io.IOBase whose ioctl does not answer the poll request: select.poll registers it,
    # then every poll raises EINVAL. The napper must see that once and sleep instead,
    # rather than hand every wait an exception.
    _need_mp()
    import io

    class NoPoll(io.IOBase):
        def ioctl(self, req, arg):
            return -22  # EINVAL

    nap = compat.napper(NoPoll())
    tinytest.eq(nap is time.sleep_ms, True, "unpollable stream: sleep_ms")
    nap(1)  # and it can be called


def _pty():
    _need_mp()
    path = os.getenv("QSSL_PTY") if hasattr(os, "getenv") else None
    if not path:
        raise tinytest.Skip("no $QSSL_PTY (run by tools/run_device_tests.py on the unix port)")
    from boards.unix import PtyUart

    return PtyUart(path)


def _answer_after_nap(u, nap, buf):
    # write AT, nap once, then read what came; returns (ms the nap took, bytes read)
    u.write(b"AT\r", 0, 3)
    t0 = time.ticks_ms()
    nap(_WAIT_MS)
    took = time.ticks_diff(time.ticks_ms(), t0)
    got = 0
    t1 = time.ticks_ms()
    while got < 6 and time.ticks_diff(time.ticks_ms(), t1) < _WAIT_MS:
        got += u.readinto(buf, len(buf) - got) if u.any() else 0
    return took, got


def test_pollable_port_wakes_at_the_answer():
    u = _pty()
    try:
        nap = compat.napper(u)
        tinytest.eq(nap is time.sleep_ms, False, "a pty UART is polled")
        buf = bytearray(64)
        while u.any() and u.readinto(buf, 64):  # nothing left from an earlier script
            pass
        for i in range(2):
            took, got = _answer_after_nap(u, nap, buf)
            tinytest.eq(got, 6, "answer %d read" % i)
            # loose bound: a sleep would take all of _WAIT_MS
            tinytest.eq(took < _WAIT_MS // 2, True, "nap %d ended at the answer (%d ms)" % (i, took))
    finally:
        u.close()


tinytest.main(globals())
