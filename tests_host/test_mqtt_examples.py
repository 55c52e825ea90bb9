"""examples/mqtt_tls.py on the MicroPython unix port (through mpremote, on both TLS
paths) and examples/mqtt_tls_circuitpython.py on CPython (pyserial), against Mosquitto
through the emulator on a pty: each must get its two messages back from the broker."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import mpbridge  # noqa: E402
import netenv  # noqa: E402

BAUD = 460800


@pytest.fixture(scope="module")
def world():
    from testnet.tlsworld import TlsWorld
    from testnet.umqtt import umqtt_dir

    w = TlsWorld(baud=BAUD, umqtt_dir=umqtt_dir())
    w.umqtt_reason = umqtt_dir.reason
    w.start()
    try:
        if w.broker is None:
            pytest.skip(w.config["mqtt_skip"])
        yield w
    finally:
        w.stop()


def settings(world, name, **kw):
    """The world's config with the example's keys, written to a file of its own."""
    cfg = dict(world.config)
    cfg.update(client_cert=cfg["client_cert_pem"], client_key=cfg["client_key_pem"], **kw)
    if cfg.get("umqtt_dir"):
        cfg["sys_path"] = [cfg["umqtt_dir"]]
    path = os.path.join(world.work, name + ".json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    return path


def run(cmd, config_path, timeout=90):
    r = subprocess.run(cmd, cwd=ROOT, env=netenv.child_env({"QSSL_DEMO": config_path}),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                       start_new_session=True)
    out = r.stdout.decode(errors="replace")
    print(out)
    return r.returncode, out


def run_on_micropython(world, config_path, example):
    link = os.path.join(world.work, "mp-" + os.path.basename(config_path))
    bridge = netenv.start_bridge(link, {"QSSL_DEMO": config_path})
    try:
        return run([sys.executable, "-m", "mpremote", "connect", link, "resume", "mount", ".",
                    "run", example], config_path)
    finally:
        netenv.stop_child(bridge, "mpbridge")


@pytest.mark.skipif(mpbridge.find_micropython() is None, reason="no MicroPython unix port")
@pytest.mark.parametrize("path,port_key", [("mbedtls", "mqtt_modern_port"), ("module", "mqtt_port")])
def test_mqtt_tls_example_on_micropython(world, path, port_key):
    if not world.config.get("umqtt_dir"):
        pytest.skip(world.umqtt_reason)
    cfg = settings(world, "mp-" + path, mqtt_tls=path, mqtt_port=world.config[port_key],
                   mqtt_topic="qssl/example/" + path)
    rc, out = run_on_micropython(world, cfg, "examples/mqtt_tls.py")
    assert rc == 0, out
    assert "over %s TLS" % path in out, out
    if path == "mbedtls":
        assert "ECDHE" in out and "GCM" in out, out
    assert "received on qssl/example/%s: hello, QoS 0" % path in out, out
    assert "received on qssl/example/%s: hello, QoS 1" % path in out, out
    assert "mqtt: ok" in out, out


def test_mqtt_tls_circuitpython_example_on_cpython(world):
    pytest.importorskip("adafruit_minimqtt")
    pytest.importorskip("serial")
    cfg = settings(world, "cp", mqtt_topic="qssl/example/cp")
    rc, out = run([sys.executable, "examples/mqtt_tls_circuitpython.py"], cfg)
    assert rc == 0, out
    assert "received on qssl/example/cp: hello, QoS 1" in out, out
    assert "mqtt: ok" in out, out
    assert "as qssl-example-cp " in world.broker.log_tail(100)
