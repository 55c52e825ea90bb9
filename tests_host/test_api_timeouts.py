"""settimeout/setblocking as in CPython: a timeout raises ETIMEDOUT in about that time,
non-blocking reads raise EAGAIN (recv/recv_into) or return None (readinto/read)."""

import time

from api_fixtures import (attached, rig, booted, errno, expect_oserror, qssl, read_exact,  # noqa: F401
                          wait_for, ECHO_HOST)


def _sock(attached, pki, tls_echo, timeout):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    s = attached.connect(ctx, ECHO_HOST)
    s.settimeout(timeout)
    return s


def test_timeout_no_data(attached, pki, tls_echo):
    s = _sock(attached, pki, tls_echo, 0.5)
    assert s.gettimeout() == 0.5
    t = time.monotonic()
    e = expect_oserror(s.recv, 100)
    dt = time.monotonic() - t
    assert e.errno == errno.ETIMEDOUT
    assert 0.45 <= dt <= 2.0, dt
    # the socket is still usable after a timeout
    s.sendall(b"late")
    assert read_exact(s, 4) == b"late"
    s.close()


def test_timeout_recv_into(attached, pki, tls_echo):
    s = _sock(attached, pki, tls_echo, 0.3)
    t = time.monotonic()
    e = expect_oserror(s.recv_into, bytearray(64))
    assert e.errno == errno.ETIMEDOUT
    assert 0.25 <= time.monotonic() - t <= 2.0
    s.close()


def test_timeout_data_arrives_in_time(attached, pki, tls_echo):
    s = _sock(attached, pki, tls_echo, 5)
    s.sendall(b"quick")
    t = time.monotonic()
    assert read_exact(s, 5) == b"quick"
    assert time.monotonic() - t < 2
    s.close()


def test_nonblocking_no_data(attached, pki, tls_echo):
    s = _sock(attached, pki, tls_echo, 10)
    s.setblocking(False)
    assert s.gettimeout() == 0
    buf = bytearray(32)
    t = time.monotonic()
    e = expect_oserror(s.recv_into, buf)
    assert e.errno == errno.EAGAIN
    e = expect_oserror(s.recv, 10)
    assert e.errno == errno.EAGAIN
    assert s.readinto(buf) is None
    assert s.read(10) is None
    assert time.monotonic() - t < 1.0  # nothing waited
    s.close()


def test_nonblocking_gets_data_once_there(attached, pki, tls_echo):
    s = _sock(attached, pki, tls_echo, 0)
    s.sendall(b"nb-data")
    got = bytearray()
    buf = bytearray(16)
    end = time.monotonic() + 5
    while len(got) < 7 and time.monotonic() < end:
        n = s.readinto(buf)
        if n is None:
            time.sleep(0.01)
            continue
        got += buf[:n]
    assert bytes(got) == b"nb-data"
    s.close()


def test_settimeout_zero_equals_setblocking_false(attached, pki, tls_echo):
    s = _sock(attached, pki, tls_echo, 0)
    e = expect_oserror(s.recv_into, bytearray(8))
    assert e.errno == errno.EAGAIN
    s.setblocking(True)
    assert s.gettimeout() is None
    s.sendall(b"blk")
    assert read_exact(s, 3) == b"blk"
    s.close()


def test_negative_timeout_rejected(attached, pki, tls_echo):
    s = _sock(attached, pki, tls_echo, 1)
    e = expect_oserror(s.settimeout, -1)
    assert e.errno == errno.EINVAL or isinstance(e, ValueError)
    s.close()


def test_nonblocking_empty_reads_then_data(attached, pki, tls_echo):
    """EAGAIN / None first, then a write: the echo must still be found."""
    s = _sock(attached, pki, tls_echo, 10)
    s.setblocking(False)
    buf = bytearray(16)
    e = expect_oserror(s.recv_into, buf)
    assert e.errno == errno.EAGAIN
    assert s.readinto(buf) is None
    s.write(b"nb")
    n = None
    end = time.monotonic() + 5
    while n is None and time.monotonic() < end:
        n = s.readinto(buf)
        if n is None:
            time.sleep(0.01)
    assert n == 2 and bytes(buf[:2]) == b"nb"
    s.close()
