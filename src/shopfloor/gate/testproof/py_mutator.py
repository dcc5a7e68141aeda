"""Mutants of Python functions, made on the syntax tree (`ast`) and written back as small text edits.

Four kinds, on the lines a task changed only: a return value replaced (`None`, or a flipped bool), a
condition negated (`if`, `while`, `x if c else y`), an operator swapped (`+`/`-`, `*`/`/`, `==`/`!=`,
`<`/`>=`, `and`/`or`, `+=`/`-=`) and a statement dropped (a call, an attribute write, `raise`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from shopfloor.gate.testproof.mutants import ChangedFunction, Edit, Mutant, MutantKind, one_line, pick

FuncDef = ast.FunctionDef | ast.AsyncFunctionDef

_BIN_SWAP: dict[type[ast.operator], tuple[str, str]] = {
    ast.Add: ("+", "-"), ast.Sub: ("-", "+"), ast.Mult: ("*", "/"), ast.Div: ("/", "*"),
    ast.FloorDiv: ("//", "*"), ast.Mod: ("%", "*"),
}  # fmt: skip
_CMP_SWAP: dict[type[ast.cmpop], tuple[str, str]] = {
    ast.Eq: ("==", "!="), ast.NotEq: ("!=", "=="), ast.Lt: ("<", ">="), ast.LtE: ("<=", ">"),
    ast.Gt: (">", "<="), ast.GtE: (">=", "<"), ast.In: ("in", "not in"), ast.NotIn: ("not in", "in"),
    ast.Is: ("is", "is not"), ast.IsNot: ("is not", "is"),
}  # fmt: skip
_CMP_TOKEN = re.compile(r"<=|>=|==|!=|<|>|\bnot\s+in\b|\bis\s+not\b|\bin\b|\bis\b")
_BOOL_TOKEN = re.compile(r"\band\b|\bor\b")
_AUG_TOKEN = re.compile(r"(//|[-+*/%])=")
_COMMENT = re.compile(r"#[^\n]*")


def python_functions(rel_path: str, text: str, lines: frozenset[int], limit: int) -> list[ChangedFunction]:
    """The functions whose changed lines can be mutated, each with up to `limit` mutants."""
    try:
        module = ast.parse(text)
    except SyntaxError:
        return []
    src = _Source(text)
    out: list[ChangedFunction] = []
    for name, fn in _functions(module.body, ""):
        chosen = tuple(m for m in pick(_mutants(rel_path, name, fn, src, lines), limit) if _parses(text, m))
        if chosen:
            out.append(ChangedFunction(rel_path, name, fn.lineno, chosen))
    return out


class _Source:
    """The module's text with a map from `ast` positions (line, UTF-8 byte column) to string offsets."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, lineno: int, col: int) -> int:
        line = self.lines[lineno - 1] if lineno - 1 < len(self.lines) else ""
        return self.starts[lineno - 1] + len(line.encode()[:col].decode(errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno or node.lineno, node.end_col_offset or 0)  # type: ignore[attr-defined]
        return start, end

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.text[start:end]


def _functions(body: list[ast.stmt], prefix: str) -> Iterator[tuple[str, FuncDef]]:
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{node.name}"
            yield name, node
            yield from _functions(node.body, f"{name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node.body, f"{prefix}{node.name}.")
        elif isinstance(node, ast.If | ast.Try | ast.With):  # definitions under `if TYPE_CHECKING:` etc.
            yield from _functions([n for n in ast.iter_child_nodes(node) if isinstance(n, ast.stmt)], prefix)


def _own_nodes(fn: FuncDef) -> Iterator[ast.AST]:
    """The function's own nodes: not those of nested functions, lambdas or classes, nor f-string parts."""
    stack: list[ast.AST] = list(reversed(fn.body))
    while stack:
        node = stack.pop()
        yield node
        for child in reversed(list(ast.iter_child_nodes(node))):
            if not isinstance(child, FuncDef | ast.Lambda | ast.ClassDef | ast.JoinedStr):
                stack.append(child)


def _mutants(rel_path: str, name: str, fn: FuncDef, src: _Source, lines: frozenset[int]) -> Iterator[Mutant]:
    nodes = list(_own_nodes(fn))
    generator = any(isinstance(n, ast.Yield | ast.YieldFrom) for n in nodes)
    tests = {id(n.test) for n in nodes if isinstance(n, ast.If | ast.While | ast.IfExp)}
    docstring = fn.body[0] if fn.body and _is_docstring(fn.body[0]) else None

    def make(
        node: ast.AST, kind: MutantKind, description: str, edit: Edit | None, rank: int = 0
    ) -> Iterator[Mutant]:
        if edit is not None:
            first: int = node.lineno  # type: ignore[attr-defined]
            last: int = getattr(node, "end_lineno", None) or first
            yield Mutant(rel_path, name, first, last, kind, description, edit, rank)

    for node in nodes:
        if getattr(node, "lineno", None) not in lines or node is docstring:
            continue
        if isinstance(node, ast.Return) and node.value is not None and not generator:
            yield from make(node, "return", *_return_value(node.value, src))
        elif isinstance(node, ast.If | ast.While | ast.IfExp):
            yield from make(
                node.test, "condition", *_negate(node, src), rank=int(isinstance(node, ast.IfExp))
            )
        elif isinstance(node, ast.BinOp) and type(node.op) in _BIN_SWAP:
            old, new = _BIN_SWAP[type(node.op)]
            edit = _swap_token(src, node.left, node.right, re.compile(re.escape(old)), new)
            yield from make(node, "operator", f"`{old}` -> `{new}` in `{one_line(src.segment(node))}`", edit)
        elif isinstance(node, ast.Compare) and id(node) not in tests:
            old, new = _CMP_SWAP[type(node.ops[0])]
            edit = _swap_token(src, node.left, node.comparators[0], _CMP_TOKEN, new)
            yield from make(node, "operator", f"`{old}` -> `{new}` in `{one_line(src.segment(node))}`", edit)
        elif isinstance(node, ast.BoolOp) and id(node) not in tests:
            old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
            edit = _swap_token(src, node.values[0], node.values[1], _BOOL_TOKEN, new)
            yield from make(node, "operator", f"`{old}` -> `{new}` in `{one_line(src.segment(node))}`", edit)
        elif isinstance(node, ast.AugAssign) and type(node.op) in _BIN_SWAP:
            old, new = _BIN_SWAP[type(node.op)]
            edit = _swap_token(src, node.target, node.value, _AUG_TOKEN, new + "=")
            yield from make(
                node, "operator", f"`{old}=` -> `{new}=` in `{one_line(src.segment(node))}`", edit
            )
        if isinstance(node, ast.stmt) and _droppable(node):
            start, end = src.span(node)
            yield from make(
                node, "statement", f"`{one_line(src.segment(node))}` removed", Edit(start, end, "pass")
            )


def _return_value(value: ast.expr, src: _Source) -> tuple[str, Edit | None]:
    start, end = src.span(value)
    if isinstance(value, ast.Constant) and value.value is None:
        return "", None
    replacement = "None"
    if isinstance(value, ast.Constant) and isinstance(value.value, bool):
        replacement = str(not value.value)
    return f"`return {one_line(src.segment(value))}` -> `return {replacement}`", Edit(start, end, replacement)


def _negate(node: ast.If | ast.While | ast.IfExp, src: _Source) -> tuple[str, Edit | None]:
    test = node.test
    start, end = src.span(test)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        replacement = src.segment(test.operand)
    else:
        replacement = f"not ({src.segment(test)})"
    keyword = "if " if isinstance(node, ast.If) else "while " if isinstance(node, ast.While) else ""
    description = f"`{keyword}{one_line(src.segment(test))}` -> `{keyword}{one_line(replacement)}`"
    return description, Edit(start, end, replacement)


def _swap_token(src: _Source, left: ast.AST, right: ast.AST, token: re.Pattern[str], new: str) -> Edit | None:
    """Replace the operator written between `left` and `right` (only parentheses and comments else)."""
    lo, hi = src.span(left)[1], src.span(right)[0]
    gap = _COMMENT.sub(lambda m: " " * len(m.group()), src.text[lo:hi])
    m = token.search(gap)
    return Edit(lo + m.start(), lo + m.end(), new) if m else None


def _droppable(node: ast.stmt) -> bool:
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Call | ast.Await)
    if isinstance(node, ast.Assign):
        return all(isinstance(t, ast.Attribute | ast.Subscript) for t in node.targets)
    return isinstance(node, ast.AugAssign | ast.Raise | ast.Delete)


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _parses(text: str, mutant: Mutant) -> bool:
    try:
        ast.parse(mutant.apply(text))
    except SyntaxError:
        return False
    return True
