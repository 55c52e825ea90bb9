# A certificate whose base64 contains "+++" uploads whole: the library writes it in
# one go, so the module never sees a guarded escape (and the emulator, like the
# module, takes "+++" inside data as data).
from api_fixtures import booted, rig  # noqa: F401
import qssl


def test_cert_with_plus_plus_plus_uploads_whole(rig):
    pem = (b"-----BEGIN CERTIFICATE-----\n" + b"MIIB+++Zm9vYmFy" * 40 + b"\n+++\n"
           b"-----END CERTIFICATE-----\n")
    assert rig.m.cert_write("RAM:plus.pem", pem) == qssl.checksum(pem)
    assert rig.emu.state.certs["RAM:plus.pem"] == pem
    assert rig.m.cert_read("RAM:plus.pem") == (True, qssl.checksum(pem))
