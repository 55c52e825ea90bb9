"""The emulator on a pty: raw mode, a symlink to the slave, a reader thread.

What the host writes is read here and handed to the emulator's HostPort, which
paces it at the emulator's baud rate (the host's TX line); the emulator's output
is paced by its Output before it reaches _write.
"""
import os
import select
import threading
import tty


class PtyPort:
    def __init__(self, path, emu):
        self.path = path
        self.emu = emu
        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(self.slave)
        self.name = os.ttyname(self.slave)
        self._running = False
        self._thread = None
        self._wlock = threading.Lock()
        emu.set_sink(self._write)
        if emu.baud:
            emu.port().set_baud(emu.baud)  # input crosses the same wire as the output

    def start(self):
        try:
            if os.path.islink(self.path) or os.path.exists(self.path):
                os.unlink(self.path)
        except OSError:
            pass
        os.symlink(self.name, self.path)
        self._running = True
        self._thread = threading.Thread(target=self._read, name="quecsim-pty", daemon=True)
        self._thread.start()

    def _write(self, data):
        with self._wlock:
            mv = memoryview(data)
            while len(mv) and self._running:
                try:
                    n = os.write(self.master, mv)
                    mv = mv[n:]
                except BlockingIOError:
                    select.select([], [self.master], [], 0.1)
                except OSError:
                    return

    def _read(self):
        while self._running:
            try:
                r, _, _ = select.select([self.master], [], [], 0.2)
            except (OSError, ValueError):
                return
            if not r:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                # no client has the slave open right now (EIO); wait and retry
                threading.Event().wait(0.05)
                continue
            if data:
                self.emu.port().write(data)

    def stop(self):
        self._running = False
        if self._thread:
            self._thread.join(1)
        try:
            if os.path.islink(self.path) and os.readlink(self.path) == self.name:
                os.unlink(self.path)
        except OSError:
            pass
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
