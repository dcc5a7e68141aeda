"""JavaScript/TypeScript assertions read as data: `expect(S)...matcher(E)` (Jest, Vitest, Chai) and
`assert(S)` / `assert.method(S, E)` (node:assert, Chai's assert)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ast_grep_py import SgNode

from shopfloor.gate.testproof.js_ast import args_of, callee, calls_in, line, named

_CHAIN_WORDS = {
    "to", "be", "been", "is", "that", "which", "and", "has", "have", "with", "at", "of", "same", "but",
    "does", "still", "also", "deep", "resolves", "rejects", "strict", "own", "nested",
}  # fmt: skip


@dataclass(frozen=True)
class JsAssertion:
    """One assertion: what it checks (`subject`), how (`matcher`), against what (`expected`)."""

    style: Literal["expect", "assert"]
    node: SgNode
    """The `expect(...)` or `assert...(...)` call."""
    subject: SgNode
    matcher: str
    """`toBe`, `equal`, `exist` (Chai's last word), an assert method (`strictEqual`), '' for `assert(x)`."""
    negated: bool
    expected: tuple[SgNode, ...]

    @property
    def line(self) -> int:
        return line(self.node)

    @property
    def label(self) -> str:
        if self.style == "assert":
            return f"assert.{self.matcher}" if self.matcher else "assert"
        return ("expect().not." if self.negated else "expect().") + self.matcher

    @property
    def spelled(self) -> str:
        """The assertion as written, cut to a readable length: `expect(c).not.toBeNull()`."""
        args = ", ".join(short(n) for n in (self.subject, *self.expected))
        if self.style == "assert":
            return f"{self.label}({args})"
        expected = ", ".join(short(n) for n in self.expected)
        return f"expect({short(self.subject)}){'.not' if self.negated else ''}.{self.matcher}({expected})"


def assertions(node: SgNode) -> list[JsAssertion]:
    """Every assertion inside `node`, in source order."""
    out: list[JsAssertion] = []
    for call in calls_in(node):
        name = callee(call)
        args = args_of(call)
        if not args:
            continue
        if name == "expect":
            out.append(_expect_chain(call, args[0]))
        elif name == "assert":
            out.append(JsAssertion("assert", call, args[0], "", False, tuple(args[1:2])))
        elif name.startswith("assert.") and name.count(".") == 1:
            method = name.removeprefix("assert.")
            negated = method.startswith("not") or method in {"isFalse", "isNotOk", "notOk"}
            out.append(JsAssertion("assert", call, args[0], method, negated, tuple(args[1:2])))
    return out


def _expect_chain(call: SgNode, subject: SgNode) -> JsAssertion:
    """Climb `expect(S).not.toBe(E)` or `expect(S).to.not.be.ok` from the inner call outwards."""
    words: list[str] = []
    expected: tuple[SgNode, ...] = ()
    top = call
    while (parent := top.parent()) is not None:
        if parent.kind() == "member_expression" and parent.field("object") == top:
            prop = parent.field("property")
            words.append(prop.text() if prop is not None else "")
        elif parent.kind() == "call_expression" and parent.field("function") == top:
            expected = tuple(args_of(parent))
        else:
            break
        top = parent
    negated = words.count("not") % 2 == 1
    meaningful = [w for w in words if w not in _CHAIN_WORDS | {"not"}]
    matcher = meaningful[-1] if meaningful else ""
    return JsAssertion("expect", call, subject, matcher, negated, expected)


def bindings(scope: SgNode) -> dict[str, SgNode]:
    """Variables declared exactly once in `scope` and never assigned again: name -> initial value."""
    seen: dict[str, list[SgNode]] = {}
    for decl in scope.find_all(kind="variable_declarator"):
        name, value = decl.field("name"), decl.field("value")
        if name is not None and name.kind() == "identifier":
            seen.setdefault(name.text(), []).append(value if value is not None else decl)
    for assign in scope.find_all(
        any=[{"kind": "assignment_expression"}, {"kind": "augmented_assignment_expression"}]
    ):
        left = assign.field("left")
        if left is not None:
            seen.setdefault(left.text(), []).append(assign)
    return {
        name: values[0]
        for name, values in seen.items()
        if len(values) == 1 and values[0].kind() != "variable_declarator"
    }


def object_keys(node: SgNode) -> set[str]:
    """Property names an object literal spells out: `{ add: () => 3, 'mul': f, sub }`."""
    keys: set[str] = set()
    for child in named(node):
        if child.kind() == "shorthand_property_identifier":
            keys.add(child.text())
        elif child.kind() in {"pair", "method_definition"}:
            key = child.field("key") or child.field("name")
            if key is not None:
                keys.add(key.text().strip("'\""))
    return keys


def short(node: SgNode) -> str:
    """A node's source on one line, cut to a readable length."""
    text = " ".join(node.text().split())
    return text if len(text) <= 50 else text[:47] + "..."
