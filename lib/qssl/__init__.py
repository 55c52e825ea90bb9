# qssl: Quectel GSM modules' own TLS stack, as sockets. The names users import.
from .modem import Modem
from .errors import ATError, PDPError
from .certs import checksum
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
from .tcp import TCPSocket
from .transparent import TransparentSocket
from .pool import SocketPool, AF_INET, SOCK_STREAM

__version__ = "0.1.0"
