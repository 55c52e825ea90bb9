# The modem (services layer): the URC handler that fills the slot table, queries, the
# checks sockets make before they open, the contexts and the module-wide SSL settings.
# Bring-up, the PDP context, status and recovery are in bringup.py, the network-interface
# queries in netif.py, the certificate store in certs.py, the contexts (and with them the
# sockets) in context.py: each loads on its first call, so `import qssl` and Modem() hold
# none of them in RAM. Sockets are made here and by contexts; they ask prepare_connect()
# before they open, and never import this module.
from qssl.compat import const, ENOTCONN
from qssl.engine import Engine
import qssl.slots as slots  # the slot table (its constants are copied below)
import qssl.check as check

# Constants of other modules, as private copies: folded into the bytecode, no globals
# (tests_host/test_shared_consts.py checks each against its source).
_EINVAL = const(22)
_EIO = const(5)
_DEAD_PDP = const(3)
_DEAD_PEER = const(1)
_DEAD_REBOOT = const(4)
_K_ALREADY = const(11)
_K_CONNECT_FAIL = const(10)
_K_CONNECT_OK = const(9)
_K_URC_CLOSED = const(31)
_K_URC_OPEN = const(32)
_K_URC_PDP_DEACT = const(35)
_K_URC_QIRDI = const(33)
_K_URC_RDY = const(36)
_K_URC_RECV = const(30)
_K_URC_TCP_CLOSED = const(34)
_NSOCK = const(6)


class Modem:
    """A Quectel GSM module on a UART: bring-up, the PDP context, recovery, the six SSL
    contexts, the certificate store and the sockets (through contexts and tcp_socket())."""

    def __init__(self, uart, rxbuf=512, debug=None, power=None, recover=True):
        """uart: any UART-like object. power: callable(on) that switches the module
        on/off (the board files provide it from their PWRKEY code), used by recovery when
        the module stops answering. recover: rebuild what a restart or PDP loss took
        away before the next connect."""
        # Checked here, not at their first use: that may be in the middle of an exchange
        # (a transcript line logged after its command went out, power() in a recovery),
        # and a ring of 0 bytes reads nothing, which start() reported as a module not
        # answering.
        check.integer(rxbuf, "rxbuf", 1, 65536)
        if debug is not None and not hasattr(debug, "write"):
            raise TypeError("debug must be a stream (write()) or None")
        if power is not None and not callable(power):
            raise TypeError("power must be callable(on) or None")
        self.eng = Engine(uart, rxbuf=rxbuf, debug=debug)
        self.eng.on_urc = self._on_urc  # pyright: ignore[reportAttributeAccessIssue]
        self.slots = slots.Slots()
        self.eng.on_lost = self.slots.mark_dead  # pyright: ignore[reportAttributeAccessIssue]  # (i): DEAD_LOST
        self.power = power
        self.auto_recover = recover
        self.cid = 0  # foreground context (AT+QIFGCNT)
        self.ip = None
        self.started = False
        self.restarts = 0  # module restarts seen after start()
        self.pdp_lost = 0  # +PDP DEACT seen
        self.recoveries = 0
        self.power_cycles = 0
        self._contexts = [None] * _NSOCK  # type: list  # SSLContext or None, made by ssl_context()
        self._lines = []  # type: list
        self._pin = None
        self._apn = None  # (apn, user, password) of the last attach(), for recovery
        self._epoch = -1  # the engine's epoch when the module was last known good
        self._down = False  # a restart or PDP loss was seen: recover before a connect

    # --- URCs: record into slots, never send ------------------------------------------
    def _on_urc(self, p):
        k = p.kind
        s = self.slots
        if k == _K_URC_RECV:
            p.fields(p.after(b"+QSSLURC:"))
            s.set_ready(p.field_int(2))
        elif k == _K_URC_QIRDI:
            p.fields(p.after(b"+QIRDI:"))
            s.set_ready(p.field_int(2))
        elif k == _K_URC_CLOSED:
            p.fields(p.after(b"+QSSLURC:"))
            s.mark_dead(p.field_int(1), _DEAD_PEER)
        elif k == _K_URC_TCP_CLOSED:
            s.mark_dead(p.index, _DEAD_PEER)
        elif k == _K_URC_OPEN or k == _K_CONNECT_OK or k == _K_CONNECT_FAIL or k == _K_ALREADY:
            if k == _K_URC_OPEN:
                p.fields(p.after(b"+QSSLOPEN:"))
                i = p.field_int(0)
                code = p.field_int(1)
            else:
                # "<i>, CONNECT OK" / "<i>, CONNECT FAIL" / "<i>, ALREADY CONNECT" come after OK
                i = p.index
                code = 0 if k == _K_CONNECT_OK else (-2 if k == _K_ALREADY else -1)
            s.set_opened(i, code)
            # A late success for an index nobody holds any more (its connect timed out):
            # the module keeps that connection, so the index is not free.
            if code == 0 and i is not None and 0 <= i < _NSOCK and s.owner[i] is None:
                s.foreign[i] = 1
        elif k == _K_URC_PDP_DEACT:
            self.pdp_lost += 1
            self._lost(_DEAD_PDP)
        elif k == _K_URC_RDY and self.started:
            self.restarts += 1
            self._lost(_DEAD_REBOOT)

    def _lost(self, why):
        self.ip = None
        self._down = True
        self.slots.kill_all(why)

    # --- bring-up, the PDP context, recovery (bringup.py) --------------------------------
    def start(self, pin=None, timeout_ms=15000):
        """Sync with AT, echo off, numeric errors, the SIM ready (its PIN entered when
        it asks and pin is given), and sockets left open in the module by an earlier
        run of the program closed."""
        import qssl.bringup as bringup

        bringup.start(self, pin, timeout_ms)

    def attach(self, apn="CMNET", user="", password="", timeout_ms=150000):
        """Wait for registration, bring the PDP context up and return the local IP. On
        failure PDPError names the step (chapter 4 checks after a refused AT+QIACT)."""
        import qssl.bringup as bringup

        return bringup.attach(self, apn, user, password, timeout_ms)

    def detach(self, timeout_ms=40000):
        """Deactivate the PDP context (AT+QIDEACT); every socket dies."""
        import qssl.bringup as bringup

        bringup.detach(self, timeout_ms)

    def status(self, timeout_ms=5000):
        """AT+QSSLSTATE: (state, [(index, type, ip, port, status, is_ssl), ...])."""
        import qssl.bringup as bringup

        return bringup.status(self, timeout_ms)

    def recover(self, timeout_ms=120000):
        """Rebuild what is missing: sync with the module (power-cycling it through
        `power` when it does not answer), echo off, SIM PIN, registration, the PDP
        context with the last APN; contexts are re-checked at their next connect.
        Sockets that were open stay failed, each with its cause."""
        import qssl.bringup as bringup

        bringup.recover(self, timeout_ms)

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
        }

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
            raise OSError(_EIO, "no %s answer to %s" % (bytes(_b(prefix)).decode(), bytes(_b(cmd)).decode()))
        return lines[0]

    # --- before a socket opens ---------------------------------------------------------------
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
        if any(self.slots.foreign):
            # Indexes the module holds for nobody (a connect abandoned at its deadline, a
            # program before an MCU reset): closed now, so nothing stays open unseen.
            import qssl.bringup as bringup

            bringup.close_foreign(self, timeout_ms)

    def needs_recovery(self):
        """True when recovery is on and something happened since the module was last known
        good (a restart or PDP loss seen, an exchange lost, anything that moved the epoch)."""
        e = self.eng
        return self.auto_recover and self._apn is not None and (
            self._down or e.unsure or self.ip is None or e.epoch() != self._epoch)

    def open_refused(self):
        """A socket's open was refused while the PDP context looked up: with recovery on,
        take it as lost (its +PDP DEACT may have been lost on the line); True then."""
        if self.auto_recover and self._apn is not None:
            self._down = True
            return True
        return False

    # --- the network-interface surface MicroPython users know (netif.py) -----------------------
    def isconnected(self):
        """True while the PDP context is up (as far as the URCs seen tell)."""
        self.eng.poll()
        return self.ip is not None

    def ipconfig(self, key):
        """ipconfig("addr4"): the local IP address while the PDP context is up, else None."""
        if key != "addr4":
            raise OSError(_EINVAL, "ipconfig() knows 'addr4'")
        return self.ip

    def signal(self):
        """(rssi_dbm, ber) from AT+CSQ; each None where the module does not know it."""
        import qssl.netif as netif

        return netif.signal(self)

    def info(self):
        """{"imei", "iccid", "model", "revision"} read from the module (AT+GSN, AT+QCCID,
        AT+GMM, AT+GMR)."""
        import qssl.netif as netif

        return netif.info(self)

    # --- sockets, contexts, module-wide settings -----------------------------------------------
    def ssl_context(self, index=0):
        """The qssl.SSLContext for ctxindex 0..5 (one object per index)."""
        check.integer(index, "ctxindex", 0, _NSOCK - 1)
        if self._contexts[index] is None:
            from qssl.context import SSLContext  # the socket layer loads with the first context

            self._contexts[index] = SSLContext(self, index)
        return self._contexts[index]

    def tcp_socket(self):
        """A plain TCP socket beside the SSL ones (chapter 1.3)."""
        from qssl.tcp import TCPSocket

        return TCPSocket(self)

    def set_global(self, name, value):
        """Module-wide AT+QSSLCFG settings: "ignorertc", "https", "httpsctxi",
        "smtpstyle", "smtpsctxi"."""
        import qssl.netif as netif

        netif.set_global(self, name, value)

    def get_global(self, name):
        """A module-wide AT+QSSLCFG setting as the module reports it (int)."""
        import qssl.netif as netif

        return netif.get_global(self, name)

    # certificate store (certs.py does the work)
    def cert_write(self, name, data, timeout_s=100):
        """Upload data (bytes, or str as UTF-8) as "RAM:<file>" or "NVRAM:CA0|CC0|CK0",
        deleting an old file of that name first; the size and checksum the module reports
        are checked. Returns the checksum."""
        import qssl.certs as certs

        return certs.write(self, name, data, timeout_s)

    def cert_read(self, name):
        """(good, checksum) from AT+QSECREAD; OSError(ENOENT) when there is no such file."""
        import qssl.certs as certs

        return certs.read(self, name)

    def cert_delete(self, name):
        """Delete a certificate or key (AT+QSECDEL); OSError(ENOENT) when there is none."""
        import qssl.certs as certs

        return certs.delete(self, name)


def _b(s):
    return s if isinstance(s, (bytes, bytearray)) else s.encode()
