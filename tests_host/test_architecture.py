"""The package's layers run one way: every import in lib/qssl (lazy ones inside functions
included) goes to a lower layer, and docs/architecture.md shows the graph as it is."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import import_graph  # noqa: E402


def test_every_module_has_a_layer():
    layers = import_graph.layer_of()
    missing = [m for m in import_graph.modules() if m not in layers]
    assert missing == [], "add these to LAYERS in tools/import_graph.py: %s" % missing


def test_imports_run_downwards():
    layers = import_graph.layer_of()
    upward = [(a, b) for a, b in import_graph.edges() if layers[b][0] >= layers[a][0]]
    assert upward == [], "imports that run upwards or sideways: %s" % upward


def test_no_import_circle():
    graph = {}
    for a, b in import_graph.edges():
        graph.setdefault(a, set()).add(b)

    def reaches(start, goal, seen):
        for n in graph.get(start, ()):
            if n == goal or (n not in seen and (seen.add(n) or reaches(n, goal, seen))):
                return True
        return False

    circles = [m for m in graph if reaches(m, m, set())]
    assert circles == []


def test_lazy_imports_are_seen(tmp_path, monkeypatch):
    # The checker must catch an import inside a function, or it proves nothing.
    src = tmp_path / "qssl"
    src.mkdir()
    (src / "ring.py").write_text("def f():\n    from .modem import Modem\n")
    monkeypatch.setattr(import_graph, "LIB", str(src))
    assert import_graph.edges() == [("ring", "modem")]


def test_architecture_doc_shows_the_current_graph():
    with open(os.path.join(HERE, "..", "docs", "architecture.md")) as f:
        doc = f.read()
    assert import_graph.mermaid() in doc, (
        "docs/architecture.md is stale: paste the output of `python tools/import_graph.py --mermaid`")
