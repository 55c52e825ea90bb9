"""A serial line at a baud rate, one direction: every byte takes 10 bits (8N1).

Line.send() hands bytes to a sink no earlier than the end of their stop bit. The
schedule is kept against the monotonic clock (byte k of a record is due at
start + (k + 1) * 10 / baud), never as sleep-after-write, so it neither drifts nor
lets a burst arrive ahead of its time. Bytes due within BATCH_S of each other are
handed over together at the due time of the last of them (never earlier), which
keeps the wake-ups to a few hundred a second; a record's last byte is always
handed over exactly when it is due.
"""
import time

BATCH_S = 0.002
MIN_BATCH = 4  # so a short write such as "+++" reaches the module in one piece
_MAX_NAP = 0.05  # longest single sleep, so stop() is noticed


def wire_seconds(nbytes, baud):
    """Time nbytes take on a line at baud (8N1)."""
    return nbytes * 10.0 / baud


class Line:
    def __init__(self, baud):
        if not baud or baud <= 0:
            raise ValueError("baud must be a positive number, got %r" % (baud,))
        self.baud = baud
        self.byte_s = 10.0 / baud
        self.batch = max(MIN_BATCH, int(BATCH_S / self.byte_s))
        self.free = 0.0  # when the stop bit of the last byte sent so far ends

    def send(self, data, sink, ready=0.0, hold=None, alive=None):
        """Put data on the line after what is already on it, starting no earlier than
        ready (the monotonic time the sender wrote it). sink(piece) is called once
        each piece's last byte has arrived. hold() may return a time before which
        the line stays silent (a fault); alive() false abandons the rest.
        Returns the number of bytes handed to the sink."""
        n = len(data)
        mv = memoryview(data)
        bs = self.byte_s
        start = max(ready, self.free)
        i = 0
        while i < n:
            if hold is not None:
                h = hold()
                if h > start + i * bs:
                    start = h - i * bs  # the rest goes out after the silence
            j = min(n, i + self.batch)
            if not _sleep_until(start + j * bs, alive):
                self.free = time.monotonic()
                return i
            sink(bytes(mv[i:j]))
            i = j
        self.free = start + n * bs
        return n


def _sleep_until(due, alive):
    while True:
        d = due - time.monotonic()
        if d <= 0:
            return True
        if alive is not None and not alive():
            return False
        time.sleep(min(d, _MAX_NAP))
