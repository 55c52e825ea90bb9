"""The finals masks in engine.py are literal numbers (MicroPython's const() cannot read
at.K_*): each must be exactly the bits of the kinds it names."""
from qssl import at
from qssl import engine


def bits(*kinds):
    return sum(1 << k for k in kinds)


def test_masks_match_kinds():
    err = bits(at._K_ERROR, at._K_CME)
    assert engine._F_OK == bits(at._K_OK)
    assert engine._F_ERR == err
    assert engine._F_STD == bits(at._K_OK) | err
    assert engine._F_PROMPT == bits(at._K_PROMPT) | err
    assert engine._F_SENT == bits(at._K_SEND_OK, at._K_SEND_FAIL) | err
    assert engine._F_CLOSE == bits(at._K_CLOSE_OK) | err
    assert engine._F_DEACT == bits(at._K_DEACT_OK) | err
    assert engine._F_CONNECT == bits(at._K_CONNECT, at._K_NO_CARRIER) | err
    assert engine._F_REBOOT == bits(at._K_REBOOT)


def test_line_groups_agree_with_the_parser():
    # engine.py keeps its own private copies of at.py's group numbers (consts, out of both
    # module dicts): they must be the same
    for name in ("_G_FINAL", "_G_RESPONSE", "_G_URC", "_G_LATE", "_G_ECHO", "_G_UNKNOWN"):
        assert getattr(engine, name) == getattr(at, name), name
