"""The receive ring: fixed buffer, a full ring counted (the rest waits in the UART), wrap-around
with unread data."""
from qssl.ring import Ring


class Port:
    """A MicroPython-shaped port: any(), readinto(buf, n)."""

    def __init__(self, data=b""):
        self.rx = bytearray(data)

    def any(self):
        return len(self.rx)

    def readinto(self, buf, n):
        n = min(n, len(self.rx), len(buf))
        buf[:n] = self.rx[:n]
        del self.rx[:n]
        return n


def put(r, data):
    """Bytes into the ring the way the engine takes them: from a port, one fill() after
    another until the port is empty or the ring full. Returns the bytes taken."""
    p = Port(data)
    took = 0
    for _ in range(4):  # at most two fills wrap a ring; bounded anyway
        n = r.fill(p)
        took += n
        if not n:
            break
    return took


def unread(r):
    out = bytearray()
    h, c = r.head, r.count
    for k in range(c):
        out.append(r.buf[(h + k) % r.size])
    return bytes(out)


def test_put_and_consume():
    r = Ring(8)
    assert put(r, b"abc") == 3
    assert r.contiguous() == 3 and unread(r) == b"abc"
    r.consume(2)
    assert r.head == 2 and r.count == 1
    r.consume(1)
    assert r.head == 0 and r.count == 0  # empty ring restarts at 0


def test_a_full_ring_takes_nothing_more_and_counts_it():
    # the ring never drops a byte: what does not fit stays in the UART, and the full
    # ring is counted (modem.stats()["ring_full"])
    r = Ring(8)
    p = Port(b"0123456789")
    assert r.fill(p) == 8 and unread(r) == b"01234567"
    assert r.fill(p) == 0 and r.full_events == 1 and bytes(p.rx) == b"89"


def test_put_wraps():
    r = Ring(8)
    put(r, b"abcdef")
    r.consume(5)
    assert put(r, b"ghijk") == 5
    assert unread(r) == b"fghijk"
    assert r.contiguous() == 3  # "fgh" up to the end of the buffer
    r.consume(3)
    assert r.head == 0 and r.contiguous() == 3 and unread(r) == b"ijk"


def test_fill_into_empty_ring_from_zero():
    r = Ring(8)
    p = Port(b"0123456789AB")
    assert r.fill(p) == 8
    assert unread(r) == b"01234567"
    assert r.fill(p) == 0 and r.full_events == 1  # full while the port still has data
    r.consume(8)
    assert r.fill(p) == 4 and unread(r) == b"89AB"
    assert r.fill(p) == 0


def test_fill_wraps_around_unread_data():
    r = Ring(8)
    put(r, b"abcdef")
    r.consume(4)  # "ef" unread at 4..5
    p = Port(b"GHIJKL")
    assert r.fill(p) == 2  # behind the data, up to the end of the buffer
    assert unread(r) == b"efGH"
    assert r.fill(p) == 4  # then from the start, up to the head
    assert unread(r) == b"efGHIJKL" and r.count == 8
    assert r.fill(Port(b"z")) == 0 and r.full_events == 1
    r.consume(2)
    assert r.contiguous() == 2 and unread(r) == b"GHIJKL"


def test_clear():
    r = Ring(4)
    put(r, b"ab")
    r.consume(1)
    r.clear()
    assert r.head == 0 and r.count == 0
