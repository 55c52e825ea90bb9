# Power and UART handling shared by the MicroPython board files (machine.Pin/UART):
# the PWRKEY pulse, the STATUS pin (or an AT probe when it is not wired), and the
# qssl.Modem factory. A board file only names its pins and how to make its UART.
from machine import Pin
import time

# M66 hardware design: PWRKEY low for at least 0.6 s turns the module on; 1 s is
# comfortably inside the window. Holding it low again (0.7-1 s) turns it OFF,
# so the pulse is only given when the module is found off.
_PULSE_MS = 1000
_STATUS_WAIT_MS = 5000  # STATUS goes high about 1-2 s after the pulse starts
_UART_READY_MS = 1000  # the module answers AT a little after STATUS


class Board:
    def __init__(self, make_uart, pwrkey_pin, status_pin=None, pwrkey_inverted=True):
        """make_uart: a function returning the module's machine.UART.
        pwrkey_inverted: True with the usual NPN driver (a high GPIO pulls PWRKEY low);
        False if the GPIO drives PWRKEY directly (open drain)."""
        self._make_uart = make_uart
        self._uart = None
        self.pwrkey_pin = pwrkey_pin
        self.status_pin = status_pin
        self.pwrkey_inverted = pwrkey_inverted

    def uart(self):
        """The module's UART, created once."""
        if self._uart is None:
            self._uart = self._make_uart()
        return self._uart

    def _key(self, pressed):
        # pressed: PWRKEY pulled low. Without the transistor the pin is open drain, so
        # it never drives the module's VBAT-referenced PWRKEY high.
        mode = Pin.OUT if self.pwrkey_inverted else Pin.OPEN_DRAIN
        Pin(self.pwrkey_pin, mode, value=1 if pressed == self.pwrkey_inverted else 0)

    def _answers_at(self, wait_ms=300):
        """True when the module answers a bare AT (it is on and its UART runs)."""
        u = self.uart()
        buf = bytearray(64)
        while u.any():  # forget what was there before
            u.readinto(buf)
        u.write(b"AT\r")
        got = b""
        t0 = time.ticks_ms()
        while time.ticks_diff(time.ticks_ms(), t0) < wait_ms:
            if u.any():
                n = u.readinto(buf)
                got = (got + bytes(buf[:n]))[-64:]
                if b"OK" in got:
                    return True
            time.sleep_ms(10)
        return False

    def is_on(self):
        if self.status_pin is not None:
            return Pin(self.status_pin, Pin.IN).value() == 1
        return self._answers_at()

    def power_on(self):
        """Turn the module on unless it already is. True when it was switched on now."""
        self._key(False)
        if self.is_on():
            return False
        self._key(True)
        time.sleep_ms(_PULSE_MS)
        self._key(False)
        if self.status_pin is not None:
            st = Pin(self.status_pin, Pin.IN)
            t0 = time.ticks_ms()
            while st.value() != 1:
                if time.ticks_diff(time.ticks_ms(), t0) > _STATUS_WAIT_MS:
                    raise OSError(110, "modem STATUS stayed low after PWRKEY pulse")
                time.sleep_ms(50)
        time.sleep_ms(_UART_READY_MS)  # qssl's Modem.start() then syncs with AT
        return True

    def power_off(self):
        """Orderly power-down with the key (AT+QPOWD=1 does the same from software)."""
        if self.is_on():
            self._key(True)
            time.sleep_ms(_PULSE_MS)
            self._key(False)

    def modem(self, **kw):
        """Power the module on and return a qssl.Modem on its UART (kw go to qssl.Modem)."""
        import qssl

        self.power_on()
        return qssl.Modem(self.uart(), **kw)
