# The modem's cold paths (services layer): bring-up with the SIM, registration and the
# PDP context with its failure diagnosis (chapter 4), leftover sockets, status and
# recovery. Modem methods call in here: a program holds these functions in RAM only
# from its first start(), and a frozen build keeps their code in flash.
from qssl.compat import const, clamp_ms
import qssl.compat as compat
import qssl.at as at
import qssl.check as check

# Constants of other modules, as private copies: folded into the bytecode, no globals
# (tests_host/test_shared_consts.py checks each against its source).
_EACCES = const(13)
_ENOENT = const(2)
_EIO = const(5)
_DEAD_PDP = const(3)
_DEAD_REBOOT = const(4)
_F_CLOSE = const(0x4C)
_F_DEACT = const(0x8C)
_K_CLOSE_OK = const(6)
_K_CME = const(3)
_K_DEACT_OK = const(7)
_K_OK = const(1)
_NSOCK = const(6)

_POWER_OFF_MS = const(1500)  # off long enough for the module to lose its state


def _left(deadline, longest):
    """ms left before deadline, at most longest; OSError(ETIMEDOUT) when none."""
    t = compat.ticks_diff(deadline, compat.ticks_ms())
    if t <= 0:
        raise OSError(compat.ETIMEDOUT, "timed out")
    return t if t < longest else longest


def _pdp_error(step, text):
    from qssl.errors import PDPError  # loaded only when attach() fails

    return PDPError(step, text)


def _known_good(m):
    m._epoch = m.eng.epoch()
    m._down = False


def start(m, pin, timeout_ms):
    if pin is not None:
        pin = check.text(pin, "pin", 8)
    deadline = compat.ticks_add(compat.ticks_ms(), clamp_ms(timeout_ms))
    _sync(m.eng, deadline)
    _bring_up(m, pin, deadline)


def _bring_up(m, pin, deadline):
    # start() after the sync; recover() comes here straight from its own resync.
    e = m.eng
    e.echo_off = False
    e.check(e.command(b"ATE0", _left(deadline, 1000)))
    e.echo_off = True
    e.check(e.command(b"AT+CMEE=1", _left(deadline, 1000)))
    # The SIM: ready, or its PIN entered (once) when asked and given.
    entered = False
    while True:
        lines = []
        m._lines = lines
        e.on_line = m._take_line
        kind = e.command(b"AT+CPIN?", _left(deadline, 5000), b"+CPIN:")
        state = lines[0][7:].strip() if lines and kind == _K_OK else b""
        if state == b"READY":
            break
        if kind == _K_CME and e.p.code == 10:
            raise OSError(_ENOENT, "SIM not inserted (+CME ERROR: 10)")
        if state == b"SIM PUK":
            raise OSError(_EACCES, "the SIM is blocked and asks for its PUK: unlock it in a phone")
        if state == b"SIM PIN" and not entered:
            if pin is None:
                raise OSError(_EACCES, "the SIM asks for its PIN: call start(pin=...)")
            e.begin(b"AT+CPIN=")
            e.add_quoted(pin)
            kind = e.run(_left(deadline, 5000))
            if kind == _K_CME and e.p.code == 16:
                raise OSError(_EACCES, "wrong SIM PIN (+CME ERROR: 16); the SIM blocks after 3 tries")
            e.check(kind)
            entered = True
        elif compat.ticks_diff(deadline, compat.ticks_ms()) <= 0:
            if kind != _K_OK:
                e.fail(kind)
            raise OSError(compat.ETIMEDOUT, "SIM not ready: " + state.decode())
        left = compat.ticks_diff(deadline, compat.ticks_ms())
        compat.sleep_ms(500 if left > 500 else left)  # SIM busy after power-up, or the PIN just entered
    m._pin = pin
    m.started = True
    _close_foreign(m, deadline)
    _known_good(m)


def _sync(e, deadline):
    # The engine's resync, which an old answer cannot satisfy (a booting module's late
    # OK, or the answer an earlier run of the program never read). If the module does
    # not answer, it may still wait for the payload a program that died after a prompt
    # promised (fed as ESC, at most one send's 1460 bytes), or sit in data mode or an
    # upload (+++ between guard times): each is tried once, then plain syncs again.
    p = e.p
    noise = p.noise + p.unknown
    step = 0
    while True:
        t = compat.ticks_diff(deadline, compat.ticks_ms())
        if t <= 0:
            if p.noise + p.unknown != noise:
                raise OSError(compat.ETIMEDOUT, "no answer to AT, only unreadable bytes (%d noise, %d"
                              " unknown lines): is the baud rate right?" % (p.noise, p.unknown))
            raise OSError(compat.ETIMEDOUT, "no answer to AT: is the module powered and wired (TX/RX crossed)?")
        e.owed = 1460 if step == 1 else 0
        e.data_mode = step == 2
        try:
            e.resync(t if t < 3000 else 3000)
            return
        except OSError as ex:
            if ex.errno != compat.ETIMEDOUT:
                raise
        step += 1


def attach(m, apn, user, password, timeout_ms):
    bapn = check.text(apn, "apn", 100)
    buser = check.optional_text(user, "user", 60)
    bpass = check.optional_text(password, "password", 60)
    if not m.started:
        # Echo still on, text errors, the SIM not asked: and the connect that follows
        # would refuse for want of start() anyway.
        raise OSError(compat.ENOTCONN, "call modem.start() before modem.attach()")
    deadline = compat.ticks_add(compat.ticks_ms(), clamp_ms(timeout_ms))
    # Wait until registered on the packet network (home or roaming).
    while True:
        stat = _query_int(m, b"AT+CGREG?", b"+CGREG:", 1, _left(deadline, 5000))
        if stat == 1 or stat == 5:
            break
        if stat == 3:
            raise _pdp_error("CGREG", "registration denied by the network (+CGREG stat 3): check the SIM's plan")
        if compat.ticks_diff(deadline, compat.ticks_ms()) <= 1000:
            words = ("not registered, not searching", "registered (home)", "searching", "registration denied",
                     "unknown", "registered (roaming)")
            words = words[stat] if stat is not None and 0 <= stat < len(words) else "no answer"
            raise _pdp_error("CGREG", "not registered on the packet network: %s (stat %s)" % (words, stat))
        compat.sleep_ms(1000)
    state = m.status(_left(deadline, 5000))[0]
    if state == "PDP DEACT":
        m.detach(_left(deadline, 40000))
        state = "IP INITIAL"
    e = m.eng
    if state == "IP INITIAL":
        e.begin(b"AT+QIFGCNT=")
        e.add_int(m.cid)
        e.check(e.run(_left(deadline, 1000)))
        e.begin(b"AT+QICSGP=1,")
        e.add_quoted(bapn)
        if buser or bpass:
            e.add_byte(44)
            e.add_quoted(buser)
            e.add_byte(44)
            e.add_quoted(bpass)
        e.check(e.run(_left(deadline, 1000)))
        # Several sockets and plain TCP beside SSL (chapter 1.3), data read on demand.
        e.check(e.command(b"AT+QIMUX=1", _left(deadline, 1000)))
        e.check(e.command(b"AT+QIREGAPP", _left(deadline, 5000)))
        state = "IP START"
    if state in ("IP START", "IP CONFIG", "IP IND"):
        kind = e.command(b"AT+QIACT", _left(deadline, 150000))
        if kind != _K_OK:
            # Chapter 4 / ERRATA 23: attach, registration, APN, then give up.
            if _query_int(m, b"AT+CGATT?", b"+CGATT:", 0, _left(deadline, 5000)) != 1:
                if e.command(b"AT+CGATT=1", _left(deadline, 75000)) != _K_OK:
                    raise _pdp_error("CGATT", "the module could not attach to the packet domain")
            stat = _query_int(m, b"AT+CGREG?", b"+CGREG:", 1, _left(deadline, 5000))
            if stat not in (1, 5):
                raise _pdp_error("CGREG", "not registered on the packet network (stat %s)" % stat)
            if e.command(b"AT+QIACT", _left(deadline, 150000)) != _K_OK:
                raise _pdp_error(
                    "QIACT",
                    "activation refused though attached and registered: check the APN, that the"
                    " context is not used by PPP or AT+CGACT; else reboot the module (retry"
                    " three times, ten minutes apart)",
                )
    e.check(e.command(b"AT+QINDI=1", _left(deadline, 1000)))
    # AT+QILOCIP answers a bare address and no OK (ERRATA 18).
    ips = []
    kind = bare_ips(m, ips, b"AT+QILOCIP", _left(deadline, 5000))
    if kind != _K_OK or not ips:
        e.fail(kind)
    m.ip = ips[0]
    m._apn = (apn, user, password)
    _close_foreign(m, deadline)
    _known_good(m)
    return m.ip


def bare_ips(m, ips, cmd, timeout_ms):
    """Run cmd (or, when cmd is None, wait on after AT+QIDNSGIP's OK) and append to ips the
    bare dotted-quad lines it answers; the first one ends the command. Returns its final."""
    e = m.eng

    def take(p):
        if at.is_ipv4(p.line, 0, p.n):
            ips.append(at.text(p.line, 0, p.n))
            e.final = _K_OK

    e.on_line = take
    if cmd is not None:
        return e.command(cmd, timeout_ms, at.BARE)
    e.p.expect = at.BARE
    e.p.expect_bare = True
    return e.wait(timeout_ms)


def _query_int(m, cmd, prefix, field, timeout_ms):
    """Integer field of a one-line query answer, None if absent."""
    m._lines = []
    m.eng.on_line = m._take_line
    kind = m.eng.command(cmd, timeout_ms, prefix)
    if kind != _K_OK or not m._lines:
        return None
    line = m._lines[0]
    offs = [0] * 8
    n = at.split_fields(line, len(prefix), len(line), offs)
    if field >= n:
        return None
    return at.parse_int(line, offs[2 * field], offs[2 * field + 1])


def detach(m, timeout_ms):
    kind = m.eng.command(b"AT+QIDEACT", timeout_ms, None, _F_DEACT)
    if kind != _K_DEACT_OK:
        m.eng.fail(kind)
    m.ip = None
    m._apn = None  # asked for: recovery does not bring it back
    m.slots.kill_all(_DEAD_PDP)


_STATES = ("IP INITIAL", "IP START", "IP CONFIG", "IP IND", "IP GPRSACT", "IP STATUS",
           "IP PROCESSING", "PDP DEACT")
_SOCKET_STATES = ("INITIAL", "CONNECTING", "CONNECTED", "REMOTE CLOSING", "CLOSING", "CLOSED")


def status(m, timeout_ms):
    rows = []
    state = None
    s = m.slots
    busy = bytearray(_NSOCK)
    for line in m.query(b"AT+QSSLSTATE", b"+QSSLSTATE:", timeout_ms):
        offs = [0] * 12
        n = at.split_fields(line, 11, len(line), offs)
        # Every word is checked against the spec's lists (2.2.6): a byte lost inside one
        # ("IP PROCESSIG", "CONNETED") must not pass for an answer.
        if n == 1:
            state = at.text(line, offs[0], offs[1])
            if state not in _STATES:
                raise OSError(_EIO, "garbled AT+QSSLSTATE state: %r" % state)
        elif n == 6:
            i = at.parse_int(line, offs[0], offs[1])
            row = (i, at.text(line, offs[2], offs[3]), at.text(line, offs[4], offs[5]),
                   at.parse_int(line, offs[6], offs[7]), at.text(line, offs[8], offs[9]),
                   at.parse_int(line, offs[10], offs[11]))
            if (i is None or not 0 <= i < _NSOCK or row[1] not in ("TCP", "UDP") or row[3] is None
                    or row[4] not in _SOCKET_STATES or row[5] not in (0, 1) or busy[i]):
                raise OSError(_EIO, "garbled AT+QSSLSTATE row")
            busy[i] = 1
            rows.append(row[:5] + (row[5] == 1,))
        else:
            raise OSError(_EIO, "garbled AT+QSSLSTATE line")
    if state is None:
        raise OSError(_EIO, "AT+QSSLSTATE answered without its state line")
    for i in range(_NSOCK):
        s.foreign[i] = 1 if busy[i] and s.owner[i] is None else 0
    return state, rows


def _close_foreign(m, deadline):
    """Close what the module holds that no socket of ours owns (left from before an
    MCU reset, or a connect that timed out), so its indexes are free again."""
    e = m.eng
    for row in m.status(_left(deadline, 5000))[1]:
        i = row[0]
        if m.slots.owner[i] is not None:
            continue
        e.begin(b"AT+QSSLCLOSE=" if row[5] else b"AT+QICLOSE=")
        e.add_int(i)
        try:
            if e.run(_left(deadline, 5000), None, _F_CLOSE) == _K_CLOSE_OK:
                m.slots.foreign[i] = 0
        except OSError as ex:
            if ex.errno == compat.ETIMEDOUT:
                raise


def close_foreign(m, timeout_ms):
    """_close_foreign within timeout_ms (asked before a connect when no index is free)."""
    _close_foreign(m, compat.ticks_add(compat.ticks_ms(), clamp_ms(timeout_ms)))


def recover(m, timeout_ms):
    deadline = compat.ticks_add(compat.ticks_ms(), clamp_ms(timeout_ms))
    e = m.eng
    m.recoveries += 1
    echoes = e.echoes
    try:
        e.resync(_left(deadline, 10000))
    except OSError as ex:
        if ex.errno != compat.ETIMEDOUT or m.power is None:
            raise OSError(compat.ETIMEDOUT, "the module does not answer; give Modem(power=...) so"
                          " recovery can power-cycle it")
        # Power-cycle: off long enough for the module to lose its state.
        m.power_cycles += 1
        m.power(False)
        compat.sleep_ms(_POWER_OFF_MS)
        m.power(True)
        e.unsure = False
        e.owed = 0
        e.data_mode = False
        m._lost(_DEAD_REBOOT)
        _sync(e, compat.ticks_add(compat.ticks_ms(), _left(deadline, 30000)))
    _bring_up(m, m._pin, compat.ticks_add(compat.ticks_ms(), _left(deadline, 30000)))
    # An echo where we had switched it off, or "+CMEE: 0": the module restarted unseen.
    restarted = e.echoes != echoes
    state = m.status(_left(deadline, 5000))[0]
    if state not in ("IP STATUS", "IP PROCESSING", "IP GPRSACT"):
        # The PDP context is gone (unseen restart or PDP loss): so are open sockets.
        m.slots.kill_all(_DEAD_REBOOT if restarted else _DEAD_PDP)
        m.ip = None
    if m._apn is not None and m.ip is None:
        apn, user, password = m._apn
        m.attach(apn, user, password, _left(deadline, 150000))
    _known_good(m)
