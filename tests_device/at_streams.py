# Byte streams for the AT parser and the events each must give, shared by the host
# tests (pytest on CPython, through tests_host/streams.py) and the device tests
# (MicroPython). Written in the subset both run: no f-strings, no dataclasses.
#
# An event is recorded as a 5-tuple:
#   EV_LINE:     (EV_LINE, kind, line bytes, index, code)   code only for K_CME, else None
#   EV_PROMPT:   (EV_PROMPT, 0, b"", -1, None)
#   EV_RAW:      (EV_RAW, announced length, payload bytes kept, raw_dropped, None)
#   EV_OVERFLOW: (EV_OVERFLOW, 0, b"", -1, None)
from qssl import at
import kinds
from kinds import (EV_LINE, EV_PROMPT, EV_RAW, EV_OVERFLOW, K_OK, K_ERROR, K_CME,
                     K_SEND_OK, K_CLOSE_OK, K_CONNECT, K_CONNECT_OK, K_CONNECT_FAIL,
                     K_RESPONSE, K_URC_RECV, K_URC_CLOSED, K_URC_OPEN, K_URC_QIRDI,
                     K_URC_TCP_CLOSED, K_URC_PDP_DEACT, K_URC_RDY, K_URC_CALL_READY,
                     K_URC_SMS_READY, K_ECHO, K_UNKNOWN)


def L(kind, text, index=-1, code=None):
    return (EV_LINE, kind, text, index, code)


PROMPT = (EV_PROMPT, 0, b"", -1, None)
OVERFLOW = (EV_OVERFLOW, 0, b"", -1, None)


def RAW(announced, payload, dropped=0):
    return (EV_RAW, announced, payload, dropped, None)


def recv_header(n, spelling=b"+QSSLRECV:"):
    return b"\r\n" + spelling + b" 220.180.239.212:443,TCP," + str(n).encode() + b"\r\n"


def recv_reply(payload, spelling=b"+QSSLRECV:"):
    return recv_header(len(payload), spelling) + payload + b"\r\nOK\r\n"


OK = L(K_OK, b"OK")
URC_RECV01 = L(K_URC_RECV, b'+QSSLURC: "recv",0,1')
ALL_BYTES = bytes(range(256))

# Payloads that look like protocol but are data.
PAYLOADS = (
    b"\r\nOK\r\n",
    b"\r\nERROR\r\n",
    b'+QSSLURC: "recv",0,1',
    b'\r\n+QSSLURC: "recv",0,1\r\n',
    b"\r\nleading line end",
    b"\x00\xff\x00\xff",
    b"> ",
    b"RDY\r\n",
    ALL_BYTES,
)


class Case:
    """name, data, expected events; the parser set up with line_size, the running
    command's expect prefix (and expect_bare), and raw_cap bytes of room for payload."""

    def __init__(self, name, data, events, expect=None, bare=False, line_size=256,
                 raw_cap=2048):
        self.name = name
        self.data = data
        self.events = events
        self.expect = expect
        self.bare = bare
        self.line_size = line_size
        self.raw_cap = raw_cap


def _cases():
    c = []
    c.append(Case("urc_between_echo_and_final",
                  b'AT+QSSLSTATE\r\r\n+QSSLURC: "recv",0,1\r\n+QSSLSTATE: "IP STATUS"\r\n\r\nOK\r\n',
                  [L(K_ECHO, b"AT+QSSLSTATE"), URC_RECV01,
                   L(K_RESPONSE, b'+QSSLSTATE: "IP STATUS"'), OK],
                  expect=b"+QSSLSTATE:"))
    c.append(Case("urc_right_after_ok",
                  b'\r\nOK\r\n\r\n+QSSLURC: "closed",2\r\n',
                  [OK, L(K_URC_CLOSED, b'+QSSLURC: "closed",2')]))
    c.append(Case("three_urcs_back_to_back",
                  b'\r\n+QSSLURC: "recv",0,1\r\n\r\n+QSSLOPEN: 1,0\r\n\r\n+QIRDI: 0,1,0\r\n'
                  b"\r\n+PDP DEACT\r\n",
                  [URC_RECV01, L(K_URC_OPEN, b"+QSSLOPEN: 1,0"), L(K_URC_QIRDI, b"+QIRDI: 0,1,0"),
                   L(K_URC_PDP_DEACT, b"+PDP DEACT")]))
    hdr = b'+QSSLRECV: 220.180.239.212:443,TCP,'
    for k, pl in enumerate(PAYLOADS):
        c.append(Case("payload_%d" % k, recv_reply(pl),
                      [L(K_RESPONSE, hdr + str(len(pl)).encode()), RAW(len(pl), pl), OK],
                      expect=b"+QSSLRECV:"))
    # The other header spellings (ERRATA 2 and 21). A header no command expects is an
    # unknown line, but its payload is still counted off so the stream stays in step.
    c.append(Case("payload_qsslrcv", recv_reply(b"\r\nOK\r\n", b"+QSSLRCV:"),
                  [L(K_RESPONSE, b"+QSSLRCV: 220.180.239.212:443,TCP,6"), RAW(6, b"\r\nOK\r\n"), OK],
                  expect=b"+QSSLRCV:"))
    c.append(Case("payload_qird", b"\r\n+QIRD: 10.0.0.1:80,TCP,5\r\nOK\r\n\r\nOK\r\n",
                  [L(K_RESPONSE, b"+QIRD: 10.0.0.1:80,TCP,5"), RAW(5, b"OK\r\n\r"), OK],
                  expect=b"+QIRD:"))
    c.append(Case("unexpected_header_keeps_sync", recv_reply(b"\r\nOK\r\n"),
                  [L(K_UNKNOWN, hdr + b"6"), RAW(6, b"\r\nOK\r\n"), OK]))
    c.append(Case("empty_buffer_bare_ok", b"\r\nOK\r\n", [OK], expect=b"+QSSLRECV:"))
    c.append(Case("announced_above_requested", recv_reply(b"0123456789abcdefghij"),
                  [L(K_RESPONSE, hdr + b"20"), RAW(20, b"0123456789", 10), OK],
                  expect=b"+QSSLRECV:", raw_cap=10))
    c.append(Case("header_512_only_300_arrive", recv_header(512) + b"x" * 300,
                  [L(K_RESPONSE, hdr + b"512")], expect=b"+QSSLRECV:"))
    c.append(Case("rdy_mid_response",
                  b'\r\n+QSSLSTATE: "IP STATUS"\r\nRDY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n',
                  [L(K_RESPONSE, b'+QSSLSTATE: "IP STATUS"'), L(K_URC_RDY, b"RDY"),
                   L(K_URC_CALL_READY, b"Call Ready"), L(K_URC_SMS_READY, b"SMS Ready")],
                  expect=b"+QSSLSTATE:"))
    c.append(Case("overlong_line_then_ok", b"\r\n" + b"X" * 100 + b"\r\n\r\nOK\r\n",
                  [OVERFLOW, OK], line_size=32))
    c.append(Case("line_exactly_line_size", b"\r\n" + b"Y" * 32 + b"\r\nOK\r\n",
                  [L(K_UNKNOWN, b"Y" * 32), OK], line_size=32))
    c.append(Case("line_one_over_line_size", b"\r\n" + b"Y" * 33 + b"\r\nOK\r\n",
                  [OVERFLOW, OK], line_size=32))
    c.append(Case("overlong_ended_by_cr_only", b"Z" * 40 + b"\rOK\r", [OVERFLOW, OK], line_size=32))
    c.append(Case("cops_ok_mobile_and_okay",
                  b'\r\n+COPS: 0,0,"OK MOBILE"\r\n\r\nOKAY\r\n\r\nOK \r\n\r\nOK\r\n',
                  [L(K_RESPONSE, b'+COPS: 0,0,"OK MOBILE"'), L(K_UNKNOWN, b"OKAY"),
                   L(K_UNKNOWN, b"OK "), OK],
                  expect=b"+COPS:"))
    c.append(Case("cme_error", b"\r\n+CME ERROR: 50\r\n\r\n+CMS ERROR: 500\r\n\r\n+CME ERROR: x\r\n",
                  [L(K_CME, b"+CME ERROR: 50", -1, 50), L(K_CME, b"+CMS ERROR: 500", -1, 500),
                   L(K_CME, b"+CME ERROR: x", -1, -1)]))
    c.append(Case("prompt_without_line_end", b"AT+QSSLSEND=0,5\r\r\n> ",
                  [L(K_ECHO, b"AT+QSSLSEND=0,5"), PROMPT]))
    c.append(Case("prompt_then_send_ok", b"\r\n> \r\nSEND OK\r\n", [PROMPT, L(K_SEND_OK, b"SEND OK")]))
    c.append(Case("gt_inside_line_is_no_prompt", b"\r\na> b\r\n", [L(K_UNKNOWN, b"a> b")]))
    c.append(Case("unknown_then_known_urc",
                  b'\r\n+QFOO: 1,"bar"\r\n\r\n+QSSLURC: "closed",3\r\n',
                  [L(K_UNKNOWN, b'+QFOO: 1,"bar"'), L(K_URC_CLOSED, b'+QSSLURC: "closed",3')]))
    c.append(Case("quoted_field_with_comma",
                  b'\r\n+QSSLSTATE: 0,"TCP","a,b",443,"CONNECTED",1\r\n\r\nOK\r\n',
                  [L(K_RESPONSE, b'+QSSLSTATE: 0,"TCP","a,b",443,"CONNECTED",1'), OK],
                  expect=b"+QSSLSTATE:"))
    c.append(Case("echo_lone_cr_lf_empty_lines",
                  b"ATE0\r\r\n\r\n\r\n\nOK\n\rERROR\r\r\r\n\n\n",
                  [L(K_ECHO, b"ATE0"), OK, L(K_ERROR, b"ERROR")]))
    c.append(Case("noise_bytes", b"\x00\xff\r\n\x00O\xffK\x00\r\n\xff",
                  [OK]))
    c.append(Case("indexed_finals_and_closed",
                  b"\r\n0, CONNECT OK\r\n\r\n1, CLOSE OK\r\n\r\n2, CLOSED\r\n\r\n3,CONNECT FAIL\r\n"
                  b"\r\nCONNECT\r\n\r\n4, OKAY\r\n",
                  [L(K_CONNECT_OK, b"0, CONNECT OK", 0), L(K_CLOSE_OK, b"1, CLOSE OK", 1),
                   L(K_URC_TCP_CLOSED, b"2, CLOSED", 2), L(K_CONNECT_FAIL, b"3,CONNECT FAIL", 3),
                   L(K_CONNECT, b"CONNECT"), L(K_UNKNOWN, b"4, OKAY")]))
    c.append(Case("close_ok", b"\r\nCLOSE OK\r\n", [L(K_CLOSE_OK, b"CLOSE OK")]))
    c.append(Case("bare_answer_qilocip", b"AT+QILOCIP\r\r\n10.1.83.188\r\n",
                  [L(K_ECHO, b"AT+QILOCIP"), L(K_RESPONSE, b"10.1.83.188")], bare=True))
    c.append(Case("two_payloads_back_to_back",
                  recv_reply(b"\r\n\r\n") + recv_reply(b"abc\r"),
                  [L(K_RESPONSE, hdr + b"4"), RAW(4, b"\r\n\r\n"), OK,
                   L(K_RESPONSE, hdr + b"4"), RAW(4, b"abc\r"), OK],
                  expect=b"+QSSLRECV:"))
    return c


CASES = _cases()


def run(p, data, sizes, raw_cap=2048, record=None):
    """Feed data to parser p in chunks of the given sizes (cycled; 0 means the rest),
    return the recorded events. The RAW destination is set after each header."""
    out = [] if record is None else record
    dst = bytearray(raw_cap) if raw_cap else None
    end = len(data)
    i = 0
    k = 0
    while i < end:
        step = sizes[k % len(sizes)] if sizes else 0
        k += 1
        stop = end if step <= 0 or i + step > end else i + step
        while i < stop:
            ev = p.feed(data, i, stop)
            if not ev and p.pos == i:
                raise AssertionError("feed made no progress at %d" % i)
            i = p.pos
            if ev:
                _record(p, ev, out, dst, raw_cap)
    return out


def _record(p, ev, out, dst, raw_cap):
    if ev == EV_LINE:
        code = p.code if p.kind == K_CME else None
        out.append((EV_LINE, p.kind, bytes(p.line[0:p.n]), p.index, code))
        if p.mode == kinds.M_RAW:
            p.set_raw_dst(dst, 0, raw_cap)
    elif ev == EV_RAW:
        out.append((EV_RAW, p.raw_len, bytes(dst[0:p.raw_pos]) if dst else b"", p.raw_dropped, None))
    elif ev == EV_PROMPT:
        out.append(PROMPT)
    else:
        out.append(OVERFLOW)


def parser_for(case):
    p = at.Parser(case.line_size)
    p.expect = case.expect
    p.expect_bare = case.bare
    return p


def events(case, sizes):
    return run(parser_for(case), case.data, sizes, case.raw_cap)


class Lcg:
    """A tiny deterministic generator for chunk sizes (no random module needed)."""

    def __init__(self, seed):
        self.s = seed & 0x7FFFFFFF

    def next(self, n):
        self.s = (self.s * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.s >> 8) % n


def random_sizes(seed, count=64, top=17):
    g = Lcg(seed)
    return [1 + g.next(top) for _ in range(count)]
