"""qssl.SSLContext: secure defaults, settings reaching the module (AT+QSSLCFG), the six
contexts, one cipher suite, protocol versions, client certificates, global settings."""

import pytest

from api_fixtures import (attached, errno, expect_oserror, qssl, rig, booted,  # noqa: F401
                          read_exact, ECHO_HOST, AUTH_HOST)


def _echo_once(sock, data=b"ping-pong\n"):
    sock.sendall(data)
    assert read_exact(sock, len(data), 10) == data


# --- defaults -------------------------------------------------------------------------------


def test_defaults(rig):
    ctx = rig.m.ssl_context(0)
    assert isinstance(ctx, qssl.SSLContext)
    assert ctx.version == qssl.TLSv1_2
    assert ctx.verify_mode == qssl.CERT_REQUIRED
    assert ctx.ciphers == qssl.ALL_CIPHERS
    assert rig.m.ssl_context(0) is ctx  # one object per index


def test_context_index_range(rig):
    for bad in (-1, 6):
        e = expect_oserror(rig.m.ssl_context, bad)
        assert e.errno == errno.EINVAL


def test_connect_without_ca_is_refused(attached, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.m.ssl_context(0)
    s = ctx.socket()
    s.settimeout(10)
    mark = attached.mark()
    e = expect_oserror(s.connect, (ECHO_HOST, 443))
    assert e.errno == errno.EINVAL
    msg = str(e)
    assert "load_verify_locations" in msg and "CERT_NONE" in msg
    assert not any(ln.startswith(b"AT+QSSLOPEN") for ln in attached.sent(mark))
    assert tls_echo.accepted == 0
    s.close()


def test_cert_none_connects_without_ca(attached, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.m.ssl_context(1)
    ctx.verify_mode = qssl.CERT_NONE
    with attached.connect(ctx, ECHO_HOST) as s:
        _echo_once(s)
    assert ctx.query()[1] == 0  # seclevel 0 on the module


# --- settings reach the module ------------------------------------------------------------------------


def test_settings_reach_module(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki, 2)
    with attached.connect(ctx, ECHO_HOST) as s:
        _echo_once(s)
    ver, sec, suite, ca, cc, ck = ctx.query()
    assert (ver, sec, suite) == (3, 1, 0xFFFF)
    assert ca == "RAM:ca2.pem" and cc == "" and ck == ""
    assert ctx.get("sslversion") == 3
    assert ctx.get("seclevel") == 1
    assert ctx.get("cacert") == "RAM:ca2.pem"
    cfg = attached.emu.state.cfg[2]
    assert cfg["sslversion"] == 3 and cfg["seclevel"] == 1 and cfg["cacert"] == "RAM:ca2.pem"


def test_apply_sends_settings_without_connect(rig, pki):
    ctx = rig.ctx(pki, 3)
    ctx.version = qssl.TLSv1_1
    ctx.ciphers = qssl.TLS_RSA_WITH_AES_128_CBC_SHA
    ctx.apply()
    cfg = rig.emu.state.cfg[3]
    assert cfg["sslversion"] == 2 and cfg["ciphersuite"] == 0x002F and cfg["seclevel"] == 1
    assert ctx.get("ciphersuite") in (0x002F, "0X002F")
    # Nothing changed: nothing is sent again.
    mark = rig.mark()
    ctx.apply()
    assert rig.sent(mark) == []


def test_six_contexts_independent(rig, pki):
    versions = [qssl.TLSv1, qssl.TLSv1_1, qssl.TLSv1_2, qssl.ALL_VERSIONS, qssl.TLSv1_2, qssl.TLSv1]
    suites = [qssl.TLS_RSA_WITH_AES_256_CBC_SHA, qssl.TLS_RSA_WITH_AES_128_CBC_SHA, qssl.ALL_CIPHERS,
              qssl.TLS_RSA_WITH_AES_256_CBC_SHA256, qssl.TLS_RSA_WITH_AES_256_CBC_SHA, qssl.ALL_CIPHERS]
    ctxs = [rig.m.ssl_context(i) for i in range(6)]
    for i, c in enumerate(ctxs):
        c.version = versions[i]
        c.ciphers = suites[i]
        if i % 2:
            c.verify_mode = qssl.CERT_NONE
        else:
            c.load_verify_locations(cadata=pki.ca_pem)
        c.apply()
    for i, c in enumerate(ctxs):
        ver, sec, suite, ca, cc, ck = c.query()
        assert ver == versions[i], i
        assert suite == suites[i], i
        assert sec == (0 if i % 2 else 1), i
        assert ca == ("" if i % 2 else "RAM:ca%d.pem" % i), i
    assert len({id(c) for c in ctxs}) == 6


def test_invalid_settings_raise_einval(rig, pki):
    ctx = rig.ctx(pki, 0)
    ctx.version = 9
    assert expect_oserror(ctx.apply).errno == errno.EINVAL
    ctx.version = qssl.TLSv1_2
    ctx.ciphers = 0x1234
    assert expect_oserror(ctx.apply).errno == errno.EINVAL


# --- TLS outcomes of the settings -----------------------------------------------------------


def test_single_suite_aes256_sha(attached, pki):
    from testnet import TlsEchoServer

    with TlsEchoServer(pki.server_cert_path, pki.server_key_path, ciphers="AES256-SHA:@SECLEVEL=0",
                       max_version="TLSv1.2") as srv:
        attached.route(ECHO_HOST, srv)
        ctx = attached.ctx(pki, 0)
        ctx.ciphers = qssl.TLS_RSA_WITH_AES_256_CBC_SHA
        with attached.connect(ctx, ECHO_HOST) as s:
            _echo_once(s)
        assert srv.wait_sessions(1)
        assert "AES256-SHA" in str(srv.sessions[0].get("cipher"))


def test_rc4_suite_fails(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki, 0)
    ctx.ciphers = qssl.TLS_RSA_WITH_RC4_128_SHA
    s = ctx.socket()
    s.settimeout(10)
    e = expect_oserror(s.connect, (ECHO_HOST, 443))
    assert e.errno == errno.ECONNABORTED
    s.close()


def test_version_tls1_against_tls12_only_server_fails(attached, pki):
    from testnet import TlsEchoServer

    with TlsEchoServer(pki.server_cert_path, pki.server_key_path, min_version="TLSv1.2") as srv:
        attached.route(ECHO_HOST, srv)
        ctx = attached.ctx(pki, 0)
        ctx.version = qssl.TLSv1
        s = ctx.socket()
        s.settimeout(10)
        e = expect_oserror(s.connect, (ECHO_HOST, 443))
        assert e.errno == errno.ECONNABORTED
        s.close()
        # The same context with TLS 1.2 gets through.
        ctx.version = qssl.TLSv1_2
        with attached.connect(ctx, ECHO_HOST) as s2:
            _echo_once(s2)


def test_version_tls1_against_tls1_server(attached, pki):
    from testnet import TlsEchoServer

    with TlsEchoServer(pki.server_cert_path, pki.server_key_path, max_version="TLSv1",
                       ciphers="ALL:@SECLEVEL=0") as srv:
        attached.route(ECHO_HOST, srv)
        ctx = attached.ctx(pki, 0)
        ctx.version = qssl.TLSv1
        with attached.connect(ctx, ECHO_HOST) as s:
            _echo_once(s)
        assert srv.wait_sessions(1)
        assert srv.sessions[0].get("version") == "TLSv1"


def test_client_certificate_accepted(attached, pki, tls_echo_auth):
    attached.route(AUTH_HOST, tls_echo_auth)
    ctx = attached.ctx(pki, 4)
    ctx.load_cert_chain(pki.client_cert_pem, pki.client_key_pem)
    with attached.connect(ctx, AUTH_HOST) as s:
        _echo_once(s, b"authenticated\n")
    ver, sec, suite, ca, cc, ck = ctx.query()
    assert sec == 2 and cc == "RAM:cc4.pem" and ck == "RAM:ck4.pem"
    assert attached.emu.state.certs["RAM:ck4.pem"] == pki.client_key_pem
    assert tls_echo_auth.wait_sessions(1)
    assert "qssl test client" in str(tls_echo_auth.sessions[0]["client_cert"])


def test_no_client_certificate_rejected(attached, pki, tls_echo_auth):
    attached.route(AUTH_HOST, tls_echo_auth)
    ctx = attached.ctx(pki, 4)
    s = ctx.socket()
    s.settimeout(10)
    e = expect_oserror(s.connect, (AUTH_HOST, 443))
    assert e.errno == errno.ECONNABORTED
    s.close()


def test_client_certificate_from_other_ca_rejected(attached, pki, tls_echo_auth):
    attached.route(AUTH_HOST, tls_echo_auth)
    ctx = attached.ctx(pki, 4)
    ctx.load_cert_chain(pki.other_client_cert_pem, pki.other_client_key_pem)
    s = ctx.socket()
    s.settimeout(10)
    e = expect_oserror(s.connect, (AUTH_HOST, 443))
    assert e.errno == errno.ECONNABORTED
    s.close()


# --- global settings -------------------------------------------------------------------------


def test_global_https(rig):
    assert rig.m.get_global("https") == 0
    assert rig.m.get_global("httpsctxi") == -1  # unset (ERRATA 5)
    rig.m.set_global("https", 1)
    rig.m.set_global("httpsctxi", 3)
    assert rig.m.get_global("https") == 1
    assert rig.m.get_global("httpsctxi") == 3
    assert rig.emu.state.glob["https"] == 1 and rig.emu.state.glob["httpsctxi"] == 3


def test_global_unknown_name(rig):
    mark = rig.mark()
    assert expect_oserror(rig.m.set_global, "sslversion", 1).errno == errno.EINVAL
    assert expect_oserror(rig.m.get_global, "nonsense").errno == errno.EINVAL
    assert rig.sent(mark) == []


def test_ignore_rtc(rig):
    ctx = rig.m.ssl_context(0)
    assert ctx.ignore_rtc is False
    ctx.ignore_rtc = True
    assert rig.emu.state.glob["ignorertc"] == 1
    assert ctx.ignore_rtc is True
    assert rig.m.get_global("ignorertc") == 1
    ctx.ignore_rtc = False
    assert rig.emu.state.glob["ignorertc"] == 0


def test_context_keeps_the_callers_pem_not_a_copy(attached, pki):
    # Kept for uploading again after a restart: a str PEM (a frozen constant on a board
    # lives in flash) is kept as given, not as an encoded copy on the heap; a bytearray,
    # which the caller may change, is copied.
    ctx = attached.m.ssl_context(2)
    pem = pki.ca_pem.decode() if isinstance(pki.ca_pem, bytes) else pki.ca_pem
    ctx.load_verify_locations(cadata=pem)
    assert ctx._data[0] is pem
    buf = bytearray(pem.encode())
    ctx.load_verify_locations(cadata=buf)
    assert ctx._data[0] == bytes(buf) and ctx._data[0] is not buf
    buf[0] = 0x2A  # a change after the upload does not reach what restore() sends
    assert ctx._data[0][:1] == b"-"
