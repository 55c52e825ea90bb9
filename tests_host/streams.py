"""Stream fixtures for the parser and engine tests.

The byte streams and their expected events live in tests_device/at_streams.py, so the
host (CPython) and the device (MicroPython) check the very same table. This module
re-exports them and adds a scripted UART for the engine tests on CPython.
"""
import os
import sys

_DEV = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests_device")
if _DEV not in sys.path:
    sys.path.insert(0, _DEV)

from at_streams import *  # noqa: E402,F401,F403
from at_streams import CASES, Case, run, events, parser_for, recv_header, recv_reply  # noqa: E402,F401


class ScriptedPort:
    """A UART whose answers are scripted: every command line written (ending in CR)
    releases the next answer from `answers` (bytes, or None for silence). Bytes can
    also be queued at any time with `push`. `chunk` bounds what one readinto gives,
    so answers arrive split across pumps. Has the CPython shape (in_waiting,
    readinto(buf), write(buf)); the engine wraps it with compat.uart_port."""

    def __init__(self, answers=(), chunk=0):
        self.answers = list(answers)
        self.rx = bytearray()
        self.tx = bytearray()
        self.lines = []  # command lines written, without CR
        self.chunk = chunk

    def push(self, data):
        self.rx += data

    @property
    def in_waiting(self):
        return len(self.rx)

    def readinto(self, buf):
        n = len(buf)
        if self.chunk and n > self.chunk:
            n = self.chunk
        n = min(n, len(self.rx))
        buf[:n] = self.rx[:n]
        del self.rx[:n]
        return n

    def write(self, buf):
        data = bytes(buf)
        self.tx += data
        while b"\r" in self.tx:
            k = self.tx.index(b"\r")
            self.lines.append(bytes(self.tx[:k]))
            del self.tx[: k + 1]
            if self.answers:
                a = self.answers.pop(0)
                if a:
                    self.rx += a
        return len(data)
