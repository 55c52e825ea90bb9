# SSL sockets in non-transparent mode: AT+QSSLOPEN / QSSLSEND / QSSLRECV / QSSLCLOSE.

from qssl.compat import const
from qssl.stream import Stream

# Constants of other modules, as private copies: folded into the bytecode, no globals
# (tests_host/test_shared_consts.py checks each against its source).
_F_CLOSE = const(0x4C)


class SSLSocket(Stream):
    """A TLS connection made by the module, non-transparent (AT+QSSLOPEN ...,0): made by
    ctx.socket(); the methods are those of qssl.stream.Stream."""

    _open_name = "+QSSLOPEN:"
    _recv_prefix = b"+QSSLRECV:"

    def __init__(self, ctx, server_hostname=None):
        super().__init__(ctx._modem)
        self.context = ctx
        self.server_hostname = server_hostname

    def _open_failed(self, code):
        # The module says only -1: ask why (ctx.diagnose), within what is left of the timeout.
        if code == -1 and self.context.diagnose and self._peer is not None and self._rest_ms(10000) > 0:
            return self.context.explain_failure(self._peer[0], self._peer[1], self._cmd_ms(10000))
        return super()._open_failed(code)

    def _open_cmd(self, host, port, secs, mode=0):
        # mode 0: non-transparent; 1: transparent (TransparentSocket)
        e = self._m.eng
        e.begin(b"AT+QSSLOPEN=")
        e.add_int(self._id)
        e.add_byte(44)
        e.add_int(self.context.index)
        e.add_byte(44)
        e.add_quoted(host)
        e.add_byte(44)
        e.add_int(port)
        e.add_byte(44)
        e.add_int(mode)
        e.add_byte(44)
        e.add_int(secs)

    def _recv_cmd(self, n):
        e = self._m.eng
        e.begin(b"AT+QSSLRECV=")
        e.add_int(self._m.cid)
        e.add_byte(44)
        e.add_int(self._id)
        e.add_byte(44)
        e.add_int(n)

    def _send_cmd(self, n):
        e = self._m.eng
        e.begin(b"AT+QSSLSEND=")
        e.add_int(self._id)
        e.add_byte(44)
        e.add_int(n)

    def _close_cmd(self, timeout_ms):
        e = self._m.eng
        e.begin(b"AT+QSSLCLOSE=")
        e.add_int(self._id)
        e.slot = self._id
        return e.run(timeout_ms, None, _F_CLOSE)
