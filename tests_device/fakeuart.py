# A scripted UART for device tests and the benchmark that allocates nothing: every
# command line written (ending in CR) releases the next canned answer. Answers are
# handed out whole by slice assignment (no new object) when they fit, otherwise
# copied byte by byte.


class FakeUart:
    def __init__(self, answers, first=b""):
        self.answers = answers  # tuple of bytes, cycled
        self.k = 0
        self.rx = first
        self.i = 0
        self.lines = 0  # command lines written

    def any(self):
        return len(self.rx) - self.i

    def readinto(self, buf, n):
        if self.i == 0 and len(self.rx) <= n:
            buf[0 : len(self.rx)] = self.rx
            self.i = len(self.rx)
            return self.i
        return self._copy(buf, n)

    def _copy(self, buf, n):
        m = len(self.rx) - self.i
        if m > n:
            m = n
        j = 0
        while j < m:
            buf[j] = self.rx[self.i + j]
            j += 1
        self.i += m
        return m

    def write(self, buf, off, n):
        if n and buf[off + n - 1] == 13:
            self.lines += 1
            self.rx = self.answers[self.k]
            self.k += 1
            if self.k == len(self.answers):
                self.k = 0
            self.i = 0
        return n

    def push(self, data):
        """Queue data now (URCs between commands)."""
        self.rx = data
        self.i = 0
