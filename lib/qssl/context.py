# One of the module's 6 SSL contexts (AT+QSSLCFG), shaped like CPython's ssl.SSLContext.
# Settings are kept here and sent before the next connect (or by apply()); query()
# reads back what the module holds. Before every connect, ensure() reads them back and
# repairs what a restart (seen or not) took away: never weaker than asked.
from qssl.compat import const, ticks_ms, ticks_add, ticks_diff, clamp_ms, EINVAL, ENOTCONN, ETIMEDOUT
import qssl.at as at
import qssl.check as check
from qssl.socket import SSLSocket

# transparent.py and certs.py load on first use (RAM on small boards).

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

CERT_NONE = const(0)
CERT_REQUIRED = const(2)


class SSLContext:
    """One of the module's six SSL contexts (AT+QSSLCFG), shaped like CPython's
    ssl.SSLContext: version, ciphers, verify_mode, the CA and client certificate. Made by
    modem.ssl_context(i); secure by default (TLS 1.2, server authentication)."""

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
        self.diagnose = True  # after a failed open, find out why (qssl/diagnose.py)
        self._data = [None, None, None]  # type: list[bytes | None]  # what we uploaded as cafile/certfile/keyfile, to upload again
        self._sent = None  # the settings tuple last sent to the module

    # --- CPython ssl.SSLContext shape -----------------------------------------------------
    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        """Upload the CA certificate (PEM text or bytes) and use it for server
        authentication. cafile may name a module file already there ("RAM:x"/"NVRAM:CA0")."""
        import qssl.certs as certs

        certs.load_ca(self, cafile, cadata)

    def load_cert_chain(self, certdata, keydata=None, certfile=None, keyfile=None):
        """Upload the client certificate and key (PEM) for client authentication.
        certfile/keyfile may name module files already there instead."""
        import qssl.certs as certs

        certs.load_chain(self, certdata, keydata, certfile, keyfile)

    def set_ciphers(self, suite):
        """The same as ctx.ciphers = suite (one suite code, or ALL_CIPHERS)."""
        self.ciphers = suite

    def socket(self, server_hostname=None):
        """A new SSLSocket on a free ssid, not yet connected."""
        return SSLSocket(self, server_hostname)

    def transparent(self):
        """A TransparentSocket: connect() opens in transparent mode (data mode)."""
        from qssl.transparent import TransparentSocket

        return TransparentSocket(self)

    def wrap_socket(self, sock, server_hostname=None, server_side=False, **kw):
        """For adafruit_connection_manager: the module does TLS itself, so the plain
        socket handed in (not yet connected) is replaced by an SSL socket."""
        if server_side:
            raise OSError(EINVAL, "the module is a TLS client only")
        if sock is not None and getattr(sock, "_state", 0) != 0:
            raise OSError(
                ENOTCONN,
                "wrap_socket() takes an unconnected socket: the module does TLS itself when it"
                " connects. Use ctx.wrap_socket(pool.socket()).connect(addr), or"
                " ctx.socket().connect(addr)",
            )
        s = self.socket(server_hostname)
        if sock is not None:
            s.settimeout(sock.gettimeout())
            sock.close()
        return s

    # --- the module side ---------------------------------------------------------------------
    @property
    def seclevel(self):
        """The module's <seclevel> these settings give: 0 none, 1 server, 2 server and client."""
        if self.verify_mode == CERT_NONE:
            return 0
        return 2 if self.certfile is not None else 1

    def _settings(self):
        return (self.version, self.ciphers, self.seclevel, self.cafile, self.certfile, self.keyfile)

    def _validate(self):
        # The allowed values inline, not as module globals: the module's dict stays a
        # size step smaller (issue 11).
        check.one_of(self.version, "version", (0, 1, 2, 3, 4))
        check.one_of(self.ciphers, "ciphers", (0x0035, 0x002F, 0x0005, 0x0004, 0x000A, 0x003D, 0xFFFF))
        check.one_of(self.verify_mode, "verify_mode", (CERT_NONE, CERT_REQUIRED))
        if self.verify_mode != CERT_NONE and self.cafile is None:
            raise OSError(
                EINVAL,
                "server authentication needs a CA: call load_verify_locations(), or set"
                " verify_mode = qssl.CERT_NONE explicitly",
            )
        if (self.certfile is None) != (self.keyfile is None):
            raise OSError(EINVAL, "client authentication needs both a certificate and a key")
        if self.check_hostname:
            # Asked for (a program written for CPython's ssl): connecting without it would
            # be weaker than asked, and the module cannot check names.
            raise OSError(EINVAL, "check_hostname: the module verifies the chain, not the host"
                          " name; set check_hostname = False")

    def apply(self, timeout_ms=5000):
        """Send the settings that differ from what the module was last told."""
        self._validate()
        self._send(self._sent, timeout_ms)

    def _send(self, have, timeout_ms):
        # timeout_ms bounds all the commands together, not each one (None: no bound).
        dl = ticks_add(ticks_ms(), clamp_ms(timeout_ms))
        want = self._settings()
        for i in range(6):
            v = want[i]
            if v is None or (have is not None and have[i] == v):
                continue
            e = self._modem.eng
            e.begin(b'AT+QSSLCFG="')
            e.add(_KEYS[i])
            e.add(b'",')
            e.add_int(self.index)
            e.add_byte(44)
            if i == 1:  # the suite: a quoted 0X%04X (ERRATA 6)
                e.add_byte(34)
                e.add_hex4(v)
                e.add_byte(34)
            elif isinstance(v, str):  # a module file name
                e.add_quoted(v.encode())
            else:
                e.add_int(v)
            left = ticks_diff(dl, ticks_ms())
            if left <= 0:
                raise OSError(ETIMEDOUT, "timed out setting up SSL context %d" % self.index)
            e.check(e.run(left))
        self._sent = want

    def ensure(self, timeout_ms=30000):
        """Before a connect: read back what the module holds for this context and repair
        it. A module that restarted (seen or not) has seclevel 0 and no RAM files; the
        files are checked and uploaded again from what this context was given, the
        settings sent again. Raises rather than connect with less than was asked."""
        self._validate()
        t0 = ticks_ms()
        have = self._read_back(timeout_ms)
        if have == self._settings():
            return
        if self.cafile or self.certfile or self.keyfile:
            import qssl.certs as certs

            certs.restore(self)  # files a restart took away, uploaded again
        self._send(have, clamp_ms(timeout_ms) - ticks_diff(ticks_ms(), t0))

    def recheck(self, timeout_ms=5000):
        """After a connect during which something happened that may hide a restart: the
        connection is only kept if the settings were in force."""
        if self._read_back(timeout_ms) != self._settings():
            raise OSError(ENOTCONN, "the module restarted while connecting: settings were not in"
                          " force, the connection was dropped; connect again")

    def explain_failure(self, host, port, timeout_ms):
        """The OSError for a failed open to (host, port), saying why: name, TCP or TLS."""
        from qssl.diagnose import open_failure

        return open_failure(self, host, port, timeout_ms)

    def _read_back(self, timeout_ms=5000):
        v = self.query(timeout_ms)
        # The query's order is (version, seclevel, suite, ca, cert, key); ours puts the suite second.
        return (v[0], v[2], v[1], v[3] or None, v[4] or None, v[5] or None)

    def query(self, timeout_ms=5000):
        """What the module holds: (sslversion, seclevel, ciphersuite, cacert, clientcert,
        clientkey), from AT+QSSLCFG="ctxindex",<i>."""
        line = self._modem.query_line(b'AT+QSSLCFG="ctxindex",%d' % self.index, b"+QSSLCFG:", timeout_ms)
        offs = [0] * 16
        n = at.split_fields(line, 9, len(line), offs)

        def s(i):
            return at.text(line, offs[2 * i], offs[2 * i + 1]) if i < n else ""

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
        if not isinstance(key, str) or key.encode() not in _KEYS:
            raise OSError(EINVAL, "not a context setting: %r" % (key,))
        line = self._modem.query_line(b'AT+QSSLCFG="%s",%d' % (key.encode(), self.index), b"+QSSLCFG:")
        offs = [0] * 8
        n = at.split_fields(line, 9, len(line), offs)
        v = at.parse_int(line, offs[2], offs[3]) if n > 1 else None
        return v if v is not None else at.text(line, offs[2], offs[3])

    # ignorertc is module-wide (ERRATA 4); exposed here too because it is about certs.
    @property
    def ignore_rtc(self):
        """Module-wide: True when certificate dates are not checked against the module clock."""
        return self._modem.get_global("ignorertc") == 1

    @ignore_rtc.setter
    def ignore_rtc(self, value):
        self._modem.set_global("ignorertc", 1 if value else 0)
