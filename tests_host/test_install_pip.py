"""The pip distribution: one wheel whose top-level names are ours alone (qssl, qssl_host)
and which declares what its tools import, so that a clean venv runs the tools.

Builds the wheel and installs it, with its dependencies from the package registry, into
a new venv in a temporary directory (bounded in time; about 10 s with a warm pip cache)."""
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, timeout=240, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, **kw)
    out = r.stdout.decode(errors="replace")
    assert r.returncode == 0, "%s\n%s" % (" ".join(cmd), out)
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    # build from a copy: pip writes its egg-info beside the sources it builds
    src = tmp_path_factory.mktemp("src") / "qssl"
    shutil.copytree(ROOT, str(src), ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"))
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(src)])
    (path,) = [p for p in out.iterdir() if p.suffix == ".whl"]
    return path


def test_wheel_top_level_names_are_ours_and_requirements_declared(wheel):
    with zipfile.ZipFile(str(wheel)) as z:
        names = z.namelist()
        meta = z.read([n for n in names if n.endswith(".dist-info/METADATA")][0]).decode()
        entry = z.read([n for n in names if n.endswith(".dist-info/entry_points.txt")][0]).decode()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"qssl", "qssl_host"}
    assert "qssl_host/quecsim/emulator.py" in names and "qssl_host/testnet/certs.py" in names
    assert "qssl/at.py" in names
    base_reqs = [ln for ln in meta.splitlines()
                 if ln.startswith("Requires-Dist:") and "extra ==" not in ln]
    assert any(ln.startswith("Requires-Dist: cryptography") for ln in base_reqs), meta
    assert "qssl-quecsim = qssl_host.quecsim.__main__:main" in entry


def test_clean_venv_runs_the_tools(wheel, tmp_path):
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    py = str(venv / "bin" / "python")
    run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)])
    # run from an empty directory so nothing of the checkout can be imported
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    r = subprocess.run([py, "-c", "import quecsim"], cwd=str(cwd), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    assert r.returncode != 0 and b"No module named 'quecsim'" in r.stdout  # no stray top-level name
    out = run([str(venv / "bin" / "qssl-quecsim"), "--help"], cwd=str(cwd), env=env, timeout=60)
    assert "--pty" in out
    # python -m qssl_host.testnet makes a PKI (cryptography) and prints its servers' ports
    p = subprocess.Popen([py, "-m", "qssl_host.testnet", "--dir", str(tmp_path / "net")],
                         cwd=str(cwd), env=dict(env, PYTHONUNBUFFERED="1"),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        line = p.stdout.readline().decode()
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
    info = json.loads(line)
    assert info["https_port"] > 0 and info["echo_port"] > 0, line
    assert any(f.endswith(".pem") for f in os.listdir(str(tmp_path / "net")))
