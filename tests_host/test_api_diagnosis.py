"""A failed open says why: the module only answers +QSSLOPEN: <i>,-1, so the library asks
(ctx.diagnose, on by default): the name (AT+QIDNSGIP), plain TCP to the same address
(AT+QIOPEN), and otherwise TLS itself, with the module clock shown."""
import datetime
import socket

from api_fixtures import (attached, rig, booted, errno, expect_oserror, ECHO_HOST)  # noqa: F401


def _fails(ctx, host, port=443):
    s = ctx.socket()
    s.settimeout(10)
    e = expect_oserror(s.connect, (host, port))
    s.close()
    assert e.errno == errno.ECONNABORTED, e
    return str(e)


def test_unknown_name(attached, pki):
    msg = _fails(attached.ctx(pki), "nowhere.test")
    assert "name not resolved" in msg and "nowhere.test" in msg


def test_refused_port(attached, pki):
    # A loopback port nobody listens on: the name resolves, TCP is refused.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    attached.emu.routes[(ECHO_HOST, 443)] = ("127.0.0.1", port)
    msg = _fails(attached.ctx(pki), ECHO_HOST)
    assert "TCP refused or unreachable" in msg


def test_wrong_ca_is_a_tls_failure(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.m.ssl_context(0)
    ctx.load_verify_locations(cadata=pki.other_ca_pem)
    msg = _fails(ctx, ECHO_HOST)
    assert "TLS failed" in msg and "RAM:ca0.pem" in msg
    assert attached.m.status()[1] == []  # the diagnosis left nothing open


def test_clock_shown_for_dates(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    attached.emu.clock = datetime.datetime(2099, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    msg = _fails(attached.ctx(pki), ECHO_HOST)
    assert "TLS failed" in msg and "99/01/02,03:04:05" in msg


def test_diagnosis_can_be_turned_off(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.m.ssl_context(0)
    ctx.load_verify_locations(cadata=pki.other_ca_pem)
    ctx.diagnose = False
    mark = attached.mark()
    msg = _fails(ctx, ECHO_HOST)
    assert "QSSLOPEN" in msg
    assert not any(c.startswith(b"AT+QIOPEN") or c.startswith(b"AT+QIDNSGIP") for c in attached.sent(mark))
