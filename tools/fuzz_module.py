# A cheap fake Quectel module for tools/fuzz_line.py: a UART object that answers the
# commands qssl sends for start/attach/status/connect/send/recv/close the way
# tools/quecsim does (same lines, same chunking), with one TLS echo peer per socket,
# in virtual time and without threads, so a million damaged streams run in minutes.
# Damage is applied to its output chunks and to the bytes the host writes.
#
# Runs on CPython and on MicroPython (no f-strings, no dataclasses): the same seed
# gives the same streams on both, because the random numbers (XorShift) and the
# clock (Clock, patched into qssl's modules) are our own.

_PERIOD = 1 << 29
_HALF = 1 << 28
_MASK32 = 0xFFFFFFFF


class XorShift:
    """A small deterministic PRNG (xorshift32), the same on every Python."""

    def __init__(self, seed):
        s = (seed * 2654435761 + 0x9E3779B9) & _MASK32
        self.s = s or 1
        for _ in range(4):
            self.next()

    def next(self):
        x = self.s
        x ^= (x << 13) & _MASK32
        x ^= x >> 17
        x ^= (x << 5) & _MASK32
        self.s = x
        return x

    def below(self, n):
        """0 <= r < n."""
        return self.next() % n if n > 0 else 0

    def between(self, a, b):
        """a <= r <= b."""
        return a + self.below(b - a + 1)

    def chance(self, percent):
        return self.below(100) < percent

    def pick(self, seq):
        return seq[self.below(len(seq))]


class SpinError(BaseException):
    """The library asked for the time this often without sleeping: it spins."""


class Clock:
    """Virtual milliseconds. The library's ticks_ms/ticks_add/ticks_diff/sleep_ms are
    replaced by these (patch()), so timeouts are measured and waited in virtual time.
    sleep_ms advances the clock; while nothing is due it may advance up to `quantum`
    ms at once (a sleep that oversleeps, as a busy OS does), which keeps long timeouts
    cheap to simulate."""

    def __init__(self, start=_PERIOD - 20000, quantum=20):
        self.now = start  # starts 20 s before ticks wrap: every stream crosses a wrap sometimes
        self.quantum = quantum
        self.next_due = None  # callable() -> ms of the next scheduled event, or None
        self.on_advance = None  # callable() run after every advance (the module's timers)
        self.asks = 0  # ticks_ms calls since the last sleep
        self.spin_limit = 200000

    def ticks_ms(self):
        self.asks += 1
        if self.asks > self.spin_limit:
            self.asks = 0
            raise SpinError("%d ticks_ms() calls without a sleep" % self.spin_limit)
        return self.now % _PERIOD

    def sleep_ms(self, ms):
        self.asks = 0
        ms = int(ms) if ms > 0 else 0
        step = ms
        nd = self.next_due() if self.next_due is not None else None
        if nd is None or nd - self.now > ms:
            # nothing happens within the asked time: oversleep up to the quantum
            limit = self.quantum if nd is None else min(self.quantum, nd - self.now)
            if limit > step:
                step = limit
        self.advance(step)

    def advance(self, ms):
        """Move ms on, stopping at every scheduled event on the way so each fires at
        its own time."""
        target = self.now + ms
        while True:
            nd = self.next_due() if self.next_due is not None else None
            if nd is not None and self.now < nd < target:
                self.now = nd
            else:
                self.now = target
            if self.on_advance is not None:
                self.on_advance()
            if self.now >= target:
                return


def ticks_add(a, d):
    # As a 32-bit MicroPython port does: an interval of 2**29 ms or more is refused.
    if not -_HALF * 2 <= d < _HALF * 2:
        raise OverflowError("ticks interval overflow (as on a 32-bit port)")
    return (a + d) % _PERIOD


def ticks_diff(a, b):
    return ((a - b + _HALF) % _PERIOD) - _HALF


_NAMES = ("ticks_ms", "sleep_ms", "ticks_add", "ticks_diff", "napper")


def patch(clock):
    """Put clock into qssl's modules (every loaded qssl module that imported the time
    functions, and compat itself for the modules that call compat.ticks_ms()). Returns a
    function that puts the real ones back."""
    import sys
    import qssl.engine
    import qssl.stream
    import qssl.modem
    import qssl.context
    import qssl.transparent
    import qssl.bringup  # loaded on first use otherwise: after the patch, with the real clock

    saved = []
    repl = {"ticks_ms": clock.ticks_ms, "sleep_ms": clock.sleep_ms, "ticks_add": ticks_add,
            "ticks_diff": ticks_diff,
            # the engine's waits nap through what compat.napper(port) gave the ring
            "napper": lambda port: clock.sleep_ms}
    for key in sorted(sys.modules):
        m = sys.modules[key]
        if m is None or not (key == "qssl" or key.startswith("qssl.")):
            continue
        for name in _NAMES:
            if hasattr(m, name):
                saved.append((m, name, getattr(m, name)))
                setattr(m, name, repl[name])

    def restore():
        for m, name, fn in saved:
            setattr(m, name, fn)

    return restore


# --- what can be put into the line -------------------------------------------------------------
URC_LINES = (
    b'\r\n+QSSLURC: "recv",0,0\r\n',
    b'\r\n+QSSLURC: "recv",0,1\r\n',
    b'\r\n+QSSLURC: "closed",0\r\n',
    b'\r\n+QSSLURC: "closed",1\r\n',
    b"\r\n+PDP DEACT\r\n",
    b"\r\nRDY\r\n",
    b"\r\nCall Ready\r\n",
    b"\r\nSMS Ready\r\n",
    b"\r\n+CME ERROR: 3\r\n",
    b"\r\n+QSSLOPEN: 2,0\r\n",
)
STRAY_LINES = (b"\r\nOK\r\n", b"\r\nERROR\r\n", b"\r\nSEND OK\r\n", b"\r\nSEND FAIL\r\n", b"\r\nCLOSE OK\r\n",
               b"\r\n> ")
NOISE = (b"\x00", b"\xff\xfe", b"\r\n", b"\r", b"\n", b"junk", b"\r\n+QSSLRECV: 1,999\r\n",
         b"\r\n+QSSLRECV: 1.2.3.4:5,TCP,99999999999\r\n", b"\r\n+QSSLSTATE: 9,\"TCP\"\r\n")

LOCAL_IP = b"10.1.83.188"
PEER_IP = b"127.0.0.1"


class Conn:
    def __init__(self, idx, port):
        self.idx = idx
        self.port = port
        self.state = "CONNECTING"
        self.rx = bytearray()  # echoed data the module holds for the host
        self.peer = bytearray()  # everything the peer received
        self.echoed = bytearray()  # everything the peer sent back, in order


class Damage:
    """What happens to the line while armed. Output ops act on the n-th chunk the
    module writes after arming: ("cut", n, frac, count), ("insert", n, frac, bytes) at a
    fraction of the chunk's length, ("cut_at", n, k, count), ("insert_at", n, k, bytes),
    ("drop", n), ("delay", n, ms), ("replace", n, bytes). Input ops: ("drop_in", k, count):
    of the bytes the host writes after arming, k pass, the next count are lost."""

    def __init__(self, ops):
        self.ops = ops
        self.chunks = 0
        self.inbytes = 0


class FakeModule:
    """The UART the library is given. MicroPython stream shape: any(),
    readinto(buf, n), write(buf, off, n); the CPython adapter uses the same."""

    def __init__(self, clock, rng, read_chunk=0, latency=1):
        self.clock = clock
        self.rng = rng
        self.read_chunk = read_chunk  # at most this many bytes a read (0: all there is)
        self.latency = latency  # ms from a command's end to its answer
        self.out = []  # [release_ms, bytes] in order
        self.last_release = 0
        self.hold_until = 0  # a delay holds this and all later output
        self.timers = []  # [due_ms, fn]
        self.line = bytearray()
        self.raw_left = 0
        self.raw = bytearray()
        self.raw_conn = None
        self.mode = "cmd"  # "raw": waiting for payload bytes
        self.damage = None
        self.send_fails = 0
        self.hung_until = 0  # output held and input ignored until then
        self.peer_delay = (1, 30)
        self.open_delay = (2, 60)
        self.boot_state()
        self.stats_chunks = 0
        clock.next_due = self.next_due
        clock.on_advance = self.run_timers

    def boot_state(self):
        self.echo = True
        self.cmee = 1
        self.ip_state = b"IP INITIAL"
        self.qimux = 0
        self.qindi = 0
        self.apn = None
        self.sockets = {}
        self.cfg = [[4, 0, 0xFFFF, b"", b"", b""] for _ in range(6)]
        self.mode = "cmd"
        self.line = bytearray()
        self.raw_conn = None

    # --- time --------------------------------------------------------------------------------
    def next_due(self):
        now = self.clock.now
        t = None
        out = self.out
        if out and out[-1][0] > now:  # release times never decrease: scan only then
            for rel, _ in out:
                if rel > now:
                    t = rel
                    break
        if self.timers and (t is None or self.timers[0][0] < t):
            t = self.timers[0][0]
        if self.hung_until > now and (t is None or self.hung_until < t):
            t = self.hung_until
        return t

    def run_timers(self):
        timers = self.timers
        while timers and timers[0][0] <= self.clock.now:
            timers.pop(0)[1]()

    def after(self, ms, fn):
        """Run fn in ms (timers kept in order of their time, ties in order of arming)."""
        due = self.clock.now + ms
        timers = self.timers
        i = len(timers)
        while i > 0 and timers[i - 1][0] > due:
            i -= 1
        timers.insert(i, [due, fn])

    # --- output ------------------------------------------------------------------------------------
    def emit(self, data, kind="response"):
        """One chunk: damage acts on it, then it is queued for release."""
        self.stats_chunks += 1
        delay = 0
        d = self.damage
        if d is not None and kind != "echo":
            n = d.chunks
            d.chunks += 1
            for op in d.ops:
                if op[1] != n:
                    continue
                o = op[0]
                if o == "cut":
                    k = int(op[2] * len(data))
                    data = data[:k] + data[k + op[3]:]
                elif o == "insert":
                    k = int(op[2] * (len(data) + 1))
                    data = data[:k] + op[3] + data[k:]
                elif o == "cut_at":  # at an absolute offset
                    data = data[:op[2]] + data[op[2] + op[3]:]
                elif o == "insert_at":
                    data = data[:op[2]] + op[3] + data[op[2]:]
                elif o == "drop":
                    data = b""
                elif o == "replace":
                    data = op[2]
                elif o == "delay":
                    delay = op[2]
        now = self.clock.now
        rel = now + self.latency
        if rel < self.last_release:
            rel = self.last_release
        if rel < self.hold_until:
            rel = self.hold_until
        if delay:
            rel += delay
            self.hold_until = rel
        if rel < self.hung_until:
            rel = self.hung_until
        self.last_release = rel
        if data:
            self.out.append([rel, bytes(data)])

    def line_out(self, text, kind="response"):
        self.emit(b"\r\n" + text + b"\r\n", kind)

    def ok(self):
        self.line_out(b"OK", "final")

    def error(self):
        self.line_out(b"ERROR", "final")

    def urc(self, text):
        self.line_out(text, "urc")

    # --- the UART ------------------------------------------------------------------------------------
    def any(self):
        self.run_timers()
        now = self.clock.now
        n = 0
        j = 0
        out = self.out
        while j < len(out) and j < 8 and out[j][0] <= now:  # a few chunks at most: cheap
            n += len(out[j][1])
            j += 1
        if self.read_chunk and n > self.read_chunk:
            n = self.read_chunk
        return n

    def readinto(self, buf, n=-1):
        self.run_timers()
        if n is None or n < 0 or n > len(buf):
            n = len(buf)
        if self.read_chunk and n > self.read_chunk:
            n = self.read_chunk
        now = self.clock.now
        got = 0
        out = self.out
        while out and got < n and out[0][0] <= now:
            data = out[0][1]
            k = len(data)
            if k > n - got:
                k = n - got
            buf[got:got + k] = data[:k]
            got += k
            if k == len(data):
                out.pop(0)
            else:
                out[0][1] = data[k:]
        return got

    def write(self, buf, off=0, n=-1):
        if n is None or n < 0:
            n = len(buf) - off
        self.run_timers()
        data = bytes(buf[off:off + n])
        d = self.damage
        if d is not None and data:
            for op in d.ops:
                if op[0] == "drop_in":
                    k, cnt = op[1] - d.inbytes, op[2]
                    if k < len(data) and k + cnt > 0:
                        a = k if k > 0 else 0
                        b = k + cnt if k + cnt < len(data) else len(data)
                        data = data[:a] + data[b:]
            d.inbytes += n
        if self.hung_until > self.clock.now:
            return n  # a hung module reads and ignores
        for c in data:
            self.take(c)
        return n

    def take(self, c):
        if self.mode == "raw":
            self.raw.append(c)
            self.raw_left -= 1
            if self.raw_left == 0:
                self.mode = "cmd"
                self.payload_done()
            return
        if c == 13 or c == 10:
            if self.line:
                ln = bytes(self.line)
                self.line = bytearray()
                self.command(ln)
            return
        if len(self.line) >= 1024:
            self.line = bytearray()
            self.error()
            return
        self.line.append(c)

    # --- commands ----------------------------------------------------------------------------------
    def command(self, ln):
        if self.echo:
            self.emit(ln + b"\r", "echo")
        try:
            self._command(ln)
        except (ValueError, IndexError, KeyError):  # a damaged line this parser chokes on
            self.error()

    def _command(self, ln):
        if len(ln) < 2 or ln[:2].upper() != b"AT":
            return  # not a command: ignored
        body = ln[2:]
        u = body.upper()
        if body == b"":
            self.ok()
        elif u == b"E0":
            self.echo = False
            self.ok()
        elif u == b"E1":
            self.echo = True
            self.ok()
        elif u.startswith(b"+CMEE="):
            self.cmee = 1 if body[6:7] == b"1" else 0
            self.ok()
        elif u == b"+CMEE?":
            self.line_out(b"+CMEE: %d" % self.cmee)
            self.ok()
        elif u == b"+CPIN?":
            self.line_out(b"+CPIN: READY")
            self.ok()
        elif u == b"+CGREG?":
            self.line_out(b"+CGREG: 0,1")
            self.ok()
        elif u.startswith(b"+QIFGCNT=") or u.startswith(b"+QIMUX=") or u.startswith(b"+QINDI="):
            if u.startswith(b"+QIMUX="):
                self.qimux = 1
            self.ok()
        elif u.startswith(b"+QICSGP="):
            self.apn = body[8:]
            self.ok()
        elif u == b"+QIREGAPP":
            if self.ip_state == b"IP INITIAL":
                self.ip_state = b"IP START"
            self.ok()
        elif u == b"+QIACT":
            if self.ip_state in (b"IP START", b"IP CONFIG", b"IP IND"):
                self.ip_state = b"IP STATUS"
                self.ok()
            else:
                self.error()
        elif u == b"+QILOCIP":
            if self.ip_state == b"IP STATUS":
                self.line_out(LOCAL_IP, "final")
            else:
                self.error()
        elif u == b"+QIDEACT":
            self.drop_all(False)
            self.ip_state = b"IP INITIAL"
            self.line_out(b"DEACT OK", "final")
        elif u == b"+QSSLSTATE":
            self.state_table()
        elif u.startswith(b"+QSSLCFG="):
            self.sslcfg(body[9:])
        elif u.startswith(b"+QSSLOPEN="):
            self.open(body[10:])
        elif u.startswith(b"+QSSLSEND="):
            self.send(body[10:])
        elif u.startswith(b"+QSSLRECV="):
            self.recv(body[10:])
        elif u.startswith(b"+QSSLCLOSE="):
            self.close(body[11:])
        else:
            self.error()

    def ints(self, args):
        out = []
        for f in args.split(b","):
            f = f.strip()
            if not f or len(f) > 9:
                return None
            v = 0
            for c in f:
                if c < 48 or c > 57:
                    return None
                v = v * 10 + c - 48
            out.append(v)
        return out

    def state_table(self):
        word = self.ip_state
        if word == b"IP STATUS" and self.sockets:
            word = b"IP PROCESSING"
        out = b'\r\n+QSSLSTATE: "' + word + b'"\r\n'
        for i in sorted(self.sockets):
            c = self.sockets[i]
            out += b'\r\n+QSSLSTATE: %d,"TCP","%s",%d,"%s",1\r\n' % (i, PEER_IP, c.port, c.state.encode())
        self.emit(out + b"\r\nOK\r\n")

    def sslcfg(self, args):
        f = args.split(b",")
        key = f[0].strip(b'"')
        if key == b"ctxindex" and len(f) == 2:
            i = self.ints(f[1])
            if i is None or i[0] > 5:
                self.error()
                return
            c = self.cfg[i[0]]
            self.line_out(b'+QSSLCFG: %d,%d,%d,0X%04X,"%s","%s","%s"' % (i[0], c[0], c[1], c[2], c[3], c[4], c[5]))
            self.ok()
            return
        keys = (b"sslversion", b"seclevel", b"ciphersuite", b"cacert", b"clientcert", b"clientkey")
        if key in keys and len(f) == 3:
            i = self.ints(f[1])
            if i is None or i[0] > 5:
                self.error()
                return
            k = keys.index(key)
            v = f[2].strip(b'"')
            if k == 2:
                self.cfg[i[0]][k] = int(v[2:], 16) if v[:2] in (b"0X", b"0x") else 0
            elif k >= 3:
                self.cfg[i[0]][k] = v
            else:
                iv = self.ints(v)
                if iv is None:
                    self.error()
                    return
                self.cfg[i[0]][k] = iv[0]
            self.ok()
            return
        self.error()

    def open(self, args):
        f = args.split(b",")
        if len(f) != 6 or self.ip_state not in (b"IP STATUS", b"IP PROCESSING"):
            self.error()
            return
        nums = self.ints(b",".join((f[0], f[1], f[3], f[4], f[5])))
        if nums is None or nums[0] > 5 or nums[1] > 5 or nums[3] != 0:
            self.error()
            return
        i = nums[0]
        self.ok()
        if i in self.sockets:
            self.urc(b"+QSSLOPEN: %d,-2" % i)
            return
        c = Conn(i, nums[2])
        self.sockets[i] = c

        def opened():
            if self.sockets.get(i) is c and c.state == "CONNECTING":
                c.state = "CONNECTED"
                self.urc(b"+QSSLOPEN: %d,0" % i)

        self.after(self.rng.between(self.open_delay[0], self.open_delay[1]), opened)

    def conn(self, i):
        c = self.sockets.get(i)
        return c

    def send(self, args):
        nums = self.ints(args)
        if nums is None or len(nums) != 2:
            self.error()
            return
        c = self.conn(nums[0])
        if c is None or c.state != "CONNECTED" or not 1 <= nums[1] <= 1460:
            self.error()
            return
        self.mode = "raw"
        self.raw_left = nums[1]
        self.raw = bytearray()
        self.raw_conn = c
        self.emit(b"\r\n> ", "prompt")

    def payload_done(self):
        c = self.raw_conn
        data = bytes(self.raw)
        self.raw_conn = None
        if self.send_fails > 0:
            self.send_fails -= 1
            self.line_out(b"SEND FAIL", "final")
            return
        if c is None or self.sockets.get(c.idx) is not c or c.state != "CONNECTED":
            self.error()
            return
        c.peer += data
        self.line_out(b"SEND OK", "final")

        def echo():
            if self.sockets.get(c.idx) is c and c.state == "CONNECTED":
                self.deliver(c, data)

        self.after(self.rng.between(self.peer_delay[0], self.peer_delay[1]), echo)

    def deliver(self, c, data):
        was_empty = not c.rx
        c.rx += data
        c.echoed += data
        if was_empty:
            self.urc(b'+QSSLURC: "recv",0,%d' % c.idx)

    def recv(self, args):
        nums = self.ints(args)
        if nums is None or len(nums) != 3 or nums[0] > 1 or not 1 <= nums[2] <= 1500:
            self.error()
            return
        c = self.conn(nums[1])
        if c is None:
            self.error()
            return
        if not c.rx:
            if c.state == "CLOSED":
                del self.sockets[c.idx]
                self.error()
            else:
                self.ok()
            return
        data = bytes(c.rx[:nums[2]])
        c.rx = c.rx[nums[2]:]
        self.emit(b"\r\n+QSSLRECV: %s:%d,TCP,%d\r\n" % (PEER_IP, c.port, len(data)) + data + b"\r\nOK\r\n")
        if c.state == "CLOSED" and not c.rx:
            del self.sockets[c.idx]

    def close(self, args):
        nums = self.ints(args)
        if nums is None or len(nums) != 1:
            self.error()
            return
        c = self.conn(nums[0])
        if c is None:
            self.error()
            return
        del self.sockets[c.idx]
        self.line_out(b"CLOSE OK", "final")

    # --- module events (faults) ------------------------------------------------------------------------
    def drop_all(self, notify):
        for i in sorted(self.sockets):
            if notify and self.sockets[i].state != "CLOSED":
                self.urc(b'+QSSLURC: "closed",%d' % i)
        self.sockets = {}

    def pdp_deact(self):
        if self.ip_state not in (b"IP STATUS", b"IP PROCESSING"):
            return
        self.urc(b"+PDP DEACT")
        self.drop_all(True)
        self.ip_state = b"PDP DEACT"

    def reboot(self):
        """A restart: queued output and state gone, then the banner."""
        self.out = []
        self.timers = []
        self.hold_until = 0
        self.boot_state()
        self.urc(b"RDY")
        self.urc(b"Call Ready")
        self.urc(b"SMS Ready")

    def peer_close(self, i):
        c = self.sockets.get(i)
        if c is None or c.state != "CONNECTED":
            return
        c.state = "CLOSED"
        self.urc(b'+QSSLURC: "closed",%d' % i)
        if not c.rx:
            del self.sockets[i]

    def hang(self, ms):
        """Output held and input ignored for ms."""
        self.hung_until = self.clock.now + ms

    def waiting_for_payload(self):
        return self.mode == "raw"
