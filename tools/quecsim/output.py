"""Ordered, optionally paced output from the modem to the host.

Records (whole responses or URCs) are queued by the emulator's worker thread and
written in order by a writer thread, so a URC never lands inside another
record's bytes. Output faults (drop, silence, noise) act here.

With a baud rate the writer is the module's TX line (wire.Line): a record starts
when it was emitted or when the line is free, whichever is later, and each byte
reaches the host at the end of its own stop bit, never ahead of it.
"""
import collections
import threading
import time

from .line import Line


class Output:
    def __init__(self, sink, baud=None, transcript=None):
        self._sink = sink  # callable(bytes)
        self._line = Line(baud) if baud else None
        self._transcript = transcript
        self._q = collections.deque()
        self._cond = threading.Condition()
        self._drop = 0
        self._silent_until = 0.0
        self._running = False
        self._thread = None
        self._busy = False

    def start(self):
        self._running = True
        self._thread = threading.Thread(target=self._run, name="quecsim-out", daemon=True)
        self._thread.start()

    def stop(self):
        with self._cond:
            self._running = False
            self._cond.notify_all()
        if self._thread:
            self._thread.join(2)

    def emit(self, data, log=None):
        """Queue one record. log: text for the transcript instead of the bytes."""
        if not data:
            return
        if self._transcript:
            self._transcript.modem(data if log is None else log)
        with self._cond:
            self._q.append((time.monotonic(), bytes(data)))
            self._cond.notify_all()

    def drop(self, n):
        with self._cond:
            self._drop += n

    def silence(self, ms):
        with self._cond:
            self._silent_until = max(self._silent_until, time.monotonic() + ms / 1000.0)
            self._cond.notify_all()

    def flush_pending(self):
        """Forget queued output (a reboot)."""
        with self._cond:
            self._q.clear()

    def idle(self):
        with self._cond:
            return not self._q and not self._busy

    def wait_idle(self, timeout=5.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.idle():
                return True
            time.sleep(0.005)
        return False

    def _run(self):
        while True:
            with self._cond:
                while self._running and (not self._q or time.monotonic() < self._silent_until):
                    wait = None
                    if self._q:
                        wait = self._silent_until - time.monotonic()
                    self._cond.wait(wait if wait is None else max(wait, 0.001))
                if not self._running:
                    return
                ready, rec = self._q.popleft()
                self._busy = True
                if self._drop:
                    k = min(self._drop, len(rec))
                    self._drop -= k
                    rec = rec[k:]
            try:
                if rec:
                    self._write(rec, ready)
            finally:
                with self._cond:
                    self._busy = False

    def _write(self, rec, ready):
        if self._line is None:
            self._sink(rec)
            return
        self._line.send(rec, self._sink, ready, self._silent_until_time, self._alive)

    def _silent_until_time(self):
        return self._silent_until

    def _alive(self):
        return self._running
