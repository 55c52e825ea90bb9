"""adafruit_minimqtt (the CircuitPython MQTT client, run on CPython as CircuitPython
would call it) through the module's own TLS with a client certificate: socket_pool is
qssl.SocketPool(modem), ssl_context is modem.ssl_context(0). Against a real Mosquitto
whose listener requires a client certificate and offers only the module's suites,
through the in-process emulator."""
import errno
import time

import pytest

minimqtt = pytest.importorskip("adafruit_minimqtt.adafruit_minimqtt")
acm = pytest.importorskip("adafruit_connection_manager")

import qssl  # noqa: E402
from testnet.mosquitto import Broker, find_mosquitto  # noqa: E402

HOST, PORT = "example.com", 8883
KEEPALIVE = 2  # seconds: the broker drops a client silent for 1.5 times this
PINGRESP = 0xD0


@pytest.fixture(scope="module")
def broker(pki, tmp_path_factory):
    exe = find_mosquitto(install=True)
    if exe is None:
        pytest.skip(find_mosquitto.reason)
    with Broker(pki, str(tmp_path_factory.mktemp("mosquitto")), exe) as b:
        yield b


@pytest.fixture
def parts(pki, broker):
    """(pool, ssl_context, emulator): the modem attached, CA and client certificate loaded."""
    from conftest import make_emulator

    emu = make_emulator({(HOST, PORT): ("127.0.0.1", broker.module_port)})
    emu.start()
    pool = None
    try:
        emu.boot()
        modem = qssl.Modem(emu.port())
        modem.start()
        modem.attach(apn="CMNET")
        ctx = modem.ssl_context(0)
        ctx.load_verify_locations(cadata=pki.ca_pem)
        ctx.load_cert_chain(pki.client_cert_pem, pki.client_key_pem)
        pool = qssl.SocketPool(modem)
        yield pool, ctx, emu
    finally:
        if pool is not None:
            try:
                acm.connection_manager_close_all(pool)
            except RuntimeError:
                pass  # nothing got as far as a connection manager
        emu.stop()


def client(parts, name, keep_alive=60):
    pool, ctx, _ = parts
    c = minimqtt.MQTT(broker=HOST, port=PORT, is_ssl=True, socket_pool=pool, ssl_context=ctx,
                      client_id=name, keep_alive=keep_alive, recv_timeout=5, connect_retries=1,
                      use_binary_mode=True)
    c.inbox = []
    c.on_message = lambda cl, topic, msg: c.inbox.append((topic, bytes(msg)))
    return c


def wait_for(c, n, timeout_s=10.0):
    end = time.monotonic() + timeout_s
    while len(c.inbox) < n:
        assert time.monotonic() < end, "%d of %d messages in %ss" % (len(c.inbox), n, timeout_s)
        c.loop(1)
    return c.inbox


def test_connect_subscribe_publish_qos0_qos1(parts, broker):
    c = client(parts, "qssl-minimqtt")
    c.connect()
    try:
        c.subscribe("qssl/mm", qos=1)
        big = bytes(range(256)) * 12
        c.publish("qssl/mm", b"qos0 over module TLS", qos=0)
        c.publish("qssl/mm", b"qos1 over module TLS", qos=1)  # waits for the PUBACK
        c.publish("qssl/mm", big, qos=1)
        got = wait_for(c, 3)
        assert got[:2] == [("qssl/mm", b"qos0 over module TLS"), ("qssl/mm", b"qos1 over module TLS")]
        assert got[2] == ("qssl/mm", big)
    finally:
        c.disconnect()
    log = broker.log_tail(50)
    assert "on port %d" % broker.module_port in log and "as qssl-minimqtt " in log, log


def test_keepalive_pings_over_an_idle_period(parts):
    c = client(parts, "qssl-mm-ka", keep_alive=KEEPALIVE)
    c.connect()
    try:
        c.subscribe("qssl/mm-ka")
        rcs = []
        end = time.monotonic() + 2.5 * KEEPALIVE  # idle: longer than the keepalive
        while time.monotonic() < end:
            rcs += c.loop(1) or []  # loop() sends PINGREQ once keep_alive has passed
        assert rcs.count(PINGRESP) >= 2, rcs
        c.publish("qssl/mm-ka", b"after idle")
        assert wait_for(c, 1) == [("qssl/mm-ka", b"after idle")]
    finally:
        c.disconnect()


def test_broker_restart_is_a_clear_error_then_reconnect(parts, broker):
    c = client(parts, "qssl-mm-rs", keep_alive=KEEPALIVE)
    c.connect()
    c.subscribe("qssl/mm-rs")
    broker.stop()
    # The next packet sent (a ping here, a publish alike) meets the closed connection.
    # (loop() alone would see the end of the stream as "Unable to receive 1 bytes
    # within recv_timeout seconds".)
    t0 = time.monotonic()
    with pytest.raises(OSError) as ei:
        while time.monotonic() - t0 < 10:
            c.ping()
            time.sleep(0.1)
    print("broker down:", repr(ei.value), "after %.2f s" % (time.monotonic() - t0))
    assert ei.value.errno == errno.ECONNRESET, ei.value
    broker.start()
    c.reconnect()  # drops what is left, connects, subscribes again
    try:
        c.publish("qssl/mm-rs", b"after restart")
        assert wait_for(c, 1) == [("qssl/mm-rs", b"after restart")]
    finally:
        c.disconnect()
