"""The in-process "UART": the host side of the emulator.

The host writes command bytes with write(); the emulator's output arrives in a
buffer that read()/readinto() drain without blocking. Thread-safe.

With a baud rate (set_baud) the host's TX line is paced too: write() queues the
bytes as a UART's TX buffer would (blocking only while more than TXBUF bytes wait)
and a line thread hands them to the module at the line rate (wire.Line), each
write after the one before it.
"""
import collections
import threading
import time

from .line import Line

TXBUF = 256  # bytes a host write may leave queued before it blocks (a UART TX buffer)
_IDLE_EXIT_S = 1.0  # the line thread ends after this long with nothing to send


class HostPort:
    def __init__(self, on_input, baud=None):
        self._on_input = on_input  # called with bytes the host wrote
        self._rx = bytearray()
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._line = None
        self._txq = collections.deque()  # (time written, bytes) not yet on the line
        self._tx_left = 0  # bytes written but not yet handed to the module
        self._tx_cond = threading.Condition()
        self._tx_thread = None
        if baud:
            self.set_baud(baud)

    def set_baud(self, baud):
        """Pace the host's writes at baud (None: hand them over at once)."""
        with self._tx_cond:
            self._line = Line(baud) if baud else None

    # --- emulator side ---------------------------------------------------------
    def deliver(self, data):
        with self._cond:
            self._rx += data
            self._cond.notify_all()

    def clear(self):
        with self._lock:
            del self._rx[:]

    # --- host side ---------------------------------------------------------------
    def any(self):
        with self._lock:
            return len(self._rx)

    @property
    def in_waiting(self):
        return self.any()

    def read(self, n=-1):
        with self._lock:
            if n is None or n < 0 or n > len(self._rx):
                n = len(self._rx)
            out = bytes(self._rx[:n])
            del self._rx[:n]
            return out

    def readinto(self, buf, n=-1):
        mv = memoryview(buf)
        if n is None or n < 0 or n > len(mv):
            n = len(mv)
        with self._lock:
            k = min(n, len(self._rx))
            mv[:k] = self._rx[:k]
            del self._rx[:k]
            return k

    def write(self, buf, n=-1):
        data = bytes(memoryview(buf)[: (len(buf) if n is None or n < 0 else n)])
        if not data:
            return 0
        if self._line is None:
            self._on_input(data)
            return len(data)
        with self._tx_cond:
            self._txq.append((time.monotonic(), data))
            self._tx_left += len(data)
            if self._tx_thread is None:
                self._tx_thread = threading.Thread(target=self._tx_run, name="quecsim-hosttx",
                                                   daemon=True)
                self._tx_thread.start()
            self._tx_cond.notify_all()
            while self._tx_left > TXBUF:
                self._tx_cond.wait(0.05)
        return len(data)

    def flush(self, timeout=None):
        """Wait until every byte written has reached the module (machine.UART.flush)."""
        end = None if timeout is None else time.monotonic() + timeout
        with self._tx_cond:
            while self._tx_left and (end is None or time.monotonic() < end):
                self._tx_cond.wait(0.05)
            return not self._tx_left

    def tx_pending(self):
        """Bytes the host wrote that have not reached the module yet."""
        with self._tx_cond:
            return self._tx_left

    def _tx_run(self):
        try:
            while True:
                with self._tx_cond:
                    if not self._txq:
                        self._tx_cond.wait(_IDLE_EXIT_S)
                    if not self._txq:
                        self._tx_thread = None  # under the lock: the next write starts another
                        return
                    ready, data = self._txq.popleft()
                    line = self._line
                if line is None:
                    self._arrived(data)
                else:
                    line.send(data, self._arrived, ready)
        except BaseException:
            with self._tx_cond:  # the bytes are lost; writers must not wait for them
                self._tx_thread = None
                self._txq.clear()
                self._tx_left = 0
                self._tx_cond.notify_all()
            raise

    def _arrived(self, piece):
        self._on_input(piece)
        with self._tx_cond:
            self._tx_left -= len(piece)
            self._tx_cond.notify_all()

    def wait(self, timeout):
        """Block until output is waiting or timeout (a convenience for tests)."""
        with self._cond:
            if not self._rx:
                self._cond.wait(timeout)
            return len(self._rx)
