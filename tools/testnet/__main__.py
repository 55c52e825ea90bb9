"""Run the test PKI and loopback servers for demos and device tests.

    python -m testnet --dir /tmp/qnet --https-port 8443 --echo-port 8444

Prints one JSON line with the ports and the PEM file paths, then serves until
SIGTERM or SIGINT. Port 0 (the default) means "pick a free one".
"""

import argparse
import json
import os
import signal
import sys
import tempfile
import threading

from .certs import make_pki
from .servers import HttpsServer, TcpEchoServer, TlsEchoServer


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m testnet", description=__doc__.splitlines()[0])
    ap.add_argument("--dir", help="where the PEM files go (default: a new temporary directory)")
    ap.add_argument("--https-port", type=int, default=0, help="HTTPS server port (0: any)")
    ap.add_argument("--echo-port", type=int, default=0, help="TLS echo server port (0: any)")
    ap.add_argument("--auth-echo-port", type=int, default=None,
                    help="TLS echo server that requires a client certificate (off unless given)")
    ap.add_argument("--tcp-port", type=int, default=None, help="plain TCP echo port (off unless given)")
    ap.add_argument("--expired-port", type=int, default=None,
                    help="TLS echo server with the expired certificate (off unless given)")
    args = ap.parse_args(argv)

    directory = args.dir or tempfile.mkdtemp(prefix="qssl-testnet-")
    pki = make_pki(directory)

    servers = []
    info = {"dir": os.path.abspath(directory), "ca": pki.ca_path,
            "client_cert": pki.client_cert_path, "client_key": pki.client_key_path,
            "pki": pki.as_dict()}

    def add(key, srv, port):
        srv._want_port = port
        info[key] = srv.start()
        servers.append(srv)

    try:
        add("https_port", HttpsServer(pki.server_cert_path, pki.server_key_path), args.https_port)
        add("echo_port", TlsEchoServer(pki.server_cert_path, pki.server_key_path), args.echo_port)
        if args.auth_echo_port is not None:
            add("auth_echo_port", TlsEchoServer(pki.server_cert_path, pki.server_key_path,
                                                client_ca_path=pki.ca_path), args.auth_echo_port)
        if args.tcp_port is not None:
            add("tcp_port", TcpEchoServer(), args.tcp_port)
        if args.expired_port is not None:
            add("expired_port", TlsEchoServer(pki.expired_cert_path, pki.expired_key_path),
                args.expired_port)
    except OSError as e:
        for s in servers:
            s.stop()
        print(json.dumps({"error": str(e)}), flush=True)
        return 1

    done = threading.Event()

    def on_signal(signum, frame):
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(json.dumps(info), flush=True)
    while not done.wait(0.5):
        pass
    for s in servers:
        s.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
