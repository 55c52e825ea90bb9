#!/usr/bin/env python3
"""The main job, end to end: examples/https_get.py on the MicroPython unix port.

    .venv/bin/python tools/demo.py [--baud 115200] [--timeout 120] [--transcript FILE]

What runs:
  1. a test PKI in a temporary directory and an HTTPS server on 127.0.0.1 serving
     a recognisable page, with a certificate from the test CA;
  2. quecsim, the module emulator, on a pty, routing example.com:443 to that server
     (real TLS, server authentication with the CA the example uploads);
  3. the MicroPython unix port on a second pty (tools/mpbridge.py);
  4. `mpremote connect <pty> resume mount . run examples/https_get.py`, which finds
     its settings through QSSL_DEMO (set in the bridge's environment, which the
     micropython process inherits).

`--example examples/tcp_and_ssl.py` (plain TCP to an echo server beside SSL) and
`--example examples/circuitpython_requests.py` (adafruit_requests; CPython with
pyserial on the same pty) run the other examples; `--example all` runs all three.

Prints each example's output. Exit code 0 only if each printed an HTTP 200 with the
expected page. Every step is bounded in time; every child is ended at the end.
"""
import argparse
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

PAGE_MARK = "qssl demo page"
PAGE = ("<html><body><h1>Hello from the %s</h1>"
        "<p>fetched by MicroPython through a Quectel module emulator, over real TLS</p>"
        "</body></html>\n" % PAGE_MARK).encode()
HOST = "example.com"
TCP_HOST, TCP_PORT = "echo.example.com", 7

# What each example must print to count as a success.
EXPECT = {
    "examples/https_get.py": ("status: HTTP/1.1 200 OK", PAGE_MARK),
    "examples/tcp_and_ssl.py": ("tcp echo: ok", "status: HTTP/1.1 200 OK", PAGE_MARK),
    "examples/circuitpython_requests.py": ("status: 200 OK", PAGE_MARK),
}
# Examples that run on CPython (pyserial on the pty) rather than through mpremote.
ON_CPYTHON = ("examples/circuitpython_requests.py",)


class Failed(Exception):
    pass


def _log(*a):
    print("[demo]", *a, flush=True)


def _read_line(proc, want, timeout):
    """The first stdout line of proc containing want, within timeout seconds. The
    pipe keeps being drained afterwards so the child never blocks on it."""
    box = []
    done = threading.Event()

    def reader():
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode(errors="replace").rstrip()
            if done.is_set():
                continue
            if want in line:
                box.append(line)
                done.set()
            else:
                _log("  |", line)
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    done.wait(timeout)
    if box:
        return box[0]
    raise Failed("no %r from %s within %ss" % (want, " ".join(proc.args[:4]), timeout))


def _wait_path(path, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path):
            return
        time.sleep(0.05)
    raise Failed("%s did not appear within %ss" % (path, timeout))


class _InProcessPty:
    """quecsim's in-process Emulator behind a pty whose slave is linked at `link`
    (used only when quecsim has no `--pty` command line)."""

    def __init__(self, emu, link):
        import pty
        import tty

        self.emu = emu
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(os.ttyname(self.slave), link)
        self.link = link
        self._stop = threading.Event()
        emu.set_sink(self._to_host)
        self._t = threading.Thread(target=self._from_host, daemon=True)
        self._t.start()

    def _to_host(self, data):
        mv = memoryview(bytes(data))
        while mv:
            mv = mv[os.write(self.master, mv):]

    def _from_host(self):
        import select

        port = self.emu.port()
        while not self._stop.is_set():
            r, _, _ = select.select([self.master], [], [], 0.1)
            if r:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    break
                if data:
                    port.write(data)

    def close(self):
        self._stop.set()
        self._t.join(1)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.unlink(self.link)
        except OSError:
            pass


def _quecsim_has_cli():
    import importlib.util

    spec = importlib.util.find_spec("quecsim")
    return spec is not None and spec.submodule_search_locations and any(
        os.path.exists(os.path.join(d, "__main__.py")) for d in spec.submodule_search_locations)


def _child_env(extra=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(ROOT, "lib"), os.path.join(ROOT, "tools")] +
        ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["PYTHONUNBUFFERED"] = "1"
    if extra:
        env.update(extra)
    return env


def _stop(proc, name):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # each child leads its own process group
    except OSError:
        proc.terminate()
    try:
        proc.wait(3)
    except subprocess.TimeoutExpired:
        _log("killing", name)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
        proc.wait(3)


def run(baud=115200, timeout=120.0, transcript=None, examples=("examples/https_get.py",),
        quiet=False):
    """Run the demo; returns the examples' output. Raises Failed."""
    from testnet import HttpsServer, TcpEchoServer, make_pki

    deadline = time.monotonic() + timeout

    def left(cap):
        rest = deadline - time.monotonic()
        if rest <= 0:
            raise Failed("overall timeout of %ss reached" % timeout)
        return min(cap, rest)

    work = tempfile.mkdtemp(prefix="qssl-demo-")
    modem_pty = os.path.join(work, "qmodem")
    mp_pty = os.path.join(work, "mp")
    server = echo = emu = inproc = quecsim = bridge = None
    outputs = []
    try:
        pki = make_pki(os.path.join(work, "pki"))
        server = HttpsServer(pki.server_cert_path, pki.server_key_path, routes={"/": PAGE})
        port = server.start()
        _log("HTTPS server on 127.0.0.1:%d (certificate from the test CA)" % port)
        echo = TcpEchoServer()
        echo_port = echo.start()

        route = "%s:443=127.0.0.1:%d" % (HOST, port)
        route2 = "%s:%d=127.0.0.1:%d" % (TCP_HOST, TCP_PORT, echo_port)
        if _quecsim_has_cli():
            cmd = [sys.executable, "-m", "quecsim", "--pty", modem_pty, "--route", route,
                   "--route", route2, "--boot"]
            if baud:
                cmd += ["--baud", str(baud)]
            if transcript:
                cmd += ["--log", transcript]
            quecsim = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       env=_child_env(), cwd=ROOT, start_new_session=True)
            _read_line(quecsim, "ready", left(15))
            _wait_path(modem_pty, left(5))
        else:
            from quecsim import Emulator

            emu = Emulator(routes={(HOST, 443): ("127.0.0.1", port),
                                   (TCP_HOST, TCP_PORT): ("127.0.0.1", echo_port)},
                           baud=baud or None, log=transcript)
            emu.start()
            inproc = _InProcessPty(emu, modem_pty)
            emu.boot()
        _log("quecsim on %s, %s at %s baud" % (modem_pty, route, baud or "unpaced"))

        cfg_path = os.path.join(work, "qssl_demo.json")
        with open(cfg_path, "w") as f:
            json.dump({"board": "unix", "pty": modem_pty, "apn": "CMNET", "host": HOST,
                       "port": 443, "path": "/", "tcp_host": TCP_HOST, "tcp_port": TCP_PORT,
                       "ca": pki.ca_pem.decode()
                       if isinstance(pki.ca_pem, bytes) else pki.ca_pem}, f)

        if all(ex in ON_CPYTHON for ex in examples):
            bridge_needed = False
        else:
            bridge_needed = True

        if bridge_needed:
            bridge = subprocess.Popen(
                [sys.executable, os.path.join(ROOT, "tools", "mpbridge.py"), mp_pty, "--cwd", ROOT],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                env=_child_env({"QSSL_DEMO": cfg_path}), cwd=ROOT, start_new_session=True)
            _read_line(bridge, "READY", left(15))
            _log("MicroPython unix port on %s" % mp_pty)

        for example in examples:
            if example in ON_CPYTHON:
                cmd = [sys.executable, example]
                shown = "QSSL_DEMO=%s python %s" % (cfg_path, example)
            else:
                cmd = [sys.executable, "-m", "mpremote", "connect", mp_pty, "resume", "mount", ".",
                       "run", example]
                shown = " ".join(["mpremote"] + cmd[3:])
            _log("$", shown)
            try:
                res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     cwd=ROOT, env=_child_env({"QSSL_DEMO": cfg_path}),
                                     timeout=left(100), start_new_session=True)
                output = res.stdout.decode(errors="replace")
                rc = res.returncode
            except subprocess.TimeoutExpired as e:
                output = (e.stdout or b"").decode(errors="replace")
                rc = None
            outputs.append(output)
            if not quiet:
                sys.stdout.write(output)
                sys.stdout.flush()
            if rc is None:
                raise Failed("%s did not finish in time" % example)
            if rc != 0:
                raise Failed("%s exited with %d" % (example, rc))
            for want in EXPECT.get(example, ("200",)):
                if want not in output:
                    raise Failed("%s did not print %r" % (example, want))
        if not server.requests or server.requests[-1].get("path") != "/":
            raise Failed("the server saw %r" % (server.requests[-1:],))
        return outputs
    finally:
        _stop(bridge, "mpbridge")
        _stop(quecsim, "quecsim")
        if inproc is not None:
            inproc.close()
        if emu is not None:
            emu.stop()
        if server is not None:
            server.stop()
        if echo is not None:
            echo.stop()
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baud", type=int, default=115200,
                    help="pace the emulator's output at this line rate (0: unpaced)")
    ap.add_argument("--timeout", type=float, default=120.0, help="overall time limit, seconds")
    ap.add_argument("--transcript", default=None, help="write quecsim's AT transcript here")
    ap.add_argument("--example", action="append", default=None,
                    help="an example to run (path relative to the repository; may be repeated; "
                         "'all' for every one). Default: examples/https_get.py")
    a = ap.parse_args(argv)
    t0 = time.monotonic()
    examples = a.example or ["examples/https_get.py"]
    if "all" in examples:
        examples = list(EXPECT)
    try:
        run(a.baud, a.timeout, a.transcript, examples)
    except Failed as e:
        _log("FAILED:", e)
        return 1
    _log("OK: HTTP 200 with the expected page (%s) in %.1f s"
         % (", ".join(os.path.basename(e) for e in examples), time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
