"""Plain TCP beside SSL (chapter 1.3) and the CircuitPython socket pool."""

import hashlib

from api_fixtures import (attached, rig, booted, errno, expect_oserror, qssl, read_exact,  # noqa: F401
                          read_to_eof, payload, ECHO_HOST, TCP_HOST)


def test_tcp_and_ssl_at_once(attached, pki, tls_echo, tcp_echo):
    attached.route(ECHO_HOST, tls_echo)
    attached.route(TCP_HOST, tcp_echo, port=7)
    ctx = attached.ctx(pki)
    ssl_s = attached.connect(ctx, ECHO_HOST)
    tcp = attached.m.tcp_socket()
    assert isinstance(tcp, qssl.TCPSocket)
    tcp.settimeout(10)
    tcp.connect((TCP_HOST, 7))
    try:
        assert tcp.ssid != ssl_s.ssid
        a = payload(6000, seed=20)
        b = payload(6000, seed=21)
        ssl_s.sendall(a)
        tcp.sendall(b)
        assert hashlib.sha256(read_exact(tcp, len(b))).digest() == hashlib.sha256(b).digest()
        assert hashlib.sha256(read_exact(ssl_s, len(a))).digest() == hashlib.sha256(a).digest()
        rows = attached.m.status()[1]
        kinds = {r[0]: r[5] for r in rows}
        assert kinds.get(ssl_s.ssid) is True
    finally:
        tcp.close()
        ssl_s.close()
    assert attached.emu.state.sockets == {}
    assert tcp_echo.sessions[0]["data"] == b


def test_tcp_peer_close(attached):
    from testnet import TcpEchoServer

    with TcpEchoServer(close_after=1000) as srv:
        attached.route(TCP_HOST, srv, port=7)
        s = attached.m.tcp_socket()
        s.settimeout(10)
        s.connect((TCP_HOST, 7))
        data = payload(1000, seed=22)
        s.sendall(data)
        assert read_to_eof(s) == data
        s.close()


def test_tcp_connect_refused(attached):
    from testnet import TcpEchoServer

    srv = TcpEchoServer()
    port = srv.start()
    srv.stop()  # nothing listens there now
    attached.emu.routes[(TCP_HOST, 7)] = ("127.0.0.1", port)
    s = attached.m.tcp_socket()
    s.settimeout(10)
    e = expect_oserror(s.connect, (TCP_HOST, 7))
    assert e.errno == errno.ECONNABORTED
    s.close()
    assert attached.emu.state.sockets == {}


def test_socket_pool_gives_tcp(attached, tcp_echo):
    attached.route(TCP_HOST, tcp_echo, port=7)
    pool = qssl.SocketPool(attached.m)
    info = pool.getaddrinfo(TCP_HOST, 7)
    assert info[0][0] == pool.AF_INET and info[0][1] == pool.SOCK_STREAM
    addr = info[0][4]
    s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    assert isinstance(s, qssl.TCPSocket)
    s.settimeout(10)
    s.connect(addr)
    s.send(b"pool says hi")
    buf = bytearray(32)
    got = bytearray()
    while len(got) < 12:
        n = s.recv_into(buf, 32)
        assert n
        got += buf[:n]
    assert bytes(got) == b"pool says hi"
    s.close()


def test_socket_pool_rejects_other_families(attached):
    pool = qssl.SocketPool(attached.m)
    e = expect_oserror(pool.socket, 10, pool.SOCK_STREAM)  # AF_INET6
    assert e.errno == errno.EINVAL


def test_wrap_socket_gives_ssl(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    pool = qssl.SocketPool(attached.m)
    ctx = attached.ctx(pki)
    plain = pool.socket()
    plain.settimeout(7)
    s = ctx.wrap_socket(plain, server_hostname=ECHO_HOST)
    assert isinstance(s, qssl.SSLSocket)
    assert s.gettimeout() == 7
    s.connect((ECHO_HOST, 443))
    s.send(b"wrapped")
    assert read_exact(s, 7) == b"wrapped"
    s.close()
