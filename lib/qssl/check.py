# Everything a caller puts into a command line is checked here, before a byte is
# written and before a socket index is claimed: a CR, LF, quote or control byte in a
# string would end the command or start another one (AT injection).
from qssl.compat import const

# errno values that are the same on every port (POSIX's historical low numbers), as private
# copies (tests_host/test_shared_consts.py checks them against errno).
_EINVAL = const(22)


def text(value, what, maxlen=255):
    """value (str or bytes) as bytes of printable ASCII without '"', 1..maxlen long.
    TypeError for other types, OSError(EINVAL) naming `what` for bad content."""
    if isinstance(value, str):
        b = value.encode()
    elif isinstance(value, (bytes, bytearray)):
        b = bytes(value)
    else:
        raise TypeError("%s must be str or bytes" % what)
    if not 0 < len(b) <= maxlen:
        raise OSError(_EINVAL, "%s must be 1..%d characters" % (what, maxlen))
    for c in b:
        if c < 32 or c > 126 or c == 34:
            raise OSError(_EINVAL, "%s may hold printable ASCII only, without '\"' (found byte %d)" % (what, c))
    return b


def optional_text(value, what, maxlen=255):
    """As text(), but "" and None are allowed (no user name, no password)."""
    if value is None or value == "" or value == b"":
        return b""
    return text(value, what, maxlen)


def integer(value, what, lo, hi):
    """value as an int within lo..hi. bool and float are refused (TypeError)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("%s must be an int" % what)
    if not lo <= value <= hi:
        raise OSError(_EINVAL, "%s must be %d..%d, not %d" % (what, lo, hi, value))
    return value


def one_of(value, what, allowed):
    """value, which must be an int in allowed."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("%s must be an int" % what)
    if value not in allowed:
        raise OSError(_EINVAL, "%s: %r is not one of %r" % (what, value, allowed))
    return value


def address(addr):
    """(host, port) checked: host as bytes, port as int."""
    if not isinstance(addr, tuple) or len(addr) != 2:
        raise TypeError("address must be a (host, port) tuple")
    return text(addr[0], "host"), integer(addr[1], "port", 1, 65535)


def timeout(t):
    """A socket timeout as settimeout() takes it: None, or a number >= 0 (seconds).
    Checked when it is set: a bad value would fail later, in the middle of a connect or
    a read."""
    if t is not None:
        if not isinstance(t, (int, float)) or isinstance(t, bool):
            raise TypeError("timeout must be a number or None")
        if not t >= 0:  # NaN too
            raise OSError(_EINVAL, "timeout must be None or >= 0")
    return t


def payload(data):
    """data to send, as an object whose length is its length on the wire: bytes,
    bytearray and memoryview as they are (a memoryview is taken to be of bytes: looking
    at its item size would allocate on MicroPython, in every send); another buffer
    (array.array) as a bytes copy, since its length counts items. A str (its length
    counts characters, as CPython's socket says) and what is no buffer are refused with
    TypeError, before a command announces a length."""
    # one type at a time: a tuple of types is built on the heap in every call on MicroPython
    if isinstance(data, bytes) or isinstance(data, bytearray) or isinstance(data, memoryview):
        return data
    if isinstance(data, str):
        raise TypeError("a bytes-like object is required, not 'str' (encode it first)")
    try:
        return bytes(memoryview(data))
    except TypeError:
        raise TypeError("a bytes-like object is required")
