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
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(ROOT, "lib"), os.path.join(ROOT, "tools")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from netenv import PAGE_MARK, Failed, NetEnv, child_env, start_bridge, stop_child  # noqa: E402

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


def run(baud=115200, timeout=120.0, transcript=None, examples=("examples/https_get.py",),
        quiet=False):
    """Run the demo; returns the examples' output. Raises Failed."""
    deadline = time.monotonic() + timeout

    def left(cap):
        rest = deadline - time.monotonic()
        if rest <= 0:
            raise Failed("overall timeout of %ss reached" % timeout)
        return min(cap, rest)

    outputs = []
    bridge = None
    with NetEnv(baud=baud, transcript=transcript) as env:
        try:
            cfg = {"QSSL_DEMO": env.config_path}
            mp_pty = os.path.join(env.work, "mp")
            if not all(ex in ON_CPYTHON for ex in examples):
                bridge = start_bridge(mp_pty, cfg, left(15))
                _log("MicroPython unix port on %s" % mp_pty)
            for example in examples:
                if example in ON_CPYTHON:
                    cmd = [sys.executable, example]
                    shown = "QSSL_DEMO=%s python %s" % (env.config_path, example)
                else:
                    cmd = [sys.executable, "-m", "mpremote", "connect", mp_pty, "resume", "mount",
                           ".", "run", example]
                    shown = " ".join(["mpremote"] + cmd[3:])
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
            reqs = env.https.requests
            if not reqs or reqs[-1].get("path") != "/":
                raise Failed("the server saw %r" % (reqs[-1:],))
            return outputs
        finally:
            stop_child(bridge, "mpbridge")


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
