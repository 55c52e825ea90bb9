"""Plain TCP beside SSL (chapter 1.3, ERRATA 21) in multi-connection mode."""

import re
import time

import pytest

from conftest import LOCAL_IP

OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"
PROMPT = b"\r\n> "
IP = "192.0.2.80"


@pytest.fixture
def mux(emu_ctx):
    emu, at, routes = emu_ctx
    for cmd, want in (("AT+QIFGCNT=0", OK), ('AT+QICSGP=1,"CMNET"', OK), ("AT+QIMUX=1", OK),
                      ("AT+QIREGAPP", OK), ("AT+QIACT", OK),
                      ("AT+QILOCIP", ("\r\n%s\r\n" % LOCAL_IP).encode()), ("AT+QINDI=1", OK)):
        assert at.cmd(cmd) == want, cmd
    return emu, at


def qiopen(at, i, port, result="CONNECT OK"):
    assert at.cmd('AT+QIOPEN=%d,"TCP","%s",%d' % (i, IP, port)) == OK
    got = at.read_line(b"%d, " % i, 15)
    assert got == ("\r\n%d, %s\r\n" % (i, result)).encode(), got


def qisend(at, i, data):
    assert at.cmd("AT+QISEND=%d,%d" % (i, len(data))) == PROMPT
    at.write(data)
    assert at.read_final() == b"\r\nSEND OK\r\n"


def qird_is(at, i, data, n=1024, port=6021):
    got = at.cmd("AT+QIRD=0,1,%d,%d" % (i, n))
    assert got == b"\r\n+QIRD: %s:%d,TCP,%d\r\n" % (IP.encode(), port, len(data)) + data + OK, got


def test_qimux_query(mux):
    emu, at = mux
    assert at.cmd("AT+QIMUX?") == b"\r\n+QIMUX: 1\r\n\r\nOK\r\n"
    assert at.cmd("AT+QINDI?") == b"\r\n+QINDI: 1\r\n\r\nOK\r\n"


def test_open_send_read_close(mux, tcp_echo):
    emu, at = mux
    emu.routes[(IP, 6021)] = ("127.0.0.1", tcp_echo.port)
    qiopen(at, 2, 6021)
    qisend(at, 2, b"one")
    assert at.read_line(b"+QIRDI:") == b"\r\n+QIRDI: 0,1,2\r\n"
    time.sleep(0.2)
    qisend(at, 2, b"two")  # buffer not empty: no second notice
    time.sleep(0.2)
    qird_is(at, 2, b"onetwo")
    assert at.cmd("AT+QIRD=0,1,2,1024") == OK
    at.quiet(0.1)
    assert at.cmd("AT+QICLOSE=2") == b"\r\n2, CLOSE OK\r\n"
    assert at.cmd("AT+QICLOSE=2") == ERROR
    assert at.cmd("AT+QISEND=2,3") == ERROR


def test_already_connect_and_connect_fail(mux, tcp_echo):
    emu, at = mux
    emu.routes[(IP, 6021)] = ("127.0.0.1", tcp_echo.port)
    qiopen(at, 1, 6021)
    qiopen(at, 1, 6021, "ALREADY CONNECT")
    emu.routes[(IP, 6022)] = ("127.0.0.1", 1)  # nothing listens on port 1
    qiopen(at, 3, 6022, "CONNECT FAIL")


def test_tcp_peer_close(mux):
    from testnet import TcpEchoServer

    emu, at = mux
    with TcpEchoServer(close_after=3) as srv:
        emu.routes[(IP, 6021)] = ("127.0.0.1", srv.port)
        qiopen(at, 4, 6021)
        qisend(at, 4, b"bye")
        assert at.read_line(b"+QIRDI:") == b"\r\n+QIRDI: 0,1,4\r\n"
        assert at.read_line(b"4, CLOSED", 5) == b"\r\n4, CLOSED\r\n"
        qird_is(at, 4, b"bye")


def test_tcp_and_ssl_share_indexes(mux, tcp_echo, tls_echo):
    emu, at = mux
    emu.routes[(IP, 6021)] = ("127.0.0.1", tcp_echo.port)
    emu.routes[(IP, 443)] = ("127.0.0.1", tls_echo.port)
    assert at.cmd('AT+QSSLOPEN=0,0,"%s",443,0' % IP) == OK
    assert at.read_line(b"+QSSLOPEN:", 15) == b"\r\n+QSSLOPEN: 0,0\r\n"
    # Index 0 is an SSL socket: the TCP commands do not reach it.
    assert at.cmd("AT+QISEND=0,3") == ERROR
    assert at.cmd("AT+QICLOSE=0") == ERROR
    qiopen(at, 0, 6021, "ALREADY CONNECT")
    qiopen(at, 5, 6021)
    assert at.cmd("AT+QSSLSEND=5,3") == ERROR
    assert at.cmd("AT+QSSLCLOSE=5") == ERROR
    assert at.cmd("AT+QICLOSE=5") == b"\r\n5, CLOSE OK\r\n"
    assert at.cmd("AT+QSSLCLOSE=0") == b"\r\nCLOSE OK\r\n"
