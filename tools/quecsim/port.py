"""The in-process "UART": the host side of the emulator.

The host writes command bytes with write(); the emulator's output arrives in a
buffer that read()/readinto() drain without blocking. Thread-safe.
"""
import threading


class HostPort:
    def __init__(self, on_input):
        self._on_input = on_input  # called with bytes the host wrote
        self._rx = bytearray()
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)

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
        if data:
            self._on_input(data)
        return len(data)

    def wait(self, timeout):
        """Block until output is waiting or timeout (a convenience for tests)."""
        with self._cond:
            if not self._rx:
                self._cond.wait(timeout)
            return len(self._rx)
