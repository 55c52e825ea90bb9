# Issue 7 sweep: each URC kind inserted at byte offsets of every response kind, single
# bytes dropped from each exchange of a send and a read (output and input), and stray
# finals inserted into them, each followed by fuzz_emu's invariant checks. Every
# offset of the "> " prompt is tried; for the other chunks a seeded sample (the full
# sweep is tools/fuzz_line.py --emu). A case runs with a 1 s socket timeout; one world
# (emulator, echo server, modem) serves the file and is rebuilt after a failed case.
import random

import pytest

import fuzz_emu as F

SEED = 7
T = 1.0
RECV_N = 20  # payload of a read case: header 36 + 20 + "\r\nOK\r\n" = 62 bytes
# (exchange, chunk kind, chunk length) of every response kind of the four exchanges
CHUNKS = [
    ("send", "prompt", 4),  # \r\n>space
    ("send", "final", 11),  # \r\nSEND OK\r\n
    ("recv", "response", 36 + RECV_N + 6),
    ("status", "response", 34),  # \r\n+QSSLSTATE: "IP STATUS"\r\n\r\nOK\r\n
    ("at", "final", 6),
]
_rng = random.Random(SEED)


def offsets(kind, length, sample):
    """Every offset (0..length) for the prompt, else `sample` of them, seeded; the
    first and last are always in."""
    every = list(range(length + 1))
    if kind == "prompt":
        return every
    return sorted(set([0, length] + _rng.sample(every[1:-1], sample)))


def urc_cases():
    for ex, kind, length in CHUNKS:
        for k in offsets(kind, length, 2):
            for name in sorted(F.URCS):
                yield pytest.param(ex, kind, k, name, id="%s-%s@%d-%s" % (ex, kind, k, name))


def drop_cases():
    for ex, kind, length in CHUNKS[:3]:
        for k in offsets(kind, length, 3 if ex == "recv" else 2):
            if k < length:
                yield pytest.param(ex, kind, k, id="%s-%s-cut@%d" % (ex, kind, k))


def stray_cases():
    for ex, kind, length in CHUNKS[:4]:
        for k in sorted(set([0, length - 6 if kind == "response" else 0])):
            for name in sorted(F.STRAYS):
                yield pytest.param(ex, kind, k, name, id="%s-%s@%d-%s" % (ex, kind, k, name))


class Runner:
    def __init__(self, pki):
        self.pki = pki
        self.world = None

    def run(self, ex, arm, what):
        if self.world is None:
            self.world = F.World(self.pki, timeout=T)
        ok = False
        try:
            F.run_case(self.world, ex, arm, what, recv_n=RECV_N)
            ok = True
        finally:
            if not ok:  # the next case starts from a fresh world
                self.world.stop()
                self.world = None

    def stop(self):
        if self.world is not None:
            self.world.stop()


@pytest.fixture(scope="module")
def runner(pki):
    r = Runner(pki)
    yield r
    r.stop()


@pytest.mark.parametrize("ex,kind,k,name", list(urc_cases()))
def test_urc_inserted(runner, ex, kind, k, name):
    urc = F.URCS[name]
    runner.run(ex, lambda emu: emu.faults.mangle_next(F.insert_at(k, urc), kind),
               "%s: %s inserted at %d of the %s" % (ex, name, k, kind))


@pytest.mark.parametrize("ex,kind,k", list(drop_cases()))
def test_byte_dropped(runner, ex, kind, k):
    runner.run(ex, lambda emu: emu.faults.mangle_next(F.cut_at(k), kind),
               "%s: byte %d of the %s dropped" % (ex, k, kind))


# Input side: byte k of what the host writes for the exchange (command line, then
# payload for a send) is lost before the module sees it.
@pytest.mark.parametrize("ex,k", [("send", 0), ("send", 11), ("send", 17), ("send", 18), ("send", 40),
                                  ("recv", 0), ("recv", 13), ("recv", 21)])
def test_input_byte_dropped(runner, ex, k):
    runner.run(ex, lambda emu: emu.faults.drop_in_at(k, 1), "%s: input byte %d dropped" % (ex, k))


@pytest.mark.parametrize("ex,kind,k,name", list(stray_cases()))
def test_stray_final_inserted(runner, ex, kind, k, name):
    extra = F.STRAYS[name]
    runner.run(ex, lambda emu: emu.faults.mangle_next(F.insert_at(k, extra), kind),
               "%s: stray %s at %d of the %s" % (ex, name, k, kind))
