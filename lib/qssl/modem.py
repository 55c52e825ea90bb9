# The modem (services layer): bring-up with the SIM, registration and the PDP context
# with its failure diagnosis (chapter 4), recovery after restarts, PDP loss and
# silence, the URC handler that fills the slot table, the certificate store and the
# module-wide SSL settings. Sockets are made here and by contexts; they ask
# prepare_connect() before they open, and never import this module.
from .compat import (const, sleep_ms, ticks_ms, ticks_add, ticks_diff, clamp_ms, ETIMEDOUT, EINVAL,
                     EACCES, ENOENT, ENOTCONN, EIO)
from .engine import Engine, F_DEACT, F_CLOSE
from .errors import ATError, PDPError
from .slots import Slots, NSOCK, DEAD_PEER, DEAD_LOST, DEAD_PDP, DEAD_REBOOT
from . import at
from . import check
from .context import SSLContext

# certs.py and tcp.py are imported when first used: a program that never uploads a
# certificate or opens plain TCP does not hold them in RAM.

_REG_WORDS = ("not registered, not searching", "registered (home)", "searching", "registration denied",
              "unknown", "registered (roaming)")
_UP_STATES = ("IP STATUS", "IP PROCESSING", "IP GPRSACT")
_GLOBALS = ("ignorertc", "https", "httpsctxi", "smtpstyle", "smtpsctxi")
_POWER_OFF_MS = const(1500)  # off long enough for the module to lose its state


class Modem:
    """A Quectel GSM module on a UART: bring-up, the PDP context, recovery, the six SSL
    contexts, the certificate store and the sockets (through contexts and tcp_socket())."""

    def __init__(self, uart, rxbuf=2048, debug=None, power=None, recover=True):
        """uart: any UART-like object. power: callable(on) that switches the module
        on/off (the board files provide it from their PWRKEY code), used by recovery when
        the module stops answering. recover: rebuild what a restart or PDP loss took
        away before the next connect."""
        self.eng = Engine(uart, rxbuf=rxbuf, debug=debug)
        self.eng.on_urc = self._on_urc  # pyright: ignore[reportAttributeAccessIssue]
        self.slots = Slots()
        self.eng.on_lost = self._on_lost  # pyright: ignore[reportAttributeAccessIssue]
        self.power = power
        self.auto_recover = recover
        self.cid = 0  # foreground context (AT+QIFGCNT)
        self.ip = None
        self.started = False
        self.restarts = 0  # module restarts seen after start()
        self.pdp_lost = 0  # +PDP DEACT seen
        self.recoveries = 0
        self.power_cycles = 0
        self._contexts = [None] * NSOCK  # type: list[SSLContext | None]
        self._lines = []  # type: list
        self._pin = None
        self._apn = None  # (apn, user, password) of the last attach(), for recovery
        self._epoch = -1  # the engine's epoch when the module was last known good
        self._down = False  # a restart or PDP loss was seen: recover before a connect

    # --- URCs: record into slots, never send ------------------------------------------
    def _on_urc(self, p):
        k = p.kind
        s = self.slots
        if k == at.K_URC_RECV:
            p.fields(p.after(b"+QSSLURC:"))
            s.set_ready(p.field_int(2))
        elif k == at.K_URC_QIRDI:
            p.fields(p.after(b"+QIRDI:"))
            s.set_ready(p.field_int(2))
        elif k == at.K_URC_CLOSED:
            p.fields(p.after(b"+QSSLURC:"))
            s.mark_dead(p.field_int(1), DEAD_PEER)
        elif k == at.K_URC_TCP_CLOSED:
            s.mark_dead(p.index, DEAD_PEER)
        elif k == at.K_URC_OPEN:
            p.fields(p.after(b"+QSSLOPEN:"))
            self._opened(p.field_int(0), p.field_int(1))
        elif k == at.K_CONNECT_OK or k == at.K_CONNECT_FAIL or k == at.K_ALREADY:
            # "<i>, CONNECT OK" / "<i>, CONNECT FAIL" / "<i>, ALREADY CONNECT" come after OK
            self._opened(p.index, 0 if k == at.K_CONNECT_OK else (-2 if k == at.K_ALREADY else -1))
        elif k == at.K_URC_PDP_DEACT:
            self.pdp_lost += 1
            self._lost(DEAD_PDP)
        elif k == at.K_URC_RDY and self.started:
            self.restarts += 1
            self._lost(DEAD_REBOOT)

    def _on_lost(self, i):
        self.slots.mark_dead(i, DEAD_LOST)

    def _opened(self, i, code):
        s = self.slots
        s.set_opened(i, code)
        # A late success for an index nobody holds any more (its connect timed out):
        # the module keeps that connection, so the index is not free.
        if code == 0 and i is not None and 0 <= i < NSOCK and s.owner[i] is None:
            s.foreign[i] = 1

    def _lost(self, why):
        self.ip = None
        self._down = True
        self.slots.kill_all(why)

    # --- bring-up ------------------------------------------------------------------------
    def start(self, pin=None, timeout_ms=15000):
        """Sync with AT, echo off, numeric errors, the SIM ready (its PIN entered when
        it asks and pin is given), and sockets left open in the module by an earlier
        run of the program closed."""
        if pin is not None:
            pin = check.text(pin, "pin", 8)
        deadline = ticks_add(ticks_ms(), clamp_ms(timeout_ms))
        self._sync(deadline)
        self._bring_up(pin, deadline)

    def _bring_up(self, pin, deadline):
        # start() after the sync; recover() comes here straight from its own resync.
        e = self.eng
        e.echo_off = False
        e.check(e.command(b"ATE0", self._left(deadline, 1000)))
        e.echo_off = True
        e.check(e.command(b"AT+CMEE=1", self._left(deadline, 1000)))
        self._sim(pin, deadline)
        self._pin = pin
        self.started = True
        self._close_foreign(deadline)
        self._known_good()

    def _sync(self, deadline):
        # The engine's resync, which an old answer cannot satisfy (a booting module's late
        # OK, or the answer an earlier run of the program never read). If the module does
        # not answer, it may still wait for the payload a program that died after a prompt
        # promised (fed as ESC, at most one send's 1460 bytes), or sit in data mode or an
        # upload (+++ between guard times): each is tried once, then plain syncs again.
        e = self.eng
        p = e.p
        noise = p.noise + p.unknown
        step = 0
        while True:
            left = ticks_diff(deadline, ticks_ms())
            if left <= 0:
                if p.noise + p.unknown != noise:
                    raise OSError(ETIMEDOUT, "no answer to AT, only unreadable bytes (%d noise, %d"
                                  " unknown lines): is the baud rate right?" % (p.noise, p.unknown))
                raise OSError(ETIMEDOUT, "no answer to AT: is the module powered and wired (TX/RX crossed)?")
            e.owed = 1460 if step == 1 else 0
            e.data_mode = step == 2
            try:
                e.resync(left if left < 3000 else 3000)
                return
            except OSError as ex:
                if ex.errno != ETIMEDOUT:
                    raise
            step += 1

    def _sim(self, pin, deadline):
        e = self.eng
        entered = False
        while True:
            lines = []
            self._lines = lines
            e.on_line = self._take_line
            kind = e.command(b"AT+CPIN?", self._left(deadline, 5000), b"+CPIN:")
            state = lines[0][7:].strip() if lines and kind == at.K_OK else b""
            if state == b"READY":
                return
            if kind == at.K_CME and e.p.code == 10:
                raise OSError(ENOENT, "SIM not inserted (+CME ERROR: 10)")
            if state == b"SIM PUK":
                raise OSError(EACCES, "the SIM is blocked and asks for its PUK: unlock it in a phone")
            if state == b"SIM PIN" and not entered:
                if pin is None:
                    raise OSError(EACCES, "the SIM asks for its PIN: call start(pin=...)")
                e.begin(b"AT+CPIN=")
                e.add_quoted(pin)
                kind = e.run(self._left(deadline, 5000))
                if kind == at.K_CME and e.p.code == 16:
                    raise OSError(EACCES, "wrong SIM PIN (+CME ERROR: 16); the SIM blocks after 3 tries")
                e.check(kind)
                entered = True
            elif ticks_diff(deadline, ticks_ms()) <= 0:
                if kind != at.K_OK:
                    e.fail(kind)
                raise OSError(ETIMEDOUT, "SIM not ready: " + state.decode())
            left = ticks_diff(deadline, ticks_ms())
            sleep_ms(500 if left > 500 else left)  # SIM busy after power-up, or the PIN just entered

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
            "resyncs": e.resyncs,
            "echoes": e.echoes,
            "banners": e.banners,
            "restarts": self.restarts,
            "pdp_lost": self.pdp_lost,
            "recoveries": self.recoveries,
            "power_cycles": self.power_cycles,
            "ring_full": e.ring.full_events,
            "ring_overflow_bytes": e.ring.overflows,
        }

    # --- PDP context -----------------------------------------------------------------------
    def attach(self, apn="CMNET", user="", password="", timeout_ms=150000):
        """Wait for registration, bring the PDP context up and return the local IP. On
        failure PDPError names the step (chapter 4 checks after a refused AT+QIACT)."""
        bapn = check.text(apn, "apn", 100)
        buser = check.optional_text(user, "user", 60)
        bpass = check.optional_text(password, "password", 60)
        deadline = ticks_add(ticks_ms(), clamp_ms(timeout_ms))
        self._registered(deadline)
        state = self.status(self._left(deadline, 5000))[0]
        if state == "PDP DEACT":
            self.detach(self._left(deadline, 40000))
            state = "IP INITIAL"
        e = self.eng
        if state == "IP INITIAL":
            e.begin(b"AT+QIFGCNT=")
            e.add_int(self.cid)
            e.check(e.run(self._left(deadline, 1000)))
            e.begin(b"AT+QICSGP=1,")
            e.add_quoted(bapn)
            if buser or bpass:
                e.add_byte(44)
                e.add_quoted(buser)
                e.add_byte(44)
                e.add_quoted(bpass)
            e.check(e.run(self._left(deadline, 1000)))
            # Several sockets and plain TCP beside SSL (chapter 1.3), data read on demand.
            e.check(e.command(b"AT+QIMUX=1", self._left(deadline, 1000)))
            e.check(e.command(b"AT+QIREGAPP", self._left(deadline, 5000)))
            state = "IP START"
        if state in ("IP START", "IP CONFIG", "IP IND"):
            kind = e.command(b"AT+QIACT", self._left(deadline, 150000))
            if kind != at.K_OK:
                self._diagnose(deadline)
        e.check(e.command(b"AT+QINDI=1", self._left(deadline, 1000)))
        self._local_ip(deadline)
        self._apn = (apn, user, password)
        self._close_foreign(deadline)
        self._known_good()
        return self.ip

    def _registered(self, deadline):
        """Wait until registered on the packet network (home or roaming)."""
        while True:
            stat = self._query_int(b"AT+CGREG?", b"+CGREG:", 1, self._left(deadline, 5000))
            if stat == 1 or stat == 5:
                return
            if stat == 3:
                raise PDPError("CGREG", "registration denied by the network (+CGREG stat 3): check the SIM's plan")
            if ticks_diff(deadline, ticks_ms()) <= 1000:
                words = _REG_WORDS[stat] if stat is not None and 0 <= stat < len(_REG_WORDS) else "no answer"
                raise PDPError("CGREG", "not registered on the packet network: %s (stat %s)" % (words, stat))
            sleep_ms(1000)

    def _local_ip(self, deadline):
        e = self.eng
        self._lines = []
        e.on_line = self._take_ip
        kind = e.command(b"AT+QILOCIP", self._left(deadline, 5000), at.BARE)
        if kind != at.K_OK or not self._lines:
            e.fail(kind)
        self.ip = self._lines[0]

    def _take_ip(self, p):
        # AT+QILOCIP answers a bare address and no OK (ERRATA 18).
        if at.is_ipv4(p.line, 0, p.n):
            self._lines.append(at.text(p.line, 0, p.n))
            self.eng.final = at.K_OK

    def _diagnose(self, deadline):
        # Chapter 4 / ERRATA 23: attach, registration, APN, then give up.
        e = self.eng
        if self._query_int(b"AT+CGATT?", b"+CGATT:", 0, self._left(deadline, 5000)) != 1:
            if e.command(b"AT+CGATT=1", self._left(deadline, 75000)) != at.K_OK:
                raise PDPError("CGATT", "the module could not attach to the packet domain")
        stat = self._query_int(b"AT+CGREG?", b"+CGREG:", 1, self._left(deadline, 5000))
        if stat not in (1, 5):
            raise PDPError("CGREG", "not registered on the packet network (stat %s)" % stat)
        if e.command(b"AT+QIACT", self._left(deadline, 150000)) == at.K_OK:
            return
        raise PDPError(
            "QIACT",
            "activation refused though attached and registered: check the APN, that the"
            " context is not used by PPP or AT+CGACT; else reboot the module (retry"
            " three times, ten minutes apart)",
        )

    def _query_int(self, cmd, prefix, field, timeout_ms=5000):
        """Integer field of a one-line query answer, None if absent."""
        self._lines = []
        self.eng.on_line = self._take_line
        kind = self.eng.command(cmd, timeout_ms, prefix)
        if kind != at.K_OK or not self._lines:
            return None
        line = self._lines[0]
        offs = [0] * 8
        n = at.split_fields(line, len(prefix), len(line), offs)
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

    def query_line(self, cmd, prefix, timeout_ms=5000):
        """The one prefixed answer line of a query; OSError(EIO) when it is missing."""
        lines = self.query(cmd, prefix, timeout_ms)
        if not lines:
            raise OSError(EIO, "no %s answer to %s" % (_s(prefix), _s(cmd)))
        return lines[0]

    def detach(self, timeout_ms=40000):
        """Deactivate the PDP context (AT+QIDEACT); every socket dies."""
        kind = self.eng.command(b"AT+QIDEACT", timeout_ms, None, F_DEACT)
        if kind != at.K_DEACT_OK:
            self.eng.fail(kind)
        self.ip = None
        self._apn = None  # asked for: recovery does not bring it back
        self.slots.kill_all(DEAD_PDP)

    def status(self, timeout_ms=5000):
        """AT+QSSLSTATE: (state, [(index, type, ip, port, status, is_ssl), ...])."""
        rows = []
        state = None
        s = self.slots
        busy = bytearray(NSOCK)
        for line in self.query(b"AT+QSSLSTATE", b"+QSSLSTATE:", timeout_ms):
            offs = [0] * 12
            n = at.split_fields(line, 11, len(line), offs)
            if n == 1:
                state = at.text(line, offs[0], offs[1])
            elif n >= 6:
                i = at.parse_int(line, offs[0], offs[1])
                if i is None or not 0 <= i < NSOCK:
                    raise OSError(EIO, "garbled AT+QSSLSTATE row")
                busy[i] = 1
                rows.append((i, at.text(line, offs[2], offs[3]), at.text(line, offs[4], offs[5]),
                             at.parse_int(line, offs[6], offs[7]), at.text(line, offs[8], offs[9]),
                             at.parse_int(line, offs[10], offs[11]) == 1))
            else:
                raise OSError(EIO, "garbled AT+QSSLSTATE line")
        if state is None:
            raise OSError(EIO, "AT+QSSLSTATE answered without its state line")
        for i in range(NSOCK):
            s.foreign[i] = 1 if busy[i] and s.owner[i] is None else 0
        return state, rows

    def _close_foreign(self, deadline):
        """Close what the module holds that no socket of ours owns (left from before an
        MCU reset, or a connect that timed out), so its indexes are free again."""
        e = self.eng
        for row in self.status(self._left(deadline, 5000))[1]:
            i = row[0]
            if self.slots.owner[i] is not None:
                continue
            e.begin(b"AT+QSSLCLOSE=" if row[5] else b"AT+QICLOSE=")
            e.add_int(i)
            try:
                if e.run(self._left(deadline, 5000), None, F_CLOSE) == at.K_CLOSE_OK:
                    self.slots.foreign[i] = 0
            except OSError as ex:
                if ex.errno == ETIMEDOUT:
                    raise

    # --- recovery ----------------------------------------------------------------------------
    def prepare_connect(self, timeout_ms):
        """Asked by a socket before it opens: make the module ready for a connection,
        recovering first when something happened since it was last known good."""
        if not self.started:
            raise OSError(ENOTCONN, "call modem.start() and modem.attach() before connecting")
        if self.needs_recovery():
            self.recover(timeout_ms)
        elif self.ip is None:
            raise OSError(ENOTCONN, "the PDP context is not up: call modem.attach() first"
                          if self._apn is None else
                          "the PDP context was lost: call modem.recover() or modem.attach()")
        s = self.slots
        for i in range(6):
            if s.owner[i] is None and not s.foreign[i]:
                return
        # No index free: close those the module holds for nobody (a connect abandoned at
        # its deadline, a program before an MCU reset).
        self._close_foreign(ticks_add(ticks_ms(), clamp_ms(timeout_ms)))

    def needs_recovery(self):
        """True when recovery is on and something happened since the module was last known
        good (a restart or PDP loss seen, an exchange lost, anything that moved the epoch)."""
        e = self.eng
        return self.auto_recover and self._apn is not None and (
            self._down or e.unsure or self.ip is None or e.epoch() != self._epoch)

    def recover(self, timeout_ms=120000):
        """Rebuild what is missing: sync with the module (power-cycling it through
        `power` when it does not answer), echo off, SIM PIN, registration, the PDP
        context with the last APN; contexts are re-checked at their next connect.
        Sockets that were open stay failed, each with its cause."""
        deadline = ticks_add(ticks_ms(), clamp_ms(timeout_ms))
        e = self.eng
        self.recoveries += 1
        echoes = e.echoes
        try:
            e.resync(self._left(deadline, 10000))
        except OSError as ex:
            if ex.errno != ETIMEDOUT or self.power is None:
                raise OSError(ETIMEDOUT, "the module does not answer; give Modem(power=...) so"
                              " recovery can power-cycle it")
            self._power_cycle()
            self._sync(ticks_add(ticks_ms(), self._left(deadline, 30000)))
        self._bring_up(self._pin, ticks_add(ticks_ms(), self._left(deadline, 30000)))
        # An echo where we had switched it off, or "+CMEE: 0": the module restarted unseen.
        restarted = e.echoes != echoes
        state = self.status(self._left(deadline, 5000))[0]
        if state not in _UP_STATES:
            # The PDP context is gone (unseen restart or PDP loss): so are open sockets.
            self.slots.kill_all(DEAD_REBOOT if restarted else DEAD_PDP)
            self.ip = None
        if self._apn is not None and self.ip is None:
            apn, user, password = self._apn
            self.attach(apn, user, password, self._left(deadline, 150000))
        self._down = False
        self._known_good()

    def _power_cycle(self):
        power = self.power
        if power is None:
            return
        self.power_cycles += 1
        power(False)
        sleep_ms(_POWER_OFF_MS)
        power(True)
        e = self.eng
        e.unsure = False
        e.owed = 0
        e.data_mode = False
        self._lost(DEAD_REBOOT)

    def _known_good(self):
        self._epoch = self.eng.epoch()
        self._down = False

    def _left(self, deadline, longest):
        t = ticks_diff(deadline, ticks_ms())
        if t <= 0:
            raise OSError(ETIMEDOUT, "timed out")
        return t if t < longest else longest

    def open_refused(self):
        """A socket's open was refused while the PDP context looked up: with recovery on,
        take it as lost (its +PDP DEACT may have been lost on the line); True then."""
        if self.auto_recover and self._apn is not None:
            self._down = True
            return True
        return False

    def explain_refusal(self, kind, command):
        """A socket's open command was refused: say why when we know."""
        if self.ip is None:
            raise OSError(ENOTCONN, "the PDP context is not up: call modem.attach() first"
                          " (%s answered ERROR)" % command)
        self.eng.fail(kind)

    # --- the network-interface surface MicroPython users know ---------------------------------
    def isconnected(self):
        """True while the PDP context is up (as far as the URCs seen tell)."""
        self.eng.poll()
        return self.ip is not None

    def ipconfig(self, key):
        """ipconfig("addr4"): the local IP address while the PDP context is up, else None."""
        if key != "addr4":
            raise OSError(EINVAL, "ipconfig() knows 'addr4'")
        return self.ip

    def signal(self):
        """(rssi_dbm, ber) from AT+CSQ; each None where the module does not know it."""
        line = self.query_line(b"AT+CSQ", b"+CSQ:")
        offs = [0] * 4
        at.split_fields(line, 5, len(line), offs)
        rssi = at.parse_int(line, offs[0], offs[1])
        ber = at.parse_int(line, offs[2], offs[3])
        if rssi is None or ber is None:
            raise OSError(EIO, "garbled AT+CSQ answer")
        return (-113 + 2 * rssi if 0 <= rssi <= 31 else None), (ber if 0 <= ber <= 7 else None)

    def info(self):
        """{"imei", "iccid", "model", "revision"} read from the module (AT+GSN, AT+QCCID,
        AT+GMM, AT+GMR)."""
        out = {}
        for key, cmd in (("imei", b"AT+GSN"), ("iccid", b"AT+QCCID"), ("model", b"AT+GMM"),
                         ("revision", b"AT+GMR")):
            lines = self.query(cmd, at.BARE)
            if not lines:
                raise OSError(EIO, "no answer line to " + cmd.decode())
            line = lines[-1]
            s = line.find(b": ") + 1  # "+QCCID: ...", "Revision: ...": the value after the label
            while s < len(line) and line[s] == 32:
                s += 1
            out[key] = at.text(line, s, len(line))
        return out

    # --- sockets, contexts, module-wide settings -----------------------------------------------
    def ssl_context(self, index=0):
        """The qssl.SSLContext for ctxindex 0..5 (one object per index)."""
        check.integer(index, "ctxindex", 0, NSOCK - 1)
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
            raise OSError(EINVAL, "not a global SSL setting: %s" % name)
        check.integer(value, name, -1, 5)
        e = self.eng
        e.begin(b'AT+QSSLCFG="')
        e.add(name.encode())
        e.add(b'",')
        e.add_int(value)
        e.check(e.run(1000))

    def get_global(self, name):
        """A module-wide AT+QSSLCFG setting as the module reports it (int)."""
        if name not in _GLOBALS:
            raise OSError(EINVAL, "not a global SSL setting: %s" % name)
        line = self.query_line(b'AT+QSSLCFG="' + name.encode() + b'"', b"+QSSLCFG:")
        v = at.parse_int(line, line.rfind(b",") + 1, len(line))
        if v is None:
            raise OSError(EIO, "garbled answer to the %s query" % name)
        return v

    # certificate store (certs.py does the work)
    def cert_write(self, name, data, timeout_s=100):
        """Upload data (bytes, or str as UTF-8) as "RAM:<file>" or "NVRAM:CA0|CC0|CK0",
        deleting an old file of that name first; the size and checksum the module reports
        are checked. Returns the checksum."""
        from . import certs

        return certs.write(self, name, data, timeout_s)

    def cert_read(self, name):
        """(good, checksum) from AT+QSECREAD; OSError(ENOENT) when there is no such file."""
        from . import certs

        return certs.read(self, name)

    def cert_delete(self, name):
        """Delete a certificate or key (AT+QSECDEL); OSError(ENOENT) when there is none."""
        from . import certs

        return certs.delete(self, name)


def _b(s):
    return s if isinstance(s, (bytes, bytearray)) else s.encode()


def _s(b):
    return b if isinstance(b, str) else bytes(b).decode()
