# The one place that knows which runtime it runs on: MicroPython, CircuitPython or CPython.
# Everything else in qssl imports its clock, errno values and UART access from here.
try:
    from micropython import const  # pyright: ignore[reportAssignmentType]
except ImportError:  # CPython

    def const(x):  # pyright: ignore
        return x


try:
    from time import ticks_ms, ticks_diff, ticks_add, sleep_ms  # pyright: ignore  (MicroPython; CPython below)
except ImportError:
    import time  # only here: on MicroPython one module global less (issue 11)

    _PERIOD = const(1 << 29)
    _HALF = const(1 << 28)
    try:
        from supervisor import ticks_ms  # pyright: ignore  (CircuitPython: wraps at 2**29)
    except ImportError:  # CPython

        def ticks_ms():
            return int(time.monotonic() * 1000) & (_PERIOD - 1)  # pyright: ignore[reportAttributeAccessIssue]

    def ticks_diff(a, b):
        return ((a - b + _HALF) & (_PERIOD - 1)) - _HALF

    def ticks_add(a, delta):
        return (a + delta) & (_PERIOD - 1)

    def sleep_ms(ms):
        time.sleep(ms / 1000)


import sys

# Socket classes derive from io.IOBase on MicroPython and CircuitPython (where the build
# has it) so select.poll and asyncio can call their ioctl(); CPython's IOBase would add
# file semantics we do not want.
IOBase = None  # pyright: ignore
if sys.implementation.name != "cpython":
    try:
        from io import IOBase
    except ImportError:
        pass
if IOBase is None:

    class IOBase:
        pass


# Longest wait in ms that ticks arithmetic takes on every runtime: MicroPython wraps
# ticks at 2**30 on 32-bit ports (and refuses intervals of 2**29 or more), CircuitPython
# and the CPython fallback below at 2**29, where a deadline half a period ahead already
# reads as past. 2**27 ms is about 37 hours.
MAX_MS = const(1 << 27)


def clamp_ms(ms):
    """ms as an int within 0..MAX_MS; None or anything longer stands for MAX_MS."""
    if ms is None or ms >= MAX_MS:
        return MAX_MS
    return int(ms) if ms > 0 else 0


try:
    import errno as _errno
except ImportError:  # very old MicroPython
    import uerrno as _errno

# Linux numbers as fallback; boards that have the name use their own.
ENOENT = getattr(_errno, "ENOENT", 2)
EIO = getattr(_errno, "EIO", 5)
EAGAIN = getattr(_errno, "EAGAIN", 11)
ENOMEM = getattr(_errno, "ENOMEM", 12)
EBUSY = getattr(_errno, "EBUSY", 16)
EACCES = getattr(_errno, "EACCES", 13)
EINVAL = getattr(_errno, "EINVAL", 22)
EADDRINUSE = getattr(_errno, "EADDRINUSE", 98)
ENETDOWN = getattr(_errno, "ENETDOWN", 100)
ECONNABORTED = getattr(_errno, "ECONNABORTED", 103)
ECONNRESET = getattr(_errno, "ECONNRESET", 104)
ENOTCONN = getattr(_errno, "ENOTCONN", 107)
ETIMEDOUT = getattr(_errno, "ETIMEDOUT", 110)
EALREADY = getattr(_errno, "EALREADY", 114)
EINPROGRESS = getattr(_errno, "EINPROGRESS", 115)
EOPNOTSUPP = getattr(_errno, "EOPNOTSUPP", 95)
del _errno  # keeps this module's globals within a smaller dict size step (issue 11)


def uart_port(uart):
    """The UART as the engine wants it. Native MicroPython streams (machine.UART, files)
    take write(buf, off, n) and readinto(buf, n) and are used as they are, with no
    allocation; anything else (busio.UART, pyserial, a UART written in Python) gets the
    adapter. The shape is learned by asking: a write of zero bytes with an offset."""
    if sys.implementation.name == "micropython" and hasattr(uart, "any"):
        try:
            uart.write(b"", 0, 0)
            uart.readinto(bytearray(1), 0)
            return uart
        except (TypeError, ValueError, OSError):
            pass
    from qssl.uart import PortAdapter  # only for UARTs of another shape: loaded then

    return PortAdapter(uart)


def napper(port):
    """What a wait loop calls with 1 (ms) when the UART had nothing: on MicroPython, a
    poll on the port (machine.UART, a stream that can be polled) that returns as soon as
    a byte arrives, so an answer is not left waiting for the rest of a sleep (about 0.5 ms
    per wait, several waits per exchange); elsewhere, and for ports select.poll refuses,
    sleep_ms. Chosen once per engine; the poll's ipoll allocates nothing per call."""
    if sys.implementation.name == "micropython":
        try:
            import select

            p = select.poll()
            p.register(port, 1)  # POLLIN
            p.ipoll(0)  # a stream whose ioctl refuses the poll raises here, once, not in every wait
            return p.ipoll
        except Exception:  # not a stream select.poll takes (a Python class, an adapter)
            pass
    return sleep_ms
