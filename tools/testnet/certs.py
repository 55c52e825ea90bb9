"""Test PKI made at run time with `cryptography`.

`make_pki(directory)` writes and returns everything the tests, the demo and the
device tests need:

- a test CA ("qssl test CA") and, signed by it:
  - a server certificate for localhost, example.com and 127.0.0.1, valid now;
  - a client certificate ("qssl test client"), valid now;
  - an expired server certificate (2020-01-01 .. 2021-01-01), same names;
- an unrelated CA ("qssl other CA") with its own server certificate and client
  certificate, for "wrong CA" and "client certificate rejected" cases.

Keys are RSA 2048 (the module-era suites AES*-SHA need RSA key exchange), PEM,
PKCS#8 for the server side and traditional RSA ("BEGIN RSA PRIVATE KEY") for the
client key, as modules are usually fed; all PEM text has LF line ends.
RSA keys are generated once per process and reused, so a second `make_pki` is fast.
"""

import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_KEYS = {}  # role -> RSA private key, cached for the life of the process
_PKI_CACHE = {}  # directory -> Pki


def _key(role):
    key = _KEYS.get(role)
    if key is None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _KEYS[role] = key
    return key


def _name(common_name):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "qssl tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _utc(y, m, d):
    return datetime.datetime(y, m, d, tzinfo=datetime.timezone.utc)


def _now_window():
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return now - datetime.timedelta(days=1), now + datetime.timedelta(days=825)


def _ca(common_name, key, not_before, not_after):
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
    )
    return builder.sign(key, hashes.SHA256())


def _leaf(common_name, key, ca_cert, ca_key, not_before, not_after, server):
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.DNSName("example.com"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
    return builder.sign(ca_key, hashes.SHA256())


def _cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key, traditional=False):
    fmt = (
        serialization.PrivateFormat.TraditionalOpenSSL
        if traditional
        else serialization.PrivateFormat.PKCS8
    )
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


class Pki:
    """PEM bytes (`*_pem`) and file paths (`*_path`) of the test PKI.

    Attributes (each X has X_pem and X_path):
      ca, ca_key, server_cert, server_key, client_cert, client_key,
      expired_cert, expired_key, other_ca, other_ca_key, other_server_cert,
      other_server_key, other_client_cert, other_client_key
    plus `directory`, and `server_chain_pem` (server cert + CA).
    """

    NAMES = (
        "ca",
        "ca_key",
        "server_cert",
        "server_key",
        "client_cert",
        "client_key",
        "expired_cert",
        "expired_key",
        "other_ca",
        "other_ca_key",
        "other_server_cert",
        "other_server_key",
        "other_client_cert",
        "other_client_key",
    )

    def __init__(self, directory):
        self.directory = directory

    def as_dict(self):
        d = {"dir": self.directory}
        for n in self.NAMES:
            d[n] = getattr(self, n + "_path")
        return d

    def __repr__(self):
        return "Pki(%r)" % self.directory


_FILES = {
    "ca": "ca.pem",
    "ca_key": "ca.key",
    "server_cert": "server.pem",
    "server_key": "server.key",
    "client_cert": "client.pem",
    "client_key": "client.key",
    "expired_cert": "expired.pem",
    "expired_key": "expired.key",
    "other_ca": "other_ca.pem",
    "other_ca_key": "other_ca.key",
    "other_server_cert": "other_server.pem",
    "other_server_key": "other_server.key",
    "other_client_cert": "other_client.pem",
    "other_client_key": "other_client.key",
}


def make_pki(directory):
    """Create (or reuse, within this process) the test PKI in `directory`."""
    directory = os.path.abspath(str(directory))
    cached = _PKI_CACHE.get(directory)
    if cached is not None and all(
        os.path.exists(getattr(cached, n + "_path")) for n in Pki.NAMES
    ):
        return cached
    os.makedirs(directory, exist_ok=True)

    nb, na = _now_window()
    ca_key = _key("ca")
    ca = _ca("qssl test CA", ca_key, nb - datetime.timedelta(days=3650), na + datetime.timedelta(days=3650))
    server_key = _key("server")
    server = _leaf("localhost", server_key, ca, ca_key, nb, na, True)
    client_key = _key("client")
    client = _leaf("qssl test client", client_key, ca, ca_key, nb, na, False)
    expired_key = _key("expired")
    expired = _leaf("localhost", expired_key, ca, ca_key, _utc(2020, 1, 1), _utc(2021, 1, 1), True)

    other_ca_key = _key("other_ca")
    other_ca = _ca("qssl other CA", other_ca_key, nb - datetime.timedelta(days=3650), na + datetime.timedelta(days=3650))
    other_server_key = _key("other_server")
    other_server = _leaf("localhost", other_server_key, other_ca, other_ca_key, nb, na, True)
    other_client_key = _key("other_client")
    other_client = _leaf("qssl other client", other_client_key, other_ca, other_ca_key, nb, na, False)

    pems = {
        "ca": _cert_pem(ca),
        "ca_key": _key_pem(ca_key),
        "server_cert": _cert_pem(server),
        "server_key": _key_pem(server_key),
        "client_cert": _cert_pem(client),
        "client_key": _key_pem(client_key, traditional=True),
        "expired_cert": _cert_pem(expired),
        "expired_key": _key_pem(expired_key),
        "other_ca": _cert_pem(other_ca),
        "other_ca_key": _key_pem(other_ca_key),
        "other_server_cert": _cert_pem(other_server),
        "other_server_key": _key_pem(other_server_key),
        "other_client_cert": _cert_pem(other_client),
        "other_client_key": _key_pem(other_client_key, traditional=True),
    }
    pki = Pki(directory)
    for n in Pki.NAMES:
        pem = pems[n].replace(b"\r\n", b"\n")
        path = os.path.join(directory, _FILES[n])
        with open(path, "wb") as f:
            f.write(pem)
        setattr(pki, n + "_pem", pem)
        setattr(pki, n + "_path", path)
    pki.server_chain_pem = pki.server_cert_pem + pki.ca_pem
    _PKI_CACHE[directory] = pki
    return pki
