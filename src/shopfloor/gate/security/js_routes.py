"""Express and Fastify routes: `app.get(path, ...mw, handler)`, `router.route(path).get(...)`,
`fastify.route({...})`, with the chain from the app down to each route: `app.use(mw)`, routers
mounted with `app.use('/admin', requireAdmin, adminRouter)` from another module, Fastify hooks and
`preHandler`s, handlers defined in other modules (`ctrl.show`, `new Handler(db).show`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shopfloor.gate.security.js_ast import (
    FUNCTIONS,
    JNode,
    arguments,
    callee,
    dotted,
    object_pairs,
    string_value,
)
from shopfloor.gate.security.js_project import JsModule, JsProject, resolve_path
from shopfloor.gate.security.routes import Route

_VERBS = {"get", "post", "put", "patch", "delete", "all", "options", "head"}
_NOT_ROUTERS = re.compile(
    r"^(axios|http|https|request|superagent|fetch|client|api|\$|jQuery|cache|redis|map|headers|params|"
    r"searchParams|url|res|req|response|reply|store|storage|localStorage|sessionStorage|db|knex|this)$"
)
_HOOKS = {"onRequest", "preHandler", "preValidation", "preParsing"}
_AUTH_TEST = re.compile(
    r"req(uest)?\.(session|user|isAuthenticated|auth|payload|headers\.authorization)|res\.locals\.user|"
    r"ctx\.state\.user|\btoken\b|authorization"
)
_AUTH_CALL = re.compile(r"jwt\.verify|verifyToken|verifyJwt|isAuthenticated|passport\.authenticate|jwtVerify")
_REFUSE = re.compile(r"redirect\(|401|403|Unauthorized|Forbidden|throw\b|login|sendStatus")
_ROLE_TEST = re.compile(r"isAdmin|is_admin|\.role\b|roles|admin|permission|superuser|isStaff", re.I)


@dataclass
class JsHandler:
    route: Route
    module: JsModule
    func: JNode | None
    """The handler function, where it could be found."""
    func_module: JsModule | None = None


@dataclass
class _Use:
    obj: str
    path: str | None
    start: int
    guards: list[str]
    mounts: list[JNode] = field(default_factory=list)
    """Arguments that may be routers or plugins (identifiers, members, requires)."""


def guard_name(project: JsProject, mod: JsModule, node: JNode) -> list[str]:
    """A middleware argument as guard names (`isLoggedIn`, `passport.authenticate(jwt)`), arrays
    flattened; a function of the project whose body checks the caller is labelled so."""
    if node.kind == "array":
        return [g for c in node.children for g in guard_name(project, mod, c)]
    if node.kind == "call_expression":
        words = [v for a in arguments(node) if (v := string_value(a))]
        base = callee(node)
        return [f"{base}({', '.join(words)})"] if base else []
    name = dotted(node) or ("inline" if node.kind in FUNCTIONS else "")
    if not name:
        return []
    found = project.function(mod, node) if node.kind not in FUNCTIONS else (mod, node)
    if found is not None:
        authed, role = body_checks(found[1])
        checks = [w for w, on in (("login", authed), ("admin role", role)) if on]
        if checks:
            return [f"{name}[checks {' and '.join(checks)}]"]
    return [name]


def body_checks(func: JNode) -> tuple[bool, bool]:
    """(looks the caller up and refuses without one, refuses unless the caller has a role)."""
    authed = role = False
    for node in func.walk():
        if node.kind == "if_statement":
            cond = node.get("condition")
            test = cond.text if cond is not None else ""
            refuses = bool(_REFUSE.search(node.text))
            if refuses and _AUTH_TEST.search(test):
                authed = True
            if refuses and _ROLE_TEST.search(test):
                role = True
        elif node.kind == "call_expression" and _AUTH_CALL.search(callee(node)):
            authed = True
    return authed, role


class JsRouteCollector:
    def __init__(self, project: JsProject) -> None:
        self.project = project
        self.uses: dict[str, list[_Use]] = {}
        """Module path -> its use()/addHook()/register() calls."""
        self.apps: set[tuple[str, str]] = set()
        """(module, object name) of objects made by express() or fastify()."""
        self.handlers: list[JsHandler] = []

    def collect(self) -> list[JsHandler]:
        for mod in self.project.modules.values():
            self._scan_uses(mod)
        for mod in self.project.modules.values():
            self._scan_routes(mod)
        return self.handlers

    def _scan_uses(self, mod: JsModule) -> None:
        uses: list[_Use] = []
        for node in mod.root.walk():
            if node.kind == "variable_declarator":
                value, name = node.get("value"), node.get("name")
                made_by = callee(value) if value is not None else ""
                if name is not None and re.fullmatch(r"express|fastify|Fastify|koa|Koa", made_by):
                    self.apps.add((mod.rel, name.text))
                continue
            if node.kind != "call_expression":
                continue
            func = node.get("function")
            if func is None or func.kind != "member_expression":
                continue
            obj, prop = dotted(func.get("object")), func.get("property")
            if not obj or prop is None or prop.text not in {"use", "addHook", "register"}:
                continue
            args = arguments(node)
            path = string_value(args[0]) if args else None
            rest = args[1:] if path is not None else args
            if prop.text == "addHook":
                if path in _HOOKS:
                    guards = [g for a in rest for g in guard_name(self.project, mod, a)]
                    uses.append(_Use(obj, None, node.start, guards))
                continue
            if prop.text == "register":
                options = object_pairs(rest[1]) if len(rest) > 1 else {}
                prefix = string_value(options.get("prefix"))
                uses.append(_Use(obj, prefix, node.start, [], rest[:1]))
                continue
            guards = [g for a in rest[:-1] for g in guard_name(self.project, mod, a)]
            tail = rest[-1] if rest else None
            if tail is None:
                continue
            if _is_mount(self.project, mod, tail):
                uses.append(_Use(obj, path, node.start, guards, [tail]))
            else:
                uses.append(_Use(obj, path, node.start, guards + guard_name(self.project, mod, tail)))
        self.uses[mod.rel] = uses

    def _scan_routes(self, mod: JsModule) -> None:
        for node in mod.root.walk():
            if node.kind != "call_expression":
                continue
            func = node.get("function")
            if func is None or func.kind != "member_expression":
                continue
            prop = func.get("property")
            target = func.get("object")
            if prop is None or target is None:
                continue
            verb = prop.text
            args = arguments(node)
            chained = _route_call(target) if verb in _VERBS else None
            if chained is not None:  # router.route('/x').get(...).post(...)
                inner = arguments(chained)
                path = string_value(inner[0]) if inner else None
                route_func = chained.get("function")
                owner = dotted(route_func.get("object")) if route_func is not None else ""
                if path is not None and owner and args:
                    self._route(mod, owner, node, verb, path, args[:-1], args[-1])
            elif verb in _VERBS and len(args) >= 2:
                owner = dotted(target)
                path = string_value(args[0])
                if owner and path is not None and path.startswith("/") and not _NOT_ROUTERS.match(owner):
                    self._route(mod, owner, node, verb, path, args[1:-1], args[-1])
            elif verb == "route" and len(args) == 1 and args[0].kind == "object":
                self._fastify_route(mod, dotted(target), node, object_pairs(args[0]))

    def _fastify_route(self, mod: JsModule, owner: str, node: JNode, opts: dict[str, JNode]) -> None:
        path = string_value(opts.get("url") or opts.get("path"))
        handler = opts.get("handler")
        method = opts.get("method")
        if path is None or handler is None or method is None:
            return
        given = [method] if method.kind == "string" else method.children
        verbs = [v.lower() for v in (string_value(c) for c in given) if v]
        middle = [opts[h] for h in _HOOKS if h in opts] + ([opts["schema"]] if "schema" in opts else [])
        for verb in verbs or ["all"]:
            self._route(mod, owner, node, verb, path, middle, handler)

    def _route(
        self,
        mod: JsModule,
        owner: str,
        node: JNode,
        verb: str,
        path: str,
        middle: list[JNode],
        handler: JNode,
    ) -> None:
        guards: list[str] = []
        for m in middle:
            if m.kind == "object":  # Fastify route options: { preHandler, onRequest, schema, config }
                opts = object_pairs(m)
                for hook in _HOOKS:
                    if hook in opts:
                        guards += guard_name(self.project, mod, opts[hook])
                if "schema" in opts:
                    guards.append("schema")
                if "config" in opts and "rateLimit" in opts["config"].text:
                    guards.append("rateLimit")
            else:
                guards += guard_name(self.project, mod, m)
        prefix, up = self._chain(mod, owner, node.start, path, 0)
        found = self.project.function(mod, handler)
        route = Route(
            file=mod.rel,
            line=node.line,
            end_line=node.end_line,
            path=(prefix + path).replace("//", "/") or "/",
            methods=frozenset({"*" if verb == "all" else verb.upper()}),
            framework="fastify" if _uses_fastify(mod) else "express",
            handler=f"{found[0].rel}:{dotted(handler) or 'handler'}"
            if found
            else f"{mod.rel}:{dotted(handler)}",
            chain=list(dict.fromkeys(up + guards)),
            handler_line=found[1].line if found else None,
            handler_end=found[1].end_line if found else None,
        )
        self.handlers.append(JsHandler(route, mod, found[1] if found else None, found[0] if found else None))

    def _chain(self, mod: JsModule, owner: str, at: int, path: str, depth: int) -> tuple[str, list[str]]:
        """(prefix, guards) that apply to a route on `owner` in `mod`: uses before it on the same object,
        app-wide middleware, and the mounts that bring this module's router into the app."""
        guards: list[str] = []
        for use in self.uses.get(mod.rel, []):
            if use.obj != owner or use.start > at:
                continue
            if use.path is None or path.startswith(use.path):
                guards += use.guards
        if self._is_app(mod, owner) or depth > 4:
            return "", guards + self._app_wide(mod)
        prefix = ""
        for other, uses in self.uses.items():
            for use in uses:
                if any(self._refers_to(self.project.modules[other], m, mod) for m in use.mounts):
                    where = self.project.modules[other]
                    up_prefix, up = self._chain(where, use.obj, use.start, use.path or "", depth + 1)
                    return up_prefix + (use.path or ""), up + use.guards + guards
        return prefix, guards + self._app_wide(mod)

    def _refers_to(self, where: JsModule, ref: JNode, target: JsModule) -> bool:
        if ref.kind == "call_expression" and callee(ref) == "require":
            args = arguments(ref)
            spec = string_value(args[0]) if args else None
            return spec is not None and resolve_path(where.rel, spec, set(self.project.modules)) == target.rel
        name = dotted(ref).split(".")[0]
        found = where.imports.get(name)
        return found is not None and found[0] == target.rel

    def _is_app(self, mod: JsModule, owner: str) -> bool:
        return (mod.rel, owner) in self.apps

    def _app_wide(self, mod: JsModule) -> list[str]:
        """Path-less middleware on the app object (registered in whatever module creates it)."""
        out: list[str] = []
        for rel, obj in self.apps:
            for use in self.uses.get(rel, []):
                if use.obj == obj and use.path is None and not use.mounts:
                    out += use.guards
        return out


def _uses_fastify(mod: JsModule) -> bool:
    return (
        any(m.startswith(("fastify", "@fastify/")) for m, _ in mod.imports.values()) or "fastify" in mod.text
    )


def _route_call(node: JNode) -> JNode | None:
    """The `x.route(path)` call at the root of a chain of verb calls, if this is one."""
    while node.kind == "call_expression":
        func = node.get("function")
        if func is None or func.kind != "member_expression":
            return None
        prop = func.get("property")
        if prop is not None and prop.text == "route":
            return node
        if prop is None or prop.text not in _VERBS:
            return None
        inner = func.get("object")
        if inner is None:
            return None
        node = inner
    return None


def _is_mount(project: JsProject, mod: JsModule, node: JNode) -> bool:
    """A router or plugin being mounted, rather than a middleware function."""
    if node.kind == "call_expression":
        return callee(node) == "require"
    if node.kind not in {"identifier", "member_expression"}:
        return False
    found = project.function(mod, node)
    if found is not None:
        params = found[1].get("parameters")
        count = len(params.children) if params is not None else 1
        first = params.children[0].text if params is not None and params.children else ""
        return count < 2 or not re.match(r"req|request|ctx|err", first)
    name = dotted(node)
    return bool(re.search(r"router|routes|api|controller|plugin|app", name, re.I)) or name in mod.imports
