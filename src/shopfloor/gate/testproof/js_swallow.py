"""TI003 for JavaScript: `try/catch` or `.catch(...)` in a test that lets a failure pass silently."""

from __future__ import annotations

from collections.abc import Iterator

from ast_grep_py import SgNode

from shopfloor.gate.findings import Finding
from shopfloor.gate.testproof.js_ast import (
    args_of,
    callee,
    calls_in,
    first_param,
    function_body,
    identifiers_in,
    is_function,
    line,
    named,
)
from shopfloor.gate.testproof.js_blocks import JsBlock, asserts
from shopfloor.gate.testproof.rules import finding

_REPORTERS = {"done", "reject", "fail"}
_STORE_METHODS = {"push", "add", "set", "append", "unshift"}
HINT = (
    "Let the error fail the test. For an expected error use `await expect(p).rejects.toThrow(...)`, "
    "`expect(() => f()).toThrow(...)` or `assert.rejects`; never catch errors so a test passes when a "
    "service is down."
)


def swallow_findings(rel_path: str, block: JsBlock, helpers: set[str]) -> Iterator[Finding]:
    """`catch` clauses and `.catch` callbacks in one test block that swallow a failure."""
    name = block.title or block.fn
    guarded = _counts_assertions(block.call)
    asserted = _asserted_names(block.call)
    for node in block.call.find_all(kind="try_statement"):
        handler = node.field("handler")
        if handler is None:
            continue
        what = _try_catch(node, handler, guarded, asserted, helpers)
        if what:
            yield finding("TI003", rel_path, line(handler), f"{what} in `{name}`", HINT)
    for call in calls_in(block.call):
        fn = call.field("function")
        prop = fn.field("property") if fn is not None and fn.kind() == "member_expression" else None
        if prop is None or prop.text() != "catch":
            continue
        what = _promise_catch(call, fn, guarded, helpers) if fn is not None else ""
        if what:
            yield finding("TI003", rel_path, line(prop), f"{what} in `{name}`", HINT)


def _try_catch(node: SgNode, handler: SgNode, guarded: bool, asserted: set[str], helpers: set[str]) -> str:
    body = handler.field("body")
    param_node = handler.field("parameter")
    param = param_node.text() if param_node is not None and param_node.kind() == "identifier" else ""
    if body is None or _reports(body):
        return ""
    if not asserts(body, helpers):
        if _stored(body) & asserted:
            return ""  # recorded and checked later: errors.push(e) ... expect(errors).toEqual([])
        state = "is empty" if not named(body) else "neither rethrows nor asserts"
        return f"`catch` swallows the failure (its body {state})"
    tried = node.field("body")
    fails_anyway = tried is not None and _has_fail(tried)
    if param and not guarded and not fails_anyway and _checks_only(body, param):
        return (
            "`catch` only checks the caught error's message, so the test also passes when the call fails "
            "(for instance when the service is down)"
        )
    return ""


def _promise_catch(call: SgNode, fn: SgNode, guarded: bool, helpers: set[str]) -> str:
    args = args_of(call)
    if (
        not args
        or any(n in _REPORTERS for n in identifiers_in(args[0]))
        or args[0].find(kind="throw_statement")
    ):
        return ""
    callback = args[0]
    body = function_body(callback) if is_function(callback) else None
    scope = body if body is not None else callback
    param = first_param(callback) if is_function(callback) else ""
    if not asserts(scope, helpers):
        chain = fn.field("object")
        if chain is not None and asserts(chain, helpers):
            return "`.catch(...)` swallows the failure of the assertions before it in the chain"
        return ""
    if param and not guarded and _checks_only(scope, param):
        return (
            "`.catch(...)` only checks the error's message, so the test also passes when the promise "
            "rejects for any reason, or resolves"
        )
    return ""


def _checks_only(body: SgNode, param: str) -> bool:
    """Every check in `body` is about the caught error (`expect(e.message)...`), and nothing rethrows."""
    if body.find(kind="throw_statement") is not None:
        return False
    found = False
    for call in calls_in(body):
        root = callee(call).split(".")[0]
        if root != "expect" and not root.startswith("assert"):
            continue
        if param not in {i for a in args_of(call) for i in identifiers_in(a)}:
            return False
        found = True
    return found


def _reports(body: SgNode) -> bool:
    """The handler passes the error on: `done(err)`, `reject(err)`, `t.skip()`, `this.skip()`."""
    for call in calls_in(body):
        name = callee(call)
        if name in _REPORTERS and args_of(call):
            return True
        if "." in name and name.rsplit(".", 1)[1] in {"skip", "todo"}:
            return True
    return False


def _has_fail(node: SgNode) -> bool:
    if node.find(kind="throw_statement") is not None:
        return True
    return any(callee(c).rsplit(".", 1)[-1] == "fail" for c in calls_in(node))


def _counts_assertions(node: SgNode) -> bool:
    """`expect.assertions(n)`, `expect.hasAssertions()` or `t.plan(n)`: a skipped catch fails the test."""
    return any(
        callee(c).rsplit(".", 1)[-1] in {"assertions", "hasAssertions", "plan"} for c in calls_in(node)
    )


def _asserted_names(node: SgNode) -> set[str]:
    names: set[str] = set()
    for call in calls_in(node):
        if callee(call) in {"expect", "assert"}:
            for a in args_of(call):
                names |= identifiers_in(a)
    return names


def _stored(body: SgNode) -> set[str]:
    """Variables the handler writes: `failed = true`, `errors.push(e)`."""
    names: set[str] = set()
    for assign in body.find_all(kind="assignment_expression"):
        left = assign.field("left")
        if left is not None and left.kind() == "identifier":
            names.add(left.text())
    for call in calls_in(body):
        parts = callee(call).split(".")
        if len(parts) == 2 and parts[1] in _STORE_METHODS:
            names.add(parts[0])
    return names
