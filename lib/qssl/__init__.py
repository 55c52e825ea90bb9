# qssl: Quectel GSM modules' own TLS stack, as sockets. The names users import.
# `import qssl` loads the modem and what Modem() needs. The rest loads on first access,
# so it costs no RAM until then: the socket layer (SSLContext, SSLSocket and the
# version, cipher and verify constants, with the first modem.ssl_context()), and what a
# program may never use (plain TCP, transparent mode, the socket pool, the checksum, and
# the exception classes until the first error).
from qssl.modem import Modem

__version__ = "0.1.0"


def __getattr__(name):
    # Module __getattr__ (MicroPython, CircuitPython and CPython 3.7+). Where a build
    # lacks it, import from the submodule: from qssl.tcp import TCPSocket.
    if name == "SSLContext" or name.startswith("TLS") or name.startswith("ALL_") or name.startswith("CERT_") \
            or name == "SSLv3":
        import qssl.context as context

        v = getattr(context, name)  # AttributeError for a name context does not have
    elif name == "ATError" or name == "PDPError" or name == "Error":
        # loaded with the first error (the engine, bring-up and certs import it only then)
        import qssl.errors as errors

        v = getattr(errors, name)
    elif name == "SSLSocket":
        from qssl.socket import SSLSocket as v
    elif name == "TCPSocket":
        from qssl.tcp import TCPSocket as v
    elif name == "TransparentSocket":
        from qssl.transparent import TransparentSocket as v
    elif name == "checksum":
        from qssl.certs import checksum as v
    elif name == "SocketPool":
        from qssl.pool import SocketPool as v
    elif name == "AF_INET":
        from qssl.pool import AF_INET as v
    elif name == "SOCK_STREAM":
        from qssl.pool import SOCK_STREAM as v
    else:
        # A submodule not loaded yet: a program's "from qssl import aio" comes through
        # here on MicroPython.
        import sys

        try:
            __import__("qssl." + name)
        except ImportError:
            raise AttributeError(name)
        v = sys.modules["qssl." + name]
    return v
