"""The fault matrix's invariants (tools/fault_matrix.py) on a subset that meets every
fault and every moment: in-process on CPython, and a few cells on the MicroPython unix
port through the pty emulator. Invariants per cell (fault_matrix.problems): the user
got an OSError with a message (or nothing failed), the bytes delivered were the ones
sent, a connect works again with recover=True, a server signed by an unrelated CA is
refused at TLS afterwards with seclevel 1 read back, restarts and PDP losses are named,
nothing is left open in the module, and after an MCU reset six sockets open.
The full matrix: python tools/fault_matrix.py [--micropython]."""

import pytest

import fault_matrix as fm

# Cells with known problems: none since the library fixes (test_recovery_auto.py). The
# test pins exactly these, so a new problem shows up here.
KNOWN = {}


@pytest.fixture(scope="module")
def servers(pki):
    with fm.Servers(pki) as s:
        yield s


def test_the_subset_meets_every_fault_and_moment():
    assert {c[0] for c in fm.REPRESENTATIVE} == set(fm.FAULTS)
    assert {c[1] for c in fm.REPRESENTATIVE} == set(fm.MOMENTS)
    assert len(fm.select()) == len(fm.FAULTS) * len(fm.MOMENTS) == 60


@pytest.mark.parametrize("fault,moment", fm.REPRESENTATIVE, ids=["%s-%s" % c for c in fm.REPRESENTATIVE])
def test_cell_on_cpython(servers, fault, moment):
    r = fm.run_cell(servers, fault, moment)
    assert fm.problems(r) == KNOWN.get((fault, moment), []), fm.table([r], "%s/%s" % (fault, moment))
    # verification was really exercised: every rogue attempt ended with the unknown-CA alert
    assert r["rogue"] and r["rogue_refused_at_tls"] == len(r["rogue"]) and r["rogue_completed"] == 0
    assert r["module_seclevel"][0] == 1


def _good_result(**kw):
    r = {"fault": "restart", "moment": "idle", "saw": None, "old": [104, "[Errno 104] the module restarted"],
         "before": 1000, "intact": True, "reconnect_ms": 200, "tries": 1, "retry_errors": [],
         "rogue": [[103, "[Errno 103] connection failed"]], "seclevel": [1], "left": 0, "six": None,
         "stats": {}, "setup_error": None, "module_sockets": 0, "rogue_refused_at_tls": 1, "rogue_completed": 0}
    r.update(kw)
    return r


@pytest.mark.parametrize("change,problem", [
    ({}, None),
    ({"rogue": [None]}, "ROGUE SERVER ACCEPTED"),
    ({"rogue_completed": 1}, "rogue handshake completed"),
    ({"rogue_refused_at_tls": 0}, "not refused by the certificate check"),
    ({"seclevel": [0]}, "seclevel"),
    ({"intact": False}, "delivered bytes differ"),
    ({"reconnect_ms": None, "tries": 4}, "no reconnect"),
    ({"left": 1}, "left open"),
    ({"module_sockets": 2}, "left open"),
    ({"old": [104, "[Errno 104] send failed"]}, "cause (restart) not named"),
    ({"saw": [5, "[Errno 5] "]}, "saw error without a message"),
    ({"saw": [5, "[Errno 5] AT+QSECWRITE -> ERROR"]}, "the error seen does not name the cause"),
    ({"fault": "peer_close", "old": [0, "end of stream"]}, None),
    ({"fault": "mcu_reset", "old": None, "six": [12, "ENOMEM"]}, "six sockets"),
])
def test_the_judge_finds_each_broken_invariant(change, problem):
    p = fm.problems(_good_result(**change))
    if problem is None:
        assert p == []
    else:
        assert any(problem in x for x in p), p


def test_table_and_grid_show_every_cell():
    rs = [_good_result(), _good_result(fault="hang", moment="send", reconnect_ms=None, tries=4)]
    t = fm.table(rs, "t")
    assert t.count("\n| restart | idle |") == 1 and "no reconnect in 4 tries" in t
    g = fm.grid(rs)
    assert "| restart | 0.2s |" in g and "| hang |  | FAIL |" in g


MICROPYTHON_KNOWN = {}


def test_subset_on_micropython(servers):
    import mpbridge

    if not mpbridge.find_micropython():
        pytest.skip("the MicroPython unix port is not installed")
    results = fm.run_micropython(servers, fm.MICROPYTHON_SUBSET, timeout=300)
    assert [(r["fault"], r["moment"]) for r in results] == list(fm.MICROPYTHON_SUBSET)
    bad = {}
    for r in results:
        p = fm.problems(r)
        if p != MICROPYTHON_KNOWN.get((r["fault"], r["moment"]), []):
            bad[(r["fault"], r["moment"])] = p
        assert r["rogue_refused_at_tls"] == len(r["rogue"]) >= 1
    assert bad == {}, fm.table(results, "MicroPython subset")
    hang = [r for r in results if r["fault"] == "hang"][0]
    assert hang["stats"]["power_cycles"] == 1  # through boards/unix.ControlPower
