#!/usr/bin/env python3
"""The fault matrix (issue 8): every fault x every moment, what the user saw, whether
the bytes delivered were the right ones, the time until a connect works again with
recover=True, that server authentication is still on afterwards (a server whose
certificate comes from an unrelated CA is refused), and what is left open.

    python tools/fault_matrix.py                      # all cells, in-process on CPython
    python tools/fault_matrix.py --micropython        # on the MicroPython unix port, pty emulator
    python tools/fault_matrix.py --faults restart,hang --moments idle,send

Faults: restart (RDY printed), restart_silent (autobaud: nothing printed), pdp_deact,
peer_close, send_fail (a burst of 3), noise, drop_in / drop_out (8 bytes lost towards /
from the module), silence (6 s of no output), overlong (a 3000-byte line), mcu_reset
(the program dies with sockets open; a new program starts), hang (the module answers
nothing until power-cycled; recovery has Modem(power=)).
Moments: idle, connect (after AT+QSSLOPEN's OK, before its result), send (after the
"> " prompt), recv (when AT+QSSLRECV arrives), upload (after AT+QSECWRITE's CONNECT).

The user program of a cell is tests_device/test_faults_matrix.py (the same code on
both runtimes); this file is the module side: the emulator, the servers and the
fault triggers. Prints the matrix as markdown; exit status 1 when a cell breaks an
invariant (see problems()).
"""
import argparse
import errno
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(ROOT, "tests_device"), os.path.join(ROOT, "lib"), os.path.join(ROOT, "tools")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import test_faults_matrix as scenario  # noqa: E402  the user side of a cell

FAULTS = scenario.FAULTS
MOMENTS = scenario.MOMENTS
GOOD_HOST = "good.test"
ROGUE_HOST = "rogue.test"
APN = "CMNET"
LOCAL_IP = "10.1.83.188"
NOISE = b"\x00\xfe\x13~#noise#\r\n\xff\x80"
LINE_DAMAGE = 8  # bytes lost by drop_in / drop_out
SILENCE_MS = 4000  # longer than the user's socket timeout (OP_TIMEOUT)
OVERLONG = 3000

# A subset that meets every fault and every moment, for CI (tests_host/test_fault_matrix.py).
# (Cells where the module waits 100 s for upload bytes, or for ever for send payload,
# are left to the full run; tests_host/test_recovery_*.py has short repros of them.)
REPRESENTATIVE = (
    ("restart", "recv"), ("restart", "upload"), ("restart_silent", "idle"), ("restart_silent", "connect"),
    ("pdp_deact", "send"), ("pdp_deact", "idle"), ("peer_close", "recv"), ("peer_close", "connect"),
    ("send_fail", "send"), ("noise", "recv"), ("noise", "upload"), ("drop_in", "send"), ("drop_out", "recv"),
    ("drop_out", "connect"), ("silence", "idle"), ("overlong", "recv"), ("mcu_reset", "connect"),
    ("mcu_reset", "recv"), ("hang", "idle"),
)
# A few cells for the MicroPython run in CI: a restart, a PDP loss, a silent restart,
# an MCU reset and a power-cycle through boards/unix.ControlPower.
MICROPYTHON_SUBSET = (("restart", "recv"), ("pdp_deact", "send"), ("restart_silent", "idle"),
                      ("mcu_reset", "connect"), ("hang", "idle"))


# --- servers -------------------------------------------------------------------------------


def rogue_server(pki):
    """A TLS echo server whose certificate is signed by the unrelated CA."""
    from testnet import TlsEchoServer

    return TlsEchoServer(pki.other_server_cert_path, pki.other_server_key_path)


def completed_handshakes(server):
    """Connections to server whose TLS handshake succeeded."""
    return sum(1 for s in list(server.sessions) if s.get("version"))


def cert_refusals(server):
    """TLS handshakes with server that the client ended with an unknown-CA alert: the
    module checked the chain and refused it. (A plain TCP connect, as the library's
    open diagnosis makes, is not counted.)"""
    return sum(1 for s in list(server.sessions) if "UNKNOWN_CA" in (s.get("error") or ""))


def settle(server, timeout=3.0):
    """Wait until every accepted connection has its handshake recorded."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and len(server.sessions) < server.accepted:
        time.sleep(0.01)


class Servers:
    """The echo server the cells talk to, and one signed by an unrelated CA."""

    def __init__(self, pki):
        from testnet import TlsEchoServer

        self.pki = pki
        self.good = TlsEchoServer(pki.server_cert_path, pki.server_key_path)
        self.rogue = rogue_server(pki)

    def __enter__(self):
        self.good.start()
        self.rogue.start()
        return self

    def __exit__(self, *exc):
        self.good.stop()
        self.rogue.stop()

    def routes(self):
        return {(GOOD_HOST, 443): ("127.0.0.1", self.good.port),
                (ROGUE_HOST, 443): ("127.0.0.1", self.rogue.port)}

    def rogue_counts(self):
        """(handshakes refused for the certificate, handshakes completed)."""
        settle(self.rogue)
        return cert_refusals(self.rogue), completed_handshakes(self.rogue)

    def config(self):
        ca = self.pki.ca_pem
        return {"apn": APN, "ca_pem": ca.decode() if isinstance(ca, bytes) else ca,
                "good_host": GOOD_HOST, "good_port": 443, "rogue_host": ROGUE_HOST, "rogue_port": 443}


# --- the module side of a fault ------------------------------------------------------------


def on_command(emu, name, fn, when="after", match=None):
    """Run fn(emu, req) once, on the worker, when the module gets the next write form of
    command `name` ("+QSSLOPEN") that match(req) accepts: "before" or "after" its
    handler, or "instead" of it (the command is lost)."""
    orig = emu.commands[name]

    def hook(e, req):
        if req.kind != "write" or (match is not None and not match(req)):
            return orig(e, req)
        emu.commands[name] = orig
        if when == "before":
            fn(e, req)
            orig(e, req)
        elif when == "instead":
            fn(e, req)
        else:
            orig(e, req)
            fn(e, req)

    emu.commands[name] = hook


def _close_peer_now(emu, ssid):
    from quecsim import commands_ssl

    if ssid is None:
        ssid = next(iter(sorted(emu.state.sockets)), None)
    if ssid is not None:
        commands_ssl.close_peer(emu, ssid)


def _close_peer_when_open(emu, ssid):
    """The peer closes ssid right after its connect succeeded: when the module prints
    "+QSSLOPEN: <ssid>,0", before it reads the host's next command."""
    mark = b"+QSSLOPEN: %d,0" % ssid

    def watch(chunk):
        if mark in chunk:
            emu.add_timer(0, lambda: _close_peer_now(emu, ssid))
        else:
            emu.wire.mangle_next(watch, "urc")  # not this URC: wait for the next one
        return chunk

    emu.wire.mangle_next(watch, "urc")


def fire(emu, fault, ssid=None):
    """The fault happens now (any thread; on the worker it runs at once)."""
    f = emu.faults
    if fault == "restart":
        f.reboot(True)
    elif fault == "restart_silent":
        f.reboot(False)
    elif fault == "pdp_deact":
        f.pdp_deact()
    elif fault == "peer_close":
        emu.call(_close_peer_now, emu, ssid)
    elif fault == "send_fail":
        f.send_fail(3)
    elif fault == "noise":
        f.noise(NOISE)
    elif fault == "drop_in":
        f.drop_in(LINE_DAMAGE)
    elif fault == "drop_out":
        f.drop(LINE_DAMAGE)
    elif fault == "silence":
        f.silence(SILENCE_MS)
    elif fault == "overlong":
        f.overlong(OVERLONG)
    elif fault == "hang":
        f.hang()
    elif fault != "mcu_reset":  # that one happens in the program, not the module
        raise ValueError("unknown fault %r" % fault)


# Where each moment meets the module: the command and whether the fault comes before
# its answer or after the answer has started the operation.
HOOKS = {"connect": ("+QSSLOPEN", "after"), "send": ("+QSSLSEND", "after"),
         "recv": ("+QSSLRECV", "before"), "upload": ("+QSECWRITE", "after")}
_GONE = ("restart", "restart_silent", "hang")  # a module that cannot answer the command


def arm(emu, fault, moment):
    if fault not in FAULTS or moment not in MOMENTS:
        raise ValueError("unknown cell %s/%s" % (fault, moment))
    if moment == "idle":
        fire(emu, fault)
        return
    name, when = HOOKS[moment]
    if when == "before" and fault in _GONE:
        when = "instead"
    if fault == "peer_close" and moment == "connect":
        on_command(emu, name, lambda e, req: _close_peer_when_open(e, req.int(0)), when)
        return
    on_command(emu, name, lambda e, req: fire(e, fault, req.int(0)), when)


# --- a cell on CPython ------------------------------------------------------------------------


def new_emulator(servers, **kw):
    from quecsim import Emulator

    return Emulator(routes=servers.routes(), baud=None, echo=True, local_ip=LOCAL_IP, **kw)


def run_cell(servers, fault, moment):
    """One cell in-process; the scenario's result plus what only the module side knows."""
    emu = new_emulator(servers)
    emu.start()
    emu.boot()

    def uart():
        # A new program: what the old one left unread went with its RAM. The MCU boots
        # for longer than the module takes to finish the answer in flight (an answer
        # still arriving meets a library bug: test_recovery_mcu_reset.py).
        emu.call(lambda: None)  # the module has read what the old program wrote
        end = time.monotonic() + 5
        while not emu.out.idle() and time.monotonic() < end:
            time.sleep(0.01)
        p = emu.port()
        p.clear()
        return p

    env = scenario.Env(uart, lambda f, mo: arm(emu, f, mo), emu.power, servers.config())
    acc0, hs0 = servers.rogue_counts()
    t0 = time.monotonic()
    try:
        r = scenario.cell(env, fault, moment)
    finally:
        r_module = dict(module_sockets=len(emu.state.sockets),
                        module_seclevel=[emu.state.cfg[i]["seclevel"] for i in (0, 1)])
        emu.stop()
    r["seconds"] = round(time.monotonic() - t0, 2)
    acc1, hs1 = servers.rogue_counts()
    r.update(r_module, rogue_refused_at_tls=acc1 - acc0, rogue_completed=hs1 - hs0)
    return r


def run_cpython(servers, cells, progress=None):
    out = []
    for fault, moment in cells:
        r = run_cell(servers, fault, moment)
        out.append(r)
        if progress:
            progress(r)
    return out


# --- the cells on MicroPython ---------------------------------------------------------------------


def _matrix_control(base):
    class MatrixControl(base):
        """quecsim's control socket plus "fm_arm <fault> <moment>" (and "fm_arm reset
        idle": a fresh module for the next cell, what the module side saw of the last
        one recorded)."""

        def __init__(self, path, emu, servers):
            base.__init__(self, path, emu)
            self.servers = servers
            self.commands = dict(emu.commands)
            self.records = []
            self._mark = None

        def execute(self, line):
            cmd, _, arg = line.partition(" ")
            if cmd != "fm_arm":
                return base.execute(self, line)
            fault, moment = arg.split()
            if fault == "reset":
                self.next_cell()
            else:
                arm(self.emu, fault, moment)

        def next_cell(self):
            self.finish_cell()
            emu = self.emu
            emu.commands.clear()
            emu.commands.update(self.commands)
            emu.faults.send_fails = 0
            emu.power(False)
            emu.power(True)
            self._mark = self.servers.rogue_counts()

        def finish_cell(self):
            if self._mark is None:
                return
            acc, hs = self.servers.rogue_counts()
            st = self.emu.state
            self.records.append(dict(module_sockets=len(st.sockets),
                                     module_seclevel=[st.cfg[i]["seclevel"] for i in (0, 1)],
                                     rogue_refused_at_tls=acc - self._mark[0], rogue_completed=hs - self._mark[1]))
            self._mark = None

    return MatrixControl


def run_micropython(servers, cells, baud=115200, timeout=1800, progress=None, exe=None):
    """All cells in one MicroPython process (tests_device/test_faults_matrix.py) on a pty
    to an in-process emulator; returns the results, or raises RuntimeError."""
    import mpbridge
    from quecsim import Emulator
    from quecsim.control import ControlServer
    from quecsim.ptyport import PtyPort

    exe = exe or mpbridge.find_micropython()
    if not exe:
        raise RuntimeError("micropython (the unix port) not found")
    work = tempfile.mkdtemp(prefix="qssl-fm-")
    emu = Emulator(routes=servers.routes(), baud=baud, echo=True, local_ip=LOCAL_IP)
    pty = PtyPort(os.path.join(work, "qmodem"), emu)
    control = _matrix_control(ControlServer)(os.path.join(work, "ctl"), emu, servers)
    cfg = servers.config()
    cfg.update(pty=pty.path, control=control.path, cells=[list(c) for c in cells])
    cfg_path = os.path.join(work, "env.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    emu.start()
    pty.start()
    control.start()
    results = []
    lines = []
    try:
        proc = subprocess.Popen([exe, os.path.join("tests_device", "test_faults_matrix.py")], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=dict(os.environ, QSSL_FAULT_ENV=cfg_path))
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            for raw in proc.stdout:
                line = raw.decode(errors="replace").rstrip()
                lines.append(line)
                if line.startswith("CELL "):
                    r = json.loads(line[5:])
                    results.append(r)
                    if progress:
                        progress(r)
            proc.wait()
        finally:
            timer.cancel()
        control.finish_cell()
    finally:
        control.stop()
        emu.stop()
        pty.stop()
        for name in ("env.json",):
            try:
                os.unlink(os.path.join(work, name))
            except OSError:
                pass
        try:
            os.rmdir(work)
        except OSError:
            pass
    if len(results) != len(cells) or len(control.records) != len(cells):
        raise RuntimeError("MicroPython ran %d of %d cells:\n%s" % (len(results), len(cells), "\n".join(lines[-40:])))
    for r, rec in zip(results, control.records):
        r.update(rec)
        r["seconds"] = None
    return results


# --- judging and printing ------------------------------------------------------------------------

# What an error must say after these faults (any of the words).
_CAUSE = {"restart": ("restart",), "restart_silent": ("restart",), "pdp_deact": ("PDP",),
          "peer_close": ("peer closed", "end of stream")}


def _names(e, words):
    return any(w.lower() in e[1].lower() for w in words)


def problems(r):
    """The invariants a cell breaks (empty: the cell is good)."""
    p = []
    if r.get("setup_error"):
        return ["setup failed: %s" % r["setup_error"][1]]
    for key in ("saw", "old"):
        e = r.get(key)
        if e and e[1] not in ("MCU reset", "end of stream") and len(e[1].split("] ", 1)[-1]) < 8:
            p.append("%s error without a message" % key)
    if not r["intact"]:
        p.append("delivered bytes differ")
    words = _CAUSE.get(r["fault"])
    if words:
        errs = [e for e in (r["saw"], r["old"]) if e]
        if errs and not any(_names(e, words) for e in errs):
            p.append("cause (%s) not named" % words[0])
        saw = r["saw"]
        # the call that met the fault: a timeout may not know why, any other error must
        if saw and saw[0] != errno.ETIMEDOUT and saw[1] != "MCU reset" and not _names(saw, words):
            p.append("the error seen does not name the cause (%s)" % words[0])
    if r["reconnect_ms"] is None:
        p.append("no reconnect in %d tries" % r["tries"])
        return p
    if any(x is None for x in r["rogue"]):
        p.append("ROGUE SERVER ACCEPTED")
    if r.get("rogue_completed"):
        p.append("rogue handshake completed")
    if r.get("rogue_refused_at_tls") is not None and r["rogue_refused_at_tls"] < len(r["rogue"]):
        p.append("rogue not refused by the certificate check (verification not exercised)")
    if any(not isinstance(s, int) or s < 1 for s in r["seclevel"]):
        p.append("seclevel %s" % r["seclevel"])
    if r["left"] != 0 or r.get("module_sockets"):
        p.append("left open: %s rows, %s module sockets" % (r["left"], r.get("module_sockets")))
    if r["fault"] == "mcu_reset" and r["six"] != 6:
        p.append("six sockets: %s" % (r["six"],))
    return p


def _errtext(e, width=70):
    if e is None:
        return "-"
    code, msg = e
    name = errno.errorcode.get(code, str(code)) if code else ""
    msg = msg.split("] ", 1)[-1] if msg.startswith("[Errno") else msg
    if name and msg.startswith(name + ": "):  # MicroPython's "[Errno n] NAME: text"
        msg = msg[len(name) + 2:]
    msg = msg.replace("|", "/")
    if len(msg) > width:
        msg = msg[: width - 1] + "…"
    return (name + " " + msg).strip()


def table(results, title):
    rows = ["### " + title, "",
            "| fault | moment | user saw | old socket after | bytes | reconnect | tries | rogue refused | "
            "seclevel | left | verdict |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if r.get("setup_error"):
            rows.append("| %s | %s | setup: %s | | | | | | | | FAIL |" % (r["fault"], r["moment"], _errtext(r["setup_error"])))
            continue
        p = problems(r)
        rec = "-" if r["reconnect_ms"] is None else "%.2f s" % (r["reconnect_ms"] / 1000.0)
        rogue = ", ".join("ACCEPTED" if e is None else errno.errorcode.get(e[0], str(e[0])) for e in r["rogue"]) or "-"
        if r.get("rogue_refused_at_tls") is not None and r["rogue"]:
            rogue += " (%d/%d unknown CA)" % (r["rogue_refused_at_tls"], len(r["rogue"]))
        left = "%s/%s" % (r["left"], r.get("module_sockets", "?"))
        rows.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["fault"], r["moment"], _errtext(r["saw"]), _errtext(r["old"]),
            "%d ok" % r["before"] if r["intact"] else "CORRUPT", rec, r["tries"], rogue,
            ",".join(str(s) for s in r["seclevel"]) or "-", left, "ok" if not p else "; ".join(p)))
    return "\n".join(rows)


def grid(results):
    """Faults x moments: reconnect time, or what went wrong."""
    by = {(r["fault"], r["moment"]): r for r in results}
    moments = [m for m in MOMENTS if any(k[1] == m for k in by)]
    rows = ["| fault \\ moment | " + " | ".join(moments) + " |", "|---|" + "---|" * len(moments)]
    for f in FAULTS:
        if not any(k[0] == f for k in by):
            continue
        cells = []
        for mo in moments:
            r = by.get((f, mo))
            if r is None:
                cells.append("")
            elif r.get("setup_error") or r["reconnect_ms"] is None:
                cells.append("FAIL")
            else:
                cells.append("%.1fs%s" % (r["reconnect_ms"] / 1000.0, "" if not problems(r) else " ✗"))
        rows.append("| %s | %s |" % (f, " | ".join(cells)))
    return "\n".join(rows)


def select(faults=None, moments=None, representative=False):
    if representative:
        return [c for c in REPRESENTATIVE if (not faults or c[0] in faults) and (not moments or c[1] in moments)]
    return [(f, m) for f in (faults or FAULTS) for m in (moments or MOMENTS)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--micropython", action="store_true", help="run the cells on the MicroPython unix port")
    ap.add_argument("--faults", help="comma list (default: all): " + ",".join(FAULTS))
    ap.add_argument("--moments", help="comma list (default: all): " + ",".join(MOMENTS))
    ap.add_argument("--representative", action="store_true", help="the CI subset only")
    ap.add_argument("--baud", type=int, default=115200, help="line rate of the pty emulator (--micropython)")
    ap.add_argument("--json", help="also write the results to this file")
    a = ap.parse_args(argv)
    faults = a.faults.split(",") if a.faults else None
    moments = a.moments.split(",") if a.moments else None
    for name, given, known in (("fault", faults, FAULTS), ("moment", moments, MOMENTS)):
        for x in given or ():
            if x not in known:
                ap.error("unknown %s %r" % (name, x))
    cells = select(faults, moments, a.representative)
    from testnet import make_pki

    def progress(r):
        p = problems(r)
        print("  %-15s %-8s %s" % (r["fault"], r["moment"], "ok" if not p else "; ".join(p)), flush=True)

    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="qssl-fm-pki-") as d, Servers(make_pki(d)) as servers:
        if a.micropython:
            results = run_micropython(servers, cells, baud=a.baud, progress=progress)
            where = "MicroPython unix port, pty emulator at %d baud" % a.baud
        else:
            results = run_cpython(servers, cells, progress=progress)
            where = "CPython, in-process emulator"
    took = time.monotonic() - t0
    print()
    print(grid(results))
    print()
    print(table(results, "Fault matrix (%s): %d cells in %.0f s" % (where, len(results), took)))
    bad = [r for r in results if problems(r)]
    print()
    print("%d of %d cells keep every invariant" % (len(results) - len(bad), len(results)))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
