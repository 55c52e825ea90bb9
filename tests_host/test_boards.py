# The MicroPython board files' power logic, on CPython with a fake `machine` module
# that records pin writes: the PWRKEY pulse is given only when the module is in the
# other state, lasts the M66's on-window, STATUS (or, without it, an AT probe) is
# awaited, and modem() hands qssl.Modem the power(on) that recovery uses.
import importlib
import sys
import time
import types

import pytest


class FakeMachine:
    """A module behind PWRKEY: each press-and-release toggles it (when
    status_after_pulse), STATUS follows it, and its UART answers AT while it is on
    and not hung."""

    def __init__(self, status_after_pulse=True, on=False, hung=False):
        self.on = on
        self.hung = hung
        self.status_after_pulse = status_after_pulse
        self.writes = []  # (pin, mode, value, t)
        self.uarts = []
        self.pulses = 0
        self.rx = bytearray()  # what the module's UART has sent, unread
        fake = self

        class Pin:
            OUT, IN, OPEN_DRAIN = 1, 0, 2

            def __init__(self, pin, mode=0, value=None):
                self.pin = pin
                if value is not None:
                    fake.writes.append((pin, mode, value, time.monotonic()))
                    # releasing the key after a press toggles the module
                    if value == 0 and len(fake.writes) >= 2 and fake.writes[-2][2] == 1:
                        fake.pulses += 1
                        if fake.status_after_pulse:
                            fake.on = not fake.on
                            fake.hung = False

            def value(self):
                return 1 if fake.on else 0

        class UART:
            def __init__(self, *a, **kw):
                fake.uarts.append((a, kw))

            def any(self):
                return len(fake.rx)

            def readinto(self, buf, n=None):
                n = min(len(buf), len(fake.rx)) if n is None else min(n, len(fake.rx))
                buf[:n] = fake.rx[:n]
                del fake.rx[:n]
                return n

            def write(self, data):
                if fake.on and not fake.hung and bytes(data).endswith(b"AT\r"):
                    fake.rx += b"\r\nOK\r\n"
                return len(data)

        self.module = types.ModuleType("machine")
        self.module.Pin = Pin
        self.module.UART = UART


@pytest.fixture
def board(monkeypatch):
    def load(name, status=True, **kw):
        fake = FakeMachine(**kw)
        monkeypatch.setitem(sys.modules, "machine", fake.module)
        monkeypatch.setattr(time, "sleep_ms", lambda ms: time.sleep(ms / 10000), raising=False)
        monkeypatch.setattr(time, "ticks_ms", lambda: int(time.monotonic() * 1000), raising=False)
        monkeypatch.setattr(time, "ticks_diff", lambda a, b: a - b, raising=False)
        for mod in ("boards.mp_power", "boards." + name):
            sys.modules.pop(mod, None)
        b = importlib.import_module("boards." + name)
        mp = sys.modules["boards.mp_power"]
        mp._STATUS_WAIT_MS = 100  # not 5 s in a test
        mp._OFF_WAIT_MS = 100
        mp._ANSWER_WAIT_MS = 100
        if not status:
            b._board.status_pin = None
        return b, fake

    yield load
    for mod in ("boards.mp_power", "boards.pico", "boards.esp32_devkitc"):
        sys.modules.pop(mod, None)


@pytest.mark.parametrize("name,pwrkey,uart_id", [("pico", 2, 0), ("esp32_devkitc", 4, 2)])
def test_power_on_pulses_pwrkey_once_when_off(board, name, pwrkey, uart_id):
    b, fake = board(name)
    assert b.power_on() is True
    key = [w for w in fake.writes if w[0] == pwrkey]
    # released, pressed, released: one pulse (the NPN driver: 1 = PWRKEY low)
    assert [w[2] for w in key] == [0, 1, 0]
    assert fake.on
    b.uart()
    b.uart()
    assert len(fake.uarts) == 1 and fake.uarts[0][0][0] == uart_id
    assert fake.uarts[0][1]["timeout"] == 0


def test_power_on_does_nothing_when_on(board):
    b, fake = board("pico", on=True)
    assert b.power_on() is False
    assert [w[2] for w in fake.writes] == [0]


def test_status_never_rising_is_an_error(board):
    b, fake = board("pico", status_after_pulse=False)
    with pytest.raises(OSError) as e:
        b.power_on()
    assert e.value.errno == 110


def _key_values(fake, pin=2):
    return [w[2] for w in fake.writes if w[0] == pin]


@pytest.mark.parametrize("status", [True, False])
def test_power_cycle_pulses_once_each_way(board, status):
    """power(False) then power(True), as qssl's recovery calls them: one pulse off,
    one pulse on, whether the state comes from STATUS or from the AT probe."""
    b, fake = board("pico", status=status, on=True)
    b.power(False)
    assert not fake.on and fake.pulses == 1
    b.power(False)  # already off: nothing
    assert fake.pulses == 1
    b.power(True)
    assert fake.on and fake.pulses == 2
    b.power(True)  # already on: nothing
    assert fake.pulses == 2
    assert _key_values(fake) == [0, 1, 0, 0, 0, 1, 0, 0]


def test_hung_module_without_status_is_pulsed_until_it_answers(board):
    """Without STATUS a hung module looks off (no answer to AT): power(False) leaves
    it, power(True)'s first pulse switches it off, the second on again."""
    b, fake = board("pico", status=False, on=True, hung=True)
    b.power(False)
    assert fake.pulses == 0
    b.power(True)
    assert fake.pulses == 2 and fake.on and not fake.hung


def test_no_answer_after_two_pulses_is_an_error(board):
    b, fake = board("pico", status=False, status_after_pulse=False)
    with pytest.raises(OSError) as e:
        b.power(True)
    assert e.value.errno == 110 and "AT" in str(e.value)
    assert fake.pulses == 2


def test_status_staying_high_after_the_off_pulse_is_an_error(board):
    b, fake = board("pico", on=True, status_after_pulse=False)
    with pytest.raises(OSError) as e:
        b.power(False)
    assert e.value.errno == 110 and "STATUS" in str(e.value)


@pytest.mark.parametrize("name", ["pico", "esp32_devkitc"])
def test_modem_gets_the_board_power(board, name):
    b, fake = board(name, on=True)
    m = b.modem()
    assert m.power == b.power
    assert fake.pulses == 0  # it was on
    m.power(False)
    assert not fake.on
    assert b.modem(power=None).power is None
    assert fake.on  # modem() switched it on again


# --- boards/unix.py: the emulator's control socket as the power switch -------------------


@pytest.fixture
def control(tmp_path):
    from quecsim import Emulator
    from quecsim.control import ControlServer

    emu = Emulator(routes={}, baud=None)
    emu.start()
    srv = ControlServer(str(tmp_path / "ctl"), emu)
    srv.start()
    try:
        yield emu, srv.path
    finally:
        srv.stop()
        emu.stop()


def test_unix_control_power_switches_the_emulator(control):
    from boards import unix

    emu, path = control
    power = unix.ControlPower(path)
    power(False)
    assert not emu.powered
    power(True)
    assert emu.powered
    with pytest.raises(OSError) as e:
        power.send("power sideways")
    assert e.value.errno == 5 and "power sideways" in str(e.value)


def test_unix_control_power_path_from_environment(control, monkeypatch):
    from boards import unix

    emu, path = control
    monkeypatch.setenv("QSSL_CONTROL", path)
    unix.ControlPower()(False)
    assert not emu.powered
    monkeypatch.delenv("QSSL_CONTROL")
    with pytest.raises(OSError) as e:
        unix.ControlPower()
    assert e.value.errno == 22


def test_unix_modem_power_is_none_unless_given(monkeypatch):
    from boards import unix

    class Uart:
        def any(self):
            return 0

    monkeypatch.setattr(unix, "uart", lambda path=None, baud=115200: Uart())
    assert unix.modem().power is None
    sw = lambda on: None  # noqa: E731
    assert unix.modem(power=sw).power is sw
