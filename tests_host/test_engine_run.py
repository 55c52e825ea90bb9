"""The engine with a scripted UART: finals, responses, URCs during a command, stray
finals, reboot banners, timeouts and resync, RAW payloads into caller buffers."""
import errno
import io
import time

import pytest

from qssl import at
from qssl.engine import Engine
from qssl.engine import _F_OK as F_OK, _F_PROMPT as F_PROMPT, _F_SENT as F_SENT, _F_CONNECT as F_CONNECT
from qssl.errors import ATError
from streams import ScriptedPort, recv_header, recv_reply


def engine(answers=(), chunk=0, **kw):
    port = ScriptedPort(answers, chunk)
    return Engine(port, **kw), port


@pytest.mark.parametrize("chunk", [0, 1, 3, 7])
def test_at_ok(chunk):
    e, port = engine([b"AT\r\r\nOK\r\n"], chunk)
    assert e.command(b"AT", 200) == at._K_OK
    assert port.lines == [b"AT"] and e.final == at._K_OK and not e.finals  # no command in flight


@pytest.mark.parametrize("chunk", [0, 1, 5])
def test_response_lines_and_urc_during_command(chunk):
    e, _ = engine([b'AT+QSSLSTATE\r\r\n+QSSLSTATE: "IP STATUS"\r\n+QSSLURC: "recv",0,2\r\n'
                   b'+QSSLSTATE: 0,"TCP","1.2.3.4",443,"CONNECTED",1\r\n\r\nOK\r\n'], chunk)
    lines, urcs = [], []

    def on_line(p):
        lines.append(bytes(p.line[: p.n]))

    def on_urc(p):
        p.fields(p.after(b"+QSSLURC:"))
        urcs.append((p.kind, p.field_int(1), p.field_int(2)))

    e.on_line = on_line
    e.on_urc = on_urc
    assert e.command(b"AT+QSSLSTATE", 200, b"+QSSLSTATE:") == at._K_OK
    assert lines == [b'+QSSLSTATE: "IP STATUS"', b'+QSSLSTATE: 0,"TCP","1.2.3.4",443,"CONNECTED",1']
    assert urcs == [(at._K_URC_RECV, 0, 2)]
    # the command's consumer and expect prefix end with the command
    assert e.on_line is None and e.p.expect is None


def test_urc_right_after_ok_same_chunk_is_dispatched():
    e, _ = engine([b'\r\nOK\r\n\r\n+QSSLURC: "closed",4\r\n'])
    seen = []
    e.on_urc = lambda p: seen.append(bytes(p.line[: p.n]))
    assert e.command(b"AT", 200) == at._K_OK
    e.poll()
    assert seen == [b'+QSSLURC: "closed",4']


def test_urcs_between_commands_via_poll():
    e, port = engine()
    seen = []
    e.on_urc = lambda p: seen.append(p.kind)
    port.push(b'\r\n+QSSLURC: "recv",0,1\r\n\r\n+QSSLOPEN: 2,0\r\n\r\n+PDP DEACT\r\n')
    e.poll()
    assert seen == [at._K_URC_RECV, at._K_URC_OPEN, at._K_URC_PDP_DEACT]


def test_stray_finals_counted():
    e, port = engine([b"\r\nOK\r\n\r\nOK\r\n"])
    port.push(b"\r\nERROR\r\n")
    e.poll()
    assert e.stray == 1
    assert e.command(b"AT", 200) == at._K_OK
    e.poll()
    assert e.stray == 2


def test_cops_ok_mobile_and_okay_do_not_end_command():
    e, _ = engine([b'\r\n+COPS: 0,0,"OK MOBILE"\r\n\r\nOKAY\r\n\r\nOK\r\n'])
    got = []
    e.on_line = lambda p: got.append(bytes(p.line[: p.n]))
    assert e.command(b"AT+COPS?", 200, b"+COPS:") == at._K_OK
    assert got == [b'+COPS: 0,0,"OK MOBILE"'] and e.p.unknown == 1


def test_cme_error_and_check():
    e, _ = engine([b"\r\n+CME ERROR: 50\r\n", b"\r\nERROR\r\n"])
    k = e.command(b"AT+QSSLCFG", 200)
    assert k == at._K_CME and e.p.code == 50
    with pytest.raises(ATError) as ex:
        e.check(k)
    assert ex.value.code == 50 and ex.value.command == "AT+QSSLCFG"
    assert isinstance(ex.value, OSError) and ex.value.errno == errno.EIO
    k = e.command(b"AT+BAD", 200)
    assert k == at._K_ERROR
    with pytest.raises(ATError) as ex:
        e.check(k)
    assert ex.value.code == -1
    e.check(at._K_OK)


def test_prompt_holds_the_rest():
    e, port = engine([b"\r\n> "])
    assert e.command(b"AT+QSSLSEND=0,5", 200, None, F_PROMPT) == at._K_PROMPT
    assert e.hold
    port.push(b"\r\nSEND OK\r\n")
    e.pump()
    assert e.ring.count == len(b"\r\nSEND OK\r\n")  # left in the ring while held
    e.send_payload(b"hello", 0, 5)
    assert e.wait(200, F_SENT) == at._K_SEND_OK


def test_connect_holds():
    e, _ = engine([b"\r\nCONNECT\r\n"])
    assert e.command(b'AT+QSECWRITE="x",3,100', 200, None, F_CONNECT) == at._K_CONNECT and e.hold


def test_final_not_accepted_is_stray():
    # A stray OK while a send waits for its prompt is an older answer, not the prompt's.
    e, port = engine([b"\r\nOK\r\n\r\n> "])
    assert e.command(b"AT+QSSLSEND=0,5", 200, None, F_PROMPT) == at._K_PROMPT
    assert e.stray == 1


def test_rdy_mid_response_ends_command_with_reboot():
    e, _ = engine([b'\r\n+QSSLSTATE: "IP STATUS"\r\nRDY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n'])
    urcs = []
    e.on_urc = lambda p: urcs.append(p.kind)
    assert e.command(b"AT+QSSLSTATE", 300, b"+QSSLSTATE:") == at._K_REBOOT
    e.poll()
    assert e.banners == 1  # only RDY tells a restart; the others are readiness URCs
    assert urcs == [at._K_URC_RDY, at._K_URC_CALL_READY, at._K_URC_SMS_READY]


def test_call_ready_mid_response_ends_nothing():
    # Call Ready / SMS Ready also follow a SIM becoming ready: not a restart.
    e, _ = engine([b'\r\n+QSSLSTATE: "IP STATUS"\r\nCall Ready\r\n\r\nSMS Ready\r\n\r\nOK\r\n'])
    assert e.command(b"AT+QSSLSTATE", 300, b"+QSSLSTATE:") == at._K_OK
    assert e.banners == 0 and not e.unsure


def test_bare_answer():
    e, _ = engine([b"\r\n10.1.83.188\r\n"])
    got = []

    def on_line(p):
        got.append(at.is_ipv4(p.line, 0, p.n))
        e.final = at._K_OK  # the caller decides the bare line ends the command (ERRATA 18)

    e.on_line = on_line
    e.begin(b"AT+QILOCIP")
    assert e.run(200, at.BARE) == at._K_OK and got == [True]
    assert not e.p.expect_bare


def test_indexed_connect_ok_is_not_a_final():
    # "<i>, CONNECT OK" is AT+QIOPEN's late result: it goes to the URC handler.
    e, port = engine([b"\r\nOK\r\n\r\n1, CONNECT OK\r\n"])
    seen = []
    e.on_urc = lambda p: seen.append((p.kind, p.index))
    assert e.command(b'AT+QIOPEN=1,"TCP","1.2.3.4",80', 200) == at._K_OK
    e.poll()
    assert seen == [(at._K_CONNECT_OK, 1)] and e.stray == 0


def test_timeout_raises_etimedout_and_keeps_half_line():
    e, port = engine([b'\r\n+QSSLSTATE: 0,"TC'])
    t0 = time.monotonic()
    with pytest.raises(OSError) as ex:
        e.command(b"AT+QSSLSTATE", 50, b"+QSSLSTATE:")
    assert ex.value.errno == errno.ETIMEDOUT
    assert time.monotonic() - t0 < 2
    assert e.timeouts == 1 and not e.finals  # no command in flight
    assert bytes(e.p.line[: e.p.n]) == b'+QSSLSTATE: 0,"TC'  # the half line is kept
    # the rest arrives; the next wait sees the whole line
    got = []
    e.on_line = lambda p: got.append(bytes(p.line[: p.n]))
    e.p.expect = b"+QSSLSTATE:"
    port.push(b'P",1\r\n\r\nOK\r\n')
    assert e.wait(200) == at._K_OK
    assert got == [b'+QSSLSTATE: 0,"TCP",1']


@pytest.mark.parametrize("chunk", [0, 64])
def test_short_payload_timeout_then_resync(chunk):
    # +QSSLRECV announces 512 bytes, 300 arrive: the command times out, the parser
    # leaves RAW, and the next command resyncs first (CR, AT+CMEE?) and then works.
    e, port = engine([recv_header(512) + b"x" * 300, None, b"\r\n+CMEE: 1\r\n\r\nOK\r\n",
                      b"\r\nOK\r\n"], chunk)
    dst = bytearray(600)

    def on_line(p):
        p.set_raw_dst(dst, 0, 512)

    e.on_line = on_line
    e.begin(b"AT+QSSLRECV=0,1,512")
    with pytest.raises(OSError) as ex:
        e.run(60, b"+QSSLRECV:")
    assert ex.value.errno == errno.ETIMEDOUT
    assert e.p.mode == at._M_LINE
    assert e.unsure
    assert e.command(b"AT", 1000) == at._K_OK
    assert port.lines == [b"AT+QSSLRECV=0,1,512", b"", b"AT+CMEE?", b"AT"]
    assert not e.unsure and e.resyncs == 1


def recv(e, n, dst):
    got = {}

    def on_line(p):
        p.set_raw_dst(dst, 0, n)
        got["len"] = p.raw_len

    e.on_line = on_line
    e.begin(b"AT+QSSLRECV=0,1,")
    e.add_int(n)
    k = e.run(300, b"+QSSLRECV:")
    return k, got.get("len", 0)


@pytest.mark.parametrize("chunk", [0, 1, 13])
def test_payload_into_caller_buffer(chunk):
    payload = b"\r\nOK\r\n\x00\xff" + b'+QSSLURC: "recv",0,1' + bytes(range(256))
    e, _ = engine([recv_reply(payload)], chunk)
    dst = bytearray(1500)
    k, n = recv(e, 1500, dst)
    assert k == at._K_OK and n == len(payload)
    assert bytes(dst[: e.p.raw_pos]) == payload and e.p.raw_dropped == 0


def test_announced_above_requested_drops_excess_and_stays_in_sync():
    e, _ = engine([recv_reply(bytes(range(40))), b"\r\nOK\r\n"])
    dst = bytearray(64)
    k, n = recv(e, 10, dst)
    assert k == at._K_OK and n == 40
    assert bytes(dst[:10]) == bytes(range(10)) and e.p.raw_dropped == 30
    assert e.command(b"AT", 200) == at._K_OK


def test_empty_receive_buffer_bare_ok():
    e, _ = engine([b"\r\nOK\r\n"])
    k, n = recv(e, 100, bytearray(100))
    assert k == at._K_OK and n == 0


def test_overlong_line_then_ok():
    e, _ = engine([b"\r\n" + b"X" * 500 + b"\r\n\r\nOK\r\n"], line=64)
    assert e.command(b"AT+QSSLSTATE", 200) == at._K_OK
    assert e.p.overflows == 1


def test_ring_overflow_with_small_ring():
    # The ring is refilled only when empty (or behind unread data); a 16-byte ring
    # still carries a long answer through in pieces.
    e, _ = engine([b'\r\n+QSSLSTATE: 0,"TCP","1.2.3.4",443,"CONNECTED",1\r\n\r\nOK\r\n'], rxbuf=16)
    got = []
    e.on_line = lambda p: got.append(p.n)
    assert e.command(b"AT+QSSLSTATE", 200, b"+QSSLSTATE:") == at._K_OK
    assert got == [47]


def test_debug_transcript():
    log = io.BytesIO()
    e = Engine(ScriptedPort([b"\r\nOK\r\n"]), debug=log)
    e.command(b"ATE0", 200)
    assert log.getvalue() == b">> ATE0\n<< OK\n"


def test_micropython_shaped_port_is_used_directly_when_it_has_write_off_n():
    class MpPort:
        def __init__(self):
            self.rx = bytearray()

        def any(self):
            return len(self.rx)

        def readinto(self, buf, n=-1):
            n = min(len(buf) if n < 0 else n, len(self.rx))
            buf[:n] = self.rx[:n]
            del self.rx[:n]
            return n

        def write(self, buf, off=0, n=-1):
            self.rx += b"\r\nOK\r\n"
            return len(buf) - off if n < 0 else n

    e = Engine(MpPort())
    assert e.command(b"AT", 200) == at._K_OK


class NoisePort:
    """Sends one noise byte per read, forever (until `limit` seconds pass)."""

    def __init__(self, limit=1.5):
        self.end = time.monotonic() + limit

    @property
    def in_waiting(self):
        return 1 if time.monotonic() < self.end else 0

    def readinto(self, buf):
        if time.monotonic() >= self.end:
            return 0
        buf[0] = 0
        time.sleep(0.0005)
        return 1

    def write(self, buf):
        return len(buf)


def test_deadline_holds_under_a_steady_trickle():
    e = Engine(NoisePort(1.5))
    t0 = time.monotonic()
    with pytest.raises(OSError) as ex:
        e.command(b"AT", 50)
    assert ex.value.errno == errno.ETIMEDOUT
    assert time.monotonic() - t0 < 0.5


@pytest.mark.parametrize("chunk", [0, 1, 4])
def test_second_final_in_the_same_read_waits_for_the_next_wait(chunk):
    # A transparent open answers OK and then CONNECT or ERROR; both may come in one UART
    # read. The ERROR is the answer of the second wait, not a stray.
    e, _ = engine([b"\r\nOK\r\n\r\nERROR\r\n"], chunk)
    e.begin(b'AT+QSSLOPEN=0,1,"x",443,1,10')
    assert e.run(300, None, F_CONNECT | F_OK) == at._K_OK
    assert e.wait(300, F_CONNECT) == at._K_ERROR
    assert e.stray == 0
