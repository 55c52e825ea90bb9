# The adapter that gives a UART of another shape (CircuitPython's busio.UART, pyserial,
# the emulator's port, a UART written in Python) the stream shape the engine uses.
# Imported by compat.uart_port() only for such a UART: native MicroPython UARTs never load it.


class PortAdapter:
    """Gives a CircuitPython busio.UART, a pyserial port or the emulator's port the
    MicroPython stream shape the engine uses: any(), readinto(buf, n), write(buf, off, n).
    A UART with a read timeout (busio.UART, pyserial) is set to timeout 0, so a read
    returns what is there and the ring's whole buffer can be passed without slicing it
    (a slice allocates). Writes of part of a buffer still slice."""

    def __init__(self, uart):
        self._u = uart
        self._any = getattr(uart, "any", None)
        self._whole = False  # readinto(buf) never waits for more than is there
        if getattr(uart, "timeout", None) is not None:
            try:
                uart.timeout = 0
                self._whole = True
            except (AttributeError, ValueError, TypeError):
                pass

    def any(self):
        if self._any is not None:
            return self._any()
        return self._u.in_waiting

    def readinto(self, buf, n=-1):
        if self._whole or n < 0 or n >= len(buf):
            got = self._u.readinto(buf)
        else:
            got = self._u.readinto(memoryview(buf)[:n])
        return got or 0

    def flush(self):
        f = getattr(self._u, "flush", None)
        if f is not None:
            f()

    def write(self, buf, off=0, n=-1):
        if n < 0:
            n = len(buf) - off
        if off == 0 and n == len(buf):
            return self._u.write(buf)
        return self._u.write(memoryview(buf)[off : off + n])
