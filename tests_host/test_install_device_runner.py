"""tools/run_device_tests.py as a board sees it: with --port, mpremote soft-resets before
each script, so a script's tests and globals are gone for the next one (with `resume`
they stayed, and later scripts re-ran earlier scripts' tests); tests skip what a port
lacks. The board here is the unix port behind tools/mpbridge.py --soft-reset, which
starts a fresh interpreter where a board would soft-reset. And --mpy with a small heap."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import mpbridge  # noqa: E402

pytestmark = pytest.mark.skipif(not mpbridge.find_micropython(),
                                reason="the MicroPython unix port is not installed")

HEAD = 'import sys\n\nsys.path.insert(0, "tests_device")\nimport tinytest\n\n\n'
SCRIPT_A = HEAD + '''def test_a_leaves_a_global():
    globals()["LEFT_BY_A"] = 1


tinytest.main(globals())
'''
SCRIPT_B = HEAD + '''def test_b_starts_fresh():
    tinytest.eq("LEFT_BY_A" in globals(), False, "a global of the script before")


def test_b_skips_what_the_port_lacks():
    tinytest.need("no_such_module_here")


tinytest.main(globals())
'''


def runner(*args, env=None, timeout=300):
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "run_device_tests.py")] + list(args),
                       cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace")


def test_board_mode_soft_resets_between_scripts(tmp_path):
    a = tmp_path / "test_leak_a.py"
    b = tmp_path / "test_leak_b.py"
    a.write_text(SCRIPT_A)
    b.write_text(SCRIPT_B)
    link = str(tmp_path / "board")
    env = {k: v for k, v in os.environ.items() if k not in ("QSSL_PTY", "QSSL_DEVICE_ENV")}
    with mpbridge.bridged(link, cwd=ROOT, env=env, soft_reset=True):
        rc, out = runner("--port", link, str(a), str(b),
                         os.path.join(ROOT, "tests_device", "test_board_unix.py"),
                         os.path.join(ROOT, "tests_device", "test_checksum.py"), env=env)
    assert rc == 0, out
    lines = out.splitlines()
    # one test each: B neither re-ran A's test nor saw A's global
    assert any(ln.startswith("test_leak_a.py") and "1 passed, 0 failed" in ln for ln in lines), out
    assert any(ln.startswith("test_leak_b.py") and "1 passed, 0 failed" in ln for ln in lines), out
    assert "SKIP test_b_skips_what_the_port_lacks - no module no_such_module_here" in out, out
    # without the unix rig's pty the board test skips rather than fails
    assert any(ln.startswith("test_board_unix.py") and "0 passed, 0 failed" in ln for ln in lines), out
    assert "device tests on %s: 4 passed, 0 failed" % link in out, out


def test_https_fits_a_small_heap_with_mpy():
    # 192 KB on the 64-bit unix port; a 32-bit board needs about half for the same objects
    rc, out = runner("--mpy", "--heapsize", "224K", os.path.join(ROOT, "tests_device", "test_api_https.py"))
    assert rc == 0, out
    assert "test_api_https.py            3 passed, 0 failed" in out, out
    assert "(lib as .mpy, heap 224K): 3 passed, 0 failed" in out, out
