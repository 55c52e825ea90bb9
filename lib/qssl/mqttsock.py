# Sockets over the modem for MQTT clients that bring their own socket module, on either
# TLS path, and TLS from MicroPython's ssl (mbedTLS) over the module's plain TCP in one call.
#
# umqtt.simple does `import usocket as socket`, then socket.socket(),
# socket.getaddrinfo(host, port)[0][-1] and sock.connect(addr), and it relies on
# MicroPython stream semantics: a blocking read(n) returns n bytes (fewer only at the
# end of the stream) and write(buf, n) writes the first n bytes of buf. SocketModule
# has that shape; give it to the client in place of its socket module:
#
#   from umqtt import simple
#   from qssl import mqttsock
#   # the module's own TLS (a context with the CA and the client certificate uploaded):
#   simple.socket = mqttsock.SocketModule(modem, ssl_context=ctx)
#   # or mbedTLS over the module's TCP (ECDHE, AES-GCM, the host name checked):
#   simple.socket = mqttsock.SocketModule(modem, tls=mqttsock.tls_context(ca_pem))
#   c = simple.MQTTClient("id", "broker.example.com", port=8883, keepalive=30)
#   c.connect()   # leave ssl=False: the socket is TLS already
#
# Blocking reads wait at most `timeout` seconds (then ETIMEDOUT), so a link that died
# silently surfaces as an error instead of a hang.
import binascii

from qssl.compat import IOBase, sleep_ms, ticks_ms, ticks_add, ticks_diff, clamp_ms
from qssl.compat import EAGAIN, EINVAL, ETIMEDOUT, ECONNABORTED, ENOTCONN
from qssl.stream import writable_bytes
import qssl.check as check

AF_INET = 2
SOCK_STREAM = 1
IPPROTO_TCP = 6
_POLL = 3  # MicroPython stream ioctl numbers
_CLOSE = 4
_HUP_ERR = 24  # POLLHUP | POLLERR


def der(pem):
    """The DER bytes of the first PEM block (certificate or key) in pem (str or bytes).
    MicroPython's ssl takes DER only; DER handed in is returned as it is."""
    if isinstance(pem, str):
        pem = pem.encode()
    start = pem.find(b"-----BEGIN")
    if start < 0:
        return bytes(pem)
    body = pem.find(b"\n", start)
    end = pem.find(b"-----END", body)
    if body < 0 or end < 0:
        raise ValueError("PEM block without an END line")
    return binascii.a2b_base64(pem[body + 1 : end].replace(b"\r", b"").replace(b"\n", b""))


def tls_context(cadata, certdata=None, keydata=None):
    """MicroPython's ssl.SSLContext for a client: the server's chain verified against
    cadata (PEM or DER) and its name checked when wrap_socket gets server_hostname;
    certdata/keydata (PEM or DER) for client authentication."""
    import ssl

    if not cadata:
        raise OSError(EINVAL, "give the CA that signed the server's certificate (cadata)")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=der(cadata))
    if certdata is not None or keydata is not None:
        if certdata is None or keydata is None:
            raise OSError(EINVAL, "client authentication needs both a certificate and a key")
        ctx.load_cert_chain(der(certdata), der(keydata))
    return ctx


def wrap(tls, tcp, server_hostname):
    """tls.wrap_socket(tcp) with the handshake's failures as OSError: ECONNABORTED for a
    refused certificate or a failed handshake (the reason in the text); errors of the
    TCP socket itself (ETIMEDOUT, ECONNRESET) pass through. tcp is closed on failure."""
    try:
        return tls.wrap_socket(tcp, server_hostname=server_hostname)
    except ValueError as e:  # mbedTLS: a certificate it refused
        why = _text(e)
    except OSError as e:
        if e.args and isinstance(e.args[0], int) and e.args[0] > 0:
            tcp.close()
            raise
        why = _text(e)  # mbedTLS's own (negative) codes
    except BaseException:  # MemoryError: mbedTLS could not get its buffers
        tcp.close()
        raise
    tcp.close()
    raise OSError(ECONNABORTED, "TLS handshake with %s failed: %s" % (server_hostname, why))


def connect_tls(modem, address, tls, server_hostname=None, timeout=30):
    """TLS from `tls` (tls_context()) over a new TCP socket of the modem, connected to
    address = (host, port): the shape of CPython's
    ctx.wrap_socket(socket.create_connection(address, timeout), server_hostname=host).
    The name checked is server_hostname, else the host of address."""
    tcp = modem.tcp_socket()
    tcp.settimeout(timeout)
    try:
        tcp.connect(address)
    except OSError:
        tcp.close()
        raise
    return wrap(tls, tcp, server_hostname or address[0])


def _text(e):
    return " ".join(str(a).strip() for a in e.args) if e.args else repr(e)


class SocketModule:
    """The part of a `socket` module an MQTT client uses, opening through the modem.
    ssl_context: a qssl SSLContext (the module's TLS); tls: an ssl.SSLContext (mbedTLS
    over the module's TCP, e.g. tls_context()); neither: plain TCP."""

    AF_INET = AF_INET
    SOCK_STREAM = SOCK_STREAM
    IPPROTO_TCP = IPPROTO_TCP

    def __init__(self, modem, ssl_context=None, tls=None, timeout=30):
        if ssl_context is not None and tls is not None:
            raise OSError(EINVAL, "give ssl_context (module TLS) or tls (mbedTLS), not both")
        self.modem = modem
        self.ssl_context = ssl_context
        self.tls = tls
        self.timeout = timeout

    def getaddrinfo(self, host, port, *args):
        """The name itself: the module resolves it when it connects."""
        # The module resolves names when it connects: hand the name back.
        return [(AF_INET, SOCK_STREAM, IPPROTO_TCP, "", (host, port))]

    def socket(self, *args):
        """A new Socket over the modem (module TLS or mbedTLS, as this module was made)."""
        return Socket(self)


class Socket(IOBase):
    """A connection as umqtt.simple uses it: connect(), read(n), write(buf, n),
    setblocking(), close(); poll()-able on MicroPython."""

    def __init__(self, owner):
        self._o = owner
        self._s = None  # what carries the bytes: a qssl socket, or mbedTLS over one
        self._timeout = owner.timeout
        self._poller = None  # for poll() on an mbedTLS socket (no ioctl method of its own)
        self._block = True

    def connect(self, address):
        """Connect to (host, port); with mbedTLS, also run the TLS handshake."""
        o = self._o
        if self._s is not None:
            raise OSError(EINVAL, "already connected")
        if o.tls is not None:
            self._s = connect_tls(o.modem, address, o.tls, timeout=self._timeout)  # pyright: ignore[reportArgumentType]  (seconds or None)
            return
        raw = o.ssl_context.socket() if o.ssl_context is not None else o.modem.tcp_socket()
        raw.settimeout(self._timeout)
        try:
            raw.connect(address)
        except OSError:
            raw.close()
            raise
        self._s = raw

    def settimeout(self, t):
        """None blocks, 0 is non-blocking, else seconds."""
        self._timeout = check.timeout(t)
        self._block = t != 0

    def cipher(self):
        """(suite, version) mbedTLS negotiated; None on the module's TLS (it does not say)."""
        c = getattr(self._s, "cipher", None)
        return c() if c is not None else None

    def setblocking(self, flag):
        """setblocking(False) = settimeout(0)."""
        self._block = bool(flag)

    def _need(self):
        if self._s is None:
            raise OSError(ENOTCONN, "socket is not connected")
        return self._s

    def readinto(self, buf, n=-1):
        """Up to n bytes (all of buf by default). Blocking: at least one byte, 0 at the
        end of the stream, ETIMEDOUT after the timeout; non-blocking: None when nothing
        is there."""
        s = self._need()
        mv = memoryview(writable_bytes(buf))
        if 0 <= n < len(mv):
            mv = mv[:n]
        if not len(mv):
            return 0
        # Never block inside the socket (and so never inside mbedTLS): wait here.
        s.setblocking(False)
        got = s.readinto(mv)
        if got is not None or not self._block:
            return got
        t = self._timeout
        end = ticks_add(ticks_ms(), clamp_ms(t * 1000)) if t is not None else 0  # a huge t: 37 h
        while True:
            sleep_ms(1)
            got = s.readinto(mv)
            if got is not None:
                return got
            if t is not None and ticks_diff(end, ticks_ms()) <= 0:
                raise OSError(ETIMEDOUT, "no data within %s s" % t)

    def read(self, n=-1):
        """Blocking: n bytes, fewer only at the end of the stream (MicroPython stream
        semantics); n < 0 reads to the end. Non-blocking: what is there, None if nothing."""
        if n is None or n < 0:
            n = 0x3FFFFFFF  # "all": the largest small int on a 32-bit board
        buf = bytearray(n if n < 4096 else 4096)
        out = bytearray()
        while len(out) < n:
            want = n - len(out)
            got = self.readinto(buf, want if want < len(buf) else len(buf))
            if got is None:
                return bytes(out) if out else None
            if not got:
                break
            out.extend(memoryview(buf)[:got])
            if not self._block:
                break
        return bytes(out)

    def recv(self, n):
        """Up to n bytes; b"" at end of stream."""
        buf = bytearray(n)
        got = self.readinto(buf)
        if got is None:
            raise OSError(EAGAIN, "no data yet")
        return bytes(memoryview(buf)[:got])

    def write(self, buf, n=-1):
        """Write buf (its first n bytes when n is given); returns the count."""
        s = self._need()
        if isinstance(buf, str):
            buf = buf.encode()
        buf = check.payload(buf)  # array.array: counted in bytes; a list raises TypeError
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError("n must be an int")
        if 0 <= n < len(buf):
            buf = memoryview(buf)[:n]
        s.setblocking(True)
        s.write(buf)
        return len(buf)

    def send(self, buf):
        """The same as write(buf)."""
        return self.write(buf)

    def sendall(self, buf):
        """Write all of buf."""
        self.write(buf)

    def close(self):
        """Close the connection (and the TLS session over it)."""
        s, self._s = self._s, None
        self._poller = None
        if s is not None:
            s.close()

    def ioctl(self, req, arg):
        if req == _CLOSE:
            self.close()
            return 0
        if req != _POLL:
            return -EINVAL
        s = self._s
        if s is None:
            return _HUP_ERR
        if hasattr(s, "ioctl"):  # a qssl socket
            return s.ioctl(req, arg)
        if self._poller is None:
            import select

            self._poller = select.poll()
            self._poller.register(s, 1 | 4)  # POLLIN | POLLOUT
        ev = self._poller.poll(0)
        return (ev[0][1] & (arg | _HUP_ERR)) if ev else 0

    def __enter__(self):
        """with Socket(...) as s: closes it on leaving the block."""
        return self

    def __exit__(self, *exc):
        self.close()
