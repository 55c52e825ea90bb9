"""The emulator: one worker thread owns all module state.

Host bytes, network events and fault requests arrive on one queue; the worker
frames command lines with qssl.at.Parser, dispatches them (commands_*.py), and
queues output records in order (output.Output), so URCs only ever appear between
records. Input modes: "cmd" (AT lines), "raw" (fixed-length data after "> "),
"ctrlz" (data ended by Ctrl+Z/ESC), "secwrite" (certificate upload), "data"
(transparent SSL), "wait" (a transparent open is running; input is held),
"busy" (a command answers after a delay, answer_later; input is held).

Power, baud rate and line damage sit between the worker and the line: wire.py.
"""
import datetime
import queue
import threading
import time

from qssl import at

from .hostparser import HostParser

from . import commands_basic, commands_certs, commands_network, commands_sslcfg, commands_ssl, commands_tcp
from . import sim as simcard
from . import wire
from .faults import Faults
from .output import Output
from .port import HostPort
from .state import State
from .transcript import Transcript

GUARD = 1.0  # seconds of silence around +++ in transparent mode
LINE_SIZE = 1024
HOLD_MODES = ("wait", "busy")  # input stays in inbuf until the mode ends


class Request:
    """One AT command: kind is "exec", "read", "test" or "write"."""

    def __init__(self, name, kind, line, start):
        self.name = name
        self.kind = kind
        self.line = line
        self.offs = [0] * (2 * at._MAX_FIELDS)
        self.n = at.split_fields(line, start, len(line), self.offs) if kind == "write" else 0

    def raw(self, i):
        return self.line[self.offs[2 * i] : self.offs[2 * i + 1]]

    def str(self, i, default=None):
        if i >= self.n:
            return default
        return self.raw(i).decode("latin-1")

    def int(self, i, default=None):
        if i >= self.n:
            return default
        v = at.parse_int(self.line, self.offs[2 * i], self.offs[2 * i + 1])
        return default if v is None else v

    def given(self, i):
        return i < self.n and self.offs[2 * i + 1] > self.offs[2 * i]


class Emulator:
    def __init__(
        self,
        routes=None,
        baud=None,
        echo=True,
        log=None,
        local_ip="10.1.83.188",
        autobaud=False,
        powered=True,
        sim="ready",
        sim_pin=None,
        sim_puk=None,
        imei="866104021234567",
        iccid="89860012345678901234",
        payload_timeout=None,
    ):
        self.routes = dict(routes or {})
        self.baud = baud
        self.local_ip = local_ip
        self.autobaud = bool(autobaud)  # a start prints nothing until the host sends "AT"
        self.payload_timeout = payload_timeout  # seconds a "> " waits for its data; None: for ever
        self.net_delay = 0.3  # seconds a refused QIACT / CGATT=1 takes to answer
        self.sim_ready_delay = 0.2  # seconds from the PIN's OK to "Call Ready"
        self.manufacturer = "Quectel_Ltd"
        self.model = "Quectel_M66"
        self.revision = "M66FAR02A12"
        self.imei = imei
        self.iccid = iccid
        self.state = State()
        self.state.card.set(sim, pin=sim_pin, puk=sim_puk)
        self.state.reset()
        self.state.echo = echo  # the first start only; every restart turns echo on (ERRATA 24)
        self._clock = None
        self.transcript = Transcript(log) if log else None
        self._port = HostPort(self._on_host_input, baud=baud)
        self._sink = self._port.deliver
        self.out = Output(lambda b: self._sink(b), baud=baud, transcript=self.transcript)
        self.wire = wire.Wire(self)
        if not powered:
            self.wire.power = "off"
        self.faults = Faults(self)
        self._q = queue.Queue()
        self._thread = None
        self._running = False
        self.parser = HostParser(line_size=LINE_SIZE)
        self.commands = {}
        for mod in (commands_basic, commands_network, commands_sslcfg, commands_certs, commands_ssl, commands_tcp):
            self.commands.update(mod.COMMANDS)
        self._reset_io()

    # --- public API -------------------------------------------------------------------
    @property
    def clock(self):
        if self._clock is None:
            return datetime.datetime.now(datetime.timezone.utc)
        return self._clock

    @clock.setter
    def clock(self, value):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        self._clock = value

    def port(self):
        return self._port

    def set_sink(self, sink):
        """Send output somewhere else than the in-process port (the pty)."""
        self._sink = sink

    def start(self):
        if self._running:
            return
        self._running = True
        self.out.start()
        self._thread = threading.Thread(target=self._run, name="quecsim-worker", daemon=True)
        self._thread.start()

    def stop(self):
        if not self._running:
            return
        self.call(self._close_all)
        self._q.put(("stop",))
        self._thread.join(3)
        self._running = False
        self.out.stop()
        if self.transcript:
            self.transcript.close()

    def boot(self):
        """The start-up output of the first start: the banner, or nothing in autobaud mode."""
        self.call(self._greet, not self.autobaud)

    # --- power, SIM, network (settings a test or a board file changes) ------------------------
    @property
    def powered(self):
        return self.wire.power != "off"

    def power(self, on):
        """Switch the supply (what a board's PWRKEY code does). Off: silent and deaf.
        Off -> on: a fresh start, as restart(); on -> on and off -> off change nothing."""
        self.call(self._power, bool(on))

    def _power(self, on):
        if on == self.powered:
            return
        if on:
            self.restart(not self.autobaud)
        else:
            self._halt()
            self.wire.power = "off"

    def sim(self, state, pin=None, puk=None):
        """The SIM card from now on (it survives restarts): "ready", "pin" (PIN lock on,
        pin default "1234"), "puk" (blocked, puk default "12345678") or "absent".
        A locked card is locked at once, as if just inserted; no URC is printed."""
        simcard.check_card(state, pin, puk)  # here: an error on the worker would print ERROR
        self.call(self._sim_changed, state, pin, puk)

    def _sim_changed(self, state, pin, puk):
        st = self.state
        st.card.set(state, pin=pin, puk=puk)
        was_running = st.reg_t0 is not None
        st.pin_ok = False
        if not st.sim_ready():
            st.reg_t0 = None
        elif not was_running:
            commands_network.start_registration(self)

    def registration(self, steps, gprs=None):
        """+CREG schedule [(stat, seconds), ..., (stat, None)] (or a bare stat), run from
        now (and from every start once the SIM is ready). gprs: the +CGREG schedule if
        it differs. stat: 0 not searching, 1 home, 2 searching, 3 denied, 4 unknown, 5 roaming."""
        steps = simcard.check_steps(steps)
        gsteps = None if gprs is None else simcard.check_steps(gprs)

        def apply():
            self.state.reg_steps, self.state.greg_steps = steps, gsteps
            commands_network.start_registration(self)

        self.call(apply)

    def signal(self, rssi, ber=0):
        """What AT+CSQ answers: rssi 0..31 or 99 (unknown), ber 0..7 or 99."""
        rssi, ber = int(rssi), int(ber)
        if not (0 <= rssi <= 31 or rssi == 99) or not (0 <= ber <= 7 or ber == 99):
            raise ValueError("rssi must be 0..31 or 99, ber 0..7 or 99")
        self.state.csq = (rssi, ber)

    def call(self, fn, *args, wait=True):
        """Run fn(*args) on the worker thread (faults, boot)."""
        if not self._running or threading.current_thread() is self._thread:
            return fn(*args)
        done = threading.Event()
        box = []

        def job():
            try:
                box.append(fn(*args))
            finally:
                done.set()

        self._q.put(("call", job))
        if wait:
            done.wait(5)
        return box[0] if box else None

    # --- output helpers (worker thread) ---------------------------------------------------
    def emit(self, data, log=None, kind="response"):
        """One chunk of output (kinds: wire.py)."""
        self.wire.send(data, kind, log)

    def line(self, text, kind=None):
        if isinstance(text, str):
            text = text.encode("latin-1")
        chunk = b"\r\n" + text + b"\r\n"
        self.emit(chunk, kind=kind or wire.line_kind(chunk))

    def ok(self):
        self.line("OK")

    def error(self):
        self.line("ERROR")

    def cme(self, code):
        if self.state.cmee == 0:
            self.error()
        else:
            self.line("+CME ERROR: %d" % code)

    def urc(self, text):
        """A URC; held back while in transparent data mode (it would be payload)."""
        if self.mode == "data":
            self.deferred.append(text)
        else:
            self.line(text, kind="urc")

    def answer_later(self, delay, answer):
        """Hold input and answer after delay seconds (a command the network makes slow)."""
        self.mode = "busy"

        def done():
            if self.mode == "busy":
                self.mode = "cmd"
                answer()
                self.process_input()

        self.add_timer(delay, done)

    def _greet(self, banner):
        if not banner:
            self.wire.autobaud_wait = True
            return
        self.line("RDY", kind="urc")
        if self.state.sim_ready():
            self.line("Call Ready", kind="urc")
            self.line("SMS Ready", kind="urc")

    # --- routing --------------------------------------------------------------------------
    def route(self, host, port):
        t = self.routes.get((host, port))
        if t is None:
            t = self.routes.get((host.lower(), port))
        if t is not None:
            return (t[0], int(t[1]))
        parts = host.split(".")
        if len(parts) == 4 and parts[0] == "127" and all(p.isdigit() for p in parts):
            return (host, port)
        return None

    # --- worker -----------------------------------------------------------------------------
    def _reset_io(self):
        self.mode = "cmd"
        self.inbuf = bytearray()
        self.parser.reset()
        self.pending = None  # what a data phase is for (dict)
        self.data_conn = None  # the transparent connection
        self.esc = bytearray()  # "+" bytes held in data mode
        self.esc_deadline = None
        self.last_in = 0.0
        self.sec_plus = None  # time of a "+++" held during an upload's trailing guard
        self.timers = []  # (deadline, fn)
        self.deferred = []  # URCs held during data mode

    def _on_host_input(self, data):  # any thread
        self._q.put(("in", bytes(data), time.monotonic()))

    def post(self, ev):
        self._q.put(ev)

    def add_timer(self, delay, fn):
        self.timers.append((time.monotonic() + delay, fn))

    def _run(self):
        while True:
            now = time.monotonic()
            due = [t for t in self.timers if t[0] <= now]
            if due:
                self.timers = [t for t in self.timers if t[0] > now]
                for _, fn in due:
                    fn()
                continue
            deadlines = [t[0] for t in self.timers]
            if self.esc_deadline is not None:
                deadlines.append(self.esc_deadline)
            timeout = max(0.0, min(deadlines) - now) if deadlines else 0.5
            try:
                ev = self._q.get(timeout=timeout)
            except queue.Empty:
                ev = None
            if ev is None:
                self._check_escape()
                continue
            kind = ev[0]
            if kind == "stop":
                return
            try:
                if kind == "in":
                    self._input(ev[1], ev[2])
                elif kind == "call":
                    ev[1]()
                else:
                    commands_ssl.on_net_event(self, ev)
            except Exception:  # noqa: BLE001 - the module must survive a bug in one command
                import traceback

                traceback.print_exc()
                self.mode = "cmd"
                self.error()
            self._check_escape()

    def _input(self, data, t):
        data = self.wire.receive(data)
        if not data:
            return
        gap = t - self.last_in
        self.last_in = t
        if self.mode == "data":
            self._data_input(data, gap, t)
            return
        if self.mode == "secwrite" and self._upload_escape(data, gap, t):
            return
        self.inbuf += data
        self.process_input()

    def _upload_escape(self, data, gap, t):
        # During QSECWRITE, "+++" ends the upload only as in data mode: sent alone after
        # GUARD of silence and followed by GUARD of silence. Otherwise it is data.
        if self.sec_plus is not None:
            self.sec_plus = None
            self.inbuf += b"+++"  # more came within the guard: the +++ was data
            return False
        if gap < GUARD or data != b"+++":
            return False
        self.sec_plus = t
        token = self.pending

        def fire():
            if self.sec_plus == t and self.pending is token and self.mode == "secwrite":
                self.sec_plus = None
                if self.transcript:
                    self.transcript.host(b"+++")
                commands_certs.secwrite_escape(self)

        self.add_timer(GUARD, fire)
        return True

    def process_input(self):
        """Consume inbuf according to the mode, as far as possible."""
        p = self.parser
        while self.inbuf and self.mode not in HOLD_MODES:
            buf = self.inbuf
            if self.mode in ("cmd", "raw"):
                ev = p.feed(buf, 0, len(buf))
                used = p.pos
                if self.transcript and used:
                    self.transcript.host(bytes(buf[:used]))
                del buf[:used]
                if ev == at._EV_LINE:
                    self._on_line(bytes(p.line[: p.n]))
                elif ev == at._EV_RAW:
                    self.mode = "cmd"
                    pend, self.pending = self.pending, None
                    pend["done"](self, bytes(pend["buf"][: pend["len"]]))
                elif ev == at._EV_OVERFLOW:
                    self.error()
                elif ev == at._EV_NONE:
                    break
            elif self.mode == "ctrlz":
                self._ctrlz_input()
            elif self.mode == "secwrite":
                commands_certs.secwrite_input(self)
            elif self.mode == "data":
                data = bytes(buf)
                del buf[:]
                self._data_input(data, 0.0, time.monotonic())
            else:
                break

    # --- data phases ----------------------------------------------------------------------------
    def prompt_raw(self, n, done):
        """Answer CR LF "> " and take exactly n bytes; then done(emu, data)."""
        buf = bytearray(n)
        self.pending = {"buf": buf, "len": n, "done": done}
        self.parser.set_raw_dst(buf, 0, n)
        self.parser.start_raw(n)
        self.mode = "raw"
        self.emit(b"\r\n> ", kind="prompt")
        self._payload_deadline()

    def prompt_ctrlz(self, limit, done):
        """Answer "> " and take bytes until Ctrl+Z (send) or ESC (cancel)."""
        self.pending = {"buf": bytearray(), "limit": limit, "done": done}
        self.mode = "ctrlz"
        self.emit(b"\r\n> ", kind="prompt")
        self._payload_deadline()

    def _payload_deadline(self):
        # A real module waits for the promised bytes for ever (the default, None).
        if self.payload_timeout is None:
            return
        token = self.pending

        def expire():
            if self.pending is token and self.mode in ("raw", "ctrlz"):
                self.mode = "cmd"
                self.pending = None
                self.parser.reset()
                self.error()

        self.add_timer(float(self.payload_timeout), expire)

    def _ctrlz_input(self):
        buf = self.inbuf
        pend = self.pending
        for i in range(len(buf)):
            c = buf[i]
            if c == 0x1A or c == 0x1B:
                if self.transcript:
                    self.transcript.host(bytes(buf[: i + 1]))
                pend["buf"] += buf[:i]
                del buf[: i + 1]
                self.mode = "cmd"
                self.pending = None
                self.parser.reset()
                if c == 0x1B:
                    self.ok()
                elif len(pend["buf"]) > pend["limit"] or not pend["buf"]:
                    self.error()
                else:
                    pend["done"](self, bytes(pend["buf"]))
                return
        if self.transcript:
            self.transcript.host(bytes(buf))
        pend["buf"] += buf
        del buf[:]

    def enter_data(self, conn):
        self.mode = "data"
        self.data_conn = conn
        self.esc = bytearray()
        self.esc_deadline = None
        self.last_in = time.monotonic()
        if conn.rx:
            data = bytes(conn.rx)
            del conn.rx[:]
            self.emit(data, kind="data")

    def leave_data(self):
        self.mode = "cmd"
        self.esc = bytearray()
        self.esc_deadline = None
        self.parser.reset()
        self.timers.append((time.monotonic() + 0.01, self._flush_deferred))

    def _flush_deferred(self):
        if self.mode != "data":
            held, self.deferred = self.deferred, []
            for t in held:
                self.line(t, kind="urc")

    def _data_input(self, data, gap, t):
        if self.transcript:
            self.transcript.host(data)
        conn = self.data_conn
        if self.esc or (gap >= GUARD and data[:1] == b"+"):
            cand = self.esc + data
            if len(cand) <= 3 and cand == b"+" * len(cand):
                self.esc = bytearray(cand)
                self.esc_deadline = t + GUARD if len(cand) == 3 else t + GUARD
                return
            data = bytes(cand)
            self.esc = bytearray()
            self.esc_deadline = None
        if conn is not None and conn.state == "CONNECTED":
            conn.send(data)

    def _check_escape(self):
        if self.esc_deadline is None or time.monotonic() < self.esc_deadline:
            return
        held = bytes(self.esc)
        self.esc = bytearray()
        self.esc_deadline = None
        if self.mode != "data":
            return
        if held == b"+++":
            self.leave_data()
            self.ok()
        elif self.data_conn is not None and self.data_conn.state == "CONNECTED":
            self.data_conn.send(held)

    # --- command lines ------------------------------------------------------------------------------
    def _on_line(self, line):
        if self.state.echo:
            self.emit(line + b"\r", kind="echo")
        if len(line) < 2 or line[:2].upper() != b"AT":
            return  # not a command: a module ignores it
        body = line[2:]
        if not body:
            self.ok()
            return
        c = body[:1].upper()
        if c in (b"+", b"&", b"$"):
            i = 1
            while i < len(body) and body[i : i + 1] not in (b"=", b"?"):
                i += 1
            name = body[:i].upper().strip().decode("latin-1")
            rest = body[i:]
            if rest == b"":
                kind, start = "exec", 0
            elif rest == b"?":
                kind, start = "read", 0
            elif rest == b"=?":
                kind, start = "test", 0
            elif rest[:1] == b"=":
                kind, start = "write", 2 + i + 1
            else:
                self.error()
                return
            h = self.commands.get(name)
            if h is None:
                self.error()
                return
            h(self, Request(name, kind, line, start))
            return
        h = self.commands.get("basic")
        h(self, body)

    # --- shutdown / reboot ------------------------------------------------------------------------------
    def _close_all(self):
        for conn in list(self.state.sockets.values()):
            conn.close()
        for conn in list(self.state.sockets.values()):
            conn.join(1)
        self.state.sockets.clear()

    def _halt(self):
        """Everything running stops: sockets, timers, output not yet on the line."""
        self._close_all()
        self.out.flush_pending()
        self.wire.forget_held()
        self._reset_io()
        self.wire.autobaud_wait = False

    def restart(self, banner=True):
        """A module restart (worker thread): the power-on state of State.reset() (echo on,
        CMEE default, no PDP, no sockets, QSSLCFG defaults, RAM files gone, SIM locked again),
        a hang ended; then the banner, or with banner False nothing until "AT" arrives."""
        self._halt()
        self.state.reset()
        self.wire.power = "on"
        commands_network.start_registration(self)
        self._greet(banner)

    def reboot(self, banner=True):
        """A restart the module does by itself (faults.reboot); none without power."""
        if self.powered:
            self.restart(banner)
