# asyncio without blocking the loop: open a connection and get asyncio streams, while
# other tasks run during the seconds the module takes to connect (TLS handshake).
# Everything else (reads, writes) already works as streams under asyncio's poller.
import asyncio  # MicroPython's built-in; on CircuitPython the asyncio library


async def connect(sock, address, poll_ms=20):
    """Connect sock (ctx.socket() or modem.tcp_socket()) without blocking the event
    loop: the open command runs at once, the wait for its result yields to other tasks.
    Honours the socket's timeout."""
    pause = poll_ms / 1000  # before the open: a bad poll_ms must not leave it half made
    sock.connect_start(address)
    while not sock.connect_poll():
        await asyncio.sleep(pause)
    return sock


async def open_connection(factory, host, port, timeout=None):
    """(reader, writer) asyncio streams over a new socket from factory: an SSLContext
    of the modem (module TLS) or the modem itself (plain TCP), as asyncio.open_connection."""
    sock = factory.socket() if hasattr(factory, "load_verify_locations") else factory.tcp_socket()
    sock.settimeout(timeout)
    try:
        await connect(sock, (host, port))
    except BaseException:
        sock.close()
        raise
    sock.setblocking(False)
    reader = asyncio.StreamReader(sock)
    return reader, asyncio.StreamWriter(sock, {})
