# qssl: Quectel GSM modules' own TLS stack, as sockets. The names users import.
# What a program may never use (plain TCP, transparent mode, the socket pool, the
# checksum) is loaded on first access, so it costs no RAM until then.
from .modem import Modem
from .errors import ATError, PDPError
from .context import (
    SSLContext,
    SSLv3,
    TLSv1,
    TLSv1_1,
    TLSv1_2,
    ALL_VERSIONS,
    TLS_RSA_WITH_AES_256_CBC_SHA,
    TLS_RSA_WITH_AES_128_CBC_SHA,
    TLS_RSA_WITH_RC4_128_SHA,
    TLS_RSA_WITH_RC4_128_MD5,
    TLS_RSA_WITH_3DES_EDE_CBC_SHA,
    TLS_RSA_WITH_AES_256_CBC_SHA256,
    ALL_CIPHERS,
    CERT_NONE,
    CERT_REQUIRED,
)
from .socket import SSLSocket

__version__ = "0.1.0"


def __getattr__(name):
    # Module __getattr__ (MicroPython, CircuitPython and CPython 3.7+). Where a build
    # lacks it, import from the submodule: from qssl.tcp import TCPSocket.
    if name == "TCPSocket":
        from .tcp import TCPSocket as v
    elif name == "TransparentSocket":
        from .transparent import TransparentSocket as v
    elif name == "checksum":
        from .certs import checksum as v
    elif name == "SocketPool":
        from .pool import SocketPool as v
    elif name == "AF_INET":
        from .pool import AF_INET as v
    elif name == "SOCK_STREAM":
        from .pool import SOCK_STREAM as v
    else:
        # A submodule not loaded yet: MicroPython's "from . import certs" and
        # "from qssl import aio" come through here.
        import sys

        try:
            __import__("qssl." + name)
        except ImportError:
            raise AttributeError(name)
        v = sys.modules["qssl." + name]
    return v
