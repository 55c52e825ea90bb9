"""`mpremote mip install` from a local HTTP server into the MicroPython unix port: the
package.json files' relative URLs must fetch from wherever they are served (here
127.0.0.1), the library lands in the port's lib/qssl/ and the board files in
lib/boards/, and `import qssl` and `from boards import ...` work from there."""
import functools
import http.server
import os
import subprocess
import sys
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import mip_package  # noqa: E402
import mpbridge  # noqa: E402

pytestmark = pytest.mark.skipif(not mpbridge.find_micropython(),
                                reason="the MicroPython unix port is not installed")


class RecordingHandler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        self.server.paths.append(self.path)
        super().do_GET()

    def log_message(self, *a):
        pass


@pytest.fixture
def http_root():
    """The repository served read-only on 127.0.0.1 at a free port."""
    srv = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(RecordingHandler, directory=ROOT))
    srv.paths = []
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(5)


def mpremote(link, *args, timeout=90):
    r = subprocess.run([sys.executable, "-m", "mpremote", "connect", link, "resume"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    out = r.stdout.decode(errors="replace")
    assert r.returncode == 0, out
    return out


# A stand-in `machine` (the unix port has no Pin/UART) so the MicroPython board files import.
FAKE_MACHINE = """
import sys
class _Machine:
    class Pin:
        OUT = 1; IN = 0; OPEN_DRAIN = 2
        def __init__(self, *a, **kw): pass
    class UART:
        def __init__(self, *a, **kw): pass
sys.modules['machine'] = _Machine()
"""


def test_mip_install_from_local_http_server(tmp_path, http_root):
    home = tmp_path / "home"  # the unix port's lib is $HOME/.micropython/lib
    work = tmp_path / "cwd"   # an empty cwd: nothing importable but what mip installed
    work.mkdir()
    base = "http://127.0.0.1:%d" % http_root.server_address[1]
    link = str(tmp_path / "mp")
    with mpbridge.bridged(link, cwd=str(work), env=dict(os.environ, HOME=str(home))):
        out = mpremote(link, "mip", "install", base + "/package.json", base + "/boards/package.json")
        assert "Done" in out, out
        out = mpremote(link, "exec", FAKE_MACHINE + (
            "import qssl\n"
            "from boards import pico, unix\n"
            "print('QSSL', qssl.__file__)\n"
            "print('BOARDS', pico.__file__, unix.__file__, pico.UART_ID)\n"
            "print('MODEM', hasattr(qssl, 'Modem'), hasattr(pico, 'modem'))\n"))
    lib = home / ".micropython" / "lib"
    assert "QSSL %s" % (lib / "qssl" / "__init__.py") in out, out
    assert "BOARDS %s %s 0" % (lib / "boards" / "pico.py", lib / "boards" / "unix.py") in out, out
    assert "MODEM True True" in out, out
    # every file came from the local server, byte for byte
    installed = sorted(os.listdir(str(lib / "qssl")))
    assert installed == mip_package.library_files()
    for f in installed:
        assert (lib / "qssl" / f).read_bytes() == open(os.path.join(ROOT, "lib", "qssl", f), "rb").read()
    assert sorted(os.listdir(str(lib / "boards"))) == sorted(mip_package.MICROPYTHON_BOARDS)
    served = set(http_root.paths)
    assert "/package.json" in served and "/boards/package.json" in served
    assert {"/lib/qssl/" + f for f in installed} <= served
    assert "/boards/pico.py" in served


# docs/install.md's copy commands, run from the repository root against a board whose
# filesystem is empty: mpremote's `cp -r` needs :lib to exist, so it is made first.
COPY_COMMANDS = [
    ["mkdir", ":lib"],
    ["cp", "-r", "lib/qssl", ":lib/"],
    ["mkdir", ":lib/boards"],
    ["cp", "boards/mp_power.py", "boards/pico.py", ":lib/boards/"],
]


def test_documented_copy_commands(tmp_path):
    board = tmp_path / "board"  # the unix port's cwd stands for a board's root filesystem
    board.mkdir()
    link = str(tmp_path / "mp")
    with open(os.path.join(ROOT, "docs", "install.md")) as f:
        doc = f.read()
    for cmd in COPY_COMMANDS:
        assert "mpremote " + " ".join(cmd) in doc, cmd
    with mpbridge.bridged(link, cwd=str(board)):
        for cmd in COPY_COMMANDS:
            r = subprocess.run([sys.executable, "-m", "mpremote", "connect", link, "resume"] + cmd,
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
            assert r.returncode == 0, (cmd, r.stdout)
        out = mpremote(link, "exec", FAKE_MACHINE + (
            "import sys\nsys.path.append('lib')\nimport qssl\nfrom boards import pico\n"
            "print('FROM', qssl.__file__, pico.__file__)\n"))
    assert "FROM lib/qssl/__init__.py lib/boards/pico.py" in out, out
    assert sorted(os.listdir(str(board / "lib" / "qssl"))) == mip_package.library_files()
