# Modern TLS over the module's plain TCP: MicroPython's ssl (mbedTLS) wrapping a
# connected modem.tcp_socket(), against servers that accept only ECDHE with AES-GCM,
# through the emulator on a pty. The world (tools/testnet/tlsworld.py) is started by
# tests_host/test_modern_tls_device.py, which passes its config as $QSSL_DEVICE_ENV;
# elsewhere (the plain device suite, a board) every test skips.
#
# By hand: python -m testnet.tlsworld (prints the config path), then
#   QSSL_DEVICE_ENV=<path> micropython tests_device/test_modern_tls.py
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()
import errno  # noqa: E402
import time  # noqa: E402

from devenv import world  # noqa: E402


def cfg():
    try:
        c = world()["cfg"]
    except OSError as e:
        raise tinytest.Skip("no emulator world: %r" % (e,))
    if "modern_port" not in c:
        raise tinytest.Skip("the world has no modern-TLS servers (start tools/testnet/tlsworld.py)")
    return c


def tls(ca=None):
    from qssl import mqttsock

    return mqttsock.tls_context(ca or cfg()["ca_pem"])


def connect(port, host=None, server_hostname=None, timeout=20, ca=None):
    from qssl import mqttsock

    c = cfg()
    return mqttsock.connect_tls(world()["modem"], (host or c["modern_host"], port), tls(ca),
                                server_hostname=server_hostname, timeout=timeout)


def refused(fn, *args, **kw):
    """The OSError fn raises (fails if it returns)."""
    try:
        s = fn(*args, **kw)
    except OSError as e:
        return e
    s.close()
    raise AssertionError("expected an OSError, got a connection")


def no_sockets_left():
    tinytest.eq(world()["modem"].status()[1], [], "sockets left in the module")


def read_exact(s, n, limit_ms=60000):
    out = bytearray()
    buf = bytearray(1024)
    t0 = time.ticks_ms()
    while len(out) < n:
        if time.ticks_diff(time.ticks_ms(), t0) > limit_ms:
            raise AssertionError("read %d of %d bytes in %d ms" % (len(out), n, limit_ms))
        k = s.readinto(memoryview(buf)[: min(len(buf), n - len(out))])
        if not k:
            raise AssertionError("end of stream after %d of %d bytes" % (len(out), n))
        out.extend(memoryview(buf)[:k])
    return bytes(out)


def payload(n, seed):
    block = bytes(((i * 7 + seed * 31 + (i >> 8)) & 0xFF) for i in range(4096))
    return (block * (n // 4096 + 1))[:n]


def test_ecdhe_aes_gcm_over_module_tcp():
    s = connect(cfg()["modern_port"])
    try:
        suite, version = s.cipher()
        print("negotiated:", suite, version)
        tinytest.eq("ECDHE" in suite and "GCM" in suite, True, "an ECDHE suite with AES-GCM")
        tinytest.eq(version, "TLSv1.2", "version")
        s.write(b"hello over mbedTLS\n")
        tinytest.eq(read_exact(s, 19), b"hello over mbedTLS\n", "echo")
    finally:
        s.close()
    no_sockets_left()


def test_module_tls_fails_with_each_of_its_suites():
    # The module's stack offers RSA key exchange with CBC (or RC4/3DES) only: the
    # ECDHE/AES-GCM-only server refuses every one of its six suites.
    import qssl

    c = cfg()
    ctx = world()["ctx"]
    suites = (qssl.TLS_RSA_WITH_AES_256_CBC_SHA, qssl.TLS_RSA_WITH_AES_128_CBC_SHA,
              qssl.TLS_RSA_WITH_RC4_128_SHA, qssl.TLS_RSA_WITH_RC4_128_MD5,
              qssl.TLS_RSA_WITH_3DES_EDE_CBC_SHA, qssl.TLS_RSA_WITH_AES_256_CBC_SHA256)
    try:
        for suite in suites:
            ctx.ciphers = suite
            s = ctx.socket()
            s.settimeout(20)
            e = refused(lambda: (s.connect((c["modern_host"], c["modern_port"])), s)[1])
            s.close()
            tinytest.eq(e.args[0], errno.ECONNABORTED, "suite 0x%04X" % suite)
    finally:
        ctx.ciphers = qssl.ALL_CIPHERS
    no_sockets_left()


def test_tls13_only_server():
    import ssl

    names = []
    try:
        import tls as _tls

        names = _tls.SSLContext(_tls.PROTOCOL_TLS_CLIENT).get_ciphers()
    except (ImportError, AttributeError):
        pass
    has13 = any(n.startswith("TLS1-3") for n in names)
    print("%s, TLS 1.3: %s" % (getattr(ssl, "MBEDTLS_VERSION", "?"), "yes" if has13 else "no"))
    port = cfg()["tls13_port"]
    if has13:
        s = connect(port)
        try:
            tinytest.eq(s.cipher()[1], "TLSv1.3", "version")
        finally:
            s.close()
    else:
        e = refused(connect, port)
        tinytest.eq(e.args[0], errno.ECONNABORTED, "errno")
    no_sockets_left()


def test_wrong_host_name_is_refused():
    c = cfg()
    # the name dialled is not in the certificate
    e = refused(connect, c["modern_port"], host=c["wrong_name_host"])
    tinytest.eq(e.args[0], errno.ECONNABORTED, "errno")
    tinytest.eq("CN" in e.args[1] or "name" in e.args[1], True, "says the name is wrong: %s" % e.args[1])
    # the right server, but a name asked for that it does not carry
    e = refused(connect, c["modern_port"], server_hostname="wrong.example")
    tinytest.eq(e.args[0], errno.ECONNABORTED, "errno")
    no_sockets_left()


def test_unrelated_ca_is_refused():
    c = cfg()
    e = refused(connect, c["other_port"])
    tinytest.eq(e.args[0], errno.ECONNABORTED, "errno")
    tinytest.eq("CA" in e.args[1] or "trust" in e.args[1], True, "says why: %s" % e.args[1])
    # and our server is refused when we trust only the unrelated CA
    e = refused(connect, c["modern_port"], ca=c["other_ca_pem"])
    tinytest.eq(e.args[0], errno.ECONNABORTED, "errno")
    no_sockets_left()


def test_100kb_each_way_byte_exact():
    n = 100 * 1024
    data = payload(n, 3)
    s = connect(cfg()["modern_port"], timeout=60)
    t0 = time.ticks_ms()
    try:
        got = bytearray()
        step = 4096
        for off in range(0, n, step):
            s.write(data[off : off + step])
            got.extend(read_exact(s, min(step, n - off)))
        dt = time.ticks_diff(time.ticks_ms(), t0)
        print("100 KB each way in %d ms" % dt)
        tinytest.eq(len(got), n, "length")
        tinytest.eq(bytes(got) == data, True, "bytes equal")
    finally:
        s.close()
    no_sockets_left()


def test_peer_close_is_end_of_stream():
    c = cfg()
    s = connect(c["close_port"])
    try:
        s.write(b"0123456789")
        k = c["close_after"]
        tinytest.eq(read_exact(s, k), b"0123456789"[:k], "echo before the close")
        tinytest.eq(s.read(10), b"", "end of stream after the server's close_notify")
    finally:
        s.close()
    no_sockets_left()


def test_blocking_read_times_out_then_the_session_goes_on():
    from qssl import mqttsock

    c = cfg()
    tcp = world()["modem"].tcp_socket()
    tcp.settimeout(20)
    tcp.connect((c["modern_host"], c["modern_port"]))
    s = mqttsock.wrap(tls(), tcp, c["modern_host"])
    try:
        tcp.settimeout(0.5)  # the TCP socket's timeout bounds mbedTLS's blocking reads
        t0 = time.ticks_ms()
        try:
            s.read(4)
            raise AssertionError("read returned without data")
        except OSError as e:
            tinytest.eq(e.args[0], errno.ETIMEDOUT, "errno")
        dt = time.ticks_diff(time.ticks_ms(), t0)
        tinytest.eq(400 <= dt < 3000, True, "timed out after %d ms" % dt)
        tcp.settimeout(20)
        s.write(b"still here")
        tinytest.eq(read_exact(s, 10), b"still here", "the session survives a timeout")
    finally:
        s.close()
    no_sockets_left()


def test_poll_non_blocking():
    import select

    s = connect(cfg()["modern_port"])
    try:
        s.setblocking(False)
        tinytest.eq(s.read(8), None, "nothing to read yet")
        p = select.poll()
        p.register(s, select.POLLIN)
        tinytest.eq(p.poll(200), [], "poll times out while nothing came")
        s.write(b"ping")
        got = b""
        t0 = time.ticks_ms()
        while len(got) < 4 and time.ticks_diff(time.ticks_ms(), t0) < 5000:
            ev = p.poll(1000)
            if ev:
                tinytest.eq(bool(ev[0][1] & select.POLLIN), True, "POLLIN")
                more = s.read(4 - len(got))
                if more:
                    got += more
        tinytest.eq(got, b"ping", "data after POLLIN")
    finally:
        s.close()
    no_sockets_left()


def test_socket_module_socket_polls_through_mbedtls():
    # what umqtt.simple gets from qssl.mqttsock.SocketModule, under select.poll
    import select

    from qssl import mqttsock

    c = cfg()
    sm = mqttsock.SocketModule(world()["modem"], tls=tls(), timeout=10)
    s = sm.socket()
    s.connect(sm.getaddrinfo(c["modern_host"], c["modern_port"])[0][-1])
    try:
        s.setblocking(False)
        tinytest.eq(s.read(4), None, "nothing yet")
        p = select.poll()
        p.register(s, select.POLLIN)
        tinytest.eq(p.poll(100), [], "no POLLIN yet")
        s.write(b"abcdef", 4)  # MicroPython's write(buf, n): the first n bytes
        tinytest.eq(len(p.poll(5000)), 1, "POLLIN after the echo")
        s.setblocking(True)
        tinytest.eq(s.read(4), b"abcd", "exactly n bytes when blocking")
        s.settimeout(0.3)
        try:
            s.read(1)
            raise AssertionError("a blocking read returned without data")
        except OSError as e:
            tinytest.eq(e.args[0], errno.ETIMEDOUT, "errno")
    finally:
        s.close()
    no_sockets_left()


def test_asyncio_streams_with_the_handshake_non_blocking():
    import asyncio

    c = cfg()
    tcp = world()["modem"].tcp_socket()
    tcp.settimeout(20)
    tcp.connect((c["modern_host"], c["modern_port"]))
    tcp.setblocking(False)
    # the handshake is left to the first reads and writes, driven by the event loop
    s = tls().wrap_socket(tcp, server_hostname=c["modern_host"], do_handshake_on_connect=False)
    got = []

    async def talk():
        r = asyncio.StreamReader(s)
        w = asyncio.StreamWriter(s, {})
        for msg in (b"one ", b"two ", b"three"):
            w.write(msg)
            await w.drain()
        data = b""
        while len(data) < 12:
            more = await asyncio.wait_for(r.read(64), 10)
            if not more:
                break
            data += more
        got.append(data)

    async def ticker(n):
        for _ in range(n):
            await asyncio.sleep_ms(5)
        got.append("ticked")

    async def main():
        await asyncio.gather(talk(), ticker(20))

    try:
        asyncio.run(main())
    finally:
        s.close()
    tinytest.eq([g for g in got if isinstance(g, bytes)], [b"one two three"], "echo")
    tinytest.eq([g for g in got if isinstance(g, str)], ["ticked"], "the loop ran other tasks meanwhile")
    no_sockets_left()


tinytest.main(globals())
