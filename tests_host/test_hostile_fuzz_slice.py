# A seeded slice of tools/fuzz_line.py (the fake module, virtual time): random line
# damage through send/recv/status/AT/connect/close, the issue-7 invariants checked
# after every stream. The full run (a million streams) is the script's job.
import pytest
import time

import fuzz_line

SEED = 20260
STREAMS = 6000


def report(fz, wall):
    lines = []
    fz.out = lines.append
    fz.report(wall)
    return "\n".join(lines)


@pytest.mark.xfail(strict=True, reason="open library bugs: a few recv cases (a byte cut inside the payload, a "
                   "stray final right after it) still deliver bytes that differ; see the closing note")
def test_fuzz_slice():
    t0 = time.monotonic()
    fz = fuzz_line.run(STREAMS, SEED)
    text = report(fz, time.monotonic() - t0)
    f = fz.fig
    assert f.streams == STREAMS
    assert f.calls > STREAMS  # the damage really met library calls
    assert not f.escaped, text
    assert f.over == 0, text
    assert not f.violations, text
    assert not f.desyncs, text


def test_fuzz_restores_the_real_clock():
    import qssl.engine
    from qssl import compat

    fuzz_line.run(3, SEED)
    assert qssl.engine.ticks_ms is compat.ticks_ms
    assert qssl.engine.sleep_ms is compat.sleep_ms


def test_sweep():
    # every URC kind and stray final at every offset of every chunk of a send, a read,
    # status() and AT; every byte of each cut; every byte the host writes lost
    t0 = time.monotonic()
    lines = []
    fz = fuzz_line.sweep(out=lines.append)
    text = "\n".join(lines)
    f = fz.fig
    assert f.streams > 1500
    assert not f.escaped, text
    assert f.over == 0, text
    assert not f.violations, text
    assert not f.desyncs, text
    # A byte lost from a send's length shows only at the next command: that one command
    # fails (and fails the sending socket), the one after works. Counted, and rare.
    assert f.late <= 2, text
    assert time.monotonic() - t0 < 30
