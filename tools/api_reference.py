"""docs/api.md from the library's own docstrings: every public name of qssl (and of the
optional modules a program imports itself), with its signature and docstring.

    python tools/api_reference.py          # rewrite docs/api.md
    python tools/api_reference.py --check  # exit 1 when docs/api.md is stale

tests_host/test_api_reference.py fails when a public name has no docstring or the page
is stale. Docstrings cost nothing on a board: MicroPython's compiler drops them.
"""
import importlib
import inspect
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "lib"))
OUT = os.path.join(ROOT, "docs", "api.md")

# (module, names) in the order of the page; "qssl" names are what `import qssl` offers.
SECTIONS = [
    ("qssl", ["Modem", "SSLContext", "SSLSocket", "TCPSocket", "TransparentSocket", "SocketPool",
              "ATError", "PDPError", "checksum"]),
    ("qssl.stream", ["Stream"]),
    ("qssl.aio", ["connect", "open_connection"]),
    ("qssl.mqttsock", None),
]
CONSTANTS = ["SSLv3", "TLSv1", "TLSv1_1", "TLSv1_2", "ALL_VERSIONS", "TLS_RSA_WITH_AES_256_CBC_SHA",
             "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_RC4_128_MD5",
             "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA256", "ALL_CIPHERS",
             "CERT_NONE", "CERT_REQUIRED", "AF_INET", "SOCK_STREAM"]
# Inherited CPython/IOBase plumbing that is not ours to document.
_SKIP = {"ioctl"}


def _sig(obj):
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(...)"


def _public_members(cls):
    out = []
    for name, v in cls.__dict__.items():
        if name.startswith("_") and name not in ("__init__", "__enter__"):
            continue
        if name in _SKIP:
            continue
        if isinstance(v, property) or inspect.isfunction(v):
            out.append((name, v))
    return out  # what a class inherits from Stream is documented once, under qssl.stream.Stream


def entries():
    """(heading, signature, docstring) for every documented name, in page order."""
    rows = []
    for modname, names in SECTIONS:
        mod = importlib.import_module(modname)
        if names is None:
            names = [n for n, v in vars(mod).items() if not n.startswith("_")
                     and (inspect.isfunction(v) or inspect.isclass(v)) and getattr(v, "__module__", "") == modname]
        for name in names:
            obj = getattr(mod, name)
            full = "%s.%s" % (modname, name)
            if inspect.isclass(obj):
                init = obj.__dict__.get("__init__")
                rows.append((full, _sig(init).replace("(self, ", "(").replace("(self)", "()") if init else "()",
                             inspect.getdoc(obj) or ""))
                for mname, m in _public_members(obj):
                    if mname == "__init__":
                        continue
                    fn = m.fget if isinstance(m, property) else m
                    sig = "" if isinstance(m, property) else _sig(fn).replace("(self, ", "(").replace("(self)", "()")
                    rows.append(("%s.%s" % (full, mname), sig, inspect.getdoc(fn) or ""))
            else:
                rows.append((full, _sig(obj), inspect.getdoc(obj) or ""))
    return rows


def render():
    import qssl

    lines = ["# API reference", "",
             "Generated from the docstrings by `python tools/api_reference.py`; the contract (what",
             "is promised, what may change) is `api_contract.md`. `qssl.stream.Stream` holds the",
             "methods that SSLSocket, TCPSocket and TransparentSocket share. Names under `qssl.aio`",
             "and `qssl.mqttsock` are imported by the programs that use them.", ""]
    for full, sig, doc in entries():
        lines.append("### `%s%s`" % (full, sig))
        lines.append("")
        lines.append(doc.strip() or "(no docstring)")
        lines.append("")
    lines.append("### Constants")
    lines.append("")
    for c in CONSTANTS:
        lines.append("- `qssl.%s` = `%s`" % (c, hex(getattr(qssl, c)) if "TLS_RSA" in c or c == "ALL_CIPHERS"
                                                else getattr(qssl, c)))
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        with open(OUT) as f:
            sys.exit(0 if f.read() == text else 1)
    with open(OUT, "w") as f:
        f.write(text)
    missing = [e[0] for e in entries() if not e[2]]
    print("wrote %s: %d names, %d without a docstring%s" % (OUT, len(entries()), len(missing),
                                                              (": " + ", ".join(missing)) if missing else ""))
