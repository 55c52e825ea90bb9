"""The SIM card and the network registration schedule.

The card outlives restarts (it is a card): its PIN lock, PUK block and retry
counters. Whether the PIN was entered belongs to the module and is lost on every
restart (State.pin_ok). The registration schedule is a test setting; it runs from
the moment the SIM is ready (power-up with an unlocked card, or the PIN entered).
"""
import time

SIM_STATES = ("ready", "pin", "puk", "absent")
PIN_TRIES = 3
PUK_TRIES = 10
STATS = (0, 1, 2, 3, 4, 5)  # not searching, home, searching, denied, unknown, roaming


class SimCard:
    def __init__(self):
        self.present = True
        self.pin = None  # the PIN when the lock is on
        self.puk = "12345678"
        self.pin_left = PIN_TRIES
        self.puk_left = PUK_TRIES
        self.blocked = False  # PUK required

    def set(self, state, pin=None, puk=None):
        """state: "ready" (no PIN lock), "pin" (locked with pin, default "1234"),
        "puk" (blocked; needs puk, default "12345678"), "absent"."""
        check_card(state, pin, puk)
        self.present = state != "absent"
        self.blocked = state == "puk"
        self.pin = None if state == "ready" else (pin or self.pin or "1234")
        if puk:
            self.puk = puk
        self.pin_left = PIN_TRIES
        self.puk_left = PUK_TRIES

    def failed(self):
        """Every PUK try used: the card is dead."""
        return self.blocked and self.puk_left <= 0


def check_card(state, pin=None, puk=None):
    if state not in SIM_STATES:
        raise ValueError("SIM state must be one of %s, got %r" % (", ".join(SIM_STATES), state))
    for name, v in (("pin", pin), ("puk", puk)):
        if v is not None and (not isinstance(v, str) or not v.isdigit()):
            raise ValueError("%s must be a string of digits, got %r" % (name, v))


def check_steps(steps):
    """[(stat, seconds), ..., (stat, None)] -> list; a bare int means [(int, None)]."""
    if isinstance(steps, int):
        steps = [(steps, None)]
    out = []
    steps = list(steps)
    if not steps:
        raise ValueError("a registration schedule needs at least one step")
    for i, step in enumerate(steps):
        try:
            stat, secs = step
        except (TypeError, ValueError):
            raise ValueError("a step is (stat, seconds or None), got %r" % (step,))
        if stat not in STATS:
            raise ValueError("stat must be 0..5, got %r" % (stat,))
        if secs is None:
            if i != len(steps) - 1:
                raise ValueError("only the last step may last forever (None)")
        elif not isinstance(secs, (int, float)) or secs < 0:
            raise ValueError("a step's duration must be seconds >= 0, got %r" % (secs,))
        out.append((int(stat), None if secs is None else float(secs)))
    return out


def stat_at(steps, elapsed):
    """The stat of the schedule `elapsed` seconds after it started; the last step stays."""
    t = 0.0
    for stat, secs in steps:
        if secs is None or elapsed < t + secs:
            return stat
        t += secs
    return steps[-1][0]


def boundaries(steps):
    """Seconds after the start at which the stat may change."""
    out, t = [], 0.0
    for _, secs in steps[:-1]:
        t += secs
        out.append(t)
    return out


def now():
    return time.monotonic()
