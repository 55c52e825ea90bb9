"""SIM, registration and identity: +CPIN, +CREG, +CGREG, +CGATT, +CSQ, +GSN/+CGSN,
+QCCID/+CCID, +GMI/+CGMI, +GMM/+CGMM, +GMR/+CGMR.

While the SIM is not ready: +CREG/+CGREG report stat 0, +CGATT? 0, AT+CGATT=1 answers
the SIM's +CME ERROR (10 absent, 11 PIN, 12 PUK, 13 failed); the PDP commands refuse.
"""
from . import sim

LAC, CI = "1A2B", "3C4D"  # printed with stat 1/5 when <n> is 2
SIM_ERRORS = {None: 10, "SIM PIN": 11, "SIM PUK": 12}


def sim_error(emu):
    """Answer the +CME ERROR that says why the SIM is not ready."""
    st = emu.state
    emu.cme(13 if st.card.failed() else SIM_ERRORS.get(st.sim_word(), 10))


# --- +CPIN ---------------------------------------------------------------------------------
def cpin(emu, req):
    st = emu.state
    card = st.card
    word = st.sim_word()
    if req.kind == "read":
        if word is None:
            emu.cme(13 if card.failed() else 10)
            return
        emu.line("+CPIN: %s" % word)
        emu.ok()
    elif req.kind == "test":
        emu.ok()
    elif req.kind == "write":
        if word is None:
            sim_error(emu)
        elif word == "READY":
            emu.cme(3)  # operation not allowed: nothing to unlock
        elif word == "SIM PIN":
            _enter_pin(emu, req)
        else:
            _enter_puk(emu, req)
    else:
        emu.error()


def _enter_pin(emu, req):
    st, card = emu.state, emu.state.card
    if req.n != 1 or not req.str(0):
        emu.error()
        return
    if req.str(0) != card.pin:
        card.pin_left -= 1
        if card.pin_left <= 0:
            card.blocked = True
            card.puk_left = sim.PUK_TRIES
        emu.cme(16)  # incorrect password
        return
    card.pin_left = sim.PIN_TRIES
    st.pin_ok = True
    emu.ok()
    sim_became_ready(emu)


def _enter_puk(emu, req):
    st, card = emu.state, emu.state.card
    if req.n != 2 or not req.str(0) or not (req.str(1) or "").isdigit():
        emu.error()
        return
    if req.str(0) != card.puk:
        card.puk_left -= 1
        emu.cme(16)
        return
    card.blocked = False
    card.pin = req.str(1)
    card.pin_left, card.puk_left = sim.PIN_TRIES, sim.PUK_TRIES
    st.pin_ok = True
    emu.ok()
    sim_became_ready(emu)


def sim_became_ready(emu):
    """The PIN was taken: registration starts; Call Ready and SMS Ready follow shortly."""
    start_registration(emu)

    def ready():
        if emu.state.sim_ready():
            emu.urc("Call Ready")
            emu.urc("SMS Ready")

    emu.add_timer(emu.sim_ready_delay, ready)


# --- registration ------------------------------------------------------------------------------
def start_registration(emu):
    """(Re)start the schedule now and arrange the URCs of its changes."""
    st = emu.state
    st.start_registration()
    if st.reg_t0 is None:
        return
    for t in sorted(set(sim.boundaries(st.reg_steps) + sim.boundaries(st.greg_steps or st.reg_steps))):
        emu.add_timer(t + 0.001, lambda: reg_changed(emu))
    reg_changed(emu)


def _reg_text(n, stat, read):
    parts = ["%d" % n] if read else []
    parts.append("%d" % stat)
    if n == 2 and stat in (1, 5):
        parts += ['"%s"' % LAC, '"%s"' % CI]
    return ",".join(parts)


def reg_changed(emu):
    """Print +CREG: <stat> / +CGREG: <stat> for a change, when enabled by <n>."""
    st = emu.state
    for name, n, gprs in (("+CREG", st.creg_n, False), ("+CGREG", st.cgreg_n, True)):
        stat = st.reg_stat(gprs)
        if n and st.reg_seen.get(name) != stat:
            emu.urc("%s: %s" % (name, _reg_text(n, stat, False)))
        st.reg_seen[name] = stat


def _reg_command(emu, req, name, attr, gprs):
    st = emu.state
    if req.kind == "read":
        emu.line("%s: %s" % (name, _reg_text(getattr(st, attr), st.reg_stat(gprs), True)))
        emu.ok()
    elif req.kind == "test":
        emu.line("%s: (0-2)" % name)
        emu.ok()
    elif req.kind == "write" and req.n == 1 and req.int(0) in (0, 1, 2):
        setattr(st, attr, req.int(0))
        st.reg_seen[name] = st.reg_stat(gprs)
        emu.ok()
    else:
        emu.error()


def creg(emu, req):
    _reg_command(emu, req, "+CREG", "creg_n", False)


def cgreg(emu, req):
    _reg_command(emu, req, "+CGREG", "cgreg_n", True)


def cgatt(emu, req):
    st = emu.state
    if req.kind == "read":
        emu.line("+CGATT: %d" % (1 if st.gprs_attached() else 0))
        emu.ok()
    elif req.kind == "test":
        emu.line("+CGATT: (0,1)")
        emu.ok()
    elif req.kind == "write" and req.n == 1 and req.int(0) in (0, 1):
        if not st.sim_ready():
            sim_error(emu)
        elif req.int(0) == 0:
            st.attached = False
            emu.ok()
            if st.ip_state not in ("IP INITIAL", "IP START"):
                from .commands_ssl import pdp_deact

                pdp_deact(emu)
        elif st.reg_stat(True) in (1, 5):
            st.attached = True
            emu.ok()
        else:
            # Searching: the attach is remembered and happens once registered (OK).
            # Not searching, denied or unknown: the attach fails. Either takes a moment.
            searching = st.reg_stat(True) == 2
            if searching:
                st.attached = True
            emu.answer_later(emu.net_delay, emu.ok if searching else emu.error)
    else:
        emu.error()


# --- signal and identity ---------------------------------------------------------------------------
def csq(emu, req):
    if req.kind == "exec":
        emu.line("+CSQ: %d,%d" % emu.state.csq)
        emu.ok()
    elif req.kind == "test":
        emu.line("+CSQ: (0-31,99),(0-7,99)")
        emu.ok()
    else:
        emu.error()


def _bare(value_of):
    """A command that answers one bare line (no "+NAME:" prefix) and OK."""

    def handler(emu, req):
        if req.kind == "test":
            emu.ok()
        elif req.kind != "exec":
            emu.error()
        else:
            v = value_of(emu)
            if v is None:
                sim_error(emu)
                return
            emu.line(v)
            emu.ok()

    return handler


# --- DNS and the clock (what a diagnosis of a failed open asks) -------------------------------------
def qidnsgip(emu, req):
    """AT+QIDNSGIP="<name>": OK at once, then the address as a bare line (or ERROR) when
    the lookup is done. A name resolves when the route table has it, for any port; an IP
    literal is its own answer. Needs the PDP context up."""
    if req.kind == "test":
        emu.ok()
        return
    if req.kind != "write" or req.n != 1 or not req.given(0):
        emu.error()
        return
    if emu.state.ip_state not in ("IP STATUS", "IP PROCESSING", "IP GPRSACT"):
        emu.error()
        return
    name = req.str(0)
    addr = None
    parts = name.split(".")
    if len(parts) == 4 and all(p.isdigit() for p in parts):
        addr = name
    else:
        for (host, _port), target in emu.routes.items():
            if host.lower() == name.lower():
                addr = target[0]
                break
    emu.ok()
    emu.answer_later(emu.net_delay, (lambda: emu.line(addr)) if addr else emu.error)


def cclk(emu, req):
    """AT+CCLK?: the module clock (emu.clock) as "yy/MM/dd,hh:mm:ss+zz" (UTC, zz = 0)."""
    if req.kind == "read":
        emu.line('+CCLK: "%s+00"' % emu.clock.strftime("%y/%m/%d,%H:%M:%S"))
        emu.ok()
    elif req.kind == "test":
        emu.ok()
    else:
        emu.error()


def _iccid(emu):
    card = emu.state.card
    return emu.iccid if card.present and not card.failed() else None


COMMANDS = {
    "+QIDNSGIP": qidnsgip,
    "+CCLK": cclk,
    "+CPIN": cpin,
    "+CREG": creg,
    "+CGREG": cgreg,
    "+CGATT": cgatt,
    "+CSQ": csq,
    "+GSN": _bare(lambda emu: emu.imei),
    "+CGSN": _bare(lambda emu: emu.imei),
    "+QCCID": _bare(_iccid),
    "+CCID": _bare(_iccid),
    "+GMI": _bare(lambda emu: emu.manufacturer),
    "+CGMI": _bare(lambda emu: emu.manufacturer),
    "+GMM": _bare(lambda emu: emu.model),
    "+CGMM": _bare(lambda emu: emu.model),
    "+GMR": _bare(lambda emu: "Revision: " + emu.revision),
    "+CGMR": _bare(lambda emu: "Revision: " + emu.revision),
}
