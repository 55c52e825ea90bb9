# CircuitPython's socket pool shape (adafruit_connection_manager / adafruit_requests):
# getaddrinfo, socket(af, type, proto) and the constants. The module resolves names
# itself when it opens a connection, so getaddrinfo hands the name straight back.
from qssl.compat import EINVAL, EOPNOTSUPP

# Plain ints, not const(): the class below re-exports them as attributes.
AF_INET = 2
SOCK_STREAM = 1
IPPROTO_TCP = 6
SOL_SOCKET = 1
SO_REUSEADDR = 2


def _client_only(*args):
    raise OSError(EOPNOTSUPP, "the module's sockets are clients only")


class SocketPool:
    """CircuitPython's socket-pool shape over a modem, for adafruit_requests and
    adafruit_connection_manager: socket() gives the module's plain TCP sockets, and an
    SSLContext of the modem turns them into module-TLS sockets (wrap_socket)."""

    AF_INET = AF_INET
    SOCK_STREAM = SOCK_STREAM
    IPPROTO_TCP = IPPROTO_TCP
    SOL_SOCKET = SOL_SOCKET
    SO_REUSEADDR = SO_REUSEADDR

    def __init__(self, modem):
        self._modem = modem

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        """The name itself, unresolved: the module resolves it when it connects."""
        return [(AF_INET, SOCK_STREAM, IPPROTO_TCP, "", (host, port))]

    def socket(self, family=AF_INET, type=SOCK_STREAM, proto=IPPROTO_TCP):
        """A new, unconnected TCP socket of the module (AF_INET, SOCK_STREAM only)."""
        if family != AF_INET or type != SOCK_STREAM or proto not in (0, IPPROTO_TCP):
            raise OSError(EINVAL, "the module offers AF_INET stream (TCP) sockets only")
        s = self._modem.tcp_socket()
        # socketpool.Socket's extra surface, set on the socket (not a subclass, so the
        # pool imports no socket module): CircuitPython's own ssl wrap_socket() needs
        # type == SOCK_STREAM and looks up accept, bind and listen even for a client.
        s.type = SOCK_STREAM
        s.bind = s.listen = s.accept = _client_only
        return s
