"""Mutants of JavaScript/TypeScript functions, made on the tree-sitter syntax tree (through ast-grep).

The same four kinds as for Python, on the lines a task changed only: a return value replaced
(`undefined`, or a flipped boolean), a condition negated, an operator swapped (`+`/`-`, `*`/`/`,
`===`/`!==`, `<`/`>=`, `&&`/`||`, `+=`/`-=`) and a statement dropped (a call, a member write, `throw`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ast_grep_py import SgNode

from shopfloor.gate.testproof.js_ast import dotted, end_line, line, named, parse, unwrap
from shopfloor.gate.testproof.mutants import ChangedFunction, Edit, Mutant, MutantKind, one_line, pick

_FUNCTIONS = {"function_declaration", "generator_function_declaration", "function_expression",
              "arrow_function", "method_definition", "generator_function"}  # fmt: skip
_SWAP = {
    "+": "-", "-": "+", "*": "/", "/": "*", "%": "*", "===": "!==", "!==": "===", "==": "!=", "!=": "==",
    "<": ">=", "<=": ">", ">": "<=", ">=": "<", "&&": "||", "||": "&&",
}  # fmt: skip
_CONDITIONED = {"if_statement", "while_statement", "do_statement", "ternary_expression"}
_DROPPABLE = {"call_expression", "await_expression", "augmented_assignment_expression", "update_expression"}


def js_functions(rel_path: str, text: str, lines: frozenset[int], limit: int) -> list[ChangedFunction]:
    """The functions whose changed lines can be mutated, each with up to `limit` mutants."""
    root = parse(rel_path, text)
    errors = _errors(rel_path, text)
    out: list[ChangedFunction] = []
    for fn in root.find_all(any=[{"kind": k} for k in sorted(_FUNCTIONS)]):
        name = _name(fn)
        found = _mutants(rel_path, name, fn, lines)
        chosen = tuple(m for m in pick(found, limit) if _errors(rel_path, m.apply(text)) <= errors)
        if chosen:
            out.append(ChangedFunction(rel_path, name, line(fn), chosen))
    return out


def _name(fn: SgNode) -> str:
    own = fn.field("name")
    if own is not None:
        cls = next((a for a in fn.ancestors() if a.kind() in {"class_declaration", "class"}), None)
        cls_name = cls.field("name") if cls is not None else None
        return f"{cls_name.text()}.{own.text()}" if cls_name is not None else own.text()
    parent = fn.parent()
    if parent is not None:
        if parent.kind() == "variable_declarator" and (target := parent.field("name")) is not None:
            return target.text()
        if parent.kind() == "pair" and (key := parent.field("key")) is not None:
            return key.text().strip("'\"")
        if parent.kind() == "assignment_expression" and (left := parent.field("left")) is not None:
            return dotted(left) or one_line(left.text(), 40)
    return f"<function at line {line(fn)}>"


def _own_nodes(fn: SgNode) -> Iterator[SgNode]:
    """The function's own nodes, not those of functions nested in it."""
    body = fn.field("body")
    stack = [body] if body is not None else []
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed([c for c in named(node) if c.kind() not in _FUNCTIONS]))


def _mutants(rel_path: str, name: str, fn: SgNode, lines: frozenset[int]) -> Iterator[Mutant]:
    conditions = {_condition(n) for n in _own_nodes(fn) if n.kind() in _CONDITIONED} - {None}
    body = fn.field("body")

    def make(
        node: SgNode, kind: MutantKind, description: str, edit: Edit | None, rank: int = 0
    ) -> Iterator[Mutant]:
        if edit is not None:
            yield Mutant(rel_path, name, line(node), end_line(node), kind, description, edit, rank)

    expression_body = body is not None and body.kind() != "statement_block"
    if fn.kind() == "arrow_function" and body is not None and expression_body and line(body) in lines:
        yield from make(body, "return", *_return_value(body, "=> "))
    for node in _own_nodes(fn):
        if line(node) not in lines:
            continue
        kind = node.kind()
        if kind == "return_statement" and named(node):
            yield from make(node, "return", *_return_value(named(node)[0], "return "))
        elif kind in _CONDITIONED and (cond := node.field("condition")) is not None:
            yield from make(cond, "condition", *_negate(cond), rank=int(kind == "ternary_expression"))
        elif (
            kind in {"binary_expression", "augmented_assignment_expression"} and _key(node) not in conditions
        ):
            yield from make(node, "operator", *_swap(node))
        if kind == "throw_statement" or (kind == "expression_statement" and _droppable(node)):
            yield from make(node, "statement", f"`{one_line(node.text())}` removed", _edit(node, ";"))


def _key(node: SgNode) -> tuple[int, int]:
    r = node.range()
    return r.start.index, r.end.index


def _condition(node: SgNode) -> tuple[int, int] | None:
    cond = node.field("condition")
    return _key(unwrap(cond)) if cond is not None else None


def _edit(node: SgNode, text: str) -> Edit:
    start, end = _key(node)
    return Edit(start, end, text)


def _return_value(value: SgNode, prefix: str) -> tuple[str, Edit | None]:
    text = value.text()
    if text in {"undefined", "null"}:
        return "", None
    replacement = {"true": "false", "false": "true"}.get(text, "undefined")
    return f"`{prefix}{one_line(text)}` -> `{prefix}{replacement}`", _edit(value, replacement)


def _negate(cond: SgNode) -> tuple[str, Edit | None]:
    inner = unwrap(cond) if cond.kind() == "parenthesized_expression" else cond
    is_not = inner.kind() == "unary_expression" and inner.text().startswith("!")
    argument = inner.field("argument")
    replacement = argument.text() if is_not and argument is not None else f"!({inner.text()})"
    return f"`{one_line(inner.text())}` -> `{one_line(replacement)}`", _edit(inner, replacement)


def _swap(node: SgNode) -> tuple[str, Edit | None]:
    op = node.field("operator")
    if op is None:
        return "", None
    old = op.text()
    base = old[:-1] if node.kind() == "augmented_assignment_expression" else old
    if base not in _SWAP or (node.kind() == "augmented_assignment_expression" and base in {"&&", "||"}):
        return "", None
    new = _SWAP[base] + ("=" if base != old else "")
    return f"`{old}` -> `{new}` in `{one_line(node.text())}`", _edit(op, new)


def _droppable(stmt: SgNode) -> bool:
    inner = named(stmt)
    if not inner:
        return False
    expr = inner[0]
    if expr.kind() == "assignment_expression":
        left = expr.field("left")
        return left is not None and left.kind() in {"member_expression", "subscript_expression"}
    return expr.kind() in _DROPPABLE


def _errors(rel_path: str, text: str) -> int:
    """Syntax errors the parser recovered from: a mutant must not add any."""
    return len(parse(rel_path, text).find_all(kind="ERROR"))
