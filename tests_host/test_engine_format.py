"""Command formatting in place: ints (negative, 0), quoted strings, hex4, limits."""
import errno

import pytest

from qssl.engine import Engine
from streams import ScriptedPort


def line(e):
    return bytes(e.cmd[: e.cmdlen])


@pytest.fixture
def e():
    return Engine(ScriptedPort())


@pytest.mark.parametrize("v, text", [(0, b"0"), (7, b"7"), (10, b"10"), (99, b"99"), (100, b"100"),
                                     (1500, b"1500"), (-1, b"-1"), (-90, b"-90"),
                                     (2 ** 31, b"2147483648"), (-(2 ** 40), b"-1099511627776")])
def test_add_int(e, v, text):
    e.begin(b"AT+X=")
    e.add_int(v)
    assert line(e) == b"AT+X=" + text


def test_full_command(e):
    e.begin(b"AT+QSSLOPEN=")
    e.add_int(1)
    e.add_byte(44)
    e.add_int(0)
    e.add_byte(44)
    e.add_quoted(b"example.com")
    e.add_byte(44)
    e.add_int(443)
    e.add(b",0,90")
    assert line(e) == b'AT+QSSLOPEN=1,0,"example.com",443,0,90'


def test_quoted_empty(e):
    e.begin(b"AT+QICSGP=1,")
    e.add_quoted(b"")
    assert line(e) == b'AT+QICSGP=1,""'


@pytest.mark.parametrize("v, text", [(0x35, b"0X0035"), (0xFFFF, b"0XFFFF"), (0, b"0X0000"),
                                     (0xC02F, b"0XC02F"), (0x3D, b"0X003D")])
def test_add_hex4(e, v, text):
    e.begin(b"AT+QSSLCFG=\"ciphersuite\",0,")
    e.add_hex4(v)
    assert line(e).endswith(text)


def test_begin_restarts(e):
    e.begin(b"AT+A")
    e.begin(b"AT")
    assert line(e) == b"AT"


@pytest.mark.parametrize("how", ["add", "quoted", "int", "byte"])
def test_too_long_raises_einval(e, how):
    e.begin(b"AT+X=")
    with pytest.raises(OSError) as ex:
        for _ in range(400):
            if how == "add":
                e.add(b"abcdefgh")
            elif how == "quoted":
                e.add_quoted(b"abcdefgh")
            elif how == "int":
                e.add_int(-123456789)
            else:
                e.add_byte(65)
    assert ex.value.errno == errno.EINVAL
    assert e.cmdlen < len(e.cmd)  # there is always room left for the CR


def test_longest_host_name_fits(e):
    e.begin(b"AT+QSSLOPEN=1,0,")
    e.add_quoted(b"h" * 255)
    e.add(b",443,0,90")
    assert e.cmdlen == 16 + 257 + 9


def test_sent_line_ends_with_cr():
    port = ScriptedPort([b"\r\nOK\r\n"])
    e = Engine(port)
    e.begin(b"AT+QIDNSIP=")
    e.add_int(1)
    assert e.run(200) == 1
    assert port.lines == [b"AT+QIDNSIP=1"] and port.tx == b""
