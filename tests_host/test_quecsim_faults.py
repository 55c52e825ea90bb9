"""Fault injection (emu.faults) and the module events it imitates (ERRATA 12, 19, 22)."""

import re
import time

import pytest

from conftest import BANNER, bring_up_pdp, upload

OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"
PROMPT = b"\r\n> "
IP = "192.0.2.44"


def open1(emu, at, srv, ssid=1):
    emu.routes[(IP, 443)] = ("127.0.0.1", srv.port)
    assert at.cmd('AT+QSSLOPEN=%d,0,"%s",443,0' % (ssid, IP)) == OK
    assert at.read_line(b"+QSSLOPEN:", 15) == ("\r\n+QSSLOPEN: %d,0\r\n" % ssid).encode()


def send(at, ssid, data, want=b"\r\nSEND OK\r\n"):
    assert at.cmd("AT+QSSLSEND=%d,%d" % (ssid, len(data))) == PROMPT
    at.write(data)
    assert at.read_final() == want


def read_is(at, ssid, data):
    got = at.cmd("AT+QSSLRECV=0,%d,1500" % ssid)
    assert got == b"\r\n+QSSLRECV: %s:443,TCP,%d\r\n" % (IP.encode(), len(data)) + data + OK, got


def test_reboot_banner_and_lost_state(attached_emu, tls_echo, pki):
    emu, at, _ = attached_emu
    upload(at, "RAM:ca.pem", pki.ca_pem)
    upload(at, "NVRAM:CA0", pki.ca_pem)
    open1(emu, at, tls_echo)
    emu.faults.reboot()
    assert at.read_until(b"SMS Ready\r\n", 5) == BANNER
    # Power-on state: echo on, no PDP, no sockets, no RAM files; NVRAM survives.
    assert at.cmd("AT") == b"AT\r\r\nOK\r\n"
    assert at.cmd("ATE0") == b"ATE0\r\r\nOK\r\n"
    assert at.cmd("AT+QSSLSTATE") == b'\r\n+QSSLSTATE: "IP INITIAL"\r\n\r\nOK\r\n'
    assert at.cmd("AT+QSSLSEND=1,5") == ERROR
    assert re.match(rb"^\r\n\+CME ERROR: \d+\r\n$", at.cmd('AT+QSECREAD="RAM:ca.pem"'))
    assert at.cmd('AT+QSECREAD="NVRAM:CA0"').startswith(b"\r\n+QSECREAD: 1,")
    assert at.cmd('AT+QSECDEL="NVRAM:CA0"') == OK
    bring_up_pdp(at)
    open1(emu, at, tls_echo)


def test_pdp_deact_urc(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    open1(emu, at, tls_echo)
    emu.faults.pdp_deact()
    assert at.read_line(b"+PDP DEACT", 5) == b"\r\n+PDP DEACT\r\n"
    # Every socket is dead: a "closed" URC per SSL socket (2.2.10.2), nothing else.
    assert at.drain(0.2) == b'\r\n+QSSLURC: "closed",1\r\n'
    assert at.cmd("AT+QSSLSEND=1,5") == ERROR
    assert at.cmd("AT+QSSLSTATE") == b'\r\n+QSSLSTATE: "PDP DEACT"\r\n\r\nOK\r\n'
    # Recovery: deactivate, bring up again.
    assert at.cmd("AT+QIDEACT", timeout=10) == b"\r\nDEACT OK\r\n"
    bring_up_pdp(at)
    open1(emu, at, tls_echo)


def test_close_peer_keeps_buffered_data(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    open1(emu, at, tls_echo)
    send(at, 1, b"buffered")
    assert at.read_line(b"+QSSLURC:") == b'\r\n+QSSLURC: "recv",0,1\r\n'
    time.sleep(0.2)
    assert emu.faults.close_peer(1) in (True, None)
    assert at.read_line(b"+QSSLURC:") == b'\r\n+QSSLURC: "closed",1\r\n'
    read_is(at, 1, b"buffered")
    assert at.cmd("AT+QSSLSEND=1,5") == ERROR
    # Once drained and closed, the index can be used again.
    got = at.cmd("AT+QSSLRECV=0,1,1500")
    assert got in (OK, ERROR), got
    open1(emu, at, tls_echo)


def test_real_peer_close(attached_emu, pki):
    from testnet import TlsEchoServer

    emu, at, _ = attached_emu
    with TlsEchoServer(pki.server_cert_path, pki.server_key_path, close_after=4) as srv:
        open1(emu, at, srv)
        send(at, 1, b"ping")
        assert at.read_line(b"+QSSLURC:") == b'\r\n+QSSLURC: "recv",0,1\r\n'
        assert at.read_line(b"+QSSLURC:", 5) == b'\r\n+QSSLURC: "closed",1\r\n'
        read_is(at, 1, b"ping")


def test_send_fail(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    open1(emu, at, tls_echo)
    emu.faults.send_fail(1)
    send(at, 1, b"lost!", want=b"\r\nSEND FAIL\r\n")
    send(at, 1, b"sent!")
    assert at.read_line(b"+QSSLURC:") == b'\r\n+QSSLURC: "recv",0,1\r\n'
    time.sleep(0.1)
    read_is(at, 1, b"sent!")


def test_noise_unknown_urc_overlong(emu, at):
    emu.faults.noise(b"\x00\xff\x13")
    assert at.read_exact(3, 2) == b"\x00\xff\x13"
    emu.faults.unknown_urc("+QFOO: 1,2")
    assert at.read_line(b"+QFOO", 2) == b"\r\n+QFOO: 1,2\r\n"
    emu.faults.overlong(3000)
    got = at.read_until(b"\r\n", 2)
    assert got == b"X" * 3000 + b"\r\n"
    assert at.cmd("AT") == OK


def test_drop_and_silence(emu, at):
    emu.faults.drop(2)
    assert at.cmd("AT", finals=rb"^OK$") == b"OK\r\n"
    emu.faults.silence(400)
    t0 = time.monotonic()
    assert at.cmd("AT") == OK
    assert time.monotonic() - t0 >= 0.3
