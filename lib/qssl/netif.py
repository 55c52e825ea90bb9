# The modem's network-interface queries (services layer): signal, module identity and
# the module-wide SSL settings. Cold paths, loaded on their first call.
from qssl.compat import EINVAL, EIO
import qssl.at as at
import qssl.check as check

_GLOBALS = ("ignorertc", "https", "httpsctxi", "smtpstyle", "smtpsctxi")


def signal(m):
    line = m.query_line(b"AT+CSQ", b"+CSQ:")
    offs = [0] * 4
    at.split_fields(line, 5, len(line), offs)
    rssi = at.parse_int(line, offs[0], offs[1])
    ber = at.parse_int(line, offs[2], offs[3])
    if rssi is None or ber is None:
        raise OSError(EIO, "garbled AT+CSQ answer")
    return (-113 + 2 * rssi if 0 <= rssi <= 31 else None), (ber if 0 <= ber <= 7 else None)


def info(m):
    out = {}
    for key, cmd in (("imei", b"AT+GSN"), ("iccid", b"AT+QCCID"), ("model", b"AT+GMM"),
                     ("revision", b"AT+GMR")):
        lines = m.query(cmd, at.BARE)
        if not lines:
            raise OSError(EIO, "no answer line to " + cmd.decode())
        line = lines[-1]
        s = line.find(b": ") + 1  # "+QCCID: ...", "Revision: ...": the value after the label
        while s < len(line) and line[s] == 32:
            s += 1
        out[key] = at.text(line, s, len(line))
    return out


def set_global(m, name, value):
    if name not in _GLOBALS:
        raise OSError(EINVAL, "not a global SSL setting: %s" % name)
    check.integer(value, name, -1, 5)
    e = m.eng
    e.begin(b'AT+QSSLCFG="')
    e.add(name.encode())
    e.add(b'",')
    e.add_int(value)
    e.check(e.run(1000))


def get_global(m, name):
    if name not in _GLOBALS:
        raise OSError(EINVAL, "not a global SSL setting: %s" % name)
    line = m.query_line(b'AT+QSSLCFG="' + name.encode() + b'"', b"+QSSLCFG:")
    v = at.parse_int(line, line.rfind(b",") + 1, len(line))
    if v is None:
        raise OSError(EIO, "garbled answer to the %s query" % name)
    return v
