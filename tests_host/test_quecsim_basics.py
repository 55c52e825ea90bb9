"""Emulator basics: echo, identification, network status, PDP bring-up (raw AT bytes)."""

import re
import time

import pytest

from conftest import BANNER, LOCAL_IP, bring_up_pdp

OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"
def state_is(at, word):
    got = at.cmd("AT+QSSLSTATE")
    assert got == ('\r\n+QSSLSTATE: "%s"\r\n\r\nOK\r\n' % word).encode(), got


def test_boot_banner_and_echo_on(raw_emu):
    emu, at, _ = raw_emu
    assert at.read_until(b"SMS Ready\r\n", 5) == BANNER
    # Echo is on after power-up: the command line comes back, then the result.
    assert at.cmd("AT") == b"AT\r\r\nOK\r\n"
    assert at.cmd("at") == b"at\r\r\nOK\r\n"
    assert at.cmd("ATE0") == b"ATE0\r\r\nOK\r\n"
    assert at.cmd("AT") == OK
    assert at.cmd("ATE1") == OK
    assert at.cmd("AT") == b"AT\r\r\nOK\r\n"
    assert at.cmd("AT+FOO") == b"AT+FOO\r\r\nERROR\r\n"
    at.quiet(0.1)


def test_at_and_unknown_commands(at):
    assert at.cmd("AT") == OK
    assert at.cmd("AT+NOSUCHCMD") == ERROR
    assert at.cmd("AT+QSSLFOO=1") == ERROR
    assert at.cmd("ATXYZ") == ERROR
    # Still alive and in sync afterwards.
    assert at.cmd("AT") == OK


def test_ati(at):
    got = at.cmd("ATI")
    assert got.startswith(b"\r\nQuectel"), got
    assert got.endswith(b"\r\n\r\nOK\r\n"), got
    assert b"Revision: " in got, got


def test_cmee(at):
    assert at.cmd("AT+CMEE=2") == OK
    assert at.cmd("AT+CMEE=1") == OK
    assert at.cmd("AT+CMEE?") == b"\r\n+CMEE: 1\r\n\r\nOK\r\n"


def test_network_status(at):
    assert at.cmd("AT+CPIN?") == b"\r\n+CPIN: READY\r\n\r\nOK\r\n"
    assert at.cmd("AT+CGATT?") == b"\r\n+CGATT: 1\r\n\r\nOK\r\n"
    assert at.cmd("AT+CGREG?") == b"\r\n+CGREG: 0,1\r\n\r\nOK\r\n"
    got = at.cmd("AT+CSQ")
    m = re.match(rb"^\r\n\+CSQ: (\d+),(\d+)\r\n\r\nOK\r\n$", got)
    assert m, got
    assert 0 <= int(m.group(1)) <= 31 or int(m.group(1)) == 99
    assert 0 <= int(m.group(2)) <= 7 or int(m.group(2)) == 99


def test_network_conditions_follow_state(emu, at):
    emu.state.attached = False
    emu.state.registered = 2
    assert at.cmd("AT+CGATT?") == b"\r\n+CGATT: 0\r\n\r\nOK\r\n"
    assert at.cmd("AT+CGREG?") == b"\r\n+CGREG: 0,2\r\n\r\nOK\r\n"
    # Searching: the attach is taken (OK) but CGATT? says 1 only once registered.
    assert at.cmd("AT+CGATT=1", timeout=10) == OK
    assert at.cmd("AT+CGATT?") == b"\r\n+CGATT: 0\r\n\r\nOK\r\n"
    emu.state.registered = 1
    assert at.cmd("AT+CGATT?") == b"\r\n+CGATT: 1\r\n\r\nOK\r\n"
    assert emu.state.attached is True


def test_pdp_bring_up_and_states(at):
    state_is(at, "IP INITIAL")
    assert at.cmd("AT+QIFGCNT=0") == OK
    assert at.cmd('AT+QICSGP=1,"CMNET"') == OK
    assert at.cmd("AT+QIREGAPP") == OK
    state_is(at, "IP START")
    assert at.cmd("AT+QIACT", timeout=10) == OK
    state_is(at, "IP GPRSACT")
    # QILOCIP answers the bare address and no OK (ERRATA 18).
    assert at.cmd("AT+QILOCIP") == ("\r\n%s\r\n" % LOCAL_IP).encode()
    at.quiet(0.2)
    state_is(at, "IP STATUS")
    assert at.cmd("AT+QIDEACT", timeout=10) == b"\r\nDEACT OK\r\n"
    state_is(at, "IP INITIAL")


def test_qicsgp_with_user_and_password(at):
    assert at.cmd("AT+QIFGCNT=0") == OK
    assert at.cmd('AT+QICSGP=1,"internet","user","secret"') == OK
    assert at.cmd("AT+QIREGAPP") == OK
    assert at.cmd("AT+QIACT", timeout=10) == OK
    assert at.cmd("AT+QILOCIP") == ("\r\n%s\r\n" % LOCAL_IP).encode()


def test_pdp_out_of_order(at):
    # No local address before the context is active.
    assert at.cmd("AT+QILOCIP") == ERROR
    # QIACT before QIREGAPP.
    assert at.cmd("AT+QIACT", timeout=10) == ERROR
    assert at.cmd("AT+QIFGCNT=0") == OK
    assert at.cmd('AT+QICSGP=1,"CMNET"') == OK
    assert at.cmd("AT+QIREGAPP") == OK
    # QIREGAPP twice: the stack is already started.
    assert at.cmd("AT+QIREGAPP") == ERROR
    assert at.cmd("AT+QILOCIP") == ERROR
    assert at.cmd("AT+QIACT", timeout=10) == OK
    # Already active.
    assert at.cmd("AT+QIACT", timeout=10) == ERROR
    assert at.cmd("AT+QILOCIP") == ("\r\n%s\r\n" % LOCAL_IP).encode()


def test_qiact_fails_when_not_attached(emu, at):
    emu.state.attached = False
    assert at.cmd("AT+QIFGCNT=0") == OK
    assert at.cmd('AT+QICSGP=1,"CMNET"') == OK
    assert at.cmd("AT+QIREGAPP") == OK
    assert at.cmd("AT+QIACT", timeout=10) == ERROR
    # Chapter 4: attach, then it works.
    assert at.cmd("AT+CGATT=1", timeout=10) == OK
    assert at.cmd("AT+QIACT", timeout=10) == OK


def test_qiact_fails_on_request(emu, at):
    emu.state.qiact_fails = True
    assert at.cmd("AT+QIFGCNT=0") == OK
    assert at.cmd('AT+QICSGP=1,"CMNET"') == OK
    assert at.cmd("AT+QIREGAPP") == OK
    assert at.cmd("AT+QIACT", timeout=10) == ERROR
    emu.state.qiact_fails = False
    assert at.cmd("AT+QIACT", timeout=10) == OK


def test_qssl_commands_need_pdp(at, routes, tls_echo):
    routes.add("example.com", 443, tls_echo)
    # Without an active context the open is refused or fails; never a success.
    got = at.cmd('AT+QSSLOPEN=1,0,"example.com",443,0')
    if got == OK:
        assert at.read_line(b"+QSSLOPEN:", 15) == b"\r\n+QSSLOPEN: 1,-1\r\n"
    else:
        assert got == ERROR


def test_attach_fixture_leaves_clean_state(attached_emu):
    emu, at, _ = attached_emu
    assert at.cmd("AT") == OK
    state_is(at, "IP STATUS")


def test_deact_then_bring_up_again(attached_emu):
    emu, at, _ = attached_emu
    assert at.cmd("AT+QIDEACT", timeout=10) == b"\r\nDEACT OK\r\n"
    bring_up_pdp(at)


def test_lines_without_at_are_ignored(at):
    at.write(b"\r\n")
    at.write(b"hello\r")
    at.quiet(0.2)
    assert at.cmd("AT") == OK


def test_lower_case_commands(at):
    assert at.cmd("at+cgatt?") == b"\r\n+CGATT: 1\r\n\r\nOK\r\n"
    assert at.cmd('at+qsslcfg="sslversion",0,3') == OK
    assert at.cmd('AT+QSSLCFG="sslversion",0') == b'\r\n+QSSLCFG: "sslversion",3\r\n\r\nOK\r\n'


def test_commands_split_across_writes(at):
    for part in (b"A", b"T+CP", b"IN?", b"\r"):
        at.write(part)
        time.sleep(0.01)
    assert at.read_final() == b"\r\n+CPIN: READY\r\n\r\nOK\r\n"


def test_back_to_back_commands_in_one_write(at):
    at.write(b"AT\rAT+CGATT?\r")
    assert at.read_final() == OK
    assert at.read_final() == b"\r\n+CGATT: 1\r\n\r\nOK\r\n"
