# Fixed-size receive ring over one preallocated bytearray.
# The parser consumes straight out of it; it is refilled from the UART at offset 0
# whenever it is empty (no allocation), and only appends through a memoryview slice
# when unread bytes are waiting (transparent mode), which is the rare case.
from qssl.compat import napper


class Ring:
    def __init__(self, size=512, port=None):
        self.buf = bytearray(size)
        self.mv = memoryview(self.buf)
        self.size = size
        self.head = 0  # first unread byte
        self.count = 0  # unread bytes
        # Fills that found the ring full while the UART still had data: loud, though no
        # byte is lost (the rest waits in the UART's own buffer until the parser catches up)
        self.full_events = 0
        # nap(ms): wait up to ms for the port to have bytes, waking at the first byte where
        # the port can be polled (compat.napper); a plain sleep otherwise
        self.nap = napper(port)

    def clear(self):
        self.head = 0
        self.count = 0

    def contiguous(self):
        """Number of unread bytes from head up to the end of the buffer or the data."""
        end = self.head + self.count
        return (end if end <= self.size else self.size) - self.head

    def consume(self, n):
        self.count -= n
        if self.count == 0:
            self.head = 0
        else:
            self.head += n
            if self.head >= self.size:
                self.head -= self.size

    def fill(self, port):
        """Read what the UART holds, without blocking. Returns bytes added."""
        avail = port.any()
        if not avail:
            return 0
        if self.count:
            return self._append(port, avail)
        self.head = 0
        if avail > self.size:
            avail = self.size
        n = port.readinto(self.buf, avail)
        if n:
            self.count = n
            return n
        return 0

    def _append(self, port, avail):
        # Unread bytes are waiting (transparent mode): read behind them, up to the
        # head or the end of the buffer. The memoryview slice allocates 32 bytes.
        tail = self.head + self.count
        if tail >= self.size:
            tail -= self.size
            room = self.head - tail
        else:
            room = self.size - tail
        if room <= 0:
            self.full_events += 1
            return 0
        if avail > room:
            avail = room
        n = port.readinto(self.mv[tail : tail + avail], avail)
        if n:
            self.count += n
            return n
        return 0
