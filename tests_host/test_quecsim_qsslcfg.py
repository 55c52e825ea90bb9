"""AT+QSSLCFG: every sub-command in set and query form, ranges, globals (ERRATA 3-6)."""

import pytest

OK = b"\r\nOK\r\n"
ERROR = b"\r\nERROR\r\n"


def q(at, cmd):
    return at.cmd("AT+QSSLCFG=" + cmd)


def line_ok(text):
    return ("\r\n%s\r\n\r\nOK\r\n" % text).encode()


def test_test_form(at):
    assert at.cmd("AT+QSSLCFG=?") == line_ok('+QSSLCFG: "type",(0-5),"value"')


def test_defaults_per_context(at):
    for i in range(6):
        assert q(at, '"ctxindex",%d' % i) == line_ok('+QSSLCFG: %d,4,0,0XFFFF,"","",""' % i)
        assert q(at, '"sslversion",%d' % i) == line_ok('+QSSLCFG: "sslversion",4')
        assert q(at, '"seclevel",%d' % i) == line_ok('+QSSLCFG: "seclevel",0')
        assert q(at, '"ciphersuite",%d' % i) == line_ok('+QSSLCFG: "ciphersuite",0XFFFF')
        assert q(at, '"cacert",%d' % i) == line_ok('+QSSLCFG: "cacert",""')
        assert q(at, '"clientcert",%d' % i) == line_ok('+QSSLCFG: "clientcert",""')
        assert q(at, '"clientkey",%d' % i) == line_ok('+QSSLCFG: "clientkey",""')


@pytest.mark.parametrize("v", [0, 1, 2, 3, 4])
def test_sslversion_set_query(at, v):
    assert q(at, '"sslversion",2,%d' % v) == OK
    assert q(at, '"sslversion",2') == line_ok('+QSSLCFG: "sslversion",%d' % v)


def test_sslversion_range(at):
    assert q(at, '"sslversion",0,5') == ERROR
    assert q(at, '"sslversion",0,-1') == ERROR
    assert q(at, '"sslversion",0,x') == ERROR
    assert q(at, '"sslversion",0') == line_ok('+QSSLCFG: "sslversion",4')


@pytest.mark.parametrize("v", [0, 1, 2])
def test_seclevel_set_query_both_spellings(at, v):
    assert q(at, '"seclevel",1,%d' % v) == OK
    assert q(at, '"seclevel",1') == line_ok('+QSSLCFG: "seclevel",%d' % v)
    assert q(at, '"secllevel",3,%d' % v) == OK
    assert q(at, '"seclevel",3') == line_ok('+QSSLCFG: "seclevel",%d' % v)


def test_seclevel_range(at):
    assert q(at, '"seclevel",0,3') == ERROR
    assert q(at, '"secllevel",0,3') == ERROR
    assert q(at, '"seclevel",0') == line_ok('+QSSLCFG: "seclevel",0')


@pytest.mark.parametrize(
    "text,value",
    [('"0X0035"', 0x35), ('"0x002f"', 0x2F), ("0X003D", 0x3D), ("0x0005", 0x05),
     ('"0X0004"', 0x04), ('"0X000A"', 0x0A), ('"0xFFFF"', 0xFFFF), ('"0XFFFF"', 0xFFFF)],
)
def test_ciphersuite_set_query(at, text, value):
    assert q(at, '"ciphersuite",5,%s' % text) == OK
    assert q(at, '"ciphersuite",5') == line_ok('+QSSLCFG: "ciphersuite",0X%04X' % value)


@pytest.mark.parametrize("bad", ['"0X0036"', '"0X9999"', '"hello"', "0", '""', '"0X"'])
def test_ciphersuite_bad(at, bad):
    assert q(at, '"ciphersuite",0,%s' % bad) == ERROR
    assert q(at, '"ciphersuite",0') == line_ok('+QSSLCFG: "ciphersuite",0XFFFF')


@pytest.mark.parametrize("what", ["cacert", "clientcert", "clientkey"])
def test_names_set_query(at, what):
    assert q(at, '"%s",4,"RAM:some_file.pem"' % what) == OK
    assert q(at, '"%s",4' % what) == line_ok('+QSSLCFG: "%s","RAM:some_file.pem"' % what)
    assert q(at, '"%s",4,"NVRAM:CA0"' % what) == OK
    assert q(at, '"%s",4' % what) == line_ok('+QSSLCFG: "%s","NVRAM:CA0"' % what)
    # Other contexts are untouched.
    assert q(at, '"%s",3' % what) == line_ok('+QSSLCFG: "%s",""' % what)


def test_ctxindex_reflects_settings(at):
    assert q(at, '"sslversion",1,3') == OK
    assert q(at, '"seclevel",1,2') == OK
    assert q(at, '"ciphersuite",1,"0X0035"') == OK
    assert q(at, '"cacert",1,"RAM:ca.pem"') == OK
    assert q(at, '"clientcert",1,"RAM:cc.pem"') == OK
    assert q(at, '"clientkey",1,"RAM:ck.pem"') == OK
    assert q(at, '"ctxindex",1') == line_ok(
        '+QSSLCFG: 1,3,2,0X0035,"RAM:ca.pem","RAM:cc.pem","RAM:ck.pem"')
    assert q(at, '"ctxindex",0') == line_ok('+QSSLCFG: 0,4,0,0XFFFF,"","",""')


@pytest.mark.parametrize("what", ["sslversion", "seclevel", "ciphersuite", "cacert",
                                  "clientcert", "clientkey", "ctxindex"])
def test_context_index_range(at, what):
    assert q(at, '"%s",6' % what) == ERROR
    assert q(at, '"%s",-1' % what) == ERROR


def test_context_index_range_on_set(at):
    assert q(at, '"sslversion",6,1') == ERROR
    assert q(at, '"seclevel",6,1') == ERROR
    assert q(at, '"ciphersuite",6,"0X0035"') == ERROR
    assert q(at, '"cacert",6,"RAM:x"') == ERROR


def test_unknown_subcommand(at):
    assert q(at, '"nosuch",0,1') == ERROR
    assert q(at, '"nosuch"') == ERROR


@pytest.mark.parametrize("spelling", ["ignorertc", "ignorertctime", "ignorevertime"])
def test_ignorertc_spellings(at, spelling):
    assert q(at, '"%s"' % spelling) == line_ok('+QSSLCFG: "%s",0' % spelling)
    assert q(at, '"%s",1' % spelling) == OK
    # One global setting whatever the spelling.
    assert q(at, '"ignorertc"') == line_ok('+QSSLCFG: "ignorertc",1')
    assert q(at, '"%s",0' % spelling) == OK
    assert q(at, '"ignorertc"') == line_ok('+QSSLCFG: "ignorertc",0')
    assert q(at, '"%s",2' % spelling) == ERROR


def test_https(at):
    assert q(at, '"https"') == line_ok('+QSSLCFG: "https",0')
    assert q(at, '"https",1') == OK
    assert q(at, '"https"') == line_ok('+QSSLCFG: "https",1')
    assert q(at, '"https",2') == ERROR


def test_httpsctxi(at):
    assert q(at, '"httpsctxi"') == line_ok('+QSSLCFG: "httpsctxi",-1')
    assert q(at, '"httpsctxi",5') == OK
    assert q(at, '"httpsctxi"') == line_ok('+QSSLCFG: "httpsctxi",5')
    assert q(at, '"httpsctxi",6') == ERROR
    assert q(at, '"httpsctxi"') == line_ok('+QSSLCFG: "httpsctxi",5')


def test_smtpstyle(at):
    assert q(at, '"smtpstyle"') == line_ok('+QSSLCFG: "smtpstyle",0')
    for v in (1, 2, 0):
        assert q(at, '"smtpstyle",%d' % v) == OK
        assert q(at, '"smtpstyle"') == line_ok('+QSSLCFG: "smtpstyle",%d' % v)
    assert q(at, '"smtpstyle",3') == ERROR


def test_smtpsctxi(at):
    assert q(at, '"smtpsctxi"') == line_ok('+QSSLCFG: "smtpsctxi",-1')
    assert q(at, '"smtpsctxi",0') == OK
    assert q(at, '"smtpsctxi"') == line_ok('+QSSLCFG: "smtpsctxi",0')
    assert q(at, '"smtpsctxi",6') == ERROR


def test_settings_lost_on_reboot(emu, at):
    assert q(at, '"sslversion",0,3') == OK
    assert q(at, '"ignorertc",1') == OK
    emu.faults.reboot()
    assert at.read_until(b"SMS Ready\r\n", 5).endswith(b"SMS Ready\r\n")
    assert at.cmd("ATE0") == b"ATE0\r\r\nOK\r\n"
    assert q(at, '"sslversion",0') == line_ok('+QSSLCFG: "sslversion",4')
    assert q(at, '"ignorertc"') == line_ok('+QSSLCFG: "ignorertc",0')
