"""Every public name has a docstring, and docs/api.md (generated from them) is current."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "tools", "api_reference.py")
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import api_reference  # noqa: E402


def test_every_public_name_has_a_docstring():
    missing = [name for name, _sig, doc in api_reference.entries() if not doc.strip()]
    assert missing == []


def test_the_contract_names_are_documented():
    names = {e[0] for e in api_reference.entries()}
    for n in ("qssl.Modem.start", "qssl.Modem.attach", "qssl.Modem.recover", "qssl.Modem.signal",
              "qssl.Modem.info", "qssl.SSLContext.load_verify_locations", "qssl.stream.Stream.connect",
              "qssl.stream.Stream.recv", "qssl.stream.Stream.send", "qssl.aio.open_connection"):
        assert n in names, n


def test_api_page_is_current():
    r = subprocess.run([sys.executable, TOOL, "--check"])
    assert r.returncode == 0, "docs/api.md is stale: run python tools/api_reference.py"
