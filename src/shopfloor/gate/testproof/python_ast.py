"""Reading Python test modules: which functions are tests, what counts as an assertion, literal checks."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

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


def imported_helpers(
    module: ast.Module, rel_path: str, read: Callable[[str], str | None]
) -> dict[str, FuncDef]:
    """Functions imported from the project's own test helper modules (`from tests.util import check`).

    `read` returns a module's text by its path relative to the tree, or None (absent, or not test code).
    """
    out: dict[str, FuncDef] = {}
    here = PurePosixPath(rel_path).parent
    for node in ast.walk(module):
        if not isinstance(node, ast.ImportFrom) or not node.module:
            continue
        path = node.module.replace(".", "/") + ".py"
        if node.level:
            base = here
            for _ in range(node.level - 1):
                base = base.parent
            candidates = [base / path]
        else:
            candidates = [PurePosixPath(path), PurePosixPath("src") / path, here / path]
        for candidate in candidates:
            text = read(candidate.as_posix())
            if text is None:
                continue
            try:
                defs = helper_defs(ast.parse(text))
            except SyntaxError:
                break
            for alias in node.names:
                if alias.name in defs:
                    out[alias.asname or alias.name] = defs[alias.name]
            for name, fn in defs.items():
                out.setdefault(name, fn)  # what the imported helpers call in their own module
            break
    return out


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


def walk_own(stmts: list[ast.stmt]) -> Iterator[ast.AST]:
    """Like walk_body, but not into nested functions, lambdas and classes: only the test's own flow."""
    stack: list[ast.AST] = list(reversed(stmts))
    while stack:
        node = stack.pop()
        yield node
        for child in reversed(list(ast.iter_child_nodes(node))):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
                stack.append(child)


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
        if isinstance(node, ast.Call) and is_asserting_call(node):
            return True
        # A helper counts whether it is called or handed over (`run_in_thread(self._check_state)`).
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
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


_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}  # fmt: skip


def literal_value(node: ast.expr) -> tuple[bool, Any]:
    """(True, value) for a literal expression that can be evaluated safely, else (False, None)."""
    try:
        if isinstance(node, ast.Compare):
            left = ast.literal_eval(node.left)
            result = True
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = ast.literal_eval(right_node)
                result = result and bool(_COMPARE[type(op)](left, right))
                left = right
            return True, result
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError, KeyError):
        return False, None


def is_deliberate_failure(node: ast.expr) -> bool:
    """`assert False`, `assertTrue(0)`, `assert 1 == 2`: a literal check that always fails is on purpose."""
    known, value = literal_value(node)
    return known and not value


def same_expression(a: ast.expr, b: ast.expr) -> bool:
    """Both sides are the same expression: the same variable, or the same call run twice."""
    return ast.dump(a) == ast.dump(b)
