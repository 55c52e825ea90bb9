"""A "recv" URC that arrives in the same UART read as the empty answer (bare OK) of
AT+QSSLRECV must not be lost: the data it announces has to be read.

A real UART hands over whatever accumulated while the host was busy, so an OK and
the URC right behind it often come in one read. The port below makes that happen
every time: after the library writes AT+QSSLRECV it holds the module's output back
for a moment, then gives it all at once.
"""

import io
import socket
import threading
import time

import pytest

import qssl
from api_fixtures import errno, new_emulator, read_exact, ECHO_HOST, LOCAL_IP  # noqa: F401

HOLD_S = 0.3  # under the 450 ms a command of a non-blocking call may take
DELAY_S = 0.1


class DelayedEchoServer:
    """TLS server for one connection: reads a chunk, waits DELAY_S, sends it back."""

    def __init__(self, pki):
        import ssl

        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(pki.server_cert_path, pki.server_key_path)
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(1)
        self.ls.settimeout(10)
        self.port = self.ls.getsockname()[1]
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        try:
            c, _ = self.ls.accept()
            c.settimeout(10)
            with self.ctx.wrap_socket(c, server_side=True) as t:
                while True:
                    d = t.recv(4096)
                    if not d:
                        return
                    time.sleep(DELAY_S)
                    t.sendall(d)
        except OSError:
            pass

    def stop(self):
        self.ls.close()
        self.t.join(3)


class BatchingPort:
    def __init__(self, port):
        self._p = port
        self._until = 0.0
        self.holds = 0

    def _held(self):
        return time.monotonic() < self._until

    def any(self):
        return 0 if self._held() else self._p.any()

    def readinto(self, buf, n=-1):
        return 0 if self._held() else self._p.readinto(buf, n)

    def read(self, n=-1):
        return b"" if self._held() else self._p.read(n)

    def write(self, buf, n=-1):
        if b"AT+QSSLRECV=" in bytes(buf):
            self._until = time.monotonic() + HOLD_S
            self.holds += 1
        return self._p.write(buf, n)


@pytest.fixture
def batching(pki):
    emu = new_emulator()
    srv = DelayedEchoServer(pki)
    emu.start()
    try:
        emu.boot()
        emu.routes[(ECHO_HOST, 443)] = ("127.0.0.1", srv.port)
        port = BatchingPort(emu.port())
        log = io.BytesIO()
        m = qssl.Modem(port, debug=log)
        m.start()
        assert m.attach(apn="CMNET") == LOCAL_IP
        ctx = m.ssl_context(0)
        ctx.load_verify_locations(cadata=pki.ca_pem)
        yield emu, m, ctx, port, log
    finally:
        emu.stop()
        srv.stop()


BUG = ("stream.py _fetch clears m.ready[i] after _recv_chunk() returned 0, but Engine.pump() "
       "parses everything in the ring, so a +QSSLURC: \"recv\" that came in the same read as "
       "the empty OK of AT+QSSLRECV already set ready[i]=1 inside the command and is wiped: "
       "the data waits in the module while recv() times out (or, if the peer also closed, "
       "reads b'' and loses the data)")



def test_recv_urc_with_empty_answer(batching):
    emu, m, ctx, port, log = batching
    s = ctx.socket()
    s.settimeout(3)
    s.connect((ECHO_HOST, 443))
    s.sendall(b"echo me")
    # The first QSSLRECV finds the module's buffer empty (the echo is still on its way);
    # the URC for the echo comes right after that OK, in the same read.
    assert read_exact(s, 7, 6) == b"echo me"
    s.close()


def test_recv_with_batching_port_when_data_is_there(batching):
    """Control: the port itself is fine when the data is buffered before the read."""
    emu, m, ctx, port, log = batching
    s = ctx.socket()
    s.settimeout(5)
    s.connect((ECHO_HOST, 443))
    s.sendall(b"echo me")
    end = time.monotonic() + 5
    while time.monotonic() < end and not emu.state.sockets[s.ssid].rx:
        time.sleep(0.01)
    assert read_exact(s, 7, 6) == b"echo me"
    assert port.holds >= 1
    s.close()


# Fixed in eb5890c; kept as the description of what the test guards.
BUG_NONBLOCK = ("stream.py _fetch: with settimeout(0)/setblocking(False) it returns None as soon as "
                "m.ready[i] is 0, without pumping the UART first, so a \"recv\" URC that arrived "
                "after the last command is never parsed: readinto() returns None (recv_into raises "
                "EAGAIN) forever while the data waits in the module, unless some other command or "
                "modem.poll() happens to read the URC")


def test_nonblocking_read_sees_late_urc(batching):
    emu, m, ctx, port, log = batching
    s = ctx.socket()
    s.settimeout(5)
    s.connect((ECHO_HOST, 443))
    s.setblocking(False)
    buf = bytearray(16)
    assert s.readinto(buf) is None
    s.write(b"late")  # the echo comes DELAY_S later, after SEND OK
    n = None
    end = time.monotonic() + 1.5
    while n is None and time.monotonic() < end:
        n = s.readinto(buf)
        if n is None:
            time.sleep(0.02)
    assert n == 4 and bytes(buf[:4]) == b"late"
    s.close()
