"""Loopback test network for qssl: a runtime PKI and TLS/TCP/HTTPS servers."""

from .certs import Pki, make_pki
from .servers import HttpsServer, TcpEchoServer, TlsEchoServer, pattern, server_context

__all__ = ["Pki", "make_pki", "HttpsServer", "TcpEchoServer", "TlsEchoServer", "pattern",
           "server_context"]
