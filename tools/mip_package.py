#!/usr/bin/env python3
"""The two package.json files `mip` installs from, made from the tree.

    python tools/mip_package.py          # rewrite package.json and boards/package.json
    python tools/mip_package.py --check  # exit 1 when either is out of step

package.json (repository root) puts lib/qssl/*.py in the device's lib/qssl/;
boards/package.json puts the MicroPython board files in lib/boards/, so
`from boards import pico` works after installing both. Every URL is relative to the
package.json that names it, so a fork, a mirror, a tag or a local HTTP server serves
the same files: `mpremote mip install github:OWNER/REPO github:OWNER/REPO/boards`,
or `mpremote mip install http://HOST:PORT/package.json http://HOST:PORT/boards/package.json`.
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSION = "0.1.0"
# MicroPython board files (machine.Pin/UART); boards/feather_rp2040.py is CircuitPython,
# which has no mip: it is copied by hand (docs/install.md).
MICROPYTHON_BOARDS = ("esp32_devkitc.py", "mp_power.py", "pico.py", "unix.py")


def library_files(root=ROOT):
    lib = os.path.join(root, "lib", "qssl")
    return sorted(f for f in os.listdir(lib) if f.endswith(".py"))


def library_package(root=ROOT):
    urls = [["qssl/" + f, "lib/qssl/" + f] for f in library_files(root)]
    return {"urls": urls, "deps": [], "version": VERSION}


def boards_package(root=ROOT):
    for f in MICROPYTHON_BOARDS:
        if not os.path.isfile(os.path.join(root, "boards", f)):
            raise FileNotFoundError("boards/%s is listed in tools/mip_package.py but missing" % f)
    urls = [["boards/" + f, f] for f in MICROPYTHON_BOARDS]
    return {"urls": urls, "deps": [], "version": VERSION}


def packages(root=ROOT):
    """{path relative to root: the package.json it should hold}"""
    return {"package.json": library_package(root),
            os.path.join("boards", "package.json"): boards_package(root)}


def render(pkg):
    return json.dumps(pkg, indent=2) + "\n"


def stale(root=ROOT):
    """The package.json paths whose content differs from what the tree says."""
    out = []
    for rel, pkg in packages(root).items():
        try:
            with open(os.path.join(root, rel)) as f:
                have = f.read()
        except OSError:
            have = None
        if have != render(pkg):
            out.append(rel)
    return out


def write(root=ROOT):
    for rel, pkg in packages(root).items():
        with open(os.path.join(root, rel), "w") as f:
            f.write(render(pkg))
    return sorted(packages(root))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--check"]:
        bad = stale()
        for rel in bad:
            print("%s is out of step with the tree: run python tools/mip_package.py" % rel)
        return 1 if bad else 0
    if argv:
        print(__doc__)
        return 2
    for rel in write():
        print("wrote", rel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
