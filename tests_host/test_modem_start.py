# start() against a module that is still printing its boot banners: the first AT is
# ended by RDY and its OK comes late; no later command may take that OK for its own.
import time

import pytest

import qssl
from quecsim import Emulator


@pytest.mark.parametrize("baud", [None, 115200])
def test_start_during_boot_banners_keeps_answers_in_step(baud):
    emu = Emulator(routes={}, baud=baud)
    emu.start()
    try:
        emu.boot()
        time.sleep(0.2)
        m = qssl.Modem(emu.port())
        m.start()
        assert m.query(b"AT+CPIN?", b"+CPIN:") == [b"+CPIN: READY"]
        assert m.status() == ("IP INITIAL", [])
        assert m.attach(apn="CMNET") == "10.1.83.188"
    finally:
        emu.stop()


def test_text_stream_transcript(capsys):
    import sys

    emu = Emulator(routes={})
    emu.start()
    try:
        m = qssl.Modem(emu.port(), debug=sys.stdout)
        m.start()
    finally:
        emu.stop()
    assert ">> ATE0" in capsys.readouterr().out
