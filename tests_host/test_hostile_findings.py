# Issue 7, the line findings of round 1, each against the emulator: a lost or damaged
# "> " prompt, stray finals, a bogus +QSSLRECV header, answers that come after the
# library gave up, readiness URCs inside a response. After each, fuzz_emu.run_case
# checks the invariants: only OSError escapes, the call keeps its timeout (+0.5 s),
# payload is byte-exact or the socket fails, the module is not left waiting for
# payload (a raw AT answers OK, the emulator is in command mode), status() gets its
# own answer, the peer never receives command text, and a new socket echoes.
import errno
import time

import pytest

import fuzz_emu as F


@pytest.fixture
def world(pki):
    w = F.World(pki)
    yield w
    w.stop()


@pytest.fixture
def trickle(pki):
    """Input handed to the library 4 bytes a read: a stray line is read on its own."""
    w = F.World(pki, wrap=F.TricklePort)
    yield w
    w.stop()


def prompt(fn):
    return lambda emu: emu.faults.mangle_next(fn, "prompt")


def final(fn):
    return lambda emu: emu.faults.mangle_next(fn, "final")


def response(fn):
    return lambda emu: emu.faults.mangle_next(fn, "response")


# --- the "> " prompt ------------------------------------------------------------------------------
def test_lost_prompt(world):
    exc = F.run_case(world, "send", prompt(lambda c: b""), "prompt lost")
    assert exc is not None and exc.errno == errno.ETIMEDOUT


@pytest.mark.parametrize("k,n", [(0, 2), (2, 1), (3, 1), (2, 2)])
def test_prompt_bytes_dropped(world, k, n):
    F.run_case(world, "send", prompt(F.cut_at(k, n)), "prompt cut %d at %d" % (n, k))


def test_stray_ok_instead_of_prompt(world):
    exc = F.run_case(world, "send", prompt(lambda c: b"\r\nOK\r\n"), "OK instead of the prompt")
    assert exc is not None


def test_stray_ok_before_prompt(world):
    # the OK is no answer to a send: counted as stray, the prompt that follows is taken
    assert F.run_case(world, "send", prompt(F.insert_at(0, F.STRAYS["ok"])), "OK, then the prompt") is None


@pytest.mark.parametrize("name", ["error", "cme", "rdy"])
def test_error_line_before_prompt_leaves_no_payload_wait(world, name):
    # A stray ERROR (or +CME ERROR, or a look-alike RDY) ends the send, but the prompt
    # comes after it: the module waits for the 200 bytes. The library must feed them
    # (resync) before its next command, or AT+QSSLCLOSE goes to the peer as payload.
    extra = dict(F.STRAYS, **F.URCS)[name]
    exc = F.run_case(world, "send", prompt(F.insert_at(0, extra)), "%s before the prompt" % name)
    assert exc is not None


def test_close_after_error_before_prompt_is_not_payload(world):
    # The smallest form of the case above: send, then close. The peer must not get
    # "AT+QSSLCLOSE=0" as data, and the module must be back in command mode.
    s = world.socket()
    world.emu.faults.mangle_next(F.insert_at(0, b"\r\nERROR\r\n"), "prompt")
    with pytest.raises(OSError):
        s.send(F.payload(50))
    s.close()
    world.settle()
    assert world.module_waiting() == ""
    assert not any(b"AT+" in d for d in world.peer_data())


@pytest.mark.parametrize("where", ["prompt", "final"])
def test_bogus_recv_header_in_send(world, where):
    # "+QSSLRECV: 1,999" makes the parser count 999 payload bytes: it swallows the
    # prompt (or SEND OK) and whatever follows.
    bogus = b"\r\n+QSSLRECV: 1,999\r\n"
    exc = F.run_case(world, "send", lambda emu: emu.faults.mangle_next(F.insert_at(0, bogus), where),
                     "bogus header before the %s" % where)
    assert exc is not None


# --- answers that come after the library gave up ----------------------------------------------------
def test_late_send_ok_is_not_the_next_sends_answer(world):
    s1 = world.socket(timeout=0.5)
    s2 = world.socket(timeout=4)
    world.emu.faults.delay_next(1500, "final")  # SEND OK, and all output after it
    _, exc, _ = F.timed(s1.send, 0.5, F.payload(100))
    assert exc is not None and exc.errno == errno.ETIMEDOUT
    # The module refuses every send now: a late SEND OK must not pass for s2's answer.
    world.emu.faults.send_fail(1000)
    try:
        n, exc, _ = F.timed(s2.send, 4, F.payload(80, 3))
    finally:
        world.emu.faults.send_fail(0)
    assert exc is not None, "send returned %r though the module answered SEND FAIL" % n
    # s1 failed; s2 goes on with exactly what was sent
    with pytest.raises(OSError):
        s1.send(b"x")
    data = F.payload(60, 4)
    assert s2.send(data) == 60
    got, exc = F.read_rest(s2, data, bytearray())
    assert exc is None and bytes(got) == data
    F.timed(s1.close, 5)
    F.timed(s2.close, 5)
    F.check_clean(world, "late SEND OK")


def test_late_read_answer_is_not_the_next_sends_answer(world):
    s1 = world.socket(timeout=0.5)
    s2 = world.socket(timeout=4)
    s1.sendall(F.payload(100, 5))
    assert world.wait_ready(s1)
    world.emu.faults.delay_next(1500, "response")  # header, payload, OK; all after it waits
    _, exc, _ = F.timed(s1.recv, 0.5, 1500)
    assert exc is not None and exc.errno == errno.ETIMEDOUT
    world.emu.faults.send_fail(1000)
    try:
        n, exc, _ = F.timed(s2.send, 4, F.payload(80, 3))
    finally:
        world.emu.faults.send_fail(0)
    assert exc is not None, "send returned %r though the module answered SEND FAIL" % n
    data = F.payload(60, 6)
    assert s2.send(data) == 60
    got, exc = F.read_rest(s2, data, bytearray())
    assert exc is None and bytes(got) == data
    F.timed(s1.close, 5)
    F.timed(s2.close, 5)
    F.check_clean(world, "late read answer")


def test_stray_ok_read_alone_before_a_read_answer(trickle):
    # The OK is read on its own and looks like "nothing buffered"; the real answer
    # (header, payload, OK) follows. Its data must be delivered or the socket fail:
    # never a gap in the stream.
    F.run_case(trickle, "recv", response(F.insert_at(0, F.STRAYS["ok"])), "OK before the read answer")


@pytest.mark.parametrize("name", ["error", "cme"])
def test_error_before_read_answer_leaves_no_gap(world, name):
    extra = dict(F.STRAYS, **F.URCS)[name]
    F.run_case(world, "recv", response(F.insert_at(0, extra)), "%s before the read answer" % name)


def test_error_between_payload_and_ok_leaves_no_gap(world):
    # the payload already went into the caller's buffer when +CME ERROR ends the read
    def before_ok(c):
        return c[:-6] + b"\r\n+CME ERROR: 3\r\n" + c[-6:]

    F.run_case(world, "recv", response(before_ok), "+CME ERROR between payload and OK")


# --- readiness URCs inside a response ----------------------------------------------------------------
READY = b"\r\nCall Ready\r\n\r\nSMS Ready\r\n"


def test_ready_urcs_inside_status_table(world):
    s = world.socket()
    try:
        def between_rows(c):
            k = c.index(b"\r\n", 2) + 2  # after the state line
            return c[:k] + READY + c[k:]

        exc = F.case_status(world, response(between_rows), "Call Ready in the table")
        assert exc is None
        state, rows = world.m.status()
        assert [r[0] for r in rows] == [s.ssid]
    finally:
        s.close()
    F.check_clean(world, "Call Ready in the table")


def test_ready_urcs_inside_read_answer(world):
    exc = F.run_case(world, "recv", response(lambda c: c[:-6] + READY + c[-6:]), "Call Ready before OK")
    assert exc is None


@pytest.mark.parametrize("where", ["prompt", "final"])
def test_ready_urcs_inside_send(world, where):
    exc = F.run_case(world, "send", lambda emu: emu.faults.mangle_next(F.insert_at(0, READY), where),
                     "Call Ready before the %s" % where)
    assert exc is None


def test_ready_urcs_keep_live_socket(world):
    s = world.socket()
    try:
        world.emu.faults.unknown_urc("Call Ready")
        world.emu.faults.unknown_urc("SMS Ready")
        data = F.payload(300, 8)
        s.sendall(data)
        got, exc = F.read_rest(s, data, bytearray())
        assert exc is None and bytes(got) == data
        assert world.m.restarts == 0
    finally:
        s.close()


def test_every_call_keeps_time_after_a_stray(world):
    # a stray final between two calls is no answer for either, and costs no timeout
    s = world.socket()
    try:
        world.emu.faults.noise(b"\r\nOK\r\n\r\nSEND OK\r\n\r\nERROR\r\n")
        time.sleep(0.05)
        n, exc, _ = F.timed(s.send, world.timeout, F.payload(40))
        assert exc is None and n == 40
        F.go_on(s, F.payload(40), bytearray(), "strays between calls")
    finally:
        s.close()
    F.check_clean(world, "strays between calls")


# --- found by tools/fuzz_line.py ----------------------------------------------------------------------
def test_late_answers_to_resync_tries_are_not_later_answers(trickle):
    # The read's answer and all after it come 3 s late. The resync before status()
    # sends AT+CMEE? more than once; the held answers arrive while its second try
    # waits: the first "+CMEE: 1"/OK ends the resync and the second try's answer is
    # still on its way (read 4 bytes at a time here). It must not pass for the answer
    # of status() (which returned (None, []) in round 2) or of AT.
    world = trickle
    s = world.socket(timeout=0.5)
    s.sendall(F.payload(60, 5))
    assert world.wait_ready(s)
    world.emu.faults.delay_next(3000, "response")  # released while resync try 2 waits
    _, exc, _ = F.timed(s.recv, 0.5, 1500)
    assert exc is not None and exc.errno == errno.ETIMEDOUT
    state, rows = F.timed(world.m.status, 8.0, 8000)[0]
    assert state in ("IP STATUS", "IP PROCESSING")
    assert sorted(r[0] for r in rows) == world.module_sockets()
    s.close()
    F.check_clean(world, "late resync answers")
    F.check_clean(world, "late resync answers, twice")


def test_lost_recv_urc_does_not_jam_the_socket(world):
    # One byte of the "recv" URC is lost. The module sends no other URC while its
    # buffer is not empty, so unless the library reads anyway, the data (and all that
    # follows) is never delivered. It must arrive, or the socket fail.
    s = world.socket(timeout=1)
    try:
        world.emu.faults.mangle_next(F.cut_at(5), "urc")
        data = F.payload(80, 1)
        s.sendall(data)
        got = bytearray()
        failed = None
        for attempt in range(5):
            if attempt == 2:
                s.sendall(F.payload(20, 2))  # more data: still no URC from the module
                data += F.payload(20, 2)
            try:
                got += s.recv(1500)
            except OSError as e:
                if e.errno != errno.ETIMEDOUT:
                    failed = e
                    break
            if len(got) >= len(data):
                break
        assert failed is not None or bytes(got) == data, \
            "after 5 reads: %d of %d bytes, the module holds %d" % (
                len(got), len(data), world.emu.call(lambda: len(world.emu.state.sockets[s.ssid].rx)))
    finally:
        s.close()


@pytest.mark.parametrize("how", ["nonblocking", "poll"])
def test_lost_recv_urc_reaches_a_polling_reader(world, how):
    # The same lost URC, with a reader that never blocks: recv() with timeout 0, or
    # select.poll() then recv(). The data must arrive within a few probe periods.
    import time

    s = world.socket(timeout=1)
    try:
        world.emu.faults.mangle_next(F.cut_at(5), "urc")
        data = F.payload(60, 7)
        s.sendall(data)
        s.settimeout(0)
        got = bytearray()
        t_end = time.monotonic() + 6
        while len(got) < len(data) and time.monotonic() < t_end:
            if how == "poll":
                # the qssl socket is not a CPython file object: ask its ioctl as poll would
                if not s.ioctl(3, 1) & 1:  # MP_STREAM_POLL, POLLIN
                    time.sleep(0.05)
                    continue
            try:
                chunk = s.recv(1500)
            except OSError as e:
                assert e.errno == errno.EAGAIN, e
                time.sleep(0.05)
                continue
            got += chunk or b""
        assert bytes(got) == data, "%d of %d bytes after 6 s" % (len(got), len(data))
    finally:
        s.settimeout(1)
        s.close()


def test_lost_pdp_deact_urc_next_connect_recovers(world):
    # "+PDP DEACT" itself is lost; the "closed" URCs that follow it are seen. The
    # context is gone: the next connect must bring it back, not fail for ever.
    s = world.socket()
    world.emu.faults.mangle_next(lambda c: b"", "urc")
    world.emu.faults.pdp_deact()
    world.settle()
    s.close()
    state, _ = world.m.status()
    assert state == "PDP DEACT"
    for attempt in range(2):
        try:
            F.echo_works(world, "after a lost +PDP DEACT")
            break
        except OSError:
            if attempt:
                raise
    F.check_clean(world, "after a lost +PDP DEACT")


def test_payload_bytes_lost_on_the_way_in_are_not_completed_by_commands(world):
    # 3 payload bytes are lost before the module: it waits for 3 more after the
    # library finished writing. The library times out on SEND OK; what it writes next
    # must not complete the payload with command text ("\rAT" to the peer).
    s = world.socket(timeout=1)
    world.emu.faults.drop_in_at(len(b"AT+QSSLSEND=0,100\r") + 50, 3)
    _, exc, _ = F.timed(s.send, 1, F.payload(100))
    assert exc is not None
    F.timed(s.close, 5)
    world.settle()
    F.check_clean(world, "payload bytes lost on the way in")


@pytest.mark.parametrize("k", [5, 17, 26, 60, 75])
def test_damaged_status_table_is_an_error_not_a_wrong_answer(world, k):
    # One byte cut from the table (a socket is open: "IP PROCESSING"): in "+QSSLSTATE"
    # (the state line is then unknown), in the state word, or near its end. status()
    # must raise OSError(EIO) or give the true state; round 2 returned (None, rows),
    # "IPPROCESSING" and "IP PROCESSIG".
    s = world.socket()
    try:
        world.emu.faults.mangle_next(F.cut_at(k), "response")
        try:
            state, rows = world.m.status()
        except OSError as e:
            assert e.errno == 5, repr(e)
        else:
            assert state == "IP PROCESSING" and [r[0] for r in rows] == [s.ssid], (state, rows)
    finally:
        s.close()
    F.check_clean(world, "damaged status table")


def test_final_after_final_is_not_the_next_commands_answer(world):
    # "OK" and a stray "ERROR" in one read: AT takes the OK; the ERROR was there before
    # the next command was written, so it cannot be that command's answer.
    world.emu.faults.mangle_next(lambda c: c + b"\r\nERROR\r\n", "final")
    assert world.m.eng.command(b"AT", 2000) == 1
    time.sleep(0.05)
    state, rows = world.m.status()
    assert state in ("IP STATUS", "IP PROCESSING")
    F.check_clean(world, "a final after the final")
