# The network-interface surface MicroPython users know from network.WLAN and friends:
# isconnected(), ipconfig("addr4"), signal() from AT+CSQ, info() from the identity queries.
import errno

import pytest

from api_fixtures import LOCAL_IP, attached, booted, rig, wait_for  # noqa: F401


def test_isconnected_and_ipconfig_follow_the_pdp_context(rig):
    assert not rig.m.isconnected() and rig.m.ipconfig("addr4") is None
    rig.m.attach(apn="CMNET")
    assert rig.m.isconnected() and rig.m.ipconfig("addr4") == LOCAL_IP
    rig.emu.faults.pdp_deact()
    assert wait_for(lambda: not rig.m.isconnected(), 3)  # the +PDP DEACT URC is seen
    with pytest.raises(OSError) as e:
        rig.m.ipconfig("mac")
    assert e.value.errno == errno.EINVAL


@pytest.mark.parametrize("rssi, ber, want", [(0, 0, (-113, 0)), (20, 3, (-73, 3)), (31, 7, (-51, 7)),
                                             (99, 99, (None, None))])
def test_signal_in_dbm(rig, rssi, ber, want):
    rig.emu.signal(rssi, ber)
    assert rig.m.signal() == want


def test_info_reads_the_identity(rig):
    i = rig.m.info()
    assert i == {"imei": rig.emu.imei, "iccid": rig.emu.iccid, "model": "Quectel_M66",
                 "revision": i["revision"]}
    assert i["revision"].startswith("M66")  # the "Revision: " label is not part of it
