"""AT+QSECWRITE / AT+QSECREAD / AT+QSECDEL against the emulator (ERRATA 15-17)."""

import os
import re
import time

import pytest

from conftest import qsec_checksum, upload

OK = b"\r\nOK\r\n"
CME_RE = re.compile(rb"^\r\n\+CME ERROR: \d+\r\n$")
AMAZON_ROOT_CA_1 = "/etc/ssl/certs/Amazon_Root_CA_1.pem"


def is_cme(got):
    return CME_RE.match(got) is not None


# -- the independent checksum itself --------------------------------------------------


def test_checksum_reference_vectors():
    assert qsec_checksum(b"") == 0
    assert qsec_checksum(b"\x12\x34") == 0x1234
    assert qsec_checksum(b"\x12\x34\x56") == 0x1234 ^ 0x5600
    assert qsec_checksum(b"\xff\xff\xff\xff") == 0
    assert qsec_checksum(b"AB") == 0x4142


@pytest.mark.skipif(not os.path.exists(AMAZON_ROOT_CA_1), reason="system CA bundle absent")
def test_checksum_errata_check_value():
    pem = open(AMAZON_ROOT_CA_1, "rb").read().replace(b"\r\n", b"\n")
    assert len(pem) == 1188
    assert "%x" % qsec_checksum(pem) == "2d13"
    crlf = pem.replace(b"\n", b"\r\n")
    assert len(crlf) == 1208
    assert "%x" % qsec_checksum(crlf) == "5769"


@pytest.mark.skipif(not os.path.exists(AMAZON_ROOT_CA_1), reason="system CA bundle absent")
def test_emulator_checksum_errata_check_value(at):
    pem = open(AMAZON_ROOT_CA_1, "rb").read().replace(b"\r\n", b"\n")
    assert upload(at, "RAM:amazon.pem", pem) == b"\r\n+QSECWRITE: 1188,2d13\r\n\r\nOK\r\n"
    crlf = pem.replace(b"\n", b"\r\n")
    assert upload(at, "RAM:amazon_crlf.pem", crlf) == b"\r\n+QSECWRITE: 1208,5769\r\n\r\nOK\r\n"


# -- upload, read, delete ----------------------------------------------------------


def test_write_read_delete_ram(at, pki):
    for name, data in (("RAM:ca_cert.pem", pki.ca_pem),
                       ("RAM:client_cert.pem", pki.client_cert_pem),
                       ("RAM:client_key.pem", pki.client_key_pem)):
        upload(at, name, data)
        got = at.cmd('AT+QSECREAD="%s"' % name)
        m = re.match(rb"^\r\n\+QSECREAD: (\d),([0-9a-f]+)\r\n\r\nOK\r\n$", got)
        assert m, got
        assert m.group(1) == b"1"
        assert at.cmd('AT+QSECDEL="%s"' % name) == OK
        assert is_cme(at.cmd('AT+QSECREAD="%s"' % name))
        assert is_cme(at.cmd('AT+QSECDEL="%s"' % name))


def test_write_odd_length_and_binary(at):
    data = bytes(range(256)) * 3 + b"\x1a\x1b\r\n\x00+-"  # odd length, every byte value
    assert len(data) % 2 == 1
    upload(at, "RAM:blob.bin", data)
    # Tiny files, including one byte (the minimum).
    upload(at, "RAM:one", b"\x80")
    upload(at, "RAM:two", b"\x01\x02")


def test_write_sizes_ram(at):
    upload(at, "RAM:max.bin", bytes((i * 31 + 7) & 0xFF for i in range(32768)))
    assert is_cme(at.cmd('AT+QSECWRITE="RAM:toobig.bin",32769,100'))
    assert is_cme(at.cmd('AT+QSECWRITE="RAM:empty.bin",0,100'))
    assert at.cmd("AT") == OK


def test_write_nvram_names_and_sizes(at, pki):
    upload(at, "NVRAM:CA0", pki.ca_pem)
    upload(at, "NVRAM:CC0", pki.client_cert_pem)
    upload(at, "NVRAM:CK0", pki.client_key_pem)
    # Only CA0/CC0/CK0 exist in NVRAM.
    assert is_cme(at.cmd('AT+QSECWRITE="NVRAM:CA1",100,100'))
    assert is_cme(at.cmd('AT+QSECWRITE="NVRAM:ca_cert.pem",100,100'))
    # NVRAM files are at most 2017 bytes.
    assert at.cmd('AT+QSECDEL="NVRAM:CA0"') == OK
    assert is_cme(at.cmd('AT+QSECWRITE="NVRAM:CA0",2018,100'))
    upload(at, "NVRAM:CA0", bytes(i & 0xFF for i in range(2017)))
    for n in ("CA0", "CC0", "CK0"):
        assert at.cmd('AT+QSECDEL="NVRAM:%s"' % n) == OK


def test_write_existing_name_is_an_error(at, pki):
    upload(at, "RAM:ca_cert.pem", pki.ca_pem)
    assert is_cme(at.cmd('AT+QSECWRITE="RAM:ca_cert.pem",%d,100' % len(pki.ca_pem)))
    # The old file is untouched.
    got = at.cmd('AT+QSECREAD="RAM:ca_cert.pem"')
    assert got.startswith(b"\r\n+QSECREAD: 1,"), got
    assert at.cmd('AT+QSECDEL="RAM:ca_cert.pem"') == OK
    upload(at, "RAM:ca_cert.pem", pki.ca_pem)


def test_write_bad_names_and_timeouts(at):
    assert is_cme(at.cmd('AT+QSECWRITE="FLASH:x",10,100'))
    assert is_cme(at.cmd('AT+QSECWRITE="RAM:x",10,2'))
    assert is_cme(at.cmd('AT+QSECWRITE="RAM:x",10,201'))
    assert at.cmd("AT") == OK


def test_write_default_timeout_form(at):
    data = b"-----BEGIN CERTIFICATE-----\nABCD\n-----END CERTIFICATE-----\n"
    assert at.cmd('AT+QSECWRITE="RAM:short.pem",%d' % len(data)) == b"\r\nCONNECT\r\n"
    at.write(data)
    want = "\r\n+QSECWRITE: %d,%x\r\n\r\nOK\r\n" % (len(data), qsec_checksum(data))
    assert at.read_final() == want.encode()


def test_write_stopped_by_plus_plus_plus(at):
    part = b"-----BEGIN CERTIFICATE-----\nMIIB"
    assert at.cmd('AT+QSECWRITE="RAM:partial.pem",1000,100') == b"\r\nCONNECT\r\n"
    at.write(part)
    time.sleep(1.1)
    at.write(b"+++")
    want = "\r\n+QSECWRITE: %d,%x\r\n\r\nOK\r\n" % (len(part), qsec_checksum(part))
    assert at.read_final(timeout=5) == want.encode()
    assert at.cmd("AT") == OK


def test_write_in_chunks(at, pki):
    data = pki.client_key_pem
    assert at.cmd('AT+QSECWRITE="RAM:k.pem",%d,100' % len(data)) == b"\r\nCONNECT\r\n"
    for i in range(0, len(data), 100):
        at.write(data[i:i + 100])
        time.sleep(0.002)
    want = "\r\n+QSECWRITE: %d,%x\r\n\r\nOK\r\n" % (len(data), qsec_checksum(data))
    assert at.read_final() == want.encode()


def test_data_after_filesize_is_a_command(at):
    data = b"0123456789"
    assert at.cmd('AT+QSECWRITE="RAM:ten",10,100') == b"\r\nCONNECT\r\n"
    # The size ends data mode; what follows is the next command line.
    at.write(data + b"AT\r")
    want = "\r\n+QSECWRITE: 10,%x\r\n\r\nOK\r\n" % qsec_checksum(data)
    assert at.read_final() == want.encode()
    assert at.read_final() == OK


def test_qsec_test_forms(at):
    for cmd in ("AT+QSECWRITE=?", "AT+QSECREAD=?", "AT+QSECDEL=?"):
        got = at.cmd(cmd)
        assert got.startswith(b"\r\n+" + cmd[3:-2].encode() + b": "), got
        assert got.endswith(b"\r\n\r\nOK\r\n"), got


def test_write_timeout_ends_upload(at):
    part = b"0123456789abc"
    t0 = time.monotonic()
    assert at.cmd('AT+QSECWRITE="RAM:slow.bin",100,3') == b"\r\nCONNECT\r\n"
    at.write(part)
    want = "\r\n+QSECWRITE: %d,%x\r\n\r\nOK\r\n" % (len(part), qsec_checksum(part))
    assert at.read_final(timeout=6) == want.encode()
    assert time.monotonic() - t0 >= 2.8
    got = at.cmd('AT+QSECREAD="RAM:slow.bin"')
    assert got == ("\r\n+QSECREAD: 1,%x\r\n\r\nOK\r\n" % qsec_checksum(part)).encode()


def test_cmee_0_turns_cme_errors_into_error(at):
    assert at.cmd("AT+CMEE=0") == OK
    assert at.cmd('AT+QSECREAD="RAM:missing"') == b"\r\nERROR\r\n"
    assert at.cmd('AT+QSECWRITE="NVRAM:XX0",10,100') == b"\r\nERROR\r\n"
    assert at.cmd("AT+CMEE=1") == OK
    assert is_cme(at.cmd('AT+QSECREAD="RAM:missing"'))


def test_plus_plus_plus_inside_upload_data_is_data(at):
    # base64 may contain "+++": without the guard times it is part of the certificate
    data = b"-----BEGIN CERTIFICATE-----\nMIIB+++Zm9v+++\n-----END CERTIFICATE-----\n"
    assert at.cmd('AT+QSECWRITE="RAM:plus.pem",%d,100' % len(data)) == b"\r\nCONNECT\r\n"
    at.write(data)
    want = "\r\n+QSECWRITE: %d,%x\r\n\r\nOK\r\n" % (len(data), qsec_checksum(data))
    assert at.read_final(timeout=5) == want.encode()


def test_guarded_plus_plus_plus_followed_by_data_is_data(at):
    part = b"-----BEGIN CERTIFICATE-----\nMIIB"
    rest = b"QUJD\n-----END CERTIFICATE-----\n"
    size = len(part) + 3 + len(rest)
    assert at.cmd('AT+QSECWRITE="RAM:plus2.pem",%d,100' % size) == b"\r\nCONNECT\r\n"
    at.write(part)
    time.sleep(1.1)
    at.write(b"+++")
    time.sleep(0.3)  # less than the trailing guard: the +++ was data after all
    at.write(rest)
    data = part + b"+++" + rest
    want = "\r\n+QSECWRITE: %d,%x\r\n\r\nOK\r\n" % (len(data), qsec_checksum(data))
    assert at.read_final(timeout=5) == want.encode()
