# A model of the heap a package takes on a 32-bit board when it is frozen into the
# firmware, computed on any MicroPython port (the 64-bit unix port here) by walking what
# its import made. Frozen code keeps bytecode, raw code, its qstrs and constants in
# flash; what goes on the heap is what running the modules' top levels and the
# constructors creates: module objects and dicts, class objects and their dicts, a
# function object per def, instances and their members, buffers, the runtime qstrs of
# the dotted module names and the growth of sys.modules. Each is sized after
# MicroPython's 32-bit object layouts (py/obj.h, py/objtype.c, py/objfun.h, py/map.c,
# py/qstr.c as of 1.2x) and rounded up to the 16-byte GC block. A model, not a
# measurement: bench_e2e prints it beside the ROMFS measurement, and
# tests_host/test_frozen_model.py checks it against sizes worked out by hand.
#
# What it cannot see (the likely rest of the gap to a board): the measuring script's own
# objects and qstrs, a bytearray's or list's spare capacity (it assumes the exact or the
# minimum allocation), strings and tuples a module builds at import (taken for flash
# constants), and for open sockets the connection state a real bring-up leaves.
import sys

_BLOCK = 16
_WORD = 4
# mp_map_t grows through these sizes and only when full (py/map.c): a map holding n
# entries has the first size >= n, each entry two words.
_SIZES = (0, 2, 4, 6, 8, 10, 12, 17, 23, 29, 37, 47, 59, 73, 97, 127, 167, 223, 293, 389, 521)
# mp_obj_new_type allocates the type header (base, flags, name, 12 slot indexes: 5 words)
# and 10 slots, 11 with a base (parent), 12 when that base has a protocol (io.IOBase):
# 60 -> 64 B, 64 -> 64 B, 68 -> 80 B. With one base the bases tuple is not kept (parent
# points at the base itself).
_TYPE_HEADER = 5 * _WORD
_PROTOCOL_BASES = ("IOBase",)  # native bases whose type sets a protocol slot
# sys.modules starts with room for 3 (MICROPY_LOADED_MODULES_DICT_SIZE) and holds no
# built-in modules.
_LOADED_INIT = 3
# qstr.c: the first runtime pool has twice the frozen pool's alloc, which mpy-tool caps
# at 10; a pool is 6 words of header and 6 B an entry (pointer, 1-byte hash, 1-byte
# length); the text goes in 128-byte chunks.
_POOL_FIRST = 20
_POOL_HEADER = 6 * _WORD
_POOL_ENTRY = _WORD + 2
_QSTR_CHUNK = 128
_FROZEN_PREFIX = ".frozen/"  # where sys.path finds frozen modules: a package's __path__


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


def str_size(n):
    """A str or bytes object made at run time (base, hash, len, data: 16 B) and its data."""
    return blocks(4 * _WORD) + blocks(n + 1)


def loaded_modules_growth(n):
    """What n more entries in a fresh sys.modules add to its table."""
    alloc = _LOADED_INIT
    while alloc < n:
        alloc = map_alloc(alloc + 1)
    return blocks(alloc * 2 * _WORD) - blocks(_LOADED_INIT * 2 * _WORD)


def qstrs_size(names):
    """The first runtime qstr pool (and the next ones) and the chunks holding names."""
    if not names:
        return 0
    size = 0
    alloc = _POOL_FIRST
    left = len(names)
    while left > 0:
        size += blocks(_POOL_HEADER + _POOL_ENTRY * alloc)
        left -= alloc
        alloc *= 2
    used = 0
    for n in names:
        if used and used + len(n) + 1 > _QSTR_CHUNK:
            size += blocks(used)  # the full chunk is shrunk to what it holds
            used = 0
        used += len(n) + 1
    return size + max(_QSTR_CHUNK, blocks(used))


def function_size(slots):
    """mp_obj_fun_bc_t: base, context, child table, bytecode (16 B), then one word per
    positional default and one for the keyword-only defaults dict."""
    return blocks(4 * _WORD + _WORD * slots)


class Model:
    """Walks objects once each; .parts holds bytes by category."""

    def __init__(self, prefix, defaults=(), interned=()):
        self.prefix = prefix
        # "module.Class.func" / "module.func" -> (positional defaults, keyword-only
        # defaults); a plain list of names counts one positional default each
        if isinstance(defaults, dict):
            self.defaults = defaults
        else:
            self.defaults = {}
            for name in defaults:
                self.defaults[name] = (1, 0)
        self.interned = set(interned)  # module names the frozen code holds as qstrs
        self.seen = set()
        self.owners = {}  # module, class or "Class()" (its instances) -> bytes, to steer by
        # names: the runtime qstrs of module names and sys.modules' growth
        self.parts = {"modules": 0, "classes": 0, "functions": 0, "instances": 0, "buffers": 0, "names": 0}
        self.counts = {"modules": 0, "classes": 0, "functions": 0, "instances": 0}

    def total(self):
        return sum(self.parts.values())

    def _add(self, part, owner, n):
        self.parts[part] += n
        if "()" in owner:
            owner = owner.split(".")[0]  # what an instance holds counts for its class
        self.owners[owner] = self.owners.get(owner, 0) + n

    def largest(self, n):
        """The n owners taking the most, as (bytes, owner), largest first."""
        return sorted([(b, o) for o, b in self.owners.items()], reverse=True)[:n]

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

    def _native_base(self, cls):
        """The first built-in type (other than object) among cls's bases, or None."""
        for b in getattr(cls, "__bases__", ()):
            if b is object:
                continue
            if not self._mine(b):
                return b
            n = self._native_base(b)
            if n is not None:
                return n
        return None

    def modules(self):
        """Every loaded module of the package, their qstrs and their sys.modules entries."""
        names = [n for n in sorted(sys.modules) if n == self.prefix or n.startswith(self.prefix + ".")]
        for name in names:
            self.module(name, sys.modules[name])
        # the import makes a qstr of each dotted name the frozen code does not hold, and
        # the package itself was named by the caller's code
        fresh = [n for n in names if n != self.prefix and n not in self.interned]
        self._add("names", "sys.modules and qstrs", loaded_modules_growth(len(names)) + qstrs_size(fresh))

    def module(self, name, mod):
        if not self._new(mod):
            return
        d = mod.__dict__
        self.counts["modules"] += 1
        # mp_module_context_t (base, globals, qstr table, constants: 16 B) and the dict
        self._add("modules", name, blocks(4 * _WORD) + dict_size(len(d)))
        if "__path__" in d:  # a package: its path is a str made at import
            self._add("modules", name, str_size(len(_FROZEN_PREFIX + name.replace(".", "/"))))
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
            pos, kw = self.defaults.get(qualname, (0, 0))
            size = function_size(pos + (1 if kw else 0))
            if kw:
                size += blocks(4 * _WORD) + blocks(kw * 2 * _WORD)  # built with exactly kw slots
            if t == "closure":
                # mp_obj_closure_t (base, fun, n_closed, one cell: 16 B) and the cell
                # (16 B); MicroPython does not tell how many it closes over
                size += 2 * blocks(4 * _WORD)
            self._add("functions", qualname.rsplit(".", 1)[0], size)
        elif t in ("property", "staticmethod", "classmethod"):
            self.counts["functions"] += 1
            # property: base + 3 slots; staticmethod, classmethod: base + 1
            self._add("functions", qualname.rsplit(".", 1)[0], 16)
            for inner in (getattr(f, "fget", None), getattr(f, "fset", None), getattr(f, "__func__", None)):
                if inner is not None:
                    self._function(inner, qualname)
        elif t == "bound_method":
            self._add("instances", qualname, 16)  # base, meth, self

    def klass(self, cls, qualname):
        if not self._new(cls):
            return
        d = cls.__dict__
        qualname = d.get("__module__", "?") + "." + cls.__name__  # where it was defined
        self.counts["classes"] += 1
        bases = [b for b in cls.__bases__ if b is not object]
        slots = 10 + (1 if bases else 0)
        native = self._native_base(cls)
        if native is not None and native.__name__ in _PROTOCOL_BASES:
            slots += 1
        size = blocks(_TYPE_HEADER + _WORD * slots) + dict_size(len(d))
        if len(bases) > 1:
            size += blocks(2 * _WORD + _WORD * len(bases))  # parent is the bases tuple
        self._add("classes", qualname, size)
        for b in bases:
            if self._mine(b):
                self.klass(b, qualname)
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
                # mp_obj_array_t: base, typecode, len, items (16 B); a memoryview shares
                # its items
                data = 0 if t == "memoryview" else blocks(len(bytes(v)) if t == "array" else len(v))
                self._add("buffers", qualname, blocks(4 * _WORD) + data)
        elif t == "list":
            if self._new(v):
                # mp_obj_list_t: base, alloc, len, items (16 B); items hold at least 4
                self._add("instances", qualname, blocks(4 * _WORD) + blocks(_WORD * max(4, len(v))))
                for x in v:
                    self._member(x, qualname, True)
        elif t == "tuple":
            if held and v and self._new(v):
                self._add("instances", qualname, blocks(2 * _WORD + _WORD * len(v)))
                for x in v:
                    self._member(x, qualname, True)
        elif t == "dict":
            if self._new(v):
                self._add("instances", qualname, dict_size(len(v)))
                for x in v.values():
                    self._member(x, qualname, True)
        elif t in ("str", "bytes"):
            if held and len(v) and self._new(v):
                self._add("instances", qualname, str_size(len(v)))
        elif t == "float":
            if held and self._new(v):
                self._add("instances", qualname, 16)
        elif t != "module" and not isinstance(v, (int, bool)) and v is not None:
            cls = type(v)
            if self._mine(cls):
                self.instance(v, qualname)

    def instance(self, obj, qualname="?"):
        """An instance of one of the package's classes and what it holds."""
        if not self._new(obj):
            return
        cls = type(obj)
        self.klass(cls, cls.__name__)
        d = obj.__dict__
        self.counts["instances"] += 1
        # mp_obj_instance_t: base and the members map (16 B), a word for the native
        # base's sub-object, then the members table
        native = self._native_base(cls)
        size = blocks(4 * _WORD + (_WORD if native is not None else 0)) + table(len(d))
        if native is not None and issubclass(native, BaseException):
            # the exception sub-object: base, traceback sizes and data, args (16 B)
            size += blocks(4 * _WORD)
            if getattr(obj, "args", ()):
                size += blocks(2 * _WORD + _WORD * len(obj.args))
        qualname = cls.__name__ + "()"
        self._add("instances", qualname, size)
        for k in d:
            self._member(d[k], qualname + "." + k, True)


def walk(prefix, roots=(), defaults=(), interned=()):
    """The Model of the package's loaded modules and the given instances."""
    m = Model(prefix, defaults, interned)
    m.modules()
    for r in roots:
        m.instance(r)
    return m


def estimate(prefix, roots=(), defaults=(), interned=()):
    """(total bytes, parts, counts) for the package's loaded modules and the given
    instances."""
    m = walk(prefix, roots, defaults, interned)
    return m.total(), m.parts, m.counts


# --- CPython side: what MicroPython cannot tell at run time, read from the source ----------
def _sources(lib, package):
    import os

    pdir = os.path.join(lib, package)
    for fn in sorted(os.listdir(pdir)):
        if fn.endswith(".py"):
            mod = package if fn == "__init__.py" else package + "." + fn[:-3]
            with open(os.path.join(pdir, fn)) as f:
                yield mod, f.read()


def defaults_of(lib, package="qssl"):
    """(CPython) {"module.func" / "module.Class.func": (positional defaults,
    keyword-only defaults)} for each def under lib/<package> that has any."""
    import ast

    out = {}

    def scan(body, prefix):
        for n in body:
            if isinstance(n, ast.FunctionDef):
                kw = sum(1 for d in n.args.kw_defaults if d is not None)
                if n.args.defaults or kw:
                    out[prefix + n.name] = (len(n.args.defaults), kw)
            elif isinstance(n, ast.ClassDef):
                scan(n.body, prefix + n.name + ".")
            elif isinstance(n, (ast.If, ast.Try)):
                scan(n.body, prefix)
                scan(n.orelse, prefix)
                for h in getattr(n, "handlers", ()):
                    scan(h.body, prefix)

    for mod, text in _sources(lib, package):
        scan(ast.parse(text).body, mod + ".")
    return out


# mpy-cross interns string constants up to this length (MICROPY_ALLOC_PARSE_INTERN_STRING_LEN)
_INTERN_LEN = 10


def interned_modules(lib, package="qssl"):
    """(CPython) the dotted module names under lib/<package> that its frozen code holds
    as qstrs (an absolute import, an identifier or a short string constant): importing
    those makes no runtime qstr."""
    import ast

    names = set()
    for _mod, text in _sources(lib, package):
        for n in ast.walk(ast.parse(text)):
            if isinstance(n, ast.Import):
                names.update(a.name for a in n.names)
            elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
                names.add(n.module)
            elif isinstance(n, ast.Constant) and isinstance(n.value, str) and len(n.value) <= _INTERN_LEN:
                names.add(n.value)
    mods = [m for m, _ in _sources(lib, package)]
    return sorted(m for m in mods if m in names)
