# The parser stream tests on MicroPython: the same table the host checks
# (at_streams.py), fed whole, byte by byte and in pseudo-random chunks.
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()
import at_streams as S
from qssl import at
import kinds


def check_case(c):
    tinytest.eq(S.events(c, [0]), c.events, c.name + " whole")
    tinytest.eq(S.events(c, [1]), c.events, c.name + " byte by byte")
    for seed in (1, 2, 3, 4):
        sizes = S.random_sizes(seed * 31 + len(c.data), 48, 1 + len(c.data) // 3)
        tinytest.eq(S.events(c, sizes), c.events, c.name + " chunks %d" % seed)


def split(text):
    offs = [0] * 32
    n = at.split_fields(text, 0, len(text), offs)
    return [text[offs[2 * k] : offs[2 * k + 1]] for k in range(n)]


def test_split_quoted_comma():
    tinytest.eq(split(b'0,"TCP","a,b",443,"CONNECTED",1'),
                [b"0", b"TCP", b"a,b", b"443", b"CONNECTED", b"1"])
    tinytest.eq(split(b"a,,b"), [b"a", b"", b"b"])
    tinytest.eq(split(b""), [])


def test_parse_int():
    for text, want in ((b"0", 0), (b"-1", -1), (b" 12 ", 12), (b'"5"', 5), (b"0X0035", 53),
                       (b"x", None), (b"", None), (b"-", None)):
        tinytest.eq(at.parse_int(text, 0, len(text)), want, text)


def test_parse_hex_and_ipv4():
    tinytest.eq(at.parse_hex(b"2d13", 0, 4), 0x2D13)
    tinytest.eq(at.is_ipv4(b"10.1.83.188", 0, 11), True)
    tinytest.eq(at.is_ipv4(b"10.1.83", 0, 7), False)


def test_raw_all_bytes_byte_exact():
    payload = bytes(range(256)) * 4
    data = S.recv_reply(payload) + S.recv_reply(b"\r\nOK\r\n")
    p = at.Parser(64)
    p.expect = b"+QSSLRECV:"
    for sizes in ([0], [1], [7, 300, 2, 1500]):
        p = at.Parser(64)
        p.expect = b"+QSSLRECV:"
        got = [e for e in S.run(p, data, sizes, 1100) if e[0] == kinds.EV_RAW]
        tinytest.eq([e[2] for e in got], [payload, b"\r\nOK\r\n"], "payloads %r" % sizes)


def test_garbage_then_ok():
    g = S.Lcg(99)
    for trial in range(40):
        junk = bytearray(g.next(200))
        for k in range(len(junk)):
            b = g.next(256)
            junk[k] = 45 if b == 43 else b  # no "+": so no RAW header in the junk
        p = at.Parser(32)
        evs = S.run(p, bytes(junk) + b"\r\n\r\nOK\r\n", [1 + g.next(9)], 0)
        tinytest.eq(evs[-1], S.OK, "after junk %d" % trial)


tests = [("stream_" + c.name, (lambda c=c: check_case(c))) for c in S.CASES]
tinytest.main(globals(), tests)
