"""The control channel of pty mode: a unix socket, one command a line, each answered
"ok" or "error <msg>". Module events and output damage:
  reboot [silent]            restart; "silent": no banner, nothing until "AT" (autobaud)
  hang                       ignore input, print nothing, until power off/on or reboot
  power on|off               the supply (off -> on: a fresh start, banner per autobaud)
  autobaud 0|1               starts after power-on print nothing until "AT"
  wrong_baud 0|1             output garbled to 0x80..0xFF bytes, input ignored
  pdp_deact | close_peer <ssid> | send_fail <n> | noise <hex> | drop <n> | silence <ms>
  overlong <n> | unknown_urc <text>
Line damage towards the module, and precise damage of the next output chunk (wire.py):
  drop_in <n>                the next n bytes the host writes are lost
  drop_in_at <skip> <n>      of the next bytes, skip are seen, then n lost
  delay_next <ms> [<kinds>]  the next chunk (and all after it) ms late
  mangle_next <kinds> <op>   the next chunk of <kinds> changed by one <op>:
      cut <k> [<n>]          remove n bytes (1) at offset k
      insert <k> <hex>       insert bytes at offset k
      replace <hex> <hex>    the first occurrence of the one by the other
      set [<hex>]            the whole chunk (nothing: the chunk is lost)
    <kinds>: "any" (every kind but echo) or a comma list of echo, final, response,
    prompt, urc, data, noise. A negative offset counts from the end (cut -1: the last
    byte; insert -1: after the last byte).
Settings:
  sim ready | sim pin [<pin>] | sim puk [<puk>] | sim absent
  registration <steps> [<gprs steps>]   steps: stat[:seconds],...  e.g. 2:3,1
  csq <rssi> [<ber>] | payload_timeout <seconds>|none | imei <digits> | iccid <text>
  clock <ISO date>|now
"""
import datetime
import os
import socket
import threading


class ControlServer:
    def __init__(self, path, emu):
        self.path = path
        self.emu = emu
        self._sock = None
        self._running = False

    def start(self):
        try:
            os.unlink(self.path)
        except OSError:
            pass
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(self.path)
        s.listen(4)
        s.settimeout(0.2)
        self._sock = s
        self._running = True
        threading.Thread(target=self._accept, name="quecsim-control", daemon=True).start()

    def stop(self):
        self._running = False
        if self._sock:
            self._sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass

    def _accept(self):
        while self._running:
            try:
                c, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._client, args=(c,), daemon=True).start()

    def _client(self, c):
        f = c.makefile("rwb", buffering=0)
        try:
            for raw in f:
                line = raw.decode("utf-8", "replace").strip()
                if not line:
                    continue
                try:
                    self.execute(line)
                    f.write(b"ok\n")
                except Exception as e:  # noqa: BLE001 - reported to the client
                    f.write(("error %s\n" % e).encode())
        except OSError:
            pass
        finally:
            c.close()

    def execute(self, line):
        cmd, _, arg = line.partition(" ")
        args = arg.split()
        arg = arg.strip()
        emu = self.emu
        fa = emu.faults
        if cmd == "reboot":
            if args not in ([], ["silent"]):
                raise ValueError("reboot takes nothing or 'silent'")
            fa.reboot(banner=not args)
        elif cmd == "hang":
            fa.hang()
        elif cmd == "power":
            emu.power(_on_off(arg, ("on", "off")))
        elif cmd == "autobaud":
            emu.autobaud = _on_off(arg)
        elif cmd == "wrong_baud":
            fa.wrong_baud(_on_off(arg))
        elif cmd == "pdp_deact":
            fa.pdp_deact()
        elif cmd == "close_peer":
            if not fa.close_peer(int(arg)):
                raise ValueError("no connected socket %s" % arg)
        elif cmd == "send_fail":
            fa.send_fail(int(arg))
        elif cmd == "noise":
            fa.noise(bytes.fromhex(arg))
        elif cmd == "drop":
            fa.drop(int(arg))
        elif cmd == "silence":
            fa.silence(float(arg))
        elif cmd == "overlong":
            fa.overlong(int(arg))
        elif cmd == "unknown_urc":
            if not arg:
                raise ValueError("text missing")
            fa.unknown_urc(arg)
        elif cmd == "drop_in":
            fa.drop_in(_count(args, 1)[0])
        elif cmd == "drop_in_at":
            fa.drop_in_at(*_count(args, 2))
        elif cmd == "delay_next":
            if len(args) not in (1, 2):
                raise ValueError("delay_next <ms> [<kinds>]")
            fa.delay_next(float(args[0]), _kinds(args[1]) if len(args) == 2 else None)
        elif cmd == "mangle_next":
            if len(args) < 2:
                raise ValueError("mangle_next <kinds> <op> [args]")
            fa.mangle_next(mangler(args[1], args[2:]), _kinds(args[0]))
        elif cmd == "sim":
            if not args or len(args) > 2:
                raise ValueError("sim ready|pin [<pin>]|puk [<puk>]|absent")
            code = args[1] if len(args) == 2 else None
            if args[0] == "puk":
                emu.sim("puk", puk=code)
            elif code is not None and args[0] != "pin":
                raise ValueError("only pin and puk take a code")
            else:
                emu.sim(args[0], pin=code)
        elif cmd == "registration":
            if len(args) not in (1, 2):
                raise ValueError("registration <steps> [<gprs steps>]")
            emu.registration(parse_steps(args[0]), parse_steps(args[1]) if len(args) == 2 else None)
        elif cmd == "csq":
            if len(args) not in (1, 2):
                raise ValueError("csq <rssi> [<ber>]")
            emu.signal(*[int(a) for a in args])
        elif cmd == "payload_timeout":
            emu.payload_timeout = None if arg in ("none", "off") else _positive(arg)
        elif cmd in ("imei", "iccid"):
            if len(args) != 1 or (cmd == "imei" and not arg.isdigit()):
                raise ValueError("%s needs one value%s" % (cmd, " of digits" if cmd == "imei" else ""))
            setattr(emu, cmd, arg)
        elif cmd == "clock":
            if arg in ("", "now", "real"):
                emu.clock = None
            else:
                emu.clock = datetime.datetime.fromisoformat(arg)
        else:
            raise ValueError("unknown command %r" % cmd)


def _on_off(arg, words=("1", "0")):
    if arg in (words[0], "1", "on"):
        return True
    if arg in (words[1], "0", "off"):
        return False
    raise ValueError("expected %s or %s, got %r" % (words[0], words[1], arg))


def _count(args, n):
    if len(args) != n:
        raise ValueError("expected %d number(s)" % n)
    return [int(a) for a in args]


def _positive(text):
    v = float(text)
    if v <= 0:
        raise ValueError("expected seconds > 0 or none")
    return v


def _kinds(text):
    return None if text == "any" else tuple(text.split(","))


def parse_steps(text):
    """"2:3,1" -> [(2, 3.0), (1, None)]; the last step without a duration lasts for ever."""
    steps = []
    for part in text.split(","):
        stat, sep, secs = part.partition(":")
        steps.append((int(stat), float(secs) if sep else None))
    return steps


def mangler(op, args):
    """The bytes -> bytes function of one mangle_next operation (see the module doc)."""
    if op == "cut" and len(args) in (1, 2):
        k, n = int(args[0]), int(args[1]) if len(args) == 2 else 1

        def cut(b):
            i = k % len(b) if b and k < 0 else k
            return b[:i] + b[i + n :]

        return cut
    if op == "insert" and len(args) == 2:
        k, extra = int(args[0]), bytes.fromhex(args[1])

        def insert(b):
            i = len(b) + 1 + k if k < 0 else k
            return b[:i] + extra + b[i:]

        return insert
    if op == "replace" and len(args) == 2:
        old, new = bytes.fromhex(args[0]), bytes.fromhex(args[1])
        if not old:
            raise ValueError("replace needs bytes to find")
        return lambda b: b.replace(old, new, 1)
    if op == "set" and len(args) <= 1:
        whole = bytes.fromhex(args[0]) if args else b""
        return lambda b: whole
    raise ValueError("unknown mangle operation %r with %d argument(s)" % (op, len(args)))
