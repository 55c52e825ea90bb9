"""Shared fixtures for the host tests: the test PKI, loopback servers and the emulator.

The `At` helper talks to the emulator with raw bytes only (no library code), so
emulator tests can assert the module's exact output. Every wait is bounded by a
deadline; nothing here can hang a test run.
"""

import re
import time

import pytest

DEFAULT_TIMEOUT = 10.0

# Final result lines (the text between CR LF ... CR LF) that end a command.
_FINAL_RE = re.compile(
    rb"^(OK|ERROR|\+CME ERROR: \d+|\+CMS ERROR: \d+|CONNECT|SEND OK|SEND FAIL|CLOSE OK|"
    rb"DEACT OK|\d, ?CLOSE OK|\d+\.\d+\.\d+\.\d+)$"
)
# Headers after which <len> raw bytes follow (never scanned for line ends).
_RAW_HDR_RE = re.compile(rb"^\+(QSSLRECV|QSSLRCV|QIRD): [^,]*,(?:TCP|UDP),(\d+)$")


class AtTimeout(AssertionError):
    pass


class At:
    """Raw AT conversation with a UART-like port (any/read/write).

    Bytes read past what a call returns stay in `self.pending` for the next call,
    so a URC right after `OK` is never lost.

    cmd(line, timeout)            write line + CR, return the bytes up to and incl. the final
    read_final(timeout, finals)   read up to the next final (a regex over the line text)
    read_line(prefix, timeout)    read up to and incl. the first complete line starting with prefix
    read_exact(n, timeout)        exactly n bytes
    read_until(marker, timeout)   up to and incl. the first occurrence of marker (bytes)
    read_for(seconds)             everything that arrives in that time
    quiet(seconds)                assert nothing arrives for that long; returns b""
    write(data)                   raw bytes to the modem
    """

    def __init__(self, port, default_timeout=DEFAULT_TIMEOUT):
        self.port = port
        self.pending = bytearray()
        self.default_timeout = default_timeout
        self.log = bytearray()  # everything received, for failure messages

    # -- I/O ------------------------------------------------------------------
    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        mv = memoryview(data)
        while mv:
            n = self.port.write(mv)
            if n is None:
                n = len(mv)
            mv = mv[n:]

    def _pull(self, wait=0.002):
        data = self.port.read()
        if data:
            self.pending += data
            self.log += data
            return True
        time.sleep(wait)
        return False

    def _take(self, n):
        out = bytes(self.pending[:n])
        del self.pending[:n]
        return out

    def _deadline(self, timeout):
        return time.monotonic() + (self.default_timeout if timeout is None else timeout)

    def _fail(self, what, timeout):
        raise AtTimeout("timed out after %ss waiting for %s; pending=%r" %
                        (timeout, what, bytes(self.pending)))

    # -- reading ------------------------------------------------------------------
    def _scan(self, line_match, prompt):
        """Index just past the first matching line (or prompt), or -1.

        Walks complete lines from the start of `pending`; skips raw payloads after
        +QSSLRECV/+QSSLRCV/+QIRD headers by their length.
        """
        buf = self.pending
        i = 0
        n = len(buf)
        while i < n:
            if prompt and buf.startswith(b"> ", i):
                return i + 2
            j = buf.find(b"\r\n", i)
            if j < 0:
                return -1
            line = bytes(buf[i:j])
            if line_match(line):
                return j + 2
            m = _RAW_HDR_RE.match(line)
            i = j + 2
            if m:
                i += int(m.group(2))
                if i > n:
                    return -1
        return -1

    def _read_scan(self, line_match, prompt, timeout, what):
        end = self._deadline(timeout)
        while True:
            k = self._scan(line_match, prompt)
            if k >= 0:
                return self._take(k)
            if time.monotonic() > end:
                self._fail(what, timeout)
            self._pull()

    def read_final(self, timeout=None, finals=None, prompt=True):
        rx = re.compile(finals) if isinstance(finals, (bytes, str)) else (finals or _FINAL_RE)
        if isinstance(finals, str):
            rx = re.compile(finals.encode())
        return self._read_scan(lambda ln: rx.match(ln) is not None, prompt, timeout,
                               "a final result")

    def cmd(self, line, timeout=None, finals=None, prompt=True):
        if isinstance(line, str):
            line = line.encode()
        self.write(line + b"\r")
        return self.read_final(timeout, finals, prompt)

    def read_line(self, prefix, timeout=None):
        if isinstance(prefix, str):
            prefix = prefix.encode()
        return self._read_scan(lambda ln: ln.startswith(prefix), False, timeout,
                               "a line starting %r" % prefix)

    def read_exact(self, n, timeout=None):
        end = self._deadline(timeout)
        while len(self.pending) < n:
            if time.monotonic() > end:
                self._fail("%d bytes" % n, timeout)
            self._pull()
        return self._take(n)

    def read_until(self, marker, timeout=None):
        if isinstance(marker, str):
            marker = marker.encode()
        end = self._deadline(timeout)
        while True:
            k = self.pending.find(marker)
            if k >= 0:
                return self._take(k + len(marker))
            if time.monotonic() > end:
                self._fail(repr(marker), timeout)
            self._pull()

    def read_for(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._pull()
        return self._take(len(self.pending))

    def quiet(self, seconds=0.2):
        got = self.read_for(seconds)
        assert got == b"", "expected silence, got %r" % got
        return got

    def drain(self, quiet=0.1, timeout=3.0):
        """Read until `quiet` seconds pass with no new bytes; return all of it."""
        end = time.monotonic() + timeout
        last = time.monotonic()
        while time.monotonic() < end:
            if self._pull():
                last = time.monotonic()
            elif time.monotonic() - last >= quiet:
                break
        return self._take(len(self.pending))


# -- certificates and servers ------------------------------------------------------


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    from testnet import make_pki

    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def tls_echo(pki):
    """TLS echo server (server certificate from the test CA); yields the server (.port)."""
    from testnet import TlsEchoServer

    with TlsEchoServer(pki.server_cert_path, pki.server_key_path) as srv:
        yield srv


@pytest.fixture
def tls_echo_auth(pki):
    """TLS echo server that requires a client certificate from the test CA."""
    from testnet import TlsEchoServer

    with TlsEchoServer(pki.server_cert_path, pki.server_key_path,
                       client_ca_path=pki.ca_path) as srv:
        yield srv


@pytest.fixture
def tcp_echo():
    from testnet import TcpEchoServer

    with TcpEchoServer() as srv:
        yield srv


HTTPS_ROUTES = {"/": b"hello from qssl testnet\n", "/hello": b"Hello, module!\n"}


@pytest.fixture
def https_server(pki):
    from testnet import HttpsServer

    with HttpsServer(pki.server_cert_path, pki.server_key_path, routes=HTTPS_ROUTES) as srv:
        yield srv


# -- the emulator -------------------------------------------------------------------

LOCAL_IP = "10.1.83.188"
BANNER = b"\r\nRDY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n"


class EmuRoutes:
    """The emulator's route table; tests add entries while it runs."""

    def __init__(self, emu):
        self.emu = emu

    def add(self, name, port, server_or_port):
        real = server_or_port if isinstance(server_or_port, int) else server_or_port.port
        self.emu.routes[(name, port)] = ("127.0.0.1", real)


def make_emulator(routes=None, echo=True, baud=None, log=None, **kw):
    from quecsim import Emulator

    return Emulator(routes=routes if routes is not None else {}, baud=baud, echo=echo,
                    log=log, local_ip=LOCAL_IP, **kw)


@pytest.fixture
def raw_emu():
    """A started, booted emulator with echo still on; the banner is left unread.

    Yields (emu, at, routes). Routes can be added while it runs (routes.add).
    """
    emu = make_emulator()
    routes = EmuRoutes(emu)
    emu.start()
    try:
        emu.boot()
        at = At(emu.port())
        yield emu, at, routes
    finally:
        emu.stop()


@pytest.fixture
def emu_ctx(raw_emu):
    """Booted emulator, banner consumed, ATE0 done. Yields (emu, at, routes)."""
    emu, at, routes = raw_emu
    assert at.read_until(b"SMS Ready\r\n", 5) == BANNER
    assert at.cmd("ATE0") == b"ATE0\r\r\nOK\r\n"
    return emu, at, routes


@pytest.fixture
def emu(emu_ctx):
    return emu_ctx[0]


@pytest.fixture
def at(emu_ctx):
    return emu_ctx[1]


@pytest.fixture
def routes(emu_ctx):
    return emu_ctx[2]


PDP_STEPS = [
    ("AT+QIFGCNT=0", b"\r\nOK\r\n"),
    ('AT+QICSGP=1,"CMNET"', b"\r\nOK\r\n"),
    ("AT+QIREGAPP", b"\r\nOK\r\n"),
    ("AT+QIACT", b"\r\nOK\r\n"),
    ("AT+QILOCIP", ("\r\n%s\r\n" % LOCAL_IP).encode()),
]


def bring_up_pdp(at):
    for cmd, want in PDP_STEPS:
        got = at.cmd(cmd, timeout=10)
        assert got == want, "%s: %r != %r" % (cmd, got, want)


@pytest.fixture
def attached_emu(emu_ctx):
    """emu_ctx after QIFGCNT/QICSGP/QIREGAPP/QIACT/QILOCIP. Yields (emu, at, routes)."""
    bring_up_pdp(emu_ctx[1])
    return emu_ctx


def qsec_checksum(data):
    """ERRATA 15, written independently of the emulator: XOR of big-endian 16-bit words."""
    if len(data) % 2:
        data = bytes(data) + b"\x00"
    acc = 0
    words = memoryview(bytes(data)).cast("B")
    for k in range(0, len(words), 2):
        acc ^= int.from_bytes(words[k:k + 2], "big")
    return acc


def upload(at, name, data, timeout_s=100):
    """AT+QSECWRITE a file; asserts the exact exchange; returns the answer bytes."""
    got = at.cmd('AT+QSECWRITE="%s",%d,%d' % (name, len(data), timeout_s))
    assert got == b"\r\nCONNECT\r\n", got
    at.write(data)
    want = ("\r\n+QSECWRITE: %d,%x\r\n\r\nOK\r\n" % (len(data), qsec_checksum(data))).encode()
    got = at.read_final(timeout=10)
    assert got == want, "%s: %r != %r" % (name, got, want)
    return got
