# MQTT with MicroPython's umqtt.simple (micropython-umqtt.simple, unmodified) against a
# real Mosquitto, through the emulator, on both TLS paths:
#   module TLS with a client certificate (the listener requires one), and
#   mbedTLS over the module's TCP (the listener offers ECDHE with AES-GCM only).
# umqtt.simple imports its own socket module; qssl.mqttsock.SocketModule stands in for it.
# The world (tools/testnet/tlsworld.py) is started by tests_host/test_modern_tls_device.py,
# which passes its config as $QSSL_DEVICE_ENV; the broker is stopped and started through
# the world's control port. Elsewhere every test skips.
import sys

sys.path.insert(0, "tests_device")
import tinytest

tinytest.setup_path()
import errno  # noqa: E402
import time  # noqa: E402

from devenv import world  # noqa: E402

KEEPALIVE = 2  # seconds; the broker drops a client silent for 1.5 times this
_clients = {}


def cfg():
    try:
        c = world()["cfg"]
    except OSError as e:
        raise tinytest.Skip("no emulator world: %r" % (e,))
    if "mqtt_port" not in c:
        raise tinytest.Skip("the world has no MQTT broker (start tools/testnet/tlsworld.py)")
    if c.get("mqtt_skip"):
        raise tinytest.Skip(c["mqtt_skip"])
    if not c.get("umqtt_dir"):
        raise tinytest.Skip("umqtt.simple was not fetched (tools/testnet/umqtt.py)")
    if c["umqtt_dir"] not in sys.path:
        sys.path.append(c["umqtt_dir"])
    return c


def broker(cmd):
    """Ask the world to stop/start/restart the broker (a loopback control socket)."""
    import socket

    s = socket.socket()
    try:
        s.connect(socket.getaddrinfo("127.0.0.1", cfg()["control_port"])[0][-1])
        s.write(cmd.encode() + b"\n")
        answer = s.read(200)
    finally:
        s.close()
    tinytest.eq(answer.strip(), b"ok", "broker " + cmd)


def socket_module(path):
    """qssl.mqttsock.SocketModule for "module" (module TLS, client certificate in
    context 1) or "mbedtls" (mbedTLS over the module's TCP)."""
    from qssl import mqttsock

    c = cfg()
    m = world()["modem"]
    if path == "module":
        ctx = m.ssl_context(1)
        if ctx.certfile is None:
            ctx.load_verify_locations(cadata=c["ca_pem"])
            ctx.load_cert_chain(c["client_cert_pem"], c["client_key_pem"])
        return mqttsock.SocketModule(m, ssl_context=ctx, timeout=10)
    return mqttsock.SocketModule(m, tls=mqttsock.tls_context(c["ca_pem"]), timeout=10)


def port(path):
    c = cfg()
    return c["mqtt_port"] if path == "module" else c["mqtt_modern_port"]


class Inbox:
    def __init__(self):
        self.got = []

    def __call__(self, topic, msg):
        self.got.append((bytes(topic), bytes(msg)))


def client(path, name, keepalive=KEEPALIVE):
    c = cfg()  # puts umqtt.simple on the path
    from umqtt import simple

    simple.socket = socket_module(path)  # the adapter in place of umqtt's usocket
    cl = simple.MQTTClient(name, c["mqtt_host"], port=port(path), keepalive=keepalive)
    cl.inbox = Inbox()
    cl.set_callback(cl.inbox)
    return cl


def wait_for(cl, n, limit_ms=10000):
    t0 = time.ticks_ms()
    while len(cl.inbox.got) < n:
        if time.ticks_diff(time.ticks_ms(), t0) > limit_ms:
            raise AssertionError("%d of %d messages in %d ms" % (len(cl.inbox.got), n, limit_ms))
        cl.check_msg()
        time.sleep_ms(10)
    return cl.inbox.got


def drop(cl):
    try:
        cl.sock.close()
    except OSError:
        pass


def no_sockets_left():
    tinytest.eq(world()["modem"].status()[1], [], "sockets left in the module")


def roundtrip(path):
    topic = b"qssl/test/" + path.encode()
    cl = client(path, "qssl-" + path)
    cl.connect()
    try:
        cl.subscribe(topic, qos=1)
        big = bytes(range(256)) * 12  # 3 KB: more than one read from the module
        cl.publish(topic, b"qos0 over " + path.encode(), qos=0)
        cl.publish(topic, b"qos1 over " + path.encode(), qos=1)  # returns on PUBACK
        cl.publish(topic, big, qos=1)
        got = wait_for(cl, 3)
        tinytest.eq(got[0], (topic, b"qos0 over " + path.encode()), "QoS 0 back")
        tinytest.eq(got[1], (topic, b"qos1 over " + path.encode()), "QoS 1 back")
        tinytest.eq(got[2] == (topic, big), True, "3 KB message back byte-exact")
        cl.disconnect()
    except BaseException:
        drop(cl)
        raise
    no_sockets_left()


def keepalive_over_idle(path, idle_ms=3500):
    # Longer idle than the keepalive: pings keep the session; the broker would drop a
    # client silent for 1.5 x keepalive (test_keepalive_is_enforced_by_the_broker).
    topic = b"qssl/ka/" + path.encode()
    cl = client(path, "qssl-ka-" + path)
    cl.connect()
    try:
        cl.subscribe(topic, qos=0)
        t0 = time.ticks_ms()
        last = t0
        pings = 0
        while time.ticks_diff(time.ticks_ms(), t0) < idle_ms:
            if time.ticks_diff(time.ticks_ms(), last) >= 1000:  # half the keepalive
                cl.ping()
                pings += 1
                last = time.ticks_ms()
            cl.check_msg()  # reads the PINGRESPs
            time.sleep_ms(20)
        tinytest.eq(pings >= 3, True, "pings sent: %d" % pings)
        cl.publish(topic, b"after idle")
        tinytest.eq(wait_for(cl, 1)[0], (topic, b"after idle"), "still subscribed")
        cl.disconnect()
    except BaseException:
        drop(cl)
        raise
    no_sockets_left()


def restart_midsession(path):
    topic = b"qssl/restart/" + path.encode()
    cl = client(path, "qssl-rs-" + path, keepalive=10)
    cl.connect()
    cl.subscribe(topic)
    broker("stop")
    err = None
    t0 = time.ticks_ms()
    try:
        while time.ticks_diff(time.ticks_ms(), t0) < 15000:
            cl.ping()
            cl.check_msg()
            time.sleep_ms(200)
    except OSError as e:
        err = e
    dt = time.ticks_diff(time.ticks_ms(), t0)
    print("%s: broker down -> %r after %d ms" % (path, err, dt))
    tinytest.eq(err is not None, True, "an error once the broker is gone")
    tinytest.eq(err.args[0] in (errno.ECONNRESET, -1), True, "a reset or end of stream: %r" % (err,))
    drop(cl)
    broker("start")
    for attempt in range(20):  # bounded: the broker is up, give the module a moment
        try:
            cl.connect()
            break
        except OSError as e:
            drop(cl)
            print("reconnect attempt", attempt, repr(e))
            time.sleep_ms(250)
    else:
        raise AssertionError("no reconnect in 20 attempts")
    try:
        cl.subscribe(topic)
        cl.publish(topic, b"after restart")
        tinytest.eq(wait_for(cl, 1)[0], (topic, b"after restart"), "works after reconnecting")
        cl.disconnect()
    except BaseException:
        drop(cl)
        raise
    no_sockets_left()


def test_module_tls_roundtrip():
    roundtrip("module")


def test_mbedtls_roundtrip():
    roundtrip("mbedtls")


def test_module_tls_keepalive_over_idle():
    keepalive_over_idle("module")


def test_mbedtls_keepalive_over_idle():
    keepalive_over_idle("mbedtls")


def test_keepalive_is_enforced_by_the_broker():
    # The control for the two tests above: without pings the broker closes the session.
    cl = client("mbedtls", "qssl-silent")
    cl.connect()
    time.sleep_ms(int(KEEPALIVE * 1500) + 1000)
    try:
        for _ in range(150):  # up to 15 s more: a loaded machine delays the broker's check
            cl.check_msg()
            time.sleep_ms(100)
        raise AssertionError("the broker kept a silent client")
    except OSError as e:
        print("silent client dropped:", repr(e))
    finally:
        drop(cl)
    no_sockets_left()


def test_module_tls_broker_restart():
    restart_midsession("module")


def test_mbedtls_broker_restart():
    restart_midsession("mbedtls")


def test_module_tls_listener_requires_the_client_certificate():
    c = cfg()
    from qssl import mqttsock
    from umqtt import simple

    m = world()["modem"]
    ctx = m.ssl_context(2)  # CA only, no client certificate
    ctx.load_verify_locations(cadata=c["ca_pem"])
    simple.socket = mqttsock.SocketModule(m, ssl_context=ctx, timeout=10)
    cl = simple.MQTTClient("qssl-nocert", c["mqtt_host"], port=c["mqtt_port"])
    try:
        cl.connect()
        raise AssertionError("connected without a client certificate")
    except OSError as e:
        tinytest.eq(e.args[0] in (errno.ECONNABORTED, errno.ECONNRESET, -1), True, repr(e))
    finally:
        drop(cl)
    no_sockets_left()


tinytest.main(globals())
