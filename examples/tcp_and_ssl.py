# A plain TCP connection beside an SSL one (application note, chapter 1.3): the
# module's TCP/IP stack (AT+QIOPEN in multi-connection mode) and its SSL sockets
# share the PDP context and work at the same time.
#
# Talks to a TCP echo server and fetches an HTTPS page, the two interleaved.
# Settings as in https_get.py (QSSL_DEMO / /tmp/qssl_demo.json on the unix port,
# qssl_config.json on a board), plus tcp_host and tcp_port (the echo server).
#
#   mpremote connect /tmp/mp resume mount . run examples/tcp_and_ssl.py
import sys

sys.path.append("examples")  # example_setup.py beside this file (mpremote mount .)
from example_setup import load_config, open_modem  # noqa: E402


def read_exactly(sock, n):
    out = bytearray()
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise OSError(104, "peer closed after %d of %d bytes" % (len(out), n))
        out.extend(chunk)
    return bytes(out)


def main():
    cfg = load_config()
    modem = open_modem(cfg)
    modem.start()
    print("attached, local address", modem.attach(apn=cfg.get("apn", "CMNET"),
                                                 user=cfg.get("user", ""),
                                                 password=cfg.get("password", "")))
    host = cfg.get("host", "example.com")
    ctx = modem.ssl_context(0)
    ctx.load_verify_locations(cadata=cfg["ca"])

    tcp = modem.tcp_socket()
    tls = ctx.socket()
    try:
        tcp.settimeout(30)
        tls.settimeout(30)
        tcp.connect((cfg.get("tcp_host", "tcpbin.com"), cfg.get("tcp_port", 4242)))
        tls.connect((host, cfg.get("port", 443)))
        print("open:", modem.status())

        # Interleave: request on SSL, a line on TCP, then read both.
        tls.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                     % (cfg.get("path", "/"), host)).encode())
        ping = b"ping over plain TCP, beside SSL\n"
        tcp.sendall(ping)
        echo = read_exactly(tcp, len(ping))
        print("tcp echo:", "ok" if echo == ping else "MISMATCH %r" % echo)

        resp = bytearray()
        while True:
            chunk = tls.recv(512)
            if not chunk:
                break
            resp.extend(chunk)
        head, _, body = bytes(resp).partition(b"\r\n\r\n")
        print("status:", head.split(b"\r\n", 1)[0].decode())
        print("body (%d bytes):" % len(body))
        print(body.decode())
    finally:
        tls.close()
        tcp.close()
        modem.detach()


if __name__ == "__main__":
    main()
