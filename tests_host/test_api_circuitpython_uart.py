# The library over a UART shaped like CircuitPython's busio.UART: in_waiting,
# readinto(buf) without a count, write(buf) without an offset. compat's adapter must
# make it work end to end (start, attach, an HTTPS GET) without losing a byte.
from api_fixtures import HTTPS_HOST, LOCAL_IP, new_emulator, read_to_eof
import qssl


class BusioLikeUart:
    """Only what busio.UART offers; no any(), no counts, no offsets."""

    def __init__(self, port):
        self._p = port
        self.reads = 0
        self.partial_reads = 0

    @property
    def in_waiting(self):
        return self._p.any()

    def readinto(self, buf):
        self.reads += 1
        if len(buf) < 2048:
            self.partial_reads += 1  # the adapter handed a memoryview slice
        n = self._p.readinto(buf, len(buf))
        return n or None  # busio answers None when nothing came

    def write(self, buf):
        return self._p.write(bytes(buf))


def test_https_get_over_a_busio_shaped_uart(pki, https_server):
    emu = new_emulator()
    emu.start()
    try:
        emu.routes[(HTTPS_HOST, 443)] = ("127.0.0.1", https_server.port)
        uart = BusioLikeUart(emu.port())
        m = qssl.Modem(uart)
        m.start()
        assert m.attach(apn="CMNET") == LOCAL_IP
        ctx = m.ssl_context(0)
        ctx.load_verify_locations(cadata=pki.ca_pem)
        with ctx.socket() as s:
            s.settimeout(10)
            s.connect((HTTPS_HOST, 443))
            s.sendall(b"GET /big?n=5000 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
            raw = read_to_eof(s)
    finally:
        emu.stop()
    from testnet.servers import pattern

    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert body == pattern(5000)
    assert uart.reads > 0 and uart.partial_reads > 0  # counts went through the adapter
