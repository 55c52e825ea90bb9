"""Modern TLS over the module's plain TCP on CPython: ssl.SSLObject through MemoryBIOs
(testnet.biotls) over qssl's TCP socket, through the in-process emulator. The same
flows as tests_device/test_modern_tls.py (MicroPython's mbedTLS), on the host."""
import errno
import ssl

import pytest

import qssl
from api_fixtures import attached, booted, rig, payload, read_exact  # noqa: F401
from testnet import TlsEchoServer
from testnet.biotls import BioTls
from testnet.tlsworld import MODERN_SUITES

HOST = "example.com"


@pytest.fixture
def modern(pki):
    with TlsEchoServer(pki.server_cert_path, pki.server_key_path, ciphers=MODERN_SUITES,
                       max_version="TLSv1.2") as srv:
        yield srv


def tls_over_tcp(rig, server, pki, name=HOST, server_hostname=None, ca=None, timeout=20):
    rig.route(name, server, 8443)
    tcp = rig.m.tcp_socket()
    tcp.settimeout(timeout)
    tcp.connect((name, 8443))
    ctx = ssl.create_default_context(cadata=(ca or pki.ca_pem).decode())
    s = BioTls(ctx, tcp, server_hostname or name)
    try:
        s.do_handshake()
    except BaseException:
        tcp.close()
        raise
    return s


def test_ecdhe_aes_gcm_over_module_tcp(attached, pki, modern):
    with tls_over_tcp(attached, modern, pki) as s:
        assert s.version() == "TLSv1.2"
        assert s.cipher()[0].startswith("ECDHE-") and "GCM" in s.cipher()[0]
        s.sendall(b"hello over SSLObject\n")
        assert read_exact(s, 21) == b"hello over SSLObject\n"
    assert modern.sessions[-1]["cipher"] == s.cipher()[0]
    assert attached.m.status()[1] == []


@pytest.mark.parametrize("suite", [qssl.TLS_RSA_WITH_AES_256_CBC_SHA, qssl.TLS_RSA_WITH_AES_128_CBC_SHA,
                                   qssl.TLS_RSA_WITH_RC4_128_SHA, qssl.TLS_RSA_WITH_RC4_128_MD5,
                                   qssl.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
                                   qssl.TLS_RSA_WITH_AES_256_CBC_SHA256])
def test_module_tls_fails_against_ecdhe_only(attached, pki, modern, suite):
    attached.route(HOST, modern, 8443)
    ctx = attached.ctx(pki)
    ctx.ciphers = suite
    s = ctx.socket()
    s.settimeout(20)
    with pytest.raises(OSError) as ei:
        s.connect((HOST, 8443))
    assert ei.value.errno == errno.ECONNABORTED
    s.close()


def test_wrong_host_name_is_refused(attached, pki, modern):
    with pytest.raises(ssl.SSLCertVerificationError) as ei:
        tls_over_tcp(attached, modern, pki, name="modern.test")
    assert "modern.test" in str(ei.value)
    with pytest.raises(ssl.SSLCertVerificationError):
        tls_over_tcp(attached, modern, pki, server_hostname="wrong.example")
    assert attached.m.status()[1] == []


def test_unrelated_ca_is_refused(attached, pki, modern):
    with pytest.raises(ssl.SSLCertVerificationError) as ei:
        tls_over_tcp(attached, modern, pki, ca=pki.other_ca_pem)
    assert "unable to get local issuer" in str(ei.value)
    with TlsEchoServer(pki.other_server_cert_path, pki.other_server_key_path,
                       ciphers=MODERN_SUITES) as other:
        with pytest.raises(ssl.SSLCertVerificationError):
            tls_over_tcp(attached, other, pki)
    assert attached.m.status()[1] == []


def test_100kb_each_way_byte_exact(attached, pki, modern):
    n = 100 * 1024
    data = payload(n, 5)
    got = bytearray()
    with tls_over_tcp(attached, modern, pki, timeout=60) as s:
        for off in range(0, n, 8192):
            chunk = data[off:off + 8192]
            s.sendall(chunk)
            got += read_exact(s, len(chunk), 60)
    assert bytes(got) == data
    assert modern.sessions[-1]["bytes_in"] == n


def test_peer_close_is_end_of_stream(attached, pki):
    with TlsEchoServer(pki.server_cert_path, pki.server_key_path, ciphers=MODERN_SUITES,
                       close_after=5) as closer:
        with tls_over_tcp(attached, closer, pki) as s:
            s.sendall(b"0123456789")
            assert read_exact(s, 5) == b"01234"
            assert s.recv(10) == b""
            assert s.recv(10) == b""


def test_a_timeout_of_the_tcp_socket_bounds_a_read(attached, pki, modern):
    with tls_over_tcp(attached, modern, pki) as s:
        s.settimeout(0.3)
        with pytest.raises(OSError) as ei:
            s.recv(4)
        assert ei.value.errno == errno.ETIMEDOUT
        s.settimeout(20)
        s.sendall(b"still here")
        assert read_exact(s, 10) == b"still here"
