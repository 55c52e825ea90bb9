# HTTPS through the public API on MicroPython: a GET, a large body read to the end
# (the server closes after it: the peer's close arrives while data is still buffered).
#
# Run by tools/run_device_tests.py (it starts the servers and quecsim on a pty and
# passes their config as $QSSL_DEVICE_ENV). By hand:
#   .venv/bin/python -c "import sys; sys.path[:0]=['tools','lib']; import netenv, time; \
#     e = netenv.NetEnv().start(); print(e.config_path); time.sleep(3600)" &
#   cp <printed path> /tmp/qssl_device_env.json
#   (or: python -m testnet --dir /tmp/qnet, then
#    python -m quecsim --pty /tmp/qmodem --boot --route example.com:443=127.0.0.1:<https>
#      --route echo.test:443=127.0.0.1:<echo>, and write /tmp/qssl_device_env.json with
#    {"modem_pty": "/tmp/qmodem", "https_host": "example.com", "https_port": 443,
#     "echo_host": "echo.test", "echo_port": 443, "ca_pem": "<the CA PEM text>"})
#   micropython tests_device/test_api_https.py      (from the repository root)
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()
import time

from devenv import world, connect  # noqa: E402


def https_socket():
    return connect("https", 20)


def read_all(s, limit=20000):
    """The rest of the stream as bytes: only for small bodies."""
    out = bytearray()
    buf = bytearray(512)
    t0 = time.ticks_ms()
    while True:
        if time.ticks_diff(time.ticks_ms(), t0) > 60000:
            raise AssertionError("no end of stream in 60 s (%d bytes)" % len(out))
        n = s.readinto(buf)
        if not n:
            return bytes(out)
        out.extend(memoryview(buf)[:n])
        if len(out) > limit:
            raise AssertionError("more than %d bytes" % limit)


# testnet.servers.pattern: the body of /big?n=N repeats these 63 bytes.
PATTERN = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n"


def first_mismatch(chunk, n, offset):
    """Index in the body of the first of chunk[:n] (at body offset) that differs from
    the pattern, or -1. Compares in place: a board's heap need not hold the body."""
    p = PATTERN
    k = len(p)
    j = 0
    while j < n:
        if chunk[j] != p[(offset + j) % k]:
            return offset + j
        j += 1
    return -1


def skip_headers(s):
    """Read the status line and headers; returns (status line, Content-Length or None)."""
    status = s.readline()
    clen = None
    while True:
        ln = s.readline()
        if not ln:
            raise AssertionError("headers not ended")
        if ln == b"\r\n":
            return status, clen
        if ln.lower().startswith(b"content-length:"):
            clen = int(ln.split(b":")[1])


def stream_body(s, timeout_ms=60000):
    """Read to the end of stream checking each byte against the pattern; returns
    (bytes read, first mismatch or -1)."""
    buf = bytearray(512)
    got = 0
    bad = -1
    t0 = time.ticks_ms()
    while True:
        if time.ticks_diff(time.ticks_ms(), t0) > timeout_ms:
            raise AssertionError("no end of stream in %d ms (%d bytes)" % (timeout_ms, got))
        n = s.readinto(buf)
        if not n:
            return got, bad
        if bad < 0:
            bad = first_mismatch(buf, n, got)
        got += n


def test_https_get_root():
    s = https_socket()
    try:
        host = world()["cfg"]["https_host"]
        s.write(b"GET / HTTP/1.1\r\nHost: " + host.encode() + b"\r\nConnection: close\r\n\r\n")
        status, clen = skip_headers(s)
        tinytest.eq(status[:12], b"HTTP/1.1 200", "status line")
        body = read_all(s)
        tinytest.eq(len(body), clen, "body length")
        tinytest.eq(body.find(b"<html>") >= 0, True, "an HTML page")
    finally:
        s.close()


def test_https_big_body_then_peer_close():
    # 30 KB, checked as it streams in (the server closes after it: the peer's close
    # arrives while data is still buffered)
    n = 30000
    s = https_socket()
    try:
        s.write(b"GET /big?n=%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % n)
        status, clen = skip_headers(s)
        tinytest.eq(status[:12], b"HTTP/1.1 200", "status")
        got, bad = stream_body(s)
        tinytest.eq(got, n, "body length")
        tinytest.eq(bad, -1, "first byte that differs from the pattern")
        # end of stream stays end of stream
        tinytest.eq(s.recv(10), b"", "recv after EOF")
        tinytest.eq(s.readinto(bytearray(8)), 0, "readinto after EOF")
    finally:
        s.close()
    tinytest.eq(world()["modem"].status()[1], [], "no sockets left")


def test_https_get_with_read_n():
    s = https_socket()
    try:
        s.write(b"GET /big?n=5000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            c = s.read(1)
            if not c:
                raise AssertionError("EOF in headers")
            head += c
        got = 0
        while got < 5000:
            more = s.read(min(1024, 5000 - got))  # read(n) allocates n: a small n
            if not more:
                break
            tinytest.eq(first_mismatch(more, len(more), got), -1, "body bytes")
            got += len(more)
        tinytest.eq(got, 5000, "body length")
    finally:
        s.close()


tinytest.main(globals())
