# qssl driven the way CircuitPython code drives it, on the MicroPython unix port: a
# UART with busio.UART's shape (tests_device/busio_uart.py) on the emulator's pty,
# sockets from qssl.SocketPool(modem) wrapped by the modem's SSL context as
# adafruit_connection_manager does, then select.poll and asyncio streams over them.
# CircuitPython's select.poll and asyncio accept only io.IOBase streams; MicroPython's
# need the same (an object's ioctl() is called only through IOBase), so this run
# catches sockets that stop being pollable. Also prints the heap allocation per KB
# each way over this UART (compat's adapter path) and bounds it.
#
# Environment: tools/run_device_tests.py starts the emulator and passes its config
# as $QSSL_DEVICE_ENV (the test_net_ prefix asks for it).
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()
import gc
import io
import json
import os
import time

import qssl
from qssl import compat
from busio_uart import BusioUart

# Allocation bounds in bytes per KB over this UART. Measured on the 64-bit unix port
# (round-2 library): 64 B/KB sent and 64 B/KB received, the one memoryview slice the
# adapter makes to write each command line (AT+QSSLSEND / AT+QSSLRECV) from the middle
# of the command buffer. A KB arrives in about 46 UART reads at 115200 baud, so a read
# path that sliced the ring's buffer per read would add ~3000 B/KB received; a payload
# write that sliced would add 64 B/KB sent. The margin is below one slice.
SEND_BOUND = 64 + 48
RECV_BOUND = 64 + 48
KB = 16

_w = {}


def world():
    """The modem on a busio-shaped UART, started and attached, context 0 trusting the
    test CA, and its socket pool (made once per script)."""
    if "modem" in _w:
        return _w
    path = os.getenv("QSSL_DEVICE_ENV")
    if not path:
        raise tinytest.Skip("no $QSSL_DEVICE_ENV (run by tools/run_device_tests.py)")
    with open(path) as f:
        cfg = json.load(f)
    uart = BusioUart(cfg["modem_pty"], timeout=1.0)
    m = qssl.Modem(uart)
    m.start()
    m.attach(apn=cfg.get("apn", "CMNET"))
    ctx = m.ssl_context(0)
    ctx.load_verify_locations(cadata=cfg["ca_pem"])
    _w.update(uart=uart, modem=m, ctx=ctx, pool=qssl.SocketPool(m), cfg=cfg)
    return _w


def pool_tls_socket(timeout=10):
    """As adafruit_connection_manager makes one: getaddrinfo, pool.socket(family,
    type), settimeout, ssl_context.wrap_socket(server_hostname=), connect."""
    w = world()
    host, port = w["cfg"]["echo_host"], w["cfg"]["echo_port"]
    pool = w["pool"]
    info = pool.getaddrinfo(host, port, 0, pool.SOCK_STREAM)[0]
    sock = pool.socket(info[0], info[1])
    sock.settimeout(timeout)
    s = w["ctx"].wrap_socket(sock, server_hostname=host)
    s.connect(info[4])
    return s


def recv_exact(s, n, buf=None):
    buf = buf or bytearray(n)
    got = 0
    end = time.ticks_add(time.ticks_ms(), 20000)
    while got < n and time.ticks_diff(end, time.ticks_ms()) > 0:
        k = s.recv_into(memoryview(buf)[got:], n - got)
        if not k:
            break
        got += k
    return bytes(buf[:got])


def test_busio_shape_goes_through_the_adapter():
    w = world()
    uart, m = w["uart"], w["modem"]
    tinytest.eq(hasattr(uart, "any"), False, "the double has no any()")
    import qssl.uart

    tinytest.eq(isinstance(m.eng.port, qssl.uart.PortAdapter), True, "engine port is the adapter (qssl.uart)")
    tinytest.eq(m.eng.port._u is uart, True, "the adapter wraps our UART")
    tinytest.eq(m.eng.port._whole, True, "reads pass the whole buffer (no slice)")
    tinytest.eq(uart.timeout, 0, "the adapter set the UART's timeout to 0")
    tinytest.eq(uart.reads > 0 and uart.writes > 0, True, "start/attach went over the UART")


def test_pool_socket_wrapped_and_echoed():
    s = pool_tls_socket()
    try:
        tinytest.eq(isinstance(s, io.IOBase), True, "SSL socket is an io.IOBase")
        tinytest.eq(s.send(b"hello busio"), 11)
        tinytest.eq(recv_exact(s, 11), b"hello busio")
    finally:
        s.close()


def test_plain_pool_socket_is_pollable():
    tinytest.need("select")
    import select

    w = world()
    pool = w["pool"]
    s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    try:
        tinytest.eq(isinstance(s, io.IOBase), True, "TCP socket is an io.IOBase")
        s.settimeout(10)
        s.connect((w["cfg"]["tcp_host"], w["cfg"]["tcp_port"]))
        p = select.poll()
        p.register(s, select.POLLIN)
        s.send(b"tcp ping")
        events = p.poll(5000)
        tinytest.eq(len(events), 1, "one event")
        tinytest.eq(bool(events[0][1] & select.POLLIN), True, "POLLIN set")
        tinytest.eq(recv_exact(s, 8), b"tcp ping")
    finally:
        s.close()


def test_pool_socket_has_what_circuitpython_ssl_wraps():
    # CircuitPython's ssl.SSLContext.wrap_socket(sock) raises unless sock.type is
    # SOCK_STREAM and looks up these nine methods (accept/bind/listen even for a client).
    w = world()
    pool = w["pool"]
    s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    try:
        tinytest.eq(getattr(s, "type", None), pool.SOCK_STREAM, "sock.type")
        for name in ("accept", "bind", "close", "connect", "listen", "recv_into", "send",
                     "settimeout", "setsockopt"):
            tinytest.eq(callable(getattr(s, name, None)), True, name)
        for call in (lambda: s.bind(("0.0.0.0", 80)), lambda: s.listen(1), s.accept):
            try:
                call()
                raise AssertionError("a server call returned")
            except OSError as e:
                tinytest.eq(e.args[0], compat.EOPNOTSUPP, "errno")
    finally:
        s.close()


def test_board_ssl_wraps_a_pool_socket():
    # The path CircuitPython's own ssl takes over a pool socket (there mbedTLS calls the
    # socket's send/recv_into): here MicroPython's ssl over a connected pool socket, to the
    # TLS echo server reached through the module's plain TCP.
    tinytest.need("ssl")
    from qssl import mqttsock

    w = world()
    pool = w["pool"]
    host, port = w["cfg"]["echo_host"], w["cfg"]["echo_port"]
    s = pool.socket(pool.AF_INET, pool.SOCK_STREAM)
    s.settimeout(20)
    s.connect((host, port))
    # the test server's certificate names localhost (and example.com), not echo.test
    t = mqttsock.wrap(mqttsock.tls_context(w["cfg"]["ca_pem"]), s, "localhost")
    try:
        t.write(b"board tls")
        got = b""
        end = time.ticks_add(time.ticks_ms(), 20000)
        while len(got) < 9 and time.ticks_diff(end, time.ticks_ms()) > 0:
            got += t.read(9 - len(got)) or b""
        tinytest.eq(got, b"board tls")
    finally:
        t.close()


def test_poll_on_wrapped_pool_socket():
    tinytest.need("select")
    import select

    s = pool_tls_socket()
    try:
        p = select.poll()
        p.register(s, select.POLLIN)
        # After an empty non-blocking read (EAGAIN, as a socket) nothing is pending:
        # poll must time out instead of claiming data.
        s.setblocking(False)
        try:
            s.recv_into(bytearray(8))
            raise AssertionError("a read with nothing echoed returned")
        except OSError as e:
            tinytest.eq(e.args[0], compat.EAGAIN, "errno")
        tinytest.eq(p.poll(200), [])
        s.settimeout(10)
        s.send(b"ping")
        events = p.poll(5000)
        tinytest.eq(len(events), 1, "one event")
        tinytest.eq(events[0][0] is s, True, "the event names the socket")
        tinytest.eq(bool(events[0][1] & select.POLLIN), True, "POLLIN set")
        tinytest.eq(recv_exact(s, 4), b"ping")
    finally:
        s.close()


def test_asyncio_streams_over_wrapped_pool_socket():
    tinytest.need("asyncio")
    import asyncio

    s = pool_tls_socket()
    s.setblocking(False)

    async def main():
        r = asyncio.StreamReader(s)
        wr = asyncio.StreamWriter(s, {})
        wr.write(b"asyncio over busio")
        await wr.drain()
        data = b""
        while len(data) < 18:
            more = await asyncio.wait_for(r.read(64), 5)
            if not more:
                break
            data += more
        return data

    try:
        tinytest.eq(asyncio.run(main()), b"asyncio over busio")
    finally:
        s.close()


def test_aio_open_connection_over_busio():
    tinytest.need("asyncio")
    import asyncio
    from qssl import aio

    w = world()

    async def main():
        r, wr = await aio.open_connection(w["ctx"], w["cfg"]["echo_host"], w["cfg"]["echo_port"], 10)
        try:
            wr.write(b"aio echo")
            await wr.drain()
            data = b""
            while len(data) < 8:
                data += await asyncio.wait_for(r.read(64), 5)
            return data
        finally:
            wr.close()

    tinytest.eq(asyncio.run(main()), b"aio echo")


def _send(s, mv, n):
    i = 0
    while i < n:
        s.send(mv)
        i += 1


def _recv(s, buf, total):
    got = 0
    t0 = time.ticks_ms()
    while got < total:
        if time.ticks_diff(time.ticks_ms(), t0) > 60000:
            return -got
        k = s.recv_into(buf, 1024 if total - got > 1024 else total - got)
        if not k:
            return -got
        got += k
    return got


def test_alloc_per_kb_over_busio_uart():
    import micropython

    tinytest.need_attr(micropython, "mem_total")
    uart = world()["uart"]
    data = bytearray(1024)
    for i in range(1024):
        data[i] = (i * 7) & 0xFF
    mv = memoryview(data)
    buf = bytearray(1500)
    s = pool_tls_socket()
    try:
        _send(s, mv, 2)  # warm-up: first use of every path is not counted
        tinytest.eq(_recv(s, buf, 2048), 2048, "warm-up echo")
        gc.collect()
        a = micropython.mem_total()
        _send(s, mv, KB)
        b = micropython.mem_total()
        reads = uart.reads
        got = _recv(s, buf, KB * 1024)
        c = micropython.mem_total()
        reads = uart.reads - reads
    finally:
        s.close()
    tinytest.eq(got, KB * 1024, "echoed bytes")
    per_sent = (b - a) / KB
    per_rcvd = (c - b) / KB
    print("busio-shaped UART on a pty: %.1f B/KB sent, %.1f B/KB received, %.1f UART reads/KB"
          " (%d KB each way)" % (per_sent, per_rcvd, reads / KB, KB))
    tinytest.eq(per_sent <= SEND_BOUND, True, "B/KB sent %.1f > %d" % (per_sent, SEND_BOUND))
    tinytest.eq(per_rcvd <= RECV_BOUND, True, "B/KB received %.1f > %d" % (per_rcvd, RECV_BOUND))


tinytest.main(globals())
