#!/usr/bin/env python3
"""Fuzz the line between qssl and its module: seeded streams of random damage
(bytes dropped, URCs and stray finals inserted, chunks lost or late, silence, a hung
module, restarts, PDP loss, peer closes, SEND FAIL, input bytes lost) through send,
recv, status, AT, connect and close, with the invariants of issue 7 checked after
every stream. A benchmark that prints figures; it asserts nothing.

    python tools/fuzz_line.py --streams 100000 --seed 1          # CPython, fake module
    micropython tools/fuzz_line.py --streams 2000 --seed 1        # the same on MicroPython
    python tools/fuzz_line.py --emu --streams 200 --seed 1        # against quecsim (slow)
    python tools/fuzz_line.py --seed 1 --repro 4711               # one stream, with its AT transcript
    python tools/fuzz_line.py --sweep [--case I]                  # every offset, every damage (fake module)
    python tools/fuzz_line.py --emu --sweep [--start I --streams N]   # the same against quecsim

The fast variant runs the library against tools/fuzz_module.py (a scripted module
that follows the protocol, in virtual time: timeouts cost no wall time), so the same
seed gives the same streams on CPython and MicroPython. A session (one Modem) lives
for --session streams; a stream: make sure a socket is open (clean), arm damage, run
1-3 calls with a random timeout, let the damage end, then check with a clean line:
  - only OSError escapes a call, and no call outlives its timeout by more than 500 ms;
  - delivered payload is byte-exact (a prefix of what the peer sent) or the socket fails;
  - a send that returned n put exactly those bytes to the peer (checked while the
    socket lives), and the peer never received command text;
  - afterwards AT answers OK, the module waits for no payload, status() lists what the
    module holds, and every live socket echoes byte-exact (else: a persistent desync,
    and the session starts over).
The --emu variant runs tools/fuzz_emu.py cases (real emulator, real time) instead.
"""
import sys

try:
    _ROOT = __file__.rsplit("/", 2)[0] if __file__.count("/") >= 1 else "."
except NameError:
    _ROOT = "."
if _ROOT == "tools" or _ROOT.endswith("/tools"):
    _ROOT = _ROOT[:-5] or "."
for _p in (_ROOT + "/tests_device", _ROOT + "/tools", _ROOT + "/lib"):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import fuzz_module as FM  # noqa: E402
import qssl  # noqa: E402
import kinds  # noqa: E402  (the parser's kind numbers, which MicroPython folds away)

try:
    import time

    _wall = time.monotonic
except AttributeError:  # MicroPython
    import time

    def _wall():
        return time.ticks_ms() / 1000.0

SLACK_MS = 500
TIMEOUTS = (0, 200, 1000, 2000, 1000, 2000)  # ms; 0 is non-blocking
CALLS = ("send", "send", "recv", "recv", "recv", "status", "at", "connect", "close")
_ALPHABET = b"abcdefghijklmnopqrstuvwxyz0123456789-_.,;:!?/\r\n\x00\x1a\x1b\xff"

def payload(rng, n):
    """n bytes without upper-case letters: command text at the peer stands out."""
    b = bytearray(n)
    for i in range(n):
        b[i] = _ALPHABET[rng.below(len(_ALPHABET))]
    return bytes(b)

def has_command_text(data):
    for c in data:
        if 65 <= c <= 90:
            return True
    return False

class Figures:
    def __init__(self):
        self.streams = 0
        self.sessions = 0
        self.calls = 0
        self.over = 0
        self.worst = 0
        self.worst_at = None
        self.exc = {}
        self.escaped = {}
        self.violations = {}
        self.desyncs = {}
        self.late = 0  # the first command after the damage failed, the second worked
        self.first = []  # (stream, what) of the first failures
        self.first_cap = 12
        self.examples = {}  # key -> [(stream, what)] (the first 3)

    def note(self, table, key, stream, what):
        table[key] = table.get(key, 0) + 1
        if len(self.first) < self.first_cap:
            self.first.append((stream, key, what))
        ex = self.examples.setdefault(key, [])
        if len(ex) < 3:  # a few streams of every kind, to --repro
            ex.append((stream, what))

def exc_key(e):
    n = getattr(e, "errno", None)
    if n is None and getattr(e, "args", None):
        n = e.args[0]
    return "%s(%s)" % (type(e).__name__, _ERRNAMES.get(n, n))

def _errnames():
    c = qssl.compat if hasattr(qssl, "compat") else None
    out = {}
    if c is None:
        import qssl.compat as c
    for name in ("ETIMEDOUT", "ECONNRESET", "ENOTCONN", "EIO", "EAGAIN", "EINVAL", "ECONNABORTED",
                 "EADDRINUSE", "ENOMEM", "ENETDOWN", "EALREADY", "ENOENT", "EACCES", "EINPROGRESS"):
        if hasattr(c, name):
            out[getattr(c, name)] = name
    return out

_ERRNAMES = _errnames()

class Entry:
    """A library socket and the module's truth about it."""

    def __init__(self, sock, conn):
        self.s = sock
        self.conn = conn
        self.got = bytearray()  # delivered to the caller
        self.sent = bytearray()  # what send() said went out

class Session:
    def __init__(self, clock, seed, debug=None):
        self.clock = clock
        self.rng = FM.XorShift(seed)
        self.mod = FM.FakeModule(clock, self.rng)
        self.mod.reboot()  # the power-on banner
        self.m = qssl.Modem(self.mod, debug=debug)
        self.m.start()
        self.m.attach(apn="CMNET")
        self.ctx = self.m.ssl_context(0)
        self.ctx.verify_mode = qssl.CERT_NONE
        self.entries = []
        self.conns = []  # every module connection seen (for the command-text check)

class Fuzzer:
    def __init__(self, seed, session_len=20, out=None):
        self.seed = seed
        self.session_len = session_len
        self.fig = Figures()
        self.clock = FM.Clock()
        self.restore = FM.patch(self.clock)  # call it when done (in-process users)
        self.sess = None
        self.k = 0
        self.debug = None
        self.trace = None  # stream index whose transcript is printed
        self.out = out

    # --- one stream -----------------------------------------------------------------------------
    def stream(self, k):
        self.k = k
        if self.sess is None or k % self.session_len == 0:
            self.new_session(k)
        sess = self.sess
        rng = FM.XorShift(self.seed * 1000003 + k)
        mod = sess.mod
        mod.rng = rng
        mod.read_chunk = rng.pick((0, 0, 0, 1, 3, 7, 64))
        self.fig.streams += 1
        try:
            if not self.ensure_socket(sess):
                return
            self.damage(sess, rng)
            self.clean(sess, rng)
        except FM.SpinError as e:
            self.fig.note(self.fig.violations, "spins", k, str(e))
            self.sess = None

    def new_session(self, k):
        self.fig.sessions += 1
        self.sess = Session(self.clock, self.seed * 7919 + k, self.debug or _SWEEP_DEBUG[0])

    def ensure_socket(self, sess):
        if sess.entries:
            return True
        try:
            self.connect(sess, 5000)
        except OSError as e:
            self.desync("connect", repr(e))
            return False
        return True

    def connect(self, sess, tms):
        s = sess.ctx.socket()
        s.settimeout(tms / 1000.0)
        try:
            s.connect(("echo.test", 443))
        except OSError:
            s.close()
            raise
        c = sess.mod.sockets.get(s.ssid)
        e = Entry(s, c)
        sess.entries.append(e)
        if c is not None and c not in sess.conns:
            sess.conns.append(c)
        return e

    def desync(self, what, detail):
        self.fig.note(self.fig.desyncs, what, self.k, detail)
        self.sess = None

    # --- damage ------------------------------------------------------------------------------------
    def plan(self, rng, mod):
        ops = []
        events = []
        for _ in range(rng.between(1, 3)):
            r = rng.below(100)
            n = rng.below(6)
            if r < 22:
                ops.append(("cut", n, rng.below(1000) / 1000.0, rng.pick((1, 1, 1, 2, 5))))
            elif r < 40:
                ops.append(("insert", n, rng.below(1000) / 1000.0, rng.pick(FM.URC_LINES)))
            elif r < 52:
                ops.append(("insert", n, rng.below(1000) / 1000.0, rng.pick(FM.STRAY_LINES)))
            elif r < 58:
                ops.append(("insert", n, rng.below(1000) / 1000.0, rng.pick(FM.NOISE)))
            elif r < 63:
                ops.append(("drop", n))
            elif r < 72:
                ops.append(("delay", n, rng.pick((50, 300, 900, 1500, 2600, 4000))))
            elif r < 80:
                ops.append(("drop_in", rng.below(120), rng.pick((1, 1, 2, 4))))
            elif r < 84:
                events.append((rng.below(2500), "hang", rng.pick((300, 1500, 3000))))
            elif r < 87:
                events.append((rng.below(2500), "reboot", 0))
            elif r < 90:
                events.append((rng.below(2500), "pdp", 0))
            elif r < 94:
                events.append((rng.below(2500), "peer_close", rng.below(2)))
            elif r < 97:
                mod.send_fails = rng.pick((1, 2, 50))
            else:
                events.append((rng.below(1000), "storm", rng.pick((200, 1500))))
        return ops, events

    def schedule(self, mod, events):
        last = 0
        for t, what, arg in events:
            end = t + (arg if what in ("hang", "storm") else 0)
            if end > last:
                last = end
            if what == "hang":
                mod.after(t, lambda ms=arg: mod.hang(ms))
            elif what == "reboot":
                mod.after(t, mod.reboot)
            elif what == "pdp":
                mod.after(t, mod.pdp_deact)
            elif what == "peer_close":
                mod.after(t, lambda i=arg: mod.peer_close(i))
            elif what == "storm":
                for j in range(0, arg, 1):
                    mod.after(t + j, lambda: mod.urc(b'+QFOO: 1,"storm"'))
        return last

    def damage(self, sess, rng):
        mod = sess.mod
        ops, events = self.plan(rng, mod)
        t0 = self.clock.now
        last = self.schedule(mod, events)
        mod.damage = FM.Damage(ops)
        if self.trace == self.k:
            print("damage: %r events: %r send_fails: %d" % (ops, events, mod.send_fails))
        for _ in range(rng.between(1, 3)):
            if self.sess is not sess:
                return
            self.call(sess, rng, rng.pick(CALLS))
        # let the damage run out before the clean check: events fired, holds released
        end = t0 + last + 1
        if mod.hold_until > end:
            end = mod.hold_until
        if mod.hung_until > end:
            end = mod.hung_until
        if end > self.clock.now:
            self.clock.advance(end - self.clock.now)
        mod.damage = None
        mod.send_fails = 0

    def call(self, sess, rng, what):
        tms = rng.pick(TIMEOUTS)
        if self.trace == self.k:
            print("call: %s, timeout %d ms, t=%d" % (what, tms, self.clock.now))
        fig = self.fig
        fig.calls += 1
        t0 = self.clock.now
        limit = tms
        try:
            if what == "connect":
                if len(sess.entries) < 3:
                    self.connect(sess, tms)
            elif what == "status":
                sess.m.status(tms)
            elif what == "at":
                sess.m.eng.command(b"AT", tms)
            elif sess.entries:
                e = sess.entries[rng.below(len(sess.entries))]
                e.s.settimeout(tms / 1000.0)
                if what == "send":
                    data = payload(rng, rng.pick((1, 10, 100, 700, 1460)))
                    n = e.s.send(data)
                    if n != len(data):
                        fig.note(fig.violations, "send count", self.k, "send returned %r of %d" % (n, len(data)))
                    e.sent += data[:n]
                elif what == "recv":
                    got = e.s.recv(rng.pick((1, 16, 200, 1500)))
                    self.delivered(e, got)
                elif what == "close":
                    e.s.close()
                    sess.entries.remove(e)
        except OSError as ex:
            fig.exc[exc_key(ex)] = fig.exc.get(exc_key(ex), 0) + 1
            failed = True
        except FM.SpinError:
            raise
        except Exception as ex:  # noqa: BLE001 - that is what we count
            fig.note(fig.escaped, type(ex).__name__, self.k, "%s: %r" % (what, ex))
            self.sess = None
            return
        else:
            failed = False
        dt = self.clock.now - t0
        if dt - limit > SLACK_MS:
            fig.over += 1
            if dt - limit > fig.worst:
                fig.worst = dt - limit
                fig.worst_at = (self.k, what, tms)
        if failed:
            self.after_error(sess, what)

    def after_error(self, sess, what):
        # sockets the library failed are closed (and forgotten) by the caller
        keep = []
        for e in sess.entries:
            if e.s.ssid >= 0 and not sess.m.slots.dead[e.s.ssid]:
                keep.append(e)
            else:
                self.close_quietly(e)
        sess.entries = keep

    def close_quietly(self, e):
        e.s.settimeout(2)
        try:
            e.s.close()
        except OSError:
            pass

    def delivered(self, e, got):
        if not got:
            return
        start = len(e.got)
        e.got += got
        truth = e.conn.echoed if e.conn is not None else b""
        if bytes(e.got) != bytes(truth[: len(e.got)]):
            self.fig.note(self.fig.violations, "corrupt delivery", self.k,
                          "bytes %d..%d differ from what the peer sent" % (start, len(e.got)))
            self.sess = None

    # --- the clean check ------------------------------------------------------------------------------
    def clean(self, sess, rng):
        if self.sess is not sess:
            return
        m = sess.m
        mod = sess.mod
        m.poll()  # what arrived meanwhile (URCs, late answers) is no answer to what comes next
        t0 = self.clock.now
        try:
            try:
                kind = m.eng.command(b"AT", 5000)
            except OSError:
                kind = -1
            if kind != kinds.K_OK and kind != kinds.K_REBOOT:
                # Damage the library only learns of from this command (a stray answer
                # taken, a module still counting payload down) or that hit this command's
                # own answer costs it this one command; the line must be back for the
                # next. Counted apart, not hidden.
                self.fig.late += 1
                kind = m.eng.command(b"AT", 5000)
            if kind == kinds.K_REBOOT:  # a real restart's banner came meanwhile: ask again
                kind = m.eng.command(b"AT", 5000)
        except OSError as e:
            self.desync("AT", repr(e))
            return
        if self.clock.now - t0 > 10000 + SLACK_MS:
            self.fig.note(self.fig.violations, "clean AT slow", self.k, "%d ms" % (self.clock.now - t0))
        if kind != kinds.K_OK:
            self.desync("AT", "kind %d" % kind)
            return
        if mod.waiting_for_payload():
            self.fig.note(self.fig.violations, "module left waiting for payload", self.k, "")
            self.sess = None
            return
        try:
            state, rows = m.status()
        except OSError as e:
            self.desync("status", repr(e))
            return
        if sorted(r[0] for r in rows) != sorted(mod.sockets):
            self.desync("status", "rows %r, module %r" % ([r[0] for r in rows], sorted(mod.sockets)))
            return
        for c in sess.conns:
            if has_command_text(c.peer):
                self.fig.note(self.fig.violations, "command text at the peer", self.k, repr(bytes(c.peer[-40:])))
                self.sess = None
                return
        for e in list(sess.entries):
            if not self.echo(sess, e, rng):
                return

    def echo(self, sess, e, rng):
        """One more echo on a live socket: everything it ever delivered is exactly what
        the peer sent, and what send() reported reached the peer."""
        c = e.conn
        data = payload(rng, rng.between(1, 60))
        e.s.settimeout(2)
        try:
            e.s.sendall(data)
        except OSError:
            sess.entries.remove(e)
            self.close_quietly(e)
            return True
        e.sent += data
        if c is not None and bytes(c.peer) != bytes(e.sent):
            self.fig.note(self.fig.violations, "send count", self.k,
                          "the peer got %d bytes, send() reported %d" % (len(c.peer), len(e.sent)))
            self.sess = None
            return False
        want = len(e.sent)
        deadline = self.clock.now + 8000
        while len(e.got) < want:
            try:
                got = e.s.recv(1500)
            except OSError as ex:
                if ex.args and ex.args[0] == qssl.compat.ETIMEDOUT and self.clock.now < deadline and \
                        c is not None and sess.mod.sockets.get(c.idx) is c and c.rx:
                    self.desync("stuck read", "the module holds %d bytes, recv timed out" % len(c.rx))
                    return False
                sess.entries.remove(e)
                self.close_quietly(e)
                return True
            if not got:
                sess.entries.remove(e)
                self.close_quietly(e)
                return True
            self.delivered(e, got)
            if self.sess is not sess:
                return False
        return True

    # --- one sweep case ------------------------------------------------------------------------
    def failures(self):
        f = self.fig
        return sum(f.violations.values()) + sum(f.desyncs.values()) + sum(f.escaped.values()) + f.over

    def sweep_case(self, ex, ops):
        """A fresh session and socket, then one exchange with ops aimed at its chunk n
        (or at byte k of what the host writes for it), then the clean check."""
        self.new_session(self.k)
        sess = self.sess
        rng = FM.XorShift(self.k + 1)
        mod = sess.mod
        mod.rng = rng
        self.fig.streams += 1
        try:
            e = self.connect(sess, 5000)
            if ex == "recv":
                data = payload(rng, 20)
                e.s.sendall(data)
                e.sent += data
                self.clock.advance(100)  # the echo and its URC are in
                sess.m.poll()
            mod.damage = FM.Damage(ops)
            self.call_fixed(sess, e, ex, 2000, rng)
            self.clock.advance(100)
            mod.damage = None
            self.clean(sess, rng)
        except FM.SpinError as ex_:
            self.fig.note(self.fig.violations, "spins", self.k, str(ex_))
        except OSError as ex_:
            self.desync("setup", repr(ex_))
        self.sess = None

    def call_fixed(self, sess, e, what, tms, rng):
        fig = self.fig
        fig.calls += 1
        t0 = self.clock.now
        failed = False
        try:
            if what == "status":
                sess.m.status(tms)
            elif what == "at":
                sess.m.eng.command(b"AT", tms)
            else:
                e.s.settimeout(tms / 1000.0)
                if what == "send":
                    data = payload(rng, 20)
                    e.sent += data[: e.s.send(data)]
                else:
                    self.delivered(e, e.s.recv(1500))
        except OSError as ex:
            fig.exc[exc_key(ex)] = fig.exc.get(exc_key(ex), 0) + 1
            failed = True
        except Exception as ex:  # noqa: BLE001
            fig.note(fig.escaped, type(ex).__name__, self.k, "%s: %r" % (what, ex))
            self.sess = None
            return
        if self.clock.now - t0 - tms > SLACK_MS:
            fig.over += 1
            if self.clock.now - t0 - tms > fig.worst:
                fig.worst = self.clock.now - t0 - tms
                fig.worst_at = (self.k, what, tms)
        if failed:
            self.after_error(sess, what)

    # --- the report ------------------------------------------------------------------------------------
    def report(self, wall):
        f = self.fig
        p = self.out or print
        p("streams run: %d in %.1f s (%.0f streams/s), sessions: %d, calls under damage: %d"
          % (f.streams, wall, f.streams / wall if wall > 0 else 0, f.sessions, f.calls))
        p("calls over their timeout (+%d ms): %d, worst overrun: %d ms%s"
          % (SLACK_MS, f.over, f.worst, "" if f.worst_at is None else
             " (stream %d, %s, timeout %d ms)" % f.worst_at))
        p("exceptions by type: " + (", ".join("%s %d" % (k, f.exc[k]) for k in sorted(f.exc)) or "none"))
        p("escaped (not OSError): " + (", ".join("%s %d" % (k, f.escaped[k]) for k in sorted(f.escaped)) or "none"))
        p("violations: " + (", ".join("%s %d" % (k, f.violations[k]) for k in sorted(f.violations)) or "none"))
        p("first command after the damage failed, the next worked: %d" % f.late)
        p("persistent desyncs: %d%s" % (sum(f.desyncs.values()), "" if not f.desyncs else
                                          " (" + ", ".join("%s %d" % (k, f.desyncs[k]) for k in sorted(f.desyncs)) + ")"))
        for key in sorted(f.examples):
            for k, what in f.examples[key]:
                p("  %s: stream %d: %s" % (key, k, what[:150]))

# --- the full sweep -----------------------------------------------------------------------------
# Every exchange of a send (prompt, SEND OK), a read (the +QSSLRECV answer), status()
# (the table) and AT (OK); into each chunk every URC kind and stray final at every
# byte offset, every single byte cut, and every byte of what the host writes for the
# exchange lost. Each case starts a fresh session, so a failure is that case's own.
SWEEP_CHUNKS = (("send", 0, "prompt"), ("send", 1, "SEND OK"), ("recv", 0, "read answer"),
                ("status", 0, "table"), ("at", 0, "OK"))
SWEEP_INSERTS = (("recv URC", b'\r\n+QSSLURC: "recv",0,0\r\n'), ("closed URC", b'\r\n+QSSLURC: "closed",5\r\n'),
                 ("+PDP DEACT", b"\r\n+PDP DEACT\r\n"), ("RDY", b"\r\nRDY\r\n"),
                 ("Call Ready", b"\r\nCall Ready\r\n"), ("+CME ERROR", b"\r\n+CME ERROR: 3\r\n"),
                 ("stray OK", b"\r\nOK\r\n"), ("stray ERROR", b"\r\nERROR\r\n"),
                 ("stray SEND OK", b"\r\nSEND OK\r\n"))
_CHUNK_LEN = {
    "prompt": len(b"\r\n> "),
    "SEND OK": len(b"\r\nSEND OK\r\n"),
    "read answer": len(b"\r\n+QSSLRECV: 127.0.0.1:443,TCP,20\r\n") + 20 + len(b"\r\nOK\r\n"),
    "table": len(b'\r\n+QSSLSTATE: "IP PROCESSING"\r\n\r\n+QSSLSTATE: 0,"TCP","127.0.0.1",443,"CONNECTED",1\r\n'
                 b"\r\nOK\r\n"),
    "OK": len(b"\r\nOK\r\n"),
}
_WRITE_LEN = {"send": 18 + 20, "recv": 21, "status": 13, "at": 3}

def sweep_cases():
    for ex, n, name in SWEEP_CHUNKS:
        length = _CHUNK_LEN[name]
        for what, extra in SWEEP_INSERTS:
            for k in range(length + 1):
                yield ex, name, what, [("insert_at", n, k, extra)]
        for k in range(length):
            yield ex, name, "cut", [("cut_at", n, k, 1)]
    for ex in ("send", "recv", "status", "at"):
        for k in range(_WRITE_LEN[ex]):
            yield ex, "host's write", "lost", [("drop_in", k, 1)]

def sweep(out=print, only=None):
    """The full sweep; prints a line per (exchange, chunk, damage) with its failures."""
    fz = Fuzzer(1, 1)
    fz.out = out
    table = {}
    order = []
    t0 = _wall()
    try:
        for idx, (ex, chunk, what, ops) in enumerate(sweep_cases()):
            if only is not None and idx != only:
                continue
            key = (ex, chunk, what)
            if key not in table:
                table[key] = [0, 0, []]
                order.append(key)
            row = table[key]
            row[0] += 1
            before = fz.failures()
            fz.k = idx
            fz.sweep_case(ex, ops)
            if fz.failures() != before:
                row[1] += 1
                if len(row[2]) < 4:
                    row[2].append((ops[0][2] if ops[0][0] != "drop_in" else ops[0][1], idx))
    finally:
        fz.restore()
    total = sum(r[0] for r in table.values())
    bad = sum(r[1] for r in table.values())
    out("sweep: %d cases in %.1f s, %d failed" % (total, _wall() - t0, bad))
    for key in order:
        r = table[key]
        if r[1]:
            out("  %-6s %-12s %-14s %4d/%-4d failed, e.g. offset/case %s"
                % (key + (r[1], r[0], ", ".join("%d/#%d" % x for x in r[2]))))
    fz.report(_wall() - t0)
    return fz

def run(streams, seed, session_len=20, start=0, out=None):
    """Run streams [start, start+streams) of seed; returns the Fuzzer (figures in .fig).
    qssl's clock is virtual meanwhile and real again afterwards."""
    fz = Fuzzer(seed, session_len, out)
    try:
        # a range that starts inside a session replays that session from its start
        first = start - start % session_len
        for k in range(first, start + streams):
            if k == start:
                fz.fig = Figures()
            fz.stream(k)
    finally:
        fz.restore()
    return fz

_SWEEP_DEBUG = [None]

class _Tee:
    """The library's AT transcript, printed only while a chosen stream runs."""

    def __init__(self, fz):
        self.fz = fz

    def write(self, b):
        if self.fz.trace == self.fz.k:
            sys.stdout.write(bytes(b).decode("latin-1"))
        return len(b)

def repro(seed, k, session_len):
    fz = Fuzzer(seed, session_len)
    fz.debug = _Tee(fz)
    fz.trace = k
    for j in range(k - k % session_len, k + 1):
        if j == k:
            fz.fig = Figures()
            print("--- stream %d (seed %d) ---" % (k, seed))
        fz.stream(j)
    fz.report(0)

def _args(argv):
    opts = {"streams": 1000, "seed": 1, "session": 20, "start": 0, "repro": None, "emu": False,
            "sweep": False, "case": None}
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--emu":
            opts["emu"] = True
        elif a == "--sweep":
            opts["sweep"] = True
        elif a.startswith("--") and i + 1 < len(argv):
            opts[a[2:]] = int(argv[i + 1])
            i += 1
        else:
            raise SystemExit("usage: fuzz_line.py [--streams N] [--seed S] [--start K] [--session L]"
                             " [--repro K] [--emu] [--sweep [--case I]]")
        i += 1
    return opts

def main(argv):
    o = _args(argv)
    if o["sweep"] and not o["emu"]:
        if o["case"] is not None:  # one case, with its transcript

            class _T:
                def write(self, b):
                    sys.stdout.write(bytes(b).decode("latin-1"))
                    return len(b)

            _SWEEP_DEBUG[0] = _T()
        sweep(only=o["case"])
        return
    if o["repro"] is not None:
        repro(o["seed"], o["repro"], o["session"])
        return
    if o["emu"]:
        import fuzz_emu

        if o["sweep"]:  # every case against the emulator (real time: about 15 min)
            fuzz_emu.sweep(first=o["start"], count=o["streams"] if "--streams" in argv else None)
        else:
            fuzz_emu.fuzz(o["streams"], o["seed"])
        return
    t0 = _wall()
    fz = run(o["streams"], o["seed"], o["session"], o["start"])
    fz.report(_wall() - t0)

if __name__ == "__main__":
    main(sys.argv)
