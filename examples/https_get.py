# HTTPS GET through the module's own TLS stack, with server authentication.
#
# Runs unchanged on the MicroPython unix port (talking over a pty to quecsim, the
# emulator) and on a board with a Quectel module. Settings come from a JSON file:
#
#   unix port: the file named by the environment variable QSSL_DEMO, else
#              /tmp/qssl_demo.json (tools/demo.py writes one and sets QSSL_DEMO)
#   a board:   qssl_config.json next to this script (you write it), e.g.
#              {"apn": "CMNET", "host": "example.com", "path": "/", "ca_file": "ca.pem"}
#
# Keys: board ("unix", "pico", "esp32_devkitc", "feather_rp2040"; default from
# sys.platform), pty (unix only: the emulator's pty path), apn, user, password,
# host, port (443), path ("/"), ca (PEM text) or ca_file (a PEM file on the board).
#
#   mpremote connect /tmp/mp resume mount . run examples/https_get.py
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


def https_get(modem, ca_pem, host, port=443, path="/"):
    """The raw response bytes of GET path (the server closes the connection)."""
    ctx = modem.ssl_context(0)
    ctx.load_verify_locations(cadata=ca_pem)
    sock = ctx.socket()
    try:
        sock.settimeout(30)
        sock.connect((host, port))
        req = "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: qssl\r\nConnection: close\r\n\r\n"
        sock.sendall((req % (path, host)).encode())
        resp = bytearray()
        buf = bytearray(512)
        while True:
            n = sock.recv_into(buf)
            if not n:  # the server closed: end of stream
                break
            resp.extend(memoryview(buf)[:n])
        return resp
    finally:
        sock.close()


def main():
    cfg = load_config()
    modem = open_modem(cfg)
    modem.start()
    ip = modem.attach(apn=cfg.get("apn", "CMNET"), user=cfg.get("user", ""),
                      password=cfg.get("password", ""))
    print("attached, local address", ip)
    host = cfg.get("host", "example.com")
    port = cfg.get("port", 443)
    path = cfg.get("path", "/")
    try:
        resp = https_get(modem, cfg["ca"], host, port, path)
    finally:
        modem.detach()
    head, _, body = bytes(resp).partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    print("status:", lines[0])
    for line in lines[1:]:
        print("header:", line)
    print("body (%d bytes):" % len(body))
    print(body.decode())
    return lines[0]


if __name__ == "__main__":
    main()
