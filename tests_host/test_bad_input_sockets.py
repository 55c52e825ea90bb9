"""Bad input and wrong states at the socket layer: each call fails with a clear error
before a byte reaches the module, and loses nothing (what was pending is still read,
the connection and the modem still work, no index is kept)."""

import array
import asyncio
import socket as pysocket
import time

import pytest

from qssl import aio

from api_fixtures import (attached, rig, booted, errno, qssl, read_exact, wait_for, count_lines,  # noqa: F401
                          ECHO_HOST, TCP_HOST)

STALL_HOST = "stall.test"  # accepts TCP and never answers the TLS handshake


def echo_socket(att, ctx, kind):
    if kind == "ssl":
        return att.connect(ctx, ECHO_HOST)
    s = att.m.tcp_socket()
    s.settimeout(10)
    s.connect((TCP_HOST, 7))
    return s


def pending(att, s, data):
    """Send data and wait until its echo waits in the module, unread."""
    s.sendall(data)
    assert wait_for(lambda: len(att.emu.state.sockets[s.ssid].rx) >= len(data), 5)


def no_index_held(att):
    return att.m.slots.owner == [None] * 6


@pytest.fixture
def echoes(attached, pki, tls_echo, tcp_echo):
    attached.route(ECHO_HOST, tls_echo)
    attached.route(TCP_HOST, tcp_echo, port=7)
    attached.ctx0 = attached.ctx(pki)
    return attached


@pytest.mark.parametrize("kind", ["ssl", "tcp"])
def test_settimeout_nan_is_refused_and_not_kept(echoes, kind):
    # NaN passed the check (NaN < 0 is False), was kept, and failed later with a
    # ValueError in the middle of connect()
    s = echoes.m.tcp_socket() if kind == "tcp" else echoes.ctx0.socket()
    s.settimeout(10)
    with pytest.raises(OSError) as e:
        s.settimeout(float("nan"))
    assert e.value.errno == errno.EINVAL
    assert s.gettimeout() == 10
    s.connect((TCP_HOST, 7) if kind == "tcp" else (ECHO_HOST, 443))
    with s:
        s.sendall(b"after nan")
        assert read_exact(s, 9) == b"after nan"
    assert no_index_held(echoes)


def test_non_blocking_connect_polls_while_the_module_opens(echoes):
    # connect() with timeout 0 raises EINPROGRESS; connect_poll() then said ETIMEDOUT at
    # once (and abandoned the open) instead of False, and a send said ETIMEDOUT
    # instead of EAGAIN
    with pysocket.socket() as stall:
        stall.bind(("127.0.0.1", 0))
        stall.listen(1)
        echoes.emu.routes[(STALL_HOST, 443)] = ("127.0.0.1", stall.getsockname()[1])
        s = echoes.ctx0.socket()
        s.settimeout(0)
        with pytest.raises(OSError) as e:
            s.connect((STALL_HOST, 443))
        assert e.value.errno == errno.EINPROGRESS
        for _ in range(3):
            assert s.connect_poll() is False
            time.sleep(0.05)
        with pytest.raises(OSError) as e:
            s.send(b"x")
        assert e.value.errno == errno.EAGAIN
        assert s.ssid >= 0  # still opening, its index held
        s.close()
    assert no_index_held(echoes)
    # and to a server that answers: False until connected, then data flows
    s = echoes.ctx0.socket()
    s.settimeout(0)
    with pytest.raises(OSError):
        s.connect((ECHO_HOST, 443))
    end = time.monotonic() + 10
    while not s.connect_poll():
        assert time.monotonic() < end
        time.sleep(0.01)
    s.settimeout(10)
    with s:
        s.sendall(b"nb")
        assert read_exact(s, 2) == b"nb"


@pytest.mark.parametrize("kind", ["ssl", "tcp"])
def test_a_read_into_an_array_takes_bytes(echoes, kind):
    # array("i") took one payload byte per item (the bytes spread over the ints), and
    # array("b") failed with OverflowError in the middle of the read at a byte >= 128
    # (the payload was lost). Now an array is read into as its bytes, as CPython's
    # recv_into does (on MicroPython, which cannot cast, wider items are refused)
    data = bytes(range(120, 140)) + b"tail"  # 24 bytes, some >= 128
    with echo_socket(echoes, echoes.ctx0, kind) as s:
        pending(echoes, s, data)
        mark = echoes.mark()
        for call in (s.recv_into, s.readinto):
            with pytest.raises(TypeError):
                call([])  # no buffer, even an empty one
        assert count_lines(echoes.sent(mark), rb"AT\+(QSSLRECV|QIRD)=") == 0
        signed = array.array("b", bytes(4))
        got = s.recv_into(signed)
        assert got == 4 and signed.tobytes() == data[:4]
        wide = array.array("i", [0] * 4)
        assert s.readinto(wide) == 16  # all 20 wait in the module: one read of 16
        assert wide.tobytes() == data[4:20]
        assert read_exact(s, 4) == data[20:]


def test_write_checks_n_before_sending(echoes):
    with echo_socket(echoes, echoes.ctx0, "ssl") as s:
        mark = echoes.mark()
        for bad in (2.5, 2.0, "2", None, True):
            with pytest.raises(TypeError) as e:
                s.write(b"abcdef", bad)
            assert "n must be an int" in str(e.value)
        with pytest.raises(OSError) as e:
            s.write(b"abcdef", -5)
        assert e.value.errno == errno.EINVAL
        assert count_lines(echoes.sent(mark), rb"AT\+QSSLSEND=") == 0
        assert s.write(b"abcdef", 2) == 2
        assert s.write(b"xyz") == 3
        assert read_exact(s, 5) == b"abxyz"


def test_a_transparent_socket_refuses_connect_start(echoes, pki):
    # the inherited connect_start() opened a non-transparent connection (aio.connect
    # does that): reads then said "call resume()", and ATO got ERROR
    ctx = echoes.ctx(pki, 1)
    t = ctx.transparent()
    t.settimeout(5)
    mark = echoes.mark()
    with pytest.raises(OSError) as e:
        t.connect_start((ECHO_HOST, 443))
    assert e.value.errno == errno.EOPNOTSUPP
    with pytest.raises(OSError) as e:
        asyncio.run(aio.connect(t, (ECHO_HOST, 443)))
    assert e.value.errno == errno.EOPNOTSUPP
    assert count_lines(echoes.sent(mark), rb"AT\+QSSLOPEN=") == 0
    assert no_index_held(echoes)
    t.connect((ECHO_HOST, 443))
    try:
        assert t.data_mode
        t.write(b"data mode")
        assert read_exact(t, 9, 5) == b"data mode"
    finally:
        t.close()
    assert echoes.m.status()[1] == []


def test_aio_connect_checks_poll_ms_before_it_opens(echoes):
    # a bad poll_ms failed after the open was sent: the socket stayed opening, its
    # index held
    s = echoes.ctx0.socket()
    s.settimeout(10)
    mark = echoes.mark()
    with pytest.raises(TypeError):
        asyncio.run(aio.connect(s, (ECHO_HOST, 443), poll_ms="20"))
    assert count_lines(echoes.sent(mark), rb"AT\+QSSLOPEN=") == 0
    assert no_index_held(echoes)
    asyncio.run(aio.connect(s, (ECHO_HOST, 443)))
    with s:
        s.sendall(b"aio")
        assert read_exact(s, 3) == b"aio"


def test_socket_pool_refuses_other_protocols(echoes):
    from qssl.pool import SocketPool

    pool = SocketPool(echoes.m)
    with pytest.raises(OSError) as e:
        pool.socket(pool.AF_INET, pool.SOCK_STREAM, 17)  # UDP
    assert e.value.errno == errno.EINVAL
    for proto in (0, pool.IPPROTO_TCP):
        pool.socket(pool.AF_INET, pool.SOCK_STREAM, proto).close()
    assert no_index_held(echoes)


@pytest.fixture
def mqtt_sock(echoes):
    from qssl import mqttsock

    s = mqttsock.SocketModule(echoes.m, ssl_context=echoes.ctx0, timeout=5).socket()
    s.connect((ECHO_HOST, 443))
    yield s
    s.close()
    assert no_index_held(echoes)


def test_mqtt_socket_reads_into_an_array_as_bytes(echoes, mqtt_sock):
    # the items of an array("i") took one byte each; array("b") failed mid-read at a
    # byte >= 128
    s = mqtt_sock
    s.write(b"\x80\x81PENDING")
    assert wait_for(lambda: len(echoes.emu.state.sockets[0].rx) >= 9, 5)
    signed = array.array("b", bytes(2))
    assert s.readinto(signed) == 2 and signed.tobytes() == b"\x80\x81"
    wide = array.array("h", [0] * 4)
    assert s.readinto(wide, 3) == 3 and wide.tobytes()[:3] == b"PEN"
    assert s.read(4) == b"DING"


def test_mqtt_socket_writes_an_array_as_its_bytes(echoes, mqtt_sock):
    # write(array) returned the item count and write(array, n) sent n items' first bytes
    s = mqtt_sock
    a = array.array("i", [1, 2])
    assert s.write(a) == 8
    assert s.write(a, 5) == 5
    for bad in (1.5, "1", True):
        with pytest.raises(TypeError):
            s.write(b"abc", bad)
    assert s.read(13) == bytes(a) + bytes(a)[:5]


def test_mqtt_socket_settimeout_checks_its_value(echoes, mqtt_sock):
    # any value was kept, and failed (or timed out at once) in the next blocking read
    s = mqtt_sock
    for bad, exc in ((float("nan"), OSError), (-1, OSError), ("1", TypeError), (True, TypeError)):
        with pytest.raises(exc):
            s.settimeout(bad)
    s.settimeout(0)  # non-blocking, as on CPython: None when nothing is there
    assert s.readinto(bytearray(4)) is None
    s.settimeout(5)
    s.write(b"ok")
    assert s.read(2) == b"ok"


@pytest.mark.parametrize("kind", ["ssl", "tcp"])
def test_a_read_that_times_out_loses_and_repeats_nothing(echoes, kind):
    # readline() timing out left the line it had returned before in its read-ahead (it
    # came again); read(n) and read() timing out dropped the bytes they had taken, and
    # so did readline() for a line longer than its read-ahead (256 bytes)
    with echo_socket(echoes, echoes.ctx0, kind) as s:
        pending(echoes, s, b"line one\n")
        assert s.readline() == b"line one\n"
        s.settimeout(0.3)
        for call in (s.readline, lambda: s.read(10), s.read):
            with pytest.raises(OSError) as e:
                call()
            assert e.value.errno == errno.ETIMEDOUT
        long_part = bytes(range(65, 91)) * 20  # 520 bytes, no newline
        for data, call in ((b"abc", lambda: s.read(10)), (b"defg", s.read), (long_part, s.readline)):
            s.settimeout(10)
            pending(echoes, s, data)
            s.settimeout(0.3)
            with pytest.raises(OSError) as e:
                call()
            assert e.value.errno == errno.ETIMEDOUT
            s.settimeout(10)
            s.sendall(b"|")
            assert read_exact(s, len(data) + 1) == data + b"|"
        s.sendall(b"end\n")
        assert s.readline() == b"end\n"
