"""Plain TCP beside SSL (chapter 1.3, ERRATA 21): AT+QIOPEN, AT+QISEND, AT+QIRD,
AT+QICLOSE. The index space 0-5 is shared with the SSL sockets. With AT+QIMUX=0
the index is omitted on the command line and in the answers (index 0 is used).
Received data is buffered; "+QIRDI: <cid>,1,<i>" is sent on empty->non-empty
when AT+QINDI is not 0 (with AT+QINDI=0 the data stays buffered, no notice).
"""
from . import netsock
from .commands_ssl import MAX_RECV, MAX_SEND, free, read_response, ready_for_sockets, send_done
from .state import NSOCK


def _idx(emu, req, first):
    """(index, next field) for the QIMUX mode."""
    if emu.state.qimux:
        return req.int(first), first + 1
    return 0, first


def _pre(emu, i):
    return "%d, " % i if emu.state.qimux else ""


def qiopen(emu, req):
    st = emu.state
    if req.kind == "test":
        emu.line('+QIOPEN: (0-5),("TCP","UDP"),("(0-255).(0-255).(0-255).(0-255)","DOMAIN NAME"),(1-65535)')
        emu.ok()
        return
    if req.kind != "write":
        emu.error()
        return
    i, f = _idx(emu, req, 0)
    if req.n != f + 3 or i is None or not 0 <= i < NSOCK:
        emu.error()
        return
    proto, host, port = (req.str(f) or "").upper(), req.str(f + 1), req.int(f + 2)
    if proto != "TCP" or not host or port is None or not 1 <= port <= 65535:
        emu.error()
        return
    if not ready_for_sockets(st):
        emu.error()
        return
    emu.ok()
    if i in st.sockets:
        emu.urc(_pre(emu, i) + "ALREADY CONNECT")
        return
    conn = netsock.Conn(i, False, host, port, emu.route(host, port), emu.post, timeout=75)
    st.sockets[i] = conn
    conn.start()

    def expire():
        from .commands_ssl import _open_result

        if st.sockets.get(i) is conn and conn.state == "CONNECTING":
            _open_result(emu, conn, False)

    emu.add_timer(75, expire)


def _tcp_conn(emu, i):
    conn = emu.state.sockets.get(i) if i is not None else None
    if conn is None or conn.is_ssl:
        return None
    return conn


def qisend(emu, req):
    if req.kind == "test":
        emu.line("+QISEND: (0-5),(1-%d)" % MAX_SEND if emu.state.qimux else "+QISEND: (1-%d)" % MAX_SEND)
        emu.ok()
        return
    if req.kind == "exec" and not emu.state.qimux:
        conn, length = _tcp_conn(emu, 0), None
    elif req.kind == "write":
        i, f = _idx(emu, req, 0)
        conn = _tcp_conn(emu, i)
        if req.n > f + 1:
            emu.error()
            return
        length = req.int(f) if req.n == f + 1 else None
        if req.n == f + 1 and (length is None or not 1 <= length <= MAX_SEND):
            emu.error()
            return
    else:
        emu.error()
        return
    if conn is None or conn.state != "CONNECTED":
        emu.error()
        return
    if length is None:
        emu.prompt_ctrlz(MAX_SEND, send_done(conn))
    else:
        emu.prompt_raw(length, send_done(conn))


def qird(emu, req):
    if req.kind == "test":
        emu.line("+QIRD: (0,1),(1,2),(0-5),(1-%d)" % MAX_RECV)
        emu.ok()
        return
    if req.kind != "write" or req.n != 4:
        emu.error()
        return
    cid, sc, i, length = req.int(0), req.int(1), req.int(2), req.int(3)
    if cid not in (0, 1) or sc not in (1, 2) or length is None or not 1 <= length <= MAX_RECV:
        emu.error()
        return
    conn = _tcp_conn(emu, i)
    if conn is None:
        emu.error()
        return
    read_response(emu, conn, "+QIRD", length)


def qiclose(emu, req):
    if req.kind == "test":
        emu.ok()
        return
    if req.kind == "write" and emu.state.qimux:
        i = req.int(0)
    elif req.kind == "exec" and not emu.state.qimux:
        i = 0
    else:
        emu.error()
        return
    conn = _tcp_conn(emu, i)
    if conn is None:
        emu.error()
        return
    free(emu, conn)
    emu.line(_pre(emu, i) + "CLOSE OK")


COMMANDS = {"+QIOPEN": qiopen, "+QISEND": qisend, "+QIRD": qird, "+QICLOSE": qiclose}
