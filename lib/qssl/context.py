# One of the module's 6 SSL contexts (AT+QSSLCFG), shaped like CPython's ssl.SSLContext.
# Settings are kept here and sent before the next connect (or by apply()); query()
# reads back what the module holds.
from .compat import const, EINVAL
from . import at

# Protocol versions: the module's <sslversion> numbers.
SSLv3 = const(0)
TLSv1 = const(1)
TLSv1_1 = const(2)
TLSv1_2 = const(3)
ALL_VERSIONS = const(4)

# Cipher suites: the module's codes (application note table 2).
TLS_RSA_WITH_AES_256_CBC_SHA = const(0x0035)
TLS_RSA_WITH_AES_128_CBC_SHA = const(0x002F)
TLS_RSA_WITH_RC4_128_SHA = const(0x0005)
TLS_RSA_WITH_RC4_128_MD5 = const(0x0004)
TLS_RSA_WITH_3DES_EDE_CBC_SHA = const(0x000A)
TLS_RSA_WITH_AES_256_CBC_SHA256 = const(0x003D)
ALL_CIPHERS = const(0xFFFF)
# AT+QSSLCFG keys in the order of _settings()
_KEYS = (b"sslversion", b"ciphersuite", b"seclevel", b"cacert", b"clientcert", b"clientkey")
_SUITES = (0x0035, 0x002F, 0x0005, 0x0004, 0x000A, 0x003D, 0xFFFF)

CERT_NONE = const(0)
CERT_REQUIRED = const(2)


class SSLContext:
    def __init__(self, modem, index):
        self._modem = modem
        self.index = index
        # Secure by default: TLS 1.2, server authentication with a CA.
        self.version = TLSv1_2
        self.ciphers = ALL_CIPHERS
        self.verify_mode = CERT_REQUIRED
        self.check_hostname = False  # the module verifies the chain and dates, not names
        self.cafile = None  # module file names once uploaded
        self.certfile = None
        self.keyfile = None
        self._sent = None  # the settings tuple last sent to the module

    # --- CPython ssl.SSLContext shape -----------------------------------------------------
    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        """Upload the CA certificate (PEM text or bytes) and use it for server
        authentication. cafile may name a module file already there ("RAM:x"/"NVRAM:CA0")."""
        if cadata is not None:
            name = "RAM:ca%d.pem" % self.index
            self._modem.cert_write(name, _b(cadata))
            self.cafile = name
        elif cafile is not None:
            self.cafile = _module_name(cafile)
        else:
            raise OSError(EINVAL, "give cadata (PEM) or cafile (a module file name)")
        self._sent = None

    def load_cert_chain(self, certdata, keydata=None, certfile=None, keyfile=None):
        """Upload the client certificate and key (PEM) for client authentication.
        certfile/keyfile may name module files already there instead."""
        if certdata is not None:
            name = "RAM:cc%d.pem" % self.index
            self._modem.cert_write(name, _b(certdata))
            self.certfile = name
        elif certfile is not None:
            self.certfile = _module_name(certfile)
        if keydata is not None:
            name = "RAM:ck%d.pem" % self.index
            self._modem.cert_write(name, _b(keydata))
            self.keyfile = name
        elif keyfile is not None:
            self.keyfile = _module_name(keyfile)
        self._sent = None

    def set_ciphers(self, suite):
        self.ciphers = suite

    def socket(self, server_hostname=None):
        """A new SSLSocket on a free ssid, not yet connected."""
        from .socket import SSLSocket

        return SSLSocket(self, server_hostname)

    def transparent(self):
        """A TransparentSocket: connect() opens in transparent mode (data mode)."""
        from .transparent import TransparentSocket

        return TransparentSocket(self)

    def wrap_socket(self, sock, server_hostname=None, server_side=False, **kw):
        """For adafruit_connection_manager: the module does TLS itself, so the plain
        socket handed in is replaced by an SSL socket to the same peer."""
        if server_side:
            raise OSError(EINVAL, "the module is a TLS client only")
        s = self.socket(server_hostname)
        if sock is not None:
            s.settimeout(sock.gettimeout())
            sock.close()
        return s

    # --- the module side ---------------------------------------------------------------------
    @property
    def seclevel(self):
        if self.verify_mode == CERT_NONE:
            return 0
        return 2 if self.certfile is not None else 1

    def _settings(self):
        return (self.version, self.ciphers, self.seclevel, self.cafile, self.certfile, self.keyfile)

    def apply(self):
        """Send the settings that differ from what the module was last told."""
        if self.version not in (SSLv3, TLSv1, TLSv1_1, TLSv1_2, ALL_VERSIONS):
            raise OSError(EINVAL, "version is one of SSLv3, TLSv1, TLSv1_1, TLSv1_2, ALL_VERSIONS")
        if self.ciphers not in _SUITES:
            raise OSError(EINVAL, "ciphers is one suite code of table 2 or ALL_CIPHERS")
        if self.verify_mode != CERT_NONE and self.cafile is None:
            raise OSError(
                EINVAL,
                "server authentication needs a CA: call load_verify_locations(), or set"
                " verify_mode = qssl.CERT_NONE explicitly",
            )
        if (self.certfile is None) != (self.keyfile is None):
            raise OSError(EINVAL, "client authentication needs both a certificate and a key")
        want = self._settings()
        sent = self._sent
        for i in range(6):
            v = want[i]
            if v is None or (sent is not None and sent[i] == v):
                continue
            e = self._begin(_KEYS[i])
            if i == 1:  # the suite: a quoted 0X%04X (ERRATA 6)
                e.add_byte(34)
                e.add_hex4(v)
                e.add_byte(34)
            elif isinstance(v, str):  # a module file name
                e.add_quoted(v.encode())
            else:
                e.add_int(v)
            e.check(e.run(300))
        self._sent = want

    def _begin(self, key):
        e = self._modem.eng
        e.begin(b'AT+QSSLCFG="')
        e.add(key)
        e.add(b'",')
        e.add_int(self.index)
        e.add_byte(44)
        return e

    def _lost(self):
        # The module restarted: its contexts are back to defaults, RAM files are gone.
        self._sent = None
        for attr in ("cafile", "certfile", "keyfile"):
            v = getattr(self, attr)
            if v is not None and v.startswith("RAM:"):
                setattr(self, attr, None)

    def query(self):
        """What the module holds: (sslversion, seclevel, ciphersuite, cacert, clientcert,
        clientkey), from AT+QSSLCFG="ctxindex",<i>."""
        lines = self._modem.query('AT+QSSLCFG="ctxindex",%d' % self.index, "+QSSLCFG:")
        line = lines[0]
        offs = [0] * 16
        n = at.split_fields(line, 9, len(line), offs)

        def s(i):
            return bytes(line[offs[2 * i] : offs[2 * i + 1]]).decode() if i < n else ""

        return (
            at.parse_int(line, offs[2], offs[3]),
            at.parse_int(line, offs[4], offs[5]),
            at.parse_int(line, offs[6], offs[7]),
            s(4),
            s(5),
            s(6),
        )

    def get(self, key):
        """One setting as the module reports it (AT+QSSLCFG="<key>",<i>): int or str."""
        lines = self._modem.query('AT+QSSLCFG="%s",%d' % (key, self.index), "+QSSLCFG:")
        line = lines[0]
        offs = [0] * 8
        n = at.split_fields(line, 9, len(line), offs)
        v = at.parse_int(line, offs[2], offs[3]) if n > 1 else None
        return v if v is not None else bytes(line[offs[2] : offs[3]]).decode()

    # ignorertc is module-wide (ERRATA 4); exposed here too because it is about certs.
    @property
    def ignore_rtc(self):
        return self._modem.get_global("ignorertc") == 1

    @ignore_rtc.setter
    def ignore_rtc(self, value):
        self._modem.set_global("ignorertc", 1 if value else 0)


def _b(data):
    return data.encode() if isinstance(data, str) else data


def _module_name(name):
    if not (name.startswith("RAM:") or name.startswith("NVRAM:")):
        raise OSError(EINVAL, 'module file names are "RAM:<file>" or "NVRAM:CA0|CC0|CK0"')
    return name
