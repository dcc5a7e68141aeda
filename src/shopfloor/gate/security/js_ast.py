"""JavaScript and TypeScript parsed with tree-sitter (through ast-grep), turned once into a small Python
tree: the named nodes, their line span, the fields the rules read (`function`, `arguments`, `left`...)
and the operator of an expression. Walking it is plain Python, with no crossing into the parser."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

_FIELDS: dict[str, tuple[str, ...]] = {
    "call_expression": ("function", "arguments"),
    "new_expression": ("constructor", "arguments"),
    "member_expression": ("object", "property"),
    "subscript_expression": ("object", "index"),
    "assignment_expression": ("left", "right"),
    "augmented_assignment_expression": ("left", "right"),
    "variable_declarator": ("name", "value"),
    "binary_expression": ("left", "right"),
    "if_statement": ("condition", "consequence", "alternative"),
    "for_in_statement": ("left", "right", "body"),
    "for_statement": ("body",),
    "while_statement": ("condition", "body"),
    "do_statement": ("body", "condition"),
    "arrow_function": ("parameters", "parameter", "body"),
    "function_declaration": ("name", "parameters", "body"),
    "generator_function_declaration": ("name", "parameters", "body"),
    "function_expression": ("name", "parameters", "body"),
    "function": ("name", "parameters", "body"),
    "method_definition": ("name", "parameters", "body"),
    "pair": ("key", "value"),
    "pair_pattern": ("key", "value"),
    "ternary_expression": ("condition", "consequence", "alternative"),
    "catch_clause": ("parameter", "body"),
    "class_declaration": ("name", "body"),
    "class": ("name", "body"),
    "required_parameter": ("pattern",),
    "optional_parameter": ("pattern",),
    "assignment_pattern": ("left", "right"),
    "import_statement": ("source",),
    "switch_statement": ("value", "body"),
}
_OPERATORS = {"binary_expression", "augmented_assignment_expression", "unary_expression"}
FUNCTIONS = {
    "function_declaration", "generator_function_declaration", "function_expression", "function",
    "arrow_function", "method_definition", "generator_function",
}  # fmt: skip


@dataclass(eq=False)
class JNode:
    kind: str
    start: int
    end: int
    line: int
    """1-based line of the first character."""
    end_line: int
    children: list[JNode] = field(default_factory=list)
    fields: dict[str, JNode] = field(default_factory=dict)
    op: str = ""
    parent: JNode | None = None
    source: str = field(default="", repr=False)

    @property
    def text(self) -> str:
        return self.source[self.start : self.end]

    def get(self, name: str) -> JNode | None:
        return self.fields.get(name)

    def walk(self) -> Iterator[JNode]:
        stack: list[JNode] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def ancestors(self) -> Iterator[JNode]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


def language_of(rel: str) -> str:
    if rel.endswith(".tsx"):
        return "tsx"
    if rel.endswith((".ts", ".mts", ".cts")):
        return "typescript"
    return "javascript"


def parse_js(text: str, rel: str) -> JNode:
    """The file's tree; tree-sitter recovers from syntax errors, so this never raises on bad code."""
    from ast_grep_py import SgNode, SgRoot

    root = SgRoot(text, language_of(rel)).root()

    def convert(node: SgNode, parent: JNode | None) -> JNode:
        r = node.range()
        out = JNode(node.kind(), r.start.index, r.end.index, r.start.line + 1, r.end.line + 1, parent=parent)
        out.source = text
        named = [c for c in node.children() if c.is_named() and c.kind() != "comment"]
        out.children = [convert(c, out) for c in named]
        names = _FIELDS.get(out.kind, ())
        if names:
            by_start = {(c.start, c.kind): c for c in out.children}
            for name in names:
                sub = node.field(name)
                if sub is not None:
                    sr = sub.range()
                    match = by_start.get((sr.start.index, sub.kind()))
                    if match is not None:
                        out.fields[name] = match
        if out.kind in _OPERATORS:
            op = node.field("operator")
            out.op = op.text() if op is not None else ""
        return out

    return convert(root, None)


def string_value(node: JNode | None) -> str | None:
    """The value of a string literal, or of a template literal with no substitutions."""
    if node is None:
        return None
    if node.kind == "string":
        return "".join(c.text for c in node.children if c.kind in {"string_fragment", "escape_sequence"})
    if node.kind == "template_string" and not any(c.kind == "template_substitution" for c in node.children):
        return "".join(c.text for c in node.children if c.kind in {"string_fragment", "escape_sequence"})
    return None


def literal_text(node: JNode) -> str:
    """The literal string parts inside an expression, joined."""
    return " ".join(n.text for n in node.walk() if n.kind == "string_fragment")


def dotted(node: JNode | None) -> str:
    """`a.b.c` for identifiers and member chains (`this.x` too); '' for anything else."""
    if node is None:
        return ""
    if node.kind in {"identifier", "property_identifier", "shorthand_property_identifier", "this"}:
        return node.text
    if node.kind == "member_expression":
        base, prop = dotted(node.get("object")), node.get("property")
        return f"{base}.{prop.text}" if base and prop is not None else ""
    if node.kind in {"parenthesized_expression", "non_null_expression", "as_expression"} and node.children:
        return dotted(node.children[0])
    return ""


def callee(call: JNode) -> str:
    """The dotted name a call or `new` expression calls."""
    return dotted(call.get("function") or call.get("constructor"))


def method_name(call: JNode) -> str:
    """The name a call ends in, even on a chain: `get` for `db.prepare(sql).get(id)`."""
    func = call.get("function") or call.get("constructor")
    if func is not None and func.kind == "member_expression":
        prop = func.get("property")
        return prop.text if prop is not None else ""
    return dotted(func)


def arguments(call: JNode) -> list[JNode]:
    args = call.get("arguments")
    if args is None or args.kind != "arguments":
        return []
    return args.children


def params_of(func: JNode) -> list[JNode]:
    """The parameter nodes of a function (a lone arrow parameter included)."""
    single = func.get("parameter")
    if single is not None:
        return [single]
    params = func.get("parameters")
    return params.children if params is not None else []


def param_names(func: JNode) -> list[str]:
    """Simple parameter names, in order; destructured ones as ''."""
    out = []
    for p in params_of(func):
        target = p.get("pattern") or (p.children[0] if p.kind in {"assignment_pattern"} and p.children else p)
        out.append(target.text if target.kind == "identifier" else "")
    return out


def object_pairs(node: JNode | None) -> dict[str, JNode]:
    """Keys of an object literal -> their value nodes (shorthand `{ a }` maps `a` to itself)."""
    out: dict[str, JNode] = {}
    if node is None or node.kind != "object":
        return out
    for child in node.children:
        if child.kind == "pair":
            key, value = child.get("key"), child.get("value")
            if key is not None and value is not None:
                out[string_value(key) or key.text] = value
        elif child.kind == "shorthand_property_identifier":
            out[child.text] = child
    return out
