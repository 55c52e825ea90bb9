"""The AT+QSECWRITE / AT+QSECREAD checksum (ERRATA 15).

XOR of the data taken as 16-bit big-endian words; an odd last byte is the high
byte of a word whose low byte is 0. Printed as lower-case hex, no leading zeros.
"""


def checksum(data):
    v = 0
    n = len(data)
    for i in range(0, n - 1, 2):
        v ^= (data[i] << 8) | data[i + 1]
    if n & 1:
        v ^= data[n - 1] << 8
    return v


def checksum_text(data):
    return "%x" % checksum(data)
