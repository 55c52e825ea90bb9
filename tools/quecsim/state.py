"""Everything the module remembers, in one place (tests may read it: emu.state)."""

NCTX = 6
NSOCK = 6


def default_ctx():
    return {
        "sslversion": 4,
        "seclevel": 0,
        "ciphersuite": 0xFFFF,
        "cacert": "",
        "clientcert": "",
        "clientkey": "",
    }


def default_globals():
    return {"ignorertc": 0, "https": 0, "httpsctxi": -1, "smtpstyle": 0, "smtpsctxi": -1}


class State:
    def __init__(self):
        # network conditions a test may set (chapter 4)
        self.attached = True
        self.registered = 1
        self.qiact_fails = False
        self.certs = {}  # "RAM:name" / "NVRAM:CA0" -> bytes; NVRAM survives reboot
        self.cert_sums = {}  # name -> checksum stored at write time
        self.reset()

    def reset(self):
        """Power-on state (NVRAM certificates and test conditions are kept)."""
        self.echo = True
        self.cmee = 1
        self.qimux = 0
        self.qindi = 0
        self.fgcnt = 0
        self.apn = None
        self.user = ""
        self.pwd = ""
        self.ip_state = "IP INITIAL"
        self.sockets = {}  # index 0-5 -> netsock.Conn (SSL and TCP share the space)
        self.cfg = [default_ctx() for _ in range(NCTX)]
        self.glob = default_globals()
        for k in [k for k in self.certs if k.startswith("RAM:")]:
            del self.certs[k]
            self.cert_sums.pop(k, None)
