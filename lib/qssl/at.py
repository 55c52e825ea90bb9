# The AT line parser, shared by the library and the emulator: no I/O, no timing.
#
# One state machine with two modes. LINE frames bytes into self.line and classifies
# each complete line in a fixed order: final result -> the running command's expected
# prefix -> URC table -> unknown. RAW(n) is entered only after a header gave a length
# (+QSSLRECV:, +QSSLRCV:, +QIRD:) or when the owner asks for it; it counts bytes and
# never looks for delimiters. Nothing here allocates per byte, per line or per URC.
from qssl.compat import const

# errno values that are the same on every port (POSIX's historical low numbers), as private
# copies (tests_host/test_shared_consts.py checks them against errno).
_EIO = const(5)

# Events returned by Parser.feed()
_EV_NONE = const(0)  # all input consumed, nothing complete yet
_EV_LINE = const(1)  # a line is in line[0:n], its kind in .kind
_EV_PROMPT = const(2)  # "> " seen at the start of a line
_EV_RAW = const(3)  # a RAW(n) payload has been fully consumed
_EV_OVERFLOW = const(4)  # an over-long line was dropped up to its line end

# Line kinds, by group (Parser.group says which; the engine routes by group, never by
# number ranges). Final results end a command:
_K_OK = const(1)
_K_ERROR = const(2)
_K_CME = const(3)  # +CME ERROR: <code> / +CMS ERROR: <code>, code in .code
_K_SEND_OK = const(4)
_K_SEND_FAIL = const(5)
_K_CLOSE_OK = const(6)
_K_DEACT_OK = const(7)
_K_CONNECT = const(8)
_K_CONNECT_OK = const(9)
_K_CONNECT_FAIL = const(10)
_K_ALREADY = const(11)
_K_NO_CARRIER = const(12)
_K_PROMPT = const(18)  # set by the engine when "> " ends a command's first half
_K_REBOOT = const(19)  # set by the engine when RDY ends a command (the module restarted)
# The running command's response lines:
_K_RESPONSE = const(20)  # matched the running command's expected prefix
# URCs, any time:
_K_URC_RECV = const(30)  # +QSSLURC: "recv",<cid>,<ssid>
_K_URC_CLOSED = const(31)  # +QSSLURC: "closed",<ssid>
_K_URC_OPEN = const(32)  # +QSSLOPEN: <ssid>,<code>
_K_URC_QIRDI = const(33)  # +QIRDI: <cid>,<sc>,<sid>
_K_URC_TCP_CLOSED = const(34)  # <i>, CLOSED
_K_URC_PDP_DEACT = const(35)  # +PDP DEACT
_K_URC_RDY = const(36)  # RDY: the module (re)started
_K_URC_CALL_READY = const(37)  # Call Ready: readiness, also after a SIM becomes ready
_K_URC_SMS_READY = const(38)  # SMS Ready: the same
_K_URC_LINK_CLOSED = const(39)  # CLOSED: the transparent link broke
_K_URC_OTHER = const(40)  # a known-harmless URC we do not act on
_K_ECHO = const(50)  # an echoed command line
_K_UNKNOWN = const(60)

# Groups (Parser.group)
_G_FINAL = const(1)
_G_RESPONSE = const(2)
_G_URC = const(3)
_G_LATE = const(4)  # "<i>, CONNECT OK" / "<i>, CONNECT FAIL" / "<i>, ALREADY CONNECT": AT+QIOPEN's late result
_G_ECHO = const(5)
_G_UNKNOWN = const(6)

# Parser modes
_M_LINE = const(0)
_M_RAW = const(1)
_M_DATA = const(2)  # transparent data mode: the owner reads the ring itself

_MAX_FIELDS = const(16)
# Numbers in module lines stay below 2**28, so they are small ints on every board.
_MAX_DIGITS = const(8)
_MAX_HEX = const(7)

# Pass as the expected prefix for commands that answer with unprefixed lines
# (AT+QILOCIP, ATI): those lines then come out as _K_RESPONSE, after URCs are ruled out.
BARE = b"<bare>"


# Tables are data: parallel tuples of patterns and kinds, walked by index so the
# walking functions keep small frames (see _exact). As private consts they stay out of the
# module's dict (constant tuples and bytes live in flash). Finals match exactly, also
# after an "<i>, " prefix.
_FIN_P = const((
    b"OK",
    b"ERROR",
    b"SEND OK",
    b"SEND FAIL",
    b"CLOSE OK",
    b"DEACT OK",
    b"CONNECT",
    b"CONNECT OK",
    b"CONNECT FAIL",
    b"ALREADY CONNECT",
    b"NO CARRIER",
))
# (_K_OK, _K_ERROR, _K_SEND_OK, _K_SEND_FAIL, _K_CLOSE_OK, _K_DEACT_OK, _K_CONNECT, _K_CONNECT_OK,
#  _K_CONNECT_FAIL, _K_ALREADY, _K_NO_CARRIER), as a literal so that it can be a const
_FIN_K = const(b"\x01\x02\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c")
# URCs matched by prefix
_URC_P = const((
    b'+QSSLURC: "recv",',
    b'+QSSLURC: "closed",',
    b"+QSSLURC: recv,",
    b"+QSSLURC: closed,",
    b"+QSSLOPEN: ",
    b"+QIRDI: ",
    b"+PDP DEACT",
    b"+CPIN: ",
    b"+CFUN: ",
    b"+CGREG: ",
    b"+CREG: ",
))
# (_K_URC_RECV, _K_URC_CLOSED, _K_URC_RECV, _K_URC_CLOSED, _K_URC_OPEN, _K_URC_QIRDI,
#  _K_URC_PDP_DEACT, then _K_URC_OTHER four times)
_URC_K = const(b"\x1e\x1f\x1e\x1f\x20\x21\x23\x28\x28\x28\x28")
# URCs matched exactly; "CLOSED" after "<i>, " is _K_URC_TCP_CLOSED instead
_URCX_P = const((b"RDY", b"Call Ready", b"SMS Ready", b"CLOSED"))
_URCX_K = const(b"\x24\x25\x26\x27")  # (_K_URC_RDY, _K_URC_CALL_READY, _K_URC_SMS_READY, _K_URC_LINK_CLOSED)
_ERR_P = const((b"+CME ERROR:", b"+CMS ERROR:"))
# Headers that announce a payload of <last field> bytes.
_RAW_P = const((b"+QSSLRECV:", b"+QSSLRCV:", b"+QIRD:"))


# MicroPython keeps a call frame on the C stack only while locals plus value stack fit
# in 11 words; bigger frames are taken from the heap. The hot functions below are
# split and written (index loops, few locals, calls with few arguments) to stay under.
class Parser:
    def __init__(self, line_size=256):
        self.line = bytearray(line_size)
        self.n = 0  # length of the line in line[]
        self.pos = 0  # index after the last byte consumed by feed()
        self.kind = 0
        self.group = 0
        self.index = -1  # the <i> of "<i>, CONNECT OK" and friends, else -1
        self.body = 0  # offset in line[] where the text after "<i>, " starts
        self.code = 0  # +CME ERROR code
        self.mode = _M_LINE
        self.expect = None  # type: bytes | None  # prefix of the running command's response lines
        self.expect_bare = False  # running command answers with unprefixed lines
        self._drop = False  # inside an over-long line
        self._skip_lf = False  # last line ended with CR: one LF that follows is its end
        self._handed = False  # line[] holds a line handed out; the next feed starts anew
        # RAW(n) state
        self.raw_left = 0
        self.raw_len = 0  # length announced by the last header
        self.raw_dst = None  # type: bytearray | memoryview | None  # where payload goes; None discards it
        self.raw_pos = 0  # next write offset in raw_dst
        self.raw_cap = 0  # raw_dst may be written up to here
        self.raw_dropped = 0  # payload bytes that did not fit raw_dst (this payload)
        self.after_raw = False  # a payload ended since set_raw_dst()
        self.slipped = 0  # unknown lines after that payload: its count slipped (bytes lost or added)
        self.torn = 0  # unknown lines that may be a read's damaged header (see _torn_header)
        self._trail = 0  # a read's payload ended: 1 = CR must follow, 2 = then LF (ERRATA 10)
        self._want_trail = False  # the payload in progress came from a read answer's header
        # Counters: loud, never silent.
        self.unknown = 0
        self.overflows = 0
        self.noise = 0
        # Field offsets of the last fields() on line[]: 16-bit items, 80 B on a 32-bit board
        # where a list of 32 ints takes 144 B (issue 11). Imported here, not at module
        # level: one global fewer in this module's dict.
        from array import array

        self.offs = array("H", range(2 * _MAX_FIELDS))

    # --- owner controls -------------------------------------------------------
    def reset(self):
        """Back to LINE at a line start (after a timeout or a mode switch)."""
        self.n = 0
        self._handed = False
        self.mode = _M_LINE
        self.raw_left = 0
        self._drop = False
        self._trail = 0

    def set_raw_dst(self, dst, start, cap):
        """Where the next RAW payload goes: dst[start:cap]. None discards it."""
        self.raw_dst = dst
        self.raw_pos = start
        self.raw_cap = cap
        self.raw_dropped = 0
        self.after_raw = False
        self.slipped = 0

    # --- input ----------------------------------------------------------------
    def feed(self, buf, i, end):
        """Consume buf[i:end] up to the first event. Returns the event; self.pos is
        the index after the last byte consumed."""
        if self.mode == _M_LINE:
            if self._trail:  # here, not in _feed_line: its frame must stay small enough for the stack
                i = self._eat_trail(buf, i, end)
            return self._feed_line(buf, i, end)
        if self.mode == _M_RAW:
            return self._feed_raw(buf, i, end)
        self.pos = i
        return _EV_NONE

    def _feed_line(self, buf, i, end):
        line = self.line
        cap = len(line)
        if self._handed:
            self._handed = False
            self.n = 0
        n = self.n
        while i < end:
            c = buf[i]
            i += 1
            if c == 13 or c == 10:
                if c == 10 and self._skip_lf:
                    self._skip_lf = False
                    continue
                self._skip_lf = c == 13
                if self._drop:
                    self._drop = False
                    self.n = 0
                    self.overflows += 1
                    self.pos = i
                    return _EV_OVERFLOW
                if n == 0:
                    continue
                self.n = n
                self.pos = i
                self._handed = True
                self._classify()
                return _EV_LINE
            self._skip_lf = False
            if c == 0 or c == 0xFF:
                self.noise += 1
                continue
            if c > 126:
                # Module text is ASCII: bytes >= 0x7F are noise (at a wrong baud rate nearly
                # every byte is one). Counted, and kept: text() refuses the line (EIO).
                self.noise += 1
            if self._drop:
                pass
            elif n == cap:
                self._drop = True
                n = 0
            else:
                line[n] = c
                n += 1
                if c == 32 and n == 2 and line[0] == 62:  # "> "
                    self.n = 0
                    self.pos = i
                    return _EV_PROMPT
        self.n = n
        self.pos = i
        return _EV_NONE

    def _eat_trail(self, buf, i, end):
        # A read's payload is followed by CR LF before its OK. Any other byte there means
        # the count slipped (a byte lost or added inside the payload), so what was copied
        # is not the payload: counted, and the line framing goes on.
        t = self._trail
        while t and i < end:
            if buf[i] != (13 if t == 1 else 10):
                self.slipped += 1
                t = 0
                break
            i += 1
            t = 2 if t == 1 else 0
        self._trail = t
        return i

    def _feed_raw(self, buf, i, end):
        # Copied by count, byte by byte: a slice copy would allocate a memoryview
        # (32 bytes on MicroPython) per chunk. The loop runs at ~10 MB/s there.
        if self._skip_lf and i < end:
            self._skip_lf = False
            if buf[i] == 10:
                i += 1
        if end - i > self.raw_left:
            end = i + self.raw_left
        self.raw_left -= end - i
        dst = self.raw_dst
        p = self.raw_pos
        stop = end
        if dst is None:
            stop = i
        elif p + end - i > self.raw_cap:
            stop = i + self.raw_cap - p
        self.raw_dropped += end - stop
        while i < stop:
            dst[p] = buf[i]  # pyright: ignore[reportOptionalSubscript]  (stop == i when dst is None)
            i += 1
            p += 1
        self.raw_pos = p
        self.pos = end
        if self.raw_left:
            return _EV_NONE
        self.mode = _M_LINE
        self.n = 0
        self._handed = False
        self.after_raw = True
        if self._want_trail:
            self._trail = 1
        return _EV_RAW

    # --- classification ---------------------------------------------------------
    def _classify(self):
        self._kind()
        k = self.kind
        if k == _K_RESPONSE:
            self.group = _G_RESPONSE
        elif k == _K_ECHO:
            self.group = _G_ECHO
        elif k == _K_UNKNOWN:
            self.group = _G_UNKNOWN
        elif k < _K_RESPONSE:
            self.group = _G_LATE if self.index >= 0 and _K_CONNECT_OK <= k <= _K_ALREADY else _G_FINAL
        else:
            self.group = _G_URC

    def _kind(self):
        line = self.line
        self.index = -1
        self.body = 0
        # "<i>, CONNECT OK", "<i>,CLOSE OK", "<i>, CLOSED" ...
        if self.n >= 3 and 48 <= line[0] <= 57 and line[1] == 44:
            s = 3 if line[2] == 32 else 2
            k = self._exact(_FIN_P, s)
            if k >= 0:
                self.index = line[0] - 48
                self.body = s
                self.kind = _FIN_K[k]
                return
            if self._exact(_URCX_P, s) == 3:
                self.index = line[0] - 48
                self.body = s
                self.kind = _K_URC_TCP_CLOSED
                return
        if line[0] != 43:  # finals never start with "+": skip their table
            k = self._exact(_FIN_P, 0)
            if k >= 0:
                self.kind = _FIN_K[k]
                return
        if self._prefix(_ERR_P) >= 0:
            self.kind = _K_CME
            k = parse_int(line, 11, self.n)
            self.code = -1 if k is None else k
            return
        if self._prefix(_RAW_P) >= 0:
            self._raw_header()
            return
        if self.expect is not None and not self.expect_bare and line.startswith(self.expect):
            self.kind = _K_RESPONSE
            return
        k = self._prefix(_URC_P)
        if k >= 0:
            self.kind = _URC_K[k]
            return
        k = self._exact(_URCX_P, 0)
        if k >= 0:
            self.kind = _URCX_K[k]
            return
        if self.n >= 2 and (line[0] | 32) == 97 and (line[1] | 32) == 116:  # "AT" / "at"
            self.kind = _K_ECHO
            return
        if self.expect_bare:
            self.kind = _K_RESPONSE
            return
        self.kind = _K_UNKNOWN
        self.unknown += 1
        if self.after_raw:
            self.slipped += 1
        elif self._torn_header():
            self.torn += 1

    def _torn_header(self):
        # An unknown line that may be a read's header torn or with a byte lost (the start
        # of a header, or its ",TCP," or name still there), or payload read as a line after
        # its header was lost (it does not start with "+"). An unknown URC ("+XYZ: ...") is
        # none of these, and fails no read.
        line = self.line
        n = self.n
        if line[0] != 43:
            return True
        j = 0
        while j < len(_RAW_P):
            p = _RAW_P[j]
            k = 0
            while k < n and k < len(p) and line[k] == p[k]:
                k += 1
            if k == n:
                return True
            j += 1
        return line.find(b",TCP,", 0, n) >= 0 or line.find(b"RECV", 0, n) >= 0 or line.find(b"RCV", 0, n) >= 0 \
            or line.find(b"QIRD", 0, n) >= 0

    def _exact(self, pats, s):
        # Index of the pattern equal to line[s:n], or -1.
        size = self.n - s
        j = 0
        while j < len(pats):
            p = pats[j]
            if len(p) == size and self.line.startswith(p, s):
                return j
            j += 1
        return -1

    def _prefix(self, pats):
        # Index of the first pattern line[] starts with, or -1.
        j = 0
        while j < len(pats):
            if self.line.startswith(pats[j]):
                return j
            j += 1
        return -1

    def _raw_header(self):
        # The payload length is the last comma-separated field. The payload is kept
        # in step with the stream even when nobody expected it (it is then dropped).
        line = self.line
        j = self.n
        while j > 0 and line[j - 1] != 44:
            j -= 1
        v = parse_int(line, j, self.n)
        # No "<ip>:<port>,TCP,<len>", or a length of 0 (an empty buffer answers a bare OK):
        # a damaged header.
        bad = j == 0 or v is None or v <= 0
        if bad or v is None:
            v = 0
        self.raw_len = v
        self.raw_left = v
        self.raw_dropped = 0
        if v > 0:
            self.mode = _M_RAW
            self._want_trail = True
        if not bad and self.expect is not None and line.startswith(self.expect):
            self.kind = _K_RESPONSE
        else:
            self.kind = _K_UNKNOWN
            self.unknown += 1
            if bad:
                self.torn += 1

    # --- field access -------------------------------------------------------------
    def fields(self, start):
        """Split line[start:n] into fields (see split_fields); offsets in self.offs."""
        return split_fields(self.line, start, self.n, self.offs)

    def field_int(self, i):
        """Field i of the last fields() as an integer, None if it is not one."""
        o = self.offs
        return parse_int(self.line, o[2 * i], o[2 * i + 1])

    def after(self, prefix):
        """Offset just past prefix and any spaces, for fields(); -1 when no match."""
        line = self.line
        if not line.startswith(prefix):
            return -1
        s = len(prefix)
        while s < self.n and line[s] == 32:
            s += 1
        return s


def answers_raw(prefix):
    """True for the prefix of a read's answer (+QSSLRECV:, +QSSLRCV:, +QIRD:), which may
    be a bare OK when there is nothing to read."""
    j = 0
    while j < len(_RAW_P):
        if _RAW_P[j] == prefix:
            return True
        j += 1
    return False


def split_fields(buf, i, end, offs):
    """Quote-aware split of buf[i:end] at commas. Writes (start, end) pairs into offs,
    quotes and surrounding spaces excluded; returns the field count (at most
    len(offs) // 2). A comma inside quotes does not split; empty input gives 0."""
    if i >= end:
        return 0
    count = 0
    while count * 2 < len(offs):
        while i < end and buf[i] == 32:
            i += 1
        if i < end and buf[i] == 34:
            i += 1
            s = i
            while i < end and buf[i] != 34:
                i += 1
            offs[2 * count + 1] = i
            while i < end and buf[i] != 44:
                i += 1
        else:
            s = i
            while i < end and buf[i] != 44:
                i += 1
            offs[2 * count + 1] = _rtrim(buf, s, i)
        offs[2 * count] = s
        count += 1
        if i >= end:
            return count
        i += 1  # the comma
        if i == end and count * 2 < len(offs):  # a trailing comma: one more empty field
            offs[2 * count] = end
            offs[2 * count + 1] = end
            return count + 1
    return count


def _rtrim(buf, s, e):
    while e > s and buf[e - 1] == 32:
        e -= 1
    return e


def parse_int(buf, start, end):
    """Integer in buf[start:end]: spaces, an optional quote pair, sign, decimal or
    0x/0X hex. None when it is not a number."""
    while start < end and buf[start] == 32:
        start += 1
    while end > start and buf[end - 1] == 32:
        end -= 1
    if end - start >= 2 and buf[start] == 34 and buf[end - 1] == 34:
        start += 1
        end -= 1
    if start >= end:
        return None
    neg = False
    c = buf[start]
    if c == 45 or c == 43:
        neg = c == 45
        start += 1
        if start >= end:
            return None
    if end - start > 2 and buf[start] == 48 and (buf[start + 1] | 32) == 120:
        v = parse_hex(buf, start + 2, end)
    elif end - start > _MAX_DIGITS:
        return None  # no module number is this long: garbage, and a long int would allocate
    else:
        v = 0
        for i in range(start, end):
            c = buf[i] - 48
            if c < 0 or c > 9:
                return None
            v = v * 10 + c
    if v is None:
        return None
    return -v if neg else v


def parse_hex(buf, start, end):
    """Hex digits without prefix (the QSECWRITE checksum). None if not hex."""
    if start >= end or end - start > _MAX_HEX:
        return None
    v = 0
    for i in range(start, end):
        c = buf[i] | 32
        if 48 <= c <= 57:
            c -= 48
        elif 97 <= c <= 102:
            c -= 87
        else:
            return None
        v = (v << 4) | c
    return v


def is_ipv4(buf, i, end):
    """True when buf[i:end] is a dotted quad."""
    dots = 0
    digits = 0
    val = 0
    while i < end:
        if buf[i] == 46:
            if digits == 0:
                return False
            dots += 1
            digits = 0
            val = 0
        elif 48 <= buf[i] <= 57:
            digits += 1
            val = val * 10 + buf[i] - 48
            if digits > 3 or val > 255:
                return False
        else:
            return False
        i += 1
    return dots == 3 and digits > 0


def text(buf, start, end):
    """buf[start:end] as str (cold paths: status, info). Module text is printable ASCII;
    anything else is a damaged line: OSError(EIO), never UnicodeError."""
    for i in range(start, end):
        c = buf[i]
        if c < 32 or c > 126:
            raise OSError(_EIO, "garbled text from the module")
    return bytes(buf[start:end]).decode()
