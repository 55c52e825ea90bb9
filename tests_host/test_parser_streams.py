"""Every stream of issue 2 fed whole, byte by byte and in random chunks: the events
must be identical and equal to the ones written down in tests_device/at_streams.py."""
import random

import pytest

from streams import CASES, events, parser_for, run, recv_header
from qssl import at

IDS = [c.name for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_whole(case):
    assert events(case, [0]) == case.events


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_byte_by_byte(case):
    assert events(case, [1]) == case.events


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_random_chunks(case, seed):
    rnd = random.Random(seed * 7919 + len(case.data))
    sizes = [rnd.randint(1, max(2, len(case.data) // 3)) for _ in range(32)]
    assert events(case, sizes) == case.events


def test_cases_cover_issue_streams():
    # The list in issue 2, section 3: keep the table from silently shrinking.
    names = set(IDS)
    for want in ("urc_between_echo_and_final", "urc_right_after_ok", "three_urcs_back_to_back",
                 "header_512_only_300_arrive", "announced_above_requested", "rdy_mid_response",
                 "overlong_line_then_ok", "cops_ok_mobile_and_okay", "cme_error",
                 "prompt_without_line_end", "unknown_then_known_urc", "quoted_field_with_comma",
                 "echo_lone_cr_lf_empty_lines", "noise_bytes"):
        assert want in names
    assert sum(1 for n in names if n.startswith("payload_")) >= 9


def test_partial_payload_waits_in_raw():
    case = next(c for c in CASES if c.name == "header_512_only_300_arrive")
    p = parser_for(case)
    run(p, case.data, [0])
    assert p.mode == at._M_RAW
    assert p.raw_left == 212
    assert p.raw_pos == 300


def test_counters():
    p = at.Parser(16)
    data = b"\x00\r\n+QFOO\r\n" + b"x" * 40 + b"\r\n\xff\r\nOK\r\n"
    got = run(p, data, [1])
    assert [e[0] for e in got] == [at._EV_LINE, at._EV_OVERFLOW, at._EV_LINE]
    assert p.unknown == 1 and p.overflows == 1 and p.noise == 2


def test_raw_without_destination_discards_and_keeps_sync():
    p = at.Parser()
    data = recv_header(6) + b"\r\nOK\r\n" + b"\r\nOK\r\n"
    p.set_raw_dst(None, 0, 0)
    i, end, evs = 0, len(data), []
    while i < end:
        ev = p.feed(data, i, end)
        i = p.pos
        if ev:
            evs.append((ev, p.kind if ev == at._EV_LINE else p.raw_dropped))
    assert evs == [(at._EV_LINE, at._K_UNKNOWN), (at._EV_RAW, 6), (at._EV_LINE, at._K_OK)]


def test_start_raw_by_owner():
    # the emulator's parser takes a payload whose length the command gave
    from quecsim.hostparser import HostParser

    p = HostParser()
    dst = bytearray(8)
    p.set_raw_dst(dst, 0, 8)
    p.start_raw(5)
    assert p.feed(b"ab\r\ncOK\r\n", 0, 9) == at._EV_RAW
    assert bytes(dst[:5]) == b"ab\r\nc" and p.pos == 5
    assert p.feed(b"ab\r\ncOK\r\n", 5, 9) == at._EV_LINE and p.kind == at._K_OK
    p.start_raw(0)
    assert p.mode == at._M_LINE


def test_reset_drops_half_line_and_raw():
    p = at.Parser()
    p.feed(b"\r\n+QSSL", 0, 7)
    p.reset()
    assert p.feed(b"OK\r\n", 0, 4) == at._EV_LINE and bytes(p.line[: p.n]) == b"OK"


def test_empty_feed_is_a_no_op():
    p = at.Parser()
    p.expect = b"+QSSLRECV:"
    head = recv_header(3)[:-1]  # ends with CR, its LF comes in the next chunk
    dst = bytearray(8)
    assert p.feed(head, 0, len(head)) == at._EV_LINE
    p.set_raw_dst(dst, 0, 8)
    assert p.feed(head, len(head), len(head)) == at._EV_NONE
    rest = b"\nabc\r\nOK\r\n"
    assert p.feed(rest, 0, len(rest)) == at._EV_RAW
    assert bytes(dst[: p.raw_pos]) == b"abc"
