"""Intraprocedural taint for JavaScript/TypeScript, the same walk as Python's: request data (req.body,
req.query, req.params, cookies, headers; Koa's ctx and Fastify's request too) followed through
declarations, destructuring, assignments, template strings, concatenation and calls, branch by branch.
Callbacks defined inside a function see the names of the function around them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from shopfloor.gate.security.js_ast import FUNCTIONS, JNode, callee, dotted, literal_text
from shopfloor.gate.security.js_project import JsModule
from shopfloor.gate.security.taint import CLEAN, FROM_REQUEST, OPAQUE, SQL_WORDS, SinkHit, Taint, union

REQUEST_PROPS = {"body", "query", "params", "cookies", "signedCookies", "headers", "files", "file", "rawBody"}
_REQUEST_CALLS = {"get", "header", "param", "cookie"}
_CONVERSIONS = {
    "parseInt", "parseFloat", "Number", "Boolean", "isNaN", "isFinite", "ObjectId", "Types.ObjectId",
    "mongoose.Types.ObjectId", "Math.floor", "Math.round", "Math.ceil", "Math.abs", "Date.parse", "uuid",
    "isValidObjectId", "bcrypt.compare", "bcrypt.compareSync", "compare", "hash", "Array.isArray",
}  # fmt: skip
_LOOKUPS = {
    "findById", "findOne", "find", "findAll", "findByPk", "findUnique", "findFirst", "findMany",
    "query", "execute", "get", "all", "first", "count", "exists", "select", "where", "fetch", "load",
    "getUser", "findOrCreate", "create", "save", "update", "aggregate", "lean", "exec", "toArray",
}  # fmt: skip
_SANITISERS: dict[str, frozenset[str]] = {
    "escape": frozenset({"xss", "template", "sql"}),
    "escapeHtml": frozenset({"xss", "template"}),
    "encodeHTML": frozenset({"xss", "template"}),
    "sanitize": frozenset({"xss", "template"}),
    "sanitizeHtml": frozenset({"xss", "template"}),
    "DOMPurify.sanitize": frozenset({"xss", "template"}),
    "escapeId": frozenset({"sql"}),
    "format": frozenset({"sql"}),
    "basename": frozenset({"path"}),
    "path.basename": frozenset({"path"}),
    "quote": frozenset({"shell"}),
    "shellescape": frozenset({"shell"}),
    "encodeURIComponent": frozenset({"redirect", "ssrf", "path", "shell", "sql"}),
    # Claims of a token whose signature was checked are the server's word, not the client's.
    "jsonwebtoken.verify": frozenset({"client-auth"}),
    "jwt.verify": frozenset({"client-auth"}),
    "verifyToken": frozenset({"client-auth"}),
}
_PURE = {
    "String", "JSON.stringify", "JSON.parse", "path.join", "path.resolve", "join", "resolve", "Buffer.from",
    "toString", "concat", "trim", "toLowerCase", "toUpperCase", "split", "replace", "slice", "substring",
    "decodeURIComponent", "unescape", "atob", "btoa", "Object.assign", "Array.from",
}  # fmt: skip

Env = dict[str, Taint]
OnCall = Callable[[JNode, "JsWalker"], None]
"""Called for each call and `new` expression, object property and equality test, after its parts."""
OnReturn = Callable[[JNode, "JsWalker"], None]


@dataclass
class JsContext:
    module: JsModule
    func: JNode | None
    name: str
    request_names: set[str] = field(default_factory=lambda: {"req", "request", "ctx"})
    handler: bool = False
    hits: list[SinkHit] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.module.rel}:{self.func.start if self.func is not None else 0}"


class JsWalker:
    def __init__(self, ctx: JsContext, env: Env, on_call: OnCall, on_return: OnReturn) -> None:
        self.ctx = ctx
        self.env = env
        self.on_call = on_call
        self.on_return = on_return
        self.nested: list[tuple[JNode, Env]] = []
        self.built: dict[str, str] = {}
        """Names holding SQL assembled here -> the literal text it was built from."""

    # --- statements ----------------------------------------------------------------------------------

    def block(self, nodes: list[JNode]) -> None:
        for node in nodes:
            self.stmt(node)

    def stmt(self, s: JNode) -> None:
        k = s.kind
        if k in FUNCTIONS or k in {"class_declaration", "class"}:
            if k in FUNCTIONS:
                self.nested.append((s, dict(self.env)))
            return
        if k in {"lexical_declaration", "variable_declaration"}:
            for d in s.children:
                value = d.get("value")
                name = d.get("name")
                if value is not None and name is not None:
                    self.visit(value)
                    self.bind(name, self.taint(value))
                    self._note_built(name, value, augmented=False)
        elif k == "if_statement":
            cond = s.get("condition")
            if cond is not None:
                self.visit(cond)
            alt = s.get("alternative")
            self._branches([[b] for b in (s.get("consequence"), alt) if b is not None] or [[]], alt is None)
        elif k in {"for_in_statement"}:
            right, left, body = s.get("right"), s.get("left"), s.get("body")
            if right is not None:
                self.visit(right)
            element = self.taint(right) if right is not None else CLEAN
            for _ in range(2):
                if left is not None:
                    self.bind(left, element)
                if body is not None:
                    self._loop_body(body)
        elif k in {"for_statement", "while_statement", "do_statement"}:
            for child in s.children:
                if child is s.get("body"):
                    continue
                if child.kind.endswith(("statement", "declaration")):
                    self.stmt(child)
                else:
                    self.visit(child)
            body = s.get("body")
            if body is not None:
                self._loop_body(body)
                self._loop_body(body)
        elif k == "try_statement":
            parts = s.children
            if parts:
                self.stmt(parts[0])
            handlers = [[c.get("body") or c] for c in parts[1:] if c.kind == "catch_clause"]
            self._branches([[], *[[h for h in hs if h is not None] for hs in handlers]], False)
            for c in parts[1:]:
                if c.kind == "finally_clause":
                    self.block(c.children)
        elif k == "switch_statement":
            value = s.get("value")
            if value is not None:
                self.visit(value)
            body = s.get("body")
            cases = [c.children for c in body.children] if body is not None else []
            self._branches(cases, True)
        elif k == "return_statement":
            for child in s.children:
                self.visit(child)
                self.on_return(child, self)
        elif k in {"statement_block", "else_clause", "program", "export_statement", "labeled_statement"}:
            self.block(s.children)
        else:
            for child in s.children:
                self.visit(child)

    def _loop_body(self, body: JNode) -> None:
        before = dict(self.env)
        self.stmt(body)
        self.env = _join([before, self.env])

    def _branches(self, bodies: list[list[JNode]], fall_through: bool) -> None:
        start = self.env
        ends = [dict(start)] if fall_through else []
        for body in bodies:
            self.env = dict(start)
            self.block(body)
            ends.append(self.env)
        self.env = _join(ends) if ends else start

    def bind(self, target: JNode, value: Taint) -> None:
        k = target.kind
        if k in {"identifier", "shorthand_property_identifier_pattern"}:
            self.env[target.text] = value
        elif k in {"object_pattern", "array_pattern"}:
            for part in target.children:
                inner = part.get("value") if part.kind == "pair_pattern" else part
                if part.kind == "object_assignment_pattern" and part.children:
                    inner = part.children[0]
                if part.kind in {"rest_pattern", "assignment_pattern"} and part.children:
                    inner = part.children[0]
                if inner is not None:
                    self.bind(inner, value)
        elif k == "member_expression":
            name = dotted(target)
            if name:
                self.env[name] = value
        elif k == "subscript_expression":
            base = dotted(target.get("object"))
            if base:
                self.env[base] = self.env.get(base, CLEAN) | value

    def _note_built(self, target: JNode, value: JNode, *, augmented: bool) -> None:
        if target.kind != "identifier":
            return
        name = target.text
        if augmented:
            if self.taint(value) and (name in self.built or SQL_WORDS.search(literal_text(value))):
                self.built[name] = self.built.get(name) or literal_text(value)
        elif self.builds_sql(value):
            self.built[name] = self.sql_text(value)
        else:
            self.built.pop(name, None)

    def sql_text(self, node: JNode) -> str:
        """The literal text of SQL assembled here, followed through the names that hold it."""
        if node.kind == "parenthesized_expression" and node.children:
            return self.sql_text(node.children[0])
        return self.built.get(node.text, "") if node.kind == "identifier" else literal_text(node)

    def builds_sql(self, node: JNode) -> bool:
        if node.kind == "identifier":
            return node.text in self.built
        if node.kind == "parenthesized_expression" and node.children:
            return self.builds_sql(node.children[0])
        formatting = node.kind == "template_string" or (node.kind == "binary_expression" and node.op == "+")
        formatting = formatting or (node.kind == "call_expression" and callee(node).endswith(".concat"))
        return formatting and bool(SQL_WORDS.search(literal_text(node))) and bool(self.taint(node))

    # --- expressions ---------------------------------------------------------------------------------

    def visit(self, node: JNode) -> None:
        if node.kind in FUNCTIONS:
            self.nested.append((node, dict(self.env)))
            return
        for child in node.children:
            self.visit(child)
        if node.kind in {"assignment_expression", "augmented_assignment_expression"}:
            left, right = node.get("left"), node.get("right")
            if left is not None and right is not None:
                value = self.taint(right)
                if node.kind == "augmented_assignment_expression":
                    value = value | self.taint(left)
                self.bind(left, value)
                self._note_built(left, right, augmented=node.kind != "assignment_expression")
        elif node.kind in {"call_expression", "new_expression"}:
            self.on_call(node, self)
        elif node.kind in {"pair", "shorthand_property_identifier"} or (
            node.kind == "binary_expression" and node.op in {"===", "==", "!==", "!="}
        ):
            self.on_call(node, self)  # $where clauses, stored passwords, privilege checks

    def taint(self, node: JNode | None) -> Taint:
        if node is None:
            return CLEAN
        k = node.kind
        if k == "identifier":
            return self.env.get(node.text, CLEAN)
        if k == "member_expression":
            obj = node.get("object")
            prop = node.get("property")
            if obj is not None and prop is not None and prop.text in REQUEST_PROPS and self.is_request(obj):
                return FROM_REQUEST
            name = dotted(node)
            if name in self.env:
                return self.env[name]
            return self.taint(obj)
        if k == "subscript_expression":
            return self.taint(node.get("object"))
        if k in {"call_expression", "new_expression"}:
            return self._call(node)
        if k == "binary_expression":
            if node.op in {"+", "||", "??", "&&"}:
                return self.taint(node.get("left")) | self.taint(node.get("right"))
            return CLEAN
        if k == "unary_expression":
            return CLEAN if node.op in {"!", "typeof", "void", "delete"} else union(self._children(node))
        if k == "ternary_expression":
            return self.taint(node.get("consequence")) | self.taint(node.get("alternative"))
        if k in {"string", "number", "true", "false", "null", "undefined", "regex", "this"} or k in FUNCTIONS:
            return CLEAN
        if k == "object":
            parts = [c.get("value") if c.kind == "pair" else c for c in node.children]
            return union([self.taint(p) for p in parts if p is not None])
        if k == "sequence_expression" and node.children:
            return self.taint(node.children[-1])
        return union(self._children(node))

    def _children(self, node: JNode) -> list[Taint]:
        return [self.taint(c) for c in node.children]

    def _call(self, call: JNode) -> Taint:
        func = call.get("function") or call.get("constructor")
        if func is not None and func.kind == "member_expression":
            obj, prop = func.get("object"), func.get("property")
            if obj is not None and prop is not None and prop.text in _REQUEST_CALLS and self.is_request(obj):
                return FROM_REQUEST
        args_node = call.get("arguments")
        if args_node is not None and args_node.kind == "template_string":
            return CLEAN  # a tagged template (sql`...`): the tag binds the values
        args = union([self.taint(a) for a in (args_node.children if args_node is not None else [])])
        name = self.ctx.module.canonical(callee(call))
        last = name.rpartition(".")[2]
        receiver = func.get("object") if func is not None and func.kind == "member_expression" else None
        if name == "require" or name in _CONVERSIONS or last in _CONVERSIONS:
            return CLEAN  # a module, or a number, a boolean, an id
        cleans = _SANITISERS.get(name) or _SANITISERS.get(last)
        if cleans:
            return (args | (self.taint(receiver) if receiver is not None else CLEAN)).without(cleans)
        if receiver is not None and (data := self.taint(receiver)):
            return data | args
        if last in _LOOKUPS:
            return OPAQUE
        if args:
            return args
        constant = receiver is not None and receiver.kind in {"string", "template_string", "array"}
        return CLEAN if constant or name in _PURE or last in _PURE else OPAQUE

    def is_request(self, node: JNode) -> bool:
        name = dotted(node)
        return name in self.ctx.request_names or name in {"ctx.request", "this.request", "context.req"}


def _join(envs: list[Env]) -> Env:
    out: Env = {}
    for env in envs:
        for name, value in env.items():
            out[name] = out[name] | value if name in out else value
    return out
