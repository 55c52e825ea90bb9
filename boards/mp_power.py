# Power and UART handling shared by the MicroPython board files (machine.Pin/UART):
# the PWRKEY pulse, the STATUS pin (or an AT probe when it is not wired), and the
# qssl.Modem factory. A board file only names its pins and how to make its UART.
from machine import Pin
import time

# M66 hardware design: PWRKEY low for at least 0.6 s turns the module on; 1 s is
# comfortably inside the window. Holding it low again (0.7-1 s) turns it OFF,
# so a pulse is only given when the module is found in the other state.
_PULSE_MS = 1000
_STATUS_WAIT_MS = 5000  # STATUS goes high about 1-2 s after the pulse starts
_OFF_WAIT_MS = 12000  # the power-down procedure (NORMAL POWER DOWN) before STATUS falls
_UART_READY_MS = 1000  # the module answers AT a little after STATUS
_ANSWER_WAIT_MS = 6000  # without STATUS: how long a switched-on module may take to answer AT


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

    def _pulse(self):
        self._key(True)
        time.sleep_ms(_PULSE_MS)
        self._key(False)

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

    def _status(self):
        return Pin(self.status_pin, Pin.IN).value() == 1

    def _wait_status(self, level, wait_ms):
        t0 = time.ticks_ms()
        while self._status() != level:
            if time.ticks_diff(time.ticks_ms(), t0) > wait_ms:
                return False
            time.sleep_ms(50)
        return True

    def _wait_answer(self, wait_ms):
        t0 = time.ticks_ms()
        while not self._answers_at():
            if time.ticks_diff(time.ticks_ms(), t0) > wait_ms:
                return False
        return True

    def is_on(self):
        if self.status_pin is not None:
            return self._status()
        return self._answers_at()

    def power_on(self):
        """Turn the module on unless it already is. True when it was switched on now.
        Without STATUS a module that does not answer AT may be off or hung; one pulse
        switches the one on and the other off, so a second pulse follows when the
        first brought no answer."""
        self._key(False)
        if self.is_on():
            return False
        self._pulse()
        if self.status_pin is not None:
            if not self._wait_status(1, _STATUS_WAIT_MS):
                raise OSError(110, "modem STATUS stayed low after PWRKEY pulse")
            time.sleep_ms(_UART_READY_MS)  # qssl's Modem.start() then syncs with AT
            return True
        if self._wait_answer(_ANSWER_WAIT_MS):
            return True
        self._pulse()  # it was on but hung: the first pulse switched it off
        if not self._wait_answer(_ANSWER_WAIT_MS):
            raise OSError(110, "no answer to AT after two PWRKEY pulses: check power and wiring")
        return True

    def power_off(self):
        """Orderly power-down with the key (AT+QPOWD=1 does the same from software).
        True when it was switched off now. Without STATUS only a module that answers
        AT is known to be on; one that does not is left as it is (power_on() sorts a
        hung one out)."""
        self._key(False)
        if not self.is_on():
            return False
        self._pulse()
        if self.status_pin is not None and not self._wait_status(0, _OFF_WAIT_MS):
            raise OSError(110, "modem STATUS stayed high after the power-off pulse")
        return True

    def power(self, on):
        """Switch the module on (True) or off (False); nothing when it already is.
        This is what qssl.Modem(power=...) calls to power-cycle a module that stopped
        answering."""
        if on:
            self.power_on()
        else:
            self.power_off()

    def modem(self, **kw):
        """Power the module on and return a qssl.Modem on its UART that can
        power-cycle it (kw go to qssl.Modem; power=None turns that off)."""
        import qssl

        self.power_on()
        if "power" not in kw:
            kw["power"] = self.power
        return qssl.Modem(self.uart(), **kw)
