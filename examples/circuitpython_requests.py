# adafruit_requests over the module's TLS: qssl.SocketPool is the socket pool and a
# qssl SSLContext (with the CA uploaded) is the ssl_context.
#
# On CircuitPython (Feather RP2040 with boards/feather_rp2040.py; adafruit_requests
# and adafruit_connection_manager in /lib): settings from qssl_config.json, as in
# https_get.py, and run it as code.py or with `import circuitpython_requests`.
# On a PC (CPython, pyserial) against the emulator's pty:
#   QSSL_DEMO=/tmp/qssl_demo.json python examples/circuitpython_requests.py
import sys

sys.path.append("examples")  # example_setup.py beside this file (mpremote mount .)
import adafruit_requests  # noqa: E402
from example_setup import load_config, open_modem  # noqa: E402
import qssl  # noqa: E402


def main():
    cfg = load_config()
    modem = open_modem(cfg)
    modem.start()
    print("attached, local address", modem.attach(apn=cfg.get("apn", "CMNET"),
                                                 user=cfg.get("user", ""),
                                                 password=cfg.get("password", "")))
    ctx = modem.ssl_context(0)
    ctx.load_verify_locations(cadata=cfg["ca"])
    pool = qssl.SocketPool(modem)
    requests = adafruit_requests.Session(pool, ctx)

    url = "https://%s%s" % (cfg.get("host", "example.com"), cfg.get("path", "/"))
    if cfg.get("port", 443) != 443:
        url = "https://%s:%d%s" % (cfg.get("host", "example.com"), cfg["port"], cfg.get("path", "/"))
    print("GET", url)
    try:
        with requests.get(url, headers={"Connection": "close"}, timeout=30) as resp:
            reason = resp.reason
            if not isinstance(reason, str):
                reason = bytes(reason).decode()
            print("status:", resp.status_code, reason)
            for k, v in resp.headers.items():
                print("header: %s: %s" % (k, v))
            body = resp.content
            print("body (%d bytes):" % len(body))
            print(body.decode())
    finally:
        import adafruit_connection_manager

        adafruit_connection_manager.connection_manager_close_all(pool)
        modem.detach()


if __name__ == "__main__":
    main()
