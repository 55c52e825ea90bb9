# Every integer constant lib/ computes must be a small int on a 32-bit board (31 bits:
# -2**30 .. 2**30 - 1). mpy-cross compiles for 31-bit small ints: `1 << 30` becomes a
# long-int constant object (made on the heap when a .mpy file loads), and every comparison
# with it takes the long-int path. The 64-bit unix port, whose small ints are 63 bits,
# never shows the difference.
import ast
import operator
import os

LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib", "qssl")
SMALL_MIN, SMALL_MAX = -(1 << 30), (1 << 30) - 1
_OPS = {ast.LShift: operator.lshift, ast.RShift: operator.rshift, ast.Add: operator.add,
        ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Pow: operator.pow, ast.BitOr: operator.or_,
        ast.BitAnd: operator.and_, ast.FloorDiv: operator.floordiv}


def _value(node):
    """The int a constant expression folds to, or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _value(node.operand)
        return -v if v is not None else None
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        a, b = _value(node.left), _value(node.right)
        if a is not None and b is not None:
            return _OPS[type(node.op)](a, b)
    return None


def out_of_range():
    found = []
    for fn in sorted(os.listdir(LIB)):
        if not fn.endswith(".py"):
            continue
        with open(os.path.join(LIB, fn)) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            v = _value(node)
            if v is not None and not SMALL_MIN <= v <= SMALL_MAX:
                found.append("%s:%d: %d" % (fn, node.lineno, v))
    return found


def test_lib_computes_no_long_int_constant():
    assert out_of_range() == []


def test_the_check_sees_a_shift_past_31_bits():
    tree = ast.parse("n = check.integer(n, 'nbytes', 0, 1 << 30)")
    assert any(_value(n) == 1 << 30 for n in ast.walk(tree))
