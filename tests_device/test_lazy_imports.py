# What `import qssl` leaves out (the socket layer, bring-up and recovery, plain TCP,
# transparent mode, the pool, the checksum, certificates, asyncio and MQTT adapters)
# loads on first use, on MicroPython too: through the package's __getattr__,
# "from qssl import x" and "from . import x".
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()


def test_import_qssl_leaves_the_optional_parts_out():
    import qssl

    # Modem() and start() need neither the socket layer nor the cold modem paths yet.
    for name in ("qssl.tcp", "qssl.transparent", "qssl.pool", "qssl.certs", "qssl.aio", "qssl.mqttsock",
                 "qssl.context", "qssl.socket", "qssl.stream", "qssl.bringup", "qssl.netif", "qssl.uart",
                 "qssl.errors"):
        tinytest.eq(name in sys.modules, False, name + " loaded by import qssl")
    tinytest.eq(qssl.Modem.__name__, "Modem")


def test_names_load_on_first_use():
    import qssl

    tinytest.eq(qssl.SSLContext.__name__, "SSLContext")
    tinytest.eq(qssl.SSLSocket.__name__, "SSLSocket")
    tinytest.eq((qssl.SSLv3, qssl.TLSv1_2, qssl.ALL_CIPHERS, qssl.CERT_REQUIRED), (0, 3, 0xFFFF, 2))
    for name in ("TLS_NO_SUCH", "ALL_NOTHING", "CERT_MAYBE"):
        try:
            getattr(qssl, name)
        except AttributeError:
            pass
        else:
            raise AssertionError("qssl.%s did not raise AttributeError" % name)
    tinytest.eq(qssl.TCPSocket.__name__, "TCPSocket")
    tinytest.eq(qssl.TransparentSocket.__name__, "TransparentSocket")
    tinytest.eq(qssl.SocketPool.__name__, "SocketPool")
    tinytest.eq((qssl.AF_INET, qssl.SOCK_STREAM), (2, 1))
    tinytest.eq(qssl.checksum(b"ab"), 0x6162)
    # the exception classes load with the first error, or when a program names them
    tinytest.eq(issubclass(qssl.ATError, OSError) and issubclass(qssl.PDPError, qssl.Error), True)
    from qssl import ATError

    tinytest.eq(ATError is qssl.ATError, True)
    from qssl import certs

    tinytest.eq(certs.checksum(b"a"), 0x6100)
    try:
        qssl.no_such_name
    except AttributeError:
        pass
    else:
        raise AssertionError("qssl.no_such_name did not raise AttributeError")


def test_modem_loads_certs_when_it_uploads():
    # cert_write's lazy "from . import certs" (this failed on MicroPython once).
    from fakeuart import FakeUart
    import qssl

    # QSECDEL, QSECWRITE; the payload ends in CR so the fake UART answers it
    u = FakeUart((b"\r\nOK\r\n", b"\r\nCONNECT\r\n", b"\r\n+QSECWRITE: 2,610d\r\n\r\nOK\r\n"))
    m = qssl.Modem(u)
    tinytest.eq(m.cert_write("RAM:x.pem", b"a\r"), 0x610D)


def test_refused_command_loads_the_error_classes():
    # engine.fail() imports ATError on the first refusal (a happy path never loads it)
    from fakeuart import FakeUart
    from qssl.engine import Engine

    e = Engine(FakeUart((b"\r\n+CME ERROR: 10\r\n",)))
    try:
        e.check(e.command(b"AT+CPIN?", 500))
    except OSError as ex:
        import qssl

        tinytest.eq(isinstance(ex, qssl.ATError), True)
        tinytest.eq((ex.code, "SIM not inserted" in str(ex)), (10, True))
    else:
        raise AssertionError("a +CME ERROR raised nothing")


tinytest.main(globals())
