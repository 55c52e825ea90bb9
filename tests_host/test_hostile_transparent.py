# Issue 7 in transparent mode: payload that ends in "\r\nCLOSED\r\n" reads as end of
# stream, and after it no command goes to the server as payload (the library does not
# know the module left data mode, so it escapes with +++ before its next command).
# And a transparent open whose two answers (OK, then CONNECT or ERROR) arrive in one
# UART read: the second one belongs to the same command and must not be thrown away.
import errno
import time

import pytest

import fuzz_emu as F


@pytest.fixture
def world(pki):
    w = F.World(pki, timeout=5)
    yield w
    w.stop()


@pytest.fixture
def lumpy(pki):
    """Input reaches the library only after 30 ms of quiet on the line."""
    w = F.World(pki, wrap=F.LumpyPort, timeout=5)
    yield w
    w.stop()


def transparent(world, host=F.ECHO_HOST, timeout=5):
    ctx = world.m.ssl_context(1)
    ctx.load_verify_locations(cadata=world.pki.ca_pem)
    s = ctx.transparent()
    s.settimeout(timeout)
    s.connect((host, 443))
    return s


def read_all(s, limit_s=5.0):
    out = bytearray()
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        k = s.recv(100)
        if not k:
            return bytes(out)
        out += k
    raise AssertionError("no end of stream in %s s (%r)" % (limit_s, bytes(out)))


def test_payload_ending_in_closed_is_end_of_stream_and_no_command_is_payload(world):
    s = transparent(world)
    s.write(b"hello\r\nCLOSED\r\n")
    assert read_all(s) == b"hello"
    # the module is still in data mode: status() must escape first, not talk to the server
    state, rows = F.timed(world.m.status, 5.0 + 2.5)[0]  # +++ takes two 1 s guard times
    assert state in ("IP STATUS", "IP PROCESSING")
    s.close()
    world.settle()
    for data in world.peer_data():
        assert b"AT" not in data, data
    F.check_clean(world, "after CLOSED as payload", peer_text=False)
    F.echo_works(world, "after CLOSED as payload")


def test_connect_after_closed_payload_is_not_payload(world):
    s = transparent(world)
    s.write(b"bye\r\nCLOSED\r\n")
    assert read_all(s) == b"bye"
    s.close()
    s2 = world.socket(timeout=8)  # resync (+++) and recovery come first
    try:
        data = F.payload(64, 2)
        s2.sendall(data)
        got, exc = F.read_rest(s2, data, bytearray())
        assert exc is None and bytes(got) == data
    finally:
        s2.close()
    for data in world.peer_data():
        assert b"AT" not in data, data


def test_closed_inside_payload_is_data(world):
    s = transparent(world)
    try:
        s.write(b"abc\r\nCLOSED\r\ndef")
        got = bytearray()
        end = time.monotonic() + 5
        while len(got) < 16 and time.monotonic() < end:
            got += s.recv(100)
        assert bytes(got) == b"abc\r\nCLOSED\r\ndef"
    finally:
        s.close()


def test_transparent_open_ok_and_error_in_one_read(lumpy):
    # Round-2 isolation failure of test_api_transparent.py::test_failed_open_raises_and_frees_the_slot:
    # "OK" and "ERROR" of a refused transparent open came in one read; the engine took
    # OK, counted ERROR as stray and waited for a CONNECT until its timeout.
    ctx = lumpy.m.ssl_context(1)
    ctx.load_verify_locations(cadata=lumpy.pki.ca_pem)
    s = ctx.transparent()
    s.settimeout(3)
    _, exc, dt = F.timed(s.connect, 3, ("nowhere.test", 443))
    assert exc is not None and exc.errno == errno.ECONNABORTED, (exc, dt)
    assert lumpy.m.slots.owner == [None] * 6


def test_transparent_open_ok_and_connect_in_one_read(lumpy):
    s = transparent(lumpy, timeout=3)
    try:
        s.write(b"lumpy")
        got = bytearray()
        end = time.monotonic() + 3
        while len(got) < 5 and time.monotonic() < end:
            got += s.recv(10)
        assert bytes(got) == b"lumpy"
    finally:
        s.close()
