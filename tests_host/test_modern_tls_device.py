"""The modern-TLS and MQTT device scripts on the MicroPython unix port, in the world of
tools/testnet/tlsworld.py (servers, Mosquitto, quecsim on a pty): tools/run_device_tests.py
runs them with $QSSL_DEVICE_ENV pointing at the world's config.

  tests_device/test_modern_tls.py   mbedTLS over the module's TCP: ECDHE/AES-GCM, names,
                                    CAs, TLS 1.3, 100 KB each way, peer close, poll, asyncio
  tests_device/test_mqtt_umqtt.py   umqtt.simple on both TLS paths against Mosquitto

The broker is installed with apt-get if missing (root); the MQTT test skips with the
reason when it cannot be, or when umqtt.simple cannot be fetched from PyPI.
"""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import mpbridge  # noqa: E402

BAUD = 460800  # the emulator's pace: fast enough for 100 KB each way in a test run

needs_micropython = pytest.mark.skipif(mpbridge.find_micropython() is None,
                                       reason="the MicroPython unix port is not installed")


@pytest.fixture(scope="module")
def tls_world():
    from testnet.tlsworld import TlsWorld
    from testnet.umqtt import umqtt_dir

    path = umqtt_dir()
    w = TlsWorld(baud=BAUD, umqtt_dir=path)
    w.umqtt_reason = umqtt_dir.reason
    w.start()
    try:
        yield w
    finally:
        w.stop()


def run_script(world, script, timeout=150):
    env = dict(os.environ, QSSL_DEVICE_ENV=world.config_path)
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "run_device_tests.py"), "-v",
                        "--timeout", str(timeout), os.path.join(ROOT, script)],
                       cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout + 30)
    out = r.stdout.decode(errors="replace")
    print(out)
    m = re.search(r"(\d+) passed, (\d+) failed", out.split("device tests on")[0])
    assert m, out
    return r.returncode, int(m.group(1)), int(m.group(2)), out


@needs_micropython
def test_modern_tls_on_micropython(tls_world):
    rc, passed, failed, out = run_script(tls_world, "tests_device/test_modern_tls.py")
    assert rc == 0 and failed == 0, out
    assert "SKIP" not in out, out
    assert passed == 11, out
    assert "negotiated: TLS-ECDHE-RSA-WITH-AES-" in out and "GCM" in out, out
    # the server saw the suites the device claims
    modern = tls_world.servers["modern"]
    ok = [s for s in modern.sessions if not s.get("error")]
    assert ok and all(s["cipher"].startswith("ECDHE-") and "GCM" in s["cipher"] for s in ok)
    # and refused the module's stack (one refused handshake a suite it could offer)
    refused = [s for s in modern.sessions if s.get("error")]
    assert len(refused) >= 3, modern.sessions


@needs_micropython
def test_mqtt_umqtt_on_micropython(tls_world):
    if tls_world.broker is None:
        pytest.skip(tls_world.config["mqtt_skip"])
    if not tls_world.config.get("umqtt_dir"):
        pytest.skip(tls_world.umqtt_reason)
    rc, passed, failed, out = run_script(tls_world, "tests_device/test_mqtt_umqtt.py")
    assert rc == 0 and failed == 0, out
    assert "SKIP" not in out, out
    assert passed == 8, out
    log = tls_world.broker.log_tail(400)
    # the clients really came in on their listeners: the module's with a certificate,
    # the ECDHE-only one for mbedTLS
    assert "on port %d" % tls_world.broker.module_port in log, log
    assert "on port %d" % tls_world.broker.modern_port in log, log
    assert re.search(r"New client connected .* as qssl-module ", log), log
    assert re.search(r"New client connected .* as qssl-mbedtls ", log), log
    # the broker was stopped and started by the device script, twice
    assert tls_world.control.log.count("stop") == 2 and tls_world.control.log.count("start") == 2
