"""The SIM card (+CPIN), registration over time (+CREG, +CGREG, +CGATT, +QIACT) and the
identity queries (+CSQ, +GSN, +QCCID, +GMM, +GMR)."""

import time

import pytest

from conftest import BANNER, LOCAL_IP, At, bring_up_pdp, make_emulator

OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"


def line_ok(text):
    return ("\r\n%s\r\n\r\nOK\r\n" % text).encode()


def cme(code):
    return ("\r\n+CME ERROR: %d\r\n" % code).encode()


def pdp_to_start(at):
    for cmd in ("AT+QIFGCNT=0", 'AT+QICSGP=1,"CMNET"', "AT+QIREGAPP"):
        assert at.cmd(cmd) == OK, cmd


# --- SIM states ----------------------------------------------------------------------------
def test_pin_entry_then_ready_urcs(emu, at):
    emu.sim("pin", pin="1234")
    assert at.cmd("AT+CPIN?") == line_ok("+CPIN: SIM PIN")
    t0 = time.monotonic()
    assert at.cmd('AT+CPIN="1234"') == OK
    # Nothing else in the answer; the readiness URCs follow a moment later.
    assert at.read_line(b"Call Ready", 3) == b"\r\nCall Ready\r\n"
    assert time.monotonic() - t0 >= 0.1
    assert at.read_line(b"SMS Ready", 3) == b"\r\nSMS Ready\r\n"
    assert at.cmd("AT+CPIN?") == line_ok("+CPIN: READY")
    # Unlocking an unlocked SIM is not allowed.
    assert at.cmd('AT+CPIN="1234"') == cme(3)


def test_wrong_pins_then_puk(emu, at):
    emu.sim("pin", pin="1234", puk="87654321")
    assert at.cmd('AT+CPIN="0000"') == cme(16)
    assert at.cmd('AT+CPIN="1111"') == cme(16)
    assert at.cmd("AT+CPIN?") == line_ok("+CPIN: SIM PIN")
    assert at.cmd('AT+CPIN="2222"') == cme(16)
    assert at.cmd("AT+CPIN?") == line_ok("+CPIN: SIM PUK")
    assert at.cmd('AT+CPIN="1234"') == ERROR  # a PUK state wants "<puk>","<new pin>"
    assert at.cmd('AT+CPIN="11111111","5555"') == cme(16)
    assert at.cmd('AT+CPIN="87654321","5555"') == OK
    assert at.read_line(b"SMS Ready", 3) == b"\r\nCall Ready\r\n\r\nSMS Ready\r\n"
    assert at.cmd("AT+CPIN?") == line_ok("+CPIN: READY")
    # The new PIN is the card's from now on.
    emu.faults.reboot()
    assert at.read_until(b"RDY\r\n", 3) == b"\r\nRDY\r\n"
    assert at.cmd("ATE0") == b"ATE0\r\r\nOK\r\n"
    assert at.cmd('AT+CPIN="1234"') == cme(16)
    assert at.cmd('AT+CPIN="5555"') == OK


def test_puk_state_and_absent_sim(emu, at):
    emu.sim("puk")
    assert at.cmd("AT+CPIN?") == line_ok("+CPIN: SIM PUK")
    assert at.cmd("AT+CGATT=1") == cme(12)
    emu.sim("absent")
    assert at.cmd("AT+CPIN?") == cme(10)
    assert at.cmd('AT+CPIN="1234"') == cme(10)
    assert at.cmd("AT+QCCID") == cme(10)
    # With CMEE=0 the same errors are a bare ERROR.
    assert at.cmd("AT+CMEE=0") == OK
    assert at.cmd("AT+CPIN?") == ERROR
    emu.sim("pin")
    assert at.cmd('AT+CPIN="9999"') == ERROR
    assert at.cmd("AT+CPIN?") == line_ok("+CPIN: SIM PIN")
    emu.sim("ready")
    assert at.cmd("AT+CPIN?") == line_ok("+CPIN: READY")


def test_bad_sim_settings_rejected(emu):
    with pytest.raises(ValueError):
        emu.sim("locked")
    with pytest.raises(ValueError):
        emu.sim("pin", pin="12a4")
    with pytest.raises(ValueError):
        emu.registration([(1, None), (2, 3.0)])
    with pytest.raises(ValueError):
        emu.registration([(7, None)])
    with pytest.raises(ValueError):
        emu.signal(40)


def test_network_refuses_while_sim_not_ready(emu, at):
    emu.sim("pin")
    assert at.cmd("AT+CREG?") == line_ok("+CREG: 0,0")
    assert at.cmd("AT+CGREG?") == line_ok("+CGREG: 0,0")
    assert at.cmd("AT+CGATT?") == line_ok("+CGATT: 0")
    assert at.cmd("AT+CGATT=1") == cme(11)
    assert at.cmd("AT+QIFGCNT=0") == OK
    assert at.cmd('AT+QICSGP=1,"CMNET"') == OK
    assert at.cmd("AT+QIREGAPP") == ERROR
    assert at.cmd('AT+CPIN="1234"') == OK
    assert at.cmd("AT+CGREG?") == line_ok("+CGREG: 0,1")
    assert at.cmd("AT+QIREGAPP") == OK
    assert at.cmd("AT+QIACT", timeout=10) == OK


def test_pin_sim_from_the_constructor_boots_with_rdy_only():
    emu = make_emulator(sim="pin", sim_pin="2468")
    emu.start()
    try:
        emu.boot()
        at = At(emu.port())
        assert at.read_until(b"RDY\r\n", 3) == b"\r\nRDY\r\n"
        at.quiet(0.3)
        assert at.cmd('AT+CPIN="2468"') == b'AT+CPIN="2468"\r\r\nOK\r\n'
        assert at.read_line(b"SMS Ready", 3) == b"\r\nCall Ready\r\n\r\nSMS Ready\r\n"
    finally:
        emu.stop()


# --- registration over time ------------------------------------------------------------------
def test_registration_schedule(emu, at):
    emu.registration([(2, 0.6), (1, None)])
    assert at.cmd("AT+CREG?") == line_ok("+CREG: 0,2")
    assert at.cmd("AT+CGREG?") == line_ok("+CGREG: 0,2")
    assert at.cmd("AT+CGATT?") == line_ok("+CGATT: 0")
    pdp_to_start(at)
    t0 = time.monotonic()
    assert at.cmd("AT+QIACT", timeout=10) == ERROR
    assert time.monotonic() - t0 >= 0.2  # refused after asking the network
    time.sleep(0.7)
    assert at.cmd("AT+CREG?") == line_ok("+CREG: 0,1")
    assert at.cmd("AT+CGATT?") == line_ok("+CGATT: 1")
    assert at.cmd("AT+QIACT", timeout=10) == OK
    assert at.cmd("AT+QILOCIP") == ("\r\n%s\r\n" % LOCAL_IP).encode()


@pytest.mark.parametrize("stat,attached", [(0, 0), (1, 1), (2, 0), (3, 0), (4, 0), (5, 1)])
def test_each_stat_and_cgatt(emu, at, stat, attached):
    emu.registration(stat)
    assert at.cmd("AT+CREG?") == line_ok("+CREG: 0,%d" % stat)
    assert at.cmd("AT+CGREG?") == line_ok("+CGREG: 0,%d" % stat)
    assert at.cmd("AT+CGATT?") == line_ok("+CGATT: %d" % attached)
    got = at.cmd("AT+CGATT=1", timeout=5)
    assert got == (ERROR if stat in (0, 3, 4) else OK), got


def test_gprs_schedule_apart_from_cs(emu, at):
    emu.registration(1, gprs=[(4, 0.3), (5, None)])
    assert at.cmd("AT+CREG?") == line_ok("+CREG: 0,1")
    assert at.cmd("AT+CGREG?") == line_ok("+CGREG: 0,4")
    time.sleep(0.4)
    assert at.cmd("AT+CGREG?") == line_ok("+CGREG: 0,5")
    assert at.cmd("AT+CREG?") == line_ok("+CREG: 0,1")


def test_registration_urcs_when_enabled(emu, at):
    assert at.cmd("AT+CREG=2") == OK
    assert at.cmd("AT+CGREG=1") == OK
    assert at.cmd("AT+CREG?") == line_ok('+CREG: 2,1,"1A2B","3C4D"')
    emu.registration([(2, 0.3), (5, None)])
    assert at.read_line(b"+CGREG:", 2) == b"\r\n+CREG: 2\r\n\r\n+CGREG: 2\r\n"
    got = at.read_line(b"+CGREG:", 2)
    assert got == b'\r\n+CREG: 5,"1A2B","3C4D"\r\n\r\n+CGREG: 5\r\n', got
    at.quiet(0.2)


def test_schedule_restarts_after_a_restart(emu, at):
    emu.registration([(2, 0.5), (1, None)])
    time.sleep(0.6)
    assert at.cmd("AT+CREG?") == line_ok("+CREG: 0,1")
    emu.faults.reboot()
    assert at.read_until(b"SMS Ready\r\n", 3) == BANNER
    assert at.cmd("AT+CREG?") == b"AT+CREG?\r" + line_ok("+CREG: 0,2")


def test_older_registered_attribute_still_works(emu, at):
    emu.state.registered = 3
    assert at.cmd("AT+CGREG?") == line_ok("+CGREG: 0,3")
    assert emu.state.registered == 3


def test_qiact_refused_when_denied_and_when_detached(emu, at):
    emu.registration(3)
    pdp_to_start(at)
    assert at.cmd("AT+QIACT", timeout=10) == ERROR
    emu.registration(1)
    assert at.cmd("AT+CGATT=0") == OK
    assert at.cmd("AT+CGATT?") == line_ok("+CGATT: 0")
    assert at.cmd("AT+QIACT", timeout=10) == ERROR
    assert at.cmd("AT+CGATT=1") == OK
    assert at.cmd("AT+QIACT", timeout=10) == OK


def test_commands_wait_behind_a_slow_answer(emu, at):
    emu.registration(4)
    pdp_to_start(at)
    at.write(b"AT+QIACT\rAT+CSQ\r")
    # The second command is answered after the first, never inside its delay.
    assert at.read_final(5) == ERROR
    assert at.read_final(5) == b"\r\n+CSQ: 23,0\r\n\r\nOK\r\n"


# --- signal and identity ------------------------------------------------------------------------
def test_csq_settable(emu, at):
    assert at.cmd("AT+CSQ") == line_ok("+CSQ: 23,0")
    emu.signal(99, 99)
    assert at.cmd("AT+CSQ") == line_ok("+CSQ: 99,99")
    emu.signal(7)
    assert at.cmd("AT+CSQ") == line_ok("+CSQ: 7,0")


def test_identity_bare_lines(emu, at):
    emu.imei = "861234567890125"
    emu.iccid = "8944500102198304826F"
    assert at.cmd("AT+GSN") == line_ok("861234567890125")
    assert at.cmd("AT+CGSN") == line_ok("861234567890125")
    assert at.cmd("AT+QCCID") == line_ok("8944500102198304826F")
    assert at.cmd("AT+CCID") == line_ok("8944500102198304826F")
    assert at.cmd("AT+GMM") == line_ok("Quectel_M66")
    assert at.cmd("AT+GMI") == line_ok("Quectel_Ltd")
    assert at.cmd("AT+GMR") == line_ok("Revision: M66FAR02A12")
    assert at.cmd("ATI") == b"\r\nQuectel_Ltd\r\n\r\nQuectel_M66\r\n\r\nRevision: M66FAR02A12\r\n" + OK
    assert at.cmd("AT+CMEE?") == line_ok("+CMEE: 1")
    assert at.cmd("AT+CMEE=0") == OK
    assert at.cmd("AT+CMEE?") == line_ok("+CMEE: 0")
    assert at.cmd("AT+GSN=1") == ERROR


def test_attach_steps_with_library_order(emu, at):
    """Chapter 4 order on a module that registers late: CGATT? 0, CGREG? 2, later 1."""
    emu.registration([(2, 0.4), (1, None)])
    assert at.cmd("AT+CGATT?") == line_ok("+CGATT: 0")
    assert at.cmd("AT+CGATT=1", timeout=5) == OK
    assert at.cmd("AT+CGREG?") == line_ok("+CGREG: 0,2")
    time.sleep(0.5)
    assert at.cmd("AT+CGREG?") == line_ok("+CGREG: 0,1")
    bring_up_pdp(at)


def test_ten_wrong_puks_kill_the_card(emu, at):
    emu.sim("puk", puk="10203040")
    for _ in range(9):
        assert at.cmd('AT+CPIN="99999999","1111"') == cme(16)
    assert at.cmd("AT+CPIN?") == line_ok("+CPIN: SIM PUK")
    assert at.cmd('AT+CPIN="99999999","1111"') == cme(16)
    assert at.cmd("AT+CPIN?") == cme(13)
    assert at.cmd('AT+CPIN="10203040","1111"') == cme(13)
    assert at.cmd("AT+CGATT=1") == cme(13)
