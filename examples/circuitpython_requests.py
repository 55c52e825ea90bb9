# adafruit_requests over the module's TLS: qssl.SocketPool is the socket pool and a
# qssl SSLContext (with the CA uploaded) is the ssl_context.
#
# On CircuitPython (Feather RP2040 with boards/feather_rp2040.py; adafruit_requests
# and adafruit_connection_manager in /lib): settings from qssl_config.json, as in
# https_get.py, and run it as code.py or with `import circuitpython_requests`.
# On a PC (CPython, pyserial) against the emulator's pty:
#   QSSL_DEMO=/tmp/qssl_demo.json python examples/circuitpython_requests.py
import sys
import json

if "lib" not in sys.path:
    sys.path.append("lib")

import adafruit_requests
import qssl

_BOARDS = {"linux": "unix", "rp2": "pico", "esp32": "esp32_devkitc", "RP2040": "feather_rp2040"}


def load_config():
    path = "qssl_config.json"
    if sys.platform == "linux":
        import os

        path = os.getenv("QSSL_DEMO") or "/tmp/qssl_demo.json"
    with open(path) as f:
        cfg = json.load(f)
    if "ca" not in cfg and "ca_file" in cfg:
        with open(cfg["ca_file"]) as f:
            cfg["ca"] = f.read()
    return cfg


def open_modem(cfg):
    name = cfg.get("board") or _BOARDS.get(sys.platform, sys.platform)
    if name == "unix":
        if sys.implementation.name == "cpython":
            import serial  # pyserial: a pty or a USB serial adapter

            return qssl.Modem(serial.Serial(cfg["pty"], 115200, timeout=0))
        from boards import unix as board

        return board.modem(cfg["pty"])
    if name == "feather_rp2040":
        from boards import feather_rp2040 as board
    elif name == "pico":
        from boards import pico as board
    elif name == "esp32_devkitc":
        from boards import esp32_devkitc as board
    else:
        raise ValueError("no board file for %r; set \"board\" in the config" % name)
    return board.modem()


def main():
    cfg = load_config()
    modem = open_modem(cfg)
    modem.start()
    print("attached, local address", modem.attach(apn=cfg.get("apn", "CMNET"),
                                                 user=cfg.get("user", ""),
                                                 password=cfg.get("password", "")))
    ctx = modem.ssl_context(0)
    ctx.load_verify_locations(cadata=cfg["ca"])
    pool = qssl.SocketPool(modem)
    requests = adafruit_requests.Session(pool, ctx)

    url = "https://%s%s" % (cfg.get("host", "example.com"), cfg.get("path", "/"))
    if cfg.get("port", 443) != 443:
        url = "https://%s:%d%s" % (cfg.get("host", "example.com"), cfg["port"], cfg.get("path", "/"))
    print("GET", url)
    try:
        with requests.get(url, headers={"Connection": "close"}, timeout=30) as resp:
            reason = resp.reason
            if not isinstance(reason, str):
                reason = bytes(reason).decode()
            print("status:", resp.status_code, reason)
            for k, v in resp.headers.items():
                print("header: %s: %s" % (k, v))
            body = resp.content
            print("body (%d bytes):" % len(body))
            print(body.decode())
    finally:
        import adafruit_connection_manager

        adafruit_connection_manager.connection_manager_close_all(pool)
        modem.detach()


if __name__ == "__main__":
    main()
