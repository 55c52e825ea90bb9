# The per-socket table that URC handlers write and sockets read: one slot for each of
# the module's socket indexes 0..5 (SSL and plain TCP share them, chapter 1.3), with
# the causes of death beside it. Fixed-size arrays: writing a slot never allocates.
from qssl.compat import const
import qssl.compat as compat  # errno values as compat.X: a smaller module dict (issue 11)

_NSOCK = const(6)

# Why a socket died; 0 while it is alive. A stronger (higher) cause is never
# overwritten by a weaker one: the "closed" URCs that follow +PDP DEACT or a restart
# must not turn a lost connection into an orderly close.
_DEAD_PEER = const(1)  # the peer closed it (+QSSLURC: "closed" / "<i>, CLOSED")
_DEAD_LOST = const(2)  # an exchange was lost on the line: its data may be lost, so it was failed
_DEAD_PDP = const(3)  # +PDP DEACT or detach()
_DEAD_REBOOT = const(4)  # the module restarted

_WHY = const((
    "socket is not connected",
    "the peer closed the connection",
    "bytes were lost on the line during a transfer; the connection was closed so that no"
    " corrupted data is delivered",
    "the PDP context was lost (+PDP DEACT or detach()); the connection is lost",
    "the module restarted; the connection is lost",
))


class Slots:
    def __init__(self):
        self.ready = bytearray(_NSOCK)  # data may be waiting (recv URC seen, not read empty)
        self.dead = bytearray(_NSOCK)  # DEAD_* cause
        self.opened = bytearray(_NSOCK)  # an open result arrived for this slot
        self.code = [0] * _NSOCK  # that result: 0 ok, -1 failed, -2 index occupied
        self.owner = [None] * _NSOCK  # the socket object holding the slot
        self.foreign = bytearray(_NSOCK)  # busy in the module, not ours (left from before)

    def set_ready(self, i):
        if i is not None and 0 <= i < _NSOCK:
            self.ready[i] = 1

    def set_opened(self, i, code):
        if i is not None and 0 <= i < _NSOCK:
            self.code[i] = code if code is not None else -1
            self.opened[i] = 1

    def mark_dead(self, i, why=_DEAD_LOST):
        # why defaults to _DEAD_LOST: the engine calls it so when an exchange of socket i was lost
        if i is not None and 0 <= i < _NSOCK and self.dead[i] < why:
            self.dead[i] = why

    def kill_all(self, why):
        for i in range(_NSOCK):
            if self.owner[i] is not None:
                self.mark_dead(i, why)

    def claim(self, sock):
        """Reserve a free index for sock. Indexes the module holds for somebody else
        (a -2 answer, or rows of AT+QSSLSTATE that are not ours) are skipped."""
        for i in range(_NSOCK):
            if self.owner[i] is None and not self.foreign[i]:
                self.owner[i] = sock
                self.ready[i] = 0
                self.dead[i] = 0
                self.opened[i] = 0
                return i
        raise OSError(compat.ENOMEM, "all 6 socket indexes are in use (modem.status() shows them)")

    def release(self, i):
        if 0 <= i < _NSOCK:
            self.owner[i] = None
            self.ready[i] = 0
            self.dead[i] = 0
            self.opened[i] = 0


def dead_error(why):
    """The OSError for a socket that died of `why`."""
    return OSError(compat.ENOTCONN if why == 0 else compat.ECONNRESET, _WHY[why])
