"""adafruit_requests itself (the CircuitPython HTTP library, run on CPython) doing HTTPS
through qssl.SocketPool and a qssl SSLContext, over the in-process emulator.

What adafruit_connection_manager and adafruit_requests call on our objects:
  pool.getaddrinfo(host, port, 0, pool.SOCK_STREAM)[0]  -> (af, type, proto, name, addr)
  pool.socket(af, type)                                  (positional)
  ctx.wrap_socket(sock, server_hostname=host)            the pool socket goes in
  sock.settimeout(t); sock.connect((host, port))         host is the NAME, not an address
  sock.send(memoryview/bytes) -> int (0 means EIO)
  sock.recv(1); sock.recv_into(buf, nbytes) with buf a bytearray or a memoryview slice
  sock.close()
pool, sockets: hashable (dict keys and set members).
"""
import hashlib

import pytest

adafruit_requests = pytest.importorskip("adafruit_requests")
acm = pytest.importorskip("adafruit_connection_manager")

import qssl  # noqa: E402
from testnet import HttpsServer, pattern  # noqa: E402

PAGE = b"Hello from qssl through adafruit_requests\n"


@pytest.fixture
def server(pki):
    with HttpsServer(pki.server_cert_path, pki.server_key_path,
                     routes={"/": PAGE, "/hello": b"Hello, module!\n"}) as srv:
        yield srv


@pytest.fixture
def session_parts(pki, server):
    """(requests.Session, pool, emulator), the modem attached and the CA loaded."""
    from conftest import make_emulator

    emu = make_emulator({("example.com", 443): ("127.0.0.1", server.port)})
    emu.start()
    pool = None
    try:
        emu.boot()
        modem = qssl.Modem(emu.port())
        modem.start()
        modem.attach(apn="CMNET")
        ctx = modem.ssl_context(0)
        ctx.load_verify_locations(cadata=pki.ca_pem)
        pool = qssl.SocketPool(modem)
        yield adafruit_requests.Session(pool, ctx), pool, emu
    finally:
        if pool is not None:
            try:
                acm.connection_manager_close_all(pool, release_references=True)
            except (RuntimeError, KeyError):
                pass  # no request got as far as a connection manager
        emu.stop()


def test_https_get(session_parts, server):
    requests, pool, emu = session_parts
    with requests.get("https://example.com/", timeout=20) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"] == "text/plain"
        assert resp.content == PAGE
    assert server.requests[-1]["path"] == "/"
    assert server.requests[-1]["headers"]["Host"] == "example.com"


def test_https_get_reuses_the_socket(session_parts, server):
    """Two requests to one host: the connection manager keeps the socket (keep-alive)."""
    requests, pool, emu = session_parts
    assert requests.get("https://example.com/hello", timeout=20).text == "Hello, module!\n"
    assert requests.get("https://example.com/", timeout=20).content == PAGE
    assert [r["path"] for r in server.requests] == ["/hello", "/"]
    assert len(server.sessions) == 1


def test_https_get_large_body(session_parts):
    """A body of many QSSLRECV reads, streamed through recv_into with a memoryview."""
    requests, pool, emu = session_parts
    n = 20000
    resp = requests.get("https://example.com/big?n=%d" % n, timeout=30)
    assert resp.status_code == 200
    body = resp.content
    assert len(body) == n
    assert hashlib.sha256(body).digest() == hashlib.sha256(pattern(n)).digest()


def test_pool_shape(session_parts):
    requests, pool, emu = session_parts
    info = pool.getaddrinfo("example.com", 443, 0, pool.SOCK_STREAM)[0]
    assert len(info) == 5
    af, type_, proto, _, addr = info
    assert (af, type_) == (pool.AF_INET, pool.SOCK_STREAM)
    assert addr[1] == 443
    hash(pool)
    s = pool.socket(af, type_)
    try:
        hash(s)
    finally:
        s.close()
