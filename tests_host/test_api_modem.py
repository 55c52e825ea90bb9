import time
"""qssl.Modem: start(), attach()/detach(), status(), and the chapter-4 diagnosis of a
failed AT+QIACT, through the public API against the emulator."""

import pytest

from api_fixtures import (attached, booted, errno, expect_oserror, qssl, rig, wait_for,  # noqa: F401
                          LOCAL_IP, ECHO_HOST)


def test_start_with_echo_on_and_banners_pending(booted):
    # The emulator starts with echo on and its RDY/Call Ready/SMS Ready banners unread.
    assert booted.emu.state.echo is True
    booted.m.start()
    assert booted.emu.state.echo is False  # ATE0 reached the module
    assert booted.emu.state.cmee == 1
    sent = booted.sent()
    assert b"ATE0" in sent and b"AT+CMEE=1" in sent and b"AT+CPIN?" in sent
    # The modem answers commands afterwards.
    assert booted.m.status()[0] == "IP INITIAL"


def test_start_twice_is_harmless(rig):
    rig.m.start()
    assert rig.m.status()[0] == "IP INITIAL"


def test_start_without_banners_echo_off():
    from api_fixtures import new_emulator
    import io

    emu = new_emulator(echo=False)
    emu.start()
    try:
        m = qssl.Modem(emu.port(), debug=io.BytesIO())
        m.start()
        assert m.status()[0] == "IP INITIAL"
    finally:
        emu.stop()


def test_start_times_out_when_nothing_answers():
    class Dead:
        def any(self):
            return 0

        def read(self, n=-1):
            return b""

        def readinto(self, buf, n=-1):
            return 0

        def write(self, buf, n=-1):
            return len(buf) if n is None or n < 0 else n

    m = qssl.Modem(Dead())
    e = expect_oserror(m.start, timeout_ms=1200)
    assert e.errno == errno.ETIMEDOUT


def test_attach_returns_ip(rig):
    ip = rig.m.attach(apn="CMNET")
    assert ip == LOCAL_IP
    assert rig.emu.state.apn == "CMNET"
    assert rig.emu.state.ip_state == "IP STATUS"
    state, rows = rig.m.status()
    assert state == "IP STATUS" and rows == []


def test_attach_with_user_and_password(rig):
    assert rig.m.attach(apn="internet", user="u1", password="p,w") == LOCAL_IP
    st = rig.emu.state
    assert (st.apn, st.user, st.pwd) == ("internet", "u1", "p,w")


def test_attach_when_already_attached(attached):
    mark = attached.mark()
    assert attached.m.attach(apn="CMNET") == LOCAL_IP
    # No second activation: the context is up already.
    assert b"AT+QIACT" not in attached.sent(mark)
    assert attached.emu.state.ip_state == "IP STATUS"


def test_detach_then_attach_again(attached):
    attached.m.detach()
    assert attached.emu.state.ip_state == "IP INITIAL"
    assert attached.m.status()[0] == "IP INITIAL"
    assert attached.m.attach(apn="CMNET") == LOCAL_IP


def test_status_rows_while_sockets_open(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki, 0)
    a = attached.connect(ctx, ECHO_HOST)
    b = attached.connect(ctx, ECHO_HOST)
    try:
        state, rows = attached.m.status()
        assert state in ("IP PROCESSING", "IP STATUS")
        byidx = {r[0]: r for r in rows}
        assert set(byidx) == {a.ssid, b.ssid}
        for r in rows:
            idx, typ, ip, port, status, is_ssl = r
            assert typ == "TCP"
            assert ip == "127.0.0.1" and port == tls_echo.port  # the address really dialed
            assert status == "CONNECTED"
            assert is_ssl is True
    finally:
        a.close()
        b.close()
    assert attached.m.status()[1] == []


# --- chapter 4: why AT+QIACT failed ------------------------------------------------------------


def _refuse_cgatt_write(emu):
    """Make AT+CGATT=1 answer ERROR (the emulator always succeeds otherwise)."""
    orig = emu.commands["+CGATT"]

    def cgatt(e, req):
        if req.kind == "write":
            e.error()
        else:
            orig(e, req)

    emu.commands["+CGATT"] = cgatt


def test_attach_not_attached_and_cgatt_fails(rig):
    rig.emu.state.attached = False
    _refuse_cgatt_write(rig.emu)
    with pytest.raises(qssl.PDPError) as ei:
        rig.m.attach(apn="CMNET")
    assert ei.value.step == "CGATT"
    assert isinstance(ei.value, OSError)
    assert b"AT+CGATT?" in rig.sent() and b"AT+CGATT=1" in rig.sent()


def test_attach_not_attached_recovers_with_cgatt(rig):
    rig.emu.state.attached = False
    assert rig.m.attach(apn="CMNET") == LOCAL_IP
    sent = rig.sent()
    assert b"AT+CGATT=1" in sent
    assert sent.count(b"AT+QIACT") == 2  # failed once, retried after attaching


def test_attach_not_registered(rig):
    rig.emu.state.registered = 2  # searching
    t0 = time.monotonic()
    with pytest.raises(qssl.PDPError) as ei:
        rig.m.attach(apn="CMNET", timeout_ms=2500)
    assert time.monotonic() - t0 < 3.0  # waited for registration within its timeout
    assert ei.value.step == "CGREG"
    assert "searching" in str(ei.value)
    assert rig.sent().count(b"AT+CGREG?") >= 2
    assert b"AT+QIACT" not in rig.sent()


def test_attach_roaming_counts_as_registered(rig):
    rig.emu.state.registered = 5
    assert rig.m.attach(apn="CMNET") == LOCAL_IP


def test_attach_qiact_fails(rig):
    rig.emu.state.qiact_fails = True
    with pytest.raises(qssl.PDPError) as ei:
        rig.m.attach(apn="CMNET")
    assert ei.value.step == "QIACT"
    assert "APN" in str(ei.value)
    # The diagnosis ran in the chapter-4 order.
    sent = rig.sent()
    after = sent[sent.index(b"AT+QIACT"):]  # the chapter-4 checks follow the refusal
    assert after.index(b"AT+CGATT?") < after.index(b"AT+CGREG?")
    # Once the network lets it, attach() works on the same modem.
    rig.emu.state.qiact_fails = False
    assert rig.m.attach(apn="CMNET") == LOCAL_IP


def test_poll_without_data_returns(attached):
    attached.m.poll()
    assert attached.m.status()[0] == "IP STATUS"
