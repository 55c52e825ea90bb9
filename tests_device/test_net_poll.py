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


tinytest.main(globals())
