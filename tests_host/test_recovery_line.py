"""A module that is off and a UART at the wrong baud rate both leave start() without
an answer; the errors must differ, and the wrong-rate one name the baud rate. Both
come within the start timeout. (At a wrong rate the module does not understand AT
either; what tells the two apart is what it prints by itself, its start-up banner,
which arrives as unreadable bytes.)"""

import threading
import time

import pytest

from api_fixtures import errno, expect_oserror, qssl, LOCAL_IP


def _emulator(**kw):
    from quecsim import Emulator

    emu = Emulator(routes={}, baud=None, echo=True, local_ip=LOCAL_IP, **kw)
    emu.start()
    return emu


def _start_error(emu, timeout_ms=2500):
    m = qssl.Modem(emu.port())
    t = time.monotonic()
    e = expect_oserror(m.start, timeout_ms=timeout_ms)
    return e, time.monotonic() - t


def test_module_off():
    emu = _emulator(powered=False)
    try:
        e, took = _start_error(emu)
    finally:
        emu.stop()
    assert e.errno == errno.ETIMEDOUT and "powered" in str(e) and "baud" not in str(e)
    assert 2.0 < took < 3.6, took


# Guards a library bug found by the fault matrix (fixed): modem.py _sync(): at a wrong baud rate
# the module's banner arrives as bytes 0x80..0xFF with no CR/LF; the parser counts only 0x00/0xFF
# as noise and keeps the rest as a half line, so p.noise and p.unknown stay 0 and start() says 'is
# the module powered and wired' exactly as for a module that is off. Fix: count bytes received
# without a readable line (e.g. the parser's pending half-line length, or any byte >= 0x80 in line
# mode) as noise


def test_wrong_baud_rate_is_named():
    emu = _emulator()
    try:
        emu.faults.wrong_baud(True)
        emu.boot()  # RDY, Call Ready, SMS Ready: garbled
        e, took = _start_error(emu)
    finally:
        emu.stop()
    assert e.errno == errno.ETIMEDOUT and "baud" in str(e), e
    assert 2.0 < took < 3.6, took


def test_switched_on_late_is_found():
    """A module powered on while start() is already asking: it answers in time."""
    emu = _emulator(powered=False)
    try:
        m = qssl.Modem(emu.port())
        threading.Timer(1.0, emu.power, (True,)).start()
        m.start(timeout_ms=8000)
        assert m.started
    finally:
        emu.stop()


# Guards a library bug found by the fault matrix (fixed): context.py ensure()/_read_back(): the
# AT+QSSLCFG="ctxindex" read-back before every connect goes through modem.query_line() with its
# fixed 5000 ms, not the time left of the socket's timeout (ensure() gets timeout_ms but only
# _send() uses it): connect() with settimeout(2) on a silent module returns after 5 s, not within
# timeout + 0.5 s


def test_connect_timeout_bounds_the_settings_readback(pki):
    emu = _emulator()
    try:
        emu.boot()
        m = qssl.Modem(emu.port())
        m.start()
        m.attach(apn="CMNET")
        ctx = m.ssl_context(0)
        ctx.load_verify_locations(cadata=pki.ca_pem)
        emu.faults.silence(8000)
        s = ctx.socket()
        s.settimeout(2)
        t = time.monotonic()
        e = expect_oserror(s.connect, ("127.0.0.1", 9))
        took = time.monotonic() - t
        s.close()
    finally:
        emu.stop()
    assert e.errno == errno.ETIMEDOUT
    assert took < 2.6, took
