# Freeze qssl into a MicroPython firmware image:
#   make BOARD=... FROZEN_MANIFEST=/path/to/qssl/manifest.py
# or include it from a board's manifest:
#   include("/path/to/qssl/manifest.py")               # qssl and every MicroPython board file
#   include("/path/to/qssl/manifest.py", board="pico")  # qssl, boards/pico.py, boards/mp_power.py
#   include("/path/to/qssl/manifest.py", board="")      # qssl alone
#   include("/path/to/qssl/manifest.py", opt=0)         # keep line numbers in tracebacks
# Frozen board files import as `from boards import pico`, as after `mip install`.
# opt=3 (mpy-cross -O3): no line numbers in tracebacks, about 7 % less flash (docs/decisions.md).
options.defaults(board=None, opt=3)

metadata(
    description="Quectel GSM modules' own SSL/TLS stack (AT+QSSL*) as sockets, over a UART",
    version="0.1.0",
)

package("qssl", base_path="lib", opt=options.opt)

# The same list as boards/package.json (tools/mip_package.py); unix.py only on request.
_BOARDS = {
    None: ("esp32_devkitc.py", "mp_power.py", "pico.py"),
    "pico": ("mp_power.py", "pico.py"),
    "esp32_devkitc": ("esp32_devkitc.py", "mp_power.py"),
    "unix": ("unix.py",),
    "": (),
}
if options.board not in _BOARDS:
    raise ValueError("qssl manifest: no board file %r (one of pico, esp32_devkitc, unix)" % options.board)
if _BOARDS[options.board]:
    package("boards", files=_BOARDS[options.board], base_path=".", opt=options.opt)
