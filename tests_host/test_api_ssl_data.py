"""SSL sockets moving data: the chapter 3.1 session, an HTTPS GET, 100 KB both ways,
six sockets at once, one URC for many reads, stream-style reads, close and reuse."""

import time
import pytest

from api_fixtures import (attached, rig, booted, errno, expect_oserror, qssl, read_exact,  # noqa: F401
                          read_to_eof, wait_for, sha, payload, count_lines, ECHO_HOST, AUTH_HOST,
                          HTTPS_HOST)


def test_chapter_3_1_session(attached, pki, tls_echo_auth):
    """RAM certificates, seclevel 2, open, send 12 bytes, read them back, close."""
    attached.route(AUTH_HOST, tls_echo_auth)
    m = attached.m
    m.cert_write("RAM:cacert.pem", pki.ca_pem)
    m.cert_write("RAM:clientcert.pem", pki.client_cert_pem)
    m.cert_write("RAM:clientkey.pem", pki.client_key_pem)
    ctx = m.ssl_context(0)
    ctx.load_verify_locations(cafile="RAM:cacert.pem")
    ctx.load_cert_chain(None, certfile="RAM:clientcert.pem", keyfile="RAM:clientkey.pem")
    assert ctx.seclevel == 2
    s = ctx.socket()
    s.settimeout(10)
    s.connect((AUTH_HOST, 443))
    data = b"Hello,World!"
    assert len(data) == 12
    assert s.send(data) == 12
    assert read_exact(s, 12) == data
    s.close()
    sent = attached.sent()
    assert b'AT+QSSLCFG="seclevel",0,2' in sent
    assert b'AT+QSSLCFG="cacert",0,"RAM:cacert.pem"' in sent
    assert b'AT+QSSLCFG="clientcert",0,"RAM:clientcert.pem"' in sent
    assert b'AT+QSSLCFG="clientkey",0,"RAM:clientkey.pem"' in sent
    assert any(ln.startswith(b"AT+QSSLOPEN=0,0,") and b",0," in ln for ln in sent)  # non-transparent
    assert b"AT+QSSLSEND=0,12" in sent
    assert b"AT+QSSLCLOSE=0" in sent
    assert tls_echo_auth.wait_sessions(1)
    assert tls_echo_auth.sessions[0]["data"] == data


def test_https_get(attached, pki, https_server):
    attached.route(HTTPS_HOST, https_server)
    ctx = attached.ctx(pki)
    with attached.connect(ctx, HTTPS_HOST) as s:
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
        status = s.readline()
        assert status.startswith(b"HTTP/1.1 200"), status
        headers = {}
        while True:
            ln = s.readline()
            assert ln, "headers not ended"
            if ln == b"\r\n":
                break
            k, _, v = ln.decode().partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers["content-length"])
        body = s.read(n)
        while len(body) < n:
            more = s.read(n - len(body))
            assert more
            body += more
        assert body == b"Hello, module!\n"
        assert s.read() == b""  # Connection: close -> end of stream


def test_https_get_large_body_with_read(attached, pki, https_server):
    from testnet.servers import pattern

    attached.route(HTTPS_HOST, https_server)
    ctx = attached.ctx(pki)
    with attached.connect(ctx, HTTPS_HOST) as s:
        s.write(b"GET /big?n=20000 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
        raw = read_to_eof(s)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert body == pattern(20000)


def test_100k_both_ways_sha256(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    data = payload(100 * 1024, seed=3)
    with attached.connect(ctx, ECHO_HOST, timeout=30) as s:
        t = time.monotonic()
        s.sendall(data)
        got = read_exact(s, len(data), 30)
        assert time.monotonic() - t < 30
    assert sha(got) == sha(data)
    assert tls_echo.wait_sessions(1)
    assert sha(tls_echo.sessions[0]["data"]) == sha(data)  # what the server really received


def test_interleaved_send_and_recv(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    data = payload(30000, seed=5)
    got = bytearray()
    with attached.connect(ctx, ECHO_HOST, timeout=20) as s:
        for off in range(0, len(data), 3000):
            s.sendall(data[off:off + 3000])
            got += s.recv(1000)  # partial reads between writes
        got += read_exact(s, len(data) - len(got))
    assert bytes(got) == data


def test_six_sockets_data_kept_apart(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    socks = [attached.connect(ctx, ECHO_HOST) for _ in range(6)]
    try:
        assert sorted(s.ssid for s in socks) == [0, 1, 2, 3, 4, 5]
        blobs = [payload(5000 + 700 * i, seed=10 + i) for i in range(6)]
        for s, b in zip(socks, blobs):  # all sent before any is read: the module buffers them
            s.sendall(b)
        for s, b in zip(reversed(socks), reversed(blobs)):
            assert sha(read_exact(s, len(b))) == sha(b), "socket %d" % s.ssid
        # a seventh has no index
        seventh = ctx.socket()
        seventh.settimeout(5)
        mark = attached.mark()
        e = expect_oserror(seventh.connect, (ECHO_HOST, 443))
        assert e.errno in (errno.ENOMEM, errno.EADDRINUSE, errno.EAGAIN, errno.EBUSY)
        assert not any(ln.startswith(b"AT+QSSLOPEN") for ln in attached.sent(mark))
        seventh.close()
        assert len(attached.m.status()[1]) == 6
    finally:
        for s in socks:
            s.close()
    assert attached.m.status()[1] == []


def test_one_urc_for_3k(attached, pki):
    from testnet import TlsEchoServer

    greeting = payload(3 * 1024, seed=7)
    with TlsEchoServer(pki.server_cert_path, pki.server_key_path, greeting=greeting) as srv:
        attached.route(ECHO_HOST, srv)
        ctx = attached.ctx(pki)
        s = attached.connect(ctx, ECHO_HOST)
        try:
            mark = attached.mark()
            conn = attached.emu.state.sockets[s.ssid]
            assert wait_for(lambda: len(conn.rx) >= len(greeting), 5), "greeting not buffered"
            time.sleep(0.1)
            got = read_exact(s, len(greeting))
            assert got == greeting
            lines = attached.received(mark)
            assert count_lines(lines, rb'\+QSSLURC: "recv",0,%d$' % s.ssid) == 1, lines
            # 3 KB takes at least 3 reads of 1500 bytes: one URC stood for all of them
            assert count_lines(attached.sent(mark), rb"AT\+QSSLRECV=") >= 3
        finally:
            s.close()


def test_readline_and_read_n(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    with attached.connect(ctx, ECHO_HOST) as s:
        s.sendall(b"first line\nsecond\nrest")
        assert s.readline() == b"first line\n"
        assert s.readline() == b"second\n"
        assert s.read(4) == b"rest"


def test_recv_into_nbytes_limit(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    with attached.connect(ctx, ECHO_HOST) as s:
        s.sendall(b"abcdefghij")
        buf = bytearray(b"\xee" * 16)
        assert wait_for(lambda: len(attached.emu.state.sockets[s.ssid].rx) >= 10, 5)
        n = s.recv_into(buf, 4)
        assert n == 4 and bytes(buf) == b"abcd" + b"\xee" * 12
        assert read_exact(s, 6) == b"efghij"


def test_recv_into_a_read_only_buffer_loses_nothing(attached, pki, tls_echo):
    # bytes or a read-only memoryview cannot take the payload: TypeError before any
    # AT+QSSLRECV, and the bytes stay in the module for the next read
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    with attached.connect(ctx, ECHO_HOST) as s:
        s.sendall(b"abcdefghij")
        assert wait_for(lambda: len(attached.emu.state.sockets[s.ssid].rx) >= 10, 5)
        mark = attached.mark()
        for bad in (bytes(16), memoryview(bytes(16)), "x" * 16, [0] * 16):
            with pytest.raises(TypeError):
                s.recv_into(bad, 4)
            with pytest.raises(TypeError):
                s.readinto(bad)
        assert count_lines(attached.sent(mark), rb"AT\+QSSLRECV=") == 0
        assert read_exact(s, 10) == b"abcdefghij"


def test_send_checks_the_buffer_before_announcing_a_length(attached, pki, tls_echo):
    # what is no buffer fails before AT+QSSLSEND (the module would wait for bytes that
    # never come); an array is sent as its bytes, not as its item count
    import array

    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    with attached.connect(ctx, ECHO_HOST) as s:
        mark = attached.mark()
        for bad in ([1, 2], None, 7, "text"):
            for call in (s.send, s.sendall):
                with pytest.raises(TypeError):
                    call(bad)
        assert count_lines(attached.sent(mark), rb"AT\+QSSLSEND=") == 0
        a = array.array("i", [1, 2, 3])
        assert s.send(a) == len(bytes(a)) == 12
        assert s.write(array.array("h", [4, 5])) == 4
        assert read_exact(s, 16) == bytes(a) + bytes(array.array("h", [4, 5]))


def test_send_over_1460_is_chunked(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    data = payload(4000, seed=1)
    with attached.connect(ctx, ECHO_HOST) as s:
        mark = attached.mark()
        assert s.send(data) == 1460  # send() sends one chunk and says how much
        assert s.write(data[1460:]) == 4000 - 1460
        assert read_exact(s, 4000) == data
        lens = [int(ln.split(b",")[1]) for ln in attached.sent(mark) if ln.startswith(b"AT+QSSLSEND=")]
        assert max(lens) <= 1460 and sum(lens) == 4000


def test_binary_payload_with_at_lookalikes(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    data = (b"\r\nOK\r\n\r\nERROR\r\n+QSSLURC: \"recv\",0,0\r\n> \r\nRDY\r\n+PDP DEACT\r\n\x1a\x1b+++" * 40
            + bytes(range(256)))
    with attached.connect(ctx, ECHO_HOST) as s:
        s.sendall(data)
        assert read_exact(s, len(data)) == data
        s.sendall(b"still fine")
        assert read_exact(s, 10) == b"still fine"


def test_context_manager_releases_slot(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    with attached.connect(ctx, ECHO_HOST) as s:
        first = s.ssid
        assert attached.m.status()[1][0][0] == first
    assert attached.m.status()[1] == []
    assert attached.emu.state.sockets == {}
    with attached.connect(ctx, ECHO_HOST) as s2:
        assert s2.ssid == first  # the index was released and is used again


def test_recv_after_close_raises(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    s = attached.connect(ctx, ECHO_HOST)
    s.close()
    s.close()  # twice is fine
    e = expect_oserror(s.recv, 10)
    assert e.errno in (errno.ENOTCONN, errno.EBADF)
    e = expect_oserror(s.send, b"x")
    assert e.errno in (errno.ENOTCONN, errno.EBADF)


def test_connect_twice_raises(attached, pki, tls_echo):
    attached.route(ECHO_HOST, tls_echo)
    ctx = attached.ctx(pki)
    with attached.connect(ctx, ECHO_HOST) as s:
        e = expect_oserror(s.connect, (ECHO_HOST, 443))
        assert e.errno in (errno.EALREADY, errno.EISCONN)
        s.sendall(b"ok")
        assert read_exact(s, 2) == b"ok"


def test_unknown_host_fails(attached, pki):
    ctx = attached.ctx(pki)
    s = ctx.socket()
    s.settimeout(10)
    e = expect_oserror(s.connect, ("nowhere.invalid", 443))
    assert e.errno == errno.ECONNABORTED
    s.close()
    assert attached.emu.state.sockets == {}
