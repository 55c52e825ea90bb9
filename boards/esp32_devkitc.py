# ESP32 DevKitC (MicroPython, esp32) wired to a Quectel M66/M95/MC60/M26 module.
#
# Wiring (3.3 V logic; the module's UART is 2.8 V, so use the level shifter or the
# divider your carrier board provides). UART0 is the REPL, UART1's default pins are
# the flash bus, so the module goes on UART2:
#   GPIO17 (UART2 TX) -> module RXD     GPIO16 (UART2 RX) <- module TXD
#   GPIO4 -> base of an NPN transistor whose collector pulls PWRKEY to ground
#   GPIO34 <- STATUS (input-only pin; high while the module is on; or STATUS_PIN = None)
#
# Usage:
#   from boards import esp32_devkitc
#   modem = esp32_devkitc.modem()   # powers the module on if needed, returns qssl.Modem
#   modem.start()
from machine import Pin, UART
import time

UART_ID = 2
TX_PIN = 17
RX_PIN = 16
BAUD = 115200
RXBUF = 4096  # the driver's ring; one QSSLRECV answer (1500 bytes + header) fits twice

PWRKEY_PIN = 4
STATUS_PIN = 34  # None when STATUS is not wired
# With the usual NPN driver a high GPIO pulls PWRKEY low. Set False if the GPIO
# drives PWRKEY directly (open drain), so that low on the pin is low on PWRKEY.
PWRKEY_INVERTED = True

# M66 hardware design: PWRKEY low for at least 0.6 s turns the module on; 1 s is
# comfortably inside the window. Holding it low again (0.7-1 s) turns it OFF,
# so the pulse is only given when the module is found off.
_PULSE_MS = 1000
_STATUS_WAIT_MS = 5000  # STATUS goes high about 1-2 s after the pulse starts
_UART_READY_MS = 1000  # the module answers AT a little after STATUS

_uart = None


def uart():
    """The module's UART, created once."""
    global _uart
    if _uart is None:
        _uart = UART(UART_ID, BAUD, tx=TX_PIN, rx=RX_PIN, rxbuf=RXBUF, timeout=0)
    return _uart


def _key(pressed):
    # pressed: PWRKEY pulled low. Without the transistor the pin is open drain, so it
    # never drives the module's VBAT-referenced PWRKEY high.
    mode = Pin.OUT if PWRKEY_INVERTED else Pin.OPEN_DRAIN
    Pin(PWRKEY_PIN, mode, value=1 if pressed == PWRKEY_INVERTED else 0)


def _answers_at(u, wait_ms=300):
    """True when the module answers a bare AT (it is on and its UART runs)."""
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


def is_on():
    if STATUS_PIN is not None:
        return Pin(STATUS_PIN, Pin.IN).value() == 1
    return _answers_at(uart())


def power_on():
    """Turn the module on unless it already is. Returns True when it was switched on now."""
    _key(False)
    if is_on():
        return False
    _key(True)
    time.sleep_ms(_PULSE_MS)
    _key(False)
    if STATUS_PIN is not None:
        st = Pin(STATUS_PIN, Pin.IN)
        t0 = time.ticks_ms()
        while st.value() != 1:
            if time.ticks_diff(time.ticks_ms(), t0) > _STATUS_WAIT_MS:
                raise OSError(110, "modem STATUS stayed low after PWRKEY pulse")
            time.sleep_ms(50)
    time.sleep_ms(_UART_READY_MS)  # qssl's Modem.start() then syncs with AT
    return True


def power_off():
    """Orderly power-down with the key (AT+QPOWD=1 does the same from software)."""
    if is_on():
        _key(True)
        time.sleep_ms(_PULSE_MS)
        _key(False)


def modem(**kw):
    """Power the module on and return a qssl.Modem on its UART (kw go to qssl.Modem)."""
    import qssl

    power_on()
    return qssl.Modem(uart(), **kw)
