# qssl.checksum on MicroPython: the ERRATA 15 check value (Debian's copy of Mozilla's
# Amazon_Root_CA_1: 1188 bytes with LF -> 2d13, 1208 with CRLF -> 5769) and the odd-length
# rule. The file is read from the host on the unix port; elsewhere that part is skipped.
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()
import qssl


def test_rule_on_small_data():
    tinytest.eq(qssl.checksum(b""), 0)
    tinytest.eq(qssl.checksum(b"\x12\x34"), 0x1234)
    tinytest.eq(qssl.checksum(b"\x12\x34\x56"), 0x1234 ^ 0x5600)
    tinytest.eq(qssl.checksum(b"\xff\xff\xff\xff"), 0)


def test_errata_check_value():
    try:
        f = open("/etc/ssl/certs/Amazon_Root_CA_1.pem", "rb")
    except OSError:
        raise tinytest.Skip("no system CA bundle here")
    with f:
        pem = f.read().replace(b"\r\n", b"\n")
    tinytest.eq(len(pem), 1188, "length")
    tinytest.eq(qssl.checksum(pem), 0x2D13, "LF")
    crlf = pem.replace(b"\n", b"\r\n")
    tinytest.eq(len(crlf), 1208, "CRLF length")
    tinytest.eq(qssl.checksum(crlf), 0x5769, "CRLF")


tinytest.main(globals())
