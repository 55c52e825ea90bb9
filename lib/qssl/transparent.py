# Transparent mode (AT+QSSLOPEN ...,1): after CONNECT every byte on the UART is
# payload, both ways, until "+++" (1000 ms of silence before and after, ERRATA 20)
# returns to command mode; ATO goes back. While in data mode no command can run.
from .compat import const, sleep_ms, ticks_ms, ticks_add, ticks_diff, EINVAL, ENOTCONN, ETIMEDOUT, ECONNABORTED
from . import at
from .socket import SSLSocket
from .stream import S_NEW, S_CONNECTED, S_CLOSED
from .modem import DEAD_PEER

_GUARD_MS = const(1000)
_LINK_CLOSED = b"\r\nCLOSED\r\n"  # the module leaves data mode by itself when the link breaks
_ESCAPED = b"\r\nOK\r\n"


class TransparentSocket(SSLSocket):
    def __init__(self, ctx):
        super().__init__(ctx)
        self.data_mode = False
        self._pending = bytearray()  # payload that arrived around an escape
        self._eof = False

    def connect(self, address):
        host, port = address
        if self._state != S_NEW:
            raise OSError(EINVAL, "socket already used")
        self.context.apply()
        m = self._m
        e = self._e
        self._id = m.claim(self)
        secs = self._open_secs()
        self._open_cmd(host, port, secs, 1)
        try:
            kind = e.run(5000)
            if kind == at.K_OK:
                kind = e.wait(secs * 1000 + 5000)
            if kind != at.K_CONNECT:
                raise OSError(ECONNABORTED, "transparent connection to %s:%d failed" % (host, port))
        except OSError:
            m.release(self._id)
            self._id = -1
            self._state = S_CLOSED
            raise
        self._peer = (host, port)
        self._state = S_CONNECTED
        self._enter_data()

    def _enter_data(self):
        e = self._e
        e.p.mode = at.M_DATA
        e.hold = True
        self.data_mode = True
        r = e.ring
        # CONNECT ended at its CR; the LF that belongs to it may be the next byte.
        if e.p._skip_lf:
            deadline = ticks_add(ticks_ms(), 100)
            while not r.count and ticks_diff(deadline, ticks_ms()) > 0:
                r.fill(e.port)
            if r.count and r.buf[r.head] == 10:
                r.consume(1)
            e.p._skip_lf = False

    # --- data ------------------------------------------------------------------------------
    def _fetch(self, buf, n):
        if self._pending:
            k = min(n, len(self._pending))
            buf[0:k] = self._pending[:k]
            self._pending = self._pending[k:]
            return k
        if not self.data_mode:
            if self._eof:
                return 0
            raise OSError(ENOTCONN, "not in data mode: call resume()")
        r = self._e.ring
        self._start_deadline(0)
        while not r.count:
            if not r.fill(self._e.port):
                if self._tms == 0:
                    return None
                if self._tms > 0 and ticks_diff(self._dl, ticks_ms()) <= 0:
                    raise OSError(ETIMEDOUT, "timed out")
                sleep_ms(1)
        if self._link_closed():
            return self._fetch(buf, n) if self._pending else 0
        k = r.contiguous()
        if k > n:
            k = n
        h = r.head
        buf[0:k] = r.mv[h : h + k]
        r.consume(k)
        return k

    def _link_closed(self):
        # "\r\nCLOSED\r\n" at the very end of what arrived, then silence: the link broke
        # and the module is back in command mode. Anything before it is payload.
        r = self._e.ring
        if r.count < len(_LINK_CLOSED) or r.count > r.size - r.head:
            return False
        end = r.head + r.count
        if r.buf[end - len(_LINK_CLOSED) : end] != _LINK_CLOSED:
            return False
        sleep_ms(100)
        if r.fill(self._e.port):
            return False
        self._pending += r.buf[r.head : end - len(_LINK_CLOSED)]
        r.consume(r.count)
        self._leave_data()
        self._eof = True
        self._m._mark_dead(self._id, DEAD_PEER)
        return True

    def _send_at(self, data, off, n):
        if not self.data_mode:
            raise OSError(ENOTCONN, "not in data mode: call resume()")
        self._e.write(data, off, n)
        return n

    def send(self, data):
        return self._send_at(data, 0, len(data))

    def sendall(self, data):
        self._send_at(data, 0, len(data))

    # --- command mode and back -----------------------------------------------------------
    def _leave_data(self):
        e = self._e
        e.p.reset()
        e.hold = False
        self.data_mode = False

    def escape(self):
        """+++ with the guard times: back to command mode (the connection stays).
        Payload that arrives meanwhile is kept for the next reads."""
        if not self.data_mode:
            return
        e = self._e
        r = e.ring
        sleep_ms(_GUARD_MS)
        e.write(b"+++", 0, 3)
        sleep_ms(_GUARD_MS)
        got = bytearray()
        deadline = ticks_add(ticks_ms(), 3000)
        while not got.endswith(_ESCAPED):
            r.fill(e.port)
            while r.count:
                k = r.contiguous()
                got += r.mv[r.head : r.head + k]
                r.consume(k)
            if ticks_diff(deadline, ticks_ms()) <= 0:
                self._pending += got
                raise OSError(ETIMEDOUT, "no OK after +++")
            sleep_ms(5)
        self._pending += got[: len(got) - len(_ESCAPED)]
        self._leave_data()

    def resume(self):
        """ATO: back to data mode."""
        if self.data_mode:
            return
        if self._state != S_CONNECTED or self._m.dead[self._id]:
            raise OSError(ENOTCONN, "connection is closed")
        kind = self._e.command(b"ATO", 5000)
        if kind != at.K_CONNECT:
            self._e.fail(kind)
        self._enter_data()

    def close(self):
        if self._state == S_CONNECTED and self.data_mode:
            try:
                self.escape()
            except OSError:
                self._leave_data()
        if self._state == S_CONNECTED:
            if not self._m.dead[self._id]:
                e = self._e
                e.begin(b"AT+QSSLCLOSE=")
                e.add_int(self._id)
                try:
                    e.run(5000)
                except OSError:
                    pass
            self._m.release(self._id)
        self._id = -1
        self._state = S_CLOSED

    def ioctl(self, req, arg):
        if req == 3 and self.data_mode:
            r = self._e.ring
            r.fill(self._e.port)
            return (arg & 1 if (r.count or self._pending) else 0) | (arg & 4)
        return super().ioctl(req, arg)
