"""Every fault and setting over the control socket (what the MicroPython device tests
use), and the new `python -m quecsim` options."""

import socket
import time

import pytest

from conftest import BANNER, At, make_emulator
from test_quecsim_host import PtyUart, _spawn, _stop

OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"


def line_ok(text):
    return ("\r\n%s\r\n\r\nOK\r\n" % text).encode()


@pytest.fixture
def ctl(emu_ctx, tmp_path):
    """(emu, at, send): send(line) talks to a ControlServer over its unix socket."""
    from quecsim.control import ControlServer

    emu, at, _ = emu_ctx
    path = str(tmp_path / "ctl")
    server = ControlServer(path, emu)
    server.start()
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(5)
    c.connect(path)
    f = c.makefile("rb")

    def send(line):
        c.sendall(line.encode() + b"\n")
        return f.readline().decode().strip()

    try:
        yield emu, at, send
    finally:
        f.close()
        c.close()
        server.stop()


def test_power_hang_autobaud_reboot(ctl):
    emu, at, send = ctl
    assert send("power off") == "ok"
    at.write(b"AT\r")
    at.quiet(0.2)
    assert send("power on") == "ok"
    assert at.read_until(b"SMS Ready\r\n", 3) == BANNER
    assert send("autobaud 1") == "ok"
    assert send("power off") == "ok"
    assert send("power on") == "ok"
    at.quiet(0.3)
    assert at.cmd("AT") == b"AT\r\r\nOK\r\n"
    assert send("hang") == "ok"
    at.write(b"AT\r")
    at.quiet(0.2)
    assert send("reboot silent") == "ok"
    at.quiet(0.2)
    assert at.cmd("AT") == b"AT\r\r\nOK\r\n"
    assert send("reboot") == "ok"
    assert at.read_until(b"SMS Ready\r\n", 3) == BANNER
    assert send("power maybe").startswith("error")
    assert send("reboot loudly").startswith("error")


def test_wrong_baud_and_drop_in(ctl):
    emu, at, send = ctl
    assert send("wrong_baud 1") == "ok"
    assert send("unknown_urc +QX: 1") == "ok"
    got = at.read_exact(len(b"\r\n+QX: 1\r\n"), 3)
    assert min(got) >= 0x80, got
    assert send("wrong_baud 0") == "ok"
    assert send("drop_in 2") == "ok"
    at.write(b"AT+GSN\r")
    at.quiet(0.2)
    assert send("drop_in_at 3 1") == "ok"
    assert at.cmd("AT+CSQ") == ERROR  # "AT+SQ"
    assert send("drop_in_at 3").startswith("error")


def test_mangle_and_delay(ctl):
    emu, at, send = ctl
    assert send("mangle_next final replace 4f4b 4f4f") == "ok"  # OK -> OO
    at.write(b"AT\r")
    assert at.read_until(b"OO\r\n", 2) == b"\r\nOO\r\n"
    assert send("mangle_next response insert 2 0d0a4f4b0d0a") == "ok"
    at.write(b"AT+CSQ\r")
    assert at.read_final(2) == b"\r\n" + OK
    assert at.read_final(2) == b"+CSQ: 23,0\r\n" + OK
    assert send("mangle_next any cut -1") == "ok"
    at.write(b"AT\r")
    assert at.read_until(b"OK\r", 2) == b"\r\nOK\r"
    at.quiet(0.1)
    assert send("mangle_next urc set") == "ok"
    assert send("unknown_urc +QLOST: 1") == "ok"
    at.quiet(0.2)
    assert send("mangle_next urc,prompt set 3e20") == "ok"
    assert send("unknown_urc +QX: 2") == "ok"
    assert at.read_exact(2, 2) == b"> "
    assert send("mangle_next answer set").startswith("error")
    assert send("mangle_next any frobnicate 1").startswith("error")
    assert send("delay_next 300 final") == "ok"
    t0 = time.monotonic()
    assert at.cmd("AT") == OK
    assert time.monotonic() - t0 >= 0.28


def test_sim_registration_csq_identity(ctl):
    emu, at, send = ctl
    assert send("sim pin 1357") == "ok"
    assert at.cmd("AT+CPIN?") == line_ok("+CPIN: SIM PIN")
    assert at.cmd('AT+CPIN="1357"') == OK
    assert at.read_line(b"SMS Ready", 3) == b"\r\nCall Ready\r\n\r\nSMS Ready\r\n"
    assert send("sim puk 11223344") == "ok"
    assert at.cmd('AT+CPIN="11223344","2222"') == OK
    assert at.read_line(b"SMS Ready", 3).endswith(b"SMS Ready\r\n")
    assert send("sim absent") == "ok"
    assert at.cmd("AT+CPIN?") == b"\r\n+CME ERROR: 10\r\n"
    assert send("sim ready") == "ok"
    assert send("sim ready 1234").startswith("error")
    assert send("registration 2:0.3,5") == "ok"
    assert at.cmd("AT+CREG?") == line_ok("+CREG: 0,2")
    time.sleep(0.4)
    assert at.cmd("AT+CREG?") == line_ok("+CREG: 0,5")
    assert send("registration 1 3") == "ok"
    assert at.cmd("AT+CGREG?") == line_ok("+CGREG: 0,3")
    assert send("registration 1,2").startswith("error")
    assert send("csq 12 3") == "ok"
    assert at.cmd("AT+CSQ") == line_ok("+CSQ: 12,3")
    assert send("csq 44").startswith("error")
    assert send("imei 861111111111111") == "ok"
    assert at.cmd("AT+GSN") == line_ok("861111111111111")
    assert send("iccid 8949000000000000001F") == "ok"
    assert at.cmd("AT+QCCID") == line_ok("8949000000000000001F")
    assert send("imei abc").startswith("error")
    assert send("payload_timeout 0.5") == "ok"
    assert emu.payload_timeout == 0.5
    assert send("payload_timeout none") == "ok"
    assert emu.payload_timeout is None
    assert send("payload_timeout -1").startswith("error")


def test_mangler_offsets():
    from quecsim.control import mangler

    assert mangler("cut", ["0", "2"])(b"abcd") == b"cd"
    assert mangler("cut", ["-1"])(b"abcd") == b"abc"
    assert mangler("insert", ["-1", "7a"])(b"abcd") == b"abcdz"
    assert mangler("insert", ["1", "7a"])(b"abcd") == b"azbcd"
    assert mangler("replace", ["62", ""])(b"abcb") == b"acb"
    assert mangler("set", [])(b"abcd") == b""


def test_process_options_sim_off_autobaud(tmp_path):
    pty_path = str(tmp_path / "qmodem")
    ctl_path = str(tmp_path / "ctl")
    p, _ = _spawn(["-m", "quecsim", "--pty", pty_path, "--control", ctl_path, "--boot", "--off",
                   "--autobaud", "--sim", "pin:8642"], b"quecsim ready")
    uart = None
    try:
        uart = PtyUart(pty_path)
        at = At(uart)
        at.write(b"AT\r")
        at.quiet(0.3)  # no power
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            c.settimeout(5)
            c.connect(ctl_path)
            c.sendall(b"power on\n")
            assert c.recv(100).strip() == b"ok"
        at.quiet(0.3)  # autobaud: nothing until AT
        assert at.cmd("AT+CPIN?") == b"AT+CPIN?\r" + line_ok("+CPIN: SIM PIN")
        assert at.cmd('AT+CPIN="8642"') == b'AT+CPIN="8642"\r' + OK
    finally:
        if uart:
            uart.close()
        _stop(p)
    assert p.returncode == 0, p.stderr.read()


def test_bad_sim_option_is_refused():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "quecsim", "--pty", "/tmp/unused", "--sim", "pin:12x"],
                       capture_output=True, timeout=20)
    assert r.returncode != 0
    assert b"sim must be" in r.stderr


def test_constructor_defaults_unchanged():
    emu = make_emulator()
    assert emu.powered and not emu.autobaud and emu.payload_timeout is None
    assert emu.state.sim_word() == "READY"
