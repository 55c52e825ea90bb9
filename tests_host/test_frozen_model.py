# tools/frozen_model.py on the real MicroPython port: a small module whose frozen 32-bit
# heap is worked out by hand below, and the bench's ROMFS script printing the model.
import os
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import bench_e2e  # noqa: E402
import frozen_model  # noqa: E402

MP = bench_e2e._micropython()
pytestmark = pytest.mark.skipif(MP is None, reason="no micropython binary")

SAMPLE = """X = 1
def f(a): return a
def g(a=1): return a
class C:
    def m(self): pass
    def n(self, b=2): pass
class D(C):
    pass
"""

RUN = """import sys
sys.path.insert(0, %(dir)r)
sys.path.append(%(tools)r)
import fmx, frozen_model
o = fmx.C(); o.a = 1; o.b = bytearray(40); o.c = [None] * 6; o.h = o.m
t, parts, counts = frozen_model.estimate("fmx", (o,), %(defaults)r)
print(t, parts["modules"], parts["classes"], parts["functions"], parts["instances"], parts["buffers"],
      counts["functions"], counts["instances"])
"""


def _run_sample():
    d = tempfile.mkdtemp()
    with open(os.path.join(d, "fmx.py"), "w") as f:
        f.write(SAMPLE)
    with open(os.path.join(d, "run.py"), "w") as f:
        f.write(RUN % {"dir": d, "tools": os.path.join(ROOT, "tools"), "defaults": ["fmx.g", "fmx.C.n"]})
    r = subprocess.run([MP, os.path.join(d, "run.py")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    return [int(x) for x in r.stdout.decode().split()]


def test_model_of_a_small_module_matches_the_hand_count():
    t, modules, classes, functions, instances, buffers, nfun, ninst = _run_sample()
    # module: object 16 B; dict 16 B + table for 7 entries (__name__, __file__, X, f, g,
    # C, D) -> 8 slots x 8 B = 64 B
    assert modules == 16 + 16 + 64
    # C: type 80 B + dict 16 B + table for __module__, __qualname__, m, n (4 slots, 32 B);
    # D: type 80 B + dict 16 B + table for __module__, __qualname__ (2 slots, 16 B) + its
    # bases tuple (8 + 4 = 12 -> 16 B)
    assert classes == (80 + 16 + 32) + (80 + 16 + 16 + 16)
    # f and m plain (16 B), g and n with a default (32 B)
    assert (functions, nfun) == (16 + 32 + 16 + 32, 4)
    # the instance (16 B + 4 members -> 4 slots, 32 B), its list (16 B + 6 x 4 = 24 -> 32 B)
    # and the bound method it holds (16 B)
    assert (instances, ninst) == (16 + 32 + 16 + 32 + 16, 1)
    # the bytearray: 16 B object + 40 -> 48 B of data
    assert buffers == 16 + 48
    assert t == modules + classes + functions + instances + buffers


def test_defaults_are_read_from_the_source():
    names = frozen_model.defaults_of(os.path.join(ROOT, "lib"))
    assert "qssl.modem.Modem.start" in names  # start(self, pin=None, timeout_ms=15000)
    assert "qssl.modem.Modem.poll" not in names  # poll(self)
    assert "qssl.check.text" in names  # a module-level def


def test_bench_prints_the_model_beside_the_romfs_figures():
    rom = bench_e2e.bench_romfs(tempfile.mkdtemp())
    assert rom is not None and set(rom["model"]) == {"import", "modem", "sockets"}
    imp, modem, socks = (rom["model"][k][0] for k in ("import", "modem", "sockets"))
    assert 0 < imp < modem < socks
    # the modem adds its buffers (ring, line, command) and no module; six sockets add
    # instances and the socket layer's modules
    assert rom["model"]["modem"][5] > rom["model"]["import"][5] == 0
    assert rom["model"]["sockets"][1] > rom["model"]["modem"][1]
