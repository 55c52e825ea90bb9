# tools/frozen_model.py on the real MicroPython port: a small package whose frozen 32-bit
# heap is worked out by hand below, the model's sizing rules on CPython, and the bench's
# ROMFS script printing the model.
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
needs_mp = pytest.mark.skipif(MP is None, reason="no micropython binary")

INIT = """from .sub import S
X = 1
def f(a): return a
def g(a=1, b=2): return a
def h(*, k=3): return k
class C:
    def m(self): pass
    def n(self, b=2): pass
class D(C):
    pass
"""

SUB = """from io import IOBase
class S(IOBase):
    pass
"""

RUN = """import sys
sys.path.insert(0, %(dir)r)
sys.path.append(%(tools)r)
import fmx, frozen_model
o = fmx.C(); o.a = 1; o.b = bytearray(40); o.c = [None] * 6; o.h = o.m; o.e = []; o.t = "x" * 20
s = fmx.S()
t, parts, counts = frozen_model.estimate("fmx", (o, s), %(defaults)r, %(interned)r)
print(t, parts["modules"], parts["names"], parts["classes"], parts["functions"], parts["instances"],
      parts["buffers"], counts["functions"], counts["instances"])
w = frozen_model.walk("fmx", (o, s), %(defaults)r, %(interned)r)
for b, owner in w.largest(20):
    print(owner.replace(" ", "_"), b)
"""


def _package():
    d = tempfile.mkdtemp()
    os.mkdir(os.path.join(d, "fmx"))
    for name, text in (("__init__.py", INIT), ("sub.py", SUB)):
        with open(os.path.join(d, "fmx", name), "w") as f:
            f.write(text)
    return d


def _run_sample():
    d = _package()
    with open(os.path.join(d, "run.py"), "w") as f:
        f.write(RUN % {"dir": d, "tools": os.path.join(ROOT, "tools"),
                       "defaults": frozen_model.defaults_of(d, "fmx"),
                       "interned": frozen_model.interned_modules(d, "fmx")})
    r = subprocess.run([MP, os.path.join(d, "run.py")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    out = r.stdout.decode()
    assert r.returncode == 0, out
    lines = out.splitlines()
    owners = dict((o, int(b)) for o, b in (ln.split() for ln in lines[1:]))
    return [int(x) for x in lines[0].split()], owners


@needs_mp
def test_model_of_a_small_package_matches_the_hand_count():
    (t, modules, names, classes, functions, instances, buffers, nfun, ninst), _ = _run_sample()
    # fmx: module 16 B; dict 16 B + table for 11 entries (__name__, __file__, __path__,
    # sub, S, X, f, g, h, C, D) -> 12 slots x 8 B = 96 B; __path__ ".frozen/fmx" a str
    # (16 B + 12 -> 16 B). fmx.sub: 16 B + 16 B + 4 slots (__name__, __file__, IOBase,
    # S) 32 B
    assert modules == (16 + 16 + 96 + 32) + (16 + 16 + 32)
    # two modules fit sys.modules' first 3 slots; "fmx.sub" is a runtime qstr: the first
    # pool (24 + 20 x 6 = 144 B) and a 128-byte chunk
    assert names == 144 + 128
    # C: type 20 + 10 slots x 4 = 60 -> 64 B, dict 16 B + 4 slots (__module__,
    # __qualname__, m, n) 32 B; D(C): 20 + 11 x 4 = 64 B, dict 16 + 16; S(IOBase): a
    # protocol slot too, 68 -> 80 B, dict 16 + 16
    assert classes == (64 + 16 + 32) + (64 + 16 + 16) + (80 + 16 + 16)
    # f and m 16 B; g two defaults (24 -> 32 B); n one (20 -> 32 B); h a keyword-only
    # default: a slot (20 -> 32 B) and its dict (16 B + 1 slot -> 16 B)
    assert (functions, nfun) == (16 + 32 + (32 + 16 + 16) + 16 + 32, 5)
    # o: 16 B + 6 members -> 6 slots, 48 B; [None] * 6: 16 B + 24 -> 32 B; the bound
    # method 16 B; []: 16 B + the 4 slots a list starts with (16 B); "x" * 20: 16 B +
    # 21 -> 32 B. s: 16 B + the IOBase sub-object's word (20 -> 32 B), no members.
    assert (instances, ninst) == ((16 + 48) + (16 + 32) + 16 + (16 + 16) + (16 + 32) + 32, 2)
    # the bytearray: 16 B object + 40 -> 48 B of data
    assert buffers == 16 + 48
    assert t == modules + names + classes + functions + instances + buffers


@needs_mp
def test_model_says_who_takes_the_bytes():
    _, owners = _run_sample()
    # a module: its object, dict and __path__, and its defs (f 16, g 32, h 64 B)
    assert owners["fmx"] == (16 + 16 + 96 + 32) + (16 + 32 + 64)
    assert owners["fmx.sub"] == 16 + 16 + 32
    # a class: its type and dict, and its methods (m 16, n 32 B)
    assert owners["fmx.C"] == (64 + 16 + 32) + (16 + 32)
    assert owners["fmx.sub.S"] == 80 + 16 + 16
    # C(): the instance and all it holds (list, bound method, list, str, bytearray)
    assert owners["C()"] == (16 + 48) + (16 + 32) + 16 + (16 + 16) + (16 + 32) + (16 + 48)
    assert owners["S()"] == 32
    assert owners["sys.modules_and_qstrs"] == 144 + 128


def test_sizing_rules():
    # sys.modules: 3 slots (32 B) at start, then 4 (still 32 B), 6 (48 B) ... 17 (144 B)
    assert [frozen_model.loaded_modules_growth(n) for n in (0, 3, 4, 5, 14)] == [0, 0, 0, 16, 112]
    # one pool of 20 entries up to 20 names, a second of 40 (24 + 240 -> 272 B) past it;
    # 10 names of 15 characters fill 128-byte chunks: 8 (128 B) then 2 (32 -> 128 B left open)
    assert frozen_model.qstrs_size([]) == 0
    assert frozen_model.qstrs_size(["a.b"]) == 144 + 128
    assert frozen_model.qstrs_size(["x" * 15] * 10) == 144 + 128 + 128
    assert frozen_model.qstrs_size(["m"] * 21) == 144 + 272 + 128
    assert [frozen_model.map_alloc(n) for n in (1, 7, 12, 13, 47, 48)] == [2, 8, 12, 17, 47, 59]


def test_defaults_and_interned_names_are_read_from_the_source():
    names = frozen_model.defaults_of(os.path.join(ROOT, "lib"))
    assert names["qssl.modem.Modem.start"][0] >= 1  # start(self, pin=None, ...)
    assert "qssl.modem.Modem.poll" not in names  # poll(self)
    assert "qssl.check.text" in names  # a module-level def
    d = _package()
    assert frozen_model.defaults_of(d, "fmx") == {"fmx.g": (2, 0), "fmx.h": (0, 1), "fmx.C.n": (1, 0)}
    assert frozen_model.interned_modules(d, "fmx") == []  # only a relative import names fmx.sub
    with open(os.path.join(d, "fmx", "other.py"), "w") as f:
        f.write("import fmx.sub\n")
    assert frozen_model.interned_modules(d, "fmx") == ["fmx.sub"]


@needs_mp
def test_bench_prints_the_model_beside_the_romfs_figures():
    rom = bench_e2e.bench_romfs(tempfile.mkdtemp())
    assert rom is not None and set(rom["model"]) == {"import", "modem", "sockets"}
    imp, modem, socks = (rom["model"][k][0] for k in ("import", "modem", "sockets"))
    assert 0 < imp < modem < socks
    # the modem adds its buffers (ring, line, command) and no module; six sockets add
    # instances and the socket layer's modules
    assert rom["model"]["modem"][5] > rom["model"]["import"][5] == 0
    assert rom["model"]["sockets"][1] > rom["model"]["modem"][1]
