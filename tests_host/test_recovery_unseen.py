"""A module restart the library does not see (RDY lost or garbled, an autobaud module
that prints nothing, a restart in the middle of a connect or right after the settings
were read back) must never let a connect go out with weaker TLS: after each, a server
whose certificate comes from an unrelated CA is refused at the handshake, the right
server works, and the module holds seclevel 1 again. The user only calls connect."""

import pytest

from api_fixtures import attached, rig, booted, errno, expect_oserror, read_exact, ECHO_HOST  # noqa: F401
from conftest import BANNER
import fault_matrix

ROGUE_HOST = "rogue.test"


@pytest.fixture
def rogue(pki):
    with fault_matrix.rogue_server(pki) as srv:
        yield srv


@pytest.fixture
def net(attached, pki, tls_echo, rogue):
    """attached, routes to the echo server and the rogue one, context 0 trusting the
    test CA and used once (so the module held seclevel 1 before the fault)."""
    attached.route(ECHO_HOST, tls_echo)
    attached.route(ROGUE_HOST, rogue)
    ctx = attached.ctx(pki)
    echo_once(attached, ctx, b"before")
    assert attached.emu.state.cfg[0]["seclevel"] == 1
    attached.rogue = rogue
    return attached, ctx


def echo_once(rig, ctx, data=b"hello"):
    with rig.connect(ctx, ECHO_HOST) as s:
        s.sendall(data)
        assert read_exact(s, len(data)) == data


def rogue_refused(rig, ctx):
    """A connect to the rogue server fails and no TLS session with it completes.
    Returns the error and whether the module refused the server's certificate (its
    handshake ended with the unknown-CA alert)."""
    srv = rig.rogue
    before = fault_matrix.cert_refusals(srv)
    e = expect_oserror(rig.connect, ctx, ROGUE_HOST)
    fault_matrix.settle(srv)
    assert fault_matrix.completed_handshakes(srv) == 0, srv.sessions
    return e, fault_matrix.cert_refusals(srv) > before


def verification_held(rig, ctx, first_error=None):
    """After the fault: the first connect (to the rogue server) was refused; the right
    server then works; the module holds seclevel 1; and the rogue server is refused
    again, this time certainly by the certificate check (ECONNABORTED at TLS)."""
    if first_error is None:
        rogue_refused(rig, ctx)
    echo_once(rig, ctx, b"after")
    assert rig.emu.state.cfg[0]["seclevel"] == 1
    assert rig.emu.state.cfg[0]["cacert"] == "RAM:ca0.pem"
    e, by_cert = rogue_refused(rig, ctx)
    assert by_cert and e.errno == errno.ECONNABORTED, e
    assert rig.m.status()[1] == []
    assert rig.emu.state.sockets == {}


def _garble_rdy(chunk):
    return chunk.replace(b"RDY", b"R\xfeY")


@pytest.mark.parametrize("how", ["banner_dropped", "rdy_garbled", "autobaud_silent"])
def test_unseen_restart_while_idle(net, how):
    rig, ctx = net
    f = rig.emu.faults
    if how == "banner_dropped":
        f.drop(len(BANNER))
        f.reboot()
    elif how == "rdy_garbled":
        f.mangle_next(_garble_rdy, kinds="urc")
        f.reboot()
    else:
        rig.emu.autobaud = True
        f.reboot(banner=False)
    rig.m.poll()
    assert rig.emu.state.cfg[0]["seclevel"] == 0  # the module forgot it
    verification_held(rig, ctx)


@pytest.mark.parametrize("banner", [True, False], ids=["rdy", "silent"])
def test_restart_during_a_connect(net, banner):
    """The module restarts after accepting AT+QSSLOPEN, before its result: that connect
    fails, and the next ones are as safe as before."""
    rig, ctx = net
    if not banner:
        rig.emu.autobaud = True
    fault_matrix.on_command(rig.emu, "+QSSLOPEN", lambda e, req: e.faults.reboot(banner))
    e = expect_oserror(rig.connect, ctx, ECHO_HOST, timeout=3)
    assert e.errno in (errno.ECONNRESET, errno.ETIMEDOUT, errno.ENOTCONN), e
    verification_held(rig, ctx)


def _is_ctxindex(req):
    return req.str(0) == "ctxindex"


def _is_seclevel(req):
    return req.str(0) == "seclevel"


@pytest.mark.parametrize("banner", [True, False], ids=["rdy", "silent"])
@pytest.mark.parametrize("when", ["before_open", "readback_answer", "seclevel_write"])
def test_restart_between_ensure_and_open(net, when, banner):
    """The worst window: the settings were read back (or written) and the module
    restarts before it handles AT+QSSLOPEN, which then meets a module with seclevel 0.
    The connect is to the rogue server: it must not succeed.
    before_open: the restart comes as the AT+QSSLOPEN line arrives; readback_answer:
    while the read-back answer is written (it is lost); seclevel_write: after an
    earlier unseen restart, while ensure() writes the settings again."""
    rig, ctx = net
    emu = rig.emu
    if not banner:
        emu.autobaud = True

    def restart(e, req):
        e.faults.reboot(banner)

    if when == "before_open":
        fault_matrix.on_command(emu, "+QSSLOPEN", restart, when="before")
    elif when == "readback_answer":
        fault_matrix.on_command(emu, "+QSSLCFG", restart, match=_is_ctxindex)
    else:
        if banner:
            emu.faults.drop(len(BANNER))
        emu.faults.reboot(banner)
        fault_matrix.on_command(emu, "+QSSLCFG", restart, match=_is_seclevel)
    first, _ = rogue_refused(rig, ctx)
    verification_held(rig, ctx, first)


def test_restart_while_the_ca_is_uploaded_again(net):
    """After an unseen restart ensure() uploads the CA again; the module restarts
    silently during that upload. No connect may go out on half-made settings."""
    rig, ctx = net
    rig.emu.autobaud = True
    rig.emu.faults.reboot(banner=False)
    fault_matrix.on_command(rig.emu, "+QSECWRITE", lambda e, req: e.faults.reboot(False))
    first, _ = rogue_refused(rig, ctx)
    verification_held(rig, ctx, first)
