#!/usr/bin/env python3
"""The two TLS paths compared on the MicroPython unix port (prints figures; asserts nothing).

    .venv/bin/python tools/bench_tls.py [--baud 115200] [--kb 16]

Through the emulator on a pty, paced at the line rate both ways (the emulator paces what
the module sends, the script paces what it writes, as a real TX line would):
1. Handshake time and the bytes that cross the UART:
   module TLS     AT+QSSLOPEN: the module does the handshake; only AT text crosses the UART;
   mbedTLS        AT+QIOPEN (TCP), then MicroPython's ssl does the handshake through
                  AT+QISEND/AT+QIRD: every handshake byte crosses the UART.
   The emulator reaches the servers over loopback, so no network round trip is included:
   on a cellular link each path adds its round trips (the handshake has two either way).
2. Goodput through each path: send KB, read the same KB back from a TLS echo server;
   each direction as a share of the line rate (115200 baud = 11520 B/s).
3. Memory of an mbedTLS handshake on the unix port: the peak of malloc'd bytes during
   it (mbedTLS allocates with the C library's calloc there; on boards it takes the same
   from the MicroPython heap or the SDK's), counted by a small LD_PRELOAD shim compiled
   here with cc; what stays allocated while the session is open; and the MicroPython
   heap the Python side (qssl's TCP socket) allocated during the handshake.
Module TLS keeps its state in the module: its handshake costs the MCU no TLS memory.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(ROOT, "lib"), os.path.join(ROOT, "tools")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

# malloc accounting, read and reset through getenv() (MicroPython's os.getenv calls the
# C library's): "QSSL_PEAK_RESET" starts a window, "QSSL_PEAK" answers "<peak> <now>",
# both in bytes above the level at the start of the window.
_SHIM_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static long cur, peak, base;
static char answer[64];
static void add(long n) { long c = __sync_add_and_fetch(&cur, n); if (c > peak) peak = c; }
void *malloc(size_t n) { void *p = __libc_malloc(n); if (p) add(malloc_usable_size(p)); return p; }
void *calloc(size_t a, size_t b) { void *p = __libc_calloc(a, b); if (p) add(malloc_usable_size(p)); return p; }
void *realloc(void *q, size_t n) {
    long old = q ? (long)malloc_usable_size(q) : 0;
    void *p = __libc_realloc(q, n);
    if (p) add((long)malloc_usable_size(p) - old); else if (!n) add(-old);
    return p;
}
void free(void *p) { if (p) add(-(long)malloc_usable_size(p)); __libc_free(p); }
char *getenv(const char *name) {
    static char *(*real)(const char *);
    if (!strcmp(name, "QSSL_PEAK_RESET")) { base = peak = cur; return "0"; }
    if (!strcmp(name, "QSSL_PEAK")) {
        snprintf(answer, sizeof answer, "%ld %ld", peak - base, cur - base);
        return answer;
    }
    if (!real) real = (char *(*)(const char *))dlsym(RTLD_NEXT, "getenv");
    return real(name);
}
"""

_MP_SCRIPT = r'''
import sys, gc, os, time, json, micropython
sys.path[:0] = [%(root)r + "/lib", %(root)r]
from boards import unix
import qssl
from qssl import mqttsock

cfg = json.load(open(%(cfg)r))
N = %(n)d
RATE = %(baud)d // 10


class Paced:
    # the MCU's TX line at the baud rate, and byte counts both ways
    def __init__(self, u):
        self.u = u
        self.on = False
        self.due = time.ticks_us()
        self.tx = 0
        self.rx = 0

    def any(self):
        return self.u.any()

    def readinto(self, buf, n=-1):
        got = self.u.readinto(buf, n)
        self.rx += got or 0
        return got

    def write(self, buf, off=0, n=-1):
        if n < 0:
            n = len(buf) - off
        got = self.u.write(buf, off, n)
        self.tx += n
        if self.on:
            now = time.ticks_us()
            if time.ticks_diff(now, self.due) > 0:
                self.due = now
            self.due = time.ticks_add(self.due, n * 1000000 // RATE)
            d = time.ticks_diff(self.due, time.ticks_us())
            if d > 0:
                time.sleep_us(d)
        return got


def out(key, value):
    print("RESULT", json.dumps({key: value}))


def peak():
    v = os.getenv("QSSL_PEAK")
    return [int(x) for x in v.split()] if v and " " in v else None


def goodput(s, read):
    block = bytes(range(256)) * 16
    t0 = time.ticks_ms()
    left = N
    while left:
        k = min(left, len(block))
        s.write(block[:k])
        left -= k
    t1 = time.ticks_ms()
    buf = bytearray(1024)
    got = 0
    while got < N:
        k = read(buf)
        if not k:
            break
        got += k
    t2 = time.ticks_ms()
    return {"bytes": N, "send_s": time.ticks_diff(t1, t0) / 1000,
            "recv_s": time.ticks_diff(t2, t1) / 1000, "echo_ok": got == N}


u = Paced(unix.PtyUart(cfg["modem_pty"]))
m = qssl.Modem(u)
m.start()
m.attach(apn="CMNET")
ctx = m.ssl_context(0)
ctx.load_verify_locations(cadata=cfg["ca_pem"])
ctx.ciphers = qssl.TLS_RSA_WITH_AES_256_CBC_SHA  # one of the module's own suites
tls = mqttsock.tls_context(cfg["ca_pem"])
u.on = True

# 1a. module TLS
gc.collect()
g0 = gc.mem_alloc()
tx, rx, t0 = u.tx, u.rx, time.ticks_ms()
s = ctx.socket()
s.settimeout(60)
s.connect((cfg["echo_host"], cfg["echo_port"]))
t1 = time.ticks_ms()
gc.collect()
out("module", {"handshake_ms": time.ticks_diff(t1, t0), "tx": u.tx - tx, "rx": u.rx - rx,
               "gc_retained": gc.mem_alloc() - g0})
out("module_goodput", goodput(s, s.readinto))
s.close()

# 1b. mbedTLS over the module's TCP
tx, rx, t0 = u.tx, u.rx, time.ticks_ms()
tcp = m.tcp_socket()
tcp.settimeout(60)
tcp.connect((cfg["modern_host"], cfg["modern_port"]))
t1 = time.ticks_ms()
tx1, rx1 = u.tx, u.rx
gc.collect()
g0 = gc.mem_alloc()
a0 = micropython.mem_total()
os.getenv("QSSL_PEAK_RESET")
t1 = time.ticks_ms()
s = mqttsock.wrap(tls, tcp, cfg["modern_host"])
t2 = time.ticks_ms()
pk = peak()
a1 = micropython.mem_total()
gc.collect()
out("mbedtls", {"tcp_ms": time.ticks_diff(t1, t0), "tcp_tx": tx1 - tx, "tcp_rx": rx1 - rx,
                "handshake_ms": time.ticks_diff(t2, t1), "tx": u.tx - tx1, "rx": u.rx - rx1,
                "cipher": s.cipher(), "malloc": pk, "gc_allocated": a1 - a0,
                "gc_retained": gc.mem_alloc() - g0})
out("mbedtls_goodput", goodput(s, s.readinto))
s.close()
m.detach()
out("done", 1)
'''


def build_shim(work):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None, "no C compiler (cc) for the malloc-counting shim"
    src = os.path.join(work, "peak.c")
    lib = os.path.join(work, "peak.so")
    with open(src, "w") as f:
        f.write(_SHIM_C)
    r = subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", lib, src, "-ldl"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    if r.returncode != 0:
        return None, "cc failed: " + r.stdout.decode(errors="replace")[-300:]
    return lib, None


def run_bench(baud, kb, timeout):
    import mpbridge
    from testnet.tlsworld import TlsWorld

    exe = mpbridge.find_micropython()
    if not exe:
        return {"error": "the MicroPython unix port is not installed"}
    results = {}
    with TlsWorld(baud=baud, broker=False) as world:
        shim, why = build_shim(world.work)
        results["shim"] = why
        script = os.path.join(world.work, "bench_tls_mp.py")
        with open(script, "w") as f:
            f.write(_MP_SCRIPT % {"root": ROOT, "cfg": world.config_path, "n": kb * 1024,
                                  "baud": baud})
        env = dict(os.environ)
        if shim:
            env["LD_PRELOAD"] = shim
        proc = subprocess.Popen([exe, script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                cwd=world.work, env=env, start_new_session=True)
        lines = []
        t = threading.Thread(target=lambda: lines.extend(
            ln.decode(errors="replace").rstrip() for ln in iter(proc.stdout.readline, b"")),
            daemon=True)
        t.start()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
            results["error"] = "timed out after %ss" % timeout
        t.join(2)
        for ln in lines:
            if ln.startswith("RESULT "):
                results.update(json.loads(ln[7:]))
        if "done" not in results:
            results.setdefault("error", "the MicroPython script failed")
            results["output"] = "\n".join(lines[-20:])
    return results


def _pct(nbytes, secs, baud):
    return 100.0 * nbytes / secs / (baud / 10.0) if secs > 0 else float("nan")


def report(r, baud):
    say = print
    if "error" in r:
        say("FAILED:", r["error"])
        say(r.get("output", ""))
        return 1
    mo, mb = r["module"], r["mbedtls"]
    say("handshake at %d baud (loopback servers: no network round trips included):" % baud)
    say("  module TLS  AT+QSSLOPEN             %5d ms   UART %5d B out, %5d B in"
        % (mo["handshake_ms"], mo["tx"], mo["rx"]))
    say("  mbedTLS     AT+QIOPEN (TCP)         %5d ms   UART %5d B out, %5d B in"
        % (mb["tcp_ms"], mb["tcp_tx"], mb["tcp_rx"]))
    say("              TLS handshake over TCP  %5d ms   UART %5d B out, %5d B in  (%s, %s)"
        % (mb["handshake_ms"], mb["tx"], mb["rx"], mb["cipher"][0], mb["cipher"][1]))
    say("              total                   %5d ms" % (mb["tcp_ms"] + mb["handshake_ms"]))
    say("goodput at %d baud (%d B/s line rate), echo of %d KB:" % (baud, baud // 10,
                                                                 r["module_goodput"]["bytes"] // 1024))
    for label, key in (("module TLS", "module_goodput"), ("mbedTLS   ", "mbedtls_goodput")):
        g = r[key]
        say("  %s  send %5.0f B/s (%4.1f %%)   receive %5.0f B/s (%4.1f %%)%s" % (
            label, g["bytes"] / g["send_s"], _pct(g["bytes"], g["send_s"], baud),
            g["bytes"] / g["recv_s"], _pct(g["bytes"], g["recv_s"], baud),
            "" if g["echo_ok"] else "   ECHO INCOMPLETE"))
    say("memory on the MCU side (MicroPython unix port, 64-bit):")
    if mb["malloc"]:
        say("  mbedTLS handshake: malloc peak %d B (%.1f KB); %d B stay allocated while the"
            " session is open" % (mb["malloc"][0], mb["malloc"][0] / 1024.0, mb["malloc"][1]))
    else:
        say("  mbedTLS handshake: malloc peak not measured (%s)" % r.get("shim"))
    say("  mbedTLS handshake: the Python side allocated %d B of MicroPython heap, %d B retained"
        % (mb["gc_allocated"], mb["gc_retained"]))
    say("  module TLS socket: %d B of MicroPython heap retained; the TLS state is in the module"
        % mo["gc_retained"])
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baud", type=int, default=115200)
    ap.add_argument("--kb", type=int, default=16, help="KB each way for the goodput")
    ap.add_argument("--timeout", type=float, default=300)
    a = ap.parse_args(argv)
    t0 = time.monotonic()
    r = run_bench(a.baud, a.kb, a.timeout)
    rc = report(r, a.baud)
    print("(%.0f s)" % (time.monotonic() - t0))
    return rc


if __name__ == "__main__":
    sys.exit(main())
