"""The AT transcript file: both directions, one entry a chunk."""
import threading
import time


def text(data):
    if isinstance(data, str):
        return data
    return data.decode("latin-1").encode("unicode_escape").decode("ascii")


class Transcript:
    def __init__(self, path):
        self._f = open(path, "a", encoding="utf-8")
        self._lock = threading.Lock()
        self._t0 = time.monotonic()

    def _put(self, tag, data):
        with self._lock:
            if self._f:
                self._f.write("%9.3f %s %s\n" % (time.monotonic() - self._t0, tag, text(data)))
                self._f.flush()

    def host(self, data):
        self._put("->", data)

    def modem(self, data):
        self._put("<-", data)

    def close(self):
        with self._lock:
            if self._f:
                self._f.close()
                self._f = None
