# MQTT over the module's own TLS with a client certificate, with adafruit_minimqtt:
# qssl.SocketPool is the socket pool, a qssl SSLContext (CA and client certificate
# uploaded to the module) the ssl_context. CircuitPython's own ssl cannot take this
# role over the modem (docs/tls_paths.md), so this is the CircuitPython path.
#
# On CircuitPython (Feather RP2040 with boards/feather_rp2040.py; adafruit_minimqtt,
# adafruit_connection_manager and adafruit_ticks in /lib): settings from
# qssl_config.json as in example_setup.py: mqtt_host, mqtt_port (8883), mqtt_topic,
# ca or ca_file, client_cert/client_key (PEM text) or client_cert_file/client_key_file.
# On a PC (CPython, pyserial) against the emulator's pty:
#   QSSL_DEMO=/tmp/qssl_demo.json python examples/mqtt_tls_circuitpython.py
import sys
import time

sys.path.append("examples")  # example_setup.py beside this file (mpremote mount .)
import adafruit_minimqtt.adafruit_minimqtt as MQTT  # noqa: E402
from example_setup import load_config, open_modem  # noqa: E402
import qssl  # noqa: E402


def pem(cfg, key):
    if key in cfg:
        return cfg[key]
    if key + "_file" in cfg:
        with open(cfg[key + "_file"]) as f:
            return f.read()
    return None


def main():
    cfg = load_config()
    modem = open_modem(cfg)
    modem.start()
    print("attached, local address", modem.attach(apn=cfg.get("apn", "CMNET"),
                                                 user=cfg.get("user", ""),
                                                 password=cfg.get("password", "")))
    ctx = modem.ssl_context(0)
    ctx.load_verify_locations(cadata=cfg["ca"])
    cert, key = pem(cfg, "client_cert"), pem(cfg, "client_key")
    if cert and key:
        ctx.load_cert_chain(cert, key)
    pool = qssl.SocketPool(modem)
    topic = cfg.get("mqtt_topic", "qssl/example-cp")
    got = []
    client = MQTT.MQTT(broker=cfg.get("mqtt_host", "example.com"), port=cfg.get("mqtt_port", 8883),
                       is_ssl=True, socket_pool=pool, ssl_context=ctx, client_id="qssl-example-cp",
                       keep_alive=30, recv_timeout=10)
    client.on_message = lambda c, t, m: got.append((t, m))
    try:
        client.connect()
        print("connected to %s:%d over the module's TLS" % (client.broker, client.port))
        client.subscribe(topic, qos=1)
        client.publish(topic, "hello, QoS 0", qos=0)
        client.publish(topic, "hello, QoS 1", qos=1)
        t0 = time.monotonic()
        while len(got) < 2 and time.monotonic() - t0 < 15:
            client.loop(1)
        for t, m in got:
            print("received on %s: %s" % (t, m))
        client.disconnect()
    finally:
        import adafruit_connection_manager

        adafruit_connection_manager.connection_manager_close_all(pool)
        modem.detach()
    print("mqtt: ok" if len(got) == 2 else "mqtt: %d of 2 messages back" % len(got))
    return len(got) == 2


if __name__ == "__main__":
    main()
