# Issue 7 on MicroPython: what a 32-bit board and a UART written in Python do to the
# library. Runs on the unix port against tools/fuzz_module.py (a scripted module in
# virtual time) whose ticks_add refuses intervals of 2**29 ms or more, as a 32-bit
# port's does; huge numbers in module lines under heap_lock (a long int would
# allocate); a UART class whose write() takes only (buf); and a seeded fuzz slice.
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()
if "tools" not in sys.path:
    sys.path.insert(0, "tools")
import errno

import fuzz_module as FM
import qssl
from qssl import at
import kinds


class World:
    """A started, attached modem on the fake module, context 0 without a CA."""

    def __init__(self, uart_class=None):
        self.clock = FM.Clock()
        self.restore = FM.patch(self.clock)
        self.mod = FM.FakeModule(self.clock, FM.XorShift(1))
        self.mod.reboot()
        self.uart = self.mod if uart_class is None else uart_class(self.mod)
        self.m = qssl.Modem(self.uart)
        self.m.start()
        self.m.attach(apn="CMNET")
        self.ctx = self.m.ssl_context(0)
        self.ctx.verify_mode = qssl.CERT_NONE

    def socket(self, timeout=2):
        s = self.ctx.socket()
        s.settimeout(timeout)
        s.connect(("echo.test", 443))
        return s

    def close(self):
        self.restore()


def echo(w, s, data):
    s.sendall(data)
    w.clock.advance(100)
    got = b""
    while len(got) < len(data):
        k = s.recv(1500)
        if not k:
            break
        got += k
    tinytest.eq(got, data, "echo")


# --- 32-bit: timeouts ----------------------------------------------------------------------------
HUGE = ((1 << 29) / 1000 + 1, (1 << 28) / 1000, 1e6, 10 ** 9, float(1 << 40), 1 << 62)


def test_huge_timeouts_do_not_overflow_ticks():
    w = World()
    try:
        s = w.socket()
        for t in HUGE:
            s.settimeout(t)
            tinytest.eq(s.gettimeout(), t, "gettimeout")
            echo(w, s, b"data with a huge timeout")
        s.close()
        for t in HUGE:  # a connect with it, and its close
            s = w.ctx.socket()
            s.settimeout(t)
            s.connect(("echo.test", 443))
            echo(w, s, b"x")
            s.close()
    finally:
        w.close()


def test_huge_modem_timeouts_do_not_overflow_ticks():
    w = World()
    try:
        for t in (1 << 29, 1 << 30, 1 << 40):
            tinytest.eq(w.m.status(t)[0], "IP STATUS", "status(%d)" % t)
            tinytest.eq(w.m.eng.command(b"AT", t), kinds.K_OK, "AT")
    finally:
        w.close()


# --- 32-bit: numbers in module lines ----------------------------------------------------------------
LONG = (b"\r\n+QSSLRECV: 1.2.3.4:5,TCP,99999999999\r\n",
        b"\r\n+QSSLRECV: 1.2.3.4:5,TCP,99999999999999999999999\r\n",
        b'\r\n+QSSLURC: "recv",0,99999999999999999999999\r\n',
        b'\r\n+QSSLURC: "closed",4294967296\r\n',
        b"\r\n+QSSLOPEN: 99999999999999999999999,0\r\n",
        b"\r\n+QIRDI: 0,1,1073741824\r\n",
        b"\r\n+CME ERROR: 99999999999999999999999\r\n",
        b"\r\n+QSECWRITE: 99999999999999999999,fffffffffffffffff\r\n")


def parse_all(p, data):
    i = 0
    while i < len(data):
        p.feed(data, i, len(data))
        i = p.pos


def test_long_numbers_in_lines_allocate_nothing():
    import micropython

    tinytest.need_attr(micropython, "heap_lock", "heap_unlock")
    p = at.Parser(256)
    p.expect = b"+QSSLRECV:"
    for line in LONG:
        parse_all(p, line)  # warm up
        p.reset()
        micropython.heap_lock()
        try:
            parse_all(p, line)
            v = at.parse_int(p.line, 0, p.n)
        except MemoryError:
            micropython.heap_unlock()
            raise AssertionError("allocates under heap_lock: %r" % line)
        micropython.heap_unlock()
        tinytest.eq(p.raw_left, 0, "payload length taken from %r" % line)
        tinytest.eq(v, None, "a number from %r" % line)
        p.reset()


def test_long_numbers_through_the_modem():
    # the URC handler and a read's answer with such numbers: nothing raised but OSError,
    # and the socket goes on (or fails with OSError)
    w = World()
    try:
        s = w.socket()
        for line in LONG:
            w.mod.emit(line, "urc")
            w.clock.advance(5)
            w.m.poll()
        try:
            echo(w, s, b"after long numbers")
        except OSError:
            pass
        s.close()
        tinytest.eq(w.m.eng.command(b"AT", 2000), kinds.K_OK, "AT afterwards")
    finally:
        w.close()


# --- a UART written in Python ---------------------------------------------------------------------
class BufOnlyUart:
    """write(buf) and readinto(buf) only, as a UART class written in Python may be."""

    def __init__(self, mod):
        self.mod = mod
        self.writes = 0

    def any(self):
        return self.mod.any()

    def readinto(self, buf):
        return self.mod.readinto(buf, len(buf))

    def write(self, buf):
        self.writes += 1
        return self.mod.write(buf, 0, len(buf))


def test_uart_in_python_write_takes_only_buf():
    w = World(BufOnlyUart)
    try:
        tinytest.eq(w.m.status()[0], "IP STATUS", "status")
        s = w.socket()
        echo(w, s, b"through a Python UART" * 10)
        s.close()
        if w.uart.writes == 0:
            raise AssertionError("the library never wrote through the Python UART")
    finally:
        w.close()


# --- a fuzz slice ------------------------------------------------------------------------------------
def test_fuzz_slice():
    import fuzz_line

    fz = fuzz_line.run(400, 20260)
    f = fz.fig
    lines = []
    fz.out = lines.append
    fz.report(1.0)
    text = "\n".join(lines)
    print(text)
    # As on CPython (tests_host/test_hostile_fuzz_slice.py): nothing but OSError escapes,
    # every call keeps its timeout, the line always comes back, and the only violations are
    # the residual double faults, rare.
    if not f.streams:
        raise AssertionError("the slice ran no stream")
    if f.escaped or f.over or f.desyncs:
        raise AssertionError(text)
    for k in f.violations:
        if k not in ("command text at the peer", "send count"):
            raise AssertionError(text)
    if sum(f.violations.values()) > 2:
        raise AssertionError(text)


def test_ticks_add_refuses_what_a_32_bit_port_refuses():
    try:
        FM.ticks_add(0, 1 << 29)
    except OverflowError:
        return
    raise AssertionError("the 32-bit check of the fake clock is off")


tinytest.main(globals())
