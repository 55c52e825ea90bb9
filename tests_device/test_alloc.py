# Allocation proofs on MicroPython: each hot path allocates nothing, under heap_lock()
# and by mem_total() (see alloccheck.py for why both).
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()
import alloccheck
from qssl import at
import kinds
from qssl.engine import Engine
from fakeuart import FakeUart

N = 200
CALLS = 2 * N + 2  # what allocated() makes: 2 warm-up runs, N locked, N counted


def allocated(fn, n=N):
    return alloccheck.allocated(fn, n)


def zero(fn, what):
    tinytest.eq(allocated(fn), 0, what + ": bytes allocated over %d runs" % N)


class Feeder:
    """Feeds one buffer through a parser until it is consumed, counting events."""

    def __init__(self, data, line_size=256, expect=None, bare=False):
        self.p = at.Parser(line_size)
        self.p.expect = expect
        self.p.expect_bare = bare
        self.data = data
        self.end = len(data)
        self.dst = bytearray(2048)
        self.events = 0
        self.kinds = 0

    def feed(self):
        p = self.p
        i = 0
        while i < self.end:
            ev = p.feed(self.data, i, self.end)
            i = p.pos
            if ev:
                self._event(ev)

    def _event(self, ev):
        self.events += 1
        if ev == kinds.EV_LINE:
            self.kinds += self.p.kind
            if self.p.mode == kinds.M_RAW:
                self.p.set_raw_dst(self.dst, 0, 2048)


def test_frame_a_line():
    f = Feeder(b"\r\nOK\r\n")
    zero(f.feed, "framing OK")
    tinytest.eq(f.kinds, CALLS * kinds.K_OK)


def test_frame_byte_by_byte():
    f = Feeder(b"\r\nOK\r\n")
    data = b"\r\n+QSSLSTATE: 0,\"TCP\",\"1.2.3.4\",443,\"CONNECTED\",1\r\n"
    p = f.p
    p.expect = b"+QSSLSTATE:"

    def run():
        i = 0
        while i < len(data):
            p.feed(data, i, i + 1)
            i += 1

    zero(run, "framing byte by byte")
    tinytest.eq(p.kind, kinds.K_RESPONSE)


def test_classify_every_kind():
    data = (b"\r\nOK\r\n\r\nERROR\r\n\r\n+CME ERROR: 50\r\n\r\nSEND OK\r\n\r\nSEND FAIL\r\n"
            b"\r\nCLOSE OK\r\n\r\nDEACT OK\r\n\r\nCONNECT\r\n\r\n0, CONNECT OK\r\n\r\n1, CLOSE OK\r\n"
            b"\r\n2, CLOSED\r\n\r\nALREADY CONNECT\r\n\r\n+QSSLURC: \"recv\",0,1\r\n"
            b"\r\n+QSSLURC: \"closed\",1\r\n\r\n+QSSLOPEN: 1,0\r\n\r\n+QIRDI: 0,1,0\r\n"
            b"\r\n+PDP DEACT\r\n\r\nRDY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n\r\nCLOSED\r\n"
            b"\r\n+CREG: 1\r\n\r\n+QSSLSTATE: \"IP STATUS\"\r\n\r\nAT+QSSLSTATE\r\r\n"
            b"\r\n+QFOO: 1\r\n\r\nOKAY\r\n\r\n> \r\n\x00\xff\r\n" + b"X" * 300 + b"\r\n")
    once = Feeder(data, 256, b"+QSSLSTATE:")
    once.feed()
    f = Feeder(data, 256, b"+QSSLSTATE:")
    zero(f.feed, "classifying")
    tinytest.eq(once.events, 28, "events in one pass")
    tinytest.eq(f.events, 28 * CALLS, "events")
    tinytest.eq(f.p.overflows, CALLS, "overflows")


def test_classify_bare():
    f = Feeder(b"\r\n10.1.83.188\r\n", 64, at.BARE, True)
    zero(f.feed, "bare line")
    tinytest.eq(f.p.kind, kinds.K_RESPONSE)


def test_raw_payload():
    payload = bytes(range(256)) * 5 + b"\r\nOK\r\n"
    data = (b"\r\n+QSSLRECV: 1.2.3.4:443,TCP," + str(len(payload)).encode() + b"\r\n" + payload
            + b"\r\nOK\r\n")
    f = Feeder(data, 64, b"+QSSLRECV:")
    zero(f.feed, "RAW payload")
    tinytest.eq(f.p.raw_pos, len(payload))


def test_fields_and_ints():
    # no LF after the CR: the line stays in line[] until the next feed
    f = Feeder(b'\r\n+QSSLSTATE: 0,"TCP","a,b",443,"CONNECTED",1\r', 256, b"+QSSLSTATE:")
    f.feed()
    p = f.p
    out = [0, 0, 0]

    def run():
        s = p.after(b"+QSSLSTATE:")
        out[0] = p.fields(s)
        out[1] = p.field_int(3)
        out[2] = p.line.startswith(b"CONNECTED", p.offs[8])

    zero(run, "fields")
    tinytest.eq(out, [6, 443, True])


class UrcSink:
    """on_urc that reads the URC's fields into fixed slots, as the library's own do."""

    def __init__(self):
        self.count = 0
        self.cid = -1
        self.ssid = -1

    def on_urc(self, p):
        if p.kind == kinds.K_URC_RECV:
            p.fields(p.after(b"+QSSLURC:"))
            self.cid = p.field_int(1)
            self.ssid = p.field_int(2)
        self.count += 1


def test_urc_dispatch():
    urc = b'\r\n+QSSLURC: "recv",0,3\r\n'
    u = FakeUart((b"\r\nOK\r\n",))
    e = Engine(u)
    sink = UrcSink()
    e.on_urc = sink.on_urc

    def run():
        u.push(urc)
        e.poll()

    zero(run, "URC dispatch")
    tinytest.eq((sink.count, sink.cid, sink.ssid), (CALLS, 0, 3))


def test_modem_urc_handler_every_kind():
    # The library's own URC handler (Modem._on_urc) records each kind into its slots
    # without allocating: recv, QIRDI, QSSLOPEN, closed, "<i>, CLOSED", "<i>, CONNECT OK".
    import qssl

    urcs = (b'\r\n+QSSLURC: "recv",0,1\r\n\r\n+QIRDI: 0,1,2\r\n\r\n+QSSLOPEN: 3,0\r\n'
            b'\r\n+QSSLURC: "closed",1\r\n\r\n2, CLOSED\r\n\r\n4, CONNECT OK\r\n')
    u = FakeUart((b"AT\r" + urcs + b"\r\nOK\r\n",))
    m = qssl.Modem(u)
    m.slots.owner[1] = m.slots.owner[2] = 1  # sockets the closed URCs apply to
    e = m.eng

    def run():
        e.begin(b"AT")
        e.run(300)

    zero(run, "AT round trip with six URCs through Modem._on_urc")
    tinytest.eq(bytes(m.slots.ready), b"\x00\x01\x01\x00\x00\x00", "recv flags")
    tinytest.eq(bytes(m.slots.dead), b"\x00\x01\x01\x00\x00\x00", "closed flags")
    tinytest.eq(bytes(m.slots.opened), b"\x00\x00\x00\x01\x01\x00", "open results")


def test_format_command():
    e = Engine(FakeUart((b"\r\nOK\r\n",)))

    def run():
        e.begin(b"AT+QSSLOPEN=")
        e.add_int(1)
        e.add_byte(44)
        e.add_int(-1)
        e.add_byte(44)
        e.add_quoted(b"example.com")
        e.add_byte(44)
        e.add_int(443)
        e.add_byte(44)
        e.add_int(0)

    zero(run, "formatting")
    tinytest.eq(bytes(e.cmd[: e.cmdlen]), b'AT+QSSLOPEN=1,-1,"example.com",443,0')


def test_format_hex4():
    e = Engine(FakeUart((b"\r\nOK\r\n",)))

    def run():
        e.begin(b'AT+QSSLCFG="ciphersuite",0,')
        e.add_hex4(0x35)

    zero(run, "add_hex4")
    tinytest.eq(bytes(e.cmd[e.cmdlen - 6 : e.cmdlen]), b"0X0035")


def test_at_ok_round_trip():
    u = FakeUart((b"AT\r\r\nOK\r\n",))
    e = Engine(u)
    res = [0]

    def run():
        res[0] = e.command(b"AT", 1000)

    zero(run, "AT/OK round trip")
    tinytest.eq(res[0], kinds.K_OK)
    tinytest.eq(u.lines, CALLS)


class Lines:
    def __init__(self):
        self.n = 0
        self.port = -1

    def on_line(self, p):
        p.fields(p.after(b"+QSSLSTATE:"))
        self.port = p.field_int(3)
        self.n += 1


def test_response_round_trip_with_urc():
    u = FakeUart((b'\r\n+QSSLSTATE: 0,"TCP","1.2.3.4",443,"CONNECTED",1\r\n'
                  b'+QSSLURC: "recv",0,2\r\n\r\nOK\r\n',))
    e = Engine(u)
    sink = UrcSink()
    e.on_urc = sink.on_urc
    lines = Lines()
    on_line = lines.on_line  # a bound method is a new object each time it is read

    def run():
        e.on_line = on_line
        e.command(b"AT+QSSLSTATE", 1000, b"+QSSLSTATE:")

    zero(run, "response round trip")
    tinytest.eq((lines.n, lines.port, sink.count), (CALLS, 443, CALLS))


def test_recv_round_trip():
    payload = bytes(range(256)) * 5
    u = FakeUart((b"\r\n+QSSLRECV: 1.2.3.4:443,TCP,1280\r\n" + payload + b"\r\nOK\r\n",))
    e = Engine(u)
    dst = bytearray(1500)

    class R:
        def on_line(self, p):
            p.set_raw_dst(dst, 0, 1500)

    on_line = R().on_line

    def run():
        e.on_line = on_line
        e.begin(b"AT+QSSLRECV=0,1,")
        e.add_int(1500)
        e.run(1000, b"+QSSLRECV:")

    zero(run, "QSSLRECV round trip")
    tinytest.eq(bytes(dst[:1280]), payload)


XFAIL = {}
tinytest.main(globals(), xfail=XFAIL)
