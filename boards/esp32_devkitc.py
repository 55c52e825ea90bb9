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
from machine import UART

from boards.mp_power import Board

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


def _make_uart():
    return UART(UART_ID, BAUD, tx=TX_PIN, rx=RX_PIN, rxbuf=RXBUF, timeout=0)


_board = Board(_make_uart, PWRKEY_PIN, STATUS_PIN, PWRKEY_INVERTED)
uart = _board.uart
is_on = _board.is_on
power_on = _board.power_on  # True when it switched the module on now
power_off = _board.power_off
power = _board.power  # power(on): what qssl.Modem(power=) calls to power-cycle
modem = _board.modem  # powers the module on if needed, returns a qssl.Modem with power=power
