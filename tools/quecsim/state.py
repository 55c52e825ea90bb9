"""Everything the module remembers, in one place (tests may read it: emu.state)."""
from . import sim

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
        # network conditions a test may set (chapter 4); they survive restarts
        self.qiact_fails = False
        self.reg_steps = [(1, None)]  # +CREG schedule (sim.check_steps)
        self.greg_steps = None  # +CGREG schedule; None: the same as reg_steps
        self.csq = (23, 0)
        self.card = sim.SimCard()
        self.certs = {}  # "RAM:name" / "NVRAM:CA0" -> bytes; NVRAM survives reboot
        self.cert_sums = {}  # name -> checksum stored at write time
        self.reset()

    # --- SIM and registration ------------------------------------------------------------
    def sim_word(self):
        """What AT+CPIN? reports: READY, SIM PIN, SIM PUK; None when there is no card."""
        c = self.card
        if not c.present or c.failed():
            return None
        if c.blocked:
            return "SIM PUK"
        if c.pin is not None and not self.pin_ok:
            return "SIM PIN"
        return "READY"

    def sim_ready(self):
        return self.sim_word() == "READY"

    def start_registration(self):
        self.reg_t0 = sim.now() if self.sim_ready() else None

    def reg_stat(self, gprs=False):
        """The +CREG (or +CGREG) stat now: 0 until the SIM is ready, then the schedule."""
        if self.reg_t0 is None or not self.sim_ready():
            return 0
        steps = self.greg_steps if gprs and self.greg_steps is not None else self.reg_steps
        return sim.stat_at(steps, sim.now() - self.reg_t0)

    @property
    def registered(self):
        """The +CGREG stat now. Setting it (older tests) fixes both schedules to that stat."""
        return self.reg_stat(gprs=True)

    @registered.setter
    def registered(self, stat):
        self.reg_steps = sim.check_steps(stat)
        self.greg_steps = None

    def gprs_attached(self):
        return self.attached and self.reg_stat(gprs=True) in (1, 5)

    def reset(self):
        """Power-on state (the SIM card, NVRAM certificates and test conditions are kept)."""
        self.pin_ok = False
        self.start_registration()
        self.attached = True  # the module attaches to GPRS by itself once registered
        self.creg_n = 0
        self.cgreg_n = 0
        self.reg_seen = {}  # "+CREG"/"+CGREG" -> the stat last reported by a URC
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
