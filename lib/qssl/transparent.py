# Transparent mode (AT+QSSLOPEN ...,1): after CONNECT every byte on the UART is
# payload, both ways, until "+++" (1000 ms of silence before and after, ERRATA 20)
# returns to command mode; ATO goes back. While in data mode no command can run.
#
# The engine's data_mode flag says the module may be in data mode: whenever this
# socket stops knowing (a link that looks closed, an escape without its OK), the next
# command resyncs, which escapes first, so no command is ever sent as payload.
from qssl.compat import const, sleep_ms, ticks_ms, ticks_add, ticks_diff, EINVAL, ENOTCONN, ETIMEDOUT, ECONNABORTED, EOPNOTSUPP
import qssl.check as check
from qssl.socket import SSLSocket

# Constants of other modules, as private copies: folded into the bytecode, no globals
# (tests_host/test_shared_consts.py checks each against its source).
_DEAD_PEER = const(1)
_F_CONNECT = const(0x110C)
_F_OK = const(0x2)
_K_CONNECT = const(8)
_K_OK = const(1)
_M_DATA = const(2)
_S_CLOSED = const(2)
_S_CONNECTED = const(1)
_S_NEW = const(0)


_LINK_CLOSED = b"\r\nCLOSED\r\n"  # the module leaves data mode by itself when the link breaks
_ESCAPED = b"\r\nOK\r\n"


class TransparentSocket(SSLSocket):
    """An SSL connection in transparent mode: after connect() every UART byte is payload
    until escape() ("+++" between guard times); resume() goes back (ATO)."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.data_mode = False
        self._pending = bytearray()  # payload that arrived around an escape
        self._eof = False

    def connect(self, address):
        host, port = check.address(address)
        if self._state != _S_NEW:
            raise OSError(EINVAL, "socket already used")
        self._start_deadline(120000)
        self._m.prepare_connect(self._cmd_ms(120000))
        self.context.ensure(self._cmd_ms(30000))
        s = self._m.slots
        e = self._m.eng
        self._id = s.claim(self)
        secs = self._open_secs()
        self._open_cmd(host, port, secs, 1)
        try:
            kind = e.run(self._cmd_ms(5000), None, _F_CONNECT | _F_OK)  # OK, then CONNECT
            if kind == _K_OK:
                kind = e.wait(self._rest_ms(secs * 1000 + 5000), _F_CONNECT)
            if kind != _K_CONNECT:
                raise OSError(ECONNABORTED, "transparent connection to %s:%d failed" % (host.decode(), port))
        except OSError as ex:
            if ex.errno == ETIMEDOUT:
                # CONNECT may still come: then the module is in data mode.
                e.data_mode = True
                e.unsure = True
            s.release(self._id)
            self._id = -1
            self._state = _S_CLOSED
            raise
        self._peer = (host.decode(), port)
        self._state = _S_CONNECTED
        self._enter_data()

    def connect_start(self, address):
        # Inherited, it would open a non-transparent connection (aio.connect calls it).
        raise OSError(EOPNOTSUPP, "a transparent socket connects with connect() only")

    def _enter_data(self):
        e = self._m.eng
        e.p.mode = _M_DATA
        e.hold = True
        e.data_mode = True
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
        r = self._m.eng.ring
        self._start_deadline(0)
        while not r.count:
            if not r.fill(self._m.eng.port):
                if self._tms == 0:
                    return None
                if self._expired():
                    raise OSError(ETIMEDOUT, "timed out")
                r.nap(1)
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
        # "\r\nCLOSED\r\n" at the very end of what arrived, then silence: the link
        # broke and the module went back to command mode -- or the payload ended that
        # way. Either way it reads as end of stream, and the module is not trusted to be
        # in command mode: the next command resyncs (escape, then sync).
        r = self._m.eng.ring
        if r.count < len(_LINK_CLOSED) or r.count > r.size - r.head:
            return False
        end = r.head + r.count
        if r.buf[end - len(_LINK_CLOSED) : end] != _LINK_CLOSED:
            return False
        sleep_ms(100)
        if r.fill(self._m.eng.port):
            return False
        self._pending += r.buf[r.head : end - len(_LINK_CLOSED)]
        r.consume(r.count)
        self._leave_data()
        e = self._m.eng
        e.data_mode = True
        e.unsure = True
        self._eof = True
        self._m.slots.mark_dead(self._id, _DEAD_PEER)
        return True

    def _send_at(self, data, off, n):
        if not self.data_mode:
            raise OSError(ENOTCONN, "not in data mode: call resume()")
        self._start_deadline(60000)
        self._m.eng.tmo = self._cmd_ms(60000)
        self._m.eng.send_payload(data, off, n)
        return n

    def send(self, data):
        """Write all of data to the UART (data mode); returns its length."""
        data = check.payload(data)
        return self._send_at(data, 0, len(data))

    def sendall(self, data):
        """Write all of data to the UART (data mode)."""
        data = check.payload(data)
        self._send_at(data, 0, len(data))

    # --- command mode and back -----------------------------------------------------------
    def _leave_data(self):
        e = self._m.eng
        e.p.reset()
        e.hold = False
        e.data_mode = False
        self.data_mode = False

    def escape(self):
        """+++ with the guard times: back to command mode (the connection stays).
        Payload that arrives meanwhile is kept for the next reads."""
        if not self.data_mode:
            return
        e = self._m.eng
        r = e.ring
        e.escape_data()
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
                self._leave_data()
                e.data_mode = True  # not known: the next command escapes again and syncs
                e.unsure = True
                raise OSError(ETIMEDOUT, "no OK after +++")
            sleep_ms(5)
        self._pending += got[: len(got) - len(_ESCAPED)]
        self._leave_data()

    def resume(self):
        """ATO: back to data mode."""
        if self.data_mode:
            return
        if self._state != _S_CONNECTED or self._m.slots.dead[self._id]:
            raise OSError(ENOTCONN, "connection is closed")
        kind = self._m.eng.command(b"ATO", 5000, None, _F_CONNECT)
        if kind != _K_CONNECT:
            self._m.eng.fail(kind)
        self._enter_data()

    def close(self):
        """Escape data mode if needed, close the connection (AT+QSSLCLOSE), free the index."""
        if self._state == _S_CONNECTED and self.data_mode:
            try:
                self.escape()
            except OSError:
                pass
        if self._state == _S_CONNECTED:
            if not self._m.slots.dead[self._id]:
                try:
                    self._close_cmd(5000)
                except OSError:
                    pass
            self._m.slots.release(self._id)
        self._id = -1
        self._state = _S_CLOSED

    def ioctl(self, req, arg):
        if req == 3 and self.data_mode:
            r = self._m.eng.ring
            r.fill(self._m.eng.port)
            return (arg & 1 if (r.count or self._pending) else 0) | (arg & 4)
        return super().ioctl(req, arg)
