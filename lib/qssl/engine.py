# One AT command in flight: format it into a preallocated buffer, write it, pump the
# UART through the ring into the parser, hand response lines to the command's
# consumer and URCs to the URC handler, and enforce the deadline. After any exchange
# whose end was not seen, resync() brings the module back to a known command state
# before the next command (docs/decisions.md, "Resync").
#
# Frames here are kept small (few locals, calls with few arguments) because MicroPython
# takes a call frame from the heap once it exceeds 11 words; see at.py.
from qssl.compat import const, ticks_ms, ticks_diff, ticks_add, sleep_ms, clamp_ms
import qssl.compat as compat
from qssl.ring import Ring
import qssl.at as at

# Constants of other modules, as private copies: folded into the bytecode, no globals
# (tests_host/test_shared_consts.py checks each against its source).
_EINVAL = const(22)
_EIO = const(5)
_EV_LINE = const(1)
_EV_PROMPT = const(2)
_EV_RAW = const(3)
_K_CME = const(3)
_K_CONNECT = const(8)
_K_OK = const(1)
_K_PROMPT = const(18)
_K_REBOOT = const(19)
_K_SEND_OK = const(4)
_K_URC_RDY = const(36)
_M_RAW = const(1)

_CMD_SIZE = const(320)  # AT+QSSLOPEN with a 255-byte host name still fits
_EBUSY = const(16)  # errno.EBUSY on MicroPython and on POSIX hosts; private: no global in the dict
_SYNC_MS = const(4000)  # longest resync when the caller gives no deadline
_QUIET_MS = const(200)  # silence that tells late answers have stopped coming
_TRY_MS = const(1000)  # one sync exchange
_GUARD_MS = const(1100)  # ERRATA 20's 1000 ms of silence around +++, with a margin
_LATE_PROMPT_MS = const(200)  # how long a prompt may follow an ERROR that came among strays
_LATE_MS = const(3000)  # how long after a timeout its late answer is expected
_FINAL_LETTERS = const(0xCDA72)  # A D E F I K L N O R S as bits of (letter - 64)
_ESC = const(b"\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b")  # 16 ESC: fed to a module that waits for payload: ESC also cancels a send

# Which finals a command accepts, as bit masks of kinds; any other final that arrives
# while it waits is a stray answer of an older command (counted, not taken).
# (Literal values: const() cannot read at.K_*; tests_host/test_engine_finals.py checks them.)
_F_OK = const(0x2)  # 1 << K_OK
_F_ERR = const(0xC)  # K_ERROR, K_CME (private: folded in, not module globals; issue 11)
_F_STD = const(0xE)  # _F_OK | _F_ERR
_F_PROMPT = const(0x4000C)  # K_PROMPT | _F_ERR
_F_SENT = const(0x3C)  # K_SEND_OK, K_SEND_FAIL | _F_ERR
_F_CLOSE = const(0x4C)  # K_CLOSE_OK | _F_ERR
_F_DEACT = const(0x8C)  # K_DEACT_OK | _F_ERR
_F_CONNECT = const(0x110C)  # K_CONNECT, K_NO_CARRIER | _F_ERR
_F_REBOOT = const(0x80000)  # K_REBOOT, accepted by every command
# The parser's line groups (at._G_*), private in both modules so that neither dict holds
# them; tests_host/test_engine_finals.py checks they agree.
_G_FINAL = const(1)
_G_RESPONSE = const(2)
_G_URC = const(3)
_G_LATE = const(4)
_G_ECHO = const(5)
_G_UNKNOWN = const(6)


class Engine:
    def __init__(self, uart, rxbuf=512, line=256, debug=None):
        self.port = compat.uart_port(uart)
        self.ring = Ring(rxbuf, self.port)
        self.p = at.Parser(line)
        self.cmd = bytearray(_CMD_SIZE)
        self.cmdlen = 0
        self.final = 0  # final result kind of the running command, 0 while waiting
        # The finals the running command accepts; 0 when no command is in flight (one
        # attribute for both keeps the engine's dict a size step smaller, issue 11).
        self.finals = 0
        self.hold = False  # after "> " or CONNECT: leave the following bytes in the ring
        # Hooks set by the layers above (callables, or None):
        self.on_urc = None  # pyright: ignore  (parser) -> None: records into fixed slots, never sends
        self.on_line = None  # pyright: ignore  (parser) -> None: the running command's response lines
        self.on_lost = None  # pyright: ignore  (slot) -> None: an exchange of that socket was lost
        self.slot = -1  # the socket index whose exchange is in flight (set after begin())
        self.read_slot = -1  # the socket that sent the last read command
        self.sent_slot = -1  # the socket whose send was the last exchange (see _timeout)
        self.need_line = False  # the running command always answers a line before OK
        self.got_line = False  # ... and it came
        self.wdl = 0  # deadline of the write in progress
        self.tmo = 0  # the running command's timeout; its payload gets as long
        if debug is not None and hasattr(debug, "buffer"):
            debug = debug.buffer  # a text stream such as sys.stdout: write bytes below it
        self.debug = debug  # a binary stream for the AT transcript, or None
        # What the module may still be waiting for, when an exchange's end was not seen:
        self.unsure = False  # resync before the next command
        self.owed = 0  # payload bytes the module may still wait for (after a prompt)
        self.promised = 0  # payload the running command will ask for after its prompt or CONNECT
        self.sent = 0  # payload just written: if its answer never comes, bytes of it may be missing
        self.data_mode = False  # the module may be in transparent data mode
        # Loud counters; their sum is epoch(): anything that may hide a restart.
        self.stray = 0  # final results that no command was waiting for
        self.late_due = 0  # answers still owed by commands given up (timeouts) ...
        self.late_dl = 0  # ... expected until then
        self.odd = 0  # strays no such command explains, and lines like pieces of a final
        self._odd0 = 0  # odd when the running command began waiting
        self._echo0 = 0  # echoes then
        self.stray_sent = 0  # ... of those strays, SEND OK (a send given up as failed went out)
        self.banners = 0  # RDY seen (the module restarted)
        self.echoes = 0  # echoed command lines while echo should be off
        self.timeouts = 0
        self.resyncs = 0
        self.echo_off = False  # set once ATE0 was answered OK
        self._synced = False

    def epoch(self):
        """Changes whenever something happened that could hide a module restart: a
        timeout, a stray or lost answer, an echo, a banner, a damaged line, a resync."""
        p = self.p
        return (self.stray + self.banners + self.echoes + self.timeouts + self.resyncs
                + p.unknown + p.overflows + p.noise)

    # --- formatting, in place ----------------------------------------------------------
    def begin(self, text):
        """Start a command line with text (bytes)."""
        self.cmdlen = 0
        self.slot = -1
        self.add(text)

    def add(self, text):
        n = self.cmdlen
        if n + len(text) >= _CMD_SIZE:
            raise OSError(_EINVAL, "command too long")
        self.cmd[n : n + len(text)] = text
        self.cmdlen = n + len(text)

    def add_byte(self, c):
        if self.cmdlen + 1 >= _CMD_SIZE:
            raise OSError(_EINVAL, "command too long")
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
            raise OSError(_EINVAL, "command too long")
        self.cmdlen += d
        t = self.cmdlen
        while d:
            t -= 1
            self.cmd[t] = 48 + v % 10
            v //= 10
            d -= 1

    def add_quoted(self, text):
        """"text": callers pass only what check.text() let through."""
        self.add_byte(34)
        self.add(text)
        self.add_byte(34)

    def add_hex4(self, v):
        """0X%04X, as the module prints cipher suites."""
        self.add(b"0X")
        s = 12
        while s >= 0:
            d = (v >> s) & 15
            self.add_byte(48 + d if d < 10 else 55 + d)
            s -= 4

    # --- running ---------------------------------------------------------------------
    def command(self, text, timeout_ms=300, expect=None, finals=_F_STD):
        """Run a constant command; returns the final kind (raises on timeout)."""
        self.begin(text)
        return self.run(timeout_ms, expect, finals)

    def run(self, timeout_ms, expect=None, finals=_F_STD, promised=0):
        """Send the formatted command and wait for one of its finals. promised: payload
        bytes the module will wait for after its prompt (or CONNECT)."""
        # A query that always answers a line (not a read, whose empty answer is a bare
        # OK): an OK before that line is an older answer, not this one's.
        timeout_ms = clamp_ms(timeout_ms)  # None or huge: as long as ticks allow
        self.need_line = expect is not None and expect is not at.BARE and not at.answers_raw(expect)
        if self.unsure:
            timeout_ms = self._resync_keep(timeout_ms)  # escapes data mode if the module may be in it
        elif self.data_mode:
            # A transparent socket is in data mode: this command would go to its peer as
            # payload (and its answer never come).
            raise OSError(_EBUSY, "a transparent socket is in data mode: escape() or close() it first")
        self.promised = promised
        self.tmo = timeout_ms
        # What the ring still holds came before this command: URCs, or finals of older
        # commands (strays). Parsed now, so none of it can end this command.
        self.finals = 0
        self._drain()
        self.p.expect = expect
        self.p.expect_bare = expect is at.BARE
        self.send_command()
        return self.wait(timeout_ms, finals)

    def _resync_keep(self, timeout_ms):
        # The formatted command, its line consumer, socket and payload buffer wait while
        # resync runs an exchange of its own, within the command's time: what is left of
        # it is returned for the command itself.
        h = self.on_line
        slot = self.slot
        need = self.need_line
        p = self.p
        dst = p.raw_dst
        p.raw_dst = None  # a late payload must not land in the new read's buffer
        t0 = ticks_ms()
        self.resync(timeout_ms)
        self.on_line = h
        self.slot = slot
        self.need_line = need
        p.raw_dst = dst
        left = timeout_ms - ticks_diff(ticks_ms(), t0)
        if left <= 0:
            raise OSError(compat.ETIMEDOUT, "timeout: no time left after resync")
        return left

    def send_command(self):
        """Write the formatted command line (with its CR) to the UART."""
        n = self.cmdlen
        self.cmd[n] = 13
        if self.debug is not None:
            self._log(b">> ", self.cmd, n)
        self.wdl = ticks_add(ticks_ms(), self.tmo if self.tmo < 2000 else 2000)
        if self._write_all(self.cmd, 0, n + 1):
            self.unsure = True  # half a line may be in the module
            raise OSError(compat.ETIMEDOUT, "the UART took no more bytes")

    def send_payload(self, buf, off, n):
        """Write buf[off:off+n] after a prompt (or CONNECT), within the time the command
        had (tmo). Whatever could not be written in time is owed: the module still waits
        for it (resync feeds it)."""
        self.hold = False
        self.wdl = ticks_add(ticks_ms(), clamp_ms(self.tmo))
        self.sent = n
        self.owed = self._write_all(buf, off, n)
        if self.owed:
            self._lost()
            raise OSError(compat.ETIMEDOUT, "the UART took no more bytes")

    def _write_all(self, buf, off, n):
        # A UART that takes nothing must not make us spin forever: bounded by wdl.
        # Returns what could not be written.
        while n > 0:
            w = self.port.write(buf, off, n)
            if w:
                off += w
                n -= w
            elif ticks_diff(self.wdl, ticks_ms()) <= 0:
                return n
            else:
                sleep_ms(1)
        return 0

    def _lost(self):
        # The exchange's end was not seen: resync before the next command, and the
        # socket it belonged to fails (its data may be lost).
        self.unsure = True
        if self.slot >= 0 and self.on_lost is not None:
            self.on_lost(self.slot)

    def wait(self, timeout_ms, finals=_F_STD):
        """Pump until the running command has one of its finals, or raise ETIMEDOUT."""
        self.final = 0
        self._odd0 = self.odd
        self._echo0 = self.echoes
        self.got_line = False
        self.finals = finals | _F_REBOOT
        self.hold = False
        deadline = ticks_add(ticks_ms(), clamp_ms(timeout_ms))
        while not self.final:
            # The deadline holds even while bytes keep coming (noise, URCs).
            if ticks_diff(deadline, ticks_ms()) <= 0:
                self._timeout()
            if not self.pump():
                self.ring.nap(1)
        if self.promised and self.final != _K_PROMPT and self.final != _K_CONNECT:
            self._no_prompt()
        self._done()
        self.sent_slot = -1
        if self.final == _K_REBOOT:
            self.unsure = True
        return self.final

    def _no_prompt(self):
        # A payload command ended without its prompt (ERROR, +CME ERROR, RDY).
        k = self.final
        if self.odd != self._odd0 and k != _K_REBOOT and self.finals & _F_PROMPT & ~_F_ERR:
            # Strays came during it: the ERROR it took may be one of them, with its own
            # prompt still on the way. Wait a little for that prompt.
            self.final = 0
            self.finals = _F_PROMPT & ~_F_ERR
            dl = ticks_add(ticks_ms(), _LATE_PROMPT_MS)
            while not self.final and ticks_diff(dl, ticks_ms()) > 0:
                if not self.pump():
                    self.ring.nap(1)
            if self.final == _K_PROMPT:
                return
            self.final = k
        # That end may be a stray from before, with the prompt still to come: then the
        # module waits for the payload. Resync feeds it before the next command either way.
        self.owed = self.promised
        self.unsure = True

    def _done(self):
        self.promised = 0
        self.sent = 0
        self.finals = 0
        self.on_line = None
        self.p.expect = None
        self.p.expect_bare = False

    def _timeout(self):
        # The command is given up, and its answer may still come: resync before the next
        # one. A module that may have given a prompt waits for the promised payload.
        # Payload promised (prompt maybe lost), or written and unanswered (bytes of it may
        # have been lost on the way: the module still counts them): owed either way.
        k = self.promised if self.promised else self.sent
        if k > self.owed:  # a resync's own timeout must not forget what is still owed
            self.owed = k
        self._done()
        self.timeouts += 1
        self.late_due += 1
        self.late_dl = ticks_add(ticks_ms(), _LATE_MS)
        self._lost()
        if self.sent_slot >= 0 and self.on_lost is not None:
            # The command right after a send went unanswered: a byte lost from the send's
            # length would do that (the module took fewer bytes and reads the rest as the
            # start of a command line). What that socket's peer got is not known.
            self.on_lost(self.sent_slot)
        self.sent_slot = -1
        p = self.p
        p.raw_dst = None
        if p.mode == _M_RAW:
            p.reset()
        raise OSError(compat.ETIMEDOUT, "timeout: " + self.command_text())

    def command_text(self):
        return bytes(self.cmd[: self.cmdlen]).decode()

    def check(self, kind):
        """Raise ATError unless kind is OK."""
        if kind != _K_OK:
            self.fail(kind)

    def fail(self, kind, errno=_EIO):
        if kind == _K_REBOOT:
            raise OSError(compat.ECONNRESET, "the module restarted during " + self.command_text())
        if self.echoes != self._echo0:
            # Echo came back while it was off: the module restarted (no RDY seen), and
            # that, not the command, is why it was refused.
            raise OSError(compat.ECONNRESET, "the module restarted (its echo is back) during " + self.command_text())
        from qssl.errors import ATError  # loaded with the first refusal: a happy path never needs it

        raise ATError(bytes(self.cmd[: self.cmdlen]), self.p.code if kind == _K_CME else -1, errno)

    def poll(self):
        """Process what the UART holds (URCs) without blocking. Bounded: a line that
        never stops talking must not hold the caller."""
        n = 8
        while n and self.pump():
            n -= 1

    def drain(self, quiet_ms=300, limit_ms=3000):
        """Process input until the line has been quiet for quiet_ms (at most limit_ms).
        Answers to commands nobody waits for any more are counted as stray, so they
        cannot be taken for the answer of the next command."""
        self.finals = 0
        deadline = ticks_add(ticks_ms(), clamp_ms(limit_ms))
        quiet = ticks_add(ticks_ms(), quiet_ms)
        while ticks_diff(deadline, ticks_ms()) > 0 and ticks_diff(quiet, ticks_ms()) > 0:
            if self.pump():
                quiet = ticks_add(ticks_ms(), quiet_ms)
            else:
                sleep_ms(5)

    # --- resync ----------------------------------------------------------------------------
    def resync(self, timeout_ms=_SYNC_MS):
        """Bring the module back to a known command state: feed the payload it may still
        wait for (that data is lost; its socket was failed), escape data mode if it may
        be in it, end any half line, let late answers arrive (counted as stray), then
        confirm with AT+CMEE?, whose "+CMEE:" line no older answer can supply. Raises
        ETIMEDOUT (and stays unsure) when the module does not answer in time."""
        deadline = ticks_add(ticks_ms(), clamp_ms(timeout_ms))
        self.resyncs += 1
        self.unsure = True
        self.slot = -1  # its own exchange belongs to no socket
        # Strays met here are what a resync is for (late answers, the ERROR of its filler
        # line): explained, so they cast no doubt on a send.
        self.sent_slot = -1
        odd = self.odd
        self._done()
        self.hold = False
        p = self.p
        p.raw_dst = None
        p.reset()
        self.wdl = deadline
        # Up to 16 bytes more than owed: the module may miss more than we know (bytes
        # lost on the way, or all of them while it was busy), and it is fed again before
        # every try. What it does not take is a junk line, ended by the CR.
        fill = self.owed + len(_ESC) if self.owed > 0 else 0
        while ticks_diff(deadline, ticks_ms()) > 0:
            n = fill
            while n > 0:
                k = n if n < len(_ESC) else len(_ESC)
                if self._write_all(_ESC, 0, k):
                    raise OSError(compat.ETIMEDOUT, "the UART took no more bytes (resync)")
                n -= k
            if self.data_mode:
                self.escape_data()
            self._write_all(b"\r", 0, 1)
            self.drain(_QUIET_MS, ticks_diff(deadline, ticks_ms()))  # clamped to >= 0 there
            p.reset()  # the line was quiet: a payload still counted down (bogus header) is over
            # One try: AT+CMEE?, confirmed by its "+CMEE:" line and then OK.
            self._synced = False
            self.on_line = self._sync_line
            p.expect = b"+CMEE:"
            self.wdl = deadline
            self._write_all(b"AT+CMEE?\r", 0, 9)
            if self.debug is not None:
                self._log(b">> ", b"AT+CMEE? (resync)", 17)
            try:
                # An OK without the +CMEE: line before it is an older answer: keep waiting.
                while True:
                    t = ticks_diff(deadline, ticks_ms())
                    if t <= 0:
                        break
                    kind = self.wait(t if t < _TRY_MS else _TRY_MS, _F_STD)
                    if self._synced and kind == _K_OK:
                        self.unsure = False
                        self.owed = 0
                        self.odd = odd
                        return
                    self.stray += 1
                    self.on_line = self._sync_line
                    p.expect = b"+CMEE:"
            except OSError:
                self.timeouts -= 1  # a missed sync is not one more doubt
        raise OSError(compat.ETIMEDOUT, "the module does not answer (resync)")

    def escape_data(self):
        """+++ between guard times (1 s of silence each side, ERRATA 20): leaves
        transparent data mode. Harmless in command mode (a junk line, ended later).
        The silence counts on the wire: what the UART still has to send goes first."""
        # UART.flush() (MicroPython, pyserial) waits until the TX FIFO is empty.
        flush = getattr(self.port, "flush", None)
        if flush is not None:
            flush()
        sleep_ms(_GUARD_MS)
        self.wdl = ticks_add(ticks_ms(), 1000)
        self._write_all(b"+++", 0, 3)
        if flush is not None:
            flush()
        sleep_ms(_GUARD_MS)
        self.data_mode = False

    def _sync_line(self, p):
        self._synced = True
        if p.n and p.line[p.n - 1] != 49:  # "+CMEE: 0": the module lost our AT+CMEE=1
            self.echoes += 1

    # --- the input side ------------------------------------------------------------------
    def pump(self):
        """Read the UART into the ring and parse it. True if any byte came in."""
        # What the ring still holds (bytes held back after a prompt) is parsed first,
        # so the fill finds the ring empty and reads at offset 0 without allocating.
        self._drain()
        if self.finals and self.final:
            return True  # what follows the final waits in the ring for the next wait()
        got = self.ring.fill(self.port)
        self._drain()
        return got > 0

    def _drain(self):
        # Parsing stops at the running command's final: a second final in the same read
        # (OK, then the CONNECT or ERROR of a transparent open) belongs to the next wait().
        r = self.ring
        while r.count and not self.hold and not (self.finals and self.final):
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
        if ev == _EV_LINE:
            if self.debug is not None:
                self._log(b"<< ", p.line, p.n)
            g = p.group
            if g == _G_FINAL:
                self._final(p.kind)
            elif g == _G_RESPONSE:
                self.got_line = True
                if self.on_line is not None:
                    self.on_line(p)
            elif g == _G_URC or g == _G_LATE:
                self._urc(p.kind)
            elif g == _G_ECHO and self.echo_off:
                self.echoes += 1
            elif g == _G_UNKNOWN:
                self._unknown(p)
        elif ev == _EV_PROMPT:
            self._final(_K_PROMPT)
        elif ev == _EV_RAW:
            if self.debug is not None:
                self._log(b"<< ", b"<payload>", 9)

    def _unknown(self, p):
        if p.mode == _M_RAW:
            # A read's answer (header and payload) that no read waits for: a late answer, or
            # one whose command took a stray OK for its own. Its data is gone: the socket
            # that read last fails, and the next command resyncs.
            self.unsure = True
            if self.read_slot >= 0 and self.on_lost is not None:
                self.on_lost(self.read_slot)
            return
        # Made only of the letters of SEND OK / SEND FAIL / ERROR (noise bytes aside):
        # perhaps a damaged final, which casts doubt on a send (see _final).
        n = p.n
        if n > 12:
            return
        line = p.line
        k = 0
        for i in range(n):
            c = line[i]
            if 64 <= c < 96 and (_FINAL_LETTERS >> (c - 64)) & 1:
                k += 1
            elif c != 32 and c < 127:
                return
        if k:
            self.odd += 1
            if self.sent_slot >= 0 and self.on_lost is not None:
                self.on_lost(self.sent_slot)
            self.sent_slot = -1

    def _final(self, k):
        if not self.final and self.finals & (1 << k) and (
                k != _K_OK or self.got_line or not self.need_line):
            self.final = k
            if k == _K_PROMPT or k == _K_CONNECT:
                self.hold = True
        else:
            self.stray += 1
            if self.late_due and ticks_diff(self.late_dl, ticks_ms()) > 0:
                self.late_due -= 1  # the answer of a command given up: expected, explained
                return
            self.late_due = 0
            self.odd += 1
            if k == _K_SEND_OK:
                self.stray_sent += 1
            # A stray final (or, in _unknown, a line that may be a piece of one) after a
            # send reported as sent and before the next command ended: that send's answer
            # may have been a stray and its own one damaged. What its peer got is not
            # known: the socket fails.
            if self.sent_slot >= 0 and self.on_lost is not None:
                self.on_lost(self.sent_slot)
            self.sent_slot = -1

    def _urc(self, k):
        if k == _K_URC_RDY:
            self.banners += 1
            self.echo_off = False
            # The module restarted under us: the command in flight is lost.
            if self.finals and not self.final:
                self.final = _K_REBOOT
        if self.on_urc is not None:
            self.on_urc(self.p)

    def _log(self, prefix, buf, n):
        d = self.debug
        if d is not None:
            d.write(prefix)
            d.write(bytes(buf[:n]))
            d.write(b"\n")
