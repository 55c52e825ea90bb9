"""quecsim: a Quectel GSM module (M66 family) emulator with real TCP and TLS."""
from .emulator import Emulator

__all__ = ["Emulator"]
