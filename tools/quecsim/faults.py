"""Fault injection (emu.faults): network and module events, output damage."""


class Faults:
    def __init__(self, emu):
        self._emu = emu
        self.send_fails = 0  # the next n QSSLSEND/QISEND answer SEND FAIL

    def reboot(self):
        self._emu.call(self._emu.reboot)

    def pdp_deact(self):
        from . import commands_ssl

        self._emu.call(commands_ssl.pdp_deact, self._emu)

    def close_peer(self, ssid):
        from . import commands_ssl

        return self._emu.call(commands_ssl.close_peer, self._emu, int(ssid))

    def send_fail(self, n=1):
        self.send_fails = int(n)

    def noise(self, data):
        self._emu.call(self._emu.emit, bytes(data), "<noise %r>" % bytes(data))

    def drop(self, n):
        self._emu.out.drop(int(n))

    def silence(self, ms):
        self._emu.out.silence(float(ms))

    def overlong(self, n):
        self._emu.call(self._emu.emit, b"X" * int(n) + b"\r\n")

    def unknown_urc(self, text):
        self._emu.call(self._emu.urc, text)
