"""The control channel of pty mode: a unix socket, one command a line.

reboot | pdp_deact | close_peer <ssid> | send_fail <n> | noise <hex> | drop <n> |
silence <ms> | overlong <n> | unknown_urc <text> | clock <ISO date>|now
Each line is answered "ok" or "error <msg>".
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
        arg = arg.strip()
        fa = self.emu.faults
        if cmd == "reboot":
            fa.reboot()
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
        elif cmd == "clock":
            if arg in ("", "now", "real"):
                self.emu.clock = None
            else:
                self.emu.clock = datetime.datetime.fromisoformat(arg)
        else:
            raise ValueError("unknown command %r" % cmd)
