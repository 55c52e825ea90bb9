"""Paste the current import picture (tools/import_graph.py --mermaid) into docs/architecture.md."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import import_graph  # noqa: E402

path = os.path.join(HERE, "..", "docs", "architecture.md")
with open(path) as f:
    s = f.read()
start = s.index("```mermaid")
end = s.index("```", start + 10) + 3
with open(path, "w") as f:
    f.write(s[:start] + import_graph.mermaid() + s[end:])
print("updated", path)
