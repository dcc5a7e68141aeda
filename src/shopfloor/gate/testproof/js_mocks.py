"""TI006/TI007 for JavaScript/TypeScript: the unit under test replaced, then the replacement asserted.

TI007 (high), the test asserts on what a replaced unit returns:
- a project module (a relative or `@/`-style specifier) is mocked with `jest.mock`/`vi.mock` and imported
  by the test, and an import from it that the mock replaces is called inside an assertion;
- `jest.spyOn(calc, 'mul').mockReturnValue(6)` (or `vi.spyOn`, `sinon.stub(...).returns`, node:test's
  `mock.method(calc, 'mul', fake)`, `calc.mul = jest.fn(...)`) in the test or a `beforeEach`, and then
  `calc.mul(...)` is called inside an assertion.
TI006 (medium): the module mocked wholesale is the one the test file is named after (`math.test.js`
mocking `./math`). Mocking a dependency and asserting on how it was called is normal and never reported;
neither are packages (`axios`, `fs`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from ast_grep_py import SgNode

from shopfloor.gate.findings import Finding
from shopfloor.gate.testproof.js_assertions import assertions, object_keys
from shopfloor.gate.testproof.js_ast import (
    args_of,
    callee,
    calls_in,
    dotted,
    function_body,
    is_function,
    line,
    named,
    string_value,
)
from shopfloor.gate.testproof.js_blocks import JsBlock, find_blocks
from shopfloor.gate.testproof.rules import finding

_MOCKERS = {"jest.mock", "vi.mock", "jest.doMock", "vi.doMock", "jest.unstable_mockModule"}
_SPIES = {"jest.spyOn", "vi.spyOn", "spyOn"}
_FAKING = {"mockReturnValue", "mockReturnValueOnce", "mockImplementation", "mockImplementationOnce",
           "mockResolvedValue", "mockResolvedValueOnce", "mockRejectedValue", "returns", "resolves",
           "callsFake", "value"}  # fmt: skip
_STUBS = {"sinon.stub", "stub"}
_METHOD_MOCKS = {"mock.method", "t.mock.method", "context.mock.method", "sinon.replace"}
_HOOKS = {"beforeEach", "beforeAll", "before", "setup"}
_LOCAL = (".", "@/", "~/", "src/")
_EXT = re.compile(r"\.([cm]?[jt]sx?)$")
_TEST_SUFFIX = re.compile(r"\.(test|spec)$")
_HINT = (
    "Mock only what the unit depends on (HTTP, database, other modules), import the real unit and assert "
    "on what it returns; asserting on a mocked unit cannot fail."
)


@dataclass(frozen=True)
class ModuleMock:
    spec: str
    line: int
    partial: bool
    """The factory keeps the real module (`jest.requireActual`): only some exports are replaced."""
    replaced: frozenset[str] | None
    """Exports the factory spells out; None when it replaces everything (automock, or unknown)."""


def mocked_module_findings(rel_path: str, root: SgNode, lines: frozenset[int] | None) -> Iterator[Finding]:
    """TI006/TI007 findings for module mocks in a test file (see the module docstring for the rule)."""
    mocks = [
        m for m in module_mocks(root) if m.spec.startswith(_LOCAL) and (lines is None or m.line in lines)
    ]
    if not mocks:
        return
    imports = imported_bindings(root)
    asserted = _called_in_assertions(root)
    stem = _TEST_SUFFIX.sub("", _EXT.sub("", PurePosixPath(rel_path).name))
    for mock in mocks:
        spec = normalize(mock.spec)
        bindings = imports.get(spec)
        if bindings is None:
            continue
        called = sorted(
            local
            for local, member in asserted
            if local in bindings and _replaced(mock, bindings[local], member)
        )
        if called:
            yield finding(
                "TI007",
                rel_path,
                mock.line,
                f"`{mock.spec}` is mocked and the test asserts on what `{called[0]}` from that mock returns: "
                "it tests the mock, not the code",
                _HINT,
            )
        elif PurePosixPath(spec).name == stem and not mock.partial:
            yield finding(
                "TI006",
                rel_path,
                mock.line,
                f"`{mock.spec}` is mocked and imported by the test, and it is the module this test file is "
                "named after",
                _HINT,
            )


def replaced_unit_findings(rel_path: str, block: JsBlock) -> Iterator[Finding]:
    """TI007 for one test: it replaces `obj.method` (spy with a fake, stub, mock.method) and asserts on it."""
    hooks = [b.call for b in _hooks(block.call)]
    replaced = {name: at for scope in [block.call, *hooks] for name, at in _replacements(scope).items()}
    if not replaced:
        return
    for a in assertions(block.call):
        for node in [a.subject, *a.expected]:
            for call in calls_in(node):
                name = callee(call)
                if name in replaced:
                    yield finding(
                        "TI007",
                        rel_path,
                        replaced[name],
                        f"`{block.title or block.fn}` replaces `{name}` and then asserts on what it returns "
                        f"(line {line(call)}): it tests the fake, not the code",
                        _HINT,
                    )
                    return


def _replacements(scope: SgNode) -> dict[str, int]:
    """`obj.method` names that `scope` replaces with a fake, and the line where it does."""
    out: dict[str, int] = {}
    for call in calls_in(scope):
        name, args = callee(call), args_of(call)
        target = ""
        if name in _SPIES | _STUBS and len(args) >= 2 and (method := string_value(args[1])) is not None:
            faked = name in _STUBS and len(args) >= 3
            parent = call.parent()
            while parent is not None and parent.kind() in {"member_expression", "call_expression"}:
                prop = parent.field("property")
                faked = faked or (prop is not None and prop.text() in _FAKING)
                parent = parent.parent()
            if faked:
                target = f"{dotted(args[0])}.{method}"
        elif name in _METHOD_MOCKS and len(args) >= 3 and (method := string_value(args[1])) is not None:
            target = f"{dotted(args[0])}.{method}"
        if target and not target.startswith("."):
            out.setdefault(target, line(call))
    for assign in scope.find_all(kind="assignment_expression"):
        left, right = assign.field("left"), assign.field("right")
        if left is None or right is None or left.kind() != "member_expression" or not dotted(left):
            continue
        if is_function(right) or callee(right) in {"jest.fn", "vi.fn", "sinon.fake", "sinon.stub", "mock.fn"}:
            out.setdefault(dotted(left), line(assign))
    return out


def _hooks(root: SgNode) -> list[JsBlock]:
    """`beforeEach(...)` and friends anywhere in the file the block sits in."""
    top = root
    while (parent := top.parent()) is not None:
        top = parent
    return [
        JsBlock(callee(c), (), "", c, line(c), line(c))
        for c in calls_in(top)
        if callee(c) in _HOOKS and not find_blocks(c)
    ]


def normalize(spec: str) -> str:
    """`./math.js`, `./math` and `./math/index` name the same module."""
    spec = _EXT.sub("", spec)
    return spec.removesuffix("/index")


def module_mocks(root: SgNode) -> list[ModuleMock]:
    found: list[ModuleMock] = []
    for call in calls_in(root):
        if callee(call) not in _MOCKERS:
            continue
        args = args_of(call)
        spec = string_value(args[0]) if args else None
        if spec is None:
            continue
        partial = any(
            callee(c).rsplit(".", 1)[-1] in {"requireActual", "importActual"} for c in calls_in(call)
        )
        found.append(
            ModuleMock(spec, line(args[0]), partial, _factory_keys(args[1]) if len(args) > 1 else None)
        )
    return found


def _factory_keys(factory: SgNode) -> frozenset[str] | None:
    """Exports a mock factory returns: the keys of the object literal it returns."""
    body = function_body(factory) if is_function(factory) else None
    if body is None:
        return None
    value = body
    while value.kind() == "parenthesized_expression" and named(value):
        value = named(value)[0]
    if value.kind() == "statement_block":
        ret = value.find(kind="return_statement")
        value = named(ret)[0] if ret is not None and named(ret) else value
    return frozenset(object_keys(value)) if value.kind() == "object" else None


def _replaced(mock: ModuleMock, exported: str, member: str) -> bool:
    """Whether the mock fakes what `local.member(...)` (or `local(...)`) calls; `local` imports `exported`."""
    if mock.replaced is None:
        return not mock.partial
    if exported in {"*", "default"}:
        return member in mock.replaced if member else "default" in mock.replaced
    return exported in mock.replaced


def imported_bindings(root: SgNode) -> dict[str, dict[str, str]]:
    """Normalized specifier -> {local name: exported name} bound by `import ... from` or `require(...)`."""
    out: dict[str, dict[str, str]] = {}
    for stmt in root.find_all(kind="import_statement"):
        source = stmt.field("source")
        spec = string_value(source) if source is not None else None
        if spec is None:
            continue
        names = out.setdefault(normalize(spec), {})
        for clause in stmt.find_all(kind="import_clause"):
            for child in named(clause):
                if child.kind() == "identifier":
                    names[child.text()] = "default"
                elif child.kind() == "namespace_import":
                    names.update({n.text(): "*" for n in child.find_all(kind="identifier")})
        for spec_node in stmt.find_all(kind="import_specifier"):
            name, alias = spec_node.field("name"), spec_node.field("alias")
            if name is not None:
                names[(alias or name).text()] = name.text()
    for call in calls_in(root):
        args = args_of(call)
        if callee(call) != "require" or not args or (spec := string_value(args[0])) is None:
            continue
        parent = call.parent()
        if parent is not None and parent.kind() == "variable_declarator":
            target = parent.field("name")
            names = out.setdefault(normalize(spec), {})
            if target is not None and target.kind() == "identifier":
                names[target.text()] = "*"
            elif target is not None:
                for n in target.find_all(kind="shorthand_property_identifier_pattern"):
                    names[n.text()] = n.text()
                for pair in target.find_all(kind="pair_pattern"):
                    key, value = pair.field("key"), pair.field("value")
                    if key is not None and value is not None:
                        names[value.text()] = key.text()
    return out


def _called_in_assertions(root: SgNode) -> set[tuple[str, str]]:
    """(root, member) of calls inside assertions: `add(1, 2)` -> (add, ''), `math.add()` -> (math, add)."""
    names: set[tuple[str, str]] = set()
    for a in assertions(root):
        for node in [a.subject, *a.expected]:
            for call in calls_in(node):
                parts = callee(call).split(".")
                if parts[0] and "()" not in parts[0] and not parts[-1].startswith("mock"):
                    names.add((parts[0], parts[1] if len(parts) > 1 else ""))
    return names
