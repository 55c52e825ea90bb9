"""The SIM at start(): a PIN entered when the card asks and one is given; no PIN,
a wrong PIN, a blocked card (PUK) and no card each a clear error at once (not after
the 15 s start timeout); the PIN entered again by recovery after a restart. And
registration in attach(): searching then registered is waited for, denied and
searching for ever are PDPErrors of step CGREG that say which."""

import time

import pytest

from api_fixtures import (booted, errno, expect_oserror, qssl, read_exact, wait_for,  # noqa: F401
                          ECHO_HOST, LOCAL_IP)


def test_pin_entered_when_the_sim_asks(booted):
    booted.emu.sim("pin", pin="1234")
    booted.m.start(pin="1234")
    assert b'AT+CPIN="1234"' in booted.sent()
    assert booted.m.attach(apn="CMNET") == LOCAL_IP


def test_pin_given_but_not_asked_for_is_not_sent(booted):
    booted.m.start(pin="1234")
    assert not any(line.startswith(b"AT+CPIN=") for line in booted.sent())


def _start_fails(rig, **kw):
    t = time.monotonic()
    e = expect_oserror(rig.m.start, **kw)
    return e, time.monotonic() - t


def test_no_pin_given(booted):
    booted.emu.sim("pin", pin="1234")
    e, took = _start_fails(booted)
    assert e.errno == errno.EACCES and "start(pin=" in str(e), e
    assert took < 3
    assert not any(line.startswith(b"AT+CPIN=") for line in booted.sent())


def test_wrong_pin_is_tried_once(booted):
    booted.emu.sim("pin", pin="1234")
    e, took = _start_fails(booted, pin="4321")
    assert e.errno == errno.EACCES and "wrong SIM PIN" in str(e), e
    assert took < 3
    # one try only: the card has two left, so the right PIN still works
    assert sum(1 for line in booted.sent() if line.startswith(b"AT+CPIN=")) == 1
    booted.m.start(pin="1234")


def test_blocked_sim_asks_for_the_puk(booted):
    booted.emu.sim("puk")
    e, took = _start_fails(booted, pin="1234")
    assert e.errno == errno.EACCES and "PUK" in str(e), e
    assert took < 3
    assert not any(line.startswith(b"AT+CPIN=") for line in booted.sent())  # no PIN into a PUK


def test_sim_absent_is_reported_at_once(booted):
    booted.emu.sim("absent")
    e, took = _start_fails(booted)
    assert e.errno == errno.ENOENT and "SIM not inserted" in str(e), e
    assert took < 2, took


def test_pin_entered_again_by_recovery_after_a_restart(booted, pki, tls_echo):
    rig = booted
    rig.emu.sim("pin", pin="1234")
    rig.m.start(pin="1234")
    rig.m.attach(apn="CMNET")
    rig.route(ECHO_HOST, tls_echo)
    ctx = rig.ctx(pki)
    rig.emu.faults.reboot()  # the card locks again
    assert wait_for(lambda: (rig.m.poll(), rig.m.restarts)[1] == 1, 3)
    mark = rig.mark()
    with rig.connect(ctx, ECHO_HOST, timeout=20) as s:
        s.sendall(b"pin again")
        assert read_exact(s, 9) == b"pin again"
    assert b'AT+CPIN="1234"' in rig.sent(mark)


def test_bad_pin_text_is_refused_before_anything_is_sent(booted):
    mark = booted.mark()
    e = expect_oserror(booted.m.start, pin='12"4')
    assert e.errno == errno.EINVAL and "pin" in str(e)
    assert booted.sent(mark) == []


# --- registration ----------------------------------------------------------------------------


@pytest.fixture
def started(booted):
    booted.m.start()
    return booted


def test_attach_waits_while_searching(started):
    started.emu.registration([(2, 3.0), (1, None)])
    t = time.monotonic()
    assert started.m.attach(apn="CMNET", timeout_ms=20000) == LOCAL_IP
    took = time.monotonic() - t
    assert 2.5 < took < 8, took
    assert started.sent().count(b"AT+CGREG?") >= 3


def test_attach_registration_denied(started):
    started.emu.registration(3)
    t = time.monotonic()
    with pytest.raises(qssl.PDPError) as ei:
        started.m.attach(apn="CMNET", timeout_ms=20000)
    assert ei.value.step == "CGREG" and "denied" in str(ei.value)
    assert time.monotonic() - t < 2  # denied is final: no waiting
    assert b"AT+QIACT" not in started.sent()


def test_attach_searching_for_ever_times_out_naming_it(started):
    started.emu.registration(2)
    t = time.monotonic()
    with pytest.raises(qssl.PDPError) as ei:
        started.m.attach(apn="CMNET", timeout_ms=3000)
    took = time.monotonic() - t
    assert took < 3.5, took
    assert ei.value.step == "CGREG" and "searching" in str(ei.value)
    assert isinstance(ei.value, OSError) and ei.value.errno == errno.ENETDOWN


def test_attach_roaming_after_searching(started):
    started.emu.registration([(2, 1.5), (5, None)])
    assert started.m.attach(apn="CMNET", timeout_ms=20000) == LOCAL_IP
