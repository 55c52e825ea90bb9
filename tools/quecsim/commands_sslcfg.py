"""AT+QSSLCFG: the 6 SSL contexts and the global SSL settings (ERRATA 3-6)."""
from qssl import at

from .state import NCTX
from .tlsconfig import VALID_SUITES

_RANGES = {"sslversion": (0, 4), "seclevel": (0, 2)}
_NAMES = ("cacert", "clientcert", "clientkey")
_GLOBAL = {
    "ignorertc": ("ignorertc", 0, 1),
    "ignorertctime": ("ignorertc", 0, 1),
    "ignorevertime": ("ignorertc", 0, 1),
    "https": ("https", 0, 1),
    "httpsctxi": ("httpsctxi", 0, NCTX - 1),
    "smtpstyle": ("smtpstyle", 0, 2),
    "smtpsctxi": ("smtpsctxi", 0, NCTX - 1),
}


def _suite(req, i):
    s, e = req.offs[2 * i], req.offs[2 * i + 1]
    text = req.line[s:e]
    if text[:2].lower() == b"0x":
        v = at.parse_int(req.line, s, e)
    else:
        v = at.parse_hex(req.line, s, e) if len(text) == 4 else None
    return v if v in VALID_SUITES else None


def _ctx_line(i, c):
    return '+QSSLCFG: %d,%d,%d,0X%04X,"%s","%s","%s"' % (
        i,
        c["sslversion"],
        c["seclevel"],
        c["ciphersuite"],
        c["cacert"],
        c["clientcert"],
        c["clientkey"],
    )


def qsslcfg(emu, req):
    st = emu.state
    if req.kind == "test":
        emu.line('+QSSLCFG: "type",(0-%d),"value"' % (NCTX - 1))
        emu.ok()
        return
    if req.kind != "write" or req.n < 1:
        emu.error()
        return
    what = req.str(0).lower()
    key = "seclevel" if what == "secllevel" else what
    if key in _GLOBAL:
        attr, lo, hi = _GLOBAL[key]
        if req.n == 1:
            emu.line('+QSSLCFG: "%s",%d' % (what, st.glob[attr]))
            emu.ok()
            return
        v = req.int(1)
        if req.n != 2 or v is None or not lo <= v <= hi:
            emu.error()
            return
        st.glob[attr] = v
        emu.ok()
        return
    ctx = req.int(1)
    if req.n < 2 or ctx is None or not 0 <= ctx < NCTX:
        emu.error()
        return
    c = st.cfg[ctx]
    if key == "ctxindex":
        if req.n != 2:
            emu.error()
            return
        emu.line(_ctx_line(ctx, c))
        emu.ok()
        return
    if key not in _RANGES and key != "ciphersuite" and key not in _NAMES:
        emu.error()
        return
    if req.n == 2:  # query
        v = c[key]
        if key == "ciphersuite":
            emu.line('+QSSLCFG: "%s",0X%04X' % (what, v))
        elif key in _NAMES:
            emu.line('+QSSLCFG: "%s","%s"' % (what, v))
        else:
            emu.line('+QSSLCFG: "%s",%d' % (what, v))
        emu.ok()
        return
    if req.n != 3:
        emu.error()
        return
    if key == "ciphersuite":
        v = _suite(req, 2)
        if v is None:
            emu.error()
            return
    elif key in _NAMES:
        v = req.str(2)
        if not v or len(v) > 80:
            emu.error()
            return
    else:
        v = req.int(2)
        lo, hi = _RANGES[key]
        if v is None or not lo <= v <= hi:
            emu.error()
            return
    c[key] = v
    emu.ok()


COMMANDS = {"+QSSLCFG": qsslcfg}
