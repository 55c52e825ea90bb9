# HTTPS GET through the module's own TLS stack, with server authentication.
#
# Runs unchanged on the MicroPython unix port (talking over a pty to quecsim, the
# emulator) and on a board with a Quectel module; settings and board selection are in
# example_setup.py (copy it to the board too).
#
#   mpremote connect /tmp/mp resume mount . run examples/https_get.py
import sys

sys.path.append("examples")  # example_setup.py beside this file (mpremote mount .)
from example_setup import load_config, open_modem  # noqa: E402


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
