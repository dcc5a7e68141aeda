"""Assertions that cannot fail, in JavaScript/TypeScript tests.

TI002: a literal checked (`expect(true).toBe(true)`, `assert.equal(3, 3)`) or a value compared with itself
(`expect(got).toBe(got)`, `expect(mul(2, 3)).toEqual(mul(2, 3))`).
TI008: a check true whatever the code does: `x || true`, `arr.length >= 0`, existence of a value the test
itself just built (`const c = new Calc(); expect(c).toBeDefined()`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ast_grep_py import SgNode

from shopfloor.gate.findings import Finding
from shopfloor.gate.testproof.js_assertions import JsAssertion, assertions, bindings, short
from shopfloor.gate.testproof.js_ast import is_falsy_literal, is_literal, signature, unwrap
from shopfloor.gate.testproof.js_blocks import JsBlock
from shopfloor.gate.testproof.rules import finding

_ONE_VALUE = {"", "ok", "isOk", "isTrue", "true", "isNotNull", "exists", "isDefined", "isFalse", "notOk"}
_TWO_VALUES = {
    "equal", "strictEqual", "deepEqual", "deepStrictEqual", "notEqual", "notStrictEqual", "notDeepEqual",
    "notDeepStrictEqual", "equals", "eql", "sameMembers", "include", "isAbove", "isBelow",
}  # fmt: skip
_SAME_IS_TRUE = {"equal", "strictEqual", "deepEqual", "deepStrictEqual", "equals", "eql"}
_SAME_MATCHERS = {"toBe", "toEqual", "toStrictEqual", "equal", "equals", "eql"}
_TRUTHY_CHECKS = {"", "ok", "isOk", "isTrue", "true", "toBeTruthy"}
_TRUE_MATCHERS = {"toBe", "toEqual", "toStrictEqual", "equal", "strictEqual"}
# Checks that a value exists: true for anything a test has just built.
_EXISTS = {"toBeDefined", "exist", "exists", "isDefined", "isNotNull", "isNotUndefined", "toBeTruthy",
           "ok", "isOk", ""}  # fmt: skip
_EXISTS_NEGATED = {"toBeUndefined", "toBeNull", "undefined", "null", "toBeFalsy"}
_NOT_NOTHING = {"notEqual", "notStrictEqual", "toBe", "toEqual", "equal"}
_AT_LEAST = {"toBeGreaterThanOrEqual", "least", "gte", "isAtLeast"}
_BUILT = {
    "new_expression",
    "object",
    "array",
    "arrow_function",
    "function_expression",
    "class",
    "template_string",
}
_CONST_HINT = "Assert on a value the code under test produced, against an independently known expectation."
_TRUE_HINT = (
    "Assert on something the code under test decides: its return value against an expected value, "
    "or the state it changed."
)


def always_true_findings(rel_path: str, block: JsBlock) -> Iterator[Finding]:
    """TI002 and TI008 findings for one test block."""
    name = block.title or block.fn
    bound = bindings(block.body) if block.body is not None else {}
    for a in assertions(block.call):
        what = _constant(a)
        if what:
            yield finding("TI002", rel_path, a.line, f"{what} in `{name}`, so it always passes", _CONST_HINT)
            continue
        why = _always_true(a, bound)
        if why:
            message = f"`{a.spelled}` in `{name}` cannot fail: {why}"
            yield finding("TI008", rel_path, a.line, message, _TRUE_HINT)


def _constant(a: JsAssertion) -> str:
    if a.style == "expect":
        if is_literal(a.subject):
            return f"`expect({short(a.subject)})` checks a literal"
        if a.matcher in _SAME_MATCHERS and not a.negated and a.expected and _same(a.subject, a.expected[0]):
            return _self_compare(a)
        return ""
    if a.matcher in _ONE_VALUE and is_literal(a.subject):
        if a.matcher in {"", "ok", "isOk", "isTrue", "true"} and is_falsy_literal(a.subject):
            return ""  # assert(false): failing on purpose
        return f"`{a.label}({short(a.subject)})` checks a literal"
    if a.matcher in _TWO_VALUES and a.expected:
        if is_literal(a.subject) and is_literal(a.expected[0]):
            return f"`{a.label}({short(a.subject)}, {short(a.expected[0])})` compares two literals"
        if a.matcher in _SAME_IS_TRUE and _same(a.subject, a.expected[0]):
            return _self_compare(a)
    return ""


def _self_compare(a: JsAssertion) -> str:
    if unwrap(a.subject).kind() == "call_expression":
        return f"`{a.spelled}` compares a result with itself (two runs of the same call)"
    return f"`{a.spelled}` compares a value with itself"


def _same(a: SgNode, b: SgNode) -> bool:
    return signature(unwrap(a)) == signature(unwrap(b))


def _always_true(a: JsAssertion, bound: dict[str, SgNode]) -> str:
    subject = unwrap(a.subject)
    truthy_check = (a.matcher in _TRUTHY_CHECKS and not a.negated) or (
        a.matcher in _TRUE_MATCHERS
        and not a.negated
        and len(a.expected) == 1
        and a.expected[0].text() == "true"
    )
    if truthy_check and (why := _true_expression(subject)):
        return why
    at_least_zero = a.matcher in _AT_LEAST and a.expected and a.expected[0].text() == "0"
    if at_least_zero and not a.negated and _is_size(subject):
        return "a length is never negative"
    return _exists_built(a, subject, bound)


def _true_expression(node: SgNode) -> str:
    """`x || true`, `arr.length >= 0`: an expression that is true whatever its parts are."""
    node = unwrap(node)
    if node.kind() == "binary_expression":
        op = node.field("operator")
        left, right = node.field("left"), node.field("right")
        if op is None or left is None or right is None:
            return ""
        if op.text() == "||" and (_truthy_literal(left) or _truthy_literal(right)):
            return f"`{short(node)}` is true whatever the other side is"
        if op.text() == ">=" and _is_size(left) and right.text() == "0":
            return "a length is never negative"
        if op.text() == ">" and _is_size(left) and right.text() == "-1":
            return "a length is never negative"
    return ""


def _truthy_literal(node: SgNode) -> bool:
    node = unwrap(node)
    return is_literal(node) and not is_falsy_literal(node)


def _is_size(node: SgNode) -> bool:
    node = unwrap(node)
    prop = node.field("property") if node.kind() == "member_expression" else None
    return prop is not None and prop.text() in {"length", "size"}


def _exists_built(a: JsAssertion, subject: SgNode, bound: dict[str, SgNode]) -> str:
    """An existence check on a value the test built itself (`new Calc()`, `{...}`, `typeof x`)."""
    exists = (a.matcher in _EXISTS and not a.negated) or (a.matcher in _EXISTS_NEGATED and a.negated)
    if not exists and a.matcher in _NOT_NOTHING and (a.negated or a.matcher.startswith("not")):
        exists = bool(a.expected) and a.expected[0].text() in {"undefined", "null"}
    instance = a.matcher in {"toBeInstanceOf", "instanceOf", "instanceof"}
    if not (exists or instance) or is_literal(subject):
        return ""  # a literal subject is TI002's
    value, via = subject, ""
    if subject.kind() == "identifier" and subject.text() in bound:
        value = unwrap(bound[subject.text()])
        via = f" (set to `{short(value)}` in the test)"
    kind = value.kind()
    built = kind in _BUILT or (kind == "unary_expression" and value.text().startswith("typeof"))
    built = built or (via != "" and is_literal(value) and not is_falsy_literal(value))
    if instance and kind == "new_expression":
        ctor = value.field("constructor")
        if ctor is not None and a.expected and a.expected[0].text() == ctor.text():
            return f"`{subject.text()}`{via} is an instance of `{ctor.text()}` by construction"
        return ""
    if exists and built and not (a.matcher in _TRUTHY_CHECKS and is_falsy_literal(value)):
        return f"`{short(subject)}`{via} is a value the test built, so it always exists"
    return ""
