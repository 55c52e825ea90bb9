# What importing a package created: its modules, the classes they define and the
# functions reachable from the modules' globals and from those classes' dicts.
# Runs on MicroPython (bench_e2e) and CPython. Each object is counted once, however
# many modules import it; built-ins (functions without __globals__, classes without
# a __module__ entry) were not created by the import and are left out.
import sys


def _made_here(cls, prefix):
    d = getattr(cls, "__dict__", None)
    if not d:
        return False
    m = d.get("__module__", None)
    return isinstance(m, str) and (m == prefix or m.startswith(prefix + "."))


def _is_function(v):
    t = type(v).__name__
    if t in ("function", "closure", "generator"):
        return hasattr(v, "__globals__") or t == "closure"
    return t in ("property", "staticmethod", "classmethod")  # each wraps a function


def count(prefix, modules=None):
    """(modules, classes, functions) of the loaded modules named prefix or prefix.*
    (or the names given in modules)."""
    names = [n for n in (modules or sys.modules) if n == prefix or n.startswith(prefix + ".")]
    seen = set()
    classes = 0
    functions = 0
    todo = []
    for n in names:
        todo.append(sys.modules[n].__dict__)
    while todo:
        d = todo.pop()
        for v in d.values():
            if id(v) in seen:
                continue
            if isinstance(v, type):
                if _made_here(v, prefix):
                    seen.add(id(v))
                    classes += 1
                    todo.append(v.__dict__)
            elif _is_function(v):
                seen.add(id(v))
                functions += 1
    return len(names), classes, functions
