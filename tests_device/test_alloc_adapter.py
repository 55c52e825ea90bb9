# The CircuitPython path: a UART shaped like busio.UART (in_waiting, readinto(buf),
# write(buf), timeout) goes through compat's adapter. Measured on MicroPython with
# mem_total(): per KB sent and received and per AT round trip. The adapter sets the
# UART's timeout to 0 so reads need no slice; a command line written from the middle
# of the command buffer still costs one memoryview slice (64 B on the 64-bit port).
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()
import micropython
import qssl

class BusioLike:
    """busio.UART's shape: in_waiting, readinto(buf), write(buf), timeout."""
    def __init__(self, answers):
        self.answers = answers; self.k = 0; self.rx = b""; self.i = 0; self.timeout = 1.0
    @property
    def in_waiting(self):
        return len(self.rx) - self.i
    def readinto(self, buf):
        m = len(self.rx) - self.i
        if m > len(buf): m = len(buf)
        j = 0
        while j < m:
            buf[j] = self.rx[self.i + j]; j += 1
        self.i += m
        return m
    def write(self, buf):
        if len(buf) and buf[len(buf) - 1] == 13:
            self.rx = self.answers[self.k]; self.k = (self.k + 1) % len(self.answers); self.i = 0
        return len(buf)

def measure(fn, n=10):
    fn(); fn()
    a = micropython.mem_total()
    i = 0
    while i < n:
        fn(); i += 1
    return (micropython.mem_total() - a) / n

def test_adapter_allocation():
    data = bytearray(1024); data[1023] = 13
    mv = memoryview(data)
    m = qssl.Modem(BusioLike((b"\r\n> ", b"\r\nSEND OK\r\n")))
    s = m.ssl_context(0).socket(); s._state = 1; s._id = 0; m.slots.owner[0] = s
    sent = measure(lambda: s.send(mv))
    print("busio-shaped UART, send 1 KB: %d B" % sent)
    payload = b"\r\n+QSSLRECV: 1.2.3.4:443,TCP,1024\r\n" + bytes(1024) + b"\r\nOK\r\n"
    m2 = qssl.Modem(BusioLike((payload,)))
    s2 = m2.ssl_context(0).socket(); s2._state = 1; s2._id = 0; m2.slots.owner[0] = s2
    buf = bytearray(1500)
    def rd():
        m2.slots.ready[0] = 1
        return s2.recv_into(buf, 1024)
    rcvd = measure(rd)
    print("busio-shaped UART, receive 1 KB: %d B" % rcvd)
    m3 = qssl.Modem(BusioLike((b"\r\nOK\r\n",)))
    trip = measure(lambda: m3.eng.command(b"AT", 300))
    print("busio-shaped UART, AT round trip: %d B" % trip)
    tinytest.eq(m3.eng.port._whole, True, "adapter reads whole buffers")
    # one slice of the command line per exchange, nothing per payload byte
    tinytest.eq(sent <= 64 and rcvd <= 64 and trip <= 64, True, "B: %d %d %d" % (sent, rcvd, trip))


tinytest.main(globals())
