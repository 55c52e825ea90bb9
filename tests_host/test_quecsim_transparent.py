"""Transparent SSL mode: escape guard times, ATO, link loss (ERRATA 8, 20)."""

import time

import pytest

from conftest import upload

OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"
CONNECT = b"\r\nCONNECT\r\n"
IP = "198.51.100.7"


def open_transparent(emu, at, srv, port=8011):
    emu.routes[(IP, port)] = ("127.0.0.1", srv.port)
    assert at.cmd('AT+QSSLOPEN=1,0,"%s",%d,1' % (IP, port)) == OK
    assert at.read_final(timeout=15) == CONNECT


def test_plus_plus_plus_inside_payload_is_data(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    open_transparent(emu, at, tls_echo)
    at.write(b"abc+++def")
    assert at.read_exact(9, 5) == b"abc+++def"
    # "+++" after too short a silence is data as well.
    time.sleep(0.3)
    at.write(b"+++")
    assert at.read_exact(3, 5) == b"+++"
    # Binary and line ends pass through untouched.
    data = bytes(range(256)) + b"\r\nOK\r\n"
    at.write(data)
    assert at.read_exact(len(data), 5) == data
    at.quiet(0.1)


def test_plus_plus_plus_without_trailing_silence_is_data(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    open_transparent(emu, at, tls_echo)
    at.quiet(1.1)
    at.write(b"+++")
    time.sleep(0.3)
    at.write(b"x")
    assert at.read_exact(4, 5) == b"+++x"
    at.quiet(1.2)  # no OK: the escape was cancelled


def test_escape_ato_and_echo_survives(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    open_transparent(emu, at, tls_echo)
    at.write(b"before")
    assert at.read_exact(6, 5) == b"before"
    at.quiet(1.1)
    t0 = time.monotonic()
    at.write(b"+++")
    assert at.read_final(timeout=4) == OK
    assert time.monotonic() - t0 >= 0.9  # the trailing guard time
    assert at.cmd("AT") == OK
    assert at.cmd("ATO") == CONNECT
    at.write(b"after")
    assert at.read_exact(5, 5) == b"after"
    assert tls_echo.sessions[0]["data"] == b"beforeafter"


def test_peer_close_leaves_data_mode(attached_emu, pki):
    from testnet import TlsEchoServer

    emu, at, _ = attached_emu
    with TlsEchoServer(pki.server_cert_path, pki.server_key_path, close_after=5) as srv:
        open_transparent(emu, at, srv)
        at.write(b"hello")
        assert at.read_exact(5, 5) == b"hello"
        assert at.read_line(b"CLOSED", 5) == b"\r\nCLOSED\r\n"
        # Back in command mode.
        assert at.cmd("AT") == OK
        assert at.cmd("ATO") == ERROR


def test_transparent_open_failure_answers_error(attached_emu, tls_echo, pki):
    emu, at, _ = attached_emu
    upload(at, "RAM:wrong.pem", pki.other_ca_pem)
    assert at.cmd('AT+QSSLCFG="seclevel",0,1') == OK
    assert at.cmd('AT+QSSLCFG="cacert",0,"RAM:wrong.pem"') == OK
    emu.routes[(IP, 8011)] = ("127.0.0.1", tls_echo.port)
    assert at.cmd('AT+QSSLOPEN=1,0,"%s",8011,1' % IP) == OK
    assert at.read_final(timeout=15) == ERROR
    assert at.cmd("AT") == OK


def test_ato_without_connection(attached_emu):
    emu, at, _ = attached_emu
    assert at.cmd("ATO") == ERROR


def test_pdp_deact_in_data_mode(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    open_transparent(emu, at, tls_echo)
    emu.faults.pdp_deact()
    got = at.read_line(b"+PDP DEACT", 5)
    assert got == b"\r\nCLOSED\r\n\r\n+PDP DEACT\r\n", got
    assert at.cmd("AT") == OK
