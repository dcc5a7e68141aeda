"""Integrity checks for Python tests (TI001 no assertion, TI002 constant assertion, TI004 skip added);
TI003 in python_swallow, TI006/TI007 in python_mocks, TI008 in python_tautology."""

from __future__ import annotations

import ast
import contextlib
from collections import Counter
from collections.abc import Callable, Iterator

from shopfloor.gate.findings import Finding
from shopfloor.gate.testproof.python_ast import (
    PyTest,
    call_name,
    collect_tests,
    dotted,
    has_assertion,
    helper_defs,
    imported_helpers,
    is_deliberate_failure,
    is_literal,
    is_test_class,
    literal_value,
    same_expression,
    walk_body,
)
from shopfloor.gate.testproof.python_mocks import mocked_unit_findings
from shopfloor.gate.testproof.python_swallow import swallow_findings
from shopfloor.gate.testproof.python_tautology import always_true_findings
from shopfloor.gate.testproof.rules import finding

_PYTEST_MARKS = {"skip", "skipif", "xfail"}
_UNITTEST_SKIPS = {"skip", "skipIf", "skipUnless", "expectedFailure"}
_SKIP_CALLS = {"pytest.skip", "pytest.xfail", "pytest.importorskip", "self.skipTest"}
_ONE_VALUE = {"assertTrue", "assertFalse", "assertIsNone", "assertIsNotNone", "assert_", "failUnless"}
_TWO_VALUES = {
    "assertEqual", "assertEquals", "assertNotEqual", "assertIs", "assertIsNot", "assertIn", "assertNotIn",
    "assertGreater", "assertGreaterEqual", "assertLess", "assertLessEqual", "assertAlmostEqual",
    "assertListEqual", "assertDictEqual", "assertSetEqual", "assertTupleEqual", "assertCountEqual",
    "assertSequenceEqual", "assertMultiLineEqual",
}  # fmt: skip
_ALWAYS_TRUE_WHEN_SAME = {
    "assertEqual", "assertEquals", "assertIs", "assertGreaterEqual", "assertLessEqual", "assertAlmostEqual",
    "assertListEqual", "assertDictEqual", "assertSetEqual", "assertTupleEqual", "assertCountEqual",
    "assertSequenceEqual", "assertMultiLineEqual",
}  # fmt: skip
_SAME_OPS = (ast.Eq, ast.Is, ast.LtE, ast.GtE)

Signature = tuple[str, str]
ModuleReader = Callable[[str], str | None]
"""Text of a module by its path relative to the tree, or None."""


def check_python_test(
    rel_path: str,
    text: str,
    *,
    lines: frozenset[int] | None = None,
    base: str | None = None,
    read_module: ModuleReader | None = None,
) -> list[Finding]:
    """Findings for one Python test module; only tests touching `lines` (None: all) are judged.

    `base` is the module's text before the change: a skip already there is not reported again.
    `read_module` finds test helper modules it imports, so their asserting helpers count.
    """
    try:
        module = ast.parse(text)
    except SyntaxError as exc:
        return [
            finding(
                "TI000",
                rel_path,
                exc.lineno or 1,
                f"cannot parse the test module: {exc.msg}",
                "Fix the syntax error; nothing in this file was checked.",
            )
        ]
    helpers = helper_defs(module)
    if read_module is not None:
        for name, fn in imported_helpers(module, rel_path, read_module).items():
            helpers.setdefault(name, fn)
    tests = [t for t in collect_tests(module) if t.touches(lines)]
    markers = skip_markers(module)
    out = list(_added_skips(rel_path, markers, base))
    skipped = {sig[0] for sig, _line, _what in markers}
    for test in tests:
        if test.qualname not in skipped and not has_assertion(test.node.body, helpers):
            out.append(
                finding(
                    "TI001",
                    rel_path,
                    test.node.lineno,
                    f"`{test.qualname}` asserts nothing, so it cannot fail",
                    "Assert on the behaviour the test is about (a return value, a state change, "
                    "an expected exception with pytest.raises).",
                )
            )
        out.extend(_constant_assertions(rel_path, test))
        out.extend(always_true_findings(rel_path, test))
        out.extend(swallow_findings(rel_path, test, helpers))
        out.extend(mocked_unit_findings(rel_path, test))
    return sorted(out, key=lambda f: (f.line, f.rule_id))


def touched_test_names(text: str, lines: frozenset[int] | None) -> list[str]:
    """Qualified names (`TestX.test_y`) of the tests that the changed lines touch."""
    try:
        module = ast.parse(text)
    except SyntaxError:
        return []
    return [t.qualname for t in collect_tests(module) if t.touches(lines)]


def skip_markers(module: ast.Module) -> list[tuple[Signature, int, str]]:
    """Every skip, skipif, xfail and unittest skip in the module: (owner, kind), line, how it is written."""
    found: list[tuple[Signature, int, str]] = []

    def add_decorators(owner: str, decorators: list[ast.expr]) -> None:
        for deco in decorators:
            for node in ast.walk(deco):
                kind = _skip_kind(node)
                if kind and isinstance(node, ast.expr):
                    found.append(((owner, kind), node.lineno, kind))

    def visit(body: list[ast.stmt], owner: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef) and is_test_class(node):
                name = f"{owner}.{node.name}" if owner else node.name
                add_decorators(name, node.decorator_list)
                visit(node.body, name)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{owner}.{node.name}" if owner else node.name
                add_decorators(name, node.decorator_list)
                found.extend(((name, what), line, what) for line, what in _skip_calls(node.body))
            elif isinstance(node, ast.Assign) and any(dotted(t) == "pytestmark" for t in node.targets):
                add_decorators(owner or "<module>", [node.value])
            elif not owner:
                found.extend((("<module>", what), line, what) for line, what in _skip_calls([node]))

    visit(module.body, "")
    return found


def _skip_kind(node: ast.AST) -> str:
    if not isinstance(node, ast.Attribute | ast.Name):
        return ""
    parts = dotted(node).split(".")
    if len(parts) >= 2 and parts[-2] == "mark" and parts[-1] in _PYTEST_MARKS:
        return f"pytest.mark.{parts[-1]}"
    if parts[-1] in _UNITTEST_SKIPS and (len(parts) == 1 or parts[-2] == "unittest"):
        return f"unittest.{parts[-1]}"
    return ""


def _skip_calls(stmts: list[ast.stmt]) -> Iterator[tuple[int, str]]:
    for node in walk_body(stmts):
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            if name in _SKIP_CALLS:
                yield node.lineno, f"{name}()"
        elif isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if dotted(exc).split(".")[-1] == "SkipTest":
                yield node.lineno, "raise SkipTest"


def _added_skips(
    rel_path: str, markers: list[tuple[Signature, int, str]], base: str | None
) -> Iterator[Finding]:
    before: Counter[Signature] = Counter()
    if base is not None:
        with contextlib.suppress(SyntaxError):
            before.update(sig for sig, _line, _what in skip_markers(ast.parse(base)))
    for sig, line, what in sorted(markers, key=lambda m: m[1]):
        if before[sig] > 0:
            before[sig] -= 1
            continue
        owner = "the whole module" if sig[0] == "<module>" else f"`{sig[0]}`"
        yield finding(
            "TI004",
            rel_path,
            line,
            f"{what} added to {owner}: the test no longer runs or no longer counts",
            "Remove the skip and make the test pass; if it truly cannot run here, say why in the task "
            "report instead of skipping it.",
        )


def _constant_assertions(rel_path: str, test: PyTest) -> Iterator[Finding]:
    hint = "Assert on a value the code under test produced, compared with an independently known expectation."
    for node in walk_body(test.node.body):
        what, line = "", getattr(node, "lineno", test.node.lineno)
        if isinstance(node, ast.Assert):
            t = node.test
            if is_literal(t) and not is_deliberate_failure(t):
                what = f"`assert {_short(t)}` checks a literal"
            elif (
                isinstance(t, ast.Compare)
                and len(t.ops) == 1
                and isinstance(t.ops[0], _SAME_OPS)
                and same_expression(t.left, t.comparators[0])
            ):
                what = f"`assert {_short(t)}` {_itself(t.left)}"
        elif isinstance(node, ast.Call) and node.args:
            what = _constant_assert_call(node)
        if what:
            yield finding("TI002", rel_path, line, f"{what} in `{test.qualname}`, so it always passes", hint)


def _constant_assert_call(node: ast.Call) -> str:
    name, args = call_name(node), node.args
    if name in _ONE_VALUE and is_literal(args[0]):
        if name in {"assertTrue", "assert_", "failUnless"} and is_deliberate_failure(args[0]):
            return ""
        return f"`{name}({_short(args[0])})` checks a literal"
    if name in _TWO_VALUES and len(args) >= 2:
        if is_literal(args[0]) and is_literal(args[1]) and not _always_fails(name, args[0], args[1]):
            return f"`{name}({_short(args[0])}, {_short(args[1])})` compares two literals"
        if name in _ALWAYS_TRUE_WHEN_SAME and same_expression(args[0], args[1]):
            return f"`{name}({_short(args[0])}, {_short(args[1])})` {_itself(args[0])}"
    return ""


def _always_fails(name: str, first: ast.expr, second: ast.expr) -> bool:
    """`assertEqual(False, "no error raised")`: an unequal pair is a deliberate failure, not a free pass."""
    known_a, a = literal_value(first)
    known_b, b = literal_value(second)
    if not (known_a and known_b) or name not in {"assertEqual", "assertEquals", "assertIs"}:
        return False
    return bool(a != b) if name != "assertIs" else a is not b


def _itself(node: ast.expr) -> str:
    if any(isinstance(n, ast.Call) for n in ast.walk(node)):
        return "compares a result with itself (two runs of the same call)"
    return "compares a value with itself"


def _short(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."
