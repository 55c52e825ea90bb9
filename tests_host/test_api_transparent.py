# Transparent mode through the public API: ctx.transparent() sockets, payload that
# contains "+++" without the guard, escape() keeping data that arrived around it,
# resume() with ATO, an HTTPS GET in data mode, and the link breaking in data mode.
import errno
import time

import pytest

from api_fixtures import ECHO_HOST, HTTPS_HOST, attached, booted, read_exact, read_to_eof, rig  # noqa: F401


def open_transparent(attached, pki, host):
    ctx = attached.ctx(pki, 1)
    s = ctx.transparent()
    s.settimeout(5)
    s.connect((host, 443))
    return s


def test_echo_escape_resume(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    s = open_transparent(attached, pki, ECHO_HOST)
    try:
        # transparent mode (1); a 5 s socket timeout is clamped to the module's minimum, 10 s
        assert any(ln.startswith(b"AT+QSSLOPEN=0,1,") and ln.endswith(b",443,1,10") for ln in attached.sent())
        s.write(b"hello +++ world")  # "+++" inside payload, no guard time: data
        assert read_exact(s, 15, 5) == b"hello +++ world"
        s.write(b"abc")
        t0 = time.monotonic()
        s.escape()  # the echo of "abc" arrives during the guard time
        assert 2.0 <= time.monotonic() - t0 < 5
        assert not s.data_mode
        # in command mode: the socket is still there and other commands work
        state, rows = attached.m.status()
        assert rows and rows[0][0] == 0 and rows[0][4] == "CONNECTED"
        assert s.recv(10) == b"abc"  # kept, not lost to the line parser
        s.resume()
        assert s.data_mode
        s.write(b"again")
        assert read_exact(s, 5, 5) == b"again"
    finally:
        s.close()
    assert attached.m.status() == ("IP STATUS", [])
    assert attached.m.slots.owner == [None] * 6


def test_https_get_in_data_mode(attached, pki, https_server):
    attached.route(HTTPS_HOST, https_server)
    s = open_transparent(attached, pki, HTTPS_HOST)
    try:
        s.write(b"GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
        raw = read_to_eof(s)
    finally:
        s.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert body == https_server.routes["/"]
    # the module printed CLOSED when the server closed; it is not part of the payload
    assert b"CLOSED" not in raw


def test_read_times_out_without_data(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    s = open_transparent(attached, pki, ECHO_HOST)
    try:
        s.settimeout(0.3)
        with pytest.raises(OSError) as e:
            s.recv(10)
        assert e.value.errno == errno.ETIMEDOUT
        s.setblocking(False)
        assert s.readinto(bytearray(4)) is None
    finally:
        s.close()


def test_failed_open_raises_and_frees_the_slot(attached, pki):
    ctx = attached.ctx(pki, 1)
    s = ctx.transparent()
    s.settimeout(10)
    with pytest.raises(OSError) as e:
        s.connect(("nowhere.test", 443))  # not routed: the module answers ERROR
    assert e.value.errno == errno.ECONNABORTED
    assert attached.m.slots.owner == [None] * 6


def test_escape_right_after_a_write_on_a_paced_line(pki, tls_echo):
    # At 115200 baud a write returns before its bytes have crossed the line: the guard
    # time before +++ must count from when they have (UART flush), or the module sees
    # less than 1 s of silence and takes +++ as payload.
    from quecsim import Emulator

    import qssl

    emu = Emulator(routes={(ECHO_HOST, 443): ("127.0.0.1", tls_echo.port)}, baud=115200)
    emu.start()
    try:
        m = qssl.Modem(emu.port())
        m.start()
        m.attach(apn="CMNET")
        ctx = m.ssl_context(0)
        ctx.load_verify_locations(cadata=pki.ca_pem)
        t = ctx.transparent()
        t.settimeout(30)
        t.connect((ECHO_HOST, 443))
        t.send(b"x" * 200)
        t.escape()
        assert not t.data_mode
        t.close()
        assert m.status()[1] == []
    finally:
        emu.stop()


def test_data_mode_checks_the_buffer_and_sends_an_array_as_bytes(attached, pki, tls_echo):
    import array

    attached.route(ECHO_HOST, tls_echo)
    s = open_transparent(attached, pki, ECHO_HOST)
    try:
        for bad in ([1, 2], None, "text"):
            with pytest.raises(TypeError):
                s.send(bad)
            with pytest.raises(TypeError):
                s.sendall(bad)
        a = array.array("i", [7, 8])
        assert s.send(a) == 8
        assert read_exact(s, 8, 5) == bytes(a)
    finally:
        s.close()
