"""Reading Python test modules: which functions are tests, what counts as an assertion, literal checks."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef

# Context managers that fail the test unless the body raises or warns as expected.
_EXPECTING_CONTEXTS = {
    "raises", "warns", "deprecated_call", "assertRaises", "assertRaisesRegex", "assertRaisesRegexp",
    "assertWarns", "assertWarnsRegex", "assertLogs", "assertNoLogs",
}  # fmt: skip
_ASSERTING_PREFIXES = ("assert", "check", "verify", "expect")


@dataclass(frozen=True)
class PyTest:
    """One test function or method, with the lines it spans including its decorators."""

    qualname: str
    """`test_x`, or `TestThing.test_x` for a method."""
    node: FuncDef
    classes: tuple[ast.ClassDef, ...]
    first_line: int
    last_line: int

    def touches(self, lines: frozenset[int] | None) -> bool:
        return lines is None or any(self.first_line <= n <= self.last_line for n in lines)


def dotted(node: ast.AST) -> str:
    """`a.b.c` for a Name/Attribute chain (calls in the chain are written as `f()`), else ''."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            return ".".join(reversed(parts))
        elif isinstance(node, ast.Call):
            inner = dotted(node.func)
            if not inner:
                return ""
            parts.append(inner + "()")
            return ".".join(reversed(parts))
        else:
            return ""


def call_name(call: ast.Call) -> str:
    """The last name of what is called: `assertEqual` for `self.assertEqual(...)`."""
    f = call.func
    if isinstance(f, ast.Attribute):
        return f.attr
    if isinstance(f, ast.Name):
        return f.id
    return ""


def collect_tests(module: ast.Module) -> list[PyTest]:
    """Test functions at module level and test methods of test classes, nested classes included."""
    found: list[PyTest] = []

    def visit(body: list[ast.stmt], classes: tuple[ast.ClassDef, ...]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                qual = ".".join([*(c.name for c in classes), node.name])
                found.append(PyTest(qual, node, classes, first, node.end_lineno or node.lineno))
            elif isinstance(node, ast.ClassDef) and is_test_class(node):
                visit(node.body, (*classes, node))

    visit(module.body, ())
    return found


def is_test_class(node: ast.ClassDef) -> bool:
    return node.name.startswith("Test") or any(dotted(b).endswith("TestCase") for b in node.bases)


def helper_defs(module: ast.Module) -> dict[str, FuncDef]:
    """Functions a test may delegate its checks to: module-level functions and methods, by name."""
    defs: dict[str, FuncDef] = {}
    for node in ast.walk(module):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("test"):
            defs.setdefault(node.name, node)
    return defs


def is_asserting_call(call: ast.Call) -> bool:
    """Calls that check something: assert*/check*/verify*/expect* helpers, mock asserts, `fail`."""
    name = call_name(call).lstrip("_").lower()
    return name.startswith(_ASSERTING_PREFIXES) or name == "fail"


def is_expecting_with(node: ast.With | ast.AsyncWith) -> bool:
    return any(
        isinstance(item.context_expr, ast.Call) and call_name(item.context_expr) in _EXPECTING_CONTEXTS
        for item in node.items
    )


def walk_body(stmts: list[ast.stmt]) -> Iterator[ast.AST]:
    for stmt in stmts:
        yield from ast.walk(stmt)


def has_assertion(stmts: list[ast.stmt], helpers: dict[str, FuncDef], seen: set[str] | None = None) -> bool:
    """Whether these statements can fail a test: assert, raise, an expecting context, a checking call.

    A call to a helper defined in the same module counts when that helper itself asserts.
    """
    seen = set() if seen is None else seen
    for node in walk_body(stmts):
        if isinstance(node, ast.Assert | ast.Raise):
            return True
        if isinstance(node, ast.With | ast.AsyncWith) and is_expecting_with(node):
            return True
        if isinstance(node, ast.Call):
            if is_asserting_call(node):
                return True
            name = call_name(node)
            helper = helpers.get(name)
            if helper is not None and name not in seen:
                seen.add(name)
                if has_assertion(helper.body, helpers, seen):
                    return True
    return False


def is_literal(node: ast.expr) -> bool:
    """An expression built from literals only: its value is fixed before the test runs."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(is_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and is_literal(k) for k in node.keys) and all(map(is_literal, node.values))
    if isinstance(node, ast.UnaryOp):
        return is_literal(node.operand)
    if isinstance(node, ast.BinOp):
        return is_literal(node.left) and is_literal(node.right)
    if isinstance(node, ast.BoolOp):
        return all(is_literal(v) for v in node.values)
    if isinstance(node, ast.Compare):
        return is_literal(node.left) and all(is_literal(c) for c in node.comparators)
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(v, ast.Constant) for v in node.values)
    return False


def is_deliberate_failure(node: ast.expr) -> bool:
    """`assert False` / `assertTrue(0)`: a literal that is falsy is a way to fail on purpose."""
    try:
        return not ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def same_plain_value(a: ast.expr, b: ast.expr) -> bool:
    """Both sides are the same variable or attribute (no calls): `x == x` can never fail."""
    name = dotted(a)
    return bool(name) and "()" not in name and name == dotted(b)
