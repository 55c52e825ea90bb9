# The workload of tools/bench_e2e.py: what a device does through qssl, measured on the
# host side of the UART. Runs on the MicroPython unix port (`micropython
# tools/bench_e2e_workload.py CONFIG.json`, the emulator on a pty) and is imported by
# CPython (run() with the emulator's in-process port). Prints "RESULT {json}" lines;
# bench_e2e.py puts each figure beside its wire bound. Asserts nothing.
#
# The UART is wrapped in WireCount, which counts the bytes each way and the AT command
# lines written. Its frames stay small: MicroPython takes frames over 11 words from
# the heap, which would be counted against qssl in the allocation figures.
import sys
import time
import gc

try:
    import json
except ImportError:
    import ujson as json

IS_MP = sys.implementation.name == "micropython"

if IS_MP:

    def now_us():
        return time.ticks_us()

    def since_us(t0):
        return time.ticks_diff(time.ticks_us(), t0)

    def nap():
        time.sleep_ms(1)

else:

    def now_us():
        return int(time.monotonic() * 1000000)

    def since_us(t0):
        return now_us() - t0

    def nap():
        time.sleep(0.001)


if IS_MP:
    import io

    _Base = io.IOBase  # so that select.poll takes it, as it takes the UART below (ioctl)
else:
    _Base = object


def out(key, value):
    print("RESULT", json.dumps({key: value}))


class WireCount(_Base):
    """The UART, counting bytes written (tx), read (rx) and AT command lines (cmds).
    mp_shape: the UART takes write(buf, off, n) (MicroPython); else write(buf)."""

    def __init__(self, u, mp_shape):
        self.u = u
        self.mp = mp_shape
        self.tx = 0
        self.rx = 0
        self.cmds = 0
        self.log = None  # a list to record each command's name in, while set

    def any(self):
        return self.u.any()

    def ioctl(self, req, arg):
        # select.poll passes through to the UART (boards/unix.PtyUart can be polled)
        return self.u.ioctl(req, arg)

    def readinto(self, buf, n=-1):
        got = self.u.readinto(buf, n)
        if got:
            self.rx += got
        return got

    def write(self, buf, off=0, n=-1):
        if n < 0:
            n = len(buf) - off
        got = self._put(buf, off, n)
        if n > 2 and buf[off] == 65 and buf[off + 1] == 84:  # "AT": a command line
            self._cmd(buf, off, n)
        self.tx += got
        return got

    def _put(self, buf, off, n):
        if self.mp:
            return self.u.write(buf, off, n)
        return self.u.write(memoryview(buf)[off : off + n])

    def _cmd(self, buf, off, n):
        self.cmds += 1
        if self.log is not None:
            name = bytes(buf[off : off + n]).split(b"=")[0].split(b"\r")[0]
            self.log.append(name.decode())


class UrcCount:
    """Wraps the engine's URC handler to count URC bytes (they may cross the wire
    while the host sends, so they do not add to an exchange's wire minimum)."""

    def __init__(self, eng):
        self.eng = eng
        self.inner = eng.on_urc
        self.bytes = 0
        eng.on_urc = self.on_urc

    def on_urc(self, p):
        self.bytes += p.n + 4  # CR LF before and after the line
        self.inner(p)

    def remove(self):
        self.eng.on_urc = self.inner


class Mark:
    """A point of the run: time and the counters then."""

    def __init__(self, w, urcs=None):
        self.t = now_us()
        self.tx = w.tx
        self.rx = w.rx
        self.cmds = w.cmds
        self.urc = urcs.bytes if urcs is not None else 0

    def to(self, later):
        return {"us": time.ticks_diff(later.t, self.t) if IS_MP else later.t - self.t,
                "tx": later.tx - self.tx, "rx": later.rx - self.rx,
                "cmds": later.cmds - self.cmds, "urc": later.urc - self.urc}


def send_n(s, chunk, total):
    left = total
    n = len(chunk)
    while left >= n:
        s.sendall(chunk)
        left -= n
    if left:  # never in the allocation run (a multiple of the chunk)
        s.sendall(memoryview(chunk)[:left])


def recv_n(s, buf, total):
    got = 0
    while got < total:
        k = s.recv_into(buf)
        if not k:
            break
        got += k
    return got


def heap():
    gc.collect()
    return gc.mem_alloc()


def run(w, cfg):
    """Everything, in order; w is a WireCount. Heap and allocation figures on
    MicroPython only (gc.mem_alloc, micropython.mem_total)."""
    n_bytes = cfg["kb"] * 1024
    pat = bytearray(4096)
    for i in range(4096):
        pat[i] = 48 + i % 64
    chunk = bytes(pat)  # made once: slicing per call would be the bench's allocation
    rbuf = bytearray(4096)
    ca = cfg["ca"]
    before = list(sys.modules)

    # -- heap: import, Modem(), six open SSL sockets --------------------------------------
    h0 = heap() if IS_MP else 0
    import qssl

    h1 = heap() if IS_MP else 0
    m = qssl.Modem(w)
    h2 = heap() if IS_MP else 0
    mark = Mark(w)
    m.start()
    m.attach(apn="CMNET")
    out("bringup", mark.to(Mark(w)))
    mark = None
    ctx = m.ssl_context(0)
    ctx.load_verify_locations(cadata=ca)
    ca = None
    socks = []
    for i in range(6):
        s = ctx.socket()
        s.settimeout(60)
        s.connect((cfg["echo_host"], cfg["echo_port"]))
        socks.append(s)
    h3 = heap() if IS_MP else 0
    if IS_MP:
        out("heap", {"import": h1 - h0, "modem": h2 - h0, "six_sockets": h3 - h0})
        import importcount  # after the heap figures: it stays loaded

        new = [k for k in sys.modules if k not in before]
        out("imported", importcount.count("qssl", new))
    for s in socks[1:]:
        s.close()
    s = socks[0]
    socks = None
    out("ids", {"cid": m.cid, "ssid": s.ssid})

    # -- allocation per KB, 16 KB each way ----------------------------------------------
    if IS_MP:
        import micropython

        a_n = 16 * 1024
        gc.collect()
        a0 = micropython.mem_total()
        send_n(s, chunk, a_n)
        a1 = micropython.mem_total()
        recv_n(s, rbuf, a_n)
        a2 = micropython.mem_total()
        out("alloc", {"per_kb_sent": (a1 - a0) / (a_n / 1024), "per_kb_recv": (a2 - a1) / (a_n / 1024)})

    # -- 100-byte echo round trips ----------------------------------------------------------
    small = chunk[:100]
    trips = []
    for i in range(cfg["trips"]):
        mark = Mark(w)
        s.sendall(small)
        got = recv_n(s, rbuf, 100)
        r = mark.to(Mark(w))
        r["ok"] = got == 100
        trips.append(r)
    out("echo100", trips)

    # -- non-transparent goodput ---------------------------------------------------------------
    m0 = Mark(w)
    send_n(s, chunk, n_bytes)
    m1 = Mark(w)
    got = recv_n(s, rbuf, n_bytes)
    m2 = Mark(w)
    out("goodput", {"bytes": n_bytes, "send": m0.to(m1), "recv": m1.to(m2), "echo_ok": got == n_bytes})
    s.close()

    # -- HTTPS GET: commands, wire bytes and phase times -------------------------------------------
    req = ("GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: qssl\r\nConnection: close\r\n\r\n"
           % cfg["https_host"]).encode()
    for run_no in range(2):  # the first applies the context; the second is the steady case
        w.log = []
        urcs = UrcCount(m.eng)
        phases = {}
        g = ctx.socket()
        g.settimeout(30)
        a = Mark(w, urcs)
        g.connect((cfg["https_host"], cfg["https_port"]))
        b = Mark(w, urcs)
        g.sendall(req)
        c = Mark(w, urcs)
        body = 0
        while True:
            k = g.recv_into(rbuf)
            if not k:
                break
            body += k
        d = Mark(w, urcs)
        g.close()
        e = Mark(w, urcs)
        urcs.remove()
        phases["connect"] = a.to(b)
        phases["request"] = b.to(c)
        phases["response"] = c.to(d)
        phases["close"] = d.to(e)
        out("https_get%d" % run_no, {"run": run_no, "phases": phases, "response_bytes": body,
                          "request_bytes": len(req), "commands": w.log})
        w.log = None

    # -- transparent mode: n_bytes each way at once through the TLS echo server --------------------------
    t = ctx.transparent()
    t.settimeout(60)
    t.connect((cfg["echo_host"], cfg["echo_port"]))
    t.settimeout(0)
    piece = chunk[:512]
    window = 2048  # bytes sent and not yet echoed: keeps both lines busy
    sent = 0
    got = 0
    m0 = Mark(w)
    limit_us = int(cfg["deadline_s"] * 1000000)
    while got < n_bytes and since_us(m0.t) < limit_us:
        busy = False
        if sent < n_bytes and sent - got < window:
            t.send(piece)
            sent += len(piece)
            busy = True
        k = t.readinto(rbuf)
        if k:
            got += k
            busy = True
        if not busy:
            nap()
    m1 = Mark(w)
    t.close()
    out("transparent", {"bytes": n_bytes, "run": m0.to(m1), "echo_ok": got == n_bytes})
    m.detach()
    out("done", 1)


def main_mp(cfg_path):
    with open(cfg_path) as f:
        cfg = json.load(f)
    sys.path.insert(0, cfg["mpy_dir"])
    sys.path.append(cfg["root"])
    sys.path.append(cfg["root"] + "/tools")
    from boards import unix

    run(WireCount(unix.PtyUart(cfg["pty"]), True), cfg)


if __name__ == "__main__" and IS_MP:
    main_mp(sys.argv[1])
