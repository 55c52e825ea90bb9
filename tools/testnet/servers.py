"""Loopback test servers: TLS echo, plain TCP echo and a small HTTPS server.

Each server listens on 127.0.0.1 only, on an ephemeral port, and runs an accept
loop in a daemon thread with one thread per connection (bounded). `start()`
returns the port; `stop()` closes the listener and every live connection and joins
the threads within a few seconds. All are context managers (start on enter).

Every server records what happened in `.sessions` (one dict a connection: peer,
TLS version, cipher, client certificate subject, handshake error, bytes in/out),
so tests can assert what the other end really saw.
"""

import http.server
import io
import socket
import ssl
import threading
import time
import urllib.parse

_ACCEPT_POLL_S = 0.2  # accept() timeout: how quickly stop() is noticed
_IO_TIMEOUT_S = 30.0  # a silent peer is dropped after this long
_HANDSHAKE_TIMEOUT_S = 10.0
_MAX_CONNECTIONS = 32

_VERSIONS = {
    None: None,
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.0": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}

_PATTERN = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n"


def pattern(n, offset=0):
    """The deterministic body of `/big?n=N`: printable bytes, a newline every 63."""
    n = int(n)
    reps = (offset + n) // len(_PATTERN) + 1
    return (_PATTERN * reps)[offset : offset + n]


def _tls_version(v):
    if isinstance(v, ssl.TLSVersion) or v is None:
        return v
    return _VERSIONS[v]


def server_context(cert_path, key_path, client_ca_path=None, min_version=None,
                   max_version=None, ciphers=None):
    """An SSLContext for a test server.

    By default every version and suite this OpenSSL can still do is allowed
    (`@SECLEVEL=0`), so the *client's* settings decide the outcome of a test.
    With `client_ca_path` a client certificate signed by that CA is required.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers(ciphers if ciphers is not None else "ALL:@SECLEVEL=0")
    ctx.minimum_version = _tls_version(min_version) or ssl.TLSVersion.MINIMUM_SUPPORTED
    mx = _tls_version(max_version)
    if mx is not None:
        ctx.maximum_version = mx
    ctx.load_cert_chain(cert_path, key_path)
    if client_ca_path:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(client_ca_path)
    return ctx


class _LoopbackServer:
    """Accept loop plus bounded thread-per-connection bookkeeping."""

    name = "server"

    def __init__(self, port=0, max_connections=_MAX_CONNECTIONS):
        self._want_port = port
        self.port = None
        self._listener = None
        self._accept_thread = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._conns = {}  # thread -> socket
        self._slots = threading.BoundedSemaphore(max_connections)
        self.sessions = []
        self.accepted = 0
        self.errors = []

    # -- lifecycle --------------------------------------------------------
    def start(self):
        if self._listener is not None:
            return self.port
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self._want_port))
        ls.listen(16)
        ls.settimeout(_ACCEPT_POLL_S)
        self._listener = ls
        self.port = ls.getsockname()[1]
        self._stopping.clear()
        t = threading.Thread(target=self._accept_loop, name="%s-accept" % self.name, daemon=True)
        self._accept_thread = t
        t.start()
        return self.port

    def stop(self, timeout=3.0):
        self._stopping.set()
        ls, self._listener = self._listener, None
        if ls is not None:
            try:
                ls.close()
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        if self._accept_thread is not None:
            self._accept_thread.join(max(0.0, deadline - time.monotonic()))
            self._accept_thread = None
        with self._lock:
            items = list(self._conns.items())
        for _, s in items:
            _hard_close(s)
        for t, _ in items:
            t.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def address(self):
        return ("127.0.0.1", self.port)

    def wait_sessions(self, n, timeout=5.0):
        """Wait until at least `n` connections have finished their handshake phase."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.sessions) >= n:
                    return True
            time.sleep(0.01)
        return False

    # -- internals --------------------------------------------------------
    def _accept_loop(self):
        ls = self._listener
        while not self._stopping.is_set():
            try:
                sock, peer = ls.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            if not self._slots.acquire(timeout=_IO_TIMEOUT_S):
                _hard_close(sock)
                continue
            if self._stopping.is_set():
                self._slots.release()
                _hard_close(sock)
                break
            self.accepted += 1
            sock.settimeout(_IO_TIMEOUT_S)
            t = threading.Thread(target=self._run_conn, args=(sock, peer),
                                 name="%s-conn" % self.name, daemon=True)
            with self._lock:
                self._conns[t] = sock
            t.start()

    def _set_conn_socket(self, sock):
        with self._lock:
            self._conns[threading.current_thread()] = sock

    def _run_conn(self, sock, peer):
        try:
            self.handle(sock, peer)
        except Exception as e:  # a test server must never die loudly in a thread
            self.errors.append(repr(e))
        finally:
            with self._lock:
                s = self._conns.pop(threading.current_thread(), sock)
            _hard_close(s)
            if s is not sock:
                _hard_close(sock)
            self._slots.release()

    def _tls_session(self, sock, rec):
        """The server side of the TLS handshake on sock, recorded in rec (version,
        cipher, client certificate subject, error) and in self.sessions. Returns the
        TLS connection, or None when the handshake failed."""
        rec.update(version=None, cipher=None, client_cert=None, error=None)
        sock.settimeout(_HANDSHAKE_TIMEOUT_S)
        try:
            conn = self.context.wrap_socket(sock, server_side=True)
        except (OSError, ssl.SSLError) as e:
            rec["error"] = repr(e)
            with self._lock:
                self.sessions.append(rec)
            return None
        self._set_conn_socket(conn)
        conn.settimeout(_IO_TIMEOUT_S)
        rec["version"] = conn.version()
        c = conn.cipher()
        rec["cipher"] = c[0] if c else None
        pc = conn.getpeercert()
        if pc:
            rec["client_cert"] = dict(x[0] for x in pc.get("subject", ()))
        with self._lock:
            self.sessions.append(rec)
        return conn

    def handle(self, sock, peer):  # pragma: no cover - overridden
        raise NotImplementedError


def _hard_close(s):
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass


class _EchoMixin:
    def _echo(self, conn, rec):
        total = 0
        limit = self.close_after
        while not self._stopping.is_set():
            try:
                data = conn.recv(4096)
            except socket.timeout:
                break
            except (OSError, ssl.SSLError) as e:
                rec["error"] = rec.get("error") or repr(e)
                break
            if not data:
                rec["peer_closed"] = True
                break
            rec["bytes_in"] += len(data)
            rec["data"] += data
            if limit is not None and total + len(data) >= limit:
                data = data[: limit - total]
            try:
                conn.sendall(data)
            except (OSError, ssl.SSLError) as e:
                rec["error"] = rec.get("error") or repr(e)
                break
            total += len(data)
            rec["bytes_out"] = total
            if limit is not None and total >= limit:
                rec["closed_by_server"] = True
                break
        return total


class TcpEchoServer(_EchoMixin, _LoopbackServer):
    """Plain TCP echo. `greeting` is sent on accept; `close_after=N` closes after N bytes echoed."""

    name = "tcp-echo"

    def __init__(self, greeting=b"", close_after=None, port=0):
        super().__init__(port=port)
        self.greeting = greeting
        self.close_after = close_after

    def handle(self, sock, peer):
        rec = {"peer": peer, "bytes_in": 0, "bytes_out": 0, "data": b""}
        with self._lock:
            self.sessions.append(rec)
        if self.greeting:
            sock.sendall(self.greeting)
        self._echo(sock, rec)


class TlsEchoServer(_EchoMixin, _LoopbackServer):
    """TLS echo server.

    cert_path/key_path: the server certificate and key. client_ca_path: require a
    client certificate signed by this CA. min_version/max_version: "TLSv1",
    "TLSv1.1", "TLSv1.2", "TLSv1.3" or ssl.TLSVersion. ciphers: an OpenSSL cipher
    string (TLS 1.2 and below). greeting: bytes sent right after the handshake.
    close_after: close (with close_notify) after echoing that many bytes.
    """

    name = "tls-echo"

    def __init__(self, cert_path, key_path, client_ca_path=None, min_version=None,
                 max_version=None, ciphers=None, close_after=None, greeting=b"", port=0):
        super().__init__(port=port)
        self.context = server_context(cert_path, key_path, client_ca_path,
                                      min_version, max_version, ciphers)
        self.close_after = close_after
        self.greeting = greeting

    def handle(self, sock, peer):
        rec = {"peer": peer, "bytes_in": 0, "bytes_out": 0, "data": b""}
        conn = self._tls_session(sock, rec)
        if conn is None:
            return
        if self.greeting:
            conn.sendall(self.greeting)
        self._echo(conn, rec)
        if rec.get("closed_by_server"):
            try:
                conn.settimeout(1.0)
                conn.unwrap()
            except (OSError, ssl.SSLError, ValueError):
                pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "qssl-testnet/1"
    timeout = _IO_TIMEOUT_S

    def log_message(self, fmt, *args):  # keep test output clean
        pass

    def do_GET(self):
        owner = self.server
        url = urllib.parse.urlsplit(self.path)
        owner.requests.append({"method": "GET", "path": self.path,
                               "headers": dict(self.headers.items())})
        if url.path == "/big":
            q = urllib.parse.parse_qs(url.query)
            try:
                n = int(q.get("n", ["0"])[0])
            except ValueError:
                n = -1
            if not 0 <= n <= 50 * 1024 * 1024:
                return self._reply(400, b"bad n\n")
            return self._reply(200, pattern(n), "application/octet-stream")
        body = owner.routes.get(url.path)
        if body is None:
            body = owner.routes.get(self.path)
        if body is None:
            return self._reply(404, b"not found\n")
        if callable(body):
            body = body(self.path)
        return self._reply(200, body)

    def do_HEAD(self):
        self.do_GET()

    def _reply(self, code, body, ctype="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class HttpsServer(_LoopbackServer):
    """HTTPS (HTTP/1.1, keep-alive, Content-Length) on loopback.

    routes: {"/path": bytes or callable(path) -> bytes}. `/big?n=N` always answers
    `pattern(N)`. Other paths: 404. Every request is recorded in `.requests`.
    Same TLS options as TlsEchoServer.
    """

    name = "https"

    def __init__(self, cert_path, key_path, routes=None, client_ca_path=None,
                 min_version=None, max_version=None, ciphers=None, port=0):
        super().__init__(port=port)
        self.context = server_context(cert_path, key_path, client_ca_path,
                                      min_version, max_version, ciphers)
        self.routes = dict(routes) if routes else {"/": b"hello from qssl testnet\n"}
        self.requests = []

    def handle(self, sock, peer):
        rec = {"peer": peer}
        conn = self._tls_session(sock, rec)
        if conn is None:
            return
        try:
            _Handler(conn, peer, self)
        except (OSError, ssl.SSLError, io.UnsupportedOperation) as e:
            rec["error"] = repr(e)


__all__ = ["TlsEchoServer", "TcpEchoServer", "HttpsServer", "server_context", "pattern"]
