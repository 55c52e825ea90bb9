# The errors of bring-up on MicroPython: a PDPError prints its message (str() has the
# step and the text, not just a tuple), and start()/attach() turn SIM and registration
# answers into the errors the host tests expect. A scripted UART plays the module.
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()
import qssl
from qssl.compat import ENETDOWN, EACCES, ENOENT
from fakeuart import FakeUart

OK = b"\r\nOK\r\n"


def _raises(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except OSError as e:
        return e
    raise AssertionError("no OSError from %r" % fn)


def test_pdperror_str_has_the_text():
    e = qssl.PDPError("CGREG", "registration denied by the network")
    tinytest.eq(e.step, "CGREG", "step")
    tinytest.eq(e.errno, ENETDOWN, "errno")
    s = str(e)
    if "CGREG" not in s or "denied" not in s:
        raise AssertionError("str(PDPError) lacks the text: %r" % s)
    if "denied" not in repr(e):
        raise AssertionError("repr(PDPError) lacks the text: %r" % repr(e))


def test_attach_denied_is_a_pdperror_naming_it():
    m = qssl.Modem(FakeUart((b"\r\n+CGREG: 0,3\r\n" + OK,)))
    m.started = True  # as after start(): the script begins at attach() (which refuses before start())
    e = _raises(m.attach, apn="CMNET", timeout_ms=3000)
    if not isinstance(e, qssl.PDPError):
        raise AssertionError("not a PDPError: %r" % e)
    tinytest.eq(e.step, "CGREG", "step")
    if "denied" not in str(e):
        raise AssertionError("no 'denied' in %r" % str(e))


def test_attach_searching_times_out_naming_it():
    m = qssl.Modem(FakeUart((b"\r\n+CGREG: 0,2\r\n" + OK,)))
    m.started = True  # as after start(): the script begins at attach() (which refuses before start())
    e = _raises(m.attach, apn="CMNET", timeout_ms=1500)
    if not isinstance(e, qssl.PDPError) or "searching" not in str(e):
        raise AssertionError("want a PDPError naming 'searching': %r" % e)


def _start(cpin_answer, pin=None):
    # start() syncs as resync does (a CR, then AT+CMEE?), then ATE0, AT+CMEE=1, AT+CPIN?
    # (and AT+CPIN="..." when a PIN is sent)
    m = qssl.Modem(FakeUart((OK, b"\r\n+CMEE: 0\r\n" + OK, OK, OK, cpin_answer,
                             b"\r\n+CME ERROR: 16\r\n")))
    return _raises(m.start, pin=pin, timeout_ms=3000)


def test_sim_errors():
    e = _start(b"\r\n+CME ERROR: 10\r\n")
    tinytest.eq(e.errno, ENOENT, "absent")
    if "SIM not inserted" not in str(e):
        raise AssertionError(str(e))
    e = _start(b"\r\n+CPIN: SIM PIN\r\n" + OK)
    tinytest.eq(e.errno, EACCES, "no pin")
    if "start(pin=" not in str(e):
        raise AssertionError(str(e))
    e = _start(b"\r\n+CPIN: SIM PIN\r\n" + OK, pin="0000")
    tinytest.eq(e.errno, EACCES, "wrong pin")
    if "wrong SIM PIN" not in str(e):
        raise AssertionError(str(e))
    e = _start(b"\r\n+CPIN: SIM PUK\r\n" + OK)
    tinytest.eq(e.errno, EACCES, "puk")
    if "PUK" not in str(e):
        raise AssertionError(str(e))


tinytest.main(globals())
