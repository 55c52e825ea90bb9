"""The world the modern-TLS and MQTT device scripts, examples and bench talk to: test
servers and a Mosquitto broker on 127.0.0.1, quecsim on a pty routing names to them,
and a control port through which a script on the device can stop and start the broker.

    with TlsWorld(baud=115200) as w:
        w.config_path     # JSON for the scripts: $QSSL_DEVICE_ENV (tests_device) or
                          # $QSSL_DEMO (examples); a superset of tools/netenv.py's config
        w.broker          # testnet.mosquitto.Broker, or None (w.config["mqtt_skip"] says why)

Names (all served with the test CA's certificate for localhost/example.com/127.0.0.1):
  example.com:8443  TLS echo, ECDHE with AES-GCM only, TLS 1.2 (modern_*)
  modern.test:8443  the same server under a name its certificate does not carry
  example.com:8444  TLS echo, TLS 1.3 only (tls13_*)
  example.com:8445  TLS echo with a certificate of an unrelated CA (other_*)
  example.com:8446  TLS echo (ECDHE, AES-GCM) that closes after 5 bytes (close_*)
  example.com:8883  Mosquitto, client certificate required, the module's suites (mqtt_*)
  example.com:8884  Mosquitto, ECDHE with AES-GCM only (mqtt_modern_port)
  example.com:443   the HTTPS server of tools/netenv.py (https_*), echo.test:443 a TLS echo
Control port (127.0.0.1:control_port): one line "stop", "start" or "restart" for the
broker, answered "ok" or "error <why>".
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

from .certs import make_pki
from .mosquitto import Broker, find_mosquitto
from .servers import HttpsServer, TlsEchoServer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODERN_SUITES = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
                "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"
HOST = "example.com"
CLOSE_AFTER = 5


def _netenv():
    tools = os.path.join(ROOT, "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    import netenv

    return netenv


class BrokerControl:
    """A loopback line server: "stop", "start", "restart" -> the broker."""

    def __init__(self, broker):
        self.broker = broker
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(4)
        self.ls.settimeout(0.2)
        self.port = self.ls.getsockname()[1]
        self.done = threading.Event()
        self.log = []
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.done.is_set():
            try:
                c, _ = self.ls.accept()
            except OSError:
                continue
            with c:
                c.settimeout(5)
                try:
                    line = c.recv(64).decode(errors="replace").strip()
                    c.sendall((self._do(line) + "\n").encode())
                except OSError:
                    pass

    def _do(self, line):
        self.log.append(line)
        b = self.broker
        try:
            if line == "stop":
                b.stop()
            elif line == "start":
                b.start()
            elif line == "restart":
                b.restart()
            else:
                return "error unknown command %r" % line
        except Exception as e:  # reported to the device script
            return "error %r" % (e,)
        return "ok"

    def close(self):
        self.done.set()
        self.t.join(2)
        self.ls.close()


class TlsWorld:
    def __init__(self, baud=115200, broker=True, install=True, transcript=None, umqtt_dir=None):
        self.baud = baud
        self.want_broker = broker
        self.install = install
        self.transcript = transcript
        self.umqtt_dir = umqtt_dir
        self.work = None
        self.servers = {}
        self.broker = self.control = self.quecsim = None
        self.config = {}

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _server(self, name, srv):
        self.servers[name] = srv
        return srv.start()

    def start(self, timeout=20):
        ne = _netenv()
        self.work = tempfile.mkdtemp(prefix="qssl-tlsworld-")
        try:
            pki = self.pki = make_pki(os.path.join(self.work, "pki"))
            cert, key = pki.server_cert_path, pki.server_key_path
            p = {
                "modern": self._server("modern", TlsEchoServer(cert, key, ciphers=MODERN_SUITES,
                                                               max_version="TLSv1.2")),
                "tls13": self._server("tls13", TlsEchoServer(cert, key, min_version="TLSv1.3")),
                "other": self._server("other", TlsEchoServer(pki.other_server_cert_path,
                                                             pki.other_server_key_path,
                                                             ciphers=MODERN_SUITES)),
                "close": self._server("close", TlsEchoServer(cert, key, ciphers=MODERN_SUITES,
                                                             close_after=CLOSE_AFTER)),
                "https": self._server("https", HttpsServer(cert, key)),
                "echo": self._server("echo", TlsEchoServer(cert, key)),
            }
            routes = ["%s:8443=127.0.0.1:%d" % (HOST, p["modern"]),
                      "modern.test:8443=127.0.0.1:%d" % p["modern"],
                      "%s:8444=127.0.0.1:%d" % (HOST, p["tls13"]),
                      "%s:8445=127.0.0.1:%d" % (HOST, p["other"]),
                      "%s:8446=127.0.0.1:%d" % (HOST, p["close"]),
                      "%s:443=127.0.0.1:%d" % (HOST, p["https"]),
                      "echo.test:443=127.0.0.1:%d" % p["echo"]]
            mqtt_skip = None
            if self.want_broker:
                exe = find_mosquitto(install=self.install)
                if exe is None:
                    mqtt_skip = find_mosquitto.reason
                else:
                    self.broker = Broker(pki, os.path.join(self.work, "mosquitto"), exe).start()
                    self.control = BrokerControl(self.broker)
                    routes += ["%s:8883=127.0.0.1:%d" % (HOST, self.broker.module_port),
                               "%s:8884=127.0.0.1:%d" % (HOST, self.broker.modern_port)]
            else:
                mqtt_skip = "no broker in this world"
            self.modem_pty = os.path.join(self.work, "qmodem")
            cmd = [sys.executable, "-m", "quecsim", "--pty", self.modem_pty, "--boot"]
            for r in routes:
                cmd += ["--route", r]
            if self.baud:
                cmd += ["--baud", str(self.baud)]
            if self.transcript:
                cmd += ["--log", self.transcript]
            self.quecsim = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                            env=ne.child_env(), cwd=ROOT, start_new_session=True)
            ne.read_line(self.quecsim, "ready", timeout)
            ne.wait_path(self.modem_pty, 5)
            self.routes = routes
            self.config = self._make_config(pki, mqtt_skip)
            self.config_path = os.path.join(self.work, "env.json")
            with open(self.config_path, "w") as f:
                json.dump(self.config, f)
        except BaseException:
            self.stop()
            raise
        return self

    def _make_config(self, pki, mqtt_skip):
        ca = pki.ca_pem.decode()
        cfg = {
            "board": "unix", "pty": self.modem_pty, "modem_pty": self.modem_pty, "apn": "CMNET",
            "ca": ca, "ca_pem": ca, "other_ca_pem": pki.other_ca_pem.decode(),
            "client_cert_pem": pki.client_cert_pem.decode(),
            "client_key_pem": pki.client_key_pem.decode(),
            "host": HOST, "port": 443, "path": "/", "https_host": HOST, "https_port": 443,
            "echo_host": "echo.test", "echo_port": 443,
            "modern_host": HOST, "modern_port": 8443, "wrong_name_host": "modern.test",
            "tls13_port": 8444, "other_port": 8445, "close_port": 8446,
            "close_after": CLOSE_AFTER,
            "mqtt_host": HOST, "mqtt_port": 8883, "mqtt_modern_port": 8884,
            "mqtt_skip": mqtt_skip,
            "control_port": self.control.port if self.control else None,
        }
        if self.umqtt_dir:
            cfg["umqtt_dir"] = self.umqtt_dir
        return cfg

    def stop(self):
        ne = _netenv()
        ne.stop_child(self.quecsim, "quecsim")
        self.quecsim = None
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
        for s in self.servers.values():
            s.stop()
        self.servers = {}
        if self.work:
            shutil.rmtree(self.work, ignore_errors=True)
            self.work = None


def main(argv=None):
    """python -m testnet.tlsworld [--baud N]: start the world, print its config path,
    serve until SIGTERM/SIGINT."""
    import argparse
    import signal

    ap = argparse.ArgumentParser(prog="python -m testnet.tlsworld", description=main.__doc__)
    ap.add_argument("--baud", type=int, default=115200, help="the emulator's pace (0: unpaced)")
    ap.add_argument("--no-broker", action="store_true", help="no Mosquitto")
    a = ap.parse_args(argv)
    from .umqtt import umqtt_dir

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *x: done.set())
    signal.signal(signal.SIGINT, lambda *x: done.set())
    with TlsWorld(baud=a.baud, broker=not a.no_broker, umqtt_dir=umqtt_dir()) as w:
        print(json.dumps({"config": w.config_path, "modem_pty": w.modem_pty,
                          "mqtt_skip": w.config["mqtt_skip"]}), flush=True)
        while not done.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
