"""Certificate store: AT+QSECWRITE (upload), AT+QSECREAD, AT+QSECDEL.

+CME ERROR codes (Quectel file-system codes): 4000 invalid parameter (size or
timeout out of range), 4004 file not found, 4005 invalid file name (bad storage
prefix, NVRAM name other than CA0/CC0/CK0), 4006 file already exists.
"""
import time

from .checksum import checksum, checksum_text

RAM_MAX = 32768
NVRAM_MAX = 2017
NVRAM_NAMES = ("CA0", "CC0", "CK0")

E_PARAM = 4000
E_NOT_FOUND = 4004
E_NAME = 4005
E_EXISTS = 4006


def norm_name(text):
    """ "ram:x" -> "RAM:x", "NVRAM:ca0" -> "NVRAM:CA0"; None when invalid."""
    if text is None or ":" not in text:
        return None
    store, name = text.split(":", 1)
    store = store.upper()
    if not name:
        return None
    if store == "RAM":
        return "RAM:" + name
    if store == "NVRAM" and name.upper() in NVRAM_NAMES:
        return "NVRAM:" + name.upper()
    return None


def qsecwrite(emu, req):
    st = emu.state
    if req.kind == "test":
        emu.line("+QSECWRITE: <filename>,<filesize>,(3-200)")
        emu.ok()
        return
    if req.kind == "read":
        emu.ok()
        return
    if req.kind != "write" or req.n < 2 or req.n > 3:
        emu.error()
        return
    name = norm_name(req.str(0))
    if name is None:
        emu.cme(E_NAME)
        return
    size = req.int(1)
    timeout = req.int(2, 100)
    limit = RAM_MAX if name.startswith("RAM:") else NVRAM_MAX
    if size is None or not 1 <= size <= limit or timeout is None or not 3 <= timeout <= 200:
        emu.cme(E_PARAM)
        return
    if name in st.certs:
        emu.cme(E_EXISTS)
        return
    emu.pending = {"name": name, "size": size, "buf": bytearray(), "deadline": time.monotonic() + timeout}
    emu.mode = "secwrite"
    emu.line("CONNECT")
    token = emu.pending

    def expire():
        if emu.pending is token and emu.mode == "secwrite":
            _finish(emu)

    emu.add_timer(timeout, expire)


def secwrite_input(emu):
    """Take upload bytes from emu.inbuf, up to the size. "+++" inside the data is data:
    only a "+++" sent alone between guard times ends an upload early (emulator.py,
    ERRATA 20), since base64 certificates may well contain "+++"."""
    pend = emu.pending
    buf = emu.inbuf
    want = pend["size"] - len(pend["buf"])
    take = bytes(buf[:want])
    pend["buf"] += take
    _log(emu, len(take))
    del buf[: len(take)]
    if len(pend["buf"]) >= pend["size"]:
        _finish(emu)


def secwrite_escape(emu):
    """The host sent "+++" between guard times: the upload ends with what came."""
    _finish(emu)


def _log(emu, n):
    if emu.transcript and n > 0:
        emu.transcript.host("<%d bytes>" % n)


def _finish(emu):
    pend, emu.pending = emu.pending, None
    emu.mode = "cmd"
    emu.parser.reset()
    data = bytes(pend["buf"])
    if data:
        emu.state.certs[pend["name"]] = data
        emu.state.cert_sums[pend["name"]] = checksum(data)
    emu.line("+QSECWRITE: %d,%s" % (len(data), checksum_text(data)))
    emu.ok()


def _existing_file(emu, req, cmd):
    """The stored file a QSECREAD/QSECDEL names, or None once the answer is given
    (the test form, a bad argument, a bad name, no such file)."""
    if req.kind == "test":
        emu.line("+%s: <filename>" % cmd)
        emu.ok()
        return None
    if req.kind != "write" or req.n != 1:
        emu.error()
        return None
    name = norm_name(req.str(0))
    if name is None:
        emu.cme(E_NAME)
        return None
    if name not in emu.state.certs:
        emu.cme(E_NOT_FOUND)
        return None
    return name


def qsecread(emu, req):
    name = _existing_file(emu, req, "QSECREAD")
    if name is None:
        return
    st = emu.state
    data = st.certs[name]
    good = 1 if checksum(data) == st.cert_sums.get(name) else 0
    emu.line("+QSECREAD: %d,%s" % (good, checksum_text(data)))
    emu.ok()


def qsecdel(emu, req):
    name = _existing_file(emu, req, "QSECDEL")
    if name is None:
        return
    del emu.state.certs[name]
    emu.state.cert_sums.pop(name, None)
    emu.ok()


COMMANDS = {"+QSECWRITE": qsecwrite, "+QSECREAD": qsecread, "+QSECDEL": qsecdel}
