# SSL sockets under MicroPython's select.poll and asyncio, on the unix port, against
# the modem emulator on a pty (tools/run_device_tests.py starts it and passes its
# config as $QSSL_DEVICE_ENV). Skipped where there is no such environment.
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()

from devenv import connect  # noqa: E402


def echo_socket():
    return connect("echo", 10)


def test_poll_reports_pollin_when_data_arrives():
    tinytest.need("select")
    import select

    s = echo_socket()
    try:
        p = select.poll()
        p.register(s, select.POLLIN)
        # Right after connect nothing has been echoed: once the first empty read
        # is done, poll must time out instead of claiming data.
        s.setblocking(False)
        tinytest.eq(s.readinto(bytearray(8)), None)
        tinytest.eq(p.poll(200), [])
        s.setblocking(True)
        s.write(b"ping")
        events = p.poll(5000)
        tinytest.eq(len(events), 1)
        tinytest.eq(bool(events[0][1] & select.POLLIN), True, "POLLIN set")
        tinytest.eq(s.recv(4), b"ping")
    finally:
        s.close()


def test_asyncio_stream_reader_and_writer():
    tinytest.need("asyncio")
    import asyncio

    s = echo_socket()
    s.setblocking(False)
    got = []

    async def main():
        r = asyncio.StreamReader(s)
        w = asyncio.StreamWriter(s, {})
        w.write(b"hello from asyncio")
        await w.drain()
        data = b""
        while len(data) < 18:
            more = await asyncio.wait_for(r.read(64), 5)
            if not more:
                break
            data += more
        got.append(data)

    try:
        asyncio.run(main())
    finally:
        s.close()
    tinytest.eq(got, [b"hello from asyncio"])


def test_asyncio_two_sockets_interleave():
    tinytest.need("asyncio")
    import asyncio

    a = echo_socket()
    b = echo_socket()
    out = {}

    async def talk(s, tag):
        s.setblocking(False)
        r = asyncio.StreamReader(s)
        w = asyncio.StreamWriter(s, {})
        data = b""
        for k in range(3):
            msg = tag + str(k).encode()
            w.write(msg)
            await w.drain()
            want = len(data) + len(msg)
            while len(data) < want:
                data += await asyncio.wait_for(r.read(64), 5)
        out[tag] = data

    async def main():
        await asyncio.gather(talk(a, b"A"), talk(b, b"B"))

    try:
        asyncio.run(main())
    finally:
        a.close()
        b.close()
    tinytest.eq(out[b"A"], b"A0A1A2")
    tinytest.eq(out[b"B"], b"B0B1B2")




def test_asyncio_connect_lets_other_tasks_run():
    # qssl.aio.open_connection: the seconds the module spends on the TLS handshake are
    # yielded to the event loop. A 20 ms ticker must keep ticking meanwhile.
    tinytest.need("asyncio")
    import asyncio
    import time
    from devenv import world
    from qssl import aio

    from devenv import control

    w = world()
    gaps = []
    done = []
    # The open's result comes 1.5 s late: a connect that blocked the loop would stall the ticker.
    tinytest.eq(control("delay_next 1500 urc"), "ok")

    async def ticker():
        last = time.ticks_ms()
        while not done:
            await asyncio.sleep_ms(20)
            now = time.ticks_ms()
            gaps.append(time.ticks_diff(now, last))
            last = now

    async def main():
        t = asyncio.create_task(ticker())
        r, wr = await aio.open_connection(w["ctx"], w["cfg"]["echo_host"], w["cfg"]["echo_port"], 10)
        wr.write(b"async hello")
        await wr.drain()
        data = b""
        while len(data) < 11:
            data += await asyncio.wait_for(r.read(64), 5)
        done.append(1)
        await t
        wr.close()
        return data

    tinytest.eq(asyncio.run(main()), b"async hello")
    print("ticker: %d ticks, longest gap %d ms" % (len(gaps), max(gaps)))
    tinytest.eq(len(gaps) >= 3, True, "ticks during connect and echo")
    tinytest.eq(len(gaps) >= 40, True, "ticks while the open result was late")
    tinytest.eq(max(gaps) < 300, True, "longest gap %d ms" % max(gaps))


tinytest.main(globals())
