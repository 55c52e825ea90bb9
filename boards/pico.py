# Raspberry Pi Pico (MicroPython, rp2) wired to a Quectel M66/M95/MC60/M26 module.
#
# Wiring (3.3 V logic; the module's UART is 2.8 V, so use the level shifter or the
# divider your carrier board provides):
#   GP0 (UART0 TX) -> module RXD        GP1 (UART0 RX) <- module TXD
#   GP2 -> base of an NPN transistor whose collector pulls PWRKEY to ground
#   GP3 <- STATUS (high while the module is on; optional, set STATUS_PIN = None)
#
# Usage:
#   from boards import pico
#   modem = pico.modem()          # powers the module on if needed, returns qssl.Modem
#   modem.start()
from machine import Pin, UART

from boards.mp_power import Board

UART_ID = 0
TX_PIN = 0
RX_PIN = 1
BAUD = 115200
RXBUF = 4096  # the driver's ring; one QSSLRECV answer (1500 bytes + header) fits twice

PWRKEY_PIN = 2
STATUS_PIN = 3  # None when STATUS is not wired
# With the usual NPN driver a high GPIO pulls PWRKEY low. Set False if the GPIO
# drives PWRKEY directly (open drain), so that low on the pin is low on PWRKEY.
PWRKEY_INVERTED = True


def _make_uart():
    return UART(UART_ID, BAUD, tx=Pin(TX_PIN), rx=Pin(RX_PIN), rxbuf=RXBUF, timeout=0)


_board = Board(_make_uart, PWRKEY_PIN, STATUS_PIN, PWRKEY_INVERTED)
uart = _board.uart
is_on = _board.is_on
power_on = _board.power_on  # True when it switched the module on now
power_off = _board.power_off
power = _board.power  # power(on): what qssl.Modem(power=) calls to power-cycle
modem = _board.modem  # powers the module on if needed, returns a qssl.Modem with power=power
