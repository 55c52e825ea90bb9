"""An SSL context of the module (AT+QSSLCFG) -> a Python ssl.SSLContext.

Policy (decisions, see ERRATA and the issue):
- sslversion 0 (SSL 3.0) fails: this OpenSSL has no SSL 3.0. 1/2/3 pin TLS 1.0/1.1/1.2;
  4 ("All") allows TLS 1.0 up to TLS 1.2, the versions the module knows (no TLS 1.3:
  this also makes a client certificate the server rejects fail the handshake).
- ciphersuite: one of 0X0035/0X002F/0X003D offers that suite alone (TLS <= 1.2);
  0X0005/0X0004/0X000A (RC4, 3DES) fail the handshake; 0XFFFF offers OpenSSL's
  default suites plus the three module suites (wider than a real module).
- seclevel 0: no verification. 1: the server chain is verified against the
  context's "cacert" file. 2: as 1, plus the client certificate and key.
- Hostnames are NOT checked against the certificate (the module verifies the
  chain and the dates only).
- Dates: OpenSSL's own time check is switched off (X509_V_FLAG_NO_CHECK_TIME);
  with ignorertc=0 the leaf and the CA certificates are checked against the
  emulator's clock after the handshake (check_dates); ignorertc=1 skips that.
"""
import os
import ssl
import tempfile
import warnings

X509_V_FLAG_NO_CHECK_TIME = 0x200000

SUITES = {
    0x0035: "AES256-SHA",
    0x002F: "AES128-SHA",
    0x003D: "AES256-SHA256",
}
UNAVAILABLE = (0x0005, 0x0004, 0x000A)
VALID_SUITES = tuple(SUITES) + UNAVAILABLE + (0xFFFF,)
_VERSIONS = {
    1: (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1),
    2: (ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_1),
    3: (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2),
    4: (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_2),
}


class TlsConfigError(Exception):
    pass


def _pem_or_der(data):
    if b"-----BEGIN" in data:
        return data.decode("ascii", "replace")
    return bytes(data)


def build(cfg, certs):
    """cfg: the context dict; certs: name -> bytes. Returns (SSLContext, ca_bytes)."""
    ver = cfg["sslversion"]
    if ver not in _VERSIONS:
        raise TlsConfigError("SSL 3.0 is not available")
    suite = cfg["ciphersuite"]
    if suite in UNAVAILABLE:
        raise TlsConfigError("cipher suite 0X%04X is not available" % suite)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    lo, hi = _VERSIONS[ver]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0/1.1 on purpose
            ctx.minimum_version = lo
            ctx.maximum_version = hi
        if suite == 0xFFFF:
            ctx.set_ciphers("DEFAULT:AES256-SHA:AES128-SHA:AES256-SHA256:@SECLEVEL=0")
        else:
            ctx.set_ciphers(SUITES[suite] + ":@SECLEVEL=0")
    except (ssl.SSLError, ValueError) as e:
        raise TlsConfigError(str(e))
    ca = None
    if cfg["seclevel"] == 0:
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.verify_flags |= X509_V_FLAG_NO_CHECK_TIME
        ca = certs.get(cfg["cacert"])
        if not ca:
            raise TlsConfigError("no CA certificate %r" % cfg["cacert"])
        try:
            ctx.load_verify_locations(cadata=_pem_or_der(ca))
        except (ssl.SSLError, ValueError) as e:
            raise TlsConfigError("bad CA certificate: %s" % e)
    if cfg["seclevel"] == 2:
        cc = certs.get(cfg["clientcert"])
        ck = certs.get(cfg["clientkey"])
        if not cc or not ck:
            raise TlsConfigError("client certificate or key missing")
        _load_chain(ctx, cc, ck)
    return ctx, ca


def _load_chain(ctx, cert, key):
    d = tempfile.mkdtemp(prefix="quecsim-")
    cp = os.path.join(d, "cc.pem")
    kp = os.path.join(d, "ck.pem")
    try:
        fd = os.open(cp, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, bytes(cert))
        os.close(fd)
        fd = os.open(kp, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, bytes(key))
        os.close(fd)
        ctx.load_cert_chain(cp, kp)
    except (ssl.SSLError, ValueError, OSError) as e:
        raise TlsConfigError("bad client certificate or key: %s" % e)
    finally:
        for p in (cp, kp):
            try:
                os.unlink(p)
            except OSError:
                pass
        os.rmdir(d)


def _load_certs(data):
    from cryptography import x509

    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificates(bytes(data))
    return [x509.load_der_x509_certificate(bytes(data))]


def check_dates(peer_der, ca, now):
    """True when the server certificate (and the CA certificates) are valid at now."""
    from cryptography import x509

    certs = [x509.load_der_x509_certificate(peer_der)] if peer_der else []
    if ca:
        try:
            certs += _load_certs(ca)
        except ValueError:
            pass
    for c in certs:
        if now < c.not_valid_before_utc or now > c.not_valid_after_utc:
            return False
    return True
