# What the examples share: their settings and the modem on this board's UART.
# Copy it to the board next to the example you run.
#
# Settings come from a JSON file:
#   unix port / a PC: the file named by the environment variable QSSL_DEMO, else
#                     /tmp/qssl_demo.json (tools/demo.py writes one and sets QSSL_DEMO)
#   a board:          qssl_config.json next to the example (you write it), e.g.
#                     {"apn": "CMNET", "host": "example.com", "path": "/", "ca_file": "ca.pem"}
# Keys: board ("unix", "pico", "esp32_devkitc", "feather_rp2040"; default from
# sys.platform), pty (unix only: the emulator's pty path), apn, user, password,
# host, port (443), path ("/"), ca (PEM text) or ca_file (a PEM file on the board),
# and for tcp_and_ssl.py tcp_host and tcp_port.
import sys
import json

if "lib" not in sys.path:
    sys.path.append("lib")  # the repository's lib/ (mpremote mount) or the board's /lib

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
    """qssl.Modem on this board's UART, the module powered on."""
    name = cfg.get("board") or _BOARDS.get(sys.platform, sys.platform)
    if name == "unix":
        if sys.implementation.name == "cpython":
            import serial  # pyserial: the emulator's pty or a USB serial adapter

            return qssl.Modem(serial.Serial(cfg["pty"], 115200, timeout=0))
        from boards import unix

        return unix.modem(cfg["pty"])
    if name == "pico":
        from boards import pico as board
    elif name == "esp32_devkitc":
        from boards import esp32_devkitc as board
    elif name == "feather_rp2040":
        from boards import feather_rp2040 as board
    else:
        raise ValueError("no board file for %r; set \"board\" in the config" % name)
    return board.modem()

