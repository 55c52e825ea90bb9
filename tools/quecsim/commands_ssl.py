"""SSL sockets: AT+QSSLOPEN, AT+QSSLSEND (AT+QSSSEND), AT+QSSLRECV (AT+QSSLRCV),
AT+QSSLCLOSE, AT+QSSLSTATE, ATO; the network events of every socket (SSL and
TCP) and the URCs they cause.

Slot policy: a socket closed by the peer keeps its index while data is still
buffered; the index is free again once the host has read the buffer empty or
sent AT+QSSLCLOSE (AT+QICLOSE for TCP). Until then AT+QSSLOPEN on it gets -2.
The <ip>:<port> printed by +QSSLRECV and +QIRD is the address dialed: an IP
literal as given, a name "resolved" to its route target's IP; the port dialed.
+QSSLSTATE shows an IP literal and port as dialed, a name as its route target.
"""
from . import netsock, tlsconfig
from .state import NSOCK

MAX_SEND = 1460
MAX_RECV = 1500


def ready_for_sockets(st):
    return st.ip_state in ("IP STATUS", "IP PROCESSING")


def _ssl_conn(emu, ssid):
    conn = emu.state.sockets.get(ssid)
    if conn is None or not conn.is_ssl:
        return None
    return conn


def free(emu, conn):
    if emu.state.sockets.get(conn.idx) is conn:
        del emu.state.sockets[conn.idx]
    conn.close()


# --- AT+QSSLOPEN ---------------------------------------------------------------------------
def qsslopen(emu, req):
    st = emu.state
    if req.kind == "test":
        emu.line("+QSSLOPEN: (0-5),(0-5),<ipaddr/domainname>,(1-65535),(0,1),(10-300)")
        emu.ok()
        return
    if req.kind == "read":
        emu.ok()
        return
    if req.kind != "write" or req.n < 5 or req.n > 6:
        emu.error()
        return
    ssid, ctx, host = req.int(0), req.int(1), req.str(2)
    port, mode, timeout = req.int(3), req.int(4), req.int(5, 90)
    if (
        ssid is None
        or not 0 <= ssid < NSOCK
        or ctx is None
        or not 0 <= ctx < 6
        or not host
        or port is None
        or not 1 <= port <= 65535
        or mode not in (0, 1)
        or timeout is None
        or not 10 <= timeout <= 300
    ):
        emu.error()
        return
    if not ready_for_sockets(st):
        emu.error()
        return
    emu.ok()
    if ssid in st.sockets:
        if mode == 1:
            emu.error()
        else:
            emu.urc("+QSSLOPEN: %d,-2" % ssid)
        return
    cfg = st.cfg[ctx]
    try:
        ctxobj, ca = tlsconfig.build(cfg, st.certs)
        tls = (ctxobj, ca, bool(st.glob["ignorertc"]), lambda: emu.clock)
    except tlsconfig.TlsConfigError as e:
        tls = e
    conn = netsock.Conn(
        ssid, True, host, port, emu.route(host, port), emu.post, tls=tls, transparent=mode == 1, timeout=timeout
    )
    st.sockets[ssid] = conn
    if mode == 1:
        emu.mode = "wait"
    conn.start()

    def expire():
        if st.sockets.get(ssid) is conn and conn.state == "CONNECTING":
            _open_result(emu, conn, False)

    emu.add_timer(timeout, expire)


def _open_result(emu, conn, ok):
    if conn.opened_reported:
        return
    conn.opened_reported = True
    i = conn.idx
    if ok:
        conn.state = "CONNECTED"
    else:
        free(emu, conn)
    if conn.is_ssl and conn.transparent:
        if emu.mode == "wait":
            emu.mode = "cmd"
        if ok:
            emu.line("CONNECT")
            emu.enter_data(conn)
        else:
            emu.error()
        emu.process_input()
    elif conn.is_ssl:
        emu.urc("+QSSLOPEN: %d,%d" % (i, 0 if ok else -1))
    else:
        pre = "%d, " % i if emu.state.qimux else ""
        emu.urc(pre + ("CONNECT OK" if ok else "CONNECT FAIL"))


# --- network events (all sockets) ---------------------------------------------------------------
def on_net_event(emu, ev):
    kind, conn = ev[0], ev[1]
    if emu.state.sockets.get(conn.idx) is not conn:
        return  # a socket that was closed or lost in a reboot
    if kind == "opened":
        if conn.state == "CONNECTING":
            _open_result(emu, conn, ev[2])
    elif kind == "data":
        on_data(emu, conn, ev[2])
    elif kind == "peer_closed":
        on_peer_closed(emu, conn)


def on_data(emu, conn, data):
    if conn.transparent and emu.mode == "data" and emu.data_conn is conn:
        emu.emit(data, kind="data")
        return
    was_empty = not conn.rx
    conn.rx += data
    if not was_empty or conn.transparent:
        return
    if conn.is_ssl:
        emu.urc('+QSSLURC: "recv",%d,%d' % (emu.state.fgcnt, conn.idx))
    elif emu.state.qindi:
        emu.urc("+QIRDI: %d,1,%d" % (emu.state.fgcnt, conn.idx))


def on_peer_closed(emu, conn):
    if conn.state == "CLOSED":
        return
    conn.state = "CLOSED"
    conn.close()
    if conn.transparent:
        if emu.mode == "data" and emu.data_conn is conn:
            emu.leave_data()
        emu.data_conn = None
        free(emu, conn)
        emu.line("CLOSED", kind="urc")
        return
    if conn.is_ssl:
        emu.urc('+QSSLURC: "closed",%d' % conn.idx)
    else:
        emu.urc(("%d, CLOSED" % conn.idx) if emu.state.qimux else "CLOSED")
    if not conn.rx:
        free(emu, conn)


def close_peer(emu, ssid):
    conn = emu.state.sockets.get(ssid)
    if conn is None or conn.state != "CONNECTED":
        return False
    on_peer_closed(emu, conn)
    return True


def drop_all(emu, notify):
    st = emu.state
    if emu.mode == "data":
        emu.leave_data()
        emu.line("CLOSED", kind="urc")
    if emu.mode == "wait":
        emu.mode = "cmd"
        emu.error()
    emu.data_conn = None
    for i in sorted(st.sockets):
        conn = st.sockets[i]
        conn.close()
        if notify and conn.is_ssl and not conn.transparent and conn.state != "CLOSED":
            emu.urc('+QSSLURC: "closed",%d' % i)
    st.sockets.clear()
    emu.process_input()


def pdp_deact(emu):
    st = emu.state
    if st.ip_state in ("IP INITIAL", "IP START"):
        return
    if emu.mode == "data":
        emu.leave_data()
        emu.line("CLOSED", kind="urc")
    emu.urc("+PDP DEACT")
    drop_all(emu, notify=True)
    st.ip_state = "PDP DEACT"


def ato(emu):
    conn = emu.data_conn
    if conn is None or emu.state.sockets.get(conn.idx) is not conn or conn.state != "CONNECTED":
        emu.error()
        return
    emu.line("CONNECT")
    emu.enter_data(conn)


# --- AT+QSSLSEND ------------------------------------------------------------------------------------
def send_done(conn):
    def done(emu, data):
        f = emu.faults
        if f.send_fails > 0:
            f.send_fails -= 1
            emu.line("SEND FAIL")
        elif conn.state == "CONNECTED" and emu.state.sockets.get(conn.idx) is conn and conn.send(data):
            emu.line("SEND OK")
        else:
            emu.error()

    return done


def qsslsend(emu, req):
    if req.kind == "test":
        emu.line("+%s: (0-5),(1-%d)" % (req.name[1:], MAX_SEND))
        emu.ok()
        return
    if req.kind == "read":
        emu.ok()
        return
    if req.kind != "write" or req.n < 1 or req.n > 2:
        emu.error()
        return
    ssid = req.int(0)
    length = req.int(1) if req.n == 2 else None
    conn = _ssl_conn(emu, ssid) if ssid is not None else None
    if conn is None or conn.state != "CONNECTED" or conn.transparent:
        emu.error()
        return
    if req.n == 2:
        if length is None or not 1 <= length <= MAX_SEND:
            emu.error()
            return
        emu.prompt_raw(length, send_done(conn))
    else:
        emu.prompt_ctrlz(MAX_SEND, send_done(conn))


# --- AT+QSSLRECV -----------------------------------------------------------------------------------------
def read_response(emu, conn, header, length):
    """An empty buffer answers OK (ERROR and the index freed once the peer has
    closed); else the header, the bytes and OK. Shared by QSSLRECV and QIRD."""
    if not conn.rx:
        if conn.state == "CLOSED":
            free(emu, conn)
            emu.error()
        else:
            emu.ok()
        return
    data = bytes(conn.rx[:length])
    del conn.rx[:length]
    ip, port = conn.ip, conn.port
    emu.emit(b"\r\n%s: %s:%d,TCP,%d\r\n" % (header.encode(), ip.encode(), port, len(data)) + data + b"\r\nOK\r\n")
    if conn.state == "CLOSED" and not conn.rx:
        free(emu, conn)


def qsslrecv(emu, req):
    if req.kind == "test":
        emu.line("+%s: (0,1),(0-5),(1-%d)" % (req.name[1:], MAX_RECV))
        emu.ok()
        return
    if req.kind != "write" or req.n != 3:
        emu.error()
        return
    cid, ssid, length = req.int(0), req.int(1), req.int(2)
    if cid not in (0, 1) or ssid is None or length is None or not 1 <= length <= MAX_RECV:
        emu.error()
        return
    conn = _ssl_conn(emu, ssid)
    if conn is None or conn.transparent:
        emu.error()
        return
    read_response(emu, conn, req.name, length)


# --- AT+QSSLCLOSE, AT+QSSLSTATE ----------------------------------------------------------------------------
def qsslclose(emu, req):
    if req.kind == "test":
        emu.line("+QSSLCLOSE: (0-5)")
        emu.ok()
        return
    if req.kind == "read":
        emu.ok()
        return
    if req.kind != "write" or req.n < 1:
        emu.error()
        return
    conn = _ssl_conn(emu, req.int(0))
    if conn is None:
        emu.error()
        return
    if emu.data_conn is conn:
        emu.data_conn = None
    free(emu, conn)
    emu.line("CLOSE OK")


def ip_state_word(st):
    if st.ip_state == "IP STATUS" and st.sockets:
        return "IP PROCESSING"
    return st.ip_state


def qsslstate(emu, req):
    st = emu.state
    if req.kind in ("test", "read"):
        emu.ok()
        return
    if req.kind != "exec":
        emu.error()
        return
    out = ['+QSSLSTATE: "%s"' % ip_state_word(st)]
    for i in sorted(st.sockets):
        c = st.sockets[i]
        ip, port = (c.ip, c.port) if c.ip == c.host or not c.target else c.target
        out.append('+QSSLSTATE: %d,"TCP","%s",%d,"%s",%d' % (i, ip, port, c.state, 1 if c.is_ssl else 0))
    emu.emit(b"".join(b"\r\n" + t.encode("latin-1") + b"\r\n" for t in out) + b"\r\nOK\r\n")


COMMANDS = {
    "+QSSLOPEN": qsslopen,
    "+QSSLSEND": qsslsend,
    "+QSSSEND": qsslsend,
    "+QSSLRECV": qsslrecv,
    "+QSSLRCV": qsslrecv,
    "+QSSLCLOSE": qsslclose,
    "+QSSLSTATE": qsslstate,
}
