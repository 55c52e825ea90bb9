"""A Mosquitto broker on loopback for the MQTT tests, with a generated configuration.

    broker = Broker(pki, directory)        # pki: testnet.make_pki(...)
    broker.start()                         # two TLS listeners on free 127.0.0.1 ports
    broker.module_port                     # client certificate required; the module's suites
    broker.modern_port                     # ECDHE with AES-GCM only, TLS 1.2 (the mbedTLS path)
    broker.restart(down_s=1.0)             # stop, wait, start again on the same ports
    broker.stop()

Neither listener offers anything the other path could use: the module listener only
the three RSA-key-exchange AES suites the module has (so the emulator, which offers
more than a real module, still negotiates a module suite), the modern one only ECDHE
with AES-GCM (which no module suite is).

`find_mosquitto(install=True)` returns the binary, installing the Debian package
`mosquitto` with apt-get when it is missing and we are root; else None and the reason
in `find_mosquitto.reason`. Every wait is bounded; `stop()` ends the broker.
"""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time

MODULE_SUITES = "AES256-SHA256:AES256-SHA:AES128-SHA"
MODERN_SUITES = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
                "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"
_CANDIDATES = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")
_APT_TIMEOUT_S = 300


def _which():
    found = shutil.which("mosquitto")
    if found:
        return found
    for c in _CANDIDATES:
        if os.access(c, os.X_OK):
            return c
    return None


def find_mosquitto(install=True):
    """The mosquitto binary, installed with apt-get if missing (root only), or None."""
    exe = _which()
    if exe or not install:
        find_mosquitto.reason = None if exe else "mosquitto is not installed"
        return exe
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        find_mosquitto.reason = "mosquitto is not installed and apt-get cannot be run here (not root)"
        return None
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "mosquitto"]):
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                               timeout=_APT_TIMEOUT_S)
            if r.returncode != 0 and cmd[1] == "install":
                tail = r.stdout.decode(errors="replace").strip().splitlines()[-3:]
                find_mosquitto.reason = "apt-get install mosquitto failed: %s" % " / ".join(tail)
                return None
    except (OSError, subprocess.TimeoutExpired) as e:
        find_mosquitto.reason = "apt-get install mosquitto failed: %r" % (e,)
        return None
    exe = _which()
    find_mosquitto.reason = None if exe else "apt-get installed mosquitto but no binary was found"
    return exe


find_mosquitto.reason = None


def free_port():
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def _listener(port, pki, ciphers, require_cert):
    return [
        "listener %d 127.0.0.1" % port,
        "allow_anonymous true",
        "cafile %s" % pki.ca_path,
        "certfile %s" % pki.server_cert_path,
        "keyfile %s" % pki.server_key_path,
        "tls_version tlsv1.2",
        "ciphers %s" % ciphers,
        "require_certificate %s" % ("true" if require_cert else "false"),
    ]


class Broker:
    def __init__(self, pki, directory, exe=None):
        self.pki = pki
        self.directory = directory
        self.exe = exe or _which()
        self.module_port = None
        self.modern_port = None
        self.proc = None
        self.conf_path = os.path.join(directory, "mosquitto.conf")
        self.log_path = os.path.join(directory, "mosquitto.log")

    def config_text(self):
        lines = [
            "per_listener_settings true",
            "persistence false",
            "log_dest file %s" % self.log_path,
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            # As root mosquitto would switch to the "mosquitto" user, who cannot read
            # the keys in our private directory: stay who we are.
            "user %s" % pwd.getpwuid(os.geteuid()).pw_name,
            "",
        ]
        lines += _listener(self.module_port, self.pki, MODULE_SUITES, True)
        lines.append("")
        lines += _listener(self.modern_port, self.pki, MODERN_SUITES, False)
        return "\n".join(lines) + "\n"

    def start(self, timeout=10.0):
        if self.exe is None:
            raise RuntimeError("mosquitto is not installed")
        if self.module_port is None:
            self.module_port = free_port()
            self.modern_port = free_port()
            while self.modern_port == self.module_port:
                self.modern_port = free_port()
        os.makedirs(self.directory, exist_ok=True)
        with open(self.conf_path, "w") as f:
            f.write(self.config_text())
        self.proc = subprocess.Popen([self.exe, "-c", self.conf_path], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, start_new_session=True)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")
                raise RuntimeError("mosquitto exited (%s): %s %s" % (self.proc.returncode, err,
                                                                     self.log_tail()))
            if _accepts(self.module_port) and _accepts(self.modern_port):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("mosquitto did not listen within %ss: %s" % (timeout, self.log_tail()))

    def stop(self, timeout=5.0):
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout)
        p.stderr.close()

    def restart(self, down_s=0.5):
        """Stop the broker, stay down down_s seconds, start it on the same ports."""
        self.stop()
        time.sleep(down_s)
        self.start()

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=20):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _accepts(port):
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()
