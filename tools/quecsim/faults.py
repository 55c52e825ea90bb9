"""Fault injection (emu.faults): module events, line damage in both directions.

Chunk kinds and what "the next chunk" means: wire.py. Every request here is
thread-safe; the ones that change module state run on the worker thread.
"""


class Faults:
    def __init__(self, emu):
        self._emu = emu
        self.send_fails = 0  # the next n QSSLSEND/QISEND answer SEND FAIL

    # --- module events --------------------------------------------------------------------
    def reboot(self, banner=True):
        """The module restarts by itself. banner False: an autobaud module, which prints
        nothing at all (no RDY, no Call Ready) until the host sends "AT"."""
        self._emu.call(self._emu.reboot, bool(banner))

    def hang(self):
        """The module stops: it reads and ignores all input and prints nothing until its
        power is cycled (emu.power(False), emu.power(True)) or it restarts (reboot())."""

        def stop():
            if self._emu.powered:
                self._emu.wire.power = "hung"

        self._emu.call(stop)

    def wrong_baud(self, on=True):
        """While on, the host sees every byte the module sends as garbage (0x80..0xFF) and
        the module ignores what the host writes, as at a wrong baud rate."""
        self._emu.wire.wrong_baud = bool(on)

    def pdp_deact(self):
        from . import commands_ssl

        self._emu.call(commands_ssl.pdp_deact, self._emu)

    def close_peer(self, ssid):
        from . import commands_ssl

        return self._emu.call(commands_ssl.close_peer, self._emu, int(ssid))

    def send_fail(self, n=1):
        self.send_fails = int(n)

    # --- towards the module -----------------------------------------------------------------
    def drop_in(self, n):
        """The next n bytes the host writes are lost before the module sees them."""
        self._emu.wire.drop_in_at(0, n)

    def drop_in_at(self, skip, n):
        """Of the bytes the host writes from now, the module sees `skip`, loses the next n."""
        self._emu.wire.drop_in_at(skip, n)

    # --- towards the host ---------------------------------------------------------------------
    def mangle_next(self, fn, kinds=None):
        """The next chunk of one of `kinds` (default: any kind but "echo") goes out as
        fn(chunk) instead. Calls queue up; each takes the first matching chunk."""
        self._emu.wire.mangle_next(fn, kinds)

    def delay_next(self, ms, kinds=None):
        """The next chunk of one of `kinds` (default: any but "echo") and all output after
        it are held back ms milliseconds (a late answer; the order is kept)."""
        self._emu.wire.delay_next(ms, kinds)

    def noise(self, data):
        self._emu.call(self._emu.emit, bytes(data), "<noise %r>" % bytes(data), "noise")

    def drop(self, n):
        self._emu.out.drop(int(n))

    def silence(self, ms):
        self._emu.out.silence(float(ms))

    def overlong(self, n):
        self._emu.call(self._emu.emit, b"X" * int(n) + b"\r\n", None, "noise")

    def unknown_urc(self, text):
        self._emu.call(self._emu.urc, text)
