# Plain TCP sockets beside the SSL ones (chapter 1.3, ERRATA 21):
# AT+QIOPEN / QISEND / QIRD / QICLOSE in multi-connection mode with buffered reads.

from qssl.compat import const
from qssl.stream import Stream

# Constants of other modules, as private copies: folded into the bytecode, no globals
# (tests_host/test_shared_consts.py checks each against its source).
_F_CLOSE = const(0x4C)


class TCPSocket(Stream):
    """A plain TCP connection of the module beside the SSL ones (AT+QIOPEN): made by
    modem.tcp_socket(); MicroPython's ssl can wrap it (docs/tls_paths.md)."""

    _open_name = "QIOPEN"
    _recv_prefix = b"+QIRD:"

    def _open_cmd(self, host, port, secs):
        e = self._m.eng
        e.begin(b"AT+QIOPEN=")
        e.add_int(self._id)
        e.add(b',"TCP",')
        e.add_quoted(host)
        e.add_byte(44)
        e.add_int(port)

    def _recv_cmd(self, n):
        e = self._m.eng
        e.begin(b"AT+QIRD=")
        e.add_int(self._m.cid)
        e.add(b",1,")
        e.add_int(self._id)
        e.add_byte(44)
        e.add_int(n)

    def _send_cmd(self, n):
        e = self._m.eng
        e.begin(b"AT+QISEND=")
        e.add_int(self._id)
        e.add_byte(44)
        e.add_int(n)

    def _close_cmd(self, timeout_ms):
        e = self._m.eng
        e.begin(b"AT+QICLOSE=")
        e.add_int(self._id)
        e.slot = self._id
        return e.run(timeout_ms, None, _F_CLOSE)
