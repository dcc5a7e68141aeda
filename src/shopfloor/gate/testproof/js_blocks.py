"""Reading JavaScript/TypeScript test files: `it`/`test`/`describe` blocks and what counts as an assertion."""

from __future__ import annotations

from dataclasses import dataclass

from ast_grep_py import SgNode

from shopfloor.gate.testproof.js_ast import (
    args_of,
    callee,
    calls_in,
    dotted,
    end_line,
    function_body,
    is_function,
    line,
    string_value,
)

_TEST_FNS = {"it", "test", "specify", "xit", "xtest", "xspecify", "fit"}
_GROUP_FNS = {"describe", "suite", "context", "xdescribe", "xcontext", "fdescribe", "fcontext"}
_ASSERT_WORDS = {"expect", "assert", "should", "expectTypeOf", "assertType"}
_ASSERT_PREFIXES = ("assert", "expect", "check", "verify", "should")
# Queries that throw when nothing matches (Testing Library): calling one is a check in itself.
_IMPLICIT_PREFIXES = ("getby", "getallby", "findby", "findallby")
# Modifiers of jest, vitest, mocha, node:test and Playwright; anything else (`test.set(...)` on a
# supertest request stored in a variable named `test`) is not a test block.
_MODIFIERS = {
    "only", "skip", "todo", "each", "concurrent", "skipIf", "runIf", "fails", "failing", "fixme",
    "sequential", "serial", "parallel", "describe", "it", "test", "suite", "for",
}  # fmt: skip


@dataclass(frozen=True)
class JsBlock:
    """One `it(...)`/`test(...)`/`describe(...)` call: its name, modifiers, title and node."""

    fn: str
    modifiers: tuple[str, ...]
    """`("only",)` for `it.only`, `("each",)` for `test.each(table)(...)`."""
    title: str
    call: SgNode
    """The call taking title and body (the outer one of a curried `each(table)(...)`)."""
    line: int
    last_line: int

    @property
    def is_test(self) -> bool:
        return self.fn in _TEST_FNS and not {"describe", "suite"} & set(self.modifiers)

    @property
    def args(self) -> list[SgNode]:
        return args_of(self.call)

    @property
    def body(self) -> SgNode | None:
        """The callback: the last argument when it is a function."""
        args = self.args
        return args[-1] if len(args) >= 2 and is_function(args[-1]) else None

    def touches(self, lines: frozenset[int] | None) -> bool:
        return lines is None or any(self.line <= n <= self.last_line for n in lines)


def find_blocks(root: SgNode) -> list[JsBlock]:
    """Every test and group call in the file, in source order."""
    blocks: list[JsBlock] = []
    for call in calls_in(root):
        parent = call.parent()
        if parent is not None and parent.kind() == "call_expression" and parent.field("function") == call:
            continue  # the inner call of a curried form; its outer call is the block
        fn = call.field("function")
        while fn is not None and fn.kind() == "call_expression":
            fn = fn.field("function")
        parts = dotted(fn).split(".") if fn is not None else []
        if not parts or parts[0] not in _TEST_FNS | _GROUP_FNS or "()" in "".join(parts):
            continue
        if not set(parts[1:]) <= _MODIFIERS:
            continue
        args = args_of(call)
        title = (string_value(args[0]) or "") if args else ""
        blocks.append(JsBlock(parts[0], tuple(parts[1:]), title, call, line(call), end_line(call)))
    return blocks


def enclosing_test(blocks: list[JsBlock], node: SgNode) -> JsBlock | None:
    """The innermost test block containing `node`."""
    r = node.range()
    inside = [
        b
        for b in blocks
        if b.is_test
        and b.call.range().start.index < r.start.index
        and r.end.index <= b.call.range().end.index
    ]
    return min(inside, key=lambda b: b.call.range().end.index - b.call.range().start.index, default=None)


def asserting_helpers(root: SgNode) -> set[str]:
    """Names of functions declared in the file whose bodies assert (`function checkUser(...) {...}`)."""
    bodies: dict[str, SgNode] = {}
    for decl in root.find_all(kind="function_declaration"):
        name, body = decl.field("name"), decl.field("body")
        if name is not None and body is not None:
            bodies[name.text()] = body
    for decl in root.find_all(kind="variable_declarator"):
        name, value = decl.field("name"), decl.field("value")
        if name is not None and value is not None and (body := function_body(value)) is not None:
            bodies[name.text()] = body
    helpers: set[str] = set()
    for _ in range(3):  # helpers that call helpers that assert
        for helper, body in bodies.items():
            if helper not in helpers and asserts(body, helpers):
                helpers.add(helper)
    return helpers


def asserts(node: SgNode, helpers: set[str]) -> bool:
    """Whether `node` contains something that can fail a test: an assertion, a throw, a checking call."""
    if node.find(kind="throw_statement") is not None:
        return True
    for ident in node.find_all(any=[{"kind": "identifier"}, {"kind": "property_identifier"}]):
        if ident.text() in _ASSERT_WORDS:
            return True
    for call in calls_in(node):
        name = callee(call).rsplit(".", 1)[-1]
        low = name.lower()
        if low.startswith(_ASSERT_PREFIXES) or low == "fail" or low.startswith(_IMPLICIT_PREFIXES):
            return True
        if name in helpers:
            return True
    return False
