"""Hostile-line cases against the in-process emulator (quecsim), with the invariants of
issue 7 checked after each: used by tests_host/test_hostile_*.py and by
tools/fuzz_line.py --emu.

A World is a started emulator, a TLS echo server that records what it received, and
a qssl.Modem started and attached on it (context 0 trusting the test CA). A case arms
one piece of damage (emu.faults), runs one library call (send, recv, status, AT) with
a timeout, then checks:
  - no exception other than OSError escaped;
  - the call returned within its timeout + 0.5 s;
  - delivered payload is byte-exact (a prefix of what the peer sent) or the socket
    failed with an OSError;
  - the module is not left waiting for payload: a raw AT through the library answers
    OK and the emulator is back in command mode with nothing pending;
  - the next command gets its own answer: status() lists exactly the sockets the
    emulator holds, and a new socket echoes;
  - the peer never received command text.
Every wait here is bounded.
"""
import io
import os
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
for _p in (os.path.join(os.path.dirname(_HERE), "lib"), _HERE):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import qssl  # noqa: E402
from qssl import at  # noqa: E402

LOCAL_IP = "10.1.83.188"
ECHO_HOST = "echo.test"
SLACK_S = 0.5  # a call may outlive its timeout by this much (issue 7)
TIMEOUT_S = 2.0  # the socket timeout every case runs with

# The URC kinds a case inserts, and stray finals.
URCS = {
    "recv": b'\r\n+QSSLURC: "recv",0,0\r\n',
    "closed": b'\r\n+QSSLURC: "closed",5\r\n',
    "pdp": b"\r\n+PDP DEACT\r\n",
    "rdy": b"\r\nRDY\r\n",
    "callready": b"\r\nCall Ready\r\n",
    "cme": b"\r\n+CME ERROR: 3\r\n",
}
STRAYS = {
    "ok": b"\r\nOK\r\n",
    "error": b"\r\nERROR\r\n",
    "sendok": b"\r\nSEND OK\r\n",
}


def payload(n, seed=0):
    """n bytes without upper-case letters, so command text ("AT...") in what the peer
    received can only have come from a command sent as payload."""
    alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789-_.,;:!?/\r\n\x00\x1a\xff"
    return bytes(alphabet[(i * 7 + seed * 13 + (i >> 3)) % len(alphabet)] for i in range(n))


def command_text(data):
    """True when data holds an upper-case letter: a piece of a command line."""
    return any(65 <= c <= 90 for c in data)


def insert_at(k, extra):
    """A mangle function: extra inserted at byte offset k of the chunk."""
    return lambda c: c[:k] + extra + c[k:]


def cut_at(k, n=1):
    """A mangle function: n bytes cut out at offset k."""
    return lambda c: c[:k] + c[k + n:]


class CaseFailure(AssertionError):
    pass


# --- hostile UARTs between the library and the emulator's port --------------------------------
class TapPort:
    """Passes everything through and records what the library wrote (.tx) and how
    many writes it made. zero_writes: while True, write() takes nothing (returns 0)."""

    def __init__(self, port):
        self.p = port
        self.tx = bytearray()
        self.writes = 0
        self.zero_writes = False

    def any(self):
        return self.p.any()

    def readinto(self, buf):
        return self.p.readinto(buf)

    def write(self, buf):
        self.writes += 1
        if self.zero_writes:
            return 0
        n = self.p.write(buf)
        self.tx += bytes(buf)[:n]
        return n


class TricklePort(TapPort):
    """Hands input out at most `chunk` bytes a read, so every answer arrives in pieces
    and a stray line before an answer is read on its own."""

    def __init__(self, port, chunk=4):
        super().__init__(port)
        self.chunk = chunk

    def any(self):
        return min(self.p.any(), self.chunk)

    def readinto(self, buf):
        n = min(len(buf), self.chunk)
        return self.p.readinto(memoryview(buf)[:n])


class LumpyPort(TapPort):
    """Hands input out only once the line was quiet for `quiet_s`: lines the module
    writes back to back (OK then CONNECT, OK then ERROR) arrive in one read."""

    def __init__(self, port, quiet_s=0.03):
        super().__init__(port)
        self.quiet_s = quiet_s
        self.buf = bytearray()
        self.last = 0.0

    def _ready(self):
        d = self.p.read()
        if d:
            self.buf += d
            self.last = time.monotonic()
        return len(self.buf) if time.monotonic() - self.last >= self.quiet_s else 0

    def any(self):
        return self._ready()

    def readinto(self, buf):
        n = min(len(buf), self._ready())
        buf[:n] = self.buf[:n]
        del self.buf[:n]
        return n


class World:
    """Emulator + echo server + started, attached modem. wrap: port -> UART-like
    (to put a hostile UART between them)."""

    def __init__(self, pki, wrap=None, echo=True, timeout=TIMEOUT_S):
        from quecsim import Emulator
        from testnet import TlsEchoServer

        self.pki = pki
        self.timeout = timeout  # the socket timeout of a case
        self.srv = TlsEchoServer(pki.server_cert_path, pki.server_key_path)
        self.srv.start()
        self.emu = Emulator(routes={(ECHO_HOST, 443): ("127.0.0.1", self.srv.port)}, echo=echo,
                            local_ip=LOCAL_IP)
        self.emu.start()
        self.emu.boot()
        self.log = io.BytesIO()
        port = self.emu.port()
        self.uart = wrap(port) if wrap is not None else port
        self.m = qssl.Modem(self.uart, debug=self.log)
        self.m.start()
        self.m.attach(apn="CMNET")
        self.ctx = self.m.ssl_context(0)
        self.ctx.load_verify_locations(cadata=pki.ca_pem)
        self.open = []  # sockets a case left open

    def stop(self):
        for s in self.open:
            try:
                s.close()
            except OSError:
                pass
        self.emu.stop()
        self.srv.stop()

    # --- what the far side saw ------------------------------------------------------------
    def peer_data(self):
        """Everything the echo server received, per session."""
        return [rec.get("data", b"") for rec in list(self.srv.sessions)]

    def settle(self, timeout=3.0):
        """Wait until the emulator has written all it queued."""
        self.emu.out.wait_idle(timeout)

    def module_waiting(self):
        """What the emulator waits for instead of a command line ("" when nothing)."""
        self.settle()
        emu = self.emu
        return emu.call(lambda: "" if emu.mode == "cmd" and emu.pending is None else emu.mode) or ""

    def module_sockets(self):
        emu = self.emu
        return emu.call(lambda: sorted(emu.state.sockets)) or []

    def sent_lines(self, since=0):
        return [ln[3:] for ln in self.log.getvalue()[since:].split(b"\n") if ln.startswith(b">> ")]

    # --- sockets --------------------------------------------------------------------------
    def socket(self, timeout=None, connect_timeout=10):
        s = self.ctx.socket()
        s.settimeout(connect_timeout)
        try:
            s.connect((ECHO_HOST, 443))
        except BaseException:
            s.close()
            raise
        s.settimeout(self.timeout if timeout is None else timeout)
        return s

    def wait_ready(self, s, timeout=3.0):
        """Pump until the module said it holds data for s (its recv URC)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.m.poll()
            if self.m.slots.ready[s.ssid]:
                return True
            time.sleep(0.002)
        return False


def timed(fn, limit_s, *args):
    """Run fn(*args): (result, exception, seconds). Only OSError may escape fn; the
    call must return within limit_s + SLACK_S."""
    t0 = time.monotonic()
    res = exc = None
    try:
        res = fn(*args)
    except OSError as e:
        exc = e
    except BaseException as e:  # noqa: BLE001 - that is the finding
        raise CaseFailure("%s raised %r (only OSError may escape)" % (getattr(fn, "__name__", fn), e)) from e
    dt = time.monotonic() - t0
    if dt > limit_s + SLACK_S:
        raise CaseFailure("%s took %.2f s with a %.1f s timeout" % (getattr(fn, "__name__", fn), dt, limit_s))
    return res, exc, dt


def read_rest(s, want, got, limit_s=6.0):
    """Read after a case until `want` bytes were delivered in all or the socket fails;
    the delivered bytes must be a prefix of want. Returns (delivered, exception)."""
    end = time.monotonic() + limit_s
    buf = bytearray(1500)
    while len(got) < len(want):
        if time.monotonic() > end:
            raise CaseFailure("read %d of %d bytes in %.0f s" % (len(got), len(want), limit_s))
        try:
            k = s.recv_into(buf, min(len(buf), len(want) - len(got)))
        except OSError as e:
            return got, e
        if not k:
            break
        got += buf[:k]
        if bytes(got) != want[: len(got)]:
            raise CaseFailure("delivered payload differs from what was sent at byte %d" % _diff(got, want))
    return got, None


def _diff(a, b):
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return i
    return min(len(a), len(b))


def check_clean(world, what="", peer_text=True):
    """The invariants after a case: the library and the module agree again. peer_text
    False: the case itself sent upper-case payload (the caller checks the peer)."""
    m = world.m
    # A raw AT through the library (after the resync it may owe) answers OK.
    try:
        kind = m.eng.command(b"AT", 5000)
    except OSError as e:
        raise CaseFailure("%s: AT after the case failed: %r" % (what, e))
    if kind != at._K_OK:
        raise CaseFailure("%s: AT after the case answered kind %d" % (what, kind))
    waiting = world.module_waiting()
    if waiting:
        raise CaseFailure("%s: the module is left in mode %r (waiting for payload)" % (what, waiting))
    # The next command gets its own answer.
    state, rows = m.status()
    if state not in ("IP STATUS", "IP PROCESSING", "IP INITIAL", "PDP DEACT", "IP START", "IP GPRSACT"):
        raise CaseFailure("%s: status() state %r" % (what, state))
    have = world.module_sockets()
    if sorted(r[0] for r in rows) != have:
        raise CaseFailure("%s: status() rows %r, the module holds %r" % (what, rows, have))
    # The peer never received command text (payloads here have no upper-case letters).
    for data in world.peer_data() if peer_text else ():
        if command_text(data):
            raise CaseFailure("%s: the peer received command text: %r" % (what, data[-80:]))


def echo_works(world, what="", n=100):
    """A new socket connects (recovering first if it must) and echoes byte-exact."""
    data = payload(n, 7)
    s = world.socket()
    try:
        s.sendall(data)
        got, exc = read_rest(s, data, bytearray())
        if exc is not None or bytes(got) != data:
            raise CaseFailure("%s: the echo after the case failed: %r, %d bytes" % (what, exc, len(got)))
    finally:
        s.close()


# --- one case of each exchange ------------------------------------------------------------------
def case_send(world, arm, what, n=200, seed=1):
    """A send with damage armed just before it. What the peer echoes afterwards must be
    exactly what send() said it sent (then a later send), or the socket fails."""
    s = world.socket()
    try:
        data = payload(n, seed)
        arm(world.emu)
        sent, exc, _ = timed(s.send, world.timeout, data)
        world.settle()
        if exc is None and sent != n:
            raise CaseFailure("%s: send returned %r for %d bytes" % (what, sent, n))
        go_on(s, data if exc is None else b"", bytearray(), what)
        return exc
    finally:
        timed(s.close, 5.0)


def case_recv(world, arm, what, n=200, seed=2):
    """A read of data the module holds, damage armed just before it. Then the stream
    goes on byte-exact (the rest of it, then a later echo), or the socket fails."""
    s = world.socket()
    try:
        data = payload(n, seed)
        s.sendall(data)
        if not world.wait_ready(s):
            raise CaseFailure("%s: no recv URC for the echo" % what)
        deadline = time.monotonic() + 2
        while world.emu.call(lambda: len(world.emu.state.sockets[s.ssid].rx)) < n and time.monotonic() < deadline:
            time.sleep(0.005)  # the whole echo in the module, so one read answers it all
        arm(world.emu)
        got, exc, _ = timed(s.recv, world.timeout, 1500)
        world.settle()
        got = got or b""
        if got != data[: len(got)]:
            raise CaseFailure("%s: recv delivered %r, not a prefix of what was sent" % (what, got[:40]))
        go_on(s, data, bytearray(got), what)
        return exc
    finally:
        timed(s.close, 5.0)


def go_on(s, expected, delivered, what):
    """After the damaged call, unless the socket failed: one more echo, and everything
    delivered in all is exactly expected + that echo. A socket that failed must keep
    failing for sends (a later send must not slip into a stream with a gap)."""
    more = payload(120, 9)
    try:
        s.sendall(more)
    except OSError:
        return
    want = expected + more
    got, exc = read_rest(s, want, delivered)
    if exc is None and bytes(got) != want:
        raise CaseFailure("%s: after the case the stream ended after %d of %d bytes" % (what, len(got), len(want)))


def case_status(world, arm, what):
    arm(world.emu)
    res, exc, _ = timed(world.m.status, world.timeout, int(world.timeout * 1000))
    if exc is None:
        state, rows = res
        if state not in ("IP STATUS", "IP PROCESSING"):
            raise CaseFailure("%s: status() returned state %r" % (what, state))
    return exc


def case_at(world, arm, what):
    arm(world.emu)
    res, exc, _ = timed(world.m.eng.command, world.timeout, b"AT", int(world.timeout * 1000))
    if exc is None and res not in (at._K_OK, at._K_REBOOT, at._K_ERROR, at._K_CME):
        raise CaseFailure("%s: AT ended with kind %d" % (what, res))
    return exc


CASES = {"send": case_send, "recv": case_recv, "status": case_status, "at": case_at}


def run_case(world, exchange, arm, what, recv_n=200, send_n=200):
    """One case and the checks after it. Returns the exception the call raised (or None)."""
    if exchange == "send":
        exc = case_send(world, arm, what, send_n)
    elif exchange == "recv":
        exc = case_recv(world, arm, what, recv_n)
    else:
        exc = CASES[exchange](world, arm, what)
    check_clean(world, what)
    echo_works(world, what)
    return exc


# --- the emulator-backed fuzz (tools/fuzz_line.py --emu) -----------------------------------------
KIND_OF = {"send": ("prompt", "final"), "recv": ("response",), "status": ("response",), "at": ("final",)}


def random_case(rng):
    """(exchange, arm, description) of one random piece of damage."""
    import random  # noqa: F401 - rng is a random.Random

    ex = rng.choice(("send", "send", "recv", "recv", "status", "at"))
    kind = rng.choice(KIND_OF[ex])
    frac = rng.random()
    r = rng.random()
    if r < 0.35:
        name = rng.choice(sorted(URCS))
        extra = URCS[name]
        what = "%s: %s at %.2f of the %s" % (ex, name, frac, kind)
    elif r < 0.55:
        name = rng.choice(sorted(STRAYS))
        extra = STRAYS[name]
        what = "%s: stray %s at %.2f of the %s" % (ex, name, frac, kind)
    elif r < 0.85:
        n = rng.choice((1, 1, 2))
        what = "%s: %d bytes cut at %.2f of the %s" % (ex, n, frac, kind)
        return ex, (lambda emu: emu.faults.mangle_next(lambda c: cut_at(int(frac * len(c)), n)(c), kind)), what
    elif r < 0.93:
        # a byte of what the host writes for this exchange only (command and payload)
        k = rng.randrange(0, {"send": 30, "recv": 21, "status": 13, "at": 3}[ex])
        what = "%s: input byte %d dropped" % (ex, k)
        return ex, (lambda emu: emu.faults.drop_in_at(k, 1)), what
    else:
        ms = rng.choice((300, 1500, 3000))
        what = "%s: the %s and all after it %d ms late" % (ex, kind, ms)
        return ex, (lambda emu: emu.faults.delay_next(ms, kind)), what
    return ex, (lambda emu: emu.faults.mangle_next(lambda c: insert_at(int(frac * (len(c) + 1)), extra)(c),
                                                   kind)), what


def fuzz(streams, seed, out=print):
    """Random cases against the emulator; prints figures like fuzz_line's."""
    import random
    import tempfile

    from testnet import make_pki

    rng = random.Random(seed)
    pki = make_pki(tempfile.mkdtemp(prefix="qssl-fuzz-pki-"))
    world = None
    exc_count = {}
    failures = []
    t0 = time.monotonic()
    for k in range(streams):
        ex, arm, what = random_case(rng)
        if world is None:
            world = World(pki, timeout=1.0)
        try:
            exc = run_case(world, ex, arm, what, recv_n=rng.choice((20, 200)), send_n=rng.choice((20, 200)))
            key = "none" if exc is None else "%s(%s)" % (type(exc).__name__, exc.errno)
            exc_count[key] = exc_count.get(key, 0) + 1
        except (CaseFailure, OSError) as e:
            failures.append((k, what, str(e)[:200]))
            world.stop()
            world = None
    if world is not None:
        world.stop()
    wall = time.monotonic() - t0
    out("emulator streams run: %d in %.0f s (%.2f streams/s)" % (streams, wall, streams / wall))
    out("outcomes of the damaged call: " + ", ".join("%s %d" % (k, exc_count[k]) for k in sorted(exc_count)))
    out("failed cases (an invariant broken): %d" % len(failures))
    for k, what, why in failures[:20]:
        out("  case %d: %s -- %s" % (k, what, why))
    return failures


def sweep_cases(recv_n=20):
    """Every URC kind and stray final at every offset of every chunk of the four
    exchanges, every byte of each cut, every byte the host writes for them lost."""
    chunks = [("send", "prompt", 4), ("send", "final", 11), ("recv", "response", 35 + recv_n + 6),
              ("status", "response", 34), ("at", "final", 6)]
    extras = sorted(URCS.items()) + sorted(("stray " + k, v) for k, v in STRAYS.items())
    for ex, kind, length in chunks:
        for name, extra in extras:
            for k in range(length + 1):
                yield ex, (lambda emu, k=k, e=extra, kd=kind: emu.faults.mangle_next(insert_at(k, e), kd)), \
                    "%s: %s at %d of the %s" % (ex, name, k, kind)
        for k in range(length):
            yield ex, (lambda emu, k=k, kd=kind: emu.faults.mangle_next(cut_at(k), kd)), \
                "%s: byte %d of the %s cut" % (ex, k, kind)
    for ex, n in (("send", 18 + 20), ("recv", 21), ("status", 13), ("at", 3)):
        for k in range(n):
            yield ex, (lambda emu, k=k: emu.faults.drop_in_at(k, 1)), "%s: byte %d written lost" % (ex, k)


def sweep(out=print, first=0, count=None):
    """The full sweep against the emulator (slow: real time). Prints failures."""
    import tempfile

    from testnet import make_pki

    pki = make_pki(tempfile.mkdtemp(prefix="qssl-sweep-pki-"))
    world = None
    cases = list(sweep_cases())
    end = len(cases) if count is None else min(len(cases), first + count)
    failures = []
    t0 = time.monotonic()
    for idx in range(first, end):
        ex, arm, what = cases[idx]
        if world is None:
            world = World(pki, timeout=1.0)
        try:
            run_case(world, ex, arm, what, recv_n=20, send_n=20)
        except (CaseFailure, OSError) as e:
            failures.append((idx, what, str(e)[:160]))
            world.stop()
            world = None
    if world is not None:
        world.stop()
    out("emulator sweep: cases %d..%d of %d in %.0f s, %d failed"
        % (first, end - 1, len(cases), time.monotonic() - t0, len(failures)))
    for idx, what, why in failures:
        out("  #%d %s -- %s" % (idx, what, why))
    return failures
