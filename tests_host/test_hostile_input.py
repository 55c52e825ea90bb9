# Issue 7: no AT injection, and bad arguments are refused before a byte is written.
# Every string that ends up inside a command line (host, APN, user, password, PIN,
# certificate and module file names) is checked first: a CR, LF, quote, NUL, Ctrl-Z or
# non-ASCII byte raises ValueError or OSError(EINVAL) naming the argument, and the
# UART sees nothing (counted by a tap between library and emulator). str payloads,
# wrong types and out-of-range numbers are refused the same way.
import errno

import pytest

import qssl
import fuzz_emu as F

BAD = [
    "a\rAT+QIDEACT",
    "a\nAT+QIDEACT",
    'a"b',
    "a\x00b",
    "a\x1ab",
    "a\x1bb",
    "caf\u00e9",
    "a\r",
]


@pytest.fixture(scope="module")
def tap(pki):
    w = F.World(pki, wrap=F.TapPort)
    yield w
    w.stop()


def refused(tap, what, fn, *args, **kw):
    """fn(*args, **kw) must raise ValueError or OSError(EINVAL) whose message names
    `what` (one of them, when a tuple), and write nothing to the UART."""
    before = tap.uart.writes
    with pytest.raises((ValueError, OSError)) as ei:
        fn(*args, **kw)
    e = ei.value
    if isinstance(e, OSError):
        assert e.errno == errno.EINVAL, repr(e)
    names = what if isinstance(what, tuple) else (what,)
    assert any(w in str(e) for w in names), "the error does not name %r: %s" % (what, e)
    assert tap.uart.writes == before, "%d writes reached the UART" % (tap.uart.writes - before)
    return e


def nothing_written(tap, exc_type, fn, *args, **kw):
    before = tap.uart.writes
    with pytest.raises(exc_type):
        fn(*args, **kw)
    assert tap.uart.writes == before, "%d writes reached the UART" % (tap.uart.writes - before)


@pytest.mark.parametrize("bad", BAD)
def test_connect_host(tap, bad):
    s = tap.ctx.socket()
    refused(tap, "host", s.connect, (bad, 443))
    s.close()
    assert tap.m.slots.owner == [None] * 6


@pytest.mark.parametrize("bad", BAD)
def test_tcp_connect_host(tap, bad):
    s = tap.m.tcp_socket()
    refused(tap, "host", s.connect, (bad, 80))
    s.close()


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("arg", ["apn", "user", "password"])
def test_attach(tap, arg, bad):
    kw = {"apn": "CMNET", "user": "u", "password": "p"}
    kw[arg] = bad
    refused(tap, arg, tap.m.attach, **kw)


@pytest.mark.parametrize("bad", BAD)
def test_start_pin(tap, bad):
    refused(tap, "pin", tap.m.start, pin=bad)


@pytest.mark.parametrize("bad", BAD)
def test_cafile(tap, bad):
    ctx = tap.m.ssl_context(3)
    refused(tap, ("cafile", "certificate name"), ctx.load_verify_locations, cafile="RAM:" + bad)


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("arg", ["certfile", "keyfile"])
def test_cert_chain_files(tap, arg, bad):
    ctx = tap.m.ssl_context(4)
    kw = {"certfile": "RAM:c.pem", "keyfile": "RAM:k.pem"}
    kw[arg] = "RAM:" + bad
    refused(tap, (arg, "certificate name"), ctx.load_cert_chain, None, None, **kw)


@pytest.mark.parametrize("arg", ["cafile", "certfile", "keyfile"])
def test_module_file_error_names_the_argument(tap, arg):
    # "certificate name may hold printable ASCII only" does not say which of the
    # three names was wrong
    ctx = tap.m.ssl_context(4)
    if arg == "cafile":
        refused(tap, arg, ctx.load_verify_locations, cafile="RAM:a\rb")
    else:
        kw = {"certfile": "RAM:c.pem", "keyfile": "RAM:k.pem"}
        kw[arg] = "RAM:a\rb"
        refused(tap, arg, ctx.load_cert_chain, None, None, **kw)


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("op", ["cert_write", "cert_read", "cert_delete"])
def test_cert_names(tap, op, bad):
    fn = getattr(tap.m, op)
    args = ("RAM:" + bad, b"data") if op == "cert_write" else ("RAM:" + bad,)
    refused(tap, "name", fn, *args)


def test_comma_inside_quotes_stays_one_field(tap):
    # A comma cannot end a quoted field: either refused, or sent inside its quotes.
    s = tap.ctx.socket()
    s.settimeout(5)
    mark = len(tap.uart.tx)
    try:
        s.connect(("a,b", 443))
    except OSError:
        pass
    s.close()
    opens = [ln for ln in bytes(tap.uart.tx[mark:]).split(b"\r") if ln.startswith(b"AT+QSSLOPEN=")]
    assert all(b',"a,b",443,' in ln for ln in opens), opens
    F.check_clean(tap, "comma in host")


# --- str payloads --------------------------------------------------------------------------------------
def test_send_str_refused(tap):
    s = tap.socket()
    try:
        nothing_written(tap, TypeError, s.send, "\u00e9\u00e9\u00e9")
        nothing_written(tap, TypeError, s.sendall, "\u00e9\u00e9\u00e9")
        nothing_written(tap, TypeError, s.send, 12)
    finally:
        s.close()


def test_write_str_sends_utf8(tap):
    s = tap.socket()
    try:
        text = "\u00e9" * 100
        assert s.write(text) == 200  # documented: a str goes as its UTF-8 bytes
        got, exc = F.read_rest(s, text.encode(), bytearray())
        assert exc is None and bytes(got) == text.encode()
    finally:
        s.close()


def test_cert_write_str_uploads_utf8(tap):
    text = "-----\u00e9\u00e9-----\n"
    tap.m.cert_write("RAM:utf8.pem", text)
    assert tap.emu.state.certs["RAM:utf8.pem"] == text.encode()
    tap.m.cert_delete("RAM:utf8.pem")


# --- wrong types and numbers -----------------------------------------------------------------------------
WRONG_ADDRESSES = [("h", "443"), ("h", None), ("h", 443.0), (None, 443), (123, 443), ("h", True),
                   ("h",), "h:443", ["h", 443], (b"h", 443, 0)]


def test_wrong_address_types_claim_no_index(tap):
    socks = []
    for addr in WRONG_ADDRESSES:
        s = tap.ctx.socket()
        socks.append(s)  # never closed: a claimed index would leak
        nothing_written(tap, TypeError, s.connect, addr)
    assert tap.m.slots.owner == [None] * 6
    F.echo_works(tap, "after wrong address types")


@pytest.mark.parametrize("port", [0, -1, 65536, 1 << 40])
def test_port_out_of_range(tap, port):
    s = tap.ctx.socket()
    refused(tap, "port", s.connect, ("echo.test", port))
    assert tap.m.slots.owner == [None] * 6


def test_recv_negative(tap):
    s = tap.socket()
    try:
        nothing_written(tap, (ValueError, OSError), s.recv, -1)
        nothing_written(tap, (ValueError, OSError), s.recv_into, bytearray(4), -1)
    finally:
        s.close()


def test_ssl_context_index_type(tap):
    nothing_written(tap, TypeError, tap.m.ssl_context, "0")
    nothing_written(tap, TypeError, tap.m.ssl_context, 0.0)
    nothing_written(tap, (ValueError, OSError), tap.m.ssl_context, 6)


def test_float_ciphers_refused_at_connect(tap):
    ctx = tap.m.ssl_context(2)
    ctx.load_verify_locations(cadata=tap.pki.ca_pem)
    ctx.ciphers = 53.0
    s = ctx.socket()
    nothing_written(tap, TypeError, s.connect, (F.ECHO_HOST, 443))
    assert tap.m.slots.owner == [None] * 6
    ctx.ciphers = qssl.ALL_CIPHERS


def test_float_version_refused_at_apply(tap):
    ctx = tap.m.ssl_context(2)
    ctx.version = 3.0
    nothing_written(tap, TypeError, ctx.apply)
    ctx.version = qssl.TLSv1_2


@pytest.mark.parametrize("t", [(1 << 29) / 1000 + 1, 1e9, 10 ** 30, float(1 << 40)])
def test_huge_timeout_is_blocking_not_overflow(tap, t):
    s = tap.ctx.socket()
    s.settimeout(t)
    assert s.gettimeout() == t


def test_status_on_non_ascii_answer_is_eio(tap):
    def spoil(c):
        return c.replace(b"IP STATUS", b"IP ST\xe9TUS", 1)

    tap.emu.faults.mangle_next(spoil, "response")
    with pytest.raises(OSError) as ei:
        tap.m.status()
    assert ei.value.errno == errno.EIO
    assert not isinstance(ei.value, UnicodeError)
    F.check_clean(tap, "non-ASCII status")
