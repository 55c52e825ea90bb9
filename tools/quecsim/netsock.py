"""Real TCP / TLS connections, one I/O thread each.

The thread connects (and handshakes), then moves bytes: what the worker queued
with send() goes to the peer, what the peer sends is posted to the worker as an
event. Only the I/O thread touches the socket (OpenSSL objects are not shared
between threads). Events posted: ("opened", conn, ok, reason),
("data", conn, bytes), ("peer_closed", conn).
"""
import collections
import os
import select
import socket
import ssl
import threading
import time

from . import tlsconfig


class Conn:
    def __init__(self, idx, is_ssl, host, port, target, post, tls=None, transparent=False, timeout=90.0):
        self.idx = idx
        self.is_ssl = is_ssl
        self.host = host
        self.port = port
        self.target = target  # (ip, port) really dialed; None when unroutable
        # the peer address the module reports: an IP literal as dialed, a name as
        # "resolved" through the route table
        self.ip = host if _is_ip(host) or not target else target[0]
        self.transparent = transparent
        self.state = "CONNECTING"  # CONNECTING, CONNECTED, CLOSED
        self.rx = bytearray()  # owned by the worker
        self.tls = tls  # (SSLContext, ca_bytes, ignorertc, clock_fn) or a TlsConfigError
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.opened_reported = False
        self._post = post
        self._sendq = collections.deque()
        self._lock = threading.Lock()
        self._closing = False
        self._wr, self._ww = os.pipe()
        os.set_blocking(self._wr, False)
        os.set_blocking(self._ww, False)
        self._thread = None
        self.sock = None

    # --- worker side ---------------------------------------------------------------
    def start(self):
        self._thread = threading.Thread(target=self._run, name="quecsim-conn%d" % self.idx, daemon=True)
        self._thread.start()

    def send(self, data):
        with self._lock:
            if self._closing:
                return False
            self._sendq.append(bytes(data))
        self._wake()
        return True

    def close(self):
        with self._lock:
            if self._closing:
                return
            self._closing = True
        if self.state == "CONNECTING" and self.sock is not None:
            # abort a connect or handshake in progress (the fd only, not the SSL object)
            try:
                socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
            except OSError:
                pass
        self._wake()

    def join(self, timeout=2.0):
        if self._thread:
            self._thread.join(timeout)

    def _wake(self):
        try:
            os.write(self._ww, b"x")
        except OSError:
            pass

    # --- I/O thread -------------------------------------------------------------------
    def _run(self):
        try:
            ok, reason = self._connect()
            if self._closing:
                ok = False
            self._post(("opened", self, ok, reason))
            if ok:
                self._pump()
        finally:
            if self.sock is not None:
                try:
                    self.sock.close()
                except OSError:
                    pass
            for fd in (self._wr, self._ww):
                try:
                    os.close(fd)
                except OSError:
                    pass

    def _left(self):
        return max(0.05, self.deadline - time.monotonic())

    def _connect(self):
        if self.target is None:
            return False, "no route"
        if isinstance(self.tls, Exception):
            # Like a module: the TCP connect happens, then the handshake fails.
            try:
                s = socket.create_connection(self.target, timeout=self._left())
                s.close()
            except OSError:
                pass
            return False, str(self.tls)
        try:
            raw = socket.create_connection(self.target, timeout=self._left())
        except OSError as e:
            return False, "connect: %s" % e
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = raw
        if not self.is_ssl:
            return True, ""
        ctx, ca, ignorertc, clock = self.tls
        sni = None if _is_ip(self.host) else self.host
        try:
            s = ctx.wrap_socket(raw, server_hostname=sni, do_handshake_on_connect=False)
            self.sock = s
            s.settimeout(self._left())
            s.do_handshake()
        except (OSError, ssl.SSLError, ValueError) as e:
            return False, "handshake: %s" % e
        if ctx.verify_mode != ssl.CERT_NONE and not ignorertc:
            try:
                good = tlsconfig.check_dates(s.getpeercert(binary_form=True), ca, clock())
            except Exception:  # any parse failure is a failed check
                good = False
            if not good:
                return False, "certificate not valid at the module's clock"
        return True, ""

    def _pump(self):
        s = self.sock
        s.setblocking(False)
        pending = None  # bytes being written
        while not self._closing:
            with self._lock:
                if pending is None and self._sendq:
                    pending = self._sendq.popleft()
            if self.is_ssl and s.pending():
                t = 0
            else:
                t = 0.5
            try:
                r, w, _ = select.select([s, self._wr], [s] if pending else [], [], t)
            except (OSError, ValueError):
                break
            if self._wr in r:
                try:
                    os.read(self._wr, 4096)
                except OSError:
                    pass
            if s in r or (self.is_ssl and s.pending()):
                while True:
                    try:
                        data = s.recv(16384)
                    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError, InterruptedError):
                        break
                    except (OSError, ssl.SSLError):
                        data = b""
                    if not data:
                        if not self._closing:
                            self._post(("peer_closed", self))
                        return
                    self._post(("data", self, data))
            if pending and s in w:
                try:
                    n = s.send(pending)
                    pending = pending[n:] or None
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError, InterruptedError):
                    pass
                except (OSError, ssl.SSLError):
                    if not self._closing:
                        self._post(("peer_closed", self))
                    return


def _is_ip(host):
    try:
        socket.inet_aton(host)
        return host.count(".") == 3
    except OSError:
        return False
