# The modem: bring-up, the PDP context and its failure diagnosis (chapter 4), the
# socket slots that URC handlers write into, and the module-wide SSL settings.
from .compat import const, sleep_ms, ticks_ms, ticks_add, ticks_diff, ETIMEDOUT, ENETDOWN, EINVAL, ENOMEM
from .engine import Engine
from . import at
from . import certs

NSOCK = const(6)  # socket indexes 0..5, shared by SSL and plain TCP (chapter 1.3)

# Why a socket died, per slot; 0 while it is alive.
DEAD_PEER = const(1)  # the peer closed it (+QSSLURC: "closed" / "<i>, CLOSED")
DEAD_PDP = const(2)  # +PDP DEACT or detach()
DEAD_REBOOT = const(3)  # the module restarted


class PDPError(OSError):
    """attach() failed. .step names the failing step: "CGATT", "CGREG", "QIACT" ..."""

    def __init__(self, step, text):
        super().__init__(ENETDOWN, step + ": " + text)
        self.step = step


def _b(s):
    return s if isinstance(s, (bytes, bytearray)) else s.encode()


class Modem:
    def __init__(self, uart, rxbuf=2048, debug=None):
        self.eng = Engine(uart, rxbuf=rxbuf, debug=debug)
        self.eng.on_urc = self._on_urc
        # Fixed slots that URC handlers fill in; sockets read them.
        self.ready = bytearray(NSOCK)  # data may be waiting (recv URC seen, not read empty)
        self.dead = bytearray(NSOCK)  # DEAD_* reason
        self.opened = bytearray(NSOCK)  # an open result arrived for this slot
        self.open_code = [0] * NSOCK  # +QSSLOPEN code; 0/-1/-2 (TCP: 0 ok, -1 fail, -2 busy)
        self.owner = [None] * NSOCK  # the socket object holding the slot
        self.foreign = bytearray(NSOCK)  # busy in the module, not ours (left from before)
        self.cid = 0  # foreground context (AT+QIFGCNT)
        self.ip = None
        self.started = False
        self.restarts = 0  # module restarts seen after start()
        self.pdp_lost = 0  # +PDP DEACT seen
        self._contexts = [None] * NSOCK
        self._lines = None

    # --- URCs: record into slots, never send ------------------------------------------
    def _on_urc(self, p):
        k = p.kind
        if k == at.K_URC_RECV:
            p.fields(p.after(b"+QSSLURC:"))
            self._slot_set(self.ready, p.field_int(2), 1)
        elif k == at.K_URC_QIRDI:
            p.fields(p.after(b"+QIRDI:"))
            self._slot_set(self.ready, p.field_int(2), 1)
        elif k == at.K_URC_CLOSED:
            p.fields(p.after(b"+QSSLURC:"))
            self._mark_dead(p.field_int(1), DEAD_PEER)
        elif k == at.K_URC_TCP_CLOSED:
            self._mark_dead(p.index, DEAD_PEER)
        elif k == at.K_URC_OPEN:
            p.fields(p.after(b"+QSSLOPEN:"))
            self._opened(p.field_int(0), p.field_int(1))
        elif k == at.K_CONNECT_OK or k == at.K_CONNECT_FAIL or k == at.K_ALREADY:
            self._on_tcp_result(p)
        elif k == at.K_URC_PDP_DEACT:
            self.pdp_lost += 1
            self.ip = None
            self._kill_all(DEAD_PDP)
        elif k == at.K_URC_RDY or k == at.K_URC_CALL_READY or k == at.K_URC_SMS_READY:
            if self.started and k == at.K_URC_RDY:
                self.restarts += 1
                self.ip = None
                self._kill_all(DEAD_REBOOT)
                for c in self._contexts:
                    if c is not None:
                        c._lost()

    def _on_tcp_result(self, p):
        # "<i>, CONNECT OK" / "<i>, CONNECT FAIL" / "<i>, ALREADY CONNECT" come after OK
        k = p.kind
        self._opened(p.index, 0 if k == at.K_CONNECT_OK else (-2 if k == at.K_ALREADY else -1))

    def _opened(self, i, code):
        if i is not None and 0 <= i < NSOCK:
            self.open_code[i] = code if code is not None else -1
            self.opened[i] = 1

    def _slot_set(self, slots, i, v):
        if i is not None and 0 <= i < NSOCK:
            slots[i] = v

    def _mark_dead(self, i, why):
        # A stronger cause wins: the "closed" URCs that follow +PDP DEACT or a restart
        # must not turn a lost connection into an orderly close.
        if i is not None and 0 <= i < NSOCK and self.dead[i] < why:
            self.dead[i] = why

    def _kill_all(self, why):
        for i in range(NSOCK):
            if self.owner[i] is not None:
                self._mark_dead(i, why)

    # --- bring-up ------------------------------------------------------------------------
    def start(self, timeout_ms=15000):
        """Sync with AT, echo off, numeric errors, wait until the SIM is ready."""
        e = self.eng
        deadline = ticks_add(ticks_ms(), timeout_ms)
        # A module that is booting prints banners over our AT and may still answer it
        # late: after anything but a clean OK, let the line go quiet before the next try.
        while True:
            try:
                if e.command(b"AT", 500) == at.K_OK:
                    break
            except OSError as ex:
                if ex.errno != ETIMEDOUT:
                    raise
            if ticks_diff(deadline, ticks_ms()) <= 0:
                raise OSError(ETIMEDOUT, "no answer to AT")
            e.drain()
        e.check(e.command(b"ATE0"))
        e.check(e.command(b"AT+CMEE=1"))
        while True:
            kind = e.command(b"AT+CPIN?", 5000, b"+CPIN:")
            if kind == at.K_OK:
                break
            if ticks_diff(deadline, ticks_ms()) <= 0:
                e.fail(kind)
            sleep_ms(500)
        self.started = True

    def poll(self):
        """Process whatever the UART holds (URCs) without blocking."""
        self.eng.poll()

    def stats(self):
        """The loud counters: nothing is dropped without being counted here."""
        e = self.eng
        p = e.p
        return {
            "unknown_lines": p.unknown,
            "overlong_lines": p.overflows,
            "noise_bytes": p.noise,
            "stray_finals": e.stray,
            "timeouts": e.timeouts,
            "banners": e.banners,
            "restarts": self.restarts,
            "pdp_lost": self.pdp_lost,
            "ring_full": e.ring.full_events,
            "ring_overflow_bytes": e.ring.overflows,
        }

    # --- PDP context -----------------------------------------------------------------------
    def attach(self, apn="CMNET", user="", password="", timeout_ms=150000):
        """Bring the PDP context up and return the local IP. On failure of AT+QIACT the
        chapter 4 checks run and PDPError names the step that failed."""
        state = self.status()[0]
        if state == "PDP DEACT":
            self.detach()
            state = "IP INITIAL"
        if state == "IP INITIAL":
            e = self.eng
            e.begin(b"AT+QIFGCNT=")
            e.add_int(self.cid)
            e.check(e.run(300))
            e.begin(b"AT+QICSGP=1,")
            e.add_quoted(_b(apn))
            if user or password:
                e.add_byte(44)
                e.add_quoted(_b(user))
                e.add_byte(44)
                e.add_quoted(_b(password))
            e.check(e.run(300))
            # Several sockets and plain TCP beside SSL (chapter 1.3), data read on demand.
            e.check(e.command(b"AT+QIMUX=1"))
            e.check(e.command(b"AT+QIREGAPP", 5000))
            state = "IP START"
        if state in ("IP START", "IP CONFIG", "IP IND"):
            kind = self.eng.command(b"AT+QIACT", timeout_ms)
            if kind != at.K_OK:
                self._diagnose(kind, timeout_ms)
        self.eng.check(self.eng.command(b"AT+QINDI=1"))
        return self._local_ip()

    def _local_ip(self):
        e = self.eng
        self._lines = []
        e.on_line = self._take_ip
        kind = e.command(b"AT+QILOCIP", 5000, at.BARE)
        if kind != at.K_OK or not self._lines:
            e.fail(kind)
        self.ip = self._lines[0]
        return self.ip

    def _take_ip(self, p):
        # AT+QILOCIP answers a bare address and no OK (ERRATA 18).
        if at.is_ipv4(p.line, 0, p.n):
            self._lines.append(bytes(p.line[: p.n]).decode())
            self.eng.final = at.K_OK

    def _diagnose(self, kind, timeout_ms):
        # Chapter 4 / ERRATA 23: attach, registration, APN, then give up.
        e = self.eng
        if self._query_int(b"AT+CGATT?", b"+CGATT:", 0) != 1:
            if e.command(b"AT+CGATT=1", 75000) != at.K_OK:
                raise PDPError("CGATT", "the module could not attach to the packet domain")
        stat = self._query_int(b"AT+CGREG?", b"+CGREG:", 1)
        if stat not in (1, 5):
            raise PDPError("CGREG", "not registered on the packet network (stat %s)" % stat)
        if e.command(b"AT+QIACT", timeout_ms) == at.K_OK:
            return
        raise PDPError(
            "QIACT",
            "activation refused though attached and registered: check the APN, that the"
            " context is not used by PPP or AT+CGACT; else reboot the module (retry"
            " three times, ten minutes apart)",
        )

    def _query_int(self, cmd, prefix, field):
        """Integer field of a one-line query answer, None if absent."""
        self._lines = []
        self.eng.on_line = self._take_line
        kind = self.eng.command(cmd, 5000, prefix)
        if kind != at.K_OK or not self._lines:
            return None
        line = self._lines[0]
        offs = [0] * 8
        s = len(prefix)
        n = at.split_fields(line, s, len(line), offs)
        if field >= n:
            return None
        return at.parse_int(line, offs[2 * field], offs[2 * field + 1])

    def _take_line(self, p):
        self._lines.append(bytes(p.line[: p.n]))

    def query(self, cmd, prefix, timeout_ms=5000):
        """Run a command and return its prefixed answer lines (bytes). Cold path."""
        self._lines = []
        self.eng.on_line = self._take_line
        kind = self.eng.command(_b(cmd), timeout_ms, _b(prefix))
        self.eng.check(kind)
        return self._lines

    def detach(self):
        """Deactivate the PDP context (AT+QIDEACT); every socket dies."""
        kind = self.eng.command(b"AT+QIDEACT", 40000)
        if kind != at.K_DEACT_OK:
            self.eng.fail(kind)
        self.ip = None
        self._kill_all(DEAD_PDP)

    def status(self):
        """AT+QSSLSTATE: (state, [(index, type, ip, port, status, is_ssl), ...])."""
        rows = []
        busy = []
        state = None
        for line in self.query(b"AT+QSSLSTATE", b"+QSSLSTATE:"):
            offs = [0] * 12
            n = at.split_fields(line, 11, len(line), offs)

            def f(i):
                return bytes(line[offs[2 * i] : offs[2 * i + 1]]).decode()

            if n == 1:
                state = f(0)
            elif n >= 6:
                busy.append(at.parse_int(line, offs[0], offs[1]))
                rows.append(
                    (
                        at.parse_int(line, offs[0], offs[1]),
                        f(1),
                        f(2),
                        at.parse_int(line, offs[6], offs[7]),
                        f(4),
                        at.parse_int(line, offs[10], offs[11]) == 1,
                    )
                )
        for i in range(NSOCK):
            self.foreign[i] = 1 if i in busy and self.owner[i] is None else 0
        return state, rows

    # --- slots ------------------------------------------------------------------------------
    def claim(self, sock, index=None):
        """Reserve a free socket index (0..5) for sock. Indexes the module holds for
        somebody else (a -2 answer, or rows of status() that are not ours) are skipped."""
        for i in range(NSOCK) if index is None else (index,):
            if self.owner[i] is None and not self.foreign[i]:
                self.owner[i] = sock
                self.ready[i] = 1  # read once before trusting URCs
                self.dead[i] = 0
                self.opened[i] = 0
                return i
        raise OSError(ENOMEM, "all 6 socket indexes are in use")

    def release(self, i):
        if 0 <= i < NSOCK:
            self.owner[i] = None
            self.ready[i] = 0
            self.dead[i] = 0
            self.opened[i] = 0

    # --- SSL contexts and module-wide settings ---------------------------------------------
    def ssl_context(self, index=0):
        """The qssl.SSLContext for ctxindex 0..5 (one object per index)."""
        from .context import SSLContext

        if not 0 <= index < NSOCK:
            raise OSError(EINVAL, "ctxindex is 0..5")
        if self._contexts[index] is None:
            self._contexts[index] = SSLContext(self, index)
        return self._contexts[index]

    def tcp_socket(self):
        """A plain TCP socket beside the SSL ones (chapter 1.3)."""
        from .tcp import TCPSocket

        return TCPSocket(self)

    def set_global(self, name, value):
        """Module-wide AT+QSSLCFG settings: "ignorertc", "https", "httpsctxi",
        "smtpstyle", "smtpsctxi"."""
        if name not in _GLOBALS:
            raise OSError(EINVAL, "not a global SSL setting: " + name)
        e = self.eng
        e.begin(b'AT+QSSLCFG="')
        e.add(name.encode())
        e.add(b'",')
        e.add_int(int(value))
        e.check(e.run(300))

    def get_global(self, name):
        if name not in _GLOBALS:
            raise OSError(EINVAL, "not a global SSL setting: " + name)
        lines = self.query('AT+QSSLCFG="%s"' % name, "+QSSLCFG:")
        line = lines[0]
        return at.parse_int(line, line.rfind(b",") + 1, len(line))

    # certificate store (certs.py does the work)
    def cert_write(self, name, data, timeout_s=100):
        return certs.write(self, name, data, timeout_s)

    def cert_read(self, name):
        return certs.read(self, name)

    def cert_delete(self, name):
        return certs.delete(self, name)


_GLOBALS = ("ignorertc", "https", "httpsctxi", "smtpstyle", "smtpsctxi")
