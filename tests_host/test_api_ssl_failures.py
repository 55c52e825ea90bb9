"""SSL sockets when things go wrong: wrong CA, expired certificate and ignorertc, an
occupied index, the peer closing, SEND FAIL, a module reboot, +PDP DEACT."""

import datetime
import time

import pytest

from api_fixtures import (attached, rig, booted, errno, expect_oserror, qssl, raw_at,  # noqa: F401
                          read_exact, read_to_eof, wait_for, payload, ECHO_HOST, LOCAL_IP)


def _connect_fails(ctx, host, errnos=(errno.ECONNABORTED,)):
    s = ctx.socket()
    s.settimeout(10)
    e = expect_oserror(s.connect, (host, 443))
    s.close()
    assert e.errno in errnos, e
    return e


def test_wrong_ca(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.m.ssl_context(0)
    ctx.load_verify_locations(cadata=pki.other_ca_pem)
    _connect_fails(ctx, ECHO_HOST)
    assert attached.emu.state.sockets == {}
    assert attached.m.status()[1] == []
    # The right CA on the same context then works.
    ctx.load_verify_locations(cadata=pki.ca_pem)
    with attached.connect(ctx, ECHO_HOST) as s:
        s.sendall(b"x")
        assert read_exact(s, 1) == b"x"


def test_expired_certificate_and_ignorertc(attached, pki):
    from testnet import TlsEchoServer

    with TlsEchoServer(pki.expired_cert_path, pki.expired_key_path) as srv:
        attached.route(ECHO_HOST, srv)
        ctx = attached.ctx(pki)
        ctx.ignore_rtc = False
        _connect_fails(ctx, ECHO_HOST)
        ctx.ignore_rtc = True
        with attached.connect(ctx, ECHO_HOST) as s:
            s.sendall(b"old but accepted")
            assert read_exact(s, 16) == b"old but accepted"


def test_valid_certificate_rejected_when_module_clock_is_later(attached, pki, tls_echo):
    """The date check uses the module's RTC: a clock past the certificate's end fails the
    handshake with ignorertc 0 and passes with ignorertc 1."""
    attached.route(ECHO_HOST, tls_echo)
    attached.emu.clock = datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone.utc)
    ctx = attached.ctx(pki)
    _connect_fails(ctx, ECHO_HOST)
    ctx.ignore_rtc = True
    with attached.connect(ctx, ECHO_HOST) as s:
        s.sendall(b"ok")
        assert read_exact(s, 2) == b"ok"


def test_occupied_socket(attached, pki, tls_echo):
    """An index opened behind the library's back answers -2: the same connect() goes
    on (no EADDRINUSE to the user), and the index held for nobody is closed on the way
    (as start() and attach() close them), so nothing stays open unseen."""
    attached.route(ECHO_HOST, tls_echo)
    at = raw_at(attached)
    at.cmd('AT+QSSLOPEN=0,5,"%s",443,0,30' % ECHO_HOST)  # ctx 5: seclevel 0 by default
    at.read_line("+QSSLOPEN: 0,", timeout=10)
    ctx = attached.ctx(pki)
    mark = attached.mark()
    with attached.connect(ctx, ECHO_HOST) as s:
        s.sendall(b"mine")
        assert read_exact(s, 4) == b"mine"
        seen = attached.received(mark)
        assert b"+QSSLOPEN: 0,-2" in seen  # index 0 was really tried and refused
        assert b"CLOSE OK" in seen  # ... and closed, since nobody owned it
        assert sorted(attached.emu.state.sockets) == [s.ssid]
    assert not any(attached.m.slots.foreign)


def test_all_indexes_held_by_nobody_are_closed_when_needed(attached, pki, tls_echo):
    """Six indexes the module holds for nobody (a program before an MCU reset, connects
    abandoned at their deadline): a connect closes them rather than fail with ENOMEM."""
    attached.route(ECHO_HOST, tls_echo)
    at = raw_at(attached)
    for i in range(6):
        at.cmd('AT+QSSLOPEN=%d,5,"%s",443,0,30' % (i, ECHO_HOST))
        at.read_line("+QSSLOPEN: %d," % i, timeout=10)
    attached.m.status()  # the library learns the six rows are not its own
    assert all(attached.m.slots.foreign)
    ctx = attached.ctx(pki)
    with attached.connect(ctx, ECHO_HOST) as s:
        s.sendall(b"room")
        assert read_exact(s, 4) == b"room"
    assert len(attached.emu.state.sockets) <= 5


def test_attach_learns_sockets_left_in_the_module(booted, pki, tls_echo):
    """A program restarted without a module reboot: attach() reads AT+QSSLSTATE and
    closes what the module still holds for nobody, so every index is free again."""
    booted.route(ECHO_HOST, tls_echo)
    booted.m.start()
    booted.m.attach(apn="CMNET")
    at = raw_at(booted)
    at.cmd('AT+QSSLOPEN=0,5,"%s",443,0,30' % ECHO_HOST)
    at.read_line("+QSSLOPEN: 0,", timeout=10)
    fresh = qssl.Modem(booted.emu.port())  # the program starts again
    fresh.start()
    fresh.attach(apn="CMNET")
    s = fresh.ssl_context(0)
    s.load_verify_locations(cadata=pki.ca_pem)
    sock = s.socket()
    sock.settimeout(10)
    sock.connect((ECHO_HOST, 443))
    assert sock.ssid == 0
    assert [r[0] for r in fresh.status()[1]] == [0]  # only ours
    sock.close()


def test_peer_close_mid_read(attached, pki):
    from testnet import TlsEchoServer

    n = 3000
    with TlsEchoServer(pki.server_cert_path, pki.server_key_path, close_after=n) as srv:
        attached.route(ECHO_HOST, srv)
        ctx = attached.ctx(pki)
        s = attached.connect(ctx, ECHO_HOST)
        data = payload(n, seed=2)
        s.sendall(data)
        first = s.recv(100)  # start reading while the rest and the close are on the way
        assert first and data.startswith(first)
        rest = read_to_eof(s)
        assert first + rest == data
        assert s.recv(10) == b""  # stays at end of stream
        buf = bytearray(10)
        assert s.recv_into(buf) == 0
        assert s.readinto(buf) == 0
        s.close()
    assert attached.emu.state.sockets == {}
    assert attached.m.status()[1] == []


def test_peer_close_after_data_buffered(attached, pki):
    from testnet import TlsEchoServer

    n = 2000
    with TlsEchoServer(pki.server_cert_path, pki.server_key_path, close_after=n) as srv:
        attached.route(ECHO_HOST, srv)
        ctx = attached.ctx(pki)
        s = attached.connect(ctx, ECHO_HOST)
        data = payload(n, seed=4)
        s.sendall(data)
        # the close URC arrives before anything is read (ERRATA 12: data still readable)
        assert wait_for(lambda: attached.emu.state.sockets.get(s.ssid) is not None
                        and attached.emu.state.sockets[s.ssid].state == "CLOSED", 5)
        assert read_to_eof(s) == data
        s.close()


def test_peer_close_fault_then_send_raises(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    s = attached.connect(ctx, ECHO_HOST)
    attached.emu.faults.close_peer(s.ssid)
    assert s.recv(10) == b""
    e = expect_oserror(s.sendall, b"after close")
    assert e.errno in (errno.ECONNRESET, errno.ENOTCONN, errno.EPIPE)
    s.close()
    assert attached.m.status()[1] == []


def test_send_fail_then_success(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    with attached.connect(ctx, ECHO_HOST) as s:
        attached.emu.faults.send_fail(2)
        mark = attached.mark()
        data = payload(2000, seed=8)
        s.sendall(data)
        assert read_exact(s, len(data)) == data
        assert attached.received(mark).count(b"SEND FAIL") == 2
        assert attached.emu.faults.send_fails == 0


def test_send_fail_forever_times_out(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    with attached.connect(ctx, ECHO_HOST) as s:
        s.settimeout(0.6)
        attached.emu.faults.send_fail(1000)
        t = time.monotonic()
        e = expect_oserror(s.sendall, b"never")
        assert e.errno == errno.ETIMEDOUT
        assert time.monotonic() - t < 4
        attached.emu.faults.send_fail(0)


BUG_DEAD_DURING_RECV = (
    "stream.py _recv_chunk/_fetch: when the socket dies while AT+QSSLRECV is in flight "
    "(RDY banner -> K_REBOOT, or +PDP DEACT before the ERROR), _recv_chunk returns 0 because "
    "m.dead[i] is set, and _fetch then returns 0 for any m.dead reason: recv() gives b'' "
    "(end of stream) instead of OSError(ECONNRESET)"
)
BUG_CLOSED_OVERWRITES_PDP = (
    "modem.py _on_urc: the +QSSLURC: \"closed\",<i> lines the module prints right after "
    "+PDP DEACT overwrite dead[i]=DEAD_PDP with DEAD_PEER, so a socket lost with the PDP "
    "context reads as an orderly close (b'') instead of OSError(ECONNRESET)"
)



def test_reboot_mid_transfer(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    s = attached.connect(ctx, ECHO_HOST)
    data = payload(20000, seed=9)
    s.sendall(data[:8000])
    assert read_exact(s, 3000) == data[:3000]
    attached.emu.faults.reboot()
    # more data was buffered: the next read is the one that meets the RDY banner
    e = expect_oserror(s.recv, 1500)
    assert e.errno == errno.ECONNRESET
    s.close()


def test_reboot_noticed_by_poll_then_restart(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    m = attached.m
    ctx = attached.ctx(pki)
    s = attached.connect(ctx, ECHO_HOST)
    other = attached.connect(ctx, ECHO_HOST)
    data = payload(8000, seed=9)
    s.sendall(data)
    assert read_exact(s, 3000) == data[:3000]
    attached.emu.faults.reboot()
    assert wait_for(lambda: (m.poll(), m.restarts)[1] == 1, 3)
    for sock, call in ((s, lambda: s.recv(1500)), (other, lambda: other.sendall(b"x")),
                       (s, lambda: s.sendall(b"x"))):
        e = expect_oserror(call)
        assert e.errno == errno.ECONNRESET
        assert "restart" in str(e)
    s.close()
    other.close()
    # the module can be brought up again
    m.start()
    assert m.attach(apn="CMNET") == LOCAL_IP
    # RAM certificates are gone after a restart: the context uploads its CA again and
    # sets server authentication again before it connects
    assert "RAM:ca0.pem" not in attached.emu.state.certs
    with attached.connect(ctx, ECHO_HOST) as s4:
        assert attached.emu.state.cfg[0]["seclevel"] == 1
        assert attached.emu.state.cfg[0]["cacert"] == "RAM:ca0.pem"
        s4.sendall(b"after reboot")
        assert read_exact(s4, 12) == b"after reboot"


def test_reboot_while_idle_detected_by_send(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    s = attached.connect(ctx, ECHO_HOST)
    attached.emu.faults.reboot()
    time.sleep(0.05)
    e = expect_oserror(s.sendall, b"hello")
    assert e.errno == errno.ECONNRESET
    s.close()



def test_pdp_deact(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    s = attached.connect(ctx, ECHO_HOST)
    s.sendall(b"before")
    assert read_exact(s, 6) == b"before"
    attached.emu.faults.pdp_deact()
    e = expect_oserror(s.recv, 10)
    assert e.errno == errno.ECONNRESET
    s.close()



def test_pdp_deact_noticed_by_poll(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    m = attached.m
    ctx = attached.ctx(pki)
    s = attached.connect(ctx, ECHO_HOST)
    attached.emu.faults.pdp_deact()
    assert wait_for(lambda: (m.poll(), m.pdp_lost)[1] == 1, 3)
    time.sleep(0.05)
    m.poll()
    e = expect_oserror(s.recv, 10)
    assert e.errno == errno.ECONNRESET
    assert "PDP" in str(e)
    s.close()


def test_pdp_deact_then_attach_again(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    m = attached.m
    ctx = attached.ctx(pki)
    s = attached.connect(ctx, ECHO_HOST)
    attached.emu.faults.pdp_deact()
    assert wait_for(lambda: (m.poll(), m.pdp_lost)[1] == 1, 3)
    e = expect_oserror(s.sendall, b"lost")
    assert e.errno == errno.ECONNRESET
    s.close()
    assert m.status()[0] == "PDP DEACT"
    # attach() again brings the context back; certificates survived (no reboot)
    assert m.attach(apn="CMNET") == LOCAL_IP
    with attached.connect(ctx, ECHO_HOST) as s2:
        s2.sendall(b"after")
        assert read_exact(s2, 5) == b"after"


def test_detach_kills_sockets(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    s = attached.connect(ctx, ECHO_HOST)
    attached.m.detach()
    e = expect_oserror(s.recv, 10)
    assert e.errno == errno.ECONNRESET
    s.close()
