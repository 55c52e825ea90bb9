# A lossy line between module and host: bytes the module sent never arrive. Whatever
# is hit, the library says so (EIO or ETIMEDOUT, never an empty read that hides the
# loss); the socket whose data was lost fails rather than deliver a gap, and the next
# command works again.
import errno
import time

import pytest

from api_fixtures import ECHO_HOST, attached, booted, read_exact, rig, wait_for  # noqa: F401


@pytest.mark.parametrize("drop", [3, 20, 45, 80])
def test_bytes_lost_in_a_read_answer(attached, pki, tls_echo, drop):
    # The answer starts "\r\n+QSSLRECV: <ip>:<port>,TCP,100\r\n" (about 38 bytes): every
    # drop here damages the header, so the payload arrives as a line nobody can read.
    attached.route(ECHO_HOST, tls_echo)
    with attached.connect(attached.ctx(pki), ECHO_HOST) as s:
        s.sendall(b"x" * 100)
        assert wait_for(lambda: (attached.m.poll(), attached.m.slots.ready[s.ssid])[1] == 1, 5)
        time.sleep(0.2)  # all 100 bytes are in the module's buffer
        attached.emu.faults.drop(drop)
        s.settimeout(2)
        t0 = time.monotonic()
        with pytest.raises(OSError) as e:
            s.recv(1500)
        assert e.value.errno == errno.EIO, e.value  # said at once, not found by a timeout
        assert time.monotonic() - t0 < 1.5
        # the stream has a gap now: the socket stays failed, with the cause named
        with pytest.raises(OSError) as e:
            s.sendall(b"after")
        assert e.value.errno == errno.ECONNRESET and "lost on the line" in str(e.value)
    # the line resynchronises: a new connection works and nothing is left open
    with attached.connect(attached.ctx(pki), ECHO_HOST) as s:
        s.sendall(b"after")
        assert read_exact(s, 5, 10) == b"after"
    state, rows = attached.m.status()
    assert state == "IP STATUS" and rows == []
