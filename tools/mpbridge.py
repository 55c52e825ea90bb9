#!/usr/bin/env python3
"""Run the MicroPython unix port on a pty and expose a second pty at a path.

    python tools/mpbridge.py /tmp/mp [--micropython PATH] [--cwd DIR] [--heapsize 100K]

This does what `socat PTY,link=/tmp/mp,raw,echo=0 EXEC:micropython,pty,raw,echo=0`
does, in plain Python: the child gets a raw pty as its controlling terminal, the
user side is another raw pty whose slave name is symlinked at the given path, and
bytes are copied both ways. It ends when the child exits or on SIGTERM/SIGINT,
removing the link. `mpremote connect /tmp/mp resume ...` then talks to the child
(without `resume` mpremote's soft reset would end the unix process).

Prints one line "READY <path>" on stdout once the link exists.
"""
import argparse
import contextlib
import errno
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import threading
import tty

HERE = os.path.dirname(os.path.abspath(__file__))


def find_micropython():
    """The `micropython` next to this Python (the venv), else on PATH."""
    cand = os.path.join(os.path.dirname(sys.executable), "micropython")
    if os.access(cand, os.X_OK):
        return cand
    return shutil.which("micropython")


def _raw_pty():
    master, slave = pty.openpty()
    tty.setraw(slave)
    return master, slave


def _write_all(fd, data):
    while data:
        try:
            n = os.write(fd, data)
        except BlockingIOError:
            select.select([], [fd], [], 1.0)
            continue
        data = data[n:]


class Bridge:
    def __init__(self, link, micropython=None, cwd=None, env=None, heapsize=None,
                 soft_reset=False):
        """env: the child's environment (default: ours); heapsize: the unix port's
        -X heapsize= value (e.g. "100K"), to run in a board-sized heap; soft_reset: when
        the child ends, start a new one as a board's soft reset would (fresh globals),
        so mpremote can be used without `resume`, as with a board."""
        self.soft_reset = soft_reset
        self.link = link
        self.env = env
        self.args = ["-X", "heapsize=" + heapsize] if heapsize else []
        self.exe = micropython or find_micropython()
        if not self.exe:
            raise FileNotFoundError("micropython binary not found (venv bin or PATH)")
        self.cwd = cwd
        self.child = None
        self._stop = False

    def start(self):
        self._spawn()
        # User side: keep our own slave fd open so the master never sees a hangup
        # when a client (mpremote) closes the port between runs.
        self.um, self.us = _raw_pty()
        name = os.ttyname(self.us)
        try:
            os.unlink(self.link)
        except FileNotFoundError:
            pass
        os.symlink(name, self.link)
        os.set_blocking(self.um, False)

    def _spawn(self):
        # Child side: micropython's stdin/stdout/stderr on a raw pty it owns as ctty.
        self.cm, cs = _raw_pty()
        self.child = subprocess.Popen(
            [self.exe] + self.args, stdin=cs, stdout=cs, stderr=cs, cwd=self.cwd, env=self.env,
            start_new_session=True, close_fds=True)
        os.close(cs)
        os.set_blocking(self.cm, False)

    def _respawn(self):
        """Act as a board's soft reset: the unix port ends on Ctrl-D in the raw REPL, so
        print what a board prints, start a fresh interpreter and put it in the raw REPL
        (a board stays there after a soft reset), where mpremote waits for it."""
        self.child.wait(2)
        os.close(self.cm)
        _write_all(self.um, b"soft reboot\r\n")
        self._spawn()
        _write_all(self.cm, b"\r\x01")

    def stop(self, *_):
        self._stop = True

    def run(self):
        try:
            while not self._stop:
                if self.child.poll() is not None:
                    if self.soft_reset:
                        self._respawn()
                        continue
                    break
                try:
                    r, _, _ = select.select([self.cm, self.um], [], [], 0.2)
                except InterruptedError:
                    continue
                if self.cm in r:
                    data = self._read(self.cm)
                    if data is None:  # child side closed: the process is gone
                        if self.soft_reset:
                            self._respawn()
                            continue
                        break
                    if data:
                        _write_all(self.um, data)
                if self.um in r:
                    data = self._read(self.um)
                    if data:
                        _write_all(self.cm, data)
        finally:
            self.close()
        return self.child.returncode if self.child.returncode is not None else 0

    @staticmethod
    def _read(fd):
        try:
            return os.read(fd, 4096)
        except BlockingIOError:
            return b""
        except OSError as e:
            if e.errno == errno.EIO:
                return None
            raise

    def close(self):
        try:
            if os.path.islink(self.link):
                os.unlink(self.link)
        except OSError:
            pass
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(2)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait(2)
        for fd in ("cm", "um", "us"):
            v = getattr(self, fd, None)
            if v is not None:
                try:
                    os.close(v)
                except OSError:
                    pass
                setattr(self, fd, None)


@contextlib.contextmanager
def bridged(link, **kw):
    """The unix port on a pty at link for the duration of a with block, the copying done
    by a thread of this process (kw go to Bridge)."""
    b = Bridge(link, **kw)
    b.start()
    t = threading.Thread(target=b.run, daemon=True)
    t.start()
    try:
        yield b
    finally:
        b.stop()
        t.join(5)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("link", help="path of the symlink to the user-side pty, e.g. /tmp/mp")
    ap.add_argument("--micropython", default=None, help="the unix port binary")
    ap.add_argument("--cwd", default=None, help="working directory of the child")
    ap.add_argument("--heapsize", default=None,
                    help="the child's heap, e.g. 100K (micropython -X heapsize=...)")
    ap.add_argument("--soft-reset", action="store_true",
                    help="restart the interpreter when it ends, as a board's soft reset")
    a = ap.parse_args(argv)
    b = Bridge(a.link, a.micropython, a.cwd, heapsize=a.heapsize, soft_reset=a.soft_reset)
    signal.signal(signal.SIGTERM, b.stop)
    signal.signal(signal.SIGINT, b.stop)
    b.start()
    print("READY", a.link, flush=True)
    return b.run()


if __name__ == "__main__":
    sys.exit(main())
