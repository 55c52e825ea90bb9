"""Certificates through the API: qssl.checksum (ERRATA 15), cert_write/read/delete,
and the name and size rules checked before anything is sent."""

import os

import pytest

from api_fixtures import errno, expect_oserror, qssl, rig, booted  # noqa: F401


def independent_checksum(data):
    """ERRATA 15 written another way: pad to even length, sum nothing, XOR words."""
    b = bytes(data)
    if len(b) % 2:
        b += b"\x00"
    acc = 0
    for k in range(0, len(b), 2):
        acc ^= int.from_bytes(b[k:k + 2], "big")
    return acc


# --- qssl.checksum --------------------------------------------------------------------------


def test_checksum_empty():
    assert qssl.checksum(b"") == 0


def test_checksum_even_length_words_big_endian():
    assert qssl.checksum(b"\x12\x34") == 0x1234
    assert qssl.checksum(b"\x12\x34\x00\x01") == 0x1235
    assert qssl.checksum(b"\xff\xff\xff\xff") == 0


def test_checksum_odd_last_byte_is_high_byte():
    assert qssl.checksum(b"\xab") == 0xAB00
    assert qssl.checksum(b"\x12\x34\x56") == 0x1234 ^ 0x5600


def test_checksum_crafted_pem_like_text():
    # Structure of ERRATA 15's check value (a PEM with LF and with CRLF) on crafted text:
    # turning each LF into CRLF changes the checksum exactly by the inserted CRs.
    lines = [b"-----BEGIN CERTIFICATE-----"] + [b"MIIB%03dABCDEFGHIJKLMNOPQRSTUVWXYZ" % i for i in range(30)]
    lines.append(b"-----END CERTIFICATE-----")
    lf = b"\n".join(lines) + b"\n"
    crlf = b"\r\n".join(lines) + b"\r\n"
    assert qssl.checksum(lf) == independent_checksum(lf)
    assert qssl.checksum(crlf) == independent_checksum(crlf)
    assert qssl.checksum(lf) != qssl.checksum(crlf)


@pytest.mark.parametrize("n", [1, 2, 3, 255, 256, 1187, 1188, 1208, 4097])
def test_checksum_matches_independent(n):
    data = bytes((i * 131 + 17) & 0xFF for i in range(n))
    assert qssl.checksum(data) == independent_checksum(data)
    assert qssl.checksum(bytearray(data)) == independent_checksum(data)
    assert qssl.checksum(memoryview(data)) == independent_checksum(data)


def test_checksum_result_is_16_bit():
    data = bytes(range(256)) * 8 + b"\x80"
    c = qssl.checksum(data)
    assert 0 <= c <= 0xFFFF


# --- the store ------------------------------------------------------------------------------


def test_cert_write_returns_checksum_and_module_holds_bytes(rig, pki):
    data = pki.ca_pem.encode() if isinstance(pki.ca_pem, str) else pki.ca_pem
    c = rig.m.cert_write("RAM:ca.pem", data)
    assert c == independent_checksum(data)
    assert rig.emu.state.certs["RAM:ca.pem"] == data


def test_cert_write_odd_length_binary(rig):
    data = bytes(range(256)) * 3 + b"\x01\x02\x03"  # 771 bytes, every byte value incl. "+"
    assert rig.m.cert_write("RAM:bin", data) == independent_checksum(data)
    assert rig.emu.state.certs["RAM:bin"] == data


def test_cert_write_keeps_key_bytes_out_of_transcript(rig, pki):
    key = pki.client_key_pem.encode() if isinstance(pki.client_key_pem, str) else pki.client_key_pem
    rig.m.cert_write("RAM:key.pem", key)
    log = rig.transcript()
    assert b"PRIVATE KEY" not in log
    assert key[40:80] not in log


def test_cert_read_good(rig):
    data = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    c = rig.m.cert_write("RAM:x", data)
    good, csum = rig.m.cert_read("RAM:x")
    assert good is True
    assert csum == c  # the emulator reports the write checksum (ERRATA 17 allows otherwise)


def test_cert_delete_then_read_raises(rig):
    rig.m.cert_write("RAM:gone", b"0123456789")
    rig.m.cert_delete("RAM:gone")
    assert "RAM:gone" not in rig.emu.state.certs
    e = expect_oserror(rig.m.cert_read, "RAM:gone")
    assert e.errno == errno.ENOENT


def test_cert_delete_missing_raises(rig):
    e = expect_oserror(rig.m.cert_delete, "RAM:never")
    assert isinstance(e, qssl.ATError)
    assert e.errno == errno.ENOENT and e.code == 4004


def test_cert_write_over_existing_name(rig):
    rig.m.cert_write("RAM:dup", b"first version")
    c = rig.m.cert_write("RAM:dup", b"second, longer version!")
    assert rig.emu.state.certs["RAM:dup"] == b"second, longer version!"
    assert c == independent_checksum(b"second, longer version!")
    # the library deleted the old file before writing
    sent = rig.sent()
    assert b'AT+QSECDEL="RAM:dup"' in sent


def test_cert_write_nvram(rig):
    data = b"N" * 2017
    rig.m.cert_write("NVRAM:CA0", data)
    assert rig.emu.state.certs["NVRAM:CA0"] == data
    assert rig.m.cert_read("NVRAM:CA0")[0] is True


def test_cert_write_ram_limit_accepted(rig):
    data = bytes(range(256)) * 128  # 32768 bytes, the RAM limit
    assert rig.m.cert_write("RAM:big", data) == independent_checksum(data)
    assert rig.emu.state.certs["RAM:big"] == data


@pytest.mark.parametrize(
    "name,size",
    [
        ("RAM:", 10),  # no file name
        ("ram.pem", 10),  # no storage prefix
        ("FLASH:x", 10),
        ("NVRAM:CA1", 10),  # only CA0/CC0/CK0
        ("NVRAM:x", 10),
        ('RAM:a"b', 10),  # would break the quoted argument
        ("RAM:x", 0),  # empty
        ("RAM:x", 32769),  # over the RAM limit
        ("NVRAM:CC0", 2018),  # over the NVRAM limit
    ],
)
def test_cert_write_rules_checked_before_sending(rig, name, size):
    mark = rig.mark()
    e = expect_oserror(rig.m.cert_write, name, b"x" * size)
    assert e.errno == errno.EINVAL
    sent = rig.sent(mark)
    assert not any(ln.startswith(b"AT+QSECWRITE") or ln.startswith(b"AT+QSECDEL") for ln in sent), sent
    assert rig.emu.state.certs == {}


def test_cert_write_timeout_rule(rig):
    mark = rig.mark()
    e = expect_oserror(rig.m.cert_write, "RAM:x", b"abc", timeout_s=201)
    assert e.errno == errno.EINVAL
    assert rig.sent(mark) == []


@pytest.mark.parametrize("fn", ["cert_read", "cert_delete"])
def test_read_delete_name_rules(rig, fn):
    mark = rig.mark()
    e = expect_oserror(getattr(rig.m, fn), "NVRAM:XX9")
    assert e.errno == errno.EINVAL
    assert rig.sent(mark) == []


AMAZON_ROOT_CA_1 = "/etc/ssl/certs/Amazon_Root_CA_1.pem"  # Debian's ca-certificates


@pytest.mark.skipif(not os.path.exists(AMAZON_ROOT_CA_1), reason="system CA bundle absent")
def test_library_checksum_errata_check_value():
    # ERRATA 15: Amazon_Root_CA_1, 1188 bytes with LF -> 2d13; 1208 bytes with CRLF -> 5769
    pem = open(AMAZON_ROOT_CA_1, "rb").read().replace(b"\r\n", b"\n")
    assert len(pem) == 1188 and qssl.checksum(pem) == 0x2D13
    crlf = pem.replace(b"\n", b"\r\n")
    assert len(crlf) == 1208 and qssl.checksum(crlf) == 0x5769
