"""Fixtures for the public-API tests (test_api_*.py): an in-process emulator with a
qssl.Modem on it, the library's AT transcript, and helpers that read it.

Test files import what they use:  from api_fixtures import rig, attached, ...
(the PKI and server fixtures come from conftest.py and need no import).

Every wait in here is bounded by a deadline.
"""

import errno
import hashlib
import io
import re
import time

import pytest

import qssl
from conftest import At

LOCAL_IP = "10.1.83.188"

# Names the library dials; the emulator's route table maps them to loopback servers.
HTTPS_HOST = "example.com"
ECHO_HOST = "echo.test"
AUTH_HOST = "auth.test"
TCP_HOST = "tcp.test"


class Rig:
    """The emulator, the modem and the transcript the library writes (debug=)."""

    def __init__(self, emu, modem, log):
        self.emu = emu
        self.m = modem
        self.log = log

    # -- routes -------------------------------------------------------------------------
    def route(self, name, server, port=443):
        self.emu.routes[(name, port)] = ("127.0.0.1", server.port)

    # -- the transcript ---------------------------------------------------------------------
    def transcript(self):
        return self.log.getvalue()

    def mark(self):
        """Position in the transcript; pass to sent()/received() to look only after it."""
        return len(self.log.getvalue())

    def sent(self, since=0):
        """Command lines the library wrote (">> " lines), as bytes."""
        return [ln[3:] for ln in self.log.getvalue()[since:].split(b"\n") if ln.startswith(b">> ")]

    def received(self, since=0):
        """Lines the library read ("<< " lines), as bytes."""
        return [ln[3:] for ln in self.log.getvalue()[since:].split(b"\n") if ln.startswith(b"<< ")]

    # -- contexts and sockets ------------------------------------------------------------------
    def ctx(self, pki, index=0):
        c = self.m.ssl_context(index)
        c.load_verify_locations(cadata=pki.ca_pem)
        return c

    def connect(self, ctx, host, port=443, timeout=10):
        s = ctx.socket()
        s.settimeout(timeout)
        try:
            s.connect((host, port))
        except BaseException:
            s.close()
            raise
        return s


def new_emulator(echo=True):
    from quecsim import Emulator

    return Emulator(routes={}, baud=None, echo=echo, log=None, local_ip=LOCAL_IP)


@pytest.fixture
def booted():
    """A started emulator that has printed its boot banners (unread), echo on, and a
    Modem on it that has not been started. Yields a Rig."""
    emu = new_emulator()
    emu.start()
    try:
        emu.boot()
        log = io.BytesIO()
        yield Rig(emu, qssl.Modem(emu.port(), debug=log), log)
    finally:
        emu.stop()


@pytest.fixture
def rig(booted):
    """booted, after modem.start()."""
    booted.m.start()
    return booted


@pytest.fixture
def attached(rig):
    """rig, after modem.attach(); the IP is rig.ip."""
    rig.ip = rig.m.attach(apn="CMNET")
    return rig


def raw_at(rig):
    """A raw AT conversation on the same port, for things done behind the library's
    back. Only use it while the library is idle."""
    return At(rig.emu.port())


def expect_oserror(fn, *args, **kw):
    """Call fn and return the OSError it raises (fails if it returns)."""
    with pytest.raises(OSError) as ei:
        fn(*args, **kw)
    return ei.value


def read_exact(sock, n, timeout_s=20.0):
    """Read exactly n bytes with recv_into; fails on end of stream or after timeout_s."""
    out = bytearray()
    buf = bytearray(1500)
    end = time.monotonic() + timeout_s
    while len(out) < n:
        assert time.monotonic() < end, "read %d of %d bytes in %ss" % (len(out), n, timeout_s)
        k = sock.recv_into(buf, min(len(buf), n - len(out)))
        assert k, "end of stream after %d of %d bytes" % (len(out), n)
        out += buf[:k]
    return bytes(out)


def read_to_eof(sock, timeout_s=20.0, limit=1 << 20):
    out = bytearray()
    buf = bytearray(1500)
    end = time.monotonic() + timeout_s
    while True:
        assert time.monotonic() < end, "no end of stream within %ss (%d bytes)" % (timeout_s, len(out))
        k = sock.recv_into(buf)
        if not k:
            return bytes(out)
        out += buf[:k]
        assert len(out) <= limit


def wait_for(pred, timeout_s=5.0, step=0.01):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def sha(data):
    return hashlib.sha256(data).hexdigest()


def payload(n, seed=0):
    """n bytes of every value, varied by seed (deterministic)."""
    block = bytes((i * 7 + seed * 31 + (i >> 8)) & 0xFF for i in range(4096))
    return (block * (n // len(block) + 1))[:n]


def count_lines(lines, pattern):
    rx = re.compile(pattern)
    return sum(1 for ln in lines if rx.match(ln))


__all__ = [
    "errno", "qssl", "Rig", "booted", "rig", "attached", "raw_at", "expect_oserror", "read_exact",
    "read_to_eof", "wait_for", "sha", "payload", "count_lines", "LOCAL_IP", "HTTPS_HOST", "ECHO_HOST",
    "AUTH_HOST", "TCP_HOST", "new_emulator",
]
