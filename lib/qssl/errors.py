# The library's exceptions. Everything is an OSError with an errno, as sockets are.
from qssl.compat import EIO, ENETDOWN

# +CME ERROR codes users meet, in words (3GPP TS 27.007 9.2 and the module's own): one
# string rather than a table of tuples, so importing it creates no objects.
_CME = ("|3:operation not allowed|4:operation not supported|10:SIM not inserted|11:SIM PIN required"
        "|12:SIM PUK required|13:SIM failure|14:SIM busy|15:SIM wrong|16:incorrect password (PIN)"
        "|17:SIM PIN2 required|18:SIM PUK2 required|30:no network service|31:network timeout"
        "|100:unknown error|4000:bad size or timeout|4004:file not found|4005:bad file name"
        "|4006:file exists|")


class Error(OSError):
    """Base of the library's errors: str() is "[Errno n] message" even where the port
    has no name for the errno (MicroPython prints those as a tuple)."""

    def __str__(self):
        return "[Errno %d] %s" % (self.args[0], self.args[1])


class ATError(Error):
    """The module refused a command: ERROR or +CME ERROR: <code>.
    .command is the command text, .code the CME code (-1 for a bare ERROR)."""

    def __init__(self, command, code=-1, errno=EIO):
        if isinstance(command, (bytes, bytearray)):
            command = bytes(command).decode()
        if code >= 0:
            i = _CME.find("|%d:" % code)  # the words for the code, or none
            words = _CME[_CME.index(":", i) + 1 : _CME.index("|", i + 1)] if i >= 0 else ""
            msg = command + " -> +CME ERROR: %d" % code + (" (" + words + ")" if words else "")
        else:
            msg = command + " -> ERROR"
        super().__init__(errno, msg)
        self.command = command
        self.code = code


class PDPError(Error):
    """attach() failed. .step names the failing step: "SIM", "CREG", "CGATT", "CGREG",
    "QIACT" ..."""

    def __init__(self, step, text):
        super().__init__(ENETDOWN, step + ": " + text)
        self.step = step
