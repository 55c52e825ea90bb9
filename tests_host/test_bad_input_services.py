# Bad input and wrong states on the services API (Modem, its bring-up, SSLContext, the
# certificate store, qssl.checksum): each gets a clear error before a byte is written,
# and loses nothing (no half-done upload, no setting quietly weaker than asked, no
# exception of another kind out of the middle of an exchange). A tap between library and
# emulator counts what reaches the UART.
import array
import errno
import io

import pytest

import qssl
import fuzz_emu as F
from api_fixtures import booted  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def tap(pki):
    w = F.World(pki, wrap=F.TapPort)
    yield w
    w.stop()


def unsent(tap, exc_type, fn, *args, **kw):
    """fn(*args, **kw) raises exc_type and writes nothing to the UART; returns the error."""
    before = tap.uart.writes
    with pytest.raises(exc_type) as ei:
        fn(*args, **kw)
    assert tap.uart.writes == before, "%d writes reached the UART" % (tap.uart.writes - before)
    return ei.value


# --- Modem(): checked when made, not at first use (which may be mid-exchange) -----------------
@pytest.mark.parametrize("rxbuf", [0, -1, 65537])
def test_modem_rxbuf_out_of_range(tap, rxbuf):
    # rxbuf=0 made a modem whose start() said "no answer to AT: is the module powered?"
    with pytest.raises(OSError) as ei:
        qssl.Modem(tap.emu.port(), rxbuf=rxbuf)
    assert ei.value.errno == errno.EINVAL and "rxbuf" in str(ei.value)


@pytest.mark.parametrize("rxbuf", [1.5, "512", None, True])
def test_modem_rxbuf_wrong_type(tap, rxbuf):
    with pytest.raises(TypeError, match="rxbuf"):
        qssl.Modem(tap.emu.port(), rxbuf=rxbuf)


@pytest.mark.parametrize("kw", [{"debug": 1}, {"debug": "log"}, {"power": 1}, {"power": "on"}])
def test_modem_debug_and_power_checked(tap, kw):
    # debug=1 raised AttributeError at the first transcript line, which for a resync comes
    # after its command was written; power=1 raised it in the middle of a recovery.
    with pytest.raises(TypeError, match=list(kw)[0]):
        qssl.Modem(tap.emu.port(), **kw)


def test_modem_small_rxbuf_still_works(tap):
    # The smallest ring allowed works: the bound refuses only what cannot.
    m = qssl.Modem(tap.uart, rxbuf=1)
    assert m.status()[0] == "IP STATUS"


# --- bring-up ----------------------------------------------------------------------------------
def test_attach_before_start(booted):  # noqa: F811
    # attach() before start() used to run with echo on and text errors, and "succeeded"
    # into a state where connect() still refused for want of start().
    t = F.TapPort(booted.emu.port())
    m = qssl.Modem(t)
    with pytest.raises(OSError) as ei:
        m.attach("CMNET")
    assert ei.value.errno == errno.ENOTCONN and "start()" in str(ei.value)
    assert t.writes == 0
    m.start()
    assert m.attach("CMNET") == F.LOCAL_IP


# --- SSLContext ----------------------------------------------------------------------------------
def test_check_hostname_true_is_refused_not_ignored(tap):
    # The module checks the chain, not the name: check_hostname = True connected without
    # any name check (weaker than asked, silently).
    ctx = tap.m.ssl_context(1)
    ctx.load_verify_locations(cadata=tap.pki.ca_pem)
    ctx.check_hostname = True
    try:
        s = ctx.socket()
        s.settimeout(5)
        e = unsent(tap, OSError, s.connect, (F.ECHO_HOST, 443))
        s.close()
        assert e.errno == errno.EINVAL and "check_hostname" in str(e)
        assert tap.m.slots.owner == [None] * 6
        unsent(tap, OSError, ctx.apply)
    finally:
        ctx.check_hostname = False
    F.echo_works(tap, "after check_hostname")


@pytest.mark.parametrize("key", [1, None, b"sslversion"])
def test_ctx_get_non_str_key(tap, key):
    e = unsent(tap, OSError, tap.m.ssl_context(0).get, key)
    assert e.errno == errno.EINVAL and "setting" in str(e)


def test_apply_and_ensure_take_none_as_no_bound(tap):
    # query(None) had no bound, apply(None) and ensure(None) raised TypeError from the
    # deadline arithmetic (ensure after its read-back went out).
    ctx = tap.m.ssl_context(1)
    ctx.load_verify_locations(cadata=tap.pki.ca_pem)
    ctx.version = qssl.TLSv1_1
    ctx.apply(None)
    assert ctx.get("sslversion") == qssl.TLSv1_1
    ctx.version = qssl.TLSv1_2
    ctx.ensure(None)
    assert ctx.get("sslversion") == qssl.TLSv1_2


def test_apply_nan_timeout_is_oserror(tap):
    ctx = tap.m.ssl_context(1)
    ctx.load_verify_locations(cadata=tap.pki.ca_pem)
    ctx.version = qssl.TLSv1
    try:
        e = unsent(tap, OSError, ctx.apply, float("nan"))
        assert e.errno == errno.ETIMEDOUT
    finally:
        ctx.version = qssl.TLSv1_2


# --- the certificate store ----------------------------------------------------------------------
def test_cert_write_memoryview_of_wide_items(tap):
    # len() of a memoryview of 16-bit items counts items: the module was told 2 bytes, got
    # 4, took the rest as a command, and the upload was reported corrupted.
    data = array.array("H", [0x4142, 0x4344])
    want = bytes(memoryview(data).cast("B"))
    assert tap.m.cert_write("RAM:wide.pem", memoryview(data)) == qssl.checksum(want)
    assert tap.emu.call(lambda: tap.emu.state.certs.get("RAM:wide.pem")) == want
    F.check_clean(tap, "wide memoryview upload")
    tap.m.cert_delete("RAM:wide.pem")


@pytest.mark.parametrize("data", [[1000, 2000], [1, 2, 3], (1, 2), "abc", 5, None])
def test_checksum_refuses_what_is_no_buffer(data):
    # A list of ints summed to a number beyond 16 bits; a str failed inside the loop.
    with pytest.raises(TypeError, match="bytes-like"):
        qssl.checksum(data)


def test_checksum_of_a_wider_buffer_is_of_its_bytes():
    data = array.array("H", [0x4142, 0x4344])
    assert qssl.checksum(data) == qssl.checksum(bytes(memoryview(data).cast("B")))


@pytest.mark.parametrize("kw", [
    {"keydata": 5},  # a key of the wrong type
    {"keydata": b"k" * 40000},  # a key too big for a RAM file
    {"keyfile": "/flash/client.key"},  # a path on the board, not a module file
])
def test_load_cert_chain_checks_everything_before_uploading(tap, kw):
    # The certificate used to be uploaded and put in force, then the key refused: the
    # context was left with this call's certificate and an older key (or none).
    ctx = tap.m.ssl_context(4)
    before = (ctx.certfile, ctx.keyfile, list(ctx._data), ctx._sent)
    e = unsent(tap, (TypeError, OSError), ctx.load_cert_chain, tap.pki.client_cert_pem, **kw)
    assert isinstance(e, TypeError) or e.errno == errno.EINVAL
    assert (ctx.certfile, ctx.keyfile, list(ctx._data), ctx._sent) == before


def test_load_cert_chain_file_then_bad_keyfile_changes_nothing(tap):
    ctx = tap.m.ssl_context(4)
    unsent(tap, OSError, ctx.load_cert_chain, None, certfile="RAM:c.pem", keyfile="/k.pem")
    assert ctx.certfile is None and ctx.keyfile is None


def test_load_cert_chain_with_nothing(tap):
    # CPython refuses load_cert_chain(None); it used to return having done nothing.
    e = unsent(tap, OSError, tap.m.ssl_context(4).load_cert_chain, None)
    assert e.errno == errno.EINVAL and "certdata" in str(e)


def test_load_cert_chain_good_pair_still_uploads(pki):
    # The pair checked up front is still uploaded and used (client authentication).
    w = F.World(pki, wrap=F.TapPort)
    try:
        ctx = w.m.ssl_context(5)
        ctx.load_cert_chain(pki.client_cert_pem, pki.client_key_pem)
        assert (ctx.certfile, ctx.keyfile) == ("RAM:cc5.pem", "RAM:ck5.pem")
        certs = w.emu.call(lambda: dict(w.emu.state.certs))
        assert certs["RAM:cc5.pem"] == pki.client_cert_pem and certs["RAM:ck5.pem"] == pki.client_key_pem
        assert ctx._data[1] is pki.client_cert_pem and ctx._data[2] is pki.client_key_pem
    finally:
        w.stop()


def test_debug_stream_still_gets_the_transcript(tap):
    log = io.BytesIO()
    m = qssl.Modem(tap.uart, debug=log)
    m.status()
    assert b">> AT+QSSLSTATE" in log.getvalue()


# --- wrong state: a command while a transparent socket is in data mode ---------------------------
# (every command went to the transparent socket's peer as payload, before the engine's guard)
@pytest.mark.parametrize("call", ["status", "cert_write", "signal", "get_global"])
def test_command_during_transparent_data_mode(pki, call):
    w = F.World(pki, wrap=F.TapPort)
    try:
        t = w.ctx.transparent()
        t.settimeout(10)
        t.connect((F.ECHO_HOST, 443))
        t.sendall(b"one")
        args = {"cert_write": ("RAM:q.pem", b"abc"), "get_global": ("ignorertc",)}.get(call, ())
        e = unsent(w, OSError, getattr(w.m, call), *args)
        assert e.errno == errno.EBUSY and "data mode" in str(e)
        # Nothing reached the peer but the payload, and the socket still echoes.
        t.sendall(b"two")
        got = b""
        while len(got) < 6:
            k = t.recv(16)
            assert k, "end of stream after %r" % got
            got += k
        assert got == b"onetwo"
        t.close()
        assert w.peer_data()[-1] == b"onetwo"
        F.check_clean(w, "command during data mode")
    finally:
        w.stop()
