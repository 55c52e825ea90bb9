# Freeze qssl into a MicroPython firmware image:
#   make BOARD=... FROZEN_MANIFEST=/path/to/qssl/manifest.py
# or include it from a board's manifest: include("/path/to/qssl/manifest.py")
metadata(
    description="Quectel GSM modules' own SSL/TLS stack (AT+QSSL*) as sockets, over a UART",
    version="0.1.0",
)

package("qssl", base_path="lib")
