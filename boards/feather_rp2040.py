# Adafruit Feather RP2040 (CircuitPython) wired to a Quectel M66/M95/MC60/M26 module.
#
# Wiring (3.3 V logic; the module's UART is 2.8 V, so use the level shifter or the
# divider your carrier board provides):
#   TX -> module RXD                    RX <- module TXD
#   D5 -> base of an NPN transistor whose collector pulls PWRKEY to ground
#   D6 <- STATUS (high while the module is on; optional, set STATUS_PIN = None)
#
# Usage:
#   from boards import feather_rp2040
#   modem = feather_rp2040.modem()   # powers the module on if needed, returns qssl.Modem
import time

import board
import busio
import digitalio

BAUD = 115200
RXBUF = 4096  # busio's receive buffer; one QSSLRECV answer (1500 bytes + header) fits twice

PWRKEY_PIN = board.D5
STATUS_PIN = board.D6  # None when STATUS is not wired
# With the usual NPN driver a high GPIO pulls PWRKEY low. Set False if the GPIO
# drives PWRKEY directly (then it is open drain, low on the pin is low on PWRKEY).
PWRKEY_INVERTED = True

# M66 hardware design: PWRKEY low for at least 0.6 s turns the module on; 1 s is
# comfortably inside the window. Holding it low again (0.7-1 s) turns it OFF,
# so the pulse is only given when the module is found off.
_PULSE_S = 1.0
_STATUS_WAIT_S = 5.0  # STATUS goes high about 1-2 s after the pulse starts
_UART_READY_S = 1.0  # the module answers AT a little after STATUS
_OFF_WAIT_S = 12.0  # the power-down procedure before STATUS falls
_ANSWER_WAIT_S = 6.0  # without STATUS: how long a switched-on module may take to answer AT

_uart = None
_pwrkey = None
_status = None


def uart():
    """The module's busio.UART, created once. timeout=0: reads return what is there."""
    global _uart
    if _uart is None:
        _uart = busio.UART(board.TX, board.RX, baudrate=BAUD, timeout=0,
                           receiver_buffer_size=RXBUF)
    return _uart


def _key(pressed):
    # pressed: PWRKEY pulled low
    global _pwrkey
    if _pwrkey is None:
        _pwrkey = digitalio.DigitalInOut(PWRKEY_PIN)
        mode = digitalio.DriveMode.PUSH_PULL if PWRKEY_INVERTED else digitalio.DriveMode.OPEN_DRAIN
        _pwrkey.switch_to_output(value=not PWRKEY_INVERTED, drive_mode=mode)
    _pwrkey.value = pressed == PWRKEY_INVERTED


def _answers_at(u, wait_s=0.3):
    """True when the module answers a bare AT (it is on and its UART runs)."""
    u.reset_input_buffer()
    u.write(b"AT\r")
    buf = bytearray(64)
    got = b""
    end = time.monotonic() + wait_s
    while time.monotonic() < end:
        if u.in_waiting:
            n = u.readinto(buf) or 0
            got = (got + bytes(buf[:n]))[-64:]
            if b"OK" in got:
                return True
        time.sleep(0.01)
    return False


def is_on():
    global _status
    if STATUS_PIN is None:
        return _answers_at(uart())
    if _status is None:
        _status = digitalio.DigitalInOut(STATUS_PIN)
        _status.switch_to_input()
    return bool(_status.value)


def _pulse():
    _key(True)
    time.sleep(_PULSE_S)
    _key(False)


def _wait(pred, wait_s):
    end = time.monotonic() + wait_s
    while not pred():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def power_on():
    """Turn the module on unless it already is. Returns True when it was switched on now.
    Without STATUS a module that does not answer AT may be off or hung; one pulse
    switches the one on and the other off, so a second pulse follows when the first
    brought no answer."""
    _key(False)
    if is_on():
        return False
    _pulse()
    if STATUS_PIN is not None:
        if not _wait(is_on, _STATUS_WAIT_S):
            raise OSError(110, "modem STATUS stayed low after PWRKEY pulse")
        time.sleep(_UART_READY_S)  # qssl's Modem.start() then syncs with AT
        return True
    if _wait(is_on, _ANSWER_WAIT_S):
        return True
    _pulse()  # it was on but hung: the first pulse switched it off
    if not _wait(is_on, _ANSWER_WAIT_S):
        raise OSError(110, "no answer to AT after two PWRKEY pulses: check power and wiring")
    return True


def power_off():
    """Orderly power-down with the key (AT+QPOWD=1 does the same from software).
    True when it was switched off now. Without STATUS a module that does not answer
    AT is left as it is (power_on() sorts a hung one out)."""
    _key(False)
    if not is_on():
        return False
    _pulse()
    if STATUS_PIN is not None and not _wait(lambda: not is_on(), _OFF_WAIT_S):
        raise OSError(110, "modem STATUS stayed high after the power-off pulse")
    return True


def power(on):
    """Switch the module on (True) or off (False); nothing when it already is. This is
    what qssl.Modem(power=...) calls to power-cycle a module that stopped answering."""
    if on:
        power_on()
    else:
        power_off()


def modem(**kw):
    """Power the module on and return a qssl.Modem on its UART that can power-cycle it
    (kw go to qssl.Modem; power=None turns that off)."""
    import qssl

    power_on()
    if "power" not in kw:
        kw["power"] = power
    return qssl.Modem(uart(), **kw)
