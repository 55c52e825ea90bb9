"""What the line between host and module does to the bytes: the module's power and
baud-rate state, and the precise damage tests ask for (emu.faults).

Output: every emit() of the emulator is one chunk with a kind:
  "echo"     the echo of a command line (CR included)
  "final"    a final result line alone: OK, ERROR, +CME ERROR: n, SEND OK, SEND FAIL,
             CLOSE OK, <i>, CLOSE OK, DEACT OK, CONNECT, NO CARRIER, QILOCIP's bare address
  "response" information lines (one line a chunk, e.g. "\\r\\n+CSQ: 23,0\\r\\n"), and the whole
             +QSSLRECV/+QIRD answer (header, payload and OK) and the +QSSLSTATE table as one chunk
  "prompt"   "\\r\\n> "
  "urc"      one URC line, banners included
  "data"     transparent-mode payload from the network, as one network read
  "noise"    what faults.noise()/overlong() write
Input: host bytes pass drop_in before the module sees them.
"""
import re

from . import transcript

KINDS = ("echo", "final", "response", "prompt", "urc", "data", "noise")
DEFAULT_KINDS = tuple(k for k in KINDS if k != "echo")

_FINAL = re.compile(
    rb"^\r\n(OK|ERROR|\+CME ERROR: \d+|\+CMS ERROR: \d+|CONNECT|NO CARRIER|SEND OK|SEND FAIL|"
    rb"CLOSE OK|\d, ?CLOSE OK|DEACT OK|\d+\.\d+\.\d+\.\d+)\r\n$"
)


def line_kind(chunk):
    """The kind of one "\\r\\n<text>\\r\\n" chunk that is not a URC."""
    return "final" if _FINAL.match(chunk) else "response"


def garble(data):
    """A byte stream as a host at the wrong baud rate decodes it: every byte becomes
    one in 0x80..0xFF, so no line end and no text survives."""
    return bytes(0x80 | ((b * 29 + 7) & 0x7F) for b in data)


def check_kinds(kinds):
    if kinds is None:
        return DEFAULT_KINDS
    if isinstance(kinds, str):
        kinds = (kinds,)
    kinds = tuple(kinds)
    for k in kinds:
        if k not in KINDS:
            raise ValueError("unknown chunk kind %r (one of %s)" % (k, ", ".join(KINDS)))
    return kinds


class Wire:
    """Owned by the worker thread. Requests are checked in the caller's thread (a bad one
    raises there) and only append to a list or set a flag."""

    def __init__(self, emu):
        self._emu = emu
        self.power = "on"  # "on", "off" (no output, input ignored), "hung" (the same until power-cycled)
        self.autobaud_wait = False  # after a silent start: mute and deaf until "AT" arrives
        self.wrong_baud = False
        self._mangles = []  # [(kinds, fn)] applied to the first matching chunk each
        self._delays = []  # [(kinds, seconds)]
        self._held = []  # chunks held back by a delay, in order
        self._in_skip = 0
        self._in_drop = 0
        self._sync = b""  # an "A" that may start the autobaud "AT"

    # --- requests (any thread) -------------------------------------------------------
    def mangle_next(self, fn, kinds=None):
        if not callable(fn):
            raise TypeError("mangle_next needs a callable bytes -> bytes")
        self._mangles.append((check_kinds(kinds), fn))

    def delay_next(self, ms, kinds=None):
        ms = float(ms)
        if ms < 0:
            raise ValueError("delay must be >= 0 ms")
        self._delays.append((check_kinds(kinds), ms / 1000.0))

    def drop_in_at(self, skip, n):
        skip, n = int(skip), int(n)
        if skip < 0 or n < 0:
            raise ValueError("skip and count must be >= 0")

        def arm():  # on the worker: both counters change together
            self._in_skip, self._in_drop = skip, n

        self._emu.call(arm)

    def forget_held(self):
        self._held = []

    # --- output (worker thread) -----------------------------------------------------------
    def send(self, data, kind, log=None):
        if self.power != "on" or self.autobaud_wait:
            return  # a module that is off, hung or not yet synced prints nothing
        for i, (kinds, fn) in enumerate(self._mangles):
            if kind in kinds:
                del self._mangles[i]
                data = bytes(fn(bytes(data)))
                log = None
                break
        if self.wrong_baud:
            data = garble(data)
            log = None
        if self._held:
            self._held.append((data, log))
            return
        for i, (kinds, secs) in enumerate(self._delays):
            if kind in kinds:
                del self._delays[i]
                self._held.append((data, log))
                self._emu.add_timer(secs, self._release)
                return
        self._emu.out.emit(data, log)

    def _release(self):
        held, self._held = self._held, []
        for data, log in held:
            self._emu.out.emit(data, log)

    # --- input (worker thread) ------------------------------------------------------------
    def receive(self, data):
        """The bytes of one host write the module gets to see (possibly b"")."""
        if self._in_drop:
            k = min(self._in_skip, len(data))
            self._in_skip -= k
            cut = min(self._in_drop, len(data) - k)
            self._in_drop -= cut
            if cut:
                self._note("<dropped on the way in: %s>" % transcript.text(data[k : k + cut]))
                data = data[:k] + data[k + cut :]
        if self.power != "on" or self.wrong_baud:
            if data:
                self._note("<ignored (%s): %s>" % ("wrong baud" if self.wrong_baud else self.power,
                                                  transcript.text(data)))
            return b""
        if self.autobaud_wait:
            return self._autobaud(data)
        return data

    def _autobaud(self, data):
        # The module learns the rate from "AT" (or "at"); what came before is lost.
        buf = self._sync + data
        for i in range(len(buf) - 1):
            if buf[i : i + 2] in (b"AT", b"at"):
                self.autobaud_wait = False
                self._sync = b""
                return buf[i:]
        self._sync = buf[-1:] if buf[-1:] in (b"A", b"a") else b""
        return b""

    def _note(self, text):
        t = self._emu.transcript
        if t:
            t.host(text)
