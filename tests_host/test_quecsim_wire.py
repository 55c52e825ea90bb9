"""quecsim's wire at a baud rate: every byte takes 10/baud seconds in each direction,
nothing arrives ahead of its time, and an exchange is not much slower than its wire
time either (within 30 %). Without a baud rate nothing is paced."""
import os
import time

from quecsim.port import HostPort
from quecsim.ptyport import PtyPort
from quecsim.line import Line, wire_seconds

from conftest import make_emulator

BAUD = 9600
T = 10.0 / BAUD  # one byte on the wire


def paced_emulator(baud=BAUD):
    emu = make_emulator(baud=baud)
    # The emulator paces its output itself; its HostPort learns the rate here too
    # (a no-op once Emulator passes baud= to HostPort).
    emu.port().set_baud(baud)
    emu.start()
    return emu


def read_timed(read, n, timeout):
    """Poll read() until n bytes came; returns (data, [arrival time of each byte])."""
    data = bytearray()
    times = []
    end = time.monotonic() + timeout
    while len(data) < n and time.monotonic() < end:
        got = read()
        if got:
            now = time.monotonic()
            data += got
            times += [now] * len(got)
        else:
            time.sleep(0.0002)
    return bytes(data), times


def echo_off(emu):
    port = emu.port()
    port.write(b"ATE0\r")
    data, _ = read_timed(port.read, len(b"ATE0\r\r\nOK\r\n"), 5)
    assert data == b"ATE0\r\r\nOK\r\n"


def test_line_hands_each_byte_over_no_earlier_than_its_stop_bit():
    line = Line(BAUD)
    got = []
    t0 = time.monotonic()
    line.send(bytes(100), lambda piece: got.append((time.monotonic(), len(piece))), ready=t0)
    done = 0
    for when, k in got:
        done += k
        assert when >= t0 + done * T, (done, when - t0)
    assert done == 100
    assert got[-1][0] - t0 <= 100 * T * 1.3


def test_back_to_back_records_keep_an_absolute_schedule():
    # 40 records of 30 bytes written at once: the line is busy from the first byte to
    # the last, with no drift from late wake-ups and no gap between records.
    line = Line(115200)
    t0 = time.monotonic()
    for _ in range(40):
        line.send(bytes(30), lambda piece: None, ready=t0)
    took = time.monotonic() - t0
    want = wire_seconds(40 * 30, 115200)
    assert want <= took <= want * 1.3, (took, want)


def test_input_takes_its_wire_time():
    emu = paced_emulator()
    try:
        echo_off(emu)
        port = emu.port()
        junk = b"X" * 199 + b"\r"  # not a command: ignored, but it still crosses the wire
        cmd = junk + b"AT\r"
        t0 = time.monotonic()
        port.write(cmd)
        data, times = read_timed(port.read, 6, 10)
        assert data == b"\r\nOK\r\n"
        want = wire_seconds(len(cmd) + 6, BAUD)
        took = times[-1] - t0
        assert want <= took <= want * 1.3, (took, want)
    finally:
        emu.stop()


def test_echo_crosses_the_wire_both_ways_and_no_byte_comes_early():
    emu = paced_emulator()
    try:
        port = emu.port()
        line = b"Y" * 149 + b"\r"  # echoed once its CR is in, then 150 bytes back
        t0 = time.monotonic()
        port.write(line)
        data, times = read_timed(port.read, len(line), 10)
        assert data == line
        for k, when in enumerate(times):
            assert when >= t0 + (len(line) + k + 1) * T, (k, when - t0)
        want = wire_seconds(2 * len(line), BAUD)
        took = times[-1] - t0
        assert want <= took <= want * 1.3, (took, want)
    finally:
        emu.stop()


def test_a_host_write_blocks_only_beyond_the_tx_buffer():
    got = []
    port = HostPort(got.append, baud=BAUD)
    t0 = time.monotonic()
    port.write(b"a" * 100)  # fits the TX buffer: returns at once
    assert time.monotonic() - t0 < 20 * T
    assert port.tx_pending() > 0 and b"".join(got) != b"a" * 100
    port.write(b"b" * 400)  # returns once at most TXBUF bytes wait
    end = time.monotonic() + 5
    while port.tx_pending() and time.monotonic() < end:
        time.sleep(0.01)
    took = time.monotonic() - t0
    assert b"".join(got) == b"a" * 100 + b"b" * 400
    assert took >= wire_seconds(500, BAUD)


def test_flush_waits_until_the_module_has_every_byte():
    got = []
    port = HostPort(got.append, baud=BAUD)
    t0 = time.monotonic()
    port.write(b"c" * 200)
    assert port.flush(5)
    assert time.monotonic() - t0 >= wire_seconds(200, BAUD)
    assert b"".join(got) == b"c" * 200 and port.tx_pending() == 0


def test_unpaced_port_hands_writes_over_at_once():
    got = []
    port = HostPort(got.append)
    port.write(b"z" * 5000)
    assert got == [b"z" * 5000]
    assert port.tx_pending() == 0


def test_pty_takes_the_wire_time_both_ways(tmp_path):
    emu = make_emulator(baud=BAUD)
    pty = PtyPort(str(tmp_path / "qmodem"), emu)
    emu.start()
    pty.start()
    fd = os.open(str(tmp_path / "qmodem"), os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        def read():
            try:
                return os.read(fd, 4096)
            except BlockingIOError:
                return b""

        line = b"Z" * 99 + b"\r"
        t0 = time.monotonic()
        os.write(fd, line)
        data, times = read_timed(read, len(line), 10)
        assert data == line
        assert times[0] >= t0 + (len(line) + 1) * T
        want = wire_seconds(2 * len(line), BAUD)
        took = times[-1] - t0
        assert want <= took <= want * 1.3, (took, want)
    finally:
        os.close(fd)
        pty.stop()
        emu.stop()
