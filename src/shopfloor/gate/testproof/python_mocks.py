"""TI006/TI007 for Python: a test that replaces the very function or class it then calls and asserts on.

The rule, kept narrow on purpose: the test patches a target `owner.attr` (with `mock.patch("pkg.mod.attr")`,
`patch.object(owner, "attr")`, `mocker.patch...` or `monkeypatch.setattr`), and then itself calls
`attr(...)`, `<owner>.attr(...)`, `<owner>().attr(...)` or `<instance of owner>.attr(...)`, where
`<owner>` is the last part of the patched owner's dotted name, and that call's result reaches an
assertion (directly, or through a variable the assertion reads). Called through its owner, the patched
object is certainly what the test calls: TI007, high. Called by its bare name, it may be the real function
imported before the patch: TI006, a review item. Patching a dependency and calling
something else is the normal use of mocks and is never reported; nor are patches of standard-library
modules (`time.time`, `os.environ`), whose direct calls in a test usually compute an expectation.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from shopfloor.gate.findings import Finding
from shopfloor.gate.testproof.python_ast import PyTest, dotted, is_asserting_call, walk_body
from shopfloor.gate.testproof.rules import finding

_STRING_PATCHERS = {"patch", "mock.patch", "unittest.mock.patch", "mocker.patch"}
_OBJECT_PATCHERS = {"patch.object", "mock.patch.object", "unittest.mock.patch.object", "mocker.patch.object"}
_HINT = (
    "Patch only what the unit depends on (network, clock, database, another module), call the real unit "
    "and assert on its result; a test that asserts on its own mock cannot fail."
)


@dataclass(frozen=True)
class PatchTarget:
    owner: str
    """Dotted name of what holds the patched attribute: `app.service` or `Service`."""
    attr: str
    line: int


def mocked_unit_findings(rel_path: str, test: PyTest) -> Iterator[Finding]:
    """TI006 findings for one test (see the module docstring for the exact rule)."""
    targets = list(patch_targets(test))
    if not targets:
        return
    in_assertion, asserted_names = _assertion_contents(test.node.body)
    for target in targets:
        owner_root = target.owner.split(".")[0]
        if owner_root in sys.stdlib_module_names:
            continue
        calls = _unit_calls(test.node.body, target)
        tainted = _names_bound_to(test.node.body, calls)
        hit = next((c for c in calls if id(c) in in_assertion), None)
        if hit is None and tainted & asserted_names:
            hit = calls[0]
        if hit is None:
            continue
        patched = f"`{test.qualname}` patches `{target.owner}.{target.attr}`"
        if isinstance(hit.func, ast.Attribute):
            yield finding(
                "TI007",
                rel_path,
                target.line,
                f"{patched} and then asserts on what `{dotted(hit.func)}` returns (line {hit.lineno}): "
                "it tests the mock, not the code",
                _HINT,
            )
        else:  # a bare name may be the real function imported before the patch: a review item
            yield finding(
                "TI006",
                rel_path,
                target.line,
                f"{patched} and then asserts on what `{target.attr}` returns (line {hit.lineno}): if that "
                "name is the patched one, it tests the mock, not the code",
                _HINT,
            )


def patch_targets(test: PyTest) -> Iterator[PatchTarget]:
    """What the test (its decorators, its classes' decorators and its body) patches."""
    decorators = [*test.node.decorator_list, *(d for c in test.classes for d in c.decorator_list)]
    for node in [*decorators, *walk_body(test.node.body)]:
        if isinstance(node, ast.Call):
            target = _target_of(node)
            if target is not None:
                yield target


def _target_of(call: ast.Call) -> PatchTarget | None:
    name = dotted(call.func)
    args = call.args
    string_form = name in _STRING_PATCHERS or (
        name.endswith("monkeypatch.setattr") and _is_dotted_str(args, 0)
    )
    if string_form and _is_dotted_str(args, 0):
        owner, _, attr = str(_const(args[0])).rpartition(".")
        return PatchTarget(owner, attr, call.lineno)
    object_form = name in _OBJECT_PATCHERS or name.endswith("monkeypatch.setattr")
    if object_form and len(args) >= 2 and isinstance(_const(args[1]), str) and dotted(args[0]):
        return PatchTarget(dotted(args[0]), str(_const(args[1])), call.lineno)
    return None


def _const(node: ast.expr) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _is_dotted_str(args: list[ast.expr], i: int) -> bool:
    value = _const(args[i]) if len(args) > i else None
    return isinstance(value, str) and "." in value


def _unit_calls(body: list[ast.stmt], target: PatchTarget) -> list[ast.Call]:
    owner_last = target.owner.split(".")[-1]
    instances = {
        t.id
        for node in walk_body(body)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
        and dotted(node.value.func).split(".")[-1] == owner_last
        for t in node.targets
        if isinstance(t, ast.Name)
    }  # fmt: skip
    calls: list[ast.Call] = []
    for node in walk_body(body):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id == target.attr:
            calls.append(node)
        elif isinstance(f, ast.Attribute) and f.attr == target.attr:
            receiver = dotted(f.value).replace("()", "").split(".")[-1]
            if receiver == owner_last or receiver in instances:
                calls.append(node)
    return calls


def _assertion_contents(body: list[ast.stmt]) -> tuple[set[int], set[str]]:
    """Ids of every node inside an assertion, and the variable names assertions read."""
    inside: set[int] = set()
    names: set[str] = set()
    for node in walk_body(body):
        roots: list[ast.expr] = []
        if isinstance(node, ast.Assert):
            roots = [node.test]
        elif isinstance(node, ast.Call) and is_asserting_call(node):
            roots = list(node.args)
        for root in roots:
            for sub in ast.walk(root):
                inside.add(id(sub))
                if isinstance(sub, ast.Name):
                    names.add(sub.id)
    return inside, names


def _names_bound_to(body: list[ast.stmt], calls: list[ast.Call]) -> set[str]:
    """Variables assigned from an expression containing one of `calls`."""
    wanted = {id(c) for c in calls}
    names: set[str] = set()
    for node in walk_body(body):
        if (
            isinstance(node, ast.Assign | ast.AnnAssign)
            and node.value is not None
            and any(id(sub) in wanted for sub in ast.walk(node.value))
        ):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names
