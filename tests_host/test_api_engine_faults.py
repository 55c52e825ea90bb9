"""Damage on the line during a transfer (noise, an over-long line, unknown URCs, a
pause in the module's output) must not break it: the data stays byte-exact."""

import pytest

from api_fixtures import (attached, rig, booted, errno, qssl, read_exact, payload, sha,  # noqa: F401
                          ECHO_HOST)


def _transfer_with(attached, pki, tls_echo, inject, n=60000, every=1):
    """Echo n bytes in 4000-byte rounds; every `every` rounds the fault is injected
    twice: after the send (while the echo comes back) and between two partial reads."""
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    data = payload(n, seed=30)
    faults = attached.emu.faults
    injected = 0
    mark = attached.mark()
    with attached.connect(ctx, ECHO_HOST, timeout=20) as s:
        got = bytearray()
        for k, off in enumerate(range(0, n, 4000)):
            size = min(4000, n - off)
            s.sendall(data[off:off + size])
            if k % every == 0:
                inject(faults)
                injected += 1
            got += read_exact(s, size // 2, 20)
            if k % every == 0:
                inject(faults)
                injected += 1
            got += read_exact(s, size - size // 2, 20)
        assert sha(bytes(got)) == sha(data)
        # the socket and the modem are fine afterwards
        s.sendall(b"after the storm")
        assert read_exact(s, 15) == b"after the storm"
    assert injected >= 2
    assert attached.m.status()[0] in ("IP STATUS", "IP PROCESSING")
    return attached.received(mark)


def test_noise_bytes(attached, pki, tls_echo):
    _transfer_with(attached, pki, tls_echo, lambda f: f.noise(b"\x00\xff\x7fjunk\x1b"))


def test_noise_lines(attached, pki, tls_echo):
    _transfer_with(attached, pki, tls_echo, lambda f: f.noise(b"\r\n#@!garbage line\r\n"))


def test_overlong_line(attached, pki, tls_echo):
    _transfer_with(attached, pki, tls_echo, lambda f: f.overlong(3000), every=3)


def test_unknown_urc(attached, pki, tls_echo):
    lines = _transfer_with(attached, pki, tls_echo, lambda f: f.unknown_urc('+QFOO: 1,"bar",2'))
    assert b'+QFOO: 1,"bar",2' in lines  # it really went through the library's parser


def test_look_alike_urc_for_another_socket(attached, pki, tls_echo):
    # a recv URC for an index nobody owns must not disturb socket 0
    _transfer_with(attached, pki, tls_echo, lambda f: f.unknown_urc('+QSSLURC: "recv",0,5'))


def test_output_pause(attached, pki, tls_echo):
    _transfer_with(attached, pki, tls_echo, lambda f: f.silence(200), n=24000, every=3)


def test_all_together(attached, pki, tls_echo):
    def storm(f):
        f.noise(b"\xfe\xfd")
        f.unknown_urc("+CRING: VOICE")
        f.overlong(1100)

    _transfer_with(attached, pki, tls_echo, storm, n=40000, every=2)
