"""The four example sessions of chapter 3, byte for byte, with real TLS to loopback servers.

The example addresses (116.247.104.27:465 and so on) are routed to local servers.
Differences from the note, on purpose: ERRATA 1/2 spellings are used as written in
each example; data lengths and contents are ours; ATE0 is in effect (fixture).
"""

import re
import time

import pytest

from conftest import LOCAL_IP, qsec_checksum, upload

OK = b"\r\nOK\r\n"
PROMPT = b"\r\n> "
SEND_OK = b"\r\nSEND OK\r\n"
CLOSE_OK = b"\r\nCLOSE OK\r\n"
DEACT_OK = b"\r\nDEACT OK\r\n"
CONNECT = b"\r\nCONNECT\r\n"


def exact(at, cmd, want, timeout=None):
    got = at.cmd(cmd, timeout=timeout)
    assert got == want, "%s -> %r, want %r" % (cmd, got, want)


def line_ok(text):
    return ("\r\n%s\r\n\r\nOK\r\n" % text).encode()


def read_data(at, cmd, header, peer, data):
    """A read answer, exact: header, the dialed <ip>:<port>, length, data, OK."""
    want = b"\r\n%s: %s,TCP,%d\r\n" % (header, peer.encode(), len(data)) + data + OK
    got = at.cmd(cmd)
    assert got == want, "%s -> %r, want %r" % (cmd, got, want)


def pdp(at, with_qimux=False):
    exact(at, "AT+QIFGCNT=0", OK)
    exact(at, 'AT+QICSGP=1,"CMNET"', OK)
    if with_qimux:
        exact(at, "AT+QIMUX=1", OK)
    exact(at, "AT+QIREGAPP", OK)
    exact(at, "AT+QIACT", OK, timeout=10)
    exact(at, "AT+QILOCIP", ("\r\n%s\r\n" % LOCAL_IP).encode())


def fixed_send(at, cmd, data):
    assert at.cmd(cmd) == PROMPT
    at.write(data)
    assert at.read_final() == SEND_OK


def ctrlz_send(at, cmd, data):
    assert at.cmd(cmd) == PROMPT
    at.write(data + b"\x1a")
    assert at.read_final() == SEND_OK


def upload_three(at, ca_name, cc_name, ck_name, pki):
    sums = {}
    for name, pem in ((ca_name, pki.ca_pem), (cc_name, pki.client_cert_pem),
                      (ck_name, pki.client_key_pem)):
        # The note's exact form: name, size, 100 s timeout.
        exact(at, 'AT+QSECWRITE="%s",%d,100' % (name, len(pem)), CONNECT)
        at.write(pem)
        want = "+QSECWRITE: %d,%x" % (len(pem), qsec_checksum(pem))
        assert at.read_final() == line_ok(want)
        sums[name] = qsec_checksum(pem)
    return sums


def check_reads(at, sums):
    for name, s in sums.items():
        exact(at, 'AT+QSECREAD="%s"' % name, line_ok("+QSECREAD: 1,%x" % s))


def ssl_exchange(at, ssid, recv_cmd, header, peer, first, second):
    """Fixed-length send, Ctrl+Z send, one URC, one read of both echoes."""
    fixed_send(at, "AT+QSSLSEND=%d,%d" % (ssid, len(first)), first)
    assert at.read_line(b"+QSSLURC:") == ('\r\n+QSSLURC: "recv",0,%d\r\n' % ssid).encode()
    ctrlz_send(at, "AT+QSSSEND=%d" % ssid, second)
    time.sleep(0.3)
    read_data(at, "AT%s=0,%d,1500" % (recv_cmd, ssid), header, peer, first + second)
    at.quiet(0.1)


def test_3_1_ram_certificates_server_and_client_auth(emu_ctx, pki):
    from testnet import TlsEchoServer

    emu, at, _ = emu_ctx
    with TlsEchoServer(pki.server_cert_path, pki.server_key_path,
                       client_ca_path=pki.ca_path) as srv:
        emu.routes[("116.247.104.27", 465)] = ("127.0.0.1", srv.port)
        # Step 1: upload to RAM.
        sums = upload_three(at, "RAM:ca_cert.pem", "RAM:client_cert.pem", "RAM:client_key.pem", pki)
        # Step 2: PDP.
        pdp(at)
        # Step 3: configuration.
        exact(at, 'AT+QSSLCFG="ignorertctime",1', OK)
        exact(at, 'AT+QSSLCFG="sslversion",0,4', OK)
        exact(at, 'AT+QSSLCFG="ciphersuite",0,"0xFFFF"', OK)
        exact(at, 'AT+QSSLCFG="secllevel",0,2', OK)
        check_reads(at, sums)
        exact(at, 'AT+QSSLCFG="cacert",0,"RAM:ca_cert.pem"', OK)
        exact(at, 'AT+QSSLCFG="clientcert",0,"RAM:client_cert.pem"', OK)
        exact(at, 'AT+QSSLCFG="clientkey",0,"RAM:client_key.pem"', OK)
        # Step 4: open, send, receive.
        exact(at, 'AT+QSSLOPEN=1,0,"116.247.104.27",465,0', OK)
        assert at.read_line(b"+QSSLOPEN:", 15) == b"\r\n+QSSLOPEN: 1,0\r\n"
        ssl_exchange(at, 1, "+QSSLRCV", b"+QSSLRCV", "116.247.104.27:465", b"Hello world!",
                     b"1234567")
        # Step 5: close, delete, deactivate.
        exact(at, "AT+QSSLCLOSE=1", CLOSE_OK)
        exact(at, 'AT+QSECDEL="RAM:ca_cert.pem"', OK)
        exact(at, 'AT+QSECDEL="RAM:client_cert.pem"', OK)
        exact(at, 'AT+QSECDEL="RAM:client_key.pem"', OK)
        exact(at, "AT+QIDEACT", DEACT_OK, timeout=10)
        assert srv.wait_sessions(1)
        s = srv.sessions[0]
        assert s["client_cert"]["commonName"] == "qssl test client"
        assert s["data"] == b"Hello world!1234567"


def test_3_2_nvram_certificates(emu_ctx, pki):
    from testnet import TlsEchoServer

    emu, at, _ = emu_ctx
    with TlsEchoServer(pki.server_cert_path, pki.server_key_path,
                       client_ca_path=pki.ca_path) as srv:
        emu.routes[("116.247.104.27", 465)] = ("127.0.0.1", srv.port)
        sums = upload_three(at, "NVRAM:CA0", "NVRAM:CC0", "NVRAM:CK0", pki)
        pdp(at)
        exact(at, 'AT+QSSLCFG="ignorevertime",1', OK)
        exact(at, 'AT+QSSLCFG="sslversion",0,4', OK)
        exact(at, 'AT+QSSLCFG="ciphersuite",0,"0xFFFF"', OK)
        exact(at, 'AT+QSSLCFG="secllevel",0,2', OK)
        check_reads(at, sums)
        exact(at, 'AT+QSSLCFG="cacert",0,"NVRAM:CA0"', OK)
        exact(at, 'AT+QSSLCFG="clientcert",0,"NVRAM:CC0"', OK)
        exact(at, 'AT+QSSLCFG="clientkey",0,"NVRAM:CK0"', OK)
        # The note writes a space before "=" here; a module tolerates that.
        exact(at, 'AT+QSSLOPEN =1,0,"116.247.104.27",465,0', OK)
        assert at.read_line(b"+QSSLOPEN:", 15) == b"\r\n+QSSLOPEN: 1,0\r\n"
        fixed_send(at, "AT+QSSLSEND=1,12", b"Hello world!")
        assert at.read_line(b"+QSSLURC:") == b'\r\n+QSSLURC: "recv",0,1\r\n'
        ctrlz_send(at, "AT+QSSLSEND=1", b"1234567")
        time.sleep(0.3)
        read_data(at, "AT+QSSLRECV=0,1,1500", b"+QSSLRECV", "116.247.104.27:465",
                  b"Hello world!1234567")
        exact(at, "AT+QSSLCLOSE=1", CLOSE_OK)
        exact(at, "AT+QIDEACT", DEACT_OK, timeout=10)


def test_3_3_tcp_and_ssl_together(emu_ctx, pki, tcp_echo, tls_echo):
    emu, at, _ = emu_ctx
    emu.routes[("116.247.104.27", 6021)] = ("127.0.0.1", tcp_echo.port)
    emu.routes[("124.74.41.170", 5115)] = ("127.0.0.1", tls_echo.port)
    # Step 1.
    pdp(at, with_qimux=True)
    # Step 2: plain TCP on index 1.
    exact(at, "AT+QINDI=1", OK)
    exact(at, 'AT+QIOPEN=1,"TCP","116.247.104.27",6021', OK)
    assert at.read_line(b"1, CONNECT", 15) == b"\r\n1, CONNECT OK\r\n"
    fixed_send(at, "AT+QISEND=1,10", b"ABCDE12345")
    assert at.read_line(b"+QIRDI:") == b"\r\n+QIRDI: 0,1,1\r\n"
    time.sleep(0.1)
    read_data(at, "AT+QIRD=0,1,1,1024", b"+QIRD", "116.247.104.27:6021", b"ABCDE12345")
    # Step 3: SSL on index 3, no authentication.
    exact(at, 'AT+QSSLCFG="sslversion",0,4', OK)
    exact(at, 'AT+QSSLCFG="secllevel",0,0', OK)
    exact(at, 'AT+QSSLCFG="ciphersuite",0,"0XFFFF"', OK)
    exact(at, 'AT+QSSLOPEN=3,0,"124.74.41.170",5115,0', OK)
    assert at.read_line(b"+QSSLOPEN:", 15) == b"\r\n+QSSLOPEN: 3,0\r\n"
    fixed_send(at, "AT+QSSSEND=3,12", b"Hello world!")
    assert at.read_line(b"+QSSLURC:") == b'\r\n+QSSLURC: "recv",0,3\r\n'
    ctrlz_send(at, "AT+QSSSEND=3", b"1234567")
    time.sleep(0.3)
    read_data(at, "AT+QSSLRCV=0,3,1000", b"+QSSLRCV", "124.74.41.170:5115",
              b"Hello world!1234567")
    # The sockets share the index space: 1 is taken by TCP.
    exact(at, 'AT+QSSLOPEN=1,0,"124.74.41.170",5115,0', OK)
    assert at.read_line(b"+QSSLOPEN:", 15) == b"\r\n+QSSLOPEN: 1,-2\r\n"
    got = at.cmd("AT+QSSLSTATE")
    assert got == (b'\r\n+QSSLSTATE: "IP PROCESSING"\r\n'
                   b'\r\n+QSSLSTATE: 1,"TCP","116.247.104.27",6021,"CONNECTED",0\r\n'
                   b'\r\n+QSSLSTATE: 3,"TCP","124.74.41.170",5115,"CONNECTED",1\r\n'
                   b"\r\nOK\r\n"), got
    # Step 4: close both, deactivate.
    exact(at, "AT+QSSLCLOSE=3", CLOSE_OK)
    exact(at, "AT+QICLOSE=1", b"\r\n1, CLOSE OK\r\n")
    exact(at, "AT+QIDEACT", DEACT_OK, timeout=10)
    assert tcp_echo.sessions[0]["data"] == b"ABCDE12345"


def http_get(at, path, host="220.180.239.201:8011"):
    req = ("GET %s HTTP/1.1\r\nHOST: %s\r\nAccept: */*\r\nUser-Agent: QUECTEL_MODULE\r\n"
           "CONNECT: KEEP-ALIVE\r\n\r\n" % (path, host)).encode()
    at.write(req)
    head = at.read_until(b"\r\n\r\n", 10)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n"), head
    m = re.search(rb"\r\nContent-Length: (\d+)\r\n", head)
    assert m, head
    return at.read_exact(int(m.group(1)), 10)


def escape(at):
    """1 s silence, +++, 1 s silence -> OK (ERRATA 20)."""
    at.quiet(1.1)
    at.write(b"+++")
    assert at.read_final(timeout=4) == OK


def transparent_session(emu, at, srv):
    from testnet import pattern

    emu.routes[("220.180.239.212", 8011)] = ("127.0.0.1", srv.port)
    exact(at, 'AT+QSSLOPEN=1,0,"220.180.239.212",8011,1', OK)
    assert at.read_final(timeout=15) == CONNECT
    assert http_get(at, "/hello") == b"Hello, module!\n"
    # Step 3: leave and re-enter data mode.
    escape(at)
    exact(at, "AT", OK)  # command mode for real
    exact(at, "ATO", CONNECT)
    assert http_get(at, "/big?n=5000") == pattern(5000)
    # Step 4: leave, close, deactivate.
    escape(at)
    exact(at, "AT+QSSLCLOSE=1", CLOSE_OK)
    exact(at, "AT+QIDEACT", DEACT_OK, timeout=10)
    assert [r["path"] for r in srv.requests] == ["/hello", "/big?n=5000"]


def test_3_4_1_transparent_no_authentication(emu_ctx, https_server):
    emu, at, _ = emu_ctx
    pdp(at)
    exact(at, 'AT+QSSLCFG="sslversion",0,4', OK)
    exact(at, 'AT+QSSLCFG="secllevel",0,0', OK)
    exact(at, 'AT+QSSLCFG="ciphersuite",0,"0XFFFF"', OK)
    transparent_session(emu, at, https_server)


def test_3_4_2_transparent_server_and_client_auth(emu_ctx, pki):
    from conftest import HTTPS_ROUTES
    from testnet import HttpsServer

    emu, at, _ = emu_ctx
    with HttpsServer(pki.server_cert_path, pki.server_key_path, routes=HTTPS_ROUTES,
                     client_ca_path=pki.ca_path) as srv:
        sums = upload_three(at, "RAM:ca_cert.pem", "RAM:client_cert.pem", "RAM:client_key.pem", pki)
        pdp(at)
        exact(at, 'AT+QSSLCFG="ignorertc",1', OK)
        exact(at, 'AT+QSSLCFG="sslversion",0,4', OK)
        exact(at, 'AT+QSSLCFG="ciphersuite",0,"0xFFFF"', OK)
        exact(at, 'AT+QSSLCFG="secllevel",0,2', OK)
        check_reads(at, sums)
        exact(at, 'AT+QSSLCFG="cacert",0,"RAM:ca_cert.pem"', OK)
        exact(at, 'AT+QSSLCFG="clientcert",0,"RAM:client_cert.pem"', OK)
        exact(at, 'AT+QSSLCFG="clientkey",0,"RAM:client_key.pem"', OK)
        transparent_session(emu, at, srv)
        assert srv.sessions[0]["error"] is None
