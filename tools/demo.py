#!/usr/bin/env python3
"""The main job, end to end: examples/https_get.py on the MicroPython unix port.

    .venv/bin/python tools/demo.py [--baud 115200] [--timeout 120] [--transcript FILE]

What runs:
  1. a test PKI in a temporary directory and an HTTPS server on 127.0.0.1 serving
     a recognisable page, with a certificate from the test CA;
  2. quecsim, the module emulator, on a pty, routing example.com:443 to that server
     (real TLS, server authentication with the CA the example uploads);
  3. lib/qssl compiled to .mpy with mpy-cross into a temporary directory, which is put
     on the unix port's sys.path (MICROPYPATH): the port loads the bytecode from disk
     as a board loads it from flash (tools/install_mpy.py installs the same on a board);
  4. the MicroPython unix port on a second pty (tools/mpbridge.py), working directory
     the repository, so examples/ and boards/ are read from there;
  5. `mpremote connect <pty> resume exec "import qssl; ..." run examples/https_get.py`,
     which finds its settings through QSSL_DEMO (set in the bridge's environment,
     which the micropython process inherits).

Prints how long each step took. `--from-source` runs the library from its .py sources
over `mpremote mount .` instead (slow: the port compiles them and mount reads files in
small pieces, about 5 s more).

`--example examples/tcp_and_ssl.py` (plain TCP to an echo server beside SSL) and
`--example examples/circuitpython_requests.py` (adafruit_requests; CPython with
pyserial on the same pty) run the other examples; `--example all` runs all three.

Prints each example's output. Exit code 0 only if each printed an HTTP 200 with the
expected page. Every step is bounded in time; every child is ended at the end.
"""
import argparse
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

from netenv import PAGE_MARK, Failed, NetEnv, child_env, start_bridge, stop_child  # noqa: E402
import install_mpy  # noqa: E402

# What each example must print to count as a success.
EXPECT = {
    "examples/https_get.py": ("status: HTTP/1.1 200 OK", PAGE_MARK),
    "examples/tcp_and_ssl.py": ("tcp echo: ok", "status: HTTP/1.1 200 OK", PAGE_MARK),
    "examples/circuitpython_requests.py": ("status: 200 OK", PAGE_MARK),
}
# Examples that run on CPython (pyserial on the pty) rather than through mpremote.
ON_CPYTHON = ("examples/circuitpython_requests.py",)


def _log(*a):
    print("[demo]", *a, flush=True)


class Timer:
    """Seconds per step, printed on one line at the end."""

    def __init__(self):
        self.t0 = self.last = time.monotonic()
        self.steps = []

    def lap(self, name):
        now = time.monotonic()
        self.steps.append((name, now - self.last))
        self.last = now

    def line(self):
        parts = ["%s %.2f s" % s for s in self.steps]
        return "timing: %s; total %.2f s" % (", ".join(parts), time.monotonic() - self.t0)


class Compiler(threading.Thread):
    """lib/qssl compiled to .mpy in <work>/qssl while the servers start."""

    def __init__(self, work, leave_out=()):
        super().__init__(daemon=True)
        self.work = work
        self.leave_out = leave_out
        self.error = None
        self.start()

    def run(self):
        try:
            install_mpy.compile_tree(self.work, (), leave_out=self.leave_out)
        except Exception as e:  # reported by result()
            self.error = e

    def result(self, timeout):
        self.join(timeout)
        if self.is_alive():
            raise Failed("mpy-cross did not finish in %ss" % timeout)
        if self.error is not None:
            raise Failed("compiling lib/qssl: %s" % self.error)
        return self.work


def stop_all(env, bridge):
    """Stop the unix port, the emulator and the servers side by side (each waits a
    little: a process for its exit, a server for its accept poll); NetEnv then finds
    them stopped."""
    ts = [threading.Thread(target=s.stop) for s in (env.https, env.echo, env.tcp) if s is not None]
    ts += [threading.Thread(target=stop_child, args=(p, name))
           for p, name in ((bridge, "mpbridge"), (env.quecsim, "quecsim"))]
    for t in ts:
        t.start()
    for t in ts:
        t.join(5)


# Run before the example: where the library was loaded from.
_WHERE = "import qssl; print('qssl loaded from', qssl.__file__)"


def run(baud=115200, timeout=120.0, transcript=None, examples=("examples/https_get.py",),
        quiet=False, from_source=False, timer=None, leave_out=()):
    """Run the demo; returns the examples' output. Raises Failed."""
    deadline = time.monotonic() + timeout
    timer = timer or Timer()

    def left(cap):
        rest = deadline - time.monotonic()
        if rest <= 0:
            raise Failed("overall timeout of %ss reached" % timeout)
        return min(cap, rest)

    outputs = []
    on_port = not all(ex in ON_CPYTHON for ex in examples)
    mpy_dir = tempfile.mkdtemp(prefix="qssl-demo-mpy-")
    compiler = Compiler(mpy_dir, leave_out) if on_port and not from_source else None
    try:
        return _run(baud, transcript, examples, quiet, compiler, timer, left, outputs)
    finally:
        timer.lap("stopping")
        shutil.rmtree(mpy_dir, ignore_errors=True)


def _run(baud, transcript, examples, quiet, compiler, timer, left, outputs):
    bridge = None
    from_source = compiler is None
    with NetEnv(baud=baud, transcript=transcript) as env:
        timer.lap("servers and emulator")
        try:
            cfg = {"QSSL_DEMO": env.config_path}
            mp_pty = os.path.join(env.work, "mp")
            if not all(ex in ON_CPYTHON for ex in examples):
                if not from_source:
                    # .frozen first: the unix port's asyncio and other frozen modules
                    cfg["MICROPYPATH"] = ".frozen" + os.pathsep + compiler.result(left(30))
                    timer.lap("waiting for mpy-cross")
                bridge = start_bridge(mp_pty, cfg, left(15))
                _log("MicroPython unix port on %s" % mp_pty)
                timer.lap("unix port")
            for example in examples:
                if example in ON_CPYTHON:
                    cmd = [sys.executable, example]
                    shown = "QSSL_DEMO=%s python %s" % (env.config_path, example)
                elif from_source:
                    cmd = [sys.executable, "-m", "mpremote", "connect", mp_pty, "resume", "mount",
                           ".", "run", example]
                    shown = " ".join(["mpremote"] + cmd[3:])
                else:
                    cmd = [sys.executable, "-m", "mpremote", "connect", mp_pty, "resume",
                           "exec", _WHERE, "run", example]
                    shown = " ".join(["mpremote"] + cmd[3:7] + ['"%s"' % _WHERE] + cmd[8:])
                _log("$", shown)
                try:
                    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         cwd=ROOT, env=child_env(cfg), timeout=left(100),
                                         start_new_session=True)
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
                if example not in ON_CPYTHON and not from_source and ".mpy" not in output:
                    raise Failed("qssl was not loaded from the compiled .mpy")
                timer.lap(os.path.basename(example))
            reqs = env.https.requests
            if not reqs or reqs[-1].get("path") != "/":
                raise Failed("the server saw %r" % (reqs[-1:],))
            return outputs
        finally:
            stop_all(env, bridge)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baud", type=int, default=115200,
                    help="pace the emulator's output at this line rate (0: unpaced)")
    ap.add_argument("--timeout", type=float, default=120.0, help="overall time limit, seconds")
    ap.add_argument("--transcript", default=None, help="write quecsim's AT transcript here")
    ap.add_argument("--example", action="append", default=None,
                    help="an example to run (path relative to the repository; may be repeated; "
                         "'all' for every one). Default: examples/https_get.py")
    ap.add_argument("--from-source", action="store_true",
                    help="run lib/qssl from its .py sources over mpremote mount (slow)")
    ap.add_argument("--leave-out", default="", metavar="MOD,MOD",
                    help="compile lib/qssl without these optional modules (tools/install_mpy.py)")
    a = ap.parse_args(argv)
    timer = Timer()
    examples = a.example or ["examples/https_get.py"]
    if "all" in examples:
        examples = list(EXPECT)
    try:
        leave_out = install_mpy.leave_out_list(a.leave_out)
        run(a.baud, a.timeout, a.transcript, examples, from_source=a.from_source, timer=timer,
            leave_out=leave_out)
    except (Failed, install_mpy.InstallError) as e:
        _log("FAILED:", e)
        return 1
    _log(timer.line())
    _log("OK: HTTP 200 with the expected page (%s) in %.1f s"
         % (", ".join(os.path.basename(e) for e in examples), time.monotonic() - timer.t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
