"""The emulator as a process and its host options: pty mode with routes and the
control socket, `python -m testnet`, the AT transcript, baud pacing."""

import json
import os
import subprocess
import sys
import termios
import time
import tty

import pytest

from conftest import BANNER, LOCAL_IP, At, bring_up_pdp, make_emulator, upload

OK = b"\r\nOK\r\n"


class PtyUart:
    """The host end of the emulator's pty, with the in-process port's interface."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(self.fd, termios.TCSANOW)  # TCSAFLUSH would drop the boot banner
        attrs = termios.tcgetattr(self.fd)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)

    def read(self, n=-1):
        try:
            return os.read(self.fd, 65536 if n is None or n < 0 else n)
        except BlockingIOError:
            return b""

    def write(self, data):
        data = bytes(data)
        done = 0
        end = time.monotonic() + 5
        while done < len(data) and time.monotonic() < end:
            try:
                done += os.write(self.fd, data[done:])
            except BlockingIOError:
                time.sleep(0.001)
        return done

    def close(self):
        os.close(self.fd)


def _spawn(args, ready_prefix, timeout=20):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    p = subprocess.Popen([sys.executable] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env)
    end = time.monotonic() + timeout
    os.set_blocking(p.stdout.fileno(), False)
    buf = b""
    while time.monotonic() < end:
        chunk = p.stdout.read() or b""
        buf += chunk
        if b"\n" in buf and buf.startswith(ready_prefix):
            return p, buf.split(b"\n", 1)[0]
        if p.poll() is not None:
            break
        time.sleep(0.05)
    _stop(p)
    raise AssertionError("%r did not start: %r %r" % (args, buf, p.stderr.read()))


def _stop(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


@pytest.fixture
def testnet_proc(tmp_path):
    p, line = _spawn(["-m", "testnet", "--dir", str(tmp_path / "net"), "--tcp-port", "0"], b"{")
    try:
        yield json.loads(line)
    finally:
        _stop(p)


def test_testnet_process_serves_and_stops(testnet_proc):
    import socket
    import ssl

    info = testnet_proc
    ctx = ssl.create_default_context(cafile=info["ca"])
    with socket.create_connection(("127.0.0.1", info["echo_port"]), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(b"ping")
            assert s.recv(10) == b"ping"
    with socket.create_connection(("127.0.0.1", info["https_port"]), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="example.com") as s:
            s.sendall(b"GET /big?n=10 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                c = s.recv(4096)
                if not c:
                    break
                data += c
    assert data.startswith(b"HTTP/1.1 200 ")
    assert data.endswith(b"\r\n\r\n0123456789")
    assert os.path.exists(info["pki"]["client_key"])


def test_pty_mode_end_to_end(tmp_path, testnet_proc):
    info = testnet_proc
    pty_path = str(tmp_path / "qmodem")
    ctl_path = str(tmp_path / "ctl")
    p, line = _spawn(["-m", "quecsim", "--pty", pty_path, "--boot", "--control", ctl_path,
                      "--route", "example.com:443=127.0.0.1:%d" % info["echo_port"]],
                     b"quecsim ready")
    uart = None
    try:
        uart = PtyUart(pty_path)
        at = At(uart)
        assert at.read_until(b"SMS Ready\r\n", 5) == BANNER
        assert at.cmd("AT") == b"AT\r\r\nOK\r\n"
        assert at.cmd("ATE0") == b"ATE0\r\r\nOK\r\n"
        bring_up_pdp(at)
        assert at.cmd('AT+QSSLOPEN=2,0,"example.com",443,0') == OK
        assert at.read_line(b"+QSSLOPEN:", 15) == b"\r\n+QSSLOPEN: 2,0\r\n"
        assert at.cmd("AT+QSSLSEND=2,9") == b"\r\n> "
        uart.write(b"over pty!")
        assert at.read_final() == b"\r\nSEND OK\r\n"
        assert at.read_line(b"+QSSLURC:") == b'\r\n+QSSLURC: "recv",0,2\r\n'
        time.sleep(0.1)
        assert at.cmd("AT+QSSLRECV=0,2,1500") == \
            b"\r\n+QSSLRECV: 127.0.0.1:443,TCP,9\r\nover pty!\r\nOK\r\n"
        # The control socket injects faults.
        import socket

        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            c.settimeout(5)
            c.connect(ctl_path)
            c.sendall(b"unknown_urc +QTEST: 7\n")
            assert c.recv(100).strip() == b"ok"
            assert at.read_line(b"+QTEST") == b"\r\n+QTEST: 7\r\n"
            c.sendall(b"reboot\n")
            assert c.recv(100).strip() == b"ok"
        assert at.read_until(b"SMS Ready\r\n", 5).endswith(BANNER)
        assert at.cmd("AT") == b"AT\r\r\nOK\r\n"
    finally:
        if uart:
            uart.close()
        _stop(p)
    assert p.returncode == 0, p.stderr.read()


def test_transcript_redacts_uploads(tmp_path, pki):
    log = tmp_path / "at.log"
    emu = make_emulator(log=str(log))
    emu.start()
    try:
        at = At(emu.port())
        assert at.cmd("ATE0") == b"ATE0\r\r\nOK\r\n"
        upload(at, "RAM:client_key.pem", pki.client_key_pem)
        assert at.cmd("AT") == OK
    finally:
        emu.stop()
    text = log.read_text()
    assert "QSECWRITE" in text
    body_lines = [ln for ln in pki.client_key_pem.decode().splitlines() if "-----" not in ln]
    for ln in body_lines:
        assert ln not in text
    assert "PRIVATE KEY" not in text


def test_baud_pacing(tmp_path):
    emu = make_emulator(baud=115200)
    emu.start()
    try:
        at = At(emu.port())
        assert at.cmd("ATE0") == b"ATE0\r\r\nOK\r\n"
        t0 = time.monotonic()
        emu.faults.overlong(5758)  # 5760 bytes: 0.5 s at 11520 bytes/s
        assert at.read_until(b"\r\n", 5) == b"X" * 5758 + b"\r\n"
        dt = time.monotonic() - t0
        assert 0.45 <= dt <= 1.5, dt
    finally:
        emu.stop()
