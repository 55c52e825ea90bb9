# Hostile peers: each gives a clear OSError within its time bound, and the modem
# stays usable for the next connection.
import errno
import socket
import threading
import time

import pytest

from api_fixtures import ECHO_HOST, attached, booted, payload, read_exact, read_to_eof, rig  # noqa: F401
from testnet.servers import TcpEchoServer

HOSTILE = "hostile.test"


def still_works(rig, pki, tls_echo):
    """A normal TLS echo right after: nothing was left behind in the modem."""
    rig.route(ECHO_HOST, tls_echo)
    with rig.connect(rig.m.ssl_context(0), ECHO_HOST) as s:
        s.sendall(b"still fine")
        assert read_exact(s, 10, 10) == b"still fine"
    assert rig.m.slots.owner == [None] * 6


def test_plain_tcp_garbage_instead_of_tls(attached, pki, tls_echo):
    srv = TcpEchoServer(greeting=b"\x00\xffHTTP/1.0 400 nonsense\r\n\r\n" * 20)
    srv.start()
    try:
        attached.route(HOSTILE, srv)
        ctx = attached.ctx(pki)
        s = ctx.socket()
        s.settimeout(10)
        t0 = time.monotonic()
        with pytest.raises(OSError) as e:
            s.connect((HOSTILE, 443))
        assert e.value.errno == errno.ECONNABORTED
        assert "failed" in str(e.value)
        assert time.monotonic() - t0 < 8  # a failed handshake, not the open timeout
        s.close()
    finally:
        srv.stop()
    still_works(attached, pki, tls_echo)


def test_silent_peer_never_handshakes(attached, pki, tls_echo):
    # Accepts TCP and says nothing: the module gives up after its open timeout
    # (10 s, the minimum, from settimeout(10)) and so do we.
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4)
    held = []
    stop = threading.Event()

    def accept():
        lsock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(lsock.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        attached.emu.routes[(HOSTILE, 443)] = ("127.0.0.1", lsock.getsockname()[1])
        ctx = attached.ctx(pki)
        s = ctx.socket()
        s.settimeout(10)
        t0 = time.monotonic()
        with pytest.raises(OSError) as e:
            s.connect((HOSTILE, 443))
        took = time.monotonic() - t0
        assert e.value.errno in (errno.ECONNABORTED, errno.ETIMEDOUT)
        assert 9 <= took < 20
        s.close()
    finally:
        stop.set()
        t.join(2)
        for c in held:
            c.close()
        lsock.close()
    still_works(attached, pki, tls_echo)


def test_peer_resets_mid_stream(attached, pki, tls_echo):
    # The echo server closes after 5000 of 20000 bytes: everything echoed before the
    # close is delivered, then the end of stream (or a reset) shows, and nothing hangs.
    from testnet.servers import TlsEchoServer

    srv = TlsEchoServer(pki.server_cert_path, pki.server_key_path, close_after=5000)
    srv.start()
    try:
        attached.route(HOSTILE, srv)
        s = attached.connect(attached.ctx(pki), HOSTILE)
        data = payload(20000, seed=3)
        try:
            s.sendall(data)
        except OSError as e:  # the module may notice the close while we send
            assert e.errno == errno.ECONNRESET
        got = read_to_eof(s, timeout_s=15)
        assert got == data[: len(got)] and len(got) == 5000
        with pytest.raises(OSError) as e:
            s.send(b"more")
        assert e.value.errno in (errno.ECONNRESET, errno.ENOTCONN)
        s.close()
    finally:
        srv.stop()
    still_works(attached, pki, tls_echo)
