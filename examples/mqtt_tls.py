# MQTT over TLS with umqtt.simple (MicroPython), through the modem, on either TLS path:
#   "mbedtls" (default): MicroPython's ssl over the module's plain TCP: ECDHE, AES-GCM,
#                        the broker's host name checked; needs a firmware with `ssl`.
#   "module":            the module's own TLS, with a client certificate if given.
# umqtt.simple imports its own socket module; qssl.mqttsock.SocketModule stands in for it.
#
# Runs unchanged on the MicroPython unix port (the emulator on a pty) and on a board with
# a Quectel module (its board file from boards/, example_setup.py copied beside this
# file, umqtt.simple installed with `mpremote mip install umqtt.simple`).
# Settings (example_setup.py): mqtt_host, mqtt_port (8883), mqtt_tls ("mbedtls" or
# "module"), mqtt_topic, ca or ca_file, and client_cert/client_key (PEM text) or
# client_cert_file/client_key_file; sys_path: directories to import from besides /lib.
#
#   mpremote connect /tmp/mp resume mount . run examples/mqtt_tls.py
import sys
import time

sys.path.append("examples")  # example_setup.py beside this file (mpremote mount .)
from example_setup import load_config, open_modem  # noqa: E402


def pem(cfg, key):
    if key in cfg:
        return cfg[key]
    if key + "_file" in cfg:
        with open(cfg[key + "_file"]) as f:
            return f.read()
    return None


def socket_module(modem, cfg, path):
    from qssl import mqttsock

    cert, key = pem(cfg, "client_cert"), pem(cfg, "client_key")
    if path == "module":
        ctx = modem.ssl_context(0)
        ctx.load_verify_locations(cadata=cfg["ca"])
        if cert and key:
            ctx.load_cert_chain(cert, key)
        return mqttsock.SocketModule(modem, ssl_context=ctx, timeout=20)
    tls = mqttsock.tls_context(cfg["ca"], cert, key) if cert and key else mqttsock.tls_context(cfg["ca"])
    return mqttsock.SocketModule(modem, tls=tls, timeout=20)


def main():
    cfg = load_config()
    for p in cfg.get("sys_path", ()):
        sys.path.append(p)
    from umqtt import simple

    modem = open_modem(cfg)
    modem.start()
    print("attached, local address", modem.attach(apn=cfg.get("apn", "CMNET"),
                                                 user=cfg.get("user", ""),
                                                 password=cfg.get("password", "")))
    path = cfg.get("mqtt_tls", "mbedtls")
    host, port = cfg.get("mqtt_host", "example.com"), cfg.get("mqtt_port", 8883)
    topic = cfg.get("mqtt_topic", "qssl/example").encode()
    simple.socket = socket_module(modem, cfg, path)
    got = []
    client = simple.MQTTClient("qssl-example", host, port=port, keepalive=30)
    client.set_callback(lambda t, m: got.append((t, m)))
    try:
        client.connect()
        suite = client.sock.cipher()
        print("connected to %s:%d over %s TLS%s" % (host, port, path,
                                                    " (%s, %s)" % suite if suite else ""))
        client.subscribe(topic, qos=1)
        client.publish(topic, b"hello, QoS 0", qos=0)
        client.publish(topic, b"hello, QoS 1", qos=1)
        t0 = time.ticks_ms()
        while len(got) < 2 and time.ticks_diff(time.ticks_ms(), t0) < 15000:
            client.check_msg()
            time.sleep_ms(20)
        for t, m in got:
            print("received on %s: %s" % (t.decode(), m.decode()))
        client.ping()
        client.disconnect()
    finally:
        modem.detach()
    print("mqtt: ok" if len(got) == 2 else "mqtt: %d of 2 messages back" % len(got))
    return len(got) == 2


if __name__ == "__main__":
    main()
