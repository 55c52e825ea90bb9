# A model of the heap a package takes on a 32-bit board when it is frozen into the
# firmware, computed on any MicroPython port (the 64-bit unix port here) by walking what
# its import made. Frozen code keeps bytecode, qstrs and constants in flash; what goes
# on the heap is what running the modules' top levels and the constructors creates:
# module dicts, class objects and their dicts, a function object per def, instances
# and their members, buffers. Each is sized after MicroPython's 32-bit object layouts
# and rounded up to the 16-byte GC block. A model, not a measurement: bench_e2e prints
# it beside the ROMFS measurement, and tests_host/test_frozen_model.py checks it
# against hand-computed sizes.
import sys

_BLOCK = 16
_WORD = 4
# mp_map_t grows through these sizes and only when full (py/map.c): a map holding n
# entries has the first size >= n, each entry two words.
_SIZES = (0, 2, 4, 6, 8, 10, 12, 17, 23, 29, 37, 47, 59, 73, 97, 127, 167, 223, 293, 389, 521)
_TYPE = 80  # mp_obj_full_type_t: base, flags, name, 12 slot indexes, 12 slots (~68 B)


def blocks(n):
    """n bytes as the GC allocates them (0 stays 0)."""
    return (n + _BLOCK - 1) // _BLOCK * _BLOCK


def map_alloc(n):
    for s in _SIZES:
        if s >= n:
            return s
    return n


def table(n):
    """The table of a map holding n entries."""
    return blocks(map_alloc(n) * 2 * _WORD)


def dict_size(n):
    """A dict object (base + map: 16 B) and its table."""
    return blocks(4 * _WORD) + table(n)


class Model:
    """Walks objects once each; .parts holds bytes by category."""

    def __init__(self, prefix, defaults=()):
        self.prefix = prefix
        self.defaults = set(defaults)  # "module.Class.func" / "module.func" with default args
        self.seen = set()
        self.parts = {"modules": 0, "classes": 0, "functions": 0, "instances": 0, "buffers": 0}
        self.counts = {"modules": 0, "classes": 0, "functions": 0, "instances": 0}

    def total(self):
        return sum(self.parts.values())

    def _new(self, o):
        i = id(o)
        if i in self.seen:
            return False
        self.seen.add(i)
        return True

    def _mine(self, cls):
        d = getattr(cls, "__dict__", None)
        m = d.get("__module__", None) if d else None
        return isinstance(m, str) and (m == self.prefix or m.startswith(self.prefix + "."))

    def modules(self):
        """Every loaded module of the package."""
        for name in sorted(sys.modules):
            if name == self.prefix or name.startswith(self.prefix + "."):
                self.module(name, sys.modules[name])

    def module(self, name, mod):
        if not self._new(mod):
            return
        d = mod.__dict__
        self.counts["modules"] += 1
        self.parts["modules"] += blocks(2 * _WORD) + dict_size(len(d))
        for k in d:
            self._member(d[k], name + "." + k, False)

    def _function(self, f, qualname):
        if not self._new(f):
            return
        t = type(f).__name__
        if t in ("function", "closure", "generator"):
            g = getattr(f, "__globals__", None)
            if g is None and t != "closure":
                return  # a built-in (in the firmware's flash)
            if g is not None and qualname.count(".") == g.get("__name__", "").count(".") + 1:
                qualname = g["__name__"] + "." + f.__name__  # a module-level def, maybe imported elsewhere
            self.counts["functions"] += 1
            # mp_obj_fun_bc_t: base, context, child table, bytecode (16 B), then the
            # default values inline
            self.parts["functions"] += 32 if qualname in self.defaults else 16
        elif t in ("property", "staticmethod", "classmethod"):
            self.counts["functions"] += 1
            self.parts["functions"] += 16  # property: base + 3 slots; the others base + 1
            for inner in (getattr(f, "fget", None), getattr(f, "fset", None), getattr(f, "__func__", None)):
                if inner is not None:
                    self._function(inner, qualname)
        elif t == "bound_method":
            self.parts["instances"] += 16  # base, meth, self

    def klass(self, cls, qualname):
        if not self._new(cls):
            return
        d = cls.__dict__
        qualname = d.get("__module__", "?") + "." + cls.__name__  # where it was defined
        self.counts["classes"] += 1
        size = _TYPE + dict_size(len(d))
        if cls.__bases__ and cls.__bases__ != (object,):
            size += blocks(2 * _WORD + _WORD * len(cls.__bases__))  # the bases tuple
        self.parts["classes"] += size
        for k in d:
            self._member(d[k], qualname + "." + k, False)

    def _member(self, v, qualname, held):
        # held: a value an instance holds (built at run time), not a module or class
        # constant (a frozen build keeps those in flash)
        if isinstance(v, type):
            if self._mine(v):
                self.klass(v, qualname)
            return
        t = type(v).__name__
        if t in ("function", "closure", "generator", "property", "staticmethod", "classmethod",
                 "bound_method"):
            self._function(v, qualname)
        elif t in ("bytearray", "memoryview", "array"):
            if self._new(v):
                self.parts["buffers"] += blocks(4 * _WORD) + (blocks(len(v)) if t != "memoryview" else 0)
        elif t == "list":
            if self._new(v):
                self.parts["instances"] += blocks(4 * _WORD) + blocks(_WORD * len(v))
                for x in v:
                    self._member(x, qualname, True)
        elif t == "tuple":
            if held and self._new(v):
                self.parts["instances"] += blocks(2 * _WORD + _WORD * len(v))
                for x in v:
                    self._member(x, qualname, True)
        elif t == "dict":
            if self._new(v):
                self.parts["instances"] += dict_size(len(v))
                for x in v.values():
                    self._member(x, qualname, True)
        elif t in ("str", "bytes"):
            if held and len(v) and self._new(v):
                self.parts["instances"] += blocks(4 * _WORD) + blocks(len(v) + 1)
        elif t == "float":
            if held and self._new(v):
                self.parts["instances"] += 16
        elif t != "module" and not isinstance(v, (int, bool)) and v is not None:
            cls = type(v)
            if self._mine(cls):
                self.instance(v, qualname)

    def instance(self, obj, qualname="?"):
        """An instance of one of the package's classes and what it holds."""
        if not self._new(obj):
            return
        self.klass(type(obj), type(obj).__name__)
        d = obj.__dict__
        self.counts["instances"] += 1
        # mp_obj_instance_t: base and the members map (16 B), then the members table
        self.parts["instances"] += blocks(4 * _WORD) + table(len(d))
        for k in d:
            self._member(d[k], qualname + "." + k, True)


def estimate(prefix, roots=(), defaults=()):
    """(total bytes, parts, counts) for the package's loaded modules and the given
    instances."""
    m = Model(prefix, defaults)
    m.modules()
    for r in roots:
        m.instance(r)
    return m.total(), m.parts, m.counts


def defaults_of(lib, package="qssl"):
    """(CPython) the "module.func" / "module.Class.func" names under lib/<package> whose
    def has default arguments: MicroPython cannot tell them apart at run time."""
    import ast
    import os

    out = []
    pdir = os.path.join(lib, package)
    for fn in sorted(os.listdir(pdir)):
        if not fn.endswith(".py"):
            continue
        mod = package if fn == "__init__.py" else package + "." + fn[:-3]
        with open(os.path.join(pdir, fn)) as f:
            tree = ast.parse(f.read())

        def scan(body, prefix):
            for n in body:
                if isinstance(n, ast.FunctionDef):
                    if n.args.defaults or any(d is not None for d in n.args.kw_defaults):
                        out.append(prefix + n.name)
                elif isinstance(n, ast.ClassDef):
                    scan(n.body, prefix + n.name + ".")
                elif isinstance(n, (ast.If, ast.Try)):
                    scan(n.body, prefix)
                    scan(n.orelse, prefix)

        scan(tree.body, mod + ".")
    return out
