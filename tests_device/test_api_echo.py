# SSL sockets moving data on MicroPython through the public API: 100 KB echoed both
# ways with SHA-256 compared, six sockets at once with their data kept apart (and a
# seventh refused), timeouts and non-blocking reads.
#
# Environment: see tests_device/test_api_https.py (run by tools/run_device_tests.py,
# or by hand with /tmp/qssl_device_env.json).
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()
import errno
import hashlib
import time

from devenv import world, connect  # noqa: E402


def echo_socket(timeout=30):
    return connect("echo", timeout)


def block_byte(seed, i):
    return (i * 7 + seed * 31 + (i >> 8)) & 0xFF


def block(seed, n):
    b = bytearray(n)
    for i in range(n):
        b[i] = block_byte(seed, i)
    return b


def read_block(s, seed, n):
    """Read n bytes and compare them with block(seed, n) as they arrive (no copy of
    the whole: six of them need not fit a board's heap). Returns the first index that
    differs, or -1."""
    buf = bytearray(512)
    got = 0
    bad = -1
    t0 = time.ticks_ms()
    while got < n:
        if time.ticks_diff(time.ticks_ms(), t0) > 60000:
            raise AssertionError("read %d of %d in 60 s" % (got, n))
        k = s.recv_into(buf, min(len(buf), n - got))
        if not k:
            raise AssertionError("EOF after %d of %d" % (got, n))
        j = 0
        while j < k and bad < 0:
            if buf[j] != block_byte(seed, got + j):
                bad = got + j
            j += 1
        got += k
    return bad


def read_exact_into(s, h, n, buf):
    """Read n bytes, feeding them to hash h; returns the count."""
    got = 0
    t0 = time.ticks_ms()
    while got < n:
        if time.ticks_diff(time.ticks_ms(), t0) > 90000:
            raise AssertionError("read %d of %d in 90 s" % (got, n))
        k = s.recv_into(buf, min(len(buf), n - got))
        if not k:
            raise AssertionError("EOF after %d of %d" % (got, n))
        h.update(memoryview(buf)[:k])
        got += k
    return got


def read_exact(s, n):
    out = bytearray()
    buf = bytearray(1500)
    t0 = time.ticks_ms()
    while len(out) < n:
        if time.ticks_diff(time.ticks_ms(), t0) > 60000:
            raise AssertionError("read %d of %d in 60 s" % (len(out), n))
        k = s.recv_into(buf, min(len(buf), n - len(out)))
        if not k:
            raise AssertionError("EOF after %d of %d" % (len(out), n))
        out.extend(memoryview(buf)[:k])
    return bytes(out)


def test_100k_both_ways_sha256():
    total = 100 * 1024
    chunk = block(3, 4096)
    sent = hashlib.sha256()
    rcvd = hashlib.sha256()
    buf = bytearray(1500)
    s = echo_socket(60)
    try:
        t0 = time.ticks_ms()
        off = 0
        while off < total:
            n = min(len(chunk), total - off)
            mv = memoryview(chunk)[:n]
            s.write(mv)
            sent.update(mv)
            read_exact_into(s, rcvd, n, buf)  # the echo of this chunk
            off += n
        dt = time.ticks_diff(time.ticks_ms(), t0)
        print("100 KB each way in %d ms" % dt)
    finally:
        s.close()
    tinytest.eq(rcvd.digest(), sent.digest(), "SHA-256 of the echo")


def test_six_sockets_and_a_seventh():
    socks = []
    try:
        for _ in range(6):
            socks.append(echo_socket())
        ids = sorted(s.ssid for s in socks)
        tinytest.eq(ids, [0, 1, 2, 3, 4, 5], "six indexes")
        sizes = [2000 + 300 * i for i in range(6)]
        for i in range(6):
            socks[i].write(block(10 + i, sizes[i]))
        for i in range(5, -1, -1):
            tinytest.eq(read_block(socks[i], 10 + i, sizes[i]), -1, "socket %d data" % i)
        extra = world()["ctx"].socket()
        extra.settimeout(5)
        try:
            extra.connect((world()["cfg"]["echo_host"], world()["cfg"]["echo_port"]))
            raise AssertionError("a seventh socket connected")
        except OSError:
            pass
        finally:
            extra.close()
    finally:
        for s in socks:
            s.close()
    tinytest.eq(world()["modem"].status()[1], [], "all closed")


def test_timeout_raises_etimedout():
    s = echo_socket()
    try:
        s.settimeout(0.5)
        t0 = time.ticks_ms()
        try:
            s.recv(10)
            raise AssertionError("recv returned with no data")
        except OSError as e:
            tinytest.eq(e.errno, errno.ETIMEDOUT, "errno")
        dt = time.ticks_diff(time.ticks_ms(), t0)
        print("timeout after %d ms" % dt)
        tinytest.eq(450 <= dt <= 2000, True, "timeout duration %d ms" % dt)
        s.settimeout(10)
        s.write(b"still alive")
        tinytest.eq(read_exact(s, 11), b"still alive", "after a timeout")
    finally:
        s.close()


def test_nonblocking():
    s = echo_socket()
    try:
        s.setblocking(False)
        buf = bytearray(16)
        try:
            s.recv_into(buf)
            raise AssertionError("recv_into returned with no data")
        except OSError as e:
            tinytest.eq(e.errno, errno.EAGAIN, "errno")
        tinytest.eq(s.readinto(buf), None, "readinto")
        s.write(b"nb")
        t0 = time.ticks_ms()
        n = None
        while n is None and time.ticks_diff(time.ticks_ms(), t0) < 5000:
            n = s.readinto(buf)
            if n is None:
                time.sleep_ms(10)
        tinytest.eq(n, 2, "readinto result once data is there")
        tinytest.eq(bytes(buf[:2]), b"nb", "data once there")
    finally:
        s.close()


def test_recv_after_close():
    s = echo_socket()
    s.close()
    try:
        s.recv(1)
        raise AssertionError("recv after close returned")
    except OSError:
        pass


tinytest.main(globals())
