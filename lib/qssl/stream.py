# What SSL and plain TCP sockets share: the socket-shaped API (CPython socket plus
# MicroPython stream methods), reading until the module answers empty, sending in
# chunks with SEND FAIL back-off, timeouts, and poll support. Subclasses supply the
# module commands (_open_cmd, _recv_cmd, _send_cmd, _close_cmd).
#
# Sockets know the engine and the slot table; the modem (services layer) is handed in
# as an object and asked, before a connect, to make the module ready (recovery).
from qssl.compat import const, IOBase, ticks_ms, ticks_add, ticks_diff
import qssl.compat as compat  # the network errno values (they differ between ports) as compat.X: no globals here
import qssl.check as check
from qssl.slots import dead_error

# Constants of other modules, as private copies: folded into the bytecode, no globals
# (tests_host/test_shared_consts.py checks each against its source).
_EIO = const(5)
_MAX_MS = const(0x8000000)  # compat.MAX_MS
_DEAD_LOST = const(2)
_DEAD_PEER = const(1)
_DEAD_REBOOT = const(4)
_F_PROMPT = const(0x4000C)
_F_SENT = const(0x3C)
_K_OK = const(1)
_K_PROMPT = const(18)
_K_REBOOT = const(19)
_K_SEND_FAIL = const(5)
_K_SEND_OK = const(4)

_MAX_SEND = const(1460)
_MAX_RECV = const(1500)
_CMD_MS = const(10000)  # answer time of one send/recv command (payload included)
_SLACK_MS = const(450)  # a command started just before the deadline may finish after it
_OPEN_MS = const(5000)  # the OK of AT+QSSLOPEN / AT+QIOPEN
_PROBE_MS = const(2000)  # with no "recv" URC, a read (or poll) asks the module anyway this often

_S_NEW = const(0)
_S_CONNECTED = const(1)
_S_CLOSED = const(2)
_S_OPENING = const(3)  # the open command was accepted; its result has not come yet

# MicroPython stream ioctl numbers and poll flags (select.poll, asyncio)
_MP_STREAM_POLL = const(3)
_MP_STREAM_CLOSE = const(4)
_POLLIN = const(1)
_POLLOUT = const(4)
_POLLERR = const(8)
_POLLHUP = const(16)


def writable_bytes(buf):
    """buf for a read into it: a bytearray or memoryview as it is (a memoryview is taken
    to be of bytes, as in check.payload), another buffer (array.array) as a memoryview of
    its bytes where memoryview can cast (CPython). TypeError for what is no buffer (a
    list), cannot be written (bytes, a read-only memoryview) or, where it cannot be cast,
    has items wider than a byte (each would take one byte of the payload)."""
    if not isinstance(buf, bytearray) and not isinstance(buf, memoryview):  # (no tuple: it is built per call)
        buf = memoryview(buf)
        if hasattr(buf, "cast"):
            buf = buf.cast("B")
        elif len(bytes(buf[:1])) > 1:
            raise TypeError("a buffer of bytes is required, not one of wider items")
    if len(buf):
        buf[0] = buf[0]
    return buf


class Stream(IOBase):
    """What SSLSocket, TCPSocket and TransparentSocket share: CPython's socket methods
    and MicroPython's stream methods (select.poll, asyncio). Failures are OSErrors."""

    # Subclasses (socket.py, tcp.py) name their module commands and supply the
    # formatters _open_cmd(host, port, secs), _recv_cmd(n), _send_cmd(n) and
    # _close_cmd(timeout_ms); pyright is told so at each call.
    _open_name = ""
    _recv_prefix = b""
    # An SSL socket's SSLContext (an instance attribute there); None for plain TCP. Read
    # here rather than through hooks each subclass overrides: fewer functions (issue 11).
    context = None
    # What most sockets never change stays a class attribute until a call sets it, so it
    # takes no entry in the instance's dict: twelve entries fit the table size below the
    # one seventeen take, 48 B less per socket on a 32-bit board (issue 11).
    _timeout = None  # None blocks, 0 is non-blocking, else seconds, as settimeout() got it
    _tms = -1  # the same in ms (-1: blocking), so deadlines need no float maths
    _freed = False  # the module freed the index itself (closed by the peer, read empty)
    _rb = None  # type: bytearray | None  # read-ahead for readline(), made on first use
    _rs = 0  # its start and end
    _re = 0

    def __init__(self, modem):
        # The engine and slot table are reached as self._m.eng / self._m.slots: every
        # attribute more makes each socket's instance dict bigger (issue 11).
        self._m = modem
        self._id = -1
        self._dl = 0  # deadline of the call in progress
        # One mark for the call in progress (they never overlap): the engine's epoch when
        # the context settings were checked (until the open's result is in), the parser's
        # torn-header count when a read began, the engine's odd count when a send began.
        self._mark = 0
        self._state = _S_NEW
        self._echoes = 0  # the engine's echo count then: more later means a restart
        self._probe = 0  # when a read last asked the module
        self._peer = None

    # --- settings ------------------------------------------------------------------------
    def settimeout(self, t):
        """None blocks, 0 is non-blocking, else seconds: every call returns within it (+0.5 s)."""
        self._timeout = check.timeout(t)
        # A timeout too long for ticks arithmetic on a 32-bit board means blocking.
        self._tms = -1 if t is None or t * 1000 >= _MAX_MS else int(t * 1000)

    def gettimeout(self):
        """The timeout set by settimeout() (None: blocking)."""
        return self._timeout

    def setblocking(self, flag):
        """setblocking(True) = settimeout(None); setblocking(False) = settimeout(0)."""
        self.settimeout(None if flag else 0)

    def setsockopt(self, *args):
        """Accepted and ignored: options belong to the module's stack."""
        pass  # options belong to the module's stack; accepted for compatibility

    def fileno(self):
        """-1: the socket has no file descriptor (poll it through select.poll on MicroPython)."""
        return -1

    @property
    def ssid(self):
        """The module's socket index (0..5), -1 when none is held."""
        return self._id

    def getpeername(self):
        """(host, port) as given to connect()."""
        return self._peer

    def __enter__(self):
        """with ctx.socket() as s: closes the socket on leaving the block."""
        return self

    def __exit__(self, *exc):
        self.close()

    # --- deadlines -------------------------------------------------------------------------
    def _start_deadline(self, fallback_ms):
        t = self._tms
        self._dl = ticks_add(ticks_ms(), fallback_ms if t < 0 else t)

    def _cmd_ms(self, longest=_CMD_MS):
        """Time for one command of the call in progress: its own bound, cut to what is
        left of the socket timeout plus a little slack, which the whole call shares:
        past it no command starts (ETIMEDOUT)."""
        t = self._rest_ms(longest)
        if t <= 0:
            raise OSError(compat.ETIMEDOUT, "timed out")
        return t

    def _rest_ms(self, longest=_CMD_MS):
        # The same for the second half of an exchange already started (may be <= 0).
        if self._tms < 0:
            return longest
        t = ticks_diff(self._dl, ticks_ms()) + _SLACK_MS
        return t if t < longest else longest

    def _expired(self):
        return self._tms >= 0 and ticks_diff(self._dl, ticks_ms()) <= 0

    def _idle(self):
        """Wait a little for input; raise ETIMEDOUT once the call's deadline passed,
        however much input keeps coming (a URC storm must not hold a call)."""
        if self._expired():
            raise OSError(compat.ETIMEDOUT, "timed out")
        if not self._m.eng.pump():
            self._m.eng.ring.nap(1)

    # --- connect -----------------------------------------------------------------------------
    def connect(self, address):
        """Open the connection (blocking, within the socket timeout). With a timeout of 0
        (non-blocking) it starts the open and raises EINPROGRESS; the socket becomes
        writable under select.poll when the result is in (see also connect_poll())."""
        self.connect_start(address)
        if self._tms == 0:
            raise OSError(compat.EINPROGRESS, "connecting")
        while True:
            try:
                while not self.connect_poll():
                    self._idle()
                return
            except OSError as ex:
                # -2: the module holds that index for nobody we know (a close that was
                # lost, a program before a reset). It is skipped now: try another.
                if ex.errno != compat.EADDRINUSE or self._expired():
                    raise
            self._state = _S_NEW
            self._open(self._peer[0].encode(), self._peer[1])  # pyright: ignore[reportOptionalSubscript]  (set by connect_start)

    def connect_start(self, address):
        """First half of connect(): checks, recovery and context settings, the open
        command. The module then connects (seconds, for TLS) while others may run."""
        host, port = check.address(address)
        if self._state != _S_NEW:
            raise OSError(compat.EALREADY if self._state != _S_CLOSED else compat.ENOTCONN, "socket already used")
        self._start_deadline(_MAX_MS)
        self._peer = (host.decode(), port)
        self._open(host, port)

    def _open(self, host, port):
        m = self._m
        retry = True
        while True:
            # Recovery (the modem) and the context's read-back, until neither finds anything
            # new: the read-back may be what reveals a restart nobody saw (an echo), or meet
            # the RDY of one; then the modem recovers and the settings are read back again.
            tries = 3
            while True:
                m.prepare_connect(self._cmd_ms(_MAX_MS))
                tries -= 1
                try:
                    if self.context is not None:
                        # The context's security settings are known to be in the module before we open.
                        self.context.ensure(self._cmd_ms(30000))
                except OSError:
                    if not tries or self._expired() or not m.needs_recovery():
                        raise
                    continue
                if not tries or not m.needs_recovery():
                    break
            self._mark = m.eng.epoch()
            self._echoes = m.eng.echoes
            self._id = self._m.slots.claim(self)
            self._state = _S_OPENING
            try:
                self._open_cmd(host, port, self._open_secs())  # pyright: ignore[reportAttributeAccessIssue]
                self._m.eng.slot = self._id
                kind = self._m.eng.run(self._cmd_ms(_OPEN_MS))
            except OSError:
                self._abandon()
                raise
            if kind == _K_OK:
                return
            self._m.slots.release(self._id)
            self._id = -1
            self._state = _S_CLOSED
            # Refused: the PDP context may be gone without its URC (lost on the line).
            # With recovery on, recover once and open again.
            if retry and not self._expired() and m.open_refused():
                retry = False
                self._state = _S_NEW
                continue
            if m.ip is None:  # say why when we know
                raise OSError(compat.ENOTCONN, "the PDP context is not up: call modem.attach() first"
                              " (%s answered ERROR)" % m.eng.command_text())
            m.eng.fail(kind)

    def connect_poll(self):
        """Second half: True once connected, False while the module is still opening;
        raises OSError when the open failed (or the socket timeout passed)."""
        if self._state == _S_CONNECTED:
            return True
        if self._state != _S_OPENING:
            raise OSError(compat.ENOTCONN, "connect_start() first")
        if self._tms == 0:
            # Non-blocking: each call has the slack of one (for the recheck); the wait
            # itself ends with the module's open timeout, not with ETIMEDOUT here.
            self._start_deadline(0)
        s = self._m.slots
        i = self._id
        try:
            if not s.opened[i]:
                self._m.eng.poll()
                if s.dead[i]:
                    self._raise_dead()
                if not s.opened[i]:
                    if self._tms and self._expired():
                        raise OSError(compat.ETIMEDOUT, "timed out connecting")
                    return False
            code = s.code[i]
            if code == -2:
                s.foreign[i] = 1  # the next socket tries another index
                raise OSError(compat.EADDRINUSE, "socket %d is occupied in the module" % i)
            if code != 0:
                self._abandon()
                raise self._open_failed(code)
            if self._m.eng.epoch() != self._mark and self.context is not None:
                # Something happened meanwhile that may hide a restart: the connection is
                # kept only if the context's settings were in force.
                self.context.recheck(self._cmd_ms(5000))
        except OSError:
            self._abandon()
            raise
        self._state = _S_CONNECTED
        self._probe = ticks_ms()  # ticks are compared by difference: never against 0
        return True

    def _finish_open(self):
        # A data call on a socket whose non-blocking connect is still opening.
        self._start_deadline(90000)
        while not self.connect_poll():
            if self._tms == 0:
                raise OSError(compat.EAGAIN, "still connecting")
            self._idle()

    def _open_failed(self, code):
        peer = self._peer or ("?", 0)
        return OSError(compat.ECONNABORTED, "connection to %s:%d failed (%s %d)" % (peer[0], peer[1], self._open_name, code))

    def _open_secs(self):
        # The module's own open timeout (10..300 s, default 90) follows ours.
        t = self._timeout
        if t is None or t == 0:
            return 90
        return 10 if t < 10 else (300 if t > 300 else int(t))

    def _abandon(self):
        i = self._id
        if i >= 0:
            s = self._m.slots
            # Opened (or perhaps opening: a late result would keep the index busy): close it.
            if s.dead[i] <= _DEAD_LOST and (s.opened[i] and s.code[i] == 0 or not s.opened[i]):
                # Past the call's deadline no command is sent (the timeout holds): the index
                # is left to the module, skipped, and closed when no other is free.
                s.foreign[i] = 1
                if not self._expired():
                    try:
                        self._close_cmd(self._cmd_ms(5000))  # pyright: ignore[reportAttributeAccessIssue]
                        s.foreign[i] = 0
                    except OSError:
                        pass  # not known to be free: skipped until status() says so
            s.release(i)
        self._id = -1
        self._state = _S_CLOSED

    # --- waiting ---------------------------------------------------------------------------
    def _raise_dead(self):
        i = self._id
        if i >= 0 and self._m.slots.dead[i] == _DEAD_LOST and self._m.eng.unsure:
            # Lost on the line: perhaps because the module restarted unseen. The resync
            # (due anyway) tells: a restarted module echoes and answers "+CMEE: 0".
            t = self._rest_ms(3000)
            try:
                if t > 0:
                    self._m.eng.resync(t)
            except OSError:
                pass
            if self._m.eng.echoes != self._echoes:  # an echo since we connected: the module restarted unseen
                self._m.slots.mark_dead(self._id, _DEAD_REBOOT)
        raise dead_error(self._m.slots.dead[i] if i >= 0 else 0)

    # --- receiving -------------------------------------------------------------------------
    def recv_into(self, buf, nbytes=0):
        """Read up to nbytes (or len(buf)) into buf; 0 at end of stream; EAGAIN when non-blocking and nothing is there."""
        got = self._read_into(buf, nbytes)
        if got is None:
            raise OSError(compat.EAGAIN, "no data yet")
        return got

    def readinto(self, buf, nbytes=0):
        """MicroPython stream style: None when non-blocking and nothing is there."""
        return self._read_into(buf, nbytes)

    def recv(self, n):
        """Up to n bytes (at most 1500 at a time); b"" at end of stream."""
        n = check.integer(n, "bufsize", 0, 0x3FFFFFFF)  # the largest small int on a 32-bit board
        if n > _MAX_RECV:
            n = _MAX_RECV
        b = bytearray(n)
        got = self.recv_into(b, n) if n else 0
        return bytes(b) if got == n else bytes(memoryview(b)[:got])

    def read(self, n=-1):
        """MicroPython stream style: up to n bytes, blocking until n or end of stream
        (non-blocking: what is there, None when nothing); no n: until end of stream."""
        if n is not None and n >= 0:
            b = bytearray(n)
            got = 0
            try:
                while got < n:
                    k = self._read_into(memoryview(b)[got:], n - got)
                    if not k:
                        if k is None and not got:
                            return None
                        break
                    got += k
                    if self._tms == 0:
                        break
            except OSError:
                self._unread(memoryview(b)[:got])
                raise
            return bytes(b) if got == n else bytes(memoryview(b)[:got])
        out = bytearray()
        chunk = bytearray(_MAX_RECV)
        while True:
            try:
                got = self._read_into(chunk, _MAX_RECV)
            except OSError:
                self._unread(out)
                raise
            if not got:
                if got is None and not out:
                    return None
                return bytes(out)
            out.extend(memoryview(chunk)[:got])

    def readline(self):
        """Up to and including b"\n", or what came before end of stream (non-blocking:
        None when nothing is there yet)."""
        out = b""
        rb = self._rb
        if rb is None:
            rb = self._rb = bytearray(256)
        while True:
            if self._rs == self._re:
                self._rs = self._re = 0  # empty while it fetches: a failed fetch must not bring back the old line
                try:
                    got = self._fetch(rb, len(rb))
                except OSError:
                    self._unread(out)
                    raise
                if not got:
                    return None if got is None and not out else out
                self._re = got
            j = rb.find(b"\n", self._rs, self._re)
            e = self._re if j < 0 else j + 1
            out += rb[self._rs : e]
            self._rs = e
            if j >= 0:
                return out

    def _unread(self, data):
        # What a read took before it failed (a timeout) goes in front of the next read:
        # the error is raised and nothing is lost. The read-ahead is empty then.
        k = len(data)
        if k:
            rb = bytearray(k if k > 256 else 256)
            rb[0:k] = data
            self._rb = rb
            self._rs = 0
            self._re = k

    def _read_into(self, buf, n):
        # n: at most this many bytes; 0 means as many as buf holds
        n = check.integer(n, "nbytes", 0, 0x3FFFFFFF)  # 1 << 30 would be a long int there (31-bit small ints)
        buf = writable_bytes(buf)  # before a read is asked for: in the middle of one, the payload would be lost
        if n == 0 or n > len(buf):
            n = len(buf)
            if n == 0:
                return 0
        if self._rs != self._re:  # readline() read ahead
            k = self._re - self._rs
            if k > n:
                k = n
            buf[0:k] = self._rb[self._rs : self._rs + k]  # pyright: ignore[reportOptionalSubscript]  (set by readline)
            self._rs += k
            return k
        return self._fetch(buf, n)

    def _fetch(self, buf, n):
        # One URC can stand for many reads (ERRATA 11): read until the module answers
        # empty, and only then wait for the next "recv" URC (or read anyway every 2 s,
        # so that a URC lost on the line does not stall the socket).
        if self._state == _S_OPENING:
            self._finish_open()
        if self._state != _S_CONNECTED:
            raise OSError(compat.ENOTCONN, "socket is not connected" if self._state == _S_NEW else "socket is closed")
        if n > _MAX_RECV:
            n = _MAX_RECV
        self._start_deadline(0)
        last = False
        while True:
            got = self._try_read(buf, n)
            if got >= 0:
                return got
            if last:
                if self._tms == 0:
                    return None
                raise OSError(compat.ETIMEDOUT, "timed out")
            # Non-blocking, or past the deadline: one last look at what the UART holds (a
            # "recv" URC may be there, or a read fell due: a lost URC), made within the
            # call's slack, then give up without waiting.
            last = self._tms == 0 or self._expired()
            if not self._m.eng.pump() and not last:
                self._m.eng.ring.nap(1)

    def _ask_if_due(self, s, i):
        # A "recv" URC lost on the line would stall the socket for ever (the module sends
        # none while its buffer is not empty, ERRATA 11): ask anyway every 2 s, across
        # calls, so short timeouts, non-blocking reads and poll() reach it too.
        if not s.ready[i] and ticks_diff(ticks_ms(), self._probe) >= _PROBE_MS:
            s.ready[i] = 1

    def _try_read(self, buf, n):
        # bytes read, 0 at end of stream, -1 when nothing is there yet
        s = self._m.slots
        i = self._id
        self._ask_if_due(s, i)
        while s.ready[i]:
            if s.dead[i] > _DEAD_PEER:
                self._raise_dead()
            # Cleared before the read, so a "recv" URC that arrives during it (even in
            # the same UART read as an empty answer) makes us read again.
            s.ready[i] = 0
            self._probe = ticks_ms()
            got = self._recv_chunk(buf, n)
            if got:
                s.ready[i] = 1  # more may be buffered: read until an empty answer
                return got
        if s.dead[i]:
            if s.dead[i] != _DEAD_PEER:
                self._raise_dead()
            return 0  # the peer closed and everything is read: end of stream
        return -1

    def _recv_chunk(self, buf, n):
        self._recv_cmd(n)  # pyright: ignore[reportAttributeAccessIssue]
        p = self._m.eng.p
        self._m.eng.slot = self._m.eng.read_slot = self._id  # a lost answer fails this socket (engine.on_lost)
        self._mark = p.torn
        p.set_raw_dst(buf, 0, n)
        kind = self._m.eng.run(self._cmd_ms(), self._recv_prefix)  # a timeout also clears raw_dst
        got = p.raw_pos
        p.raw_dst = None
        return self._recv_end(kind, got)

    def _recv_end(self, kind, got):
        # got bytes came with a final of kind: checked here, apart from the hot
        # _recv_chunk, whose frame must stay small.
        if kind != _K_OK:
            if self._m.eng.echoes != self._echoes:  # an echo since we connected: the module restarted unseen
                self._m.slots.mark_dead(self._id, _DEAD_REBOOT)
            why = self._m.slots.dead[self._id]
            if kind == _K_REBOOT or why > _DEAD_PEER:
                self._raise_dead()
            if why:
                self._freed = True  # closed by the peer and read empty: the module let it go
                return 0
            # ERROR to a read of a live socket: the connection is broken, or the answer was
            # damaged and its data is gone. The socket fails; what may still come is drained.
            self._m.slots.mark_dead(self._id, _DEAD_LOST)
            self._m.eng.unsure = True
            self._m.eng.fail(kind)
        p = self._m.eng.p
        if p.raw_dropped:
            self._m.slots.mark_dead(self._id, _DEAD_LOST)  # its data may be lost: fail, never deliver a gap
            raise OSError(_EIO, "the module sent %d bytes more than asked" % p.raw_dropped)
        if p.slipped or (got == 0 and p.torn != self._mark):
            # A line we could not read between the payload and its OK (the count slipped:
            # bytes were lost or added, so what was copied is not the payload), or where
            # the header belongs (the data is lost). The stream has a gap: fail the socket.
            self._m.slots.mark_dead(self._id, _DEAD_LOST)  # its data may be lost: fail, never deliver a gap
            raise OSError(_EIO, "garbled answer to a read: received data was lost on the line")
        return got

    # --- sending --------------------------------------------------------------------------
    def send(self, data):
        """Send up to 1460 bytes of data (bytes-like; a str raises TypeError); returns how many."""
        data = check.payload(data)
        n = len(data)
        if n > _MAX_SEND:
            n = _MAX_SEND
        return self._send_at(data, 0, n)

    def sendall(self, data):
        """Send all of data (bytes-like), in chunks of up to 1460 bytes."""
        data = check.payload(data)
        total = len(data)
        off = 0
        while off < total:
            n = total - off
            if n > _MAX_SEND:
                n = _MAX_SEND
            off += self._send_at(data, off, n)

    def write(self, data, n=-1):
        """MicroPython stream style: writes all of data (its first n bytes when n is
        given) and returns the byte count. A str is written as its UTF-8 bytes, as
        MicroPython streams do (umqtt relies on it); send()/sendall() refuse str."""
        # n checked before anything is sent (a float would fail in the command's digits);
        # as a statement: inside the comparison below it made the frame too deep for the
        # C stack, and every write took it from the heap
        check.integer(n, "n", -1, 0x3FFFFFFF)
        if isinstance(data, str):
            data = data.encode()
        data = check.payload(data)
        total = len(data)
        if 0 <= n < total:
            total = n
        off = 0
        while off < total:
            n = total - off  # n reused: one local more and the frame comes from the heap
            if n > _MAX_SEND:
                n = _MAX_SEND
            off += self._send_at(data, off, n)
        return total

    def _send_at(self, data, off, n):
        if self._state == _S_OPENING:
            self._finish_open()
        if self._state != _S_CONNECTED:
            raise OSError(compat.ENOTCONN, "socket is not connected")
        if n == 0:
            return 0
        self._start_deadline(60000)
        pause = 50  # the back-off after SEND FAIL, doubled up to 1 s
        while True:
            kind = self._send_once(data, off, n)
            if kind == _K_SEND_OK:
                self._m.eng.sent_slot = self._id
                return n
            pause = self._send_failed(kind, pause)
            if not pause:
                return n

    def _send_once(self, data, off, n):
        # A prompt or payload lost on the line fails this socket (engine.on_lost): the
        # stream would have a gap.
        if self._m.slots.dead[self._id]:
            self._raise_dead()
        self._mark = self._m.eng.odd
        self._send_cmd(n)  # pyright: ignore[reportAttributeAccessIssue]
        self._m.eng.slot = self._id
        # Its line, then the "> " prompt, after which the module waits for n bytes. (No
        # local for the engine here: one more would put this frame on the heap.)
        kind = self._m.eng.run(self._cmd_ms(), None, _F_PROMPT, n)
        if kind == _K_PROMPT:
            self._m.eng.send_payload(data, off, n)
            kind = self._m.eng.wait(self._rest_ms(), _F_SENT)
            if kind != _K_SEND_OK:
                # SEND FAIL or ERROR may be a stray with payload bytes lost on the way: the
                # module would still be counting them down. Resync (and feed) before the next.
                self._m.eng.owed = n
                self._m.eng.unsure = True
        return kind

    def _send_failed(self, kind, pause):
        # The next back-off after a SEND FAIL, 0 when the payload went out after all;
        # raises for any other answer.
        if kind == _K_SEND_FAIL:
            # The module's send buffer is full: back off and try again in time.
            e = self._m.eng
            k = e.stray_sent
            out = self._expired() or (self._tms < 0 and ticks_diff(self._dl, ticks_ms()) <= 0)
            if out:
                e.poll()
            else:
                w = ticks_diff(self._dl, ticks_ms())
                if w > pause:
                    w = pause
                e.drain(w, w)  # the back-off, listening, within the deadline
            if e.stray_sent != k:
                return 0  # a SEND OK came after it: that SEND FAIL was a stray, the payload went out
            if e.odd != self._mark:
                # A line we could not read or a stray final around it: the SEND FAIL may
                # be a stray and the true answer damaged. What the peer got is unknown.
                self._m.slots.mark_dead(self._id, _DEAD_LOST)  # its data may be lost: fail, never deliver a gap
                raise OSError(_EIO, "the answer to a send was garbled on the line")
            if out:
                e.sent_slot = self._id  # if a piece of a SEND OK comes late, the socket fails
                raise OSError(compat.ETIMEDOUT, "the module kept answering SEND FAIL")
            return pause * 2 if pause < 500 else 1000
        if self._m.eng.echoes != self._echoes:  # an echo since we connected: the module restarted unseen
            self._m.slots.mark_dead(self._id, _DEAD_REBOOT)
        if kind == _K_REBOOT or self._m.slots.dead[self._id]:
            self._raise_dead()  # the cause seen (restart, PDP loss, the peer's close) says more
        # ERROR: the connection is gone; the note says to open it again.
        self._m.slots.mark_dead(self._id, _DEAD_PEER)
        raise OSError(compat.ECONNRESET, "send failed: the module answered ERROR (connection broken)")

    # --- closing, polling -------------------------------------------------------------------
    def close(self):
        """Close the connection (no command when the module closed it already) and free the index."""
        if self._state == _S_CLOSED:
            return
        if self._state == _S_OPENING:
            self._abandon()
            return
        if self._state == _S_CONNECTED:
            i = self._id
            why = self._m.slots.dead[i]
            # A socket the module dropped itself needs no AT+QSSLCLOSE (ERRATA 12).
            if why <= _DEAD_LOST and not self._freed:
                self._start_deadline(5000)
                try:
                    self._close_cmd(self._cmd_ms(5000))  # pyright: ignore[reportAttributeAccessIssue]
                except OSError:
                    pass  # already closed by the peer, or the module is gone
            self._m.slots.release(i)
        self._id = -1
        self._state = _S_CLOSED

    def ioctl(self, req, arg):
        if req == _MP_STREAM_POLL:
            self._m.eng.poll()
            ret = 0
            i = self._id
            if self._state == _S_OPENING:
                s = self._m.slots
                return arg & _POLLOUT if s.opened[i] or s.dead[i] else 0
            if self._state != _S_CONNECTED or i < 0:
                return _POLLHUP | _POLLERR
            s = self._m.slots
            self._ask_if_due(s, i)
            if arg & _POLLIN and (s.ready[i] or s.dead[i] or self._rs != self._re):
                ret |= _POLLIN
            if arg & _POLLOUT and not s.dead[i]:
                ret |= _POLLOUT
            if s.dead[i]:
                ret |= _POLLHUP
            return ret
        if req == _MP_STREAM_CLOSE:
            self.close()
            return 0
        return -compat.EINVAL
