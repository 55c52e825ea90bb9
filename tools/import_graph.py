"""The import graph of lib/qssl, lazy imports (inside functions) included.

    python tools/import_graph.py            # edges, one a line: "modem -> engine"
    python tools/import_graph.py --mermaid  # the layer picture used in docs/architecture.md

The layer of each module is LAYERS below; tests_host/test_architecture.py fails when an
import runs upwards or sideways into a higher layer, or when the picture in the docs is stale.
"""
import ast
import os
import sys

LIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib", "qssl")

# Bottom to top. A module may import modules of a lower layer, and within its own layer
# only the modules listed before it (so arrows inside a layer run one way too).
LAYERS = [
    ("port", ["uart", "compat"]),
    ("bytes", ["ring"]),
    ("lines", ["at"]),
    ("errors and checks", ["errors", "check"]),
    ("commands", ["engine"]),
    ("slots", ["slots"]),
    ("sockets", ["stream", "socket", "tcp", "transparent"]),
    ("services", ["certs", "bringup", "netif", "diagnose", "context", "modem"]),
    ("adapters", ["pool", "mqttsock", "aio"]),
    ("API", ["__init__"]),
]


def modules():
    return sorted(f[:-3] for f in os.listdir(LIB) if f.endswith(".py"))


def imports(name):
    """Names of qssl modules that module `name` imports, anywhere in the file."""
    with open(os.path.join(LIB, name + ".py")) as f:
        tree = ast.parse(f.read())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.add(node.module.split(".")[0])
            else:
                out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qssl"):
            parts = node.module.split(".")
            if len(parts) > 1:
                out.add(parts[1])
        elif isinstance(node, ast.Import):  # import qssl.at as at (the library's own form)
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == "qssl" and len(parts) > 1:
                    out.add(parts[1])
    return sorted(out)


def edges():
    return [(m, t) for m in modules() for t in imports(m)]


def layer_of():
    """module -> (rank, layer name); a module may import only lower ranks."""
    out = {}
    for i, (layer, mods) in enumerate(LAYERS):
        for j, m in enumerate(mods):
            out[m] = (i * 100 + j, layer)
    return out


def mermaid():
    lines = ["```mermaid", "flowchart BT"]
    for layer, mods in LAYERS:
        lines.append("  subgraph %s" % layer.replace(" ", "_"))
        for m in mods:
            lines.append("    %s[%s.py]" % (m.strip("_") or m, m))
        lines.append("  end")
    for a, b in edges():
        lines.append("  %s --> %s" % (a.strip("_"), b.strip("_")))
    lines.append("```")
    return "\n".join(lines)


if __name__ == "__main__":
    if "--mermaid" in sys.argv:
        print(mermaid())
    else:
        for a, b in edges():
            print("%s -> %s" % (a, b))
