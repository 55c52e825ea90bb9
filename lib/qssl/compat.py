# The one place that knows which runtime it runs on: MicroPython, CircuitPython or CPython.
# Everything else in qssl imports its clock, errno values and UART access from here.
try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


import time

try:
    from time import ticks_ms, ticks_diff, ticks_add, sleep_ms  # MicroPython
except ImportError:
    _PERIOD = const(1 << 29)
    _HALF = const(1 << 28)
    try:
        from supervisor import ticks_ms  # CircuitPython: wraps at 2**29
    except ImportError:  # CPython

        def ticks_ms():
            return int(time.monotonic() * 1000) & (_PERIOD - 1)

    def ticks_diff(a, b):
        return ((a - b + _HALF) & (_PERIOD - 1)) - _HALF

    def ticks_add(a, delta):
        return (a + delta) & (_PERIOD - 1)

    def sleep_ms(ms):
        time.sleep(ms / 1000)


try:
    import errno as _errno
except ImportError:  # very old MicroPython
    import uerrno as _errno

# Linux numbers as fallback; boards that have the name use their own.
EIO = getattr(_errno, "EIO", 5)
EAGAIN = getattr(_errno, "EAGAIN", 11)
ENOMEM = getattr(_errno, "ENOMEM", 12)
EBUSY = getattr(_errno, "EBUSY", 16)
EINVAL = getattr(_errno, "EINVAL", 22)
EMSGSIZE = getattr(_errno, "EMSGSIZE", 90)
EADDRINUSE = getattr(_errno, "EADDRINUSE", 98)
ENETDOWN = getattr(_errno, "ENETDOWN", 100)
ECONNABORTED = getattr(_errno, "ECONNABORTED", 103)
ECONNRESET = getattr(_errno, "ECONNRESET", 104)
ENOTCONN = getattr(_errno, "ENOTCONN", 107)
ETIMEDOUT = getattr(_errno, "ETIMEDOUT", 110)
ECONNREFUSED = getattr(_errno, "ECONNREFUSED", 111)
EHOSTUNREACH = getattr(_errno, "EHOSTUNREACH", 113)
EALREADY = getattr(_errno, "EALREADY", 114)


class _BufferedUart:
    """Gives a CircuitPython busio.UART or a pyserial port the MicroPython UART
    shape the engine uses: any(), readinto(buf, n), write(buf, n).
    Slicing here allocates; MicroPython UARTs and our pty class skip this adapter."""

    def __init__(self, uart):
        self._u = uart
        self._mv = None
        self._buf = None

    def any(self):
        return self._u.in_waiting

    def readinto(self, buf, n=-1):
        if n < 0 or n >= len(buf):
            return self._u.readinto(buf)
        if buf is not self._buf:
            self._buf = buf
            self._mv = memoryview(buf)
        return self._u.readinto(self._mv[:n])

    def write(self, buf, n=-1):
        if n < 0 or n >= len(buf):
            return self._u.write(buf)
        return self._u.write(memoryview(buf)[:n])


def uart_port(uart):
    """The UART as the engine wants it. MicroPython's machine.UART already is."""
    if hasattr(uart, "any"):
        return uart
    return _BufferedUart(uart)
