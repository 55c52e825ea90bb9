# The emulator world the test_api_* and test_net_* scripts talk to: tools/netenv.py
# starts servers and quecsim on a pty and passes their JSON config as $QSSL_DEVICE_ENV
# (tools/run_device_tests.py does that). By hand, write the config to
# /tmp/qssl_device_env.json; see test_api_https.py for how.
import json
import os

import tinytest

_w = {}


def world():
    """The started, attached modem with context 0 trusting the test CA (made once)."""
    if "modem" in _w:
        return _w
    path = os.getenv("QSSL_DEVICE_ENV") if hasattr(os, "getenv") else None
    try:
        f = open(path or "/tmp/qssl_device_env.json")
    except OSError:
        raise tinytest.Skip("no $QSSL_DEVICE_ENV nor /tmp/qssl_device_env.json")
    with f:
        cfg = json.load(f)
    import qssl
    from boards.unix import PtyUart

    m = qssl.Modem(PtyUart(cfg["modem_pty"]))
    m.start()
    m.attach(apn=cfg.get("apn", "CMNET"))
    ctx = m.ssl_context(0)
    ctx.load_verify_locations(cadata=cfg["ca_pem"])
    _w.update(modem=m, ctx=ctx, cfg=cfg)
    return _w


def control(line):
    """Send one fault/setting line to the emulator's control socket ("ok" when taken)."""
    from boards.unix import ControlPower

    ControlPower(world()["cfg"]["control"]).send(line)
    return "ok"


def connect(server, timeout=30):
    """An SSL socket to the "echo" or "https" server of the config."""
    w = world()
    s = w["ctx"].socket()
    s.settimeout(timeout)
    s.connect((w["cfg"][server + "_host"], w["cfg"][server + "_port"]))
    return s
