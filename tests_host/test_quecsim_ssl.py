"""Non-transparent SSL sockets through the emulator with real TLS to loopback servers.

QSSLOPEN/QSSLSEND/QSSLRECV/QSSLCLOSE/QSSLSTATE, the "recv" URC rule, and the
TLS outcomes of the context settings (CA, client certificate, dates, version, suite).
"""

import datetime
import re
import time

import pytest

from conftest import upload

OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"
# The prompt: "> " after CR LF, like every other response line (see test_prompt_bytes).
PROMPT = b"\r\n> "
SEND_OK = b"\r\nSEND OK\r\n"

# Loopback servers are reached through these "public" addresses (IP literals),
# so the <ip>:<port> the module prints is the one it was asked to dial.
SERVER_IP = "203.0.113.10"


def add_route(emu, port, server):
    emu.routes[(SERVER_IP, port)] = ("127.0.0.1", server.port)


def cfg(at, *cmds):
    for c in cmds:
        got = at.cmd("AT+QSSLCFG=" + c)
        assert got == OK, (c, got)


def open_ssl(at, ssid, ctx, port, code=0, host=SERVER_IP, timeout=15):
    assert at.cmd('AT+QSSLOPEN=%d,%d,"%s",%d,0' % (ssid, ctx, host, port)) == OK
    assert at.read_line(b"+QSSLOPEN:", timeout) == ("\r\n+QSSLOPEN: %d,%d\r\n" % (ssid, code)).encode()


def send(at, ssid, data, cmd="AT+QSSLSEND"):
    assert at.cmd("%s=%d,%d" % (cmd, ssid, len(data))) == PROMPT
    at.write(data)
    assert at.read_final() == SEND_OK


def recv_urc(ssid, cid=0):
    return ('\r\n+QSSLURC: "recv",%d,%d\r\n' % (cid, ssid)).encode()


def recv_answer(data, port, header="+QSSLRECV", ip=SERVER_IP):
    return ("\r\n%s: %s:%d,TCP,%d\r\n" % (header, ip, port, len(data))).encode() + data + OK


class RecvAnswer:
    """Compares equal to the read answer carrying `data`.

    With `port` the <ip>:<port> must be exactly `ip`:`port` (the address dialed);
    without it any address is accepted.
    """

    def __init__(self, data, port=None, header="+QSSLRECV", ip=SERVER_IP):
        self.data = data
        self.header = header
        self.peer = None if port is None else ("%s:%d" % (ip, port)).encode()

    def __eq__(self, got):
        m = re.match(rb"^\r\n" + re.escape(self.header.encode()) +
                     rb": (\d+\.\d+\.\d+\.\d+:\d+),TCP,(\d+)\r\n", got)
        if not m or (self.peer is not None and m.group(1) != self.peer):
            return False
        return int(m.group(2)) == len(self.data) and got[m.end():] == self.data + OK

    def __repr__(self):
        return "%s: %s,TCP,%d + %r + OK" % (self.header, self.peer or "<any>", len(self.data),
                                            self.data[:60])


def wait_all(at, ssid, total, port, header="+QSSLRECV", chunk=1500, timeout=10):
    """QSSLRECV until `total` bytes came; returns them (each answer checked exactly)."""
    got = b""
    end = time.monotonic() + timeout
    while len(got) < total:
        assert time.monotonic() < end, "only %d of %d bytes" % (len(got), total)
        ans = at.cmd("AT%s=0,%d,%d" % (header, ssid, chunk))
        if ans == OK:
            time.sleep(0.02)
            continue
        m = re.match(rb"^\r\n\+QSSLR(?:E)?CV: ([0-9.]+):(\d+),TCP,(\d+)\r\n", ans)
        assert m, ans
        n = int(m.group(3))
        assert 1 <= n <= chunk
        data = ans[m.end():m.end() + n]
        assert ans == RecvAnswer(data, port, header), ans
        got += data
    return got


@pytest.fixture
def echo_open(attached_emu, tls_echo):
    """SSL socket 1 (context 0, no authentication) open to the TLS echo server."""
    emu, at, _ = attached_emu
    add_route(emu, 443, tls_echo)
    open_ssl(at, 1, 0, 443)
    return emu, at, tls_echo


# -- open / send / recv / close ---------------------------------------------------------


def test_send_fixed_length_and_read(echo_open):
    emu, at, srv = echo_open
    send(at, 1, b"Hello, qssl!")
    assert at.read_line(b"+QSSLURC:") == recv_urc(1)
    time.sleep(0.1)
    assert at.cmd("AT+QSSLRECV=0,1,1500") == RecvAnswer(b"Hello, qssl!", 443)
    assert at.cmd("AT+QSSLRECV=0,1,1500") == OK
    assert at.cmd("AT+QSSLCLOSE=1") == b"\r\nCLOSE OK\r\n"
    assert srv.sessions[0]["data"] == b"Hello, qssl!"


def test_send_ctrl_z_form(echo_open):
    emu, at, srv = echo_open
    assert at.cmd("AT+QSSLSEND=1") == PROMPT
    at.write(b"ctrl-z data\x1a")
    assert at.read_final() == SEND_OK
    assert at.read_line(b"+QSSLURC:") == recv_urc(1)
    time.sleep(0.1)
    assert at.cmd("AT+QSSLRECV=0,1,1500") == RecvAnswer(b"ctrl-z data", 443)


def test_qsssend_spelling_and_qsslrcv_header(echo_open):
    emu, at, srv = echo_open
    send(at, 1, b"12345", cmd="AT+QSSSEND")
    assert at.read_line(b"+QSSLURC:") == recv_urc(1)
    time.sleep(0.1)
    # The header is spelled like the command (ERRATA 2).
    assert at.cmd("AT+QSSLRCV=0,1,1500") == RecvAnswer(b"12345", 443, "+QSSLRCV")
    send(at, 1, b"67890")
    assert at.read_line(b"+QSSLURC:") == recv_urc(1)
    time.sleep(0.1)
    assert at.cmd("AT+QSSLRECV=0,1,1500") == RecvAnswer(b"67890", 443, "+QSSLRECV")


def test_binary_payload_with_line_ends(echo_open):
    emu, at, srv = echo_open
    data = b"\r\nOK\r\n\x00\x1a\x1b+++\r\nERROR\r\n" + bytes(range(256))
    send(at, 1, data)
    assert at.read_line(b"+QSSLURC:") == recv_urc(1)
    assert wait_all(at, 1, len(data), 443) == data


def test_recv_urc_only_on_empty_to_non_empty(echo_open):
    emu, at, srv = echo_open
    send(at, 1, b"first")
    assert at.read_line(b"+QSSLURC:") == recv_urc(1)
    time.sleep(0.2)  # the echo of "first" is buffered now
    send(at, 1, b"second")  # the buffer is not empty: no second URC
    time.sleep(0.3)
    assert at.cmd("AT+QSSLRECV=0,1,1500") == RecvAnswer(b"firstsecond", 443)
    at.quiet(0.2)
    assert at.cmd("AT+QSSLRECV=0,1,1500") == OK
    # Empty again: the next arrival gives exactly one URC.
    send(at, 1, b"third")
    assert at.read_line(b"+QSSLURC:") == recv_urc(1)
    at.quiet(0.2)
    assert at.cmd("AT+QSSLRECV=0,1,1500") == RecvAnswer(b"third", 443)


def test_partial_reads_and_1500_limit(echo_open):
    emu, at, srv = echo_open
    block = bytes((i * 7 + 1) & 0xFF for i in range(1460))
    send(at, 1, block)
    assert at.read_line(b"+QSSLURC:") == recv_urc(1)
    send(at, 1, block)
    time.sleep(0.3)
    data = block + block
    assert at.cmd("AT+QSSLRECV=0,1,1500") == RecvAnswer(data[:1500], 443)
    assert at.cmd("AT+QSSLRECV=0,1,100") == RecvAnswer(data[1500:1600], 443)
    assert at.cmd("AT+QSSLRECV=0,1,1500") == RecvAnswer(data[1600:], 443)
    assert at.cmd("AT+QSSLRECV=0,1,1500") == OK
    at.quiet(0.1)


def test_send_and_recv_ranges(echo_open):
    emu, at, srv = echo_open
    assert at.cmd("AT+QSSLSEND=1,0") == ERROR
    assert at.cmd("AT+QSSLSEND=1,1461") == ERROR
    assert at.cmd("AT+QSSLSEND=6,10") == ERROR
    assert at.cmd("AT+QSSLRECV=0,1,0") == ERROR
    assert at.cmd("AT+QSSLRECV=0,1,1501") == ERROR
    assert at.cmd("AT+QSSLRECV=2,1,100") == ERROR
    assert at.cmd("AT+QSSLRECV=0,6,100") == ERROR
    send(at, 1, b"x" * 1460)  # the maximum is fine
    assert at.read_line(b"+QSSLURC:") == recv_urc(1)


def test_qsslstate_with_socket(echo_open):
    emu, at, srv = echo_open
    assert at.cmd("AT+QSSLSTATE") == (
        b'\r\n+QSSLSTATE: "IP PROCESSING"\r\n'
        b'\r\n+QSSLSTATE: 1,"TCP","%s",443,"CONNECTED",1\r\n\r\nOK\r\n' % SERVER_IP.encode())
    assert at.cmd("AT+QSSLCLOSE=1") == b"\r\nCLOSE OK\r\n"
    assert at.cmd("AT+QSSLSTATE") == b'\r\n+QSSLSTATE: "IP STATUS"\r\n\r\nOK\r\n'


def test_six_sockets_at_once(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    add_route(emu, 443, tls_echo)
    for i in range(6):
        open_ssl(at, i, i % 6, 443)
    assert at.cmd('AT+QSSLOPEN=6,0,"%s",443,0' % SERVER_IP) == ERROR
    for i in range(6):
        send(at, i, b"sock%d" % i)
        assert at.read_line(b"+QSSLURC:") == recv_urc(i)
    time.sleep(0.1)
    for i in range(6):
        assert at.cmd("AT+QSSLRECV=0,%d,1500" % i) == RecvAnswer(b"sock%d" % i, 443)
    for i in range(6):
        assert at.cmd("AT+QSSLCLOSE=%d" % i) == b"\r\nCLOSE OK\r\n"


def test_open_by_name_through_route(attached_emu, tls_echo):
    emu, at, routes = attached_emu
    routes.add("example.com", 443, tls_echo)
    assert at.cmd('AT+QSSLOPEN=2,0,"example.com",443,0,30') == OK
    assert at.read_line(b"+QSSLOPEN:", 15) == b"\r\n+QSSLOPEN: 2,0\r\n"
    send(at, 2, b"by name")
    assert at.read_line(b"+QSSLURC:") == recv_urc(2)
    time.sleep(0.1)
    assert at.cmd("AT+QSSLRECV=0,2,1500") == RecvAnswer(b"by name", 443, ip="127.0.0.1")


def test_recv_header_shows_dialed_address(echo_open):
    # 3.1: AT+QSSLOPEN=1,0,"116.247.104.27",465,0 ... +QSSLRCV: 116.247.104.27:465,TCP,7
    # The module prints the peer it was asked to dial, not a loopback route target.
    emu, at, srv = echo_open
    send(at, 1, b"1234567")
    assert at.read_line(b"+QSSLURC:") == recv_urc(1)
    time.sleep(0.1)
    assert at.cmd("AT+QSSLRECV=0,1,1500") == recv_answer(b"1234567", 443)


def test_prompt_bytes(echo_open):
    # The prompt is a response line like any other: CR LF, then "> " with no line end.
    emu, at, srv = echo_open
    assert at.cmd("AT+QSSLSEND=1,3") == PROMPT
    at.write(b"abc")
    assert at.read_final() == SEND_OK


# -- open: parameter errors and failures --------------------------------------------------


def test_open_parameter_ranges(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    add_route(emu, 443, tls_echo)
    for bad in ('6,0,"%s",443,0', '1,6,"%s",443,0', '1,0,"%s",443,2', '1,0,"%s",0,0',
                '1,0,"%s",443,0,9', '1,0,"%s",443,0,301', '1,0,"%s",443'):
        assert at.cmd("AT+QSSLOPEN=" + bad % SERVER_IP) == ERROR, bad
    got = at.cmd("AT+QSSLOPEN=?")
    assert got.startswith(b"\r\n+QSSLOPEN: ") and got.endswith(b"\r\n\r\nOK\r\n"), got
    assert at.cmd("AT+QSSLOPEN?") == OK


def test_occupied_socket(echo_open):
    emu, at, srv = echo_open
    open_ssl(at, 1, 0, 443, code=-2)
    # The first connection is unharmed.
    send(at, 1, b"still here")
    assert at.read_line(b"+QSSLURC:") == recv_urc(1)


def test_send_on_closed_socket(echo_open):
    emu, at, srv = echo_open
    assert at.cmd("AT+QSSLSEND=2,5") == ERROR  # never opened
    assert at.cmd("AT+QSSLSEND=2") == ERROR
    assert at.cmd("AT+QSSLCLOSE=1") == b"\r\nCLOSE OK\r\n"
    assert at.cmd("AT+QSSLSEND=1,5") == ERROR
    assert at.cmd("AT+QSSLRECV=0,1,100") == ERROR
    assert at.cmd("AT+QSSLCLOSE=1") == ERROR


def test_no_route_fails(attached_emu):
    emu, at, _ = attached_emu
    open_ssl(at, 0, 0, 443, code=-1, host="198.51.100.99")


def test_connection_refused_fails(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    port = tls_echo.port
    tls_echo.stop()
    emu.routes[(SERVER_IP, 443)] = ("127.0.0.1", port)
    open_ssl(at, 0, 0, 443, code=-1)


def _server_auth(at, pki, ca_pem, ctx=0):
    upload(at, "RAM:ca.pem", ca_pem)
    cfg(at, '"seclevel",%d,1' % ctx, '"cacert",%d,"RAM:ca.pem"' % ctx)


def test_server_auth_good_ca(attached_emu, tls_echo, pki):
    emu, at, _ = attached_emu
    add_route(emu, 443, tls_echo)
    _server_auth(at, pki, pki.ca_pem)
    open_ssl(at, 1, 0, 443)


def test_wrong_ca(attached_emu, tls_echo, pki):
    emu, at, _ = attached_emu
    add_route(emu, 443, tls_echo)
    _server_auth(at, pki, pki.other_ca_pem)
    open_ssl(at, 1, 0, 443, code=-1)
    # The index is free again after the failure.
    cfg(at, '"seclevel",0,0')
    open_ssl(at, 1, 0, 443)


def test_server_auth_without_ca_configured_fails(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    add_route(emu, 443, tls_echo)
    cfg(at, '"seclevel",0,1')
    open_ssl(at, 1, 0, 443, code=-1)


def test_server_signed_by_other_ca_fails(attached_emu, pki):
    from testnet import TlsEchoServer

    emu, at, _ = attached_emu
    with TlsEchoServer(pki.other_server_cert_path, pki.other_server_key_path) as srv:
        add_route(emu, 443, srv)
        _server_auth(at, pki, pki.ca_pem)
        open_ssl(at, 1, 0, 443, code=-1)


def _client_auth(at, pki, ctx=0):
    upload(at, "RAM:ca.pem", pki.ca_pem)
    upload(at, "RAM:cc.pem", pki.client_cert_pem)
    upload(at, "RAM:ck.pem", pki.client_key_pem)
    cfg(at, '"seclevel",%d,2' % ctx, '"cacert",%d,"RAM:ca.pem"' % ctx,
        '"clientcert",%d,"RAM:cc.pem"' % ctx, '"clientkey",%d,"RAM:ck.pem"' % ctx)


def test_client_auth_accepted(attached_emu, tls_echo_auth, pki):
    emu, at, _ = attached_emu
    add_route(emu, 443, tls_echo_auth)
    _client_auth(at, pki)
    open_ssl(at, 1, 0, 443)
    send(at, 1, b"authenticated")
    assert at.read_line(b"+QSSLURC:") == recv_urc(1)
    assert tls_echo_auth.sessions[0]["client_cert"]["commonName"] == "qssl test client"


def test_client_auth_missing_cert_rejected(attached_emu, tls_echo_auth, pki):
    emu, at, _ = attached_emu
    add_route(emu, 443, tls_echo_auth)
    _server_auth(at, pki, pki.ca_pem)  # seclevel 1: no client certificate presented
    open_ssl(at, 1, 0, 443, code=-1)


def test_client_cert_rejected_by_server(attached_emu, pki):
    from testnet import TlsEchoServer

    emu, at, _ = attached_emu
    # The server only trusts clients of the other CA.
    with TlsEchoServer(pki.server_cert_path, pki.server_key_path,
                       client_ca_path=pki.other_ca_path) as srv:
        add_route(emu, 443, srv)
        _client_auth(at, pki)
        open_ssl(at, 1, 0, 443, code=-1)


@pytest.fixture
def expired_echo(pki):
    from testnet import TlsEchoServer

    with TlsEchoServer(pki.expired_cert_path, pki.expired_key_path) as srv:
        yield srv


def test_expired_certificate_checked_against_clock(attached_emu, expired_echo, pki):
    emu, at, _ = attached_emu
    add_route(emu, 443, expired_echo)
    _server_auth(at, pki, pki.ca_pem)
    assert at.cmd('AT+QSSLCFG="ignorertc"') == b'\r\n+QSSLCFG: "ignorertc",0\r\n\r\nOK\r\n'
    open_ssl(at, 1, 0, 443, code=-1)
    cfg(at, '"ignorertc",1')
    open_ssl(at, 1, 0, 443, code=0)


def test_clock_in_validity_window_accepts_expired_cert(attached_emu, expired_echo, pki):
    emu, at, _ = attached_emu
    add_route(emu, 443, expired_echo)
    _server_auth(at, pki, pki.ca_pem)
    emu.clock = datetime.datetime(2020, 6, 1, tzinfo=datetime.timezone.utc)
    open_ssl(at, 1, 0, 443, code=0)


def test_clock_before_validity_rejects_fresh_cert(attached_emu, tls_echo, pki):
    emu, at, _ = attached_emu
    add_route(emu, 443, tls_echo)
    _server_auth(at, pki, pki.ca_pem)
    emu.clock = datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)
    open_ssl(at, 1, 0, 443, code=-1)
    cfg(at, '"ignorertc",1')
    open_ssl(at, 1, 0, 443, code=0)


def test_tls12_only_server_vs_tls10(attached_emu, pki):
    from testnet import TlsEchoServer

    emu, at, _ = attached_emu
    with TlsEchoServer(pki.server_cert_path, pki.server_key_path, min_version="TLSv1.2") as srv:
        add_route(emu, 443, srv)
        cfg(at, '"sslversion",0,1')
        open_ssl(at, 1, 0, 443, code=-1)
        cfg(at, '"sslversion",0,3')
        open_ssl(at, 1, 0, 443, code=0)
        assert srv.wait_sessions(2)
        assert srv.sessions[-1]["version"] == "TLSv1.2"


@pytest.mark.parametrize("v,name", [(1, "TLSv1"), (2, "TLSv1.1"), (3, "TLSv1.2")])
def test_sslversion_pins_the_version(attached_emu, tls_echo, v, name):
    emu, at, _ = attached_emu
    add_route(emu, 443, tls_echo)
    cfg(at, '"sslversion",0,%d' % v)
    open_ssl(at, 1, 0, 443)
    assert tls_echo.wait_sessions(1)
    assert tls_echo.sessions[0]["version"] == name


def test_sslversion_all_never_above_tls12(attached_emu, tls_echo):
    # Table 1: the modules speak SSL 3.0 up to TLS 1.2.
    emu, at, _ = attached_emu
    add_route(emu, 443, tls_echo)
    open_ssl(at, 1, 0, 443)
    assert tls_echo.wait_sessions(1)
    assert tls_echo.sessions[0]["version"] in ("TLSv1", "TLSv1.1", "TLSv1.2")


def test_ssl30_fails(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    add_route(emu, 443, tls_echo)
    cfg(at, '"sslversion",0,0')
    open_ssl(at, 1, 0, 443, code=-1)


@pytest.mark.parametrize("suite", ["0X0005", "0X0004", "0X000A"])
def test_unavailable_suites_fail(attached_emu, tls_echo, suite):
    emu, at, _ = attached_emu
    add_route(emu, 443, tls_echo)
    cfg(at, '"ciphersuite",0,"%s"' % suite)
    open_ssl(at, 1, 0, 443, code=-1)


@pytest.mark.parametrize("suite,ossl", [("0X0035", "AES256-SHA"), ("0X002F", "AES128-SHA"),
                                        ("0X003D", "AES256-SHA256")])
def test_single_suite_negotiated(attached_emu, pki, suite, ossl):
    from testnet import TlsEchoServer

    emu, at, _ = attached_emu
    with TlsEchoServer(pki.server_cert_path, pki.server_key_path, max_version="TLSv1.2",
                       ciphers=ossl + ":@SECLEVEL=0") as srv:
        add_route(emu, 443, srv)
        cfg(at, '"ciphersuite",0,"%s"' % suite)
        open_ssl(at, 1, 0, 443, code=0)
        assert srv.wait_sessions(1)
        assert srv.sessions[0]["cipher"] == ossl


def test_suite_mismatch_fails(attached_emu, pki):
    from testnet import TlsEchoServer

    emu, at, _ = attached_emu
    with TlsEchoServer(pki.server_cert_path, pki.server_key_path, max_version="TLSv1.2",
                       ciphers="AES128-SHA:@SECLEVEL=0") as srv:
        add_route(emu, 443, srv)
        cfg(at, '"ciphersuite",0,"0X0035"')
        open_ssl(at, 1, 0, 443, code=-1)


def test_contexts_are_independent(attached_emu, tls_echo, pki):
    emu, at, _ = attached_emu
    add_route(emu, 443, tls_echo)
    upload(at, "RAM:bad.pem", pki.other_ca_pem)
    cfg(at, '"seclevel",2,1', '"cacert",2,"RAM:bad.pem"')
    open_ssl(at, 0, 2, 443, code=-1)  # context 2 trusts the wrong CA
    open_ssl(at, 0, 0, 443, code=0)  # context 0 has no authentication


def test_ctrl_z_form_limits_and_escape(echo_open):
    emu, at, srv = echo_open
    # ESC cancels: nothing is sent, no SEND OK.
    assert at.cmd("AT+QSSLSEND=1") == PROMPT
    at.write(b"never sent\x1b")
    assert at.read_final() in (OK, ERROR)
    # More than 1460 bytes before Ctrl+Z is an error.
    assert at.cmd("AT+QSSLSEND=1") == PROMPT
    at.write(b"y" * 1461 + b"\x1a")
    assert at.read_final() == ERROR
    # 1460 is fine.
    assert at.cmd("AT+QSSLSEND=1") == PROMPT
    at.write(b"z" * 1460 + b"\x1a")
    assert at.read_final() == SEND_OK
    assert at.read_line(b"+QSSLURC:") == recv_urc(1)
    assert wait_all(at, 1, 1460, 443) == b"z" * 1460
    time.sleep(0.1)
    assert srv.sessions[0]["data"] == b"z" * 1460


def test_qsslclose_while_data_buffered(echo_open):
    emu, at, srv = echo_open
    send(at, 1, b"left behind")
    assert at.read_line(b"+QSSLURC:") == recv_urc(1)
    time.sleep(0.1)
    assert at.cmd("AT+QSSLCLOSE=1") == b"\r\nCLOSE OK\r\n"
    assert at.cmd("AT+QSSLRECV=0,1,1500") == ERROR
    open_ssl(at, 1, 0, 443)
    assert at.cmd("AT+QSSLRECV=0,1,1500") == OK


def test_qideact_drops_sockets(echo_open):
    emu, at, srv = echo_open
    assert at.cmd("AT+QIDEACT", timeout=10) == b"\r\nDEACT OK\r\n"
    assert at.cmd("AT+QSSLSEND=1,5") == ERROR
    assert at.cmd('AT+QSSLOPEN=1,0,"%s",443,0' % SERVER_IP) == ERROR
