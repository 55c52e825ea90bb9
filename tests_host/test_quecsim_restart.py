"""Restarts seen and unseen, power cycling, a hung module, a wrong baud rate (ERRATA 22, 24)."""

import re

from conftest import BANNER, bring_up_pdp, upload

OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"
IP = "192.0.2.51"


def line_ok(text):
    return ("\r\n%s\r\n\r\nOK\r\n" % text).encode()


def dirty(emu, at, pki, srv):
    """Change everything a restart must undo; a socket open on index 2."""
    upload(at, "RAM:ca.pem", pki.ca_pem)
    upload(at, "NVRAM:CA0", pki.ca_pem)
    assert at.cmd('AT+QSSLCFG="seclevel",1,2') == OK
    assert at.cmd('AT+QSSLCFG="sslversion",1,3') == OK
    assert at.cmd('AT+QSSLCFG="cacert",1,"RAM:ca.pem"') == OK
    assert at.cmd('AT+QSSLCFG="ignorertc",1') == OK
    assert at.cmd("AT+QINDI=1") == OK
    assert at.cmd("AT+CMEE=0") == OK
    bring_up_pdp(at)
    emu.routes[(IP, 443)] = ("127.0.0.1", srv.port)
    assert at.cmd('AT+QSSLOPEN=2,0,"%s",443,0' % IP) == OK
    assert at.read_line(b"+QSSLOPEN:", 15) == b"\r\n+QSSLOPEN: 2,0\r\n"


def assert_power_on_state(at):
    """Called right after the first command of the new life (echo still on)."""
    assert at.cmd("ATE0") == b"ATE0\r\r\nOK\r\n"  # echo came back on (ERRATA 24)
    assert at.cmd("AT+CMEE?") == line_ok("+CMEE: 1")
    assert at.cmd("AT+QINDI?") == line_ok("+QINDI: 0")
    assert at.cmd("AT+QIMUX?") == line_ok("+QIMUX: 0")
    assert at.cmd("AT+QSSLSTATE") == line_ok('+QSSLSTATE: "IP INITIAL"')
    assert at.cmd("AT+QSSLSEND=2,5") == ERROR
    assert at.cmd('AT+QSSLCFG="ctxindex",1') == line_ok('+QSSLCFG: 1,4,0,0XFFFF,"","",""')
    assert at.cmd('AT+QSSLCFG="ignorertc"') == line_ok('+QSSLCFG: "ignorertc",0')
    assert re.match(rb"^\r\n\+CME ERROR: \d+\r\n$", at.cmd('AT+QSECREAD="RAM:ca.pem"'))
    assert at.cmd('AT+QSECREAD="NVRAM:CA0"').startswith(b"\r\n+QSECREAD: 1,")


def test_reboot_with_banner_resets_everything(emu_ctx, pki, tls_echo):
    emu, at, _ = emu_ctx
    dirty(emu, at, pki, tls_echo)
    emu.faults.reboot(banner=True)
    assert at.read_until(b"SMS Ready\r\n", 5) == BANNER
    assert at.cmd("AT") == b"AT\r\r\nOK\r\n"
    assert_power_on_state(at)


def test_silent_reboot_prints_nothing_until_at(emu_ctx, pki, tls_echo):
    emu, at, _ = emu_ctx
    dirty(emu, at, pki, tls_echo)
    emu.faults.reboot(banner=False)
    at.quiet(0.4)  # no RDY, no Call Ready, no "closed" URC: the restart goes unseen
    # Bytes before the "AT" that teaches the module the baud rate are lost.
    at.write(b"\r\nxyz")
    at.quiet(0.2)
    assert at.cmd("AT") == b"AT\r\r\nOK\r\n"
    assert_power_on_state(at)
    at.quiet(0.2)  # the readiness URCs were not printed late either


def test_silent_reboot_lower_case_at_syncs(emu, at):
    emu.faults.reboot(banner=False)
    at.write(b"A")
    at.quiet(0.2)
    at.write(b"T\r")  # "AT" split over two writes still syncs
    assert at.read_final(5) == b"AT\r\r\nOK\r\n"
    emu.faults.reboot(banner=False)
    assert at.cmd("at+cpin?") == b"at+cpin?\r\r\n+CPIN: READY\r\n\r\nOK\r\n"


def test_restart_locks_a_pin_sim_again(emu, at):
    emu.sim("pin", pin="4321")
    assert at.cmd('AT+CPIN="4321"') == OK
    assert at.read_line(b"SMS Ready", 3) == b"\r\nCall Ready\r\n\r\nSMS Ready\r\n"
    assert at.cmd("AT+CPIN?") == line_ok("+CPIN: READY")
    emu.faults.reboot()
    # A locked SIM: RDY only, no Call Ready / SMS Ready.
    assert at.read_until(b"RDY\r\n", 3) == b"\r\nRDY\r\n"
    at.quiet(0.3)
    assert at.cmd("AT+CPIN?") == b"AT+CPIN?\r\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"


def test_power_off_is_silent_and_deaf_then_boots(emu_ctx, pki, tls_echo):
    emu, at, _ = emu_ctx
    dirty(emu, at, pki, tls_echo)
    emu.power(False)
    assert emu.powered is False
    at.write(b"AT\r")
    at.quiet(0.3)
    emu.faults.unknown_urc("+QFOO: 1")  # nothing comes out of a module without power
    at.quiet(0.1)
    emu.faults.reboot()  # a module without power does not restart
    at.quiet(0.2)
    assert emu.powered is False
    emu.power(False)  # off -> off changes nothing
    emu.power(True)
    assert at.read_until(b"SMS Ready\r\n", 5) == BANNER
    assert at.cmd("AT") == b"AT\r\r\nOK\r\n"
    assert_power_on_state(at)
    emu.power(True)  # on -> on changes nothing: no second banner
    at.quiet(0.2)


def test_power_on_in_autobaud_mode_is_silent(emu, at):
    emu.autobaud = True
    power = emu.power  # a plain callable, as a board file provides it
    power(False)
    power(True)
    at.quiet(0.3)
    assert at.cmd("AT") == b"AT\r\r\nOK\r\n"


def test_emulator_can_start_powered_off():
    from conftest import At, make_emulator

    emu = make_emulator(powered=False)
    emu.start()
    try:
        emu.boot()  # nothing: there is no power
        at = At(emu.port())
        at.write(b"AT\r")
        at.quiet(0.2)
        emu.power(True)
        assert at.read_until(b"SMS Ready\r\n", 5) == BANNER
    finally:
        emu.stop()


def test_hang_until_power_cycled(emu, at):
    emu.faults.hang()
    at.write(b"AT\r")
    at.quiet(0.3)
    emu.faults.unknown_urc("+QFOO: 1")
    at.quiet(0.1)
    emu.power(True)  # it is still powered: no effect
    at.write(b"AT\r")
    at.quiet(0.2)
    emu.power(False)
    emu.power(True)
    assert at.read_until(b"SMS Ready\r\n", 5) == BANNER
    assert at.cmd("AT") == b"AT\r\r\nOK\r\n"


def test_hang_ended_by_reboot(emu, at):
    emu.faults.hang()
    at.write(b"AT\r")
    at.quiet(0.2)
    emu.faults.reboot()
    assert at.read_until(b"SMS Ready\r\n", 5) == BANNER


def test_wrong_baud_garbles_output_and_ignores_input(emu, at):
    emu.faults.wrong_baud(True)
    at.write(b"ATE1\r")  # ignored: echo stays off
    at.quiet(0.2)
    emu.faults.unknown_urc("+QFOO: 1,2")
    got = at.read_exact(len(b"\r\n+QFOO: 1,2\r\n"), 3)
    assert all(0x80 <= b <= 0xFF for b in got), got
    at.quiet(0.1)
    emu.faults.wrong_baud(False)
    assert at.cmd("AT") == OK

