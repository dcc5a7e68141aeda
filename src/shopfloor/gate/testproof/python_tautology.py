"""TI008 for Python: an assertion true whatever the code under test does.

`assert check(x) or True`, `assert len(x) >= 0`, `assert x is not None` (or `isinstance(x, Calc)`) right
after `x = Calc(...)`, `assert isinstance(x, object)`, and their unittest spellings.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from shopfloor.gate.findings import Finding
from shopfloor.gate.testproof.python_ast import PyTest, call_name, dotted, is_literal, literal_value, walk_own
from shopfloor.gate.testproof.rules import finding

_TRUTHY_CALLS = {"assertTrue", "assert_", "failUnless"}
_HINT = (
    "Assert on something the code under test decides: its return value against an expected value, "
    "or the state it changed."
)
# Values a test builds itself: they are never None, and a class call returns an instance of that class.
_BUILT = (ast.Dict, ast.List, ast.Set, ast.Tuple, ast.ListComp, ast.SetComp, ast.DictComp, ast.Lambda,
          ast.JoinedStr, ast.GeneratorExp)  # fmt: skip


def always_true_findings(rel_path: str, test: PyTest) -> Iterator[Finding]:
    """TI008 findings for one test."""
    built = _built_values(test.node.body)
    for node in walk_own(test.node.body):
        spelled, why = "", ""
        if isinstance(node, ast.Assert):
            spelled, why = f"assert {_short(node.test)}", _true_expression(node.test, built)
        elif isinstance(node, ast.Call) and node.args:
            spelled = f"{call_name(node)}({', '.join(_short(a) for a in node.args[:2])})"
            why = _true_call(node, built)
        if why:
            line = getattr(node, "lineno", test.node.lineno)
            message = f"`{spelled}` in `{test.qualname}` cannot fail: {why}"
            yield finding("TI008", rel_path, line, message, _HINT)


def _true_call(call: ast.Call, built: dict[str, ast.expr]) -> str:
    name, args = call_name(call), call.args
    if name in _TRUTHY_CALLS:
        return _true_expression(args[0], built)
    if name == "assertIsNotNone":
        return _never_none(args[0], built)
    if name == "assertGreaterEqual" and len(args) >= 2 and _is_len(args[0]) and _is_zero(args[1]):
        return "a length is never negative"
    if name == "assertIsInstance" and len(args) >= 2:
        return _own_instance(args[0], args[1], built)
    return ""


def _true_expression(test: ast.expr, built: dict[str, ast.expr]) -> str:
    if (
        isinstance(test, ast.BoolOp)
        and isinstance(test.op, ast.Or)
        and any(map(_truthy_literal, test.values))
    ):
        return "an `or` with a true literal is true whatever the other side is"
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if _is_len(left) and (
            (isinstance(op, ast.GtE) and _is_zero(right)) or (isinstance(op, ast.Gt) and _is_minus_one(right))
        ):
            return "a length is never negative"
        if isinstance(op, ast.IsNot) and isinstance(right, ast.Constant) and right.value is None:
            return _never_none(left, built)
    if isinstance(test, ast.Call) and call_name(test) == "isinstance" and len(test.args) == 2:
        return _own_instance(test.args[0], test.args[1], built)
    return ""


def _never_none(value: ast.expr, built: dict[str, ast.expr]) -> str:
    """Why `value` cannot be None: the test just built it (a class call, a literal, a comprehension)."""
    origin, via = _origin(value, built)
    if (
        isinstance(origin, _BUILT)
        or _class_call(origin)
        or (is_literal(origin) and literal_value(origin) != (True, None))
    ):
        return f"`{_short(value)}`{via} is never None"
    return ""


def _own_instance(value: ast.expr, cls: ast.expr, built: dict[str, ast.expr]) -> str:
    if dotted(cls) == "object":
        return "everything is an instance of `object`"
    origin, via = _origin(value, built)
    if _class_call(origin) and isinstance(origin, ast.Call) and dotted(origin.func) == dotted(cls):
        return f"`{_short(value)}`{via} is an instance of `{dotted(cls)}` by construction"
    return ""


def _origin(value: ast.expr, built: dict[str, ast.expr]) -> tuple[ast.expr, str]:
    if isinstance(value, ast.Name) and value.id in built:
        origin = built[value.id]
        return origin, f" (set to `{_short(origin)}` in the test)"
    return value, ""


def _class_call(node: ast.expr) -> bool:
    """A call of a class by the naming convention (`Calc(...)`, `models.User(...)`), never None."""
    if not isinstance(node, ast.Call):
        return False
    last = dotted(node.func).rsplit(".", 1)[-1]
    return last[:1].isupper() and not last.isupper()


def _built_values(body: list[ast.stmt]) -> dict[str, ast.expr]:
    """Names the test assigns exactly once: name -> the value assigned."""
    seen: dict[str, list[ast.expr | None]] = {}
    for node in walk_own(body):
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets, value = [node.target], node.value if isinstance(node, ast.AnnAssign) else None
        elif isinstance(node, ast.For | ast.AsyncFor | ast.With | ast.AsyncWith | ast.NamedExpr):
            targets = [t for t in ast.walk(node) if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)]
        for target in targets:
            for name in (n for n in ast.walk(target) if isinstance(n, ast.Name)):
                seen.setdefault(name.id, []).append(value if target is name else None)
    return {n: values[0] for n, values in seen.items() if len(values) == 1 and values[0] is not None}


def _is_len(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and dotted(node.func) == "len"


def _is_zero(node: ast.expr) -> bool:
    return literal_value(node) == (True, 0)


def _is_minus_one(node: ast.expr) -> bool:
    return literal_value(node) == (True, -1)


def _truthy_literal(node: ast.expr) -> bool:
    known, value = literal_value(node)
    return known and bool(value)


def _short(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."
