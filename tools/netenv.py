"""The world a device script talks to, on this machine: a test PKI, an HTTPS server,
a TLS echo server and a TCP echo server on 127.0.0.1, and quecsim on a pty routing
the names below to them. Used by tools/demo.py and tools/run_device_tests.py.

    with NetEnv(baud=115200) as env:
        env.config_path   # JSON the scripts read (QSSL_DEMO / QSSL_DEVICE_ENV)
        env.https.requests

Every wait is bounded; stop() ends every child and removes the temporary directory.
"""
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
HTTPS_HOST = "example.com"
ECHO_HOST = "echo.test"
TCP_HOST, TCP_PORT = "echo.example.com", 7


class Failed(Exception):
    pass


def log(*a):
    print("[env]", *a, flush=True)


def child_env(extra=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(ROOT, "lib"), os.path.join(ROOT, "tools")] +
        ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["PYTHONUNBUFFERED"] = "1"
    if extra:
        env.update(extra)
    return env


def read_line(proc, want, timeout):
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
                log("  |", line)
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    done.wait(timeout)
    if box:
        return box[0]
    raise Failed("no %r from %s within %ss" % (want, " ".join(proc.args[:4]), timeout))


def wait_path(path, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path):
            return
        time.sleep(0.05)
    raise Failed("%s did not appear within %ss" % (path, timeout))


def stop_child(proc, name):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # each child leads its own process group
    except OSError:
        proc.terminate()
    try:
        proc.wait(3)
    except subprocess.TimeoutExpired:
        log("killing", name)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
        proc.wait(3)


def start_bridge(link, env_extra, timeout=15):
    """The MicroPython unix port on a pty at link (tools/mpbridge.py)."""
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "tools", "mpbridge.py"), link, "--cwd", ROOT],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=child_env(env_extra), cwd=ROOT,
        start_new_session=True)
    try:
        read_line(proc, "READY", timeout)
    except Failed:
        stop_child(proc, "mpbridge")
        raise
    return proc


class NetEnv:
    def __init__(self, baud=115200, transcript=None, boot=True):
        self.baud = baud
        self.transcript = transcript
        self.boot = boot
        self.work = None
        self.https = self.echo = self.tcp = self.quecsim = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout=20):
        from testnet import HttpsServer, TcpEchoServer, TlsEchoServer, make_pki

        self.work = tempfile.mkdtemp(prefix="qssl-env-")
        self.modem_pty = os.path.join(self.work, "qmodem")
        try:
            pki = make_pki(os.path.join(self.work, "pki"))
            self.https = HttpsServer(pki.server_cert_path, pki.server_key_path, routes={"/": PAGE})
            https_port = self.https.start()
            self.echo = TlsEchoServer(pki.server_cert_path, pki.server_key_path)
            echo_port = self.echo.start()
            self.tcp = TcpEchoServer()
            tcp_port = self.tcp.start()
            routes = ["%s:443=127.0.0.1:%d" % (HTTPS_HOST, https_port),
                      "%s:443=127.0.0.1:%d" % (ECHO_HOST, echo_port),
                      "%s:%d=127.0.0.1:%d" % (TCP_HOST, TCP_PORT, tcp_port)]
            self.control = os.path.join(self.work, "control")
            cmd = [sys.executable, "-m", "quecsim", "--pty", self.modem_pty, "--control", self.control]
            for r in routes:
                cmd += ["--route", r]
            if self.boot:
                cmd.append("--boot")
            if self.baud:
                cmd += ["--baud", str(self.baud)]
            if self.transcript:
                cmd += ["--log", self.transcript]
            self.quecsim = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                            env=child_env(), cwd=ROOT, start_new_session=True)
            read_line(self.quecsim, "ready", timeout)
            wait_path(self.modem_pty, 5)
            log("quecsim on %s (%s baud): %s" % (self.modem_pty, self.baud or "unpaced",
                                                 ", ".join(routes)))
            ca = pki.ca_pem.decode() if isinstance(pki.ca_pem, bytes) else pki.ca_pem
            self.config = {
                "board": "unix", "pty": self.modem_pty, "modem_pty": self.modem_pty,
                "apn": "CMNET", "ca": ca, "ca_pem": ca,
                "host": HTTPS_HOST, "port": 443, "path": "/",
                "https_host": HTTPS_HOST, "https_port": 443,
                "echo_host": ECHO_HOST, "echo_port": 443,
                "tcp_host": TCP_HOST, "tcp_port": TCP_PORT,
                "control": self.control,  # quecsim's fault socket (tools/quecsim/control.py)
            }
            self.config_path = os.path.join(self.work, "env.json")
            with open(self.config_path, "w") as f:
                json.dump(self.config, f)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        stop_child(self.quecsim, "quecsim")
        for s in (self.https, self.echo, self.tcp):
            if s is not None:
                s.stop()
        self.https = self.echo = self.tcp = self.quecsim = None
        if self.work:
            shutil.rmtree(self.work, ignore_errors=True)
            self.work = None
