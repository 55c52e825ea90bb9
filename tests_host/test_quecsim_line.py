"""Precise line damage: bytes lost towards the module (drop_in), a chunk of output
rewritten (mangle_next) or late (delay_next), and the data phase after "> "."""

import time

import pytest

OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"
PROMPT = b"\r\n> "
IP = "192.0.2.61"


def open_ssl(emu, at, srv, ssid=1, mode=0):
    emu.routes[(IP, 443)] = ("127.0.0.1", srv.port)
    assert at.cmd('AT+QSSLOPEN=%d,0,"%s",443,%d' % (ssid, IP, mode)) == OK
    if mode:
        assert at.read_final(15) == b"\r\nCONNECT\r\n"
    else:
        assert at.read_line(b"+QSSLOPEN:", 15) == ("\r\n+QSSLOPEN: %d,0\r\n" % ssid).encode()


def echo_back(at, ssid, data):
    """Send data to the echo server and wait until it is buffered in the module."""
    assert at.cmd("AT+QSSLSEND=%d,%d" % (ssid, len(data))) == PROMPT
    at.write(data)
    assert at.read_final() == b"\r\nSEND OK\r\n"
    assert at.read_line(b"+QSSLURC:") == b'\r\n+QSSLURC: "recv",0,%d\r\n' % ssid
    time.sleep(0.1)


# --- towards the module ---------------------------------------------------------------------
def test_drop_in(emu, at):
    emu.faults.drop_in(2)
    at.write(b"AT+CSQ\r")  # the module sees "CSQ\r": not a command, ignored
    at.quiet(0.2)
    assert at.cmd("AT+CSQ") == b"\r\n+CSQ: 23,0\r\n" + OK


def test_drop_in_at_inside_a_line(emu, at):
    emu.faults.drop_in_at(3, 1)
    at.write(b"AT+")
    at.write(b"CSQ\r")  # the "C" is lost: AT+SQ is unknown
    assert at.read_final(3) == ERROR
    assert at.cmd("AT+CSQ") == b"\r\n+CSQ: 23,0\r\n" + OK


def test_drop_in_the_line_end_joins_two_commands(emu, at):
    emu.faults.drop_in_at(2, 1)
    at.write(b"AT\rAT\r")  # the module sees "ATAT\r"
    assert at.read_final(3) == ERROR
    at.quiet(0.2)


def test_drop_in_shortens_a_payload(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    open_ssl(emu, at, tls_echo)
    assert at.cmd("AT+QSSLSEND=1,5") == PROMPT
    emu.faults.drop_in(1)
    at.write(b"hello")
    at.quiet(0.3)  # four bytes came: the module still waits for the fifth
    at.write(b"!")
    assert at.read_final() == b"\r\nSEND OK\r\n"
    assert at.read_line(b"+QSSLURC:") == b'\r\n+QSSLURC: "recv",0,1\r\n'
    time.sleep(0.1)
    got = at.cmd("AT+QSSLRECV=0,1,100")
    assert got == b"\r\n+QSSLRECV: %s:443,TCP,5\r\nello!\r\nOK\r\n" % IP.encode(), got


# --- the data phase after "> " ------------------------------------------------------------------
def test_payload_takes_any_bytes_and_waits_for_ever(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    open_ssl(emu, at, tls_echo)
    assert at.cmd("AT+QSSLSEND=1,12") == PROMPT
    at.write(b"AT\r")  # a command line is payload here
    at.quiet(1.2)  # no timeout by default
    at.write(b"AT+CSQ\r\x1a\x1b")
    assert at.read_final() == b"\r\nSEND OK\r\n"
    assert at.read_line(b"+QSSLURC:") == b'\r\n+QSSLURC: "recv",0,1\r\n'
    time.sleep(0.1)
    got = at.cmd("AT+QSSLRECV=0,1,100")
    assert got == b"\r\n+QSSLRECV: %s:443,TCP,12\r\nAT\rAT+CSQ\r\x1a\x1b\r\nOK\r\n" % IP.encode(), got


def test_payload_timeout_when_set(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    emu.payload_timeout = 0.3
    open_ssl(emu, at, tls_echo)
    assert at.cmd("AT+QSSLSEND=1,10") == PROMPT
    at.write(b"abc")
    t0 = time.monotonic()
    assert at.read_final(3) == ERROR
    assert time.monotonic() - t0 >= 0.2
    assert at.cmd("AT") == OK  # back in command mode
    assert at.cmd("AT+QSSLSEND=1") == PROMPT  # the Ctrl+Z form waits no longer either
    assert at.read_final(3) == ERROR


# --- mangle_next ----------------------------------------------------------------------------------
def test_mangle_final(emu, at):
    emu.faults.mangle_next(lambda b: b.replace(b"OK", b"0K"), kinds="final")
    at.write(b"AT+CSQ\r")
    assert at.read_until(b"0K\r\n", 3) == b"\r\n+CSQ: 23,0\r\n\r\n0K\r\n"
    assert at.cmd("AT") == OK  # only one chunk


def test_mangle_response_inserts_stray_ok(emu, at):
    emu.faults.mangle_next(lambda b: b[:5] + b"\r\nOK\r\n" + b[5:], kinds=("response",))
    at.write(b"AT+CSQ\r")
    assert at.read_final(3) == b"\r\n+CS\r\nOK\r\n"
    assert at.read_final(3) == b"Q: 23,0\r\n" + OK


def test_mangle_default_skips_echo(emu, at):
    assert at.cmd("ATE1") == OK
    emu.faults.mangle_next(lambda b: b"[" + b + b"]")
    assert at.cmd("AT", finals=rb"^\[?OK") == b"AT\r[\r\nOK\r\n"
    at.read_until(b"]", 2)
    emu.faults.mangle_next(lambda b: b.lower(), kinds="echo")
    assert at.cmd("AT") == b"at\r\r\nOK\r\n"


def test_mangle_prompt_drops_a_byte(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    open_ssl(emu, at, tls_echo)
    emu.faults.mangle_next(lambda b: b[:2] + b[3:], kinds="prompt")  # "\r\n " : no ">"
    at.write(b"AT+QSSLSEND=1,2\r")
    assert at.read_exact(3, 3) == b"\r\n "
    at.write(b"hi")
    assert at.read_final() == b"\r\nSEND OK\r\n"


def test_mangle_urc_and_queue_of_two(emu, at):
    emu.faults.mangle_next(lambda b: b"", kinds="urc")  # the first URC is lost
    emu.faults.mangle_next(lambda b: b.replace(b"2", b"9"), kinds="urc")
    emu.faults.unknown_urc("+QFOO: 1")
    emu.faults.unknown_urc("+QFOO: 2")
    emu.faults.unknown_urc("+QFOO: 3")
    assert at.drain(0.2) == b"\r\n+QFOO: 9\r\n\r\n+QFOO: 3\r\n"


def test_mangle_qsslrecv_header(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    open_ssl(emu, at, tls_echo)
    echo_back(at, 1, b"payload")
    emu.faults.mangle_next(lambda b: b.replace(b",TCP,7", b",TCP,99"), kinds="response")
    at.write(b"AT+QSSLRECV=0,1,100\r")
    got = at.read_until(b"OK\r\n", 3)
    assert got == b"\r\n+QSSLRECV: %s:443,TCP,99\r\npayload\r\nOK\r\n" % IP.encode(), got


def test_mangle_urc_inside_recv_answer(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    open_ssl(emu, at, tls_echo)
    echo_back(at, 1, b"abcdef")
    hdr = b"\r\n+QSSLRECV: %s:443,TCP,6\r\n" % IP.encode()
    urc = b'\r\n+QSSLURC: "closed",1\r\n'
    emu.faults.mangle_next(lambda b: b[: len(hdr) + 3] + urc + b[len(hdr) + 3 :])
    at.write(b"AT+QSSLRECV=0,1,100\r")
    got = at.read_until(b"OK\r\n", 3)
    assert got == hdr + b"abc" + urc + b"def\r\nOK\r\n", got


def test_mangle_transparent_data(attached_emu, tls_echo):
    emu, at, _ = attached_emu
    open_ssl(emu, at, tls_echo, mode=1)
    emu.faults.mangle_next(lambda b: b[::-1], kinds="data")
    at.write(b"xyz")
    assert at.read_exact(3, 5) == b"zyx"
    at.write(b"uvw")
    assert at.read_exact(3, 5) == b"uvw"


def test_mangle_rejects_bad_arguments(emu):
    with pytest.raises(TypeError):
        emu.faults.mangle_next(b"not callable")
    with pytest.raises(ValueError):
        emu.faults.mangle_next(lambda b: b, kinds="answer")
    with pytest.raises(ValueError):
        emu.faults.delay_next(-5)
    with pytest.raises(ValueError):
        emu.faults.drop_in_at(-1, 2)


# --- delay_next -------------------------------------------------------------------------------------
def test_delay_next_answer_keeps_order(emu, at):
    assert at.cmd("ATE1") == OK
    emu.faults.delay_next(400)
    t0 = time.monotonic()
    at.write(b"AT+CSQ\rAT\r")
    # The echo is on time; the answer and all after it come 400 ms late, in order.
    assert at.read_until(b"AT+CSQ\r", 1) == b"AT+CSQ\r"
    assert time.monotonic() - t0 < 0.3
    got = at.read_until(b"OK\r\n", 2)
    assert got == b"\r\n+CSQ: 23,0\r\n\r\nOK\r\n", got
    assert time.monotonic() - t0 >= 0.38
    assert at.read_final(2) == b"AT\r" + OK


def test_delay_next_final_only(emu, at):
    emu.faults.delay_next(300, kinds="final")
    t0 = time.monotonic()
    at.write(b"AT+CSQ\r")
    assert at.read_line(b"+CSQ", 1) == b"\r\n+CSQ: 23,0\r\n"
    assert time.monotonic() - t0 < 0.25
    assert at.read_final(2) == OK
    assert time.monotonic() - t0 >= 0.28
