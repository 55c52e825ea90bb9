"""qssl's line parser with what only the host side needs.

The emulator frames the host's command lines with the library's own parser, and must
also take a payload whose length it learned from the command (after "> "), which the
library never does: the module tells it the length in a header. Those methods, and the
field helpers only the tests use, live here, so a board does not hold them in RAM.
"""
from qssl import at


class HostParser(at.Parser):
    def start_raw(self, n):
        """Enter RAW(n) now: data after a prompt."""
        self.raw_left = n
        self.raw_len = n
        self.raw_dropped = 0
        self._skip_lf = False
        self._want_trail = False
        self.mode = at._M_RAW if n > 0 else at._M_LINE

    def field_eq(self, i, text):
        """Field i of the last fields() equals text (no allocation)."""
        o = self.offs
        s = o[2 * i]
        return o[2 * i + 1] - s == len(text) and self.line.startswith(text, s)

    def field_bytes(self, i):
        """Field i as new bytes."""
        o = self.offs
        return bytes(self.line[o[2 * i] : o[2 * i + 1]])
