"""Constants that several modules use are private copies in each (`_K_OK = const(1)`):
MicroPython folds them into the bytecode, so none is a global in a module's dict
(issue 11). Copies can drift; these tests hold every copy to the others, and the device
side's table (tests_device/kinds.py) to the parser's."""
import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIB = os.path.join(ROOT, "lib", "qssl")


def private_consts(path, public=False):
    """{name: value} of the module-level `_NAME = const(<literal>)` in a source file (and
    of `NAME = const(...)` too if public)."""
    with open(path) as f:
        tree = ast.parse(f.read())
    out = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and (public or node.targets[0].id.startswith("_"))):
            continue
        v = node.value
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "const" and len(v.args) == 1:
            try:  # literals and arithmetic on them (1 << 27)
                expr = ast.Expression(v.args[0])
                out[node.targets[0].id] = eval(compile(expr, path, "eval"), {"__builtins__": {}})
            except (NameError, TypeError):
                pass
    return out


def all_copies():
    """{name: {module: value}} over lib/qssl."""
    seen = {}
    for fn in sorted(os.listdir(LIB)):
        if fn.endswith(".py"):
            for name, value in private_consts(os.path.join(LIB, fn)).items():
                seen.setdefault(name, {})[fn[:-3]] = value
    return seen


def test_every_copy_of_a_shared_constant_agrees():
    shared = {n: m for n, m in all_copies().items() if len(m) > 1}
    assert "_K_OK" in shared and "_F_CLOSE" in shared and "_DEAD_PEER" in shared  # the scan sees them
    differ = {n: m for n, m in shared.items() if len(set(map(repr, m.values()))) > 1}
    assert differ == {}


def test_a_private_copy_of_a_public_constant_agrees():
    # stream's _MAX_MS is compat's MAX_MS
    public = {}
    for fn in sorted(os.listdir(LIB)):
        if fn.endswith(".py"):
            for name, value in private_consts(os.path.join(LIB, fn), public=True).items():
                if not name.startswith("_"):
                    public[name] = value
    copies = {n: m for n, m in all_copies().items() if n[1:] in public}
    assert "_MAX_MS" in copies
    wrong = {n: (public[n[1:]], m) for n, m in copies.items() if any(v != public[n[1:]] for v in m.values())}
    assert wrong == {}


def test_errno_copies_are_the_host_values():
    # only the numbers POSIX systems share (EIO 5, EINVAL 22, ...) are copied; the network
    # ones differ between Linux and newlib (ESP32) and are read from errno at run time
    import errno

    copies = {n: m for n, m in all_copies().items() if n.startswith("_E") and hasattr(errno, n[1:])}
    assert "_EIO" in copies and "_EINVAL" in copies
    assert set(copies) <= {"_EIO", "_EINVAL", "_ENOENT", "_EACCES", "_EBUSY", "_ENOMEM", "_EPERM"}
    wrong = {n: m for n, m in copies.items() if any(v != getattr(errno, n[1:]) for v in m.values())}
    assert wrong == {}


def test_kinds_and_finals_are_distinct():
    # a copied value is only as good as its source: two kinds with one number would be
    # taken for each other everywhere
    at = private_consts(os.path.join(LIB, "at.py"))
    kinds = {n: v for n, v in at.items() if n.startswith("_K_")}
    assert len(kinds) > 25
    assert len(set(kinds.values())) == len(kinds)


def test_the_device_table_matches_the_parser():
    at = private_consts(os.path.join(LIB, "at.py"))
    ns = {}
    with open(os.path.join(ROOT, "tests_device", "kinds.py")) as f:
        exec(f.read(), ns)
    table = {n: v for n, v in ns.items() if not n.startswith("__")}
    assert len(table) > 30
    wrong = {n: (v, at.get("_" + n)) for n, v in table.items() if at.get("_" + n) != v}
    assert wrong == {}


def test_no_module_reads_a_constant_of_another_at_run_time():
    # at.K_OK in lib/ would be a global load and an attribute lookup of a name that no
    # longer exists on MicroPython (folded away): a NameError/AttributeError on a board
    import re

    bad = []
    for fn in sorted(os.listdir(LIB)):
        if fn.endswith(".py"):
            with open(os.path.join(LIB, fn)) as f:
                text = re.sub(r"#.*", "", f.read())  # comments may name them
            bad += [(fn, m) for m in re.findall(r"\b(?:at|engine|slots|stream|compat)\._[A-Z][A-Z0-9_]*\b", text)]
    assert bad == []
