# The MicroPython unix port with a pty as the module's UART: the emulator
# (`python -m quecsim --pty /tmp/qmodem`) or a real module behind a USB serial adapter.
#
# Usage:
#   from boards import unix
#   modem = unix.modem("/tmp/qmodem")     # a qssl.Modem on the pty
#   u = unix.uart("/dev/ttyUSB0", 115200)  # or just the UART
#   # the emulator started with --control /tmp/qctl: recovery can power-cycle it
#   modem = unix.modem("/tmp/qmodem", power=unix.ControlPower("/tmp/qctl"))
#
# PtyUart has the machine.UART shape the engine uses (any(), readinto(buf, n),
# write(buf, off, n), select.poll) and allocates nothing per call, so allocation tests
# can run over a real pty.
import io
import os
import select
import socket
import sys
import termios

DEFAULT_PATH = "/tmp/qmodem"
_VTIME = 5  # termios cc[] indices
_VMIN = 6
_ANY = 1 << 16  # what any() reports when bytes are waiting (readinto never blocks)


class PtyUart(io.IOBase):
    def __init__(self, path, baud=115200):
        self.f = open(path, "r+b")
        fd = self.f.fileno()
        termios.setraw(fd)
        attr = termios.tcgetattr(fd)
        # VMIN = VTIME = 0: read() returns what is there, 0 when nothing, never blocks.
        attr[6][_VMIN] = 0
        attr[6][_VTIME] = 0
        speed = getattr(termios, "B%d" % baud, None)
        if speed is not None:
            attr[4] = speed
            attr[5] = speed
        termios.tcsetattr(fd, termios.TCSANOW, attr)
        self._poll = select.poll()
        self._poll.register(self.f, select.POLLIN)

    def any(self):
        # ipoll() reuses its result tuple, so asking allocates nothing. The count of
        # waiting bytes is not known here; a large number is fine because readinto()
        # returns only what is there.
        for _ in self._poll.ipoll(0):
            return _ANY
        return 0

    def readinto(self, buf, n=-1):
        if n < 0:
            n = len(buf)
        got = self.f.readinto(buf, n)
        return got if got else 0

    def write(self, buf, off=0, n=-1):
        if n < 0:
            n = len(buf) - off
        got = self.f.write(buf, off, n)
        return got if got else 0

    def ioctl(self, req, arg):
        # select.poll on this UART, as on machine.UART: qssl's waits poll it (compat.napper).
        # With the pty's file descriptor the unix port's poll() sleeps in the kernel until
        # a byte comes, so an answer is taken the moment it arrives.
        if req == 10:  # MP_STREAM_GET_FILENO
            return self.f.fileno()
        if req == 3:  # MP_STREAM_POLL
            for _ in self._poll.ipoll(0):
                return arg & 1
            return 0
        return -22  # EINVAL

    def close(self):
        if self.f is not None:
            self._poll.unregister(self.f)
            self.f.close()
            self.f = None


_uart = None


def uart(path=None, baud=115200):
    """The pty UART, created once. path defaults to $QSSL_PTY, else /tmp/qmodem."""
    global _uart
    if _uart is None:
        if path is None:
            path = os.getenv("QSSL_PTY") or DEFAULT_PATH
        _uart = PtyUart(path, baud)
    return _uart


def power_on():
    """Nothing to switch on: the emulator boots when it starts."""
    return True


class ControlPower:
    """power(on) for qssl.Modem(power=...) when the far end of the pty is the emulator
    started with `--control PATH`: each call sends "power on" or "power off" over that
    unix socket, as a board file pulses PWRKEY. Other control commands go by send()."""

    def __init__(self, path=None):
        path = path or os.getenv("QSSL_CONTROL")
        if not path:
            raise OSError(22, "no control socket path (argument or $QSSL_CONTROL)")
        self.path = path

    def _connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if sys.implementation.name == "micropython":
            # The unix port takes the raw struct sockaddr_un: family (native u16), path.
            p = self.path.encode()
            fam = socket.AF_UNIX
            addr = bytes((fam & 0xFF, fam >> 8)) if sys.byteorder == "little" else bytes((fam >> 8, fam & 0xFF))
            s.connect(addr + p + bytes(108 - len(p)))
        else:
            s.connect(self.path)
        return s

    def send(self, line):
        """One control command; raises OSError(EIO) with the emulator's message when it
        answers "error ..."."""
        s = self._connect()
        try:
            s.send(line.encode() + b"\n")
            got = b""
            while not got.endswith(b"\n"):
                part = s.recv(256)
                if not part:
                    break
                got += part
        finally:
            s.close()
        answer = got.decode().strip()
        if answer != "ok":
            raise OSError(5, "control %r: %s" % (line, answer or "no answer"))

    def __call__(self, on):
        self.send("power on" if on else "power off")


def modem(path=None, baud=115200, power=None, **kw):
    """A qssl.Modem on the pty (kw go to qssl.Modem). power: None, or a callable(on)
    that switches the module, e.g. ControlPower(path) for the emulator."""
    import qssl

    return qssl.Modem(uart(path, baud), power=power, **kw)
