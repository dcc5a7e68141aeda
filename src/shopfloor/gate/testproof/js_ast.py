"""Reading JavaScript/TypeScript with a real parser (tree-sitter grammars through ast-grep): the few
node questions the test-integrity rules and the JS mutator ask."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from ast_grep_py import SgNode, SgRoot

LITERAL_WORDS = {"true", "false", "null", "undefined", "NaN", "Infinity"}
_LITERAL_KINDS = {"number", "string", "regex", "true", "false", "null", "undefined"}
_FUNCTION_KINDS = {"arrow_function", "function_expression", "generator_function"}
_TRIVIA = {"comment", "html_comment"}


def language_for(rel_path: str) -> str:
    """The grammar for a file: TypeScript for .ts/.mts/.cts, TSX for .tsx, JavaScript (with JSX) else."""
    suffix = PurePosixPath(rel_path).suffix
    if suffix in {".ts", ".mts", ".cts"}:
        return "typescript"
    if suffix == ".tsx":
        return "tsx"
    return "javascript"


def parse(rel_path: str, text: str) -> SgNode:
    """The syntax tree's root; the parser recovers from errors, so this never raises on odd input."""
    return SgRoot(text, language_for(rel_path)).root()


def line(node: SgNode) -> int:
    """1-based line the node starts on."""
    return node.range().start.line + 1


def end_line(node: SgNode) -> int:
    return node.range().end.line + 1


def named(node: SgNode) -> list[SgNode]:
    """Named children, comments left out."""
    return [c for c in node.children() if c.is_named() and c.kind() not in _TRIVIA]


def args_of(call: SgNode) -> list[SgNode]:
    """A call's arguments (empty for a tagged template)."""
    args = call.field("arguments")
    return [] if args is None or args.kind() != "arguments" else named(args)


def unwrap(node: SgNode) -> SgNode:
    """The expression inside parentheses, `await`, and TypeScript's `as`/`!`/`satisfies`."""
    while node.kind() in {"parenthesized_expression", "await_expression", "as_expression",
                          "non_null_expression", "satisfies_expression"}:  # fmt: skip
        inner = named(node)
        if not inner:
            break
        node = inner[0]
    return node


def dotted(node: SgNode) -> str:
    """`a.b.c` for an identifier/member chain (a call inside it is written `f()`), else ''."""
    kind = node.kind()
    if kind in {"identifier", "this", "property_identifier", "super"}:
        return node.text()
    if kind == "member_expression":
        obj, prop = node.field("object"), node.field("property")
        if obj is None or prop is None:
            return ""
        left = dotted(obj)
        return f"{left}.{prop.text()}" if left else ""
    if kind == "call_expression":
        fn = node.field("function")
        inner = dotted(fn) if fn is not None else ""
        return f"{inner}()" if inner else ""
    if kind in {"parenthesized_expression", "non_null_expression", "as_expression"}:
        return dotted(unwrap(node))
    return ""


def callee(call: SgNode) -> str:
    """The dotted name of what a call calls: `assert.equal`, `expect().toBe`, `jest.mock`."""
    fn = call.field("function")
    return dotted(fn) if fn is not None else ""


def last_name(call: SgNode) -> str:
    """The last name of what is called: `toBe` for `expect(x).toBe(1)`."""
    return callee(call).rsplit(".", 1)[-1].removesuffix("()")


def string_value(node: SgNode) -> str | None:
    """The text of a string literal or a template without substitutions, else None."""
    if node.kind() == "string":
        return "".join(
            c.text() for c in node.children() if c.kind() in {"string_fragment", "escape_sequence"}
        )
    if node.kind() == "template_string" and node.find(kind="template_substitution") is None:
        return node.text()[1:-1]
    return None


def is_literal(node: SgNode) -> bool:
    """An expression written out of literals only: `1`, `'x'`, `true`, `-1`, `[1, 2]`, `{ a: 1 }`."""
    node = unwrap(node)
    kind = node.kind()
    if kind in _LITERAL_KINDS:
        return True
    if kind == "identifier":
        return node.text() in LITERAL_WORDS
    if kind == "template_string":
        return node.find(kind="template_substitution") is None
    if kind == "unary_expression":
        arg = node.field("argument")
        return arg is not None and node.field("operator") is not None and is_literal(arg)
    if kind == "array":
        return all(is_literal(c) for c in named(node))
    if kind == "object":
        for c in named(node):
            if c.kind() != "pair":
                return False
            key, value = c.field("key"), c.field("value")
            if (
                key is None
                or value is None
                or key.kind() == "computed_property_name"
                or not is_literal(value)
            ):
                return False
        return True
    return False


def is_falsy_literal(node: SgNode) -> bool:
    node = unwrap(node)
    return node.text() in {"false", "0", "null", "undefined", "NaN", "''", '""', "``"}


def signature(node: SgNode) -> str:
    """The node's tokens without layout or comments: two spellings of one expression compare equal."""
    return " ".join(leaf for leaf in _leaves(node))


def _leaves(node: SgNode) -> Iterator[str]:
    if node.kind() in _TRIVIA:
        return
    children = node.children()
    if not children or node.kind() in {"string", "template_string", "regex", "number"}:
        yield node.text()
        return
    for c in children:
        yield from _leaves(c)


def is_function(node: SgNode) -> bool:
    return node.kind() in _FUNCTION_KINDS


def function_body(node: SgNode) -> SgNode | None:
    """The body of a function or arrow (a block, or an arrow's expression)."""
    return node.field("body") if is_function(node) else None


def first_param(node: SgNode) -> str:
    """Name of a function's first parameter when it is a plain identifier, else ''."""
    single = node.field("parameter")
    if single is not None:
        return single.text() if single.kind() == "identifier" else ""
    params = node.field("parameters")
    first = named(params)[0] if params is not None and named(params) else None
    if first is not None and first.kind() == "required_parameter":  # TypeScript: `e: Error`
        first = first.field("pattern")
    return first.text() if first is not None and first.kind() == "identifier" else ""


def calls_in(node: SgNode) -> list[SgNode]:
    """Every call inside `node`, itself included, in source order."""
    return node.find_all(kind="call_expression")


def identifiers_in(node: SgNode) -> set[str]:
    return {n.text() for n in node.find_all(kind="identifier")}
