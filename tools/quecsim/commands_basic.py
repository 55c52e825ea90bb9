"""Basic commands (AT, ATE, ATI, ATO, +CMEE, +QIMUX, +QINDI) and the PDP context
(+QIFGCNT, +QICSGP, +QIREGAPP, +QIACT, +QILOCIP, +QIDEACT). SIM and network status:
commands_network.py."""


def basic(emu, body):
    """Commands without "+": ATE0/1, ATI, ATO, ATZ, ATV1, ATQ0."""
    st = emu.state
    u = body.upper().strip()
    if u in (b"E0", b"E1", b"E"):
        st.echo = u == b"E1"
        emu.ok()
    elif u in (b"I", b"I0"):
        for t in (emu.manufacturer, emu.model, "Revision: " + emu.revision):
            emu.line(t)
        emu.ok()
    elif u == b"O" or u == b"O0":
        from .commands_ssl import ato

        ato(emu)
    elif u in (b"Z", b"Z0", b"V1", b"Q0", b"&F", b"&F0", b"&W"):
        emu.ok()
    else:
        emu.error()


def _flag(emu, req, attr, lo, hi, header):
    st = emu.state
    if req.kind == "read":
        emu.line("%s: %d" % (header, getattr(st, attr)))
        emu.ok()
    elif req.kind == "test":
        emu.line("%s: (%d-%d)" % (header, lo, hi))
        emu.ok()
    elif req.kind == "write":
        v = req.int(0)
        if req.n != 1 or v is None or not lo <= v <= hi:
            emu.error()
            return False
        setattr(st, attr, v)
        emu.ok()
        return True
    else:
        emu.error()
    return False


def cmee(emu, req):
    _flag(emu, req, "cmee", 0, 2, "+CMEE")


def qindi(emu, req):
    _flag(emu, req, "qindi", 0, 2, "+QINDI")


def qimux(emu, req):
    if req.kind == "write" and emu.state.sockets:
        emu.error()
        return
    _flag(emu, req, "qimux", 0, 1, "+QIMUX")


def qifgcnt(emu, req):
    _flag(emu, req, "fgcnt", 0, 1, "+QIFGCNT")


def qicsgp(emu, req):
    st = emu.state
    if req.kind == "read":
        emu.line('+QICSGP: 1,"%s","%s","%s"' % (st.apn or "", st.user, st.pwd))
        emu.ok()
    elif req.kind == "test":
        emu.line('+QICSGP: (0,1),"APN","USER","PWD"')
        emu.ok()
    elif req.kind == "write":
        mode = req.int(0)
        if mode not in (0, 1) or req.n < 2 or req.n > 5:
            emu.error()
            return
        st.apn = req.str(1, "")
        st.user = req.str(2, "")
        st.pwd = req.str(3, "")
        emu.ok()
    else:
        emu.error()


def qiregapp(emu, req):
    st = emu.state
    if req.kind == "exec" or req.kind == "write":
        if st.ip_state != "IP INITIAL" or not st.sim_ready():
            emu.error()
            return
        st.ip_state = "IP START"
        emu.ok()
    elif req.kind == "read":
        emu.line('+QIREGAPP: "%s","%s","%s"' % (st.apn or "", st.user, st.pwd))
        emu.ok()
    elif req.kind == "test":
        emu.ok()


def qiact(emu, req):
    st = emu.state
    if req.kind == "test":
        emu.ok()
        return
    if req.kind != "exec":
        emu.error()
        return
    if st.ip_state != "IP START":
        emu.error()
        return
    if not st.sim_ready() or not st.gprs_attached() or st.qiact_fails or not st.apn:
        emu.answer_later(emu.net_delay, emu.error)  # the network is asked first: it takes a moment
        return
    st.ip_state = "IP GPRSACT"
    emu.ok()


def qilocip(emu, req):
    st = emu.state
    if req.kind != "exec":
        emu.error() if req.kind != "test" else emu.ok()
        return
    if st.ip_state not in ("IP GPRSACT", "IP STATUS", "IP PROCESSING"):
        emu.error()
        return
    if st.ip_state == "IP GPRSACT":
        st.ip_state = "IP STATUS"
    emu.line(emu.local_ip)  # a bare address, no OK (ERRATA 18)


def qideact(emu, req):
    from .commands_ssl import drop_all

    if req.kind == "test":
        emu.ok()
        return
    if req.kind != "exec":
        emu.error()
        return
    drop_all(emu, notify=False)
    emu.state.ip_state = "IP INITIAL"
    emu.line("DEACT OK")


COMMANDS = {
    "basic": basic,
    "+CMEE": cmee,
    "+QIMUX": qimux,
    "+QINDI": qindi,
    "+QIFGCNT": qifgcnt,
    "+QICSGP": qicsgp,
    "+QIREGAPP": qiregapp,
    "+QIACT": qiact,
    "+QILOCIP": qilocip,
    "+QIDEACT": qideact,
}
