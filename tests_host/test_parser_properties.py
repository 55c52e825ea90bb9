"""Hypothesis properties of the AT parser.

- any chunking of any stream gives the same events;
- random bytes never raise (the parser defines no errors of its own) and leave every
  counter and index sane;
- after garbage, a line end resyncs: a valid response that follows is classified
  correctly (once an announced RAW length, if the garbage held a header, is served);
- RAW payloads of arbitrary bytes come out byte-exact.
"""
from hypothesis import given, settings, strategies as st, HealthCheck

from qssl import at
from quecsim.hostparser import HostParser
from streams import CASES, run, recv_header, recv_reply, parser_for

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Bytes biased towards what makes AT streams interesting.
TOKENS = [b"\r", b"\n", b"\r\n", b"OK", b"ERROR", b"> ", b"+CME ERROR: ", b'+QSSLURC: "recv",',
          b"+QSSLRECV: 1.2.3.4:5,TCP,", b"+QIRD: ", b"RDY", b"0, ", b"CLOSED", b",", b'"', b"\x00",
          b"\xff", b"AT", b"12", b"-3", b" "]
atoms = st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=8))
streams_st = st.lists(atoms, max_size=60).map(b"".join)
RAW_HEADS = (b"+QSSLRECV:", b"+QSSLRCV:", b"+QIRD:")


def cuts(data, points):
    """Chunk sizes from a sorted set of cut points."""
    pts = sorted({p % (len(data) + 1) for p in points} | {0, len(data)})
    return [b - a for a, b in zip(pts, pts[1:]) if b > a] or [0]


def fresh(line_size=64, expect=None, bare=False):
    p = HostParser(line_size)  # the library's parser, with the tests' field_eq
    p.expect = expect
    p.expect_bare = bare
    return p


@SETTINGS
@given(streams_st, st.lists(st.integers(0, 10_000), max_size=20),
       st.sampled_from([None, b"+QSSLRECV:", b"+COPS:"]), st.sampled_from([8, 64, 256]))
def test_any_chunking_same_events(data, points, expect, line_size):
    whole = run(fresh(line_size, expect), data, [0], 64)
    assert run(fresh(line_size, expect), data, cuts(data, points), 64) == whole
    assert run(fresh(line_size, expect), data, [1], 64) == whole


@SETTINGS
@given(st.sampled_from(CASES), st.lists(st.integers(0, 10_000), max_size=30))
def test_issue_streams_any_chunking(case, points):
    assert run(parser_for(case), case.data, cuts(case.data, points), case.raw_cap) == case.events


@SETTINGS
@given(st.binary(max_size=600), st.sampled_from([4, 32, 256]), st.booleans(),
       st.integers(1, 50))
def test_random_bytes_never_raise(data, line_size, bare, step):
    p = fresh(line_size, b"+QSSLSTATE:", bare)
    dst = bytearray(16)
    i = 0
    while i < len(data):
        stop = min(len(data), i + step)
        while i < stop:
            ev = p.feed(data, i, stop)
            assert p.pos > i or ev != at._EV_NONE or p.pos == stop
            i = p.pos
            if ev == at._EV_LINE:
                assert 0 < p.n <= line_size
                # field access on whatever came in must not raise either
                nf = p.fields(0)
                for k in range(nf):
                    p.field_int(k)
                    p.field_eq(k, b"x")
                at.parse_hex(p.line, 0, p.n)
                at.is_ipv4(p.line, 0, p.n)
                if p.mode == at._M_RAW:
                    p.set_raw_dst(dst, 0, len(dst))
            elif ev == at._EV_RAW:
                assert 0 <= p.raw_pos <= len(dst)
                assert p.raw_pos + p.raw_dropped == p.raw_len
    assert p.unknown >= 0 and p.overflows >= 0 and p.noise >= 0


def _no_raw_header(data):
    # A header announces a length; the bytes after it are payload by definition. The
    # parser drops 0x00/0xFF from lines, so look at the stream as the parser sees it.
    seen = data.replace(b"\x00", b"").replace(b"\xff", b"")
    return not any(h in seen for h in RAW_HEADS)


@SETTINGS
@given(streams_st.filter(_no_raw_header), st.sampled_from([b"\r\n", b"\r", b"\n"]),
       st.sampled_from([24, 64]), st.integers(1, 9))
def test_garbage_never_spoils_next_response(garbage, eol, line_size, step):
    p = fresh(line_size, b"+QSSLSTATE:")
    tail = b'\r\n+QSSLSTATE: 0,"TCP"\r\n\r\nOK\r\n'
    evs = run(p, garbage + eol + tail, [step], 0)
    assert evs[-2:] == [(at._EV_LINE, at._K_RESPONSE, b'+QSSLSTATE: 0,"TCP"', -1, None),
                        (at._EV_LINE, at._K_OK, b"OK", -1, None)]


@SETTINGS
@given(streams_st, st.integers(1, 9))
def test_garbage_with_headers_resyncs_after_announced_length(garbage, step):
    # Unfiltered garbage: if it left the parser inside a payload, serving the
    # announced remainder brings it back; a valid response is then classified right.
    p = fresh(64)
    run(p, garbage + b"\r\n", [step], 32)
    if p.mode == at._M_RAW:
        run(p, b"\x00" * p.raw_left, [0], 32)
    assert p.mode == at._M_LINE
    evs = run(p, b"\r\nOK\r\n", [step], 32)
    assert evs[-1] == (at._EV_LINE, at._K_OK, b"OK", -1, None)


@SETTINGS
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=4),
       st.lists(st.integers(0, 10_000), max_size=30),
       st.sampled_from([b"+QSSLRECV:", b"+QSSLRCV:"]))
def test_raw_payloads_byte_exact(payloads, points, spelling):
    data = b"".join(recv_reply(pl, spelling) for pl in payloads)
    p = fresh(64, spelling)
    evs = run(p, data, cuts(data, points), 300)
    got = [e[2] for e in evs if e[0] == at._EV_RAW]
    want = [pl for pl in payloads if pl]
    assert got == want
    assert [e[1] for e in evs if e[0] == at._EV_LINE].count(at._K_OK) == len(payloads)
    assert all(e[3] == 0 for e in evs if e[0] == at._EV_RAW)


@SETTINGS
@given(st.binary(min_size=1, max_size=200), st.integers(0, 199), st.integers(1, 7))
def test_raw_over_capacity_counts_excess(payload, cap, step):
    cap = min(cap, len(payload))
    data = recv_reply(payload)
    evs = run(fresh(64, b"+QSSLRECV:"), data, [step], cap)
    raw = [e for e in evs if e[0] == at._EV_RAW]
    assert raw == [(at._EV_RAW, len(payload), payload[:cap], len(payload) - cap, None)]
    assert evs[-1][1] == at._K_OK


def test_header_then_zero_length_is_line_mode():
    # An empty buffer answers a bare OK (ERRATA 10): a header announcing 0 bytes is a
    # damaged one (its length cut), counted as torn so that the read fails.
    p = fresh(64, b"+QSSLRECV:")
    evs = run(p, recv_header(0) + b"\r\nOK\r\n", [1], 16)
    assert [e[1] for e in evs] == [at._K_UNKNOWN, at._K_OK]
    assert p.torn == 1 and p.mode == at._M_LINE
