"""Wire bounds: the least time an exchange can take on a serial line at a baud rate.

Every byte takes 10/baud seconds (8N1). In non-transparent mode the protocol
serializes each exchange (the module answers a command line only after its CR, the
host sends payload only after "> ", the module reads only when asked), so its bound
is the sum of the bytes both ways. The strings below are the exact ones the module
prints (application note; quecsim prints the same), sized for the parameters of the
exchange at hand.
"""
from quecsim.commands_ssl import MAX_RECV, MAX_SEND

OK = b"\r\nOK\r\n"
PROMPT = b"\r\n> "
SEND_OK = b"\r\nSEND OK\r\n"


def byte_s(baud):
    return 10.0 / baud


def seconds(nbytes, baud):
    return nbytes * 10.0 / baud


def send_one(ssid, n):
    """AT+QSSLSEND=<ssid>,<n> CR / CR LF "> " / n bytes / CR LF SEND OK CR LF."""
    cmd = b"AT+QSSLSEND=%d,%d\r" % (ssid, n)
    return len(cmd) + len(PROMPT) + n + len(SEND_OK)


def recv_one(cid, ssid, ask, got, ip, port):
    """AT+QSSLRECV=<cid>,<ssid>,<ask> CR / header, got bytes, OK (or just OK when empty)."""
    cmd = b"AT+QSSLRECV=%d,%d,%d\r" % (cid, ssid, ask)
    if not got:
        return len(cmd) + len(OK)
    head = b"\r\n+QSSLRECV: %s:%d,TCP,%d\r\n" % (ip.encode(), port, got)
    return len(cmd) + len(head) + got + len(OK)


def recv_urc(cid, ssid):
    return len(b'\r\n+QSSLURC: "recv",%d,%d\r\n' % (cid, ssid))


def send_total(nbytes, ssid):
    """Serialized bytes of sending nbytes in the fewest exchanges (MAX_SEND each)."""
    total = 0
    left = nbytes
    while left > 0:
        n = min(left, MAX_SEND)
        total += send_one(ssid, n)
        left -= n
    return total


def recv_total(nbytes, cid, ssid, ip, port, ask=MAX_RECV):
    """Serialized bytes of reading nbytes that are already buffered in the module,
    asking for ask (at most MAX_RECV) each time and stopping at the last byte."""
    ask = min(ask, MAX_RECV)
    total = 0
    left = nbytes
    while left > 0:
        n = min(left, ask)
        total += recv_one(cid, ssid, ask, n, ip, port)
        left -= n
    return total


def echo_total(n, cid, ssid, ip, port, ask=MAX_RECV):
    """n bytes sent and read back in one read. The "recv" URC that announces the echo
    may cross the wire while the host already sends its AT+QSSLRECV (a host that reads
    right after SEND OK), so the two overlap: only the longer counts."""
    cmd = len(b"AT+QSSLRECV=%d,%d,%d\r" % (cid, ssid, min(ask, MAX_RECV)))
    answer = recv_one(cid, ssid, ask, n, ip, port) - cmd
    return send_total(n, ssid) + max(recv_urc(cid, ssid), cmd) + answer


def echo_serialized(n, cid, ssid, ip, port, ask=MAX_RECV):
    """The same exchange when the host waits for the URC before it reads."""
    return send_total(n, ssid) + recv_urc(cid, ssid) + recv_total(n, cid, ssid, ip, port, ask)


def fraction(bound_s, measured_s):
    """The measured time as a fraction of what the wire allows (1.0 = at the bound)."""
    return bound_s / measured_s if measured_s > 0 else float("nan")
