"""CPython's TLS over a qssl socket: ssl.SSLObject fed through two ssl.MemoryBIOs, the
CPython counterpart of MicroPython's ssl wrapping modem.tcp_socket(). Host tests use it
to run the mbedTLS-path flows on CPython.

    ctx = ssl.create_default_context(cadata=ca_pem)    # check_hostname, CERT_REQUIRED
    s = BioTls(ctx, modem.tcp_socket(), "example.com")  # the TCP socket connected first
    s.do_handshake(); s.sendall(b"..."); s.recv_into(buf)

Reads and writes go through the qssl socket's recv_into/sendall, so its timeout is the
timeout; a closed peer is the end of the stream.
"""
import ssl

_CHUNK = 1460


class BioTls:
    def __init__(self, context, sock, server_hostname):
        self.sock = sock
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self.obj = context.wrap_bio(self._in, self._out, server_side=False,
                                    server_hostname=server_hostname)
        self._buf = bytearray(_CHUNK)

    def _flush(self):
        data = self._out.read()
        if data:
            self.sock.sendall(data)

    def _fill(self):
        n = self.sock.recv_into(self._buf)
        if not n:
            self._in.write_eof()
        else:
            self._in.write(bytes(self._buf[:n]))

    def _run(self, op, *args):
        while True:
            try:
                result = op(*args)
            except ssl.SSLWantReadError:
                self._flush()
                self._fill()
                continue
            self._flush()
            return result

    def do_handshake(self):
        self._run(self.obj.do_handshake)

    def cipher(self):
        return self.obj.cipher()

    def version(self):
        return self.obj.version()

    def sendall(self, data):
        view = memoryview(data)
        while view:
            n = self._run(self.obj.write, view[:16384])
            view = view[n:]

    def recv_into(self, buf, nbytes=0):
        n = nbytes or len(buf)
        try:
            data = self._run(self.obj.read, n)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            return 0
        buf[: len(data)] = data
        return len(data)

    def recv(self, n):
        b = bytearray(n)
        return bytes(b[: self.recv_into(b)])

    def settimeout(self, t):
        self.sock.settimeout(t)

    def close(self):
        try:
            self.obj.unwrap()  # close_notify; the peer's answer is not waited for
        except (ssl.SSLError, ValueError):
            pass
        try:
            self._flush()
        except OSError:
            pass
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
