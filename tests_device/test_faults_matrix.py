# One cell of the fault matrix (issue 8) as a user program sees it, written once for
# MicroPython and CPython: tools/fault_matrix.py runs cell() in-process on CPython,
# and runs this script on the MicroPython unix port against the emulator on a pty,
# where its control socket arms the module's faults.
#
# A cell: start, attach, one SSL socket with 1000 bytes echoed; then a fault at a
# moment (idle, during connect, send, recv or a certificate upload); then what the
# user saw, whether every byte delivered was the right one, the time until a connect
# works again with recover=True (only connect is called again; after an MCU reset the
# new program starts and attaches), that a server signed by an unrelated CA is refused
# afterwards, and what is left open in the module.
#
# As a script: $QSSL_FAULT_ENV names a JSON file (pty, control socket, hosts, CA,
# cells); each cell prints one line "CELL <json>", then the tinytest summary. Without
# it the script skips (tools/run_device_tests.py has no emulator with a control socket).
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()
import json
import os

import qssl
from qssl.compat import ticks_ms, ticks_diff, sleep_ms, uart_port

FAULTS = ("restart", "restart_silent", "pdp_deact", "peer_close", "send_fail", "noise", "drop_in",
          "drop_out", "silence", "overlong", "mcu_reset", "hang")
MOMENTS = ("idle", "connect", "send", "recv", "upload")
OP_TIMEOUT = 3  # seconds, the user's socket timeout while the fault happens
RECONNECT_TIMEOUT = 20  # seconds, each connect of the recovery loop
RECONNECT_TRIES = 4
BEFORE = 1000  # bytes echoed before the fault
DURING = 3000  # bytes sent and read at the send/recv moments
AFTER = 300


class McuReset(BaseException):
    """The program dies here (not an OSError: the library must not catch it)."""


# Where an MCU reset cuts the program: after it wrote a command starting with `cmd`,
# at its next read ("read": waiting for the answer) or write ("write": the payload).
_TRIPS = {"connect": (b"AT+QSSLOPEN", "read"), "send": (b"AT+QSSLSEND", "write"),
          "recv": (b"AT+QSSLRECV", "read"), "upload": (b"AT+QSECWRITE", "write")}


class TripUart:
    """The UART in the MicroPython stream shape, cut (McuReset) at an armed point."""

    def __init__(self, uart):
        self.u = uart_port(uart)
        self.cmd = None
        self.when = None
        self.seen = False

    def arm(self, cmd, when):
        self.cmd = cmd
        self.when = when
        self.seen = False

    def _check(self, op):
        if self.seen and self.when == op:
            self.cmd = None
            self.seen = False
            raise McuReset("MCU reset")

    def any(self):
        self._check("read")
        return self.u.any()

    def readinto(self, buf, n=-1):
        self._check("read")
        return self.u.readinto(buf, n)

    def write(self, buf, off=0, n=-1):
        if n < 0:
            n = len(buf) - off
        self._check("write")
        if self.cmd is not None and bytes(buf[off:off + len(self.cmd)]) == self.cmd:
            self.seen = True
        return self.u.write(buf, off, n)


def byte_at(i):
    return (i * 7 + 3 + (i >> 8)) & 0xFF


class Echo:
    """An SSL socket to the echo server; every byte read is checked against what
    was sent at that offset."""

    def __init__(self, sock):
        self.s = sock
        self.sent = 0
        self.got = 0
        self.bad = -1  # first offset that differed
        self.eof = False

    def send(self, n):
        b = bytearray(n)
        for k in range(n):
            b[k] = byte_at(self.sent + k)
        self.s.sendall(b)
        self.sent += n

    def read_all(self, timeout_s=OP_TIMEOUT * 4):
        buf = bytearray(512)
        t0 = ticks_ms()
        while self.got < self.sent:
            if ticks_diff(ticks_ms(), t0) > timeout_s * 1000:
                raise OSError(110, "test: read %d of %d" % (self.got, self.sent))
            k = self.s.recv_into(buf, min(512, self.sent - self.got))
            if not k:
                self.eof = True
                return
            for j in range(k):
                if self.bad < 0 and buf[j] != byte_at(self.got + j):
                    self.bad = self.got + j
            self.got += k

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def _err(e):
    if isinstance(e, McuReset):
        return [0, "MCU reset"]
    return [e.args[0] if e.args else 0, str(e)]


def connect(ctx, host, port, timeout=OP_TIMEOUT):
    s = ctx.socket()
    s.settimeout(timeout)
    try:
        s.connect((host, port))
    except BaseException:
        s.close()
        raise
    return Echo(s)


class Env:
    """What a cell needs from where it runs. uart(): the module's UART; arm(fault,
    moment): the module side of the fault (the emulator); power: Modem(power=)."""

    def __init__(self, uart, arm, power, cfg):
        self.uart = uart
        self.arm = arm
        self.power = power
        self.cfg = cfg


def new_program(env, trip):
    """A user program's bring-up: start, attach, context 0 (and 1) trusting the CA."""
    m = qssl.Modem(trip, power=env.power, recover=True)
    m.start(timeout_ms=30000)
    m.attach(apn=env.cfg["apn"], timeout_ms=60000)
    ctx = m.ssl_context(0)
    ctx.load_verify_locations(cadata=env.cfg["ca_pem"])
    return m, ctx


def cell(env, fault, moment):
    """Run one cell; returns a dict of plain values (printed as JSON on the device)."""
    cfg = env.cfg
    good = (cfg["good_host"], cfg["good_port"])
    r = {"fault": fault, "moment": moment, "saw": None, "old": None, "before": 0, "intact": True,
         "reconnect_ms": None, "tries": 0, "retry_errors": [], "rogue": [], "seclevel": [],
         "left": None, "six": None, "stats": None, "setup_error": None}
    trip = TripUart(env.uart())
    try:
        m, ctx = new_program(env, trip)
        a = connect(ctx, good[0], good[1])
        a.send(BEFORE)
        a.read_all()
    except OSError as e:
        r["setup_error"] = _err(e)
        return r
    r["before"] = a.got
    socks = [a]
    ctxs = [ctx]
    # --- the fault, and the operation it meets ---------------------------------------
    reset = fault == "mcu_reset"
    if reset and moment != "idle":
        trip.arm(_TRIPS[moment][0], _TRIPS[moment][1])
    elif not reset:
        env.arm(fault, moment)
    try:
        if reset and moment == "idle":
            raise McuReset("MCU reset")
        if moment == "idle":
            sleep_ms(300)  # what the fault prints arrives while the program does nothing
            m.poll()
        elif moment == "connect":
            socks.append(connect(ctx, good[0], good[1]))
        elif moment == "send":
            a.send(DURING)
        elif moment == "recv":
            a.send(DURING)
            a.read_all()
        elif moment == "upload":
            c1 = m.ssl_context(1)
            ctxs.append(c1)
            c1.load_verify_locations(cadata=cfg["ca_pem"])
    except (OSError, McuReset) as e:
        r["saw"] = _err(e)
    if r["saw"] is None or r["saw"][1] != "MCU reset":
        # The sockets that were open: one more exchange says how they fared.
        for s in socks:
            try:
                s.send(AFTER)
                s.read_all()
                if s.eof and r["old"] is None:
                    r["old"] = [0, "end of stream"]
            except OSError as e:
                if r["old"] is None:
                    r["old"] = _err(e)
        for s in socks:
            if s.bad >= 0:
                r["intact"] = False
            s.close()
    else:
        r["intact"] = a.bad < 0
    # --- recovery: connect again (after an MCU reset: a new program) -------------------
    t0 = ticks_ms()
    tries = 0
    while tries < RECONNECT_TRIES:
        tries += 1
        try:
            if reset:
                trip = TripUart(env.uart())
                m, ctx = new_program(env, trip)
                ctxs = [ctx]
                if moment == "upload":
                    ctxs.append(m.ssl_context(1))
            for c in ctxs:
                if c.cafile is None:  # an upload that failed is made again
                    c.load_verify_locations(cadata=cfg["ca_pem"])
            s = connect(ctxs[-1], good[0], good[1], RECONNECT_TIMEOUT)
            try:
                s.send(AFTER)
                s.read_all()
                ok = s.got == AFTER and s.bad < 0
            finally:
                s.close()
            if ok:
                r["reconnect_ms"] = ticks_diff(ticks_ms(), t0)
                break
            r["retry_errors"].append([0, "echo came back wrong"])
        except OSError as e:
            r["retry_errors"].append(_err(e))
    r["tries"] = tries
    if r["reconnect_ms"] is None:
        return r
    # --- server authentication still on, nothing left open ------------------------------
    for c in ctxs:
        try:
            s = connect(c, cfg["rogue_host"], cfg["rogue_port"], RECONNECT_TIMEOUT)
            s.close()
            r["rogue"].append(None)  # connected: verification was off
        except OSError as e:
            r["rogue"].append(_err(e))
        try:
            r["seclevel"].append(c.get("seclevel"))
        except OSError as e:
            r["seclevel"].append(str(e))
    if reset:
        r["six"] = six_sockets(ctxs[0], good)
    try:
        r["left"] = len(m.status()[1])
    except OSError as e:
        r["left"] = str(e)
    st = m.stats()
    r["stats"] = {k: st[k] for k in ("recoveries", "power_cycles", "restarts", "pdp_lost", "resyncs")}
    return r


def six_sockets(ctx, good):
    """Open all six indexes at once (none may be held by what the old program left)."""
    socks = []
    try:
        for _ in range(6):
            socks.append(connect(ctx, good[0], good[1], RECONNECT_TIMEOUT))
        return 6
    except OSError as e:
        return _err(e)
    finally:
        for s in socks:
            s.close()


# --- as a device script ----------------------------------------------------------------


def _env_from_file():
    path = os.getenv("QSSL_FAULT_ENV") if hasattr(os, "getenv") else None
    if not path:
        raise tinytest.Skip("no $QSSL_FAULT_ENV (tools/fault_matrix.py --micropython sets it)")
    with open(path) as f:
        cfg = json.load(f)
    from boards import unix

    control = unix.ControlPower(cfg["control"])
    uart = [None]

    def get_uart():
        # A new program: what the old one left unread went with its RAM; the MCU boots
        # for longer than the module takes to finish the answer in flight.
        if uart[0] is None:
            uart[0] = unix.PtyUart(cfg["pty"])
        u = uart[0]
        buf = bytearray(256)
        t0 = ticks_ms()
        quiet = ticks_ms()
        while ticks_diff(ticks_ms(), quiet) < 300 and ticks_diff(ticks_ms(), t0) < 3000:
            if u.any() and u.readinto(buf, 256):
                quiet = ticks_ms()
            else:
                sleep_ms(10)
        return u

    def arm(fault, moment):
        control.send("fm_arm %s %s" % (fault, moment))

    return Env(get_uart, arm, control, cfg)


def test_cells():
    env = _env_from_file()
    bad = []
    for fault, moment in env.cfg["cells"]:
        env.arm("reset", "idle")  # a fresh module for every cell
        r = cell(env, fault, moment)
        print("CELL " + json.dumps(r))
        if r["setup_error"] is not None or r["reconnect_ms"] is None:
            bad.append(fault + "/" + moment)
    if bad:
        raise AssertionError("no recovery in " + ", ".join(bad))


if __name__ == "__main__":
    tinytest.main(globals())
