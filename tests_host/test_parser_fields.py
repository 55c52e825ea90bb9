"""Quote-aware field splitting and in-place number parsing."""
import pytest

from qssl import at
from qssl.at import split_fields, parse_int, parse_hex, is_ipv4
from quecsim.hostparser import HostParser  # field_eq, field_bytes


def split(text):
    offs = [0] * 32
    n = split_fields(text, 0, len(text), offs)
    return [text[offs[2 * k]: offs[2 * k + 1]] for k in range(n)]


@pytest.mark.parametrize("text, want", [
    (b'0,"TCP","a,b",443,"CONNECTED",1', [b"0", b"TCP", b"a,b", b"443", b"CONNECTED", b"1"]),
    (b' 1 , 2 ,3 ', [b"1", b"2", b"3"]),
    (b'"recv",0,1', [b"recv", b"0", b"1"]),
    (b"a,,b", [b"a", b"", b"b"]),
    (b"a,", [b"a", b""]),
    (b'"",x', [b"", b"x"]),
    (b'"unterminated,still one', [b"unterminated,still one"]),
    (b"", []),
    (b"single", [b"single"]),
])
def test_split(text, want):
    assert split(text) == want


def test_split_caps_at_offs_length():
    offs = [0] * 4
    assert split_fields(b"a,b,c,d", 0, 7, offs) == 2


@pytest.mark.parametrize("text, want", [
    (b"0", 0), (b"42", 42), (b"-1", -1), (b"+7", 7), (b" 12 ", 12), (b'"5"', 5),
    (b"0x1F", 31), (b"0XFFFF", 65535), (b"-0x10", -16), (b"", None), (b"-", None),
    (b"1a", None), (b"0x", None), (b"0xG", None), (b'""', None), (b"99999999", 99999999),
    (b"4294967296", None),  # longer than any module number: garbage, and no long int
])
def test_parse_int(text, want):
    assert parse_int(text, 0, len(text)) == want


@pytest.mark.parametrize("text, want", [(b"2d13", 0x2D13), (b"5769", 0x5769), (b"FfAa", 0xFFAA),
                                        (b"", None), (b"12g", None)])
def test_parse_hex(text, want):
    assert parse_hex(text, 0, len(text)) == want


@pytest.mark.parametrize("text, want", [(b"10.1.83.188", True), (b"0.0.0.0", True),
                                        (b"255.255.255.255", True), (b"256.1.1.1", False),
                                        (b"1.2.3", False), (b"1.2.3.4.5", False), (b"1..2.3", False),
                                        (b"1.2.3.", False), (b"a.b.c.d", False), (b"1234.1.1.1", False),
                                        (b"", False)])
def test_is_ipv4(text, want):
    assert is_ipv4(text, 0, len(text)) is want


def line_parser(text, expect=None):
    p = HostParser()
    p.expect = expect
    data = text + b"\r\n"
    assert p.feed(data, 0, len(data)) == at._EV_LINE
    return p


def test_parser_field_access():
    p = line_parser(b'+QSSLSTATE: 0,"TCP","a,b",443,"CONNECTED",1', b"+QSSLSTATE:")
    s = p.after(b"+QSSLSTATE:")
    assert s == 12
    assert p.fields(s) == 6
    assert p.field_int(0) == 0 and p.field_int(3) == 443 and p.field_int(5) == 1
    assert p.field_int(1) is None
    assert p.field_eq(2, b"a,b") and p.field_eq(4, b"CONNECTED") and not p.field_eq(4, b"CONNECT")
    assert p.field_bytes(1) == b"TCP"
    assert p.after(b"+QSSLURC:") == -1


def test_urc_fields():
    p = line_parser(b'+QSSLURC: "recv",3,5')
    assert p.kind == at._K_URC_RECV
    assert p.fields(p.after(b"+QSSLURC:")) == 3
    assert p.field_eq(0, b"recv") and p.field_int(1) == 3 and p.field_int(2) == 5


def test_unquoted_urc_spelling():
    assert line_parser(b"+QSSLURC: recv,0,1").kind == at._K_URC_RECV
    assert line_parser(b"+QSSLURC: closed,1").kind == at._K_URC_CLOSED


@pytest.mark.parametrize("line, group", [
    (b"OK", at._G_FINAL), (b"SEND FAIL", at._G_FINAL), (b"+CME ERROR: 10", at._G_FINAL),
    (b"1, CLOSE OK", at._G_FINAL), (b"1, CONNECT OK", at._G_LATE), (b"2, CONNECT FAIL", at._G_LATE),
    (b"0, ALREADY CONNECT", at._G_LATE), (b'+QSSLURC: "recv",0,1', at._G_URC), (b"RDY", at._G_URC),
    (b"Call Ready", at._G_URC), (b"3, CLOSED", at._G_URC), (b"AT+QSSLSTATE", at._G_ECHO),
    (b"garbage", at._G_UNKNOWN), (b"+QSSLSTATE: 1", at._G_RESPONSE),
])
def test_groups(line, group):
    p = at.Parser()
    p.expect = b"+QSSLSTATE:"
    data = b"\r\n" + line + b"\r\n"
    assert p.feed(data, 0, len(data)) == at._EV_LINE
    assert p.group == group


def test_kind_tables_are_the_kind_constants():
    # at.py writes these tables as bytes literals (so they can be consts, kept out of the
    # module's dict on a board): they must hold the K_* values they name.
    assert at._FIN_K == bytes((at._K_OK, at._K_ERROR, at._K_SEND_OK, at._K_SEND_FAIL, at._K_CLOSE_OK,
                               at._K_DEACT_OK, at._K_CONNECT, at._K_CONNECT_OK, at._K_CONNECT_FAIL,
                               at._K_ALREADY, at._K_NO_CARRIER))
    assert at._URC_K == bytes((at._K_URC_RECV, at._K_URC_CLOSED, at._K_URC_RECV, at._K_URC_CLOSED, at._K_URC_OPEN,
                               at._K_URC_QIRDI, at._K_URC_PDP_DEACT) + (at._K_URC_OTHER,) * 4)
    assert at._URCX_K == bytes((at._K_URC_RDY, at._K_URC_CALL_READY, at._K_URC_SMS_READY, at._K_URC_LINK_CLOSED))
    assert len(at._FIN_P) == len(at._FIN_K) and len(at._URC_P) == len(at._URC_K)
    assert len(at._URCX_P) == len(at._URCX_K)
