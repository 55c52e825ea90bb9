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


_SLICE = {}


def _slice():
    if not _SLICE:
        t0 = time.monotonic()
        fz = fuzz_line.run(STREAMS, SEED)
        _SLICE["fz"] = fz
        _SLICE["text"] = report(fz, time.monotonic() - t0)
    return _SLICE["fz"], _SLICE["text"]


def test_fuzz_slice():
    fz, text = _slice()
    f = fz.fig
    assert f.streams == STREAMS
    assert f.calls > STREAMS  # the damage really met library calls
    assert not f.escaped, text
    assert f.over == 0, text
    assert not f.desyncs, text
    # What is left are double faults the library cannot see (see docs/decisions.md,
    # "Doubt about a send"): a well-formed stray SEND FAIL near a timeout, filler
    # ignored by a hung module. Only those kinds, and rare.
    assert set(f.violations) <= {"command text at the peer", "send count"}, text
    assert sum(f.violations.values()) <= STREAMS // 1000, text
    assert f.late <= STREAMS // 500, text


@pytest.mark.xfail(strict=True, reason="residual double faults: a stray SEND FAIL within 3 s of a timeout with "
                   "the true SEND OK late (sent twice), resync filler ignored by a hung module (command text at "
                   "the peer of a failed socket)")
def test_fuzz_slice_has_no_violation_at_all():
    fz, text = _slice()
    assert not fz.fig.violations, text


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


@pytest.mark.parametrize("k", [172686, 173395])
def test_streams_the_million_run_found(k):
    # Found by `tools/fuzz_line.py --streams 1000000 --seed 1`: a recv URC torn by another
    # while the clock is past 2**28 ms, so a probe time of 0 compared as "in the future"
    # and the read never asked the module ("stuck read"). Replayed from its session start.
    fz = fuzz_line.Fuzzer(1, 20)
    try:
        for j in range(k - k % 20, k + 1):
            if j == k:
                fz.fig = fuzz_line.Figures()
            fz.stream(j)
    finally:
        fz.restore()
    lines = []
    fz.out = lines.append
    fz.report(1.0)
    assert fz.fig.streams == 1 and not fz.fig.desyncs and not fz.fig.violations, "\n".join(lines)
