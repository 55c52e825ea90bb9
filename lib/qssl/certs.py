# The module's certificate store: AT+QSECWRITE / QSECREAD / QSECDEL, with the names
# and size limits of the application note checked before anything is sent.
from qssl.compat import const
import qssl.at as at
import qssl.check as check

# Constants of other modules, as private copies: folded into the bytecode, no globals
# (tests_host/test_shared_consts.py checks each against its source).
_EINVAL = const(22)
_EIO = const(5)
_ENOENT = const(2)
_F_CONNECT = const(0x110C)
_K_CME = const(3)
_K_CONNECT = const(8)

_RAM_MAX = const(32768)
_NVRAM_MAX = const(2017)
_NVRAM_NAMES = ("CA0", "CC0", "CK0")


def checksum(data):
    """The QSECWRITE checksum (ERRATA 15): XOR of the data as 16-bit big-endian words;
    an odd last byte is the high byte of a word whose low byte is 0."""
    data = check.payload(data)  # a list of ints or a str would sum to nonsense
    x = 0
    n = len(data)
    for i in range(0, n - 1, 2):
        x ^= (data[i] << 8) | data[i + 1]
    if n & 1:
        x ^= data[n - 1] << 8
    return x


def check_name(name, size=None, what="certificate name"):
    """The name as bytes, or OSError(EINVAL) naming `what` unless name (and size) are what
    the module accepts: "RAM:<file>" up to 32768 bytes, "NVRAM:CA0|CC0|CK0" up to 2017."""
    b = check.text(name, what, 80)
    if b.startswith(b"RAM:") and len(b) > 4:
        limit = _RAM_MAX
    elif b.startswith(b"NVRAM:") and b[6:].decode() in _NVRAM_NAMES:
        limit = _NVRAM_MAX
    else:
        raise OSError(_EINVAL, 'certificate names are "RAM:<file>" or "NVRAM:CA0|CC0|CK0": ' + b.decode())
    if size is not None and not 1 <= size <= limit:
        raise OSError(_EINVAL, "%s takes 1..%d bytes, not %d" % (b.decode(), limit, size))
    return b


def write(modem, name, data, timeout_s=100):
    """Upload data under name (deleting an old file of that name first), then compare
    the size and checksum the module reports with our own. Returns the checksum.
    A str is sent as its UTF-8 bytes (PEM text is ASCII)."""
    if isinstance(data, str):
        data = data.encode()
    elif not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("certificate data must be bytes or str")
    elif isinstance(data, memoryview) and len(bytes(data[:1])) > 1:
        # A memoryview of wider items: its len() counts items, not the bytes the module
        # would be told to wait for (it waited for the rest, and the checksum was wrong).
        # Its first item's size, asked this way because MicroPython has no .itemsize.
        data = bytes(data)
    bname = check_name(name, len(data))
    check.integer(timeout_s, "timeout_s", 3, 200)
    if modem.needs_recovery():
        # A module that stopped answering (or restarted) is brought back first, as before
        # a connect: power-cycled through power= when it does not answer at all.
        modem.recover()
    e = modem.eng
    _delete(e, bname)  # the module refuses to overwrite (ERRATA 16)
    e.begin(b"AT+QSECWRITE=")
    e.add_quoted(bname)
    e.add_byte(44)
    e.add_int(len(data))
    e.add_byte(44)
    e.add_int(timeout_s)
    kind = e.run(5000, b"+QSECWRITE:", _F_CONNECT, len(data))
    if kind != _K_CONNECT:
        e.fail(kind)
    # Data mode until <filesize> bytes: written raw, never into the transcript.
    if e.debug is not None:
        e.debug.write(b">> <%d bytes of %s>\n" % (len(data), bname))
    e.tmo = timeout_s * 1000
    e.send_payload(data, 0, len(data))
    result = []
    e.on_line = lambda p: result.append(_pair(p, b"+QSECWRITE:"))
    e.p.expect = b"+QSECWRITE:"
    try:
        # The answer follows the last byte; allow 1 ms a byte for the line to carry them
        # (10 kbaud or more). Bytes lost on the way leave the module waiting for its own
        # timeout (100 s): then the next command's resync ends the upload with +++.
        kind = e.wait(5000 + len(data))
    except OSError:
        e.data_mode = True  # maybe still taking bytes: the next command resyncs (escapes)
        e.unsure = True
        raise
    e.check(kind)
    want = checksum(data)
    if not result or result[0] != (len(data), want):
        got = "nothing" if not result else "%s bytes checksum %s" % (
            result[0][0], "?" if result[0][1] is None else "%x" % result[0][1])
        raise OSError(_EIO, "upload of %s corrupted: sent %d bytes checksum %x, module reports %s"
                      % (name, len(data), want, got))
    return want


def _pair(p, prefix):
    """(<int>, <hex checksum>) of a "+QSECWRITE: <size>,<sum>" / "+QSECREAD: <good>,<sum>"
    line; a field that does not parse is None."""
    p.fields(p.after(prefix))
    o = p.offs
    return p.field_int(0), at.parse_hex(p.line, o[2], o[3])


def read(modem, name):
    """AT+QSECREAD: (good, checksum). ERRATA 17: only good is a verdict."""
    bname = check_name(name)
    e = modem.eng
    out = []
    e.on_line = lambda p: out.append(_pair(p, b"+QSECREAD:"))
    e.begin(b"AT+QSECREAD=")
    e.add_quoted(bname)
    kind = e.run(5000, b"+QSECREAD:")
    if kind == _K_CME:
        e.fail(kind, _ENOENT)
    e.check(kind)
    if not out:
        raise OSError(_EIO, "no +QSECREAD answer")
    return out[0][0] == 1, out[0][1]


def delete(modem, name):
    """AT+QSECDEL; raises ATError (ENOENT) if the module has no such file."""
    bname = check_name(name)
    kind = _delete(modem.eng, bname)
    if kind == _K_CME:
        modem.eng.fail(kind, _ENOENT)
    modem.eng.check(kind)


def _delete(e, bname):
    e.begin(b"AT+QSECDEL=")
    e.add_quoted(bname)
    return e.run(5000)


# --- what SSLContext hands over (its cold paths) ---------------------------------------------
def load_ca(ctx, cafile, cadata):
    """ctx.load_verify_locations(): upload cadata, or take cafile as a module file name."""
    if cadata is not None:
        ctx.cafile = _upload(ctx, 0, _pem(ctx, "RAM:ca%d.pem", cadata))
    elif cafile is not None:
        ctx.cafile = _module_name(cafile, "cafile", "load_verify_locations(cadata=f.read())")
        ctx._data[0] = None
    else:
        raise OSError(_EINVAL, "give cadata (PEM) or cafile (a module file name)")
    ctx._sent = None


def load_chain(ctx, certdata, keydata, certfile, keyfile):
    """ctx.load_cert_chain(): the client certificate and key, uploaded or named. Every
    argument is checked before anything is uploaded or changed: a bad key must not leave
    the certificate of the call in force with the key of an older one."""
    if certdata is None and keydata is None and certfile is None and keyfile is None:
        raise OSError(_EINVAL, "give certdata (PEM) or certfile (a module file name)")
    how = "load_cert_chain(certdata, keydata)"
    cert = _pem(ctx, "RAM:cc%d.pem", certdata) if certdata is not None else (
        None if certfile is None else _module_name(certfile, "certfile", how))
    key = _pem(ctx, "RAM:ck%d.pem", keydata) if keydata is not None else (
        None if keyfile is None else _module_name(keyfile, "keyfile", how))
    if cert is not None:
        ctx.certfile = _upload(ctx, 1, cert)
    if key is not None:
        ctx.keyfile = _upload(ctx, 2, key)
    ctx._sent = None


def _pem(ctx, pattern, data):
    """(module name, data) for an upload, its type and size checked before anything is
    sent. Kept for uploading again after a restart: the caller's own str or bytes object
    (a frozen PEM constant stays in flash, nothing is copied); a bytearray is copied, as
    the caller may change it. write() encodes a str for the upload only."""
    if isinstance(data, bytearray):
        data = bytes(data)
    elif not isinstance(data, (str, bytes)):
        raise TypeError("certificate data must be PEM text (str) or bytes")
    name = pattern % ctx.index
    check_name(name, len(data.encode()) if isinstance(data, str) else len(data))
    return name, data


def _upload(ctx, slot, what):
    # what: a module file name (already there), or (name, data) from _pem() to upload
    if isinstance(what, str):
        ctx._data[slot] = None
        return what
    ctx._modem.cert_write(what[0], what[1])
    ctx._data[slot] = what[1]
    return what[0]


def _module_name(name, what, instead):
    if not isinstance(name, str):
        raise TypeError("%s must be a str" % what)
    if not (name.startswith("RAM:") or name.startswith("NVRAM:")):
        raise OSError(
            _EINVAL,
            '%s names a file in the module ("RAM:<file>" or "NVRAM:CA0|CC0|CK0"), not a path'
            " on the board; to upload a PEM file use %s" % (what, instead),
        )
    check_name(name, None, what)
    return name


def restore(ctx):
    """Before a connect whose settings differ from the module's: each file of ctx that
    the module lacks (a restart took RAM files away) is uploaded again from ctx's data."""
    names = (ctx.cafile, ctx.certfile, ctx.keyfile)
    for i in range(3):
        name = names[i]
        if name is None:
            continue
        try:
            good = ctx._modem.cert_read(name)[0]
        except OSError as ex:
            if ex.errno != _ENOENT:
                raise
            good = False
        if good:
            continue
        if ctx._data[i] is None:
            raise OSError(_ENOENT, "%s is missing from the module (it restarted?) and this"
                          " context has no data to upload it again" % name)
        ctx._modem.cert_write(name, ctx._data[i])
