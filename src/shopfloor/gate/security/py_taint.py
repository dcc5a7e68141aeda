"""Intraprocedural taint for Python: which values inside one function carry request data (or one of its
parameters), followed through assignments, branches, loops, string building and calls, in order.

Branches are walked from the same state and joined; loops twice; a value passed through a sanitiser
loses the kinds it makes safe (`int()` all of them, `shlex.quote()` the shell). Calls to the
project's own functions carry their arguments' taint to the sinks inside them through summaries.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

from shopfloor.gate.security.py_modules import Func, Module, dotted
from shopfloor.gate.security.taint import (
    CLEAN,
    FROM_REQUEST,
    KINDS,
    OPAQUE,
    SQL_WORDS,
    SinkHit,
    Taint,
    union,
)

REQUEST_ATTRS = {
    "args", "form", "values", "json", "data", "files", "cookies", "headers", "GET", "POST", "COOKIES",
    "META", "FILES", "body", "query", "query_params", "path_params", "match_info", "rel_url",
    "query_string", "stream", "content", "raw_post_data", "REQUEST", "view_args",
}  # fmt: skip
REQUEST_METHODS = {
    "get_json", "get_data", "post", "json", "text", "read", "form", "body", "multipart", "getlist",
}  # fmt: skip
_ALL = frozenset(KINDS)
_BINDERS = {"bindparams", "params"}
# A cursor and the rows it fetches are the database's, not the data of whoever handed over the connection.
_DB_RESULTS = {"cursor", "fetchone", "fetchall", "fetchmany"}
# Conversions whose result carries nothing a client could steer into any sink.
_CONVERSIONS = {
    "int", "float", "bool", "len", "abs", "round", "ord", "hash", "UUID", "Decimal", "ObjectId",
    "isinstance", "hasattr", "callable", "id", "type", "url_for", "reverse", "reverse_lazy",
    "resolve_url", "check_password", "check_password_hash", "verify_password", "is_safe_url",
    "url_has_allowed_host_and_scheme", "strptime", "fromisoformat", "fromtimestamp", "time", "sleep",
    "getenv", "os.environ.get", "make_password", "generate_password_hash", "hashpw", "hash_password",
    "get_password_hash", "pbkdf2_hmac", "hexdigest", "digest",
}  # fmt: skip
# Lookups: their result comes from the database or the framework, not from the request.
_LOOKUPS = {
    "get", "get_object_or_404", "get_list_or_404", "authenticate", "login", "exists", "count",
    "fetchone", "fetchall", "fetchmany", "first", "one", "one_or_none", "scalar", "scalar_one",
    "scalar_one_or_none", "scalars", "all", "filter", "filter_by", "exclude", "order_by",
    "get_or_create", "create", "save", "commit", "execute", "find", "find_one", "query", "paginate",
    "get_user", "get_current_user", "get_jwt_identity",
}  # fmt: skip
# Calls that only reshape their arguments: constant in, constant out.
_PURE = {
    "str", "repr", "format", "join", "replace", "lower", "upper", "strip", "split", "encode",
    "decode", "list", "tuple", "dict", "set", "sorted", "reversed", "min", "max", "sum", "zip",
    "enumerate", "os.path.join", "Path", "pathlib.Path", "b64decode", "b64encode", "loads", "dumps",
    "unquote", "unquote_plus", "urljoin", "getattr",
}  # fmt: skip
_SANITISERS: dict[str, frozenset[str]] = {
    "shlex.quote": frozenset({"shell"}),
    "pipes.quote": frozenset({"shell"}),
    "secure_filename": frozenset({"path"}),
    "os.path.basename": frozenset({"path"}),
    "basename": frozenset({"path"}),
    "safe_join": frozenset({"path"}),
    "escape": frozenset({"xss", "template", "sql"}),
    "html.escape": frozenset({"xss", "template"}),
    "markupsafe.escape": frozenset({"xss", "template"}),
    "conditional_escape": frozenset({"xss", "template"}),
    "bleach.clean": frozenset({"xss", "template"}),
    "escape_string": frozenset({"sql"}),
    "escape_like": frozenset({"sql"}),
    "quote_ident": frozenset({"sql"}),
    "quote_identifier": frozenset({"sql"}),
    "literal": frozenset({"sql"}),
    "Identifier": frozenset({"sql"}),
    "Literal": frozenset({"sql"}),
    "quote": frozenset({"shell", "redirect", "ssrf", "path", "sql"}),
    "quote_plus": frozenset({"redirect", "ssrf", "path", "sql"}),
    "urlencode": frozenset({"redirect", "ssrf", "path"}),
    # Claims of a token whose signature was checked are the server's word, not the client's.
    "jwt.decode": frozenset({"client-auth"}),
    "decode_token": frozenset({"client-auth"}),
    "verify_token": frozenset({"client-auth"}),
    "unsign": frozenset({"client-auth"}),
    "signing.loads": frozenset({"client-auth"}),
}

Env = dict[str, Taint]
OnCall = Callable[[ast.Call | ast.Compare, "Walker"], None]
"""Called for each call and each comparison, after the parts inside it were visited."""
OnReturn = Callable[[ast.expr, "Walker"], None]


@dataclass
class FuncContext:
    """What the walk of one function knows about it."""

    module: Module
    name: str
    """Qualified name inside its module (`Class.method`), `<module>` for top-level code."""
    request_names: set[str]
    """Names that hold the request object here (`request`, a Django view's first parameter)."""
    handler: bool = False
    """A route handler or resolver: what it returns goes to the client."""
    hits: list[SinkHit] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.module.rel}:{self.name}"


class Walker:
    """Walks one function body in order, keeping the taint of every local name."""

    def __init__(self, ctx: FuncContext, env: Env, on_call: OnCall, on_return: OnReturn) -> None:
        self.ctx = ctx
        self.env = env
        self.on_call = on_call
        self.on_return = on_return
        self.nested: list[tuple[Func, Env]] = []
        """Functions defined inside this one, with the names they close over."""
        self.built: dict[str, str] = {}
        """Names holding SQL assembled here -> the literal text it was built from."""
        """Names holding SQL assembled here by string formatting -> the line it was assembled on."""

    # --- statements ------------------------------------------------------------------------------

    def block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.stmt(stmt)

    def stmt(self, s: ast.stmt) -> None:
        if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef):
            self.nested.append((s, dict(self.env)))
        elif isinstance(s, ast.ClassDef):
            return
        elif isinstance(s, ast.Assign):
            self.visit(s.value)
            value = self.taint(s.value)
            for target in s.targets:
                self.bind(target, value)
                self._note_built(target, s.value, augmented=False)
        elif isinstance(s, ast.AnnAssign):
            if s.value is not None:
                self.visit(s.value)
                self.bind(s.target, self.taint(s.value))
                self._note_built(s.target, s.value, augmented=False)
        elif isinstance(s, ast.AugAssign):
            self.visit(s.value)
            self.bind(s.target, self.taint(s.target) | self.taint(s.value))
            self._note_built(s.target, s.value, augmented=True)
        elif isinstance(s, ast.For | ast.AsyncFor):
            self.visit(s.iter)
            element = self.taint(s.iter)

            def one_pass() -> None:
                self.bind(s.target, element)
                self.block(s.body)

            self._loop(one_pass)
            self.block(s.orelse)
        elif isinstance(s, ast.While):
            self.visit(s.test)
            self._loop(lambda: self.block(s.body))
            self.block(s.orelse)
        elif isinstance(s, ast.If):
            self.visit(s.test)
            self._branches([s.body, s.orelse])
        elif isinstance(s, ast.Try | ast.TryStar):
            self.block(s.body)
            self._branches([[], *[h.body for h in s.handlers]])
            self.block(s.orelse)
            self.block(s.finalbody)
        elif isinstance(s, ast.With | ast.AsyncWith):
            for item in s.items:
                self.visit(item.context_expr)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, self.taint(item.context_expr))
            self.block(s.body)
        elif isinstance(s, ast.Match):
            self.visit(s.subject)
            self._branches([c.body for c in s.cases])
        elif isinstance(s, ast.Return):
            if s.value is not None:
                self.visit(s.value)
                self.on_return(s.value, self)
        else:
            for child in ast.iter_child_nodes(s):
                if isinstance(child, ast.expr):
                    self.visit(child)

    def _loop(self, body: Callable[[], None]) -> None:
        for _ in range(2):
            before = dict(self.env)
            body()
            self.env = _join([before, self.env])

    def _branches(self, bodies: list[list[ast.stmt]]) -> None:
        start = self.env
        ends = []
        for body in bodies:
            self.env = dict(start)
            self.block(body)
            ends.append(self.env)
        self.env = _join(ends) if ends else start

    def _note_built(self, target: ast.AST, value: ast.expr, *, augmented: bool) -> None:
        if not isinstance(target, ast.Name):
            return
        name = target.id
        if augmented and self.taint(value) and (name in self.built or SQL_WORDS.search(literal_text(value))):
            self.built[name] = self.built.get(name) or literal_text(value)
        elif not augmented:
            if self.builds_sql(value):
                self.built[name] = self.sql_text(value)
            else:
                self.built.pop(name, None)

    def sql_text(self, node: ast.expr) -> str:
        """The literal text of SQL assembled here, followed through the names that hold it."""
        return self.built.get(node.id, "") if isinstance(node, ast.Name) else literal_text(node)

    def builds_sql(self, node: ast.expr) -> bool:
        """A string assembled by formatting from a literal that reads like SQL, with a run-time part."""
        if isinstance(node, ast.Name):
            return node.id in self.built
        formatting = isinstance(node, ast.JoinedStr) or (
            isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod)
        )
        formatting = formatting or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant | ast.JoinedStr | ast.Name)
        )
        return formatting and bool(SQL_WORDS.search(literal_text(node))) and bool(self.taint(node))

    def bind(self, target: ast.AST, value: Taint) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = value
        elif isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                self.bind(elt, value)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, value)
        elif isinstance(target, ast.Attribute):
            name = dotted(target)
            if name:
                self.env[name] = value
        elif isinstance(target, ast.Subscript):
            base = dotted(target.value)
            if base:
                self.env[base] = self.env.get(base, CLEAN) | value

    # --- expressions -----------------------------------------------------------------------------

    def visit(self, node: ast.expr) -> None:
        """Report the calls inside an expression (inner ones first) and apply its walrus bindings."""
        if isinstance(node, ast.Lambda):
            return
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            saved = self.env
            self.env = dict(saved)
            for gen in node.generators:
                self.visit(gen.iter)
                self.bind(gen.target, self.taint(gen.iter))
            for part in [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]:
                self.visit(part)
            self.env = saved
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.visit(child)
            elif isinstance(child, ast.keyword):
                self.visit(child.value)
        if isinstance(node, ast.NamedExpr):
            self.bind(node.target, self.taint(node.value))
        elif isinstance(node, ast.Call | ast.Compare):
            self.on_call(node, self)

    def taint(self, node: ast.AST | None) -> Taint:
        if node is None or isinstance(node, ast.Constant | ast.Compare | ast.Lambda):
            return CLEAN
        if isinstance(node, ast.Name):
            return self.env.get(node.id, CLEAN)
        if isinstance(node, ast.Attribute):
            if self.is_request(node.value) and node.attr in REQUEST_ATTRS:
                return FROM_REQUEST
            name = dotted(node)
            if name in self.env:
                return self.env[name]
            if node.attr in {"name", "stem", "suffix"}:
                return self.taint(node.value).without(frozenset({"path"}))  # Path(x).name has no folders
            return self.taint(node.value)
        if isinstance(node, ast.Subscript):
            return self.taint(node.value)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Await | ast.Starred | ast.FormattedValue | ast.NamedExpr):
            return self.taint(node.value)
        if isinstance(node, ast.UnaryOp):
            return CLEAN if isinstance(node.op, ast.Not) else self.taint(node.operand)
        if isinstance(node, ast.BinOp):
            return self.taint(node.left) | self.taint(node.right)
        if isinstance(node, ast.BoolOp | ast.JoinedStr):
            return union([self.taint(v) for v in node.values])
        if isinstance(node, ast.IfExp):
            return self.taint(node.body) | self.taint(node.orelse)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return union([self.taint(e) for e in node.elts])
        if isinstance(node, ast.Dict):
            return union([self.taint(v) for v in node.values])
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            return self._comprehension(node)
        return CLEAN

    def _call(self, call: ast.Call) -> Taint:
        func = call.func
        if isinstance(func, ast.Attribute) and self.is_request(func.value) and func.attr in REQUEST_METHODS:
            return FROM_REQUEST
        name = self.ctx.module.canonical(dotted(func))
        last = name.rpartition(".")[2]
        converted = next((k.value for k in call.keywords if k.arg == "type"), None)
        if isinstance(converted, ast.Name) and converted.id in {"int", "float", "bool"}:
            return CLEAN  # request.args.get("n", type=int)
        args = union([self.taint(a) for a in call.args] + [self.taint(k.value) for k in call.keywords])
        receiver = func.value if isinstance(func, ast.Attribute) else None
        if receiver is not None and isinstance(func, ast.Attribute) and func.attr in _BINDERS:
            return self.taint(receiver)  # text("... :q").bindparams(q=value): values are bound, not spliced
        if last in _CONVERSIONS or name in _CONVERSIONS or (receiver is not None and last in _DB_RESULTS):
            return CLEAN
        cleans = _SANITISERS.get(name) or _SANITISERS.get(last)
        if cleans:  # conn.escape(x), shlex.quote(x): whatever the receiver, the result is made safe
            return (args | (self.taint(receiver) if receiver is not None else CLEAN)).without(cleans)
        if receiver is not None and (data := self.taint(receiver)):
            return data | args  # a method of the data itself: .get(), .strip(), .decode()
        if last in _LOOKUPS:
            return OPAQUE
        if args:
            return args
        constant_receiver = isinstance(receiver, ast.Constant | ast.JoinedStr)
        return CLEAN if constant_receiver or last in _PURE or name in _PURE else OPAQUE

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> Taint:
        saved = self.env
        self.env = dict(saved)
        try:
            for gen in node.generators:
                self.bind(gen.target, self.taint(gen.iter))
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            return union([self.taint(p) for p in parts])
        finally:
            self.env = saved

    def is_request(self, node: ast.AST) -> bool:
        name = dotted(node)
        return name in self.ctx.request_names or name in {"self.request", "flask.request", "info.context"}


def literal_text(node: ast.AST) -> str:
    """The string literals inside an expression, joined (what SQL_WORDS is matched against)."""
    return " ".join(
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    )


def _join(envs: list[Env]) -> Env:
    out: Env = {}
    for env in envs:
        for name, value in env.items():
            out[name] = out[name] | value if name in out else value
    return out


def sanitiser_of(name: str) -> frozenset[str]:
    """The kinds a call by this (canonical) name makes safe; every kind for conversions."""
    last = name.rpartition(".")[2]
    if last in _CONVERSIONS or name in _CONVERSIONS:
        return _ALL
    return _SANITISERS.get(name) or _SANITISERS.get(last) or frozenset()
