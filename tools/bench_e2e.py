#!/usr/bin/env python3
"""End-to-end figures for qssl (prints them; asserts nothing).

    .venv/bin/python tools/bench_e2e.py [--kb 256] [--baud 115200] [--skip-cpython] [--skip-micropython]

1. Goodput through an SSL socket to a TLS echo server, the emulator paced at the
   line rate: send KB, then read the same KB back; each direction as a fraction of
   the line rate (115200 baud = 11520 B/s). The emulator paces what the module sends;
   the host side's writes are paced here by a wrapper around the UART, as a real TX
   line would (a pty or the in-process port would take them at once).
   a) CPython, in-process emulator;  b) the MicroPython unix port, emulator on a pty.
2. MicroPython heap (gc.collect(); gc.mem_alloc(), above the script's own baseline)
   after `import qssl` (from .mpy), after `Modem()`, after six open SSL sockets.
3. MicroPython bytes allocated per KB sent and per KB received (micropython.mem_total).
4. Total mpy-cross size of lib/qssl.
Targets: >= 90 % goodput, <= 10 KB heap, <= 16 KB .mpy.

On the unix port the script runs as `micropython script.py` and opens the pty
itself (boards/unix.py), so nothing but qssl sits between it and the emulator.
"""
import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(ROOT, "lib"), os.path.join(ROOT, "tools")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

HOST = "example.com"


def _say(*a):
    print(*a, flush=True)


# --- 4. .mpy size ---------------------------------------------------------------------------
def build_mpy(dest):
    """Compile lib/qssl/*.py into dest/qssl/; returns {file: bytes}."""
    out = os.path.join(dest, "qssl")
    os.makedirs(out, exist_ok=True)
    sizes = {}
    for src in sorted(glob.glob(os.path.join(ROOT, "lib", "qssl", "*.py"))):
        name = os.path.splitext(os.path.basename(src))[0] + ".mpy"
        dst = os.path.join(out, name)
        subprocess.run([sys.executable, "-m", "mpy_cross", "-o", dst, src], check=True,
                       timeout=60, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        sizes[name] = os.path.getsize(dst)
    return sizes


# --- 1a. CPython, in-process ------------------------------------------------------------------
class PacedPort:
    """The host's TX line: writes take len/rate seconds (the port's output is paced
    by the emulator itself)."""

    def __init__(self, port, baud):
        self._p = port
        self._rate = baud / 10.0
        self._due = time.monotonic()
        self.in_waiting = 0

    def any(self):
        return self._p.any()

    def readinto(self, buf, n=-1):
        return self._p.readinto(buf, n)

    def read(self, n=-1):
        return self._p.read(n)

    def write(self, buf, n=-1):
        k = len(buf) if n is None or n < 0 else n
        now = time.monotonic()
        self._due = max(self._due, now) + k / self._rate
        got = self._p.write(buf, k)
        delay = self._due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return got


def _pattern(n):
    from testnet import pattern

    return pattern(n)


def bench_cpython(pki, kb, baud):
    import qssl
    from quecsim import Emulator
    from testnet import TlsEchoServer

    n = kb * 1024
    with TlsEchoServer(pki.server_cert_path, pki.server_key_path) as echo:
        emu = Emulator(routes={(HOST, 443): ("127.0.0.1", echo.port)}, baud=baud)
        emu.start()
        try:
            # No start-up banner here: throughput is the point, and a banner racing
            # the first AT is a separate case (the tests cover it).
            m = qssl.Modem(PacedPort(emu.port(), baud))
            m.start()
            m.attach(apn="CMNET")
            ctx = m.ssl_context(0)
            ctx.load_verify_locations(cadata=pki.ca_pem)
            s = ctx.socket()
            s.settimeout(60)
            s.connect((HOST, 443))
            data = _pattern(n)
            t0 = time.monotonic()
            s.sendall(data)
            t_send = time.monotonic() - t0
            buf = bytearray(4096)
            got = bytearray()
            t0 = time.monotonic()
            while len(got) < n:
                k = s.recv_into(buf)
                if not k:
                    break
                got += memoryview(buf)[:k]
            t_recv = time.monotonic() - t0
            s.close()
            m.detach()
        finally:
            emu.stop()
    return {"bytes": n, "send_s": t_send, "recv_s": t_recv, "echo_ok": bytes(got) == data}


# --- 1b, 2, 3. MicroPython unix port ------------------------------------------------------------
_MP_SCRIPT = r'''
import sys, gc, time, json, micropython
sys.path.insert(0, %(mpy_dir)r)
sys.path.append(%(root)r)
from boards import unix

N = %(n)d
RATE = %(baud)d // 10


class Paced:
    # the host's TX line at the baud rate; off by default (heap figures first)
    def __init__(self, u):
        self.u = u
        self.on = False
        self.due = time.ticks_us()

    def any(self):
        return self.u.any()

    def readinto(self, buf, n=-1):
        return self.u.readinto(buf, n)

    # small frames: MicroPython takes frames over 11 words from the heap, which would
    # be counted against qssl in the allocation figures
    def write(self, buf, off=0, n=-1):
        if n < 0:
            n = len(buf) - off
        got = self.u.write(buf, off, n)
        if self.on:
            self._pace(n)
        return got

    def _pace(self, n):
        now = time.ticks_us()
        if time.ticks_diff(now, self.due) > 0:
            self.due = now
        self.due = time.ticks_add(self.due, n * 1000000 // RATE)
        d = time.ticks_diff(self.due, time.ticks_us())
        if d > 0:
            time.sleep_us(d)


def out(key, value):
    print("RESULT", json.dumps({key: value}))


u = Paced(unix.PtyUart(%(pty)r))
ca = open(%(ca)r).read()
pat = bytearray(4096)
for i in range(4096):
    pat[i] = 48 + i %% 64
rbuf = bytearray(4096)
gc.collect()
h0 = gc.mem_alloc()
import qssl
gc.collect()
h1 = gc.mem_alloc()
m = qssl.Modem(u)
gc.collect()
h2 = gc.mem_alloc()
m.start()
m.attach(apn="CMNET")
ctx = m.ssl_context(0)
ctx.load_verify_locations(cadata=ca)
ca = None
socks = []
for i in range(6):
    s = ctx.socket()
    s.settimeout(60)
    s.connect((%(host)r, 443))
    socks.append(s)
gc.collect()
h3 = gc.mem_alloc()
out("heap", {"import": h1 - h0, "modem": h2 - h0, "six_sockets": h3 - h0})
for s in socks[1:]:
    s.close()
s = socks[0]
socks = None
gc.collect()

# allocation per KB: 16 KB each way, unpaced
CHUNK = bytes(memoryview(pat)[:4096])  # made once: slicing per call would be the bench's


def send_n(s, total):
    left = total
    while left >= 4096:
        s.sendall(CHUNK)
        left -= 4096
    if left:  # --kb not a multiple of 4; never in the allocation run (16 KB)
        s.sendall(memoryview(CHUNK)[:left])

def recv_n(s, total):
    got = 0
    while got < total:
        k = s.recv_into(rbuf)
        if not k:
            break
        got += k
    return got

A = 16 * 1024
a0 = micropython.mem_total()
send_n(s, A)
a1 = micropython.mem_total()
recv_n(s, A)
a2 = micropython.mem_total()
out("alloc", {"per_kb_sent": (a1 - a0) / (A / 1024), "per_kb_recv": (a2 - a1) / (A / 1024)})

u.on = True
t0 = time.ticks_ms()
send_n(s, N)
t1 = time.ticks_ms()
got = recv_n(s, N)
t2 = time.ticks_ms()
out("goodput", {"bytes": N, "send_s": time.ticks_diff(t1, t0) / 1000,
                "recv_s": time.ticks_diff(t2, t1) / 1000, "echo_ok": got == N})
s.close()
m.detach()
out("done", 1)
'''


def _stop(proc):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except OSError:
        proc.terminate()
    try:
        proc.wait(3)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
        proc.wait(3)


def _micropython():
    cand = os.path.join(os.path.dirname(sys.executable), "micropython")
    return cand if os.access(cand, os.X_OK) else shutil.which("micropython")


def bench_micropython(pki, kb, baud, work, mpy_dir, timeout):
    from testnet import TlsEchoServer

    exe = _micropython()
    if not exe:
        return {"error": "micropython binary not found"}
    results = {}
    pty_path = os.path.join(work, "qmodem")
    ca_path = os.path.join(work, "ca.pem")
    with open(ca_path, "wb") as f:
        f.write(pki.ca_pem if isinstance(pki.ca_pem, bytes) else pki.ca_pem.encode())
    with TlsEchoServer(pki.server_cert_path, pki.server_key_path) as echo:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, "lib"), os.path.join(ROOT, "tools")])
        env["PYTHONUNBUFFERED"] = "1"
        sim = subprocess.Popen(
            [sys.executable, "-m", "quecsim", "--pty", pty_path, "--baud", str(baud), "--boot",
             "--route", "%s:443=127.0.0.1:%d" % (HOST, echo.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
            start_new_session=True)
        mp = None
        try:
            line = sim.stdout.readline().decode(errors="replace")
            if "ready" not in line:
                return {"error": "quecsim did not start: %r" % line}
            threading.Thread(target=lambda: sim.stdout.read(), daemon=True).start()
            script = os.path.join(work, "bench_mp.py")
            with open(script, "w") as f:
                f.write(_MP_SCRIPT % {"mpy_dir": mpy_dir, "root": ROOT, "n": kb * 1024,
                                      "baud": baud, "pty": pty_path, "ca": ca_path,
                                      "host": HOST})
            mp = subprocess.Popen([exe, script], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, cwd=work, start_new_session=True)
            end = time.monotonic() + timeout
            lines = []

            def reader():
                for raw in iter(mp.stdout.readline, b""):
                    lines.append(raw.decode(errors="replace").rstrip())

            t = threading.Thread(target=reader, daemon=True)
            t.start()
            while mp.poll() is None and time.monotonic() < end:
                time.sleep(0.2)
            if mp.poll() is None:
                results["error"] = "timed out after %ss" % timeout
            t.join(2)
            for ln in lines:
                if ln.startswith("RESULT "):
                    results.update(json.loads(ln[7:]))
            if "done" not in results:
                results.setdefault("error", "script failed")
                results["output"] = "\n".join(lines[-25:])
        finally:
            _stop(mp)
            _stop(sim)
    return results


def _pct(nbytes, secs, baud):
    return 100.0 * nbytes / secs / (baud / 10.0) if secs > 0 else float("nan")


def _report_goodput(label, r, baud):
    if "error" in r and "send_s" not in r:
        _say("  %s: not measured (%s)" % (label, r["error"]))
        return
    n = r["bytes"]
    _say("  %s: send %d B in %.1f s = %.0f B/s = %.1f %% of line rate; "
         "receive %.1f s = %.0f B/s = %.1f %%; echo %s"
         % (label, n, r["send_s"], n / r["send_s"], _pct(n, r["send_s"], baud),
            r["recv_s"], n / r["recv_s"], _pct(n, r["recv_s"], baud),
            "intact" if r.get("echo_ok") else "WRONG"))


_ROMFS_SCRIPT = """
import gc, sys, vfs
with open(%(img)r, "rb") as f:
    img = f.read()  # stands in for the board's flash: allocated before the baseline
vfs.mount(vfs.VfsRom(img), "/rom")
sys.path.insert(0, "/rom")
gc.collect(); h0 = gc.mem_alloc()
import qssl
gc.collect(); h1 = gc.mem_alloc()
class U:
    def any(self): return 0
    def readinto(self, b, n=-1): return 0
    def write(self, b, off=0, n=-1): return n
m = qssl.Modem(U())
gc.collect(); h2 = gc.mem_alloc()
print("ROMFS", h1 - h0, h2 - h0)
"""


def bench_romfs_heap(work):
    """Heap with lib/qssl in a ROMFS image (bytecode executed in place, as from a board's
    flash): (after import, after Modem()) in bytes, or None where it cannot be measured."""
    src = os.path.join(work, "romsrc")
    shutil.copytree(os.path.join(ROOT, "lib", "qssl"), os.path.join(src, "qssl"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    img = os.path.join(work, "qssl.romfs")
    subprocess.run([sys.executable, "-m", "mpremote", "romfs", "-o", img, "build", src],
                   check=True, timeout=120, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    script = os.path.join(work, "romfs_heap.py")
    with open(script, "w") as f:
        f.write(_ROMFS_SCRIPT % {"img": img})
    r = subprocess.run([_micropython(), script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    for ln in r.stdout.decode(errors="replace").splitlines():
        if ln.startswith("ROMFS "):
            return tuple(int(x) for x in ln.split()[1:3])
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", type=int, default=256, help="KB each way for goodput (default 256)")
    ap.add_argument("--baud", type=int, default=115200, help="line rate (default 115200)")
    ap.add_argument("--skip-cpython", action="store_true")
    ap.add_argument("--skip-micropython", action="store_true")
    a = ap.parse_args(argv)
    from testnet import make_pki

    work = tempfile.mkdtemp(prefix="qssl-bench-")
    try:
        pki = make_pki(os.path.join(work, "pki"))
        line = a.baud / 10.0
        _say("qssl end-to-end bench: %d KB each way, %d baud (line rate %.0f B/s)"
             % (a.kb, a.baud, line))

        sizes = build_mpy(os.path.join(work, "mpy"))
        total = sum(sizes.values())
        _say("flash: lib/qssl as .mpy = %d B (%.1f KB; target <= 16 KB) -- %s"
             % (total, total / 1024, ", ".join("%s %d" % kv for kv in sorted(sizes.items()))))

        _say("goodput (SSL socket to a TLS echo server; target >= 90 %):")
        if not a.skip_cpython:
            try:
                _report_goodput("CPython, in-process emulator", bench_cpython(pki, a.kb, a.baud),
                                a.baud)
            except Exception as e:  # a bench reports, it does not stop
                _say("  CPython, in-process emulator: failed: %r" % (e,))
        if not a.skip_micropython:
            # 2 directions at the line rate, plus set-up and the allocation runs
            budget = 60 + 2.5 * a.kb * 1024 / line
            r = bench_micropython(pki, a.kb, a.baud, work, os.path.join(work, "mpy"), budget)
            if "goodput" in r:
                _report_goodput("MicroPython unix port, emulator on a pty", r["goodput"], a.baud)
            else:
                _say("  MicroPython unix port: not measured (%s)" % r.get("error"))
            if "heap" in r:
                h = r["heap"]
                _say("heap (MicroPython unix port, 64-bit, gc.mem_alloc above baseline; target <= 10 KB):")
                _say("  after import qssl (.mpy): %d B; + Modem(): %d B; + 6 open SSL sockets: %d B"
                     % (h["import"], h["modem"], h["six_sockets"]))
            try:
                rom = bench_romfs_heap(work)
            except Exception as e:  # a bench reports, it does not stop
                rom = None
                _say("  ROMFS heap: not measured (%r)" % (e,))
            if rom:
                _say("  code in ROMFS (in place, as from flash): after import qssl %d B;"
                     " + Modem(): %d B" % rom)
            if "alloc" in r:
                al = r["alloc"]
                _say("allocation (MicroPython, micropython.mem_total over 16 KB each way):")
                _say("  %.0f B per KB sent, %.0f B per KB received"
                     % (al["per_kb_sent"], al["per_kb_recv"]))
            if "output" in r:
                _say("  micropython output:\n" + r["output"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
