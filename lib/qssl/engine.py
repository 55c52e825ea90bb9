# One AT command in flight: format it into a preallocated buffer, write it, pump the
# UART through the ring into the parser, hand response lines to the command's
# consumer and URCs to the URC handler, and enforce the deadline.
#
# Frames here are kept small (few locals, calls with few arguments) because MicroPython
# takes a call frame from the heap once it exceeds 11 words; see at.py.
from .compat import const, ticks_ms, ticks_diff, ticks_add, sleep_ms, uart_port, ETIMEDOUT, EINVAL
from .ring import Ring
from . import at
from .errors import ATError

_CMD_SIZE = const(320)  # AT+QSSLOPEN with a 255-byte host name still fits


class Engine:
    def __init__(self, uart, rxbuf=2048, line=256, debug=None):
        self.port = uart_port(uart)
        self.ring = Ring(rxbuf)
        self.p = at.Parser(line)
        self.cmd = bytearray(_CMD_SIZE)
        self.cmdlen = 0
        self.final = 0  # final result kind of the running command, 0 while waiting
        self.busy = False  # a command is in flight
        self.hold = False  # after "> " or CONNECT: leave the following bytes in the ring
        self.on_urc = None  # callable(parser): records into fixed slots, never sends
        self.on_line = None  # callable(parser): the running command's response lines
        if debug is not None and hasattr(debug, "buffer"):
            debug = debug.buffer  # a text stream such as sys.stdout: write bytes below it
        self.debug = debug  # a binary stream for the AT transcript, or None
        self.stray = 0  # final results that arrived with no command waiting for one
        self.banners = 0  # start-up banners seen (RDY, Call Ready, SMS Ready)
        self.timeouts = 0

    # --- formatting, in place ----------------------------------------------------------
    def begin(self, text):
        """Start a command line with text (bytes)."""
        self.cmdlen = 0
        self.add(text)

    def add(self, text):
        n = self.cmdlen
        if n + len(text) >= _CMD_SIZE:
            raise OSError(EINVAL, "command too long")
        self.cmd[n : n + len(text)] = text
        self.cmdlen = n + len(text)

    def add_byte(self, c):
        if self.cmdlen + 1 >= _CMD_SIZE:
            raise OSError(EINVAL, "command too long")
        self.cmd[self.cmdlen] = c
        self.cmdlen += 1

    def add_int(self, v):
        if v < 0:
            self.add_byte(45)
            v = -v
        d = 1
        t = v
        while t >= 10:
            t //= 10
            d += 1
        if self.cmdlen + d >= _CMD_SIZE:
            raise OSError(EINVAL, "command too long")
        self.cmdlen += d
        t = self.cmdlen
        while d:
            t -= 1
            self.cmd[t] = 48 + v % 10
            v //= 10
            d -= 1

    def add_quoted(self, text):
        self.add_byte(34)
        self.add(text)
        self.add_byte(34)

    def add_hex4(self, v):
        """0X%04X, as the module prints cipher suites."""
        self.add(b"0X")
        self._hex_digit(v >> 12)
        self._hex_digit(v >> 8)
        self._hex_digit(v >> 4)
        self._hex_digit(v)

    def _hex_digit(self, d):
        d &= 15
        self.add_byte(48 + d if d < 10 else 55 + d)

    # --- running ---------------------------------------------------------------------
    def command(self, text, timeout_ms=300, expect=None):
        """Run a constant command; returns the final kind (raises on timeout)."""
        self.begin(text)
        return self.run(timeout_ms, expect)

    def run(self, timeout_ms, expect=None):
        """Send the formatted command and wait for its final result."""
        self.p.expect = expect
        self.p.expect_bare = expect is at.BARE
        self.final = 0
        self.busy = True
        self.hold = False
        self.send_line()
        return self.wait(timeout_ms)

    def send_line(self):
        n = self.cmdlen
        self.cmd[n] = 13
        if self.debug is not None:
            self._log(b">> ", self.cmd, n)
        self.write(self.cmd, 0, n + 1)

    def write(self, buf, off, n):
        """Write buf[off:off+n] to the UART, all of it."""
        while n > 0:
            w = self.port.write(buf, off, n)
            if w:
                off += w
                n -= w

    def wait(self, timeout_ms):
        """Pump until the running command has a final result, or raise ETIMEDOUT."""
        self.busy = True
        self.final = 0
        self.hold = False
        deadline = ticks_add(ticks_ms(), timeout_ms)
        while not self.final:
            # The deadline holds even while bytes keep coming (noise, URCs).
            if ticks_diff(deadline, ticks_ms()) <= 0:
                self._timeout()
            if not self.pump():
                sleep_ms(1)
        self.busy = False
        self.on_line = None
        self.p.expect = None
        self.p.expect_bare = False
        return self.final

    def _timeout(self):
        # The command is given up; a half-received line is kept (its end may still
        # come), but a half-received payload is abandoned so the stream resyncs.
        self.busy = False
        self.on_line = None
        self.timeouts += 1
        p = self.p
        p.expect = None
        p.expect_bare = False
        p.raw_dst = None
        if p.mode == at.M_RAW:
            p.reset()
        raise OSError(ETIMEDOUT, "timeout: " + bytes(self.cmd[: self.cmdlen]).decode())

    def check(self, kind):
        """Raise ATError unless kind is OK."""
        if kind != at.K_OK:
            self.fail(kind)

    def fail(self, kind):
        raise ATError(bytes(self.cmd[: self.cmdlen]), self.p.code if kind == at.K_CME else -1)

    def poll(self):
        """Process whatever the UART holds (URCs) without blocking."""
        while self.pump():
            pass

    def drain(self, quiet_ms=300, limit_ms=3000):
        """Process input until the line has been quiet for quiet_ms (at most limit_ms).
        Answers to commands nobody waits for any more are counted as stray, so they
        cannot be taken for the answer of the next command."""
        self.busy = False
        deadline = ticks_add(ticks_ms(), limit_ms)
        quiet = ticks_add(ticks_ms(), quiet_ms)
        while ticks_diff(deadline, ticks_ms()) > 0 and ticks_diff(quiet, ticks_ms()) > 0:
            if self.pump():
                quiet = ticks_add(ticks_ms(), quiet_ms)
            else:
                sleep_ms(5)

    # --- the input side ------------------------------------------------------------------
    def pump(self):
        """Read the UART into the ring and parse it. True if any byte came in."""
        # What the ring still holds (bytes held back after a prompt) is parsed first,
        # so the fill finds the ring empty and reads at offset 0 without allocating.
        self._drain()
        got = self.ring.fill(self.port)
        self._drain()
        return got > 0

    def _drain(self):
        r = self.ring
        while r.count and not self.hold:
            if not self._step():
                break

    def _step(self):
        r = self.ring
        p = self.p
        h = r.head
        e = h + r.contiguous()
        ev = p.feed(r.buf, h, e)
        r.consume(p.pos - h)
        if ev:
            self._event(ev)
            return True
        return p.pos != h

    def _event(self, ev):
        p = self.p
        if ev == at.EV_LINE:
            if self.debug is not None:
                self._log(b"<< ", p.line, p.n)
            k = p.kind
            if p.index >= 0 and (k == at.K_CONNECT_OK or k == at.K_CONNECT_FAIL or k == at.K_ALREADY):
                # "<i>, CONNECT OK" is the late result of AT+QIOPEN, not a final
                if self.on_urc is not None:
                    self.on_urc(p)
            elif k < 20:
                self._final(k)
            elif k == at.K_RESPONSE:
                if self.on_line is not None:
                    self.on_line(p)
            elif 30 <= k < 50:
                self._urc(k)
        elif ev == at.EV_PROMPT:
            self._final(at.K_PROMPT)
        elif ev == at.EV_RAW:
            if self.debug is not None:
                self._log(b"<< ", b"<payload>", 9)

    def _final(self, k):
        if self.busy and not self.final:
            self.final = k
            if k == at.K_PROMPT or k == at.K_CONNECT:
                self.hold = True
        else:
            self.stray += 1

    def _urc(self, k):
        if k == at.K_URC_RDY or k == at.K_URC_CALL_READY or k == at.K_URC_SMS_READY:
            self.banners += 1
            # The module restarted under us: the command in flight is lost.
            if self.busy and not self.final:
                self.final = at.K_REBOOT
        if self.on_urc is not None:
            self.on_urc(self.p)

    def _log(self, prefix, buf, n):
        d = self.debug
        d.write(prefix)
        d.write(bytes(buf[:n]))
        d.write(b"\n")
