# Why an SSL open failed (+QSSLOPEN: <i>,-1): the module does not say, so we ask, as
# chapter 4 does for the PDP context: is the name resolved (AT+QIDNSGIP), does plain
# TCP reach the port (AT+QIOPEN), and if both do, TLS itself failed: the CA, the
# certificate dates against the module clock (AT+CCLK?), or the suites. Loaded only
# when an open fails and ctx.diagnose is on.
from qssl.compat import const, ECONNABORTED, ETIMEDOUT
import qssl.at as at

# Constants of other modules, as private copies: folded into the bytecode, no globals
# (tests_host/test_shared_consts.py checks each against its source).
_K_OK = const(1)


def open_failure(ctx, host, port, timeout_ms):
    """The OSError to raise for a failed open of ctx's socket to (host, port)."""
    m = ctx._modem
    try:
        why = _why(m, ctx, host, port, timeout_ms)
    except OSError as ex:
        why = "no diagnosis (%s)" % ex
    return OSError(ECONNABORTED, "connection to %s:%d failed: %s" % (host, port, why))


def _why(m, ctx, host, port, timeout_ms):
    if not at.is_ipv4(host.encode(), 0, len(host)) and not _resolves(m, host, timeout_ms):
        return "name not resolved (AT+QIDNSGIP found no address for %s)" % host
    from qssl.tcp import TCPSocket

    t = TCPSocket(m)
    t.settimeout(timeout_ms / 1000)
    try:
        t.connect((host, port))
    except OSError as ex:
        if ex.errno == ETIMEDOUT:
            return "TCP did not connect in time (unreachable?)"
        return "TCP refused or unreachable (a plain TCP open to the same address failed)"
    finally:
        t.close()
    return ("TLS failed: TCP connects, so check that the server's chain ends at the CA loaded (%s),"
            " its dates against the module clock %s (or ctx.ignore_rtc = True), and that it accepts"
            " the module's TLS 1.0-1.2 RSA/CBC suites (docs/tls_paths.md for modern servers)"
            % (ctx.cafile, _clock(m)))


def _resolves(m, host, timeout_ms):
    e = m.eng
    e.begin(b"AT+QIDNSGIP=")
    e.add_quoted(host.encode())
    if e.run(timeout_ms) != _K_OK:
        return False
    # The address follows the OK as a bare line, or ERROR.
    from qssl.bringup import bare_ips

    ips = []
    try:
        return bare_ips(m, ips, None, timeout_ms) == _K_OK and bool(ips)
    except OSError:
        return False


def _clock(m):
    try:
        line = m.query_line(b"AT+CCLK?", b"+CCLK:")
        return at.text(line, 7, len(line)).strip()
    except OSError:
        return "(unknown)"
