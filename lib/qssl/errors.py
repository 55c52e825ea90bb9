# The library's exceptions. Everything is an OSError with an errno, as sockets are.
from .compat import EIO


class ATError(OSError):
    """The module refused a command: ERROR or +CME ERROR: <code>.
    .command is the command text, .code the CME code (-1 for a bare ERROR)."""

    def __init__(self, command, code=-1, errno=EIO):
        if isinstance(command, (bytes, bytearray)):
            command = bytes(command).decode()
        msg = command + (" -> +CME ERROR: %d" % code if code >= 0 else " -> ERROR")
        super().__init__(errno, msg)
        self.command = command
        self.code = code

