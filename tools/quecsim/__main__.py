"""python -m quecsim --pty /tmp/qmodem [--route NAME:PORT=127.0.0.1:PORT ...] [--baud N]
[--log FILE] [--control PATH] [--boot] [--no-echo] [--autobaud] [--off] [--sim STATE[:CODE]]
[--payload-timeout S]

Serves the emulator on a pty until SIGTERM/SIGINT. --control PATH opens a unix
socket taking one fault a line (see control.py), answering "ok" or "error <msg>".
"""
import argparse
import signal
import sys
import threading

from .control import ControlServer
from .emulator import Emulator
from .ptyport import PtyPort


def parse_route(text):
    try:
        left, right = text.split("=", 1)
        name, port = left.rsplit(":", 1)
        ip, tport = right.rsplit(":", 1)
        return (name, int(port)), (ip, int(tport))
    except ValueError:
        raise argparse.ArgumentTypeError("route must be NAME:PORT=IP:PORT, got %r" % text)


def parse_sim(text):
    state, _, code = text.partition(":")
    if state not in ("ready", "pin", "puk", "absent") or (code and (state not in ("pin", "puk") or not code.isdigit())):
        raise argparse.ArgumentTypeError("sim must be ready, pin[:PIN], puk[:PUK] or absent, got %r" % text)
    return state, code or None


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m quecsim", description="Quectel M66 modem emulator")
    ap.add_argument("--pty", required=True, help="path of the symlink to the pty")
    ap.add_argument("--route", action="append", type=parse_route, default=[], help="NAME:PORT=127.0.0.1:PORT")
    ap.add_argument("--baud", type=int, default=None, help="pace the line at this rate, both ways (each byte 10/baud s)")
    ap.add_argument("--log", default=None, help="AT transcript file")
    ap.add_argument("--control", default=None, help="unix socket path for fault injection")
    ap.add_argument("--boot", action="store_true", help="print the start-up banners")
    ap.add_argument("--no-echo", action="store_true", help="start with echo off")
    ap.add_argument("--autobaud", action="store_true", help="starts print nothing until the host sends AT")
    ap.add_argument("--off", action="store_true", help="start without power (control: power on)")
    ap.add_argument("--sim", type=parse_sim, default=("ready", None), help="ready | pin[:PIN] | puk[:PUK] | absent")
    ap.add_argument("--payload-timeout", type=float, default=None, help="seconds a '> ' waits for data")
    args = ap.parse_args(argv)

    state, code = args.sim
    emu = Emulator(
        routes=dict(args.route),
        baud=args.baud,
        echo=not args.no_echo,
        log=args.log,
        autobaud=args.autobaud,
        powered=not args.off,
        sim=state,
        sim_pin=code if state == "pin" else None,
        sim_puk=code if state == "puk" else None,
        payload_timeout=args.payload_timeout,
    )
    pty = PtyPort(args.pty, emu)
    control = ControlServer(args.control, emu) if args.control else None
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    emu.start()
    pty.start()
    if control:
        control.start()
    if args.boot:
        emu.boot()
    print("quecsim ready on %s" % args.pty, flush=True)
    try:
        while not stop.wait(0.2):
            pass
    finally:
        if control:
            control.stop()
        emu.stop()
        pty.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
