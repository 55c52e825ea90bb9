# The MicroPython board files' power logic, on CPython with a fake `machine` module
# that records pin writes: the PWRKEY pulse is given only when the module is off,
# lasts the M66's on-window, and STATUS is awaited.
import importlib
import sys
import time
import types

import pytest


class FakeMachine:
    def __init__(self, status_after_pulse=True, on=False):
        self.on = on
        self.status_after_pulse = status_after_pulse
        self.writes = []  # (pin, mode, value, t)
        self.uarts = []
        fake = self

        class Pin:
            OUT, IN, OPEN_DRAIN = 1, 0, 2

            def __init__(self, pin, mode=0, value=None):
                self.pin = pin
                if value is not None:
                    fake.writes.append((pin, mode, value, time.monotonic()))
                    # releasing the key after a press switches the module on
                    if value == 0 and len(fake.writes) >= 2 and fake.writes[-2][2] == 1:
                        fake.on = fake.on or fake.status_after_pulse

            def value(self):
                return 1 if fake.on else 0

        class UART:
            def __init__(self, *a, **kw):
                fake.uarts.append((a, kw))

        self.module = types.ModuleType("machine")
        self.module.Pin = Pin
        self.module.UART = UART


@pytest.fixture
def board(monkeypatch):
    def load(name, **kw):
        fake = FakeMachine(**kw)
        monkeypatch.setitem(sys.modules, "machine", fake.module)
        monkeypatch.setattr(time, "sleep_ms", lambda ms: time.sleep(ms / 10000), raising=False)
        monkeypatch.setattr(time, "ticks_ms", lambda: int(time.monotonic() * 1000), raising=False)
        monkeypatch.setattr(time, "ticks_diff", lambda a, b: a - b, raising=False)
        for mod in ("boards.mp_power", "boards." + name):
            sys.modules.pop(mod, None)
        b = importlib.import_module("boards." + name)
        sys.modules["boards.mp_power"]._STATUS_WAIT_MS = 100  # not 5 s in a test
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
