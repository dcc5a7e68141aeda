"""TI003 for Python: a broad `except` (or `suppress`) inside a test that lets a failure pass silently."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from shopfloor.gate.findings import Finding
from shopfloor.gate.testproof.python_ast import (
    FuncDef,
    PyTest,
    call_name,
    dotted,
    has_assertion,
    is_asserting_call,
    is_deliberate_failure,
    walk_body,
    walk_own,
)
from shopfloor.gate.testproof.rules import finding

_BROAD = {"Exception", "BaseException"}
# Errors a test meets when the service it talks to is down: catching them turns an outage into a pass.
_CONNECTION = {
    "ConnectionError", "ConnectionRefusedError", "ConnectionResetError", "ConnectionAbortedError", "OSError",
    "IOError", "TimeoutError", "gaierror", "URLError", "ConnectError", "ConnectTimeout", "ReadTimeout",
    "RequestException", "RequestError", "TransportError", "OperationalError", "ServerSelectionTimeoutError",
    "ClientConnectorError", "ClientConnectionError", "NewConnectionError", "MaxRetryError",
}  # fmt: skip
_SOCKET = {"socket.error", "socket.timeout"}
_SKIPS = {"skip", "skipTest", "xfail", "importorskip"}

HINT = (
    "Let the exception fail the test. To check an expected error use "
    "`pytest.raises(SpecificError, match=...)`; never catch Exception or connection errors "
    "to make a test pass when the service is down."
)


def swallow_findings(rel_path: str, test: PyTest, helpers: dict[str, FuncDef]) -> Iterator[Finding]:
    """Handlers that catch broadly (or connection errors) and neither re-raise nor really check."""
    asserted = _names_in_assertions(test.node.body)
    for node in walk_own(test.node.body):
        if isinstance(node, ast.Try | ast.TryStar):
            for handler in node.handlers:
                what = _swallows(node, handler, helpers, asserted)
                if what:
                    yield finding("TI003", rel_path, handler.lineno, f"{what} in `{test.qualname}`", HINT)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                expr = item.context_expr
                if isinstance(expr, ast.Call) and call_name(expr) == "suppress" and _catch_kinds(expr.args):
                    caught = ", ".join(ast.unparse(a) for a in expr.args)
                    yield finding(
                        "TI003",
                        rel_path,
                        node.lineno,
                        f"`suppress({caught})` hides failures in `{test.qualname}`",
                        HINT,
                    )


def _swallows(
    try_node: ast.Try | ast.TryStar,
    handler: ast.ExceptHandler,
    helpers: dict[str, FuncDef],
    asserted: set[str],
) -> str:
    kinds = _catch_kinds([handler.type] if handler.type is not None else [])
    if handler.type is None:
        kinds.add("broad")
    if not kinds:
        return ""
    caught = "bare `except:`" if handler.type is None else f"`except {ast.unparse(handler.type)}`"
    if any(isinstance(n, ast.Call) and call_name(n) in _SKIPS for n in walk_body(handler.body)):
        return ""  # a skip is visible in the report, and TI004 judges it
    if not has_assertion(handler.body, helpers):
        if _stored_names(handler.body) & asserted:
            return (
                ""  # the failure is recorded and checked later (`errors.append(e)` ... `assert not errors`)
            )
        return f"{caught} swallows the failure ({_describe(handler.body)})"
    if handler.name and kinds & {"broad", "connection"}:
        checks = [n for n in walk_body(handler.body) if _is_check(n)]
        only_error = checks and all(_mentions(c, handler.name) for c in checks)
        if only_error and not _fails_without_error(try_node):
            return (
                f"{caught} only checks the caught error's message, so the test also passes when the call "
                "fails (for instance when the service is down)"
            )
    return ""


def _catch_kinds(types: list[ast.expr]) -> set[str]:
    kinds: set[str] = set()
    for t in types:
        if isinstance(t, ast.Tuple):
            kinds |= _catch_kinds(list(t.elts))
            continue
        name = dotted(t)
        last = name.split(".")[-1]
        if last in _BROAD:
            kinds.add("broad")
        elif last == "AssertionError":
            kinds.add("assertion")
        elif last in _CONNECTION or name in _SOCKET:
            kinds.add("connection")
    return kinds


def _is_check(node: ast.AST) -> bool:
    return isinstance(node, ast.Assert) or (isinstance(node, ast.Call) and is_asserting_call(node))


def _mentions(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _fails_without_error(try_node: ast.Try | ast.TryStar) -> bool:
    """The try (or its else) fails on purpose when nothing is raised: the expected-exception pattern."""
    for node in walk_body([*try_node.body, *try_node.orelse]):
        if isinstance(node, ast.Call) and call_name(node) == "fail":
            return True
        if isinstance(node, ast.Assert) and is_deliberate_failure(node.test):
            return True
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if dotted(exc).endswith("AssertionError"):
                return True
    return False


def _names_in_assertions(body: list[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for node in walk_body(body):
        if isinstance(node, ast.Assert):
            names |= {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Call) and is_asserting_call(node):
            for arg in node.args:
                names |= {n.id for n in ast.walk(arg) if isinstance(n, ast.Name)}
    return names


def _stored_names(body: list[ast.stmt]) -> set[str]:
    """Names a handler writes to: assignment targets and receivers of calls such as `errors.append(e)`."""
    names: set[str] = set()
    for node in walk_body(body):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            root = dotted(node.func.value).split(".")[0]
            if root and root not in {"print", "logging", "logger", "log", "warnings", "self"}:
                names.add(root)
    return names


def _describe(body: list[ast.stmt]) -> str:
    if all(
        isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        for s in body
    ):
        return "its body is only `pass`"
    if any(isinstance(s, ast.Return | ast.Continue | ast.Break) for s in body):
        return "it returns or moves on without failing"
    return "nothing in it re-raises or asserts"
