"""docs/: the SVG diagrams are what tools/draw_diagrams.py draws and are well-formed, the
pages show images that exist, and every round-1 name of docs/api_contract.md exists."""
import os
import re
import sys
import xml.etree.ElementTree as ET

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import draw_diagrams  # noqa: E402


def read(name):
    with open(os.path.join(DOCS, name)) as f:
        return f.read()


def test_diagrams_are_current():
    assert draw_diagrams.main(["--check"]) == 0


@pytest.mark.parametrize("name", sorted(draw_diagrams.DIAGRAMS))
def test_diagram_is_well_formed_svg(name):
    root = ET.parse(os.path.join(DOCS, "img", name)).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert len(texts) > 10 and all(texts)


@pytest.mark.parametrize("page,images", [("wiring.md", ["img/wiring.svg"]),
                                         ("states.md", ["img/modem_states.svg", "img/socket_states.svg"])])
def test_pages_show_their_images(page, images):
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", read(page))
    assert shown == images
    for img in shown:
        assert os.path.isfile(os.path.join(DOCS, img))


def test_wiring_names_the_pins_of_the_board_files():
    text = read("wiring.md")
    for board, names in (("pico.py", ("TX_PIN = 0", "RX_PIN = 1", "PWRKEY_PIN = 2", "STATUS_PIN = 3")),
                         ("esp32_devkitc.py", ("TX_PIN = 17", "RX_PIN = 16", "PWRKEY_PIN = 4",
                                               "STATUS_PIN = 34"))):
        with open(os.path.join(ROOT, "boards", board)) as f:
            src = f.read()
        for n in names:
            assert n in src, (board, n)  # the page below is about these values
    assert "| `pico.py` (MicroPython, rp2) | UART0 | GP0 | GP1 | GP2 | GP3 |" in text
    assert "| GPIO17 | GPIO16 | GPIO4 | GPIO34" in text


def test_round_one_contract_names_exist():
    import qssl

    text = read("api_contract.md").split("## Round 2")[0]
    owners = {"modem": qssl.Modem, "ctx": qssl.SSLContext, "sock": qssl.SSLSocket, "qssl": qssl}
    found = set(re.findall(r"`(modem|ctx|sock|qssl)\.([A-Za-z_][A-Za-z0-9_]*)", text))
    assert len(found) > 30
    missing = sorted("%s.%s" % (o, n) for o, n in found
                     if not hasattr(owners[o], n) and not (o in ("ctx", "sock") and _instance_attr(owners[o], n)))
    assert missing == []


def _instance_attr(cls, name):
    # settable attributes (ctx.version, ctx.ciphers, ctx.verify_mode) live on instances
    import inspect

    try:
        src = inspect.getsource(cls)
    except (OSError, TypeError):
        return False
    return re.search(r"self\.%s\b" % re.escape(name), src) is not None
