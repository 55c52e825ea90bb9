# A UART with CircuitPython's busio.UART shape, over a pty on the MicroPython unix
# port: read(n), readinto(buf) (no count), write(buf) (no offset/count), in_waiting,
# a settable timeout in seconds, reset_input_buffer(), baudrate, deinit(). No any(),
# no write(buf, off, n): qssl must take it through compat's adapter, as on a board.
#
# in_waiting: busio reports the exact count in its receive buffer. A pty cannot say
# how many bytes wait without ioctl(FIONREAD), which this port cannot call, so this
# reports 1 when at least one byte waits (a lower bound, never more than is there).
# Nothing here allocates per call once the timeout is 0 (poll's ipoll reuses its tuple).
import select
import termios
import time

_VTIME = 5  # termios cc[] indices
_VMIN = 6


class BusioUart:
    def __init__(self, path, baudrate=115200, timeout=1.0):
        self.f = open(path, "r+b")
        fd = self.f.fileno()
        termios.setraw(fd)
        attr = termios.tcgetattr(fd)
        attr[6][_VMIN] = 0  # a read returns what is there, 0 when nothing
        attr[6][_VTIME] = 0
        termios.tcsetattr(fd, termios.TCSANOW, attr)
        self._poll = select.poll()
        self._poll.register(self.f, select.POLLIN)
        self.baudrate = baudrate
        self.timeout = timeout
        self.reads = 0  # readinto/read calls, so a test can see the UART was used
        self.writes = 0

    @property
    def in_waiting(self):
        for _ in self._poll.ipoll(0):
            return 1
        return 0

    def _wait(self, ms):
        for _ in self._poll.ipoll(ms):
            return True
        return False

    def readinto(self, buf):
        """Up to len(buf) bytes; waits at most timeout for them to fill buf. None when
        nothing came (as busio)."""
        # Few locals: a bigger frame would be taken from the heap on every call, and
        # the allocation test would measure this double instead of the library.
        self.reads += 1
        got = self.f.readinto(buf) or 0
        if self.timeout and got < len(buf):
            got = self._read_more(buf, got)
        return got or None

    def _read_more(self, buf, got):
        want = len(buf)
        end = time.ticks_add(time.ticks_ms(), int(self.timeout * 1000))
        while got < want:
            left = time.ticks_diff(end, time.ticks_ms())
            if left <= 0 or not self._wait(left):
                break
            got += self.f.readinto(memoryview(buf)[got:]) or 0
        return got

    def read(self, nbytes=None):
        """bytes (at most nbytes; all that comes within timeout when None), or None."""
        buf = bytearray(nbytes if nbytes else 4096)
        n = self.readinto(buf)
        return bytes(buf[:n]) if n else None

    def write(self, buf):
        self.writes += 1
        done = self.f.write(buf) or 0
        if done < len(buf):  # a pty takes it all unless its buffer is full
            self._write_rest(buf, done)
        return len(buf)

    def _write_rest(self, buf, done):
        while done < len(buf):
            done += self.f.write(memoryview(buf)[done:]) or 0

    def reset_input_buffer(self):
        scratch = bytearray(64)
        while self.f.readinto(scratch):
            pass

    def deinit(self):
        if self.f is not None:
            self._poll.unregister(self.f)
            self.f.close()
            self.f = None
