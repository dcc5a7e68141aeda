"""Routes of Flask, FastAPI/Starlette and aiohttp apps: decorators, add_url_rule/add_route tables,
blueprints and routers mounted with prefixes and dependencies, before_request hooks and middleware,
followed across modules."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from shopfloor.gate.security.py_guards import body_checks_auth, deco_name, guard_names
from shopfloor.gate.security.py_modules import Func, Module, Project, arg, dotted, keyword, str_value
from shopfloor.gate.security.py_params import param_guards, param_names, request_params
from shopfloor.gate.security.routes import Route, path_parameters

_VERBS = {"get", "post", "put", "patch", "delete", "head", "options"}
_ROUTE_DECOS = _VERBS | {"route", "api_route", "view"}
_ROUTER_TYPES = {
    "Flask": "flask", "Quart": "flask", "Blueprint": "flask", "FastAPI": "fastapi", "APIRouter": "fastapi",
    "Starlette": "fastapi", "Router": "fastapi", "Application": "aiohttp", "RouteTableDef": "aiohttp",
}  # fmt: skip
_AIOHTTP_ADD = {f"add_{v}": v.upper() for v in _VERBS}


@dataclass
class PyHandler:
    """A route and where its handler's body lives, with what carries request data in it."""

    route: Route
    module: Module
    func: Func | None
    request_names: set[str] = field(default_factory=lambda: {"request", "req"})
    request_params: set[str] = field(default_factory=set)
    """Parameters whose value a client sends (and that can carry text: `x: int` cannot)."""
    path_params: set[str] = field(default_factory=set)
    """Parameters filled from the route's path, whatever their type (ids for the authorization rules)."""
    returns_html: bool = False


@dataclass
class _Router:
    kind: str
    prefix: str = ""
    guards: list[str] = field(default_factory=list)
    parents: list[tuple[str, str, list[str]]] = field(default_factory=list)
    """(parent router key, prefix it is mounted at, guards added at the mount)."""


class PyRouteCollector:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.routers: dict[str, _Router] = {}
        self.app_guards: list[str] = []
        self.handlers: list[PyHandler] = []

    def collect(self) -> list[PyHandler]:
        for mod in self.project.modules.values():
            self._routers_in(mod)
        for mod in self.project.modules.values():
            self._mounts_in(mod)
        for mod in self.project.modules.values():
            self._routes_in(mod)
        return self.handlers

    # --- routers, mounts and hooks -----------------------------------------------------------------

    def router_key(self, mod: Module, expr: ast.AST) -> str:
        name = dotted(expr)
        local = f"{mod.rel}:{name}"
        if local in self.routers or "." not in mod.canonical(name):
            return local
        full = mod.canonical(name)
        owner, _, var = full.rpartition(".")
        target = self.project.module(owner)
        return f"{target.rel}:{var}" if target is not None else local

    def _routers_in(self, mod: Module) -> None:
        for node in mod.nodes:
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
                continue
            kind = _ROUTER_TYPES.get(dotted(node.value.func).rpartition(".")[2])
            if kind is None:
                continue
            call = node.value
            prefix = str_value(keyword(call, "prefix") or keyword(call, "url_prefix")) or ""
            guards = guard_names(keyword(call, "dependencies") or ast.Constant(None))
            guards += [dotted(m) for m in _elts(keyword(call, "middlewares") or keyword(call, "middleware"))]
            for target in node.targets:
                if isinstance(target, ast.Name | ast.Attribute):
                    self.routers[f"{mod.rel}:{dotted(target)}"] = _Router(kind, prefix, guards)

    def _mounts_in(self, mod: Module) -> None:
        for node in mod.nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self._hook_decorators(mod, node)
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            method, owner = node.func.attr, node.func.value
            parent = self.router_key(mod, owner)
            if method in {"include_router", "register_blueprint", "add_routes"} and node.args:
                child = self.router_key(mod, node.args[0])
                prefix = str_value(keyword(node, "prefix") or keyword(node, "url_prefix")) or ""
                self._router(child).parents.append((parent, prefix, guard_names(node)))
            elif method in {"add_subapp", "mount"} and len(node.args) >= 2:
                child = self.router_key(mod, node.args[1])
                self._router(child).parents.append((parent, str_value(node.args[0]) or "", []))
            elif method in {"add_middleware", "before_request", "before_app_request"} and node.args:
                self._hook(mod, parent, node.args[0])
            elif method == "append" and dotted(owner).endswith("middlewares") and node.args:
                self._router(self.router_key(mod, ast.Name(dotted(owner).rpartition(".")[0]))).guards.append(
                    dotted(node.args[0])
                )

    def _hook_decorators(self, mod: Module, func: Func) -> None:
        for deco in func.decorator_list:
            target = deco.func if isinstance(deco, ast.Call) else deco
            if isinstance(target, ast.Attribute) and target.attr in {
                "before_request",
                "before_app_request",
                "middleware",
            }:
                self._hook(mod, self.router_key(mod, target.value), ast.Name(func.name))

    def _hook(self, mod: Module, router: str, ref: ast.expr) -> None:
        """A before_request hook or middleware: a guard on its router when it checks the caller."""
        name = dotted(ref)
        found = self.project.lookup(mod, name) if name else None
        func = found[0].functions.get(found[1]) if found else None
        authed, role = body_checks_auth(func, found[0].text if found else "")
        label = name
        if authed:
            label = f"{name}[checks login{' and admin role' if role else ''}]"
        self._router(router).guards.append(label)

    def _router(self, key: str) -> _Router:
        return self.routers.setdefault(key, _Router("unknown"))

    def chain_of(self, key: str, seen: frozenset[str] = frozenset()) -> tuple[str, list[str]]:
        """(path prefix, guards) from the app down to router `key`."""
        router = self.routers.get(key)
        if router is None or key in seen:
            return "", []
        prefix, guards = "", []
        for parent, mount_prefix, mount_guards in router.parents[:1]:
            up_prefix, up_guards = self.chain_of(parent, seen | {key})
            prefix, guards = up_prefix + mount_prefix, up_guards + mount_guards
        return prefix + router.prefix, guards + router.guards

    # --- routes ------------------------------------------------------------------------------------

    def _routes_in(self, mod: Module) -> None:
        framework = _framework(mod)
        if framework is None:
            return
        for node in mod.nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                for deco in node.decorator_list:
                    self._decorated(mod, framework, node, deco)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                self._registered(mod, framework, node)

    def _decorated(self, mod: Module, framework: str, node: Func | ast.ClassDef, deco: ast.expr) -> None:
        if not (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)):
            return
        method = deco.func.attr
        path = str_value(arg(deco, 0, "path")) if method in _ROUTE_DECOS else None
        if path is None or (path and not path.startswith("/")):
            return
        others = [d for d in node.decorator_list if d is not deco]
        guards = [deco_name(d) for d in others] + guard_names(
            keyword(deco, "dependencies") or ast.Constant(0)
        )
        methods = _methods(deco, method)
        router = self.router_key(mod, deco.func.value)
        if isinstance(node, ast.ClassDef):
            self._class_view(mod, framework, router, path, node, deco.lineno, guards)
        else:
            self._add(mod, framework, router, path, methods, node, deco.lineno, guards)

    def _registered(self, mod: Module, framework: str, call: ast.Call) -> None:
        assert isinstance(call.func, ast.Attribute)
        method, owner = call.func.attr, call.func.value
        if method in {"add_url_rule", "add_api_route", "add_route"} or method in _AIOHTTP_ADD:
            router = self.router_key(mod, _app_of(owner))
            if method == "add_route" and framework == "aiohttp":
                verb, path, handler = str_value(arg(call, 0)), str_value(arg(call, 1)), arg(call, 2)
                methods = frozenset({(verb or "*").upper()})
            elif method in _AIOHTTP_ADD:
                path, handler = str_value(arg(call, 0)), arg(call, 1)
                methods = frozenset({_AIOHTTP_ADD[method]})
            else:
                path = str_value(arg(call, 0, "rule") or keyword(call, "path"))
                handler = (
                    keyword(call, "view_func")
                    or keyword(call, "endpoint")
                    or arg(call, 2 if method == "add_url_rule" else 1)
                )
                methods = _methods(call, "route")
            if path is not None and handler is not None:
                guards = guard_names(keyword(call, "dependencies") or ast.Constant(0))
                self._handler_ref(mod, framework, router, path, methods, handler, call.lineno, guards)
        elif method == "add_routes" and call.args and isinstance(call.args[0], ast.List):
            router = self.router_key(mod, _app_of(owner))
            for item in call.args[0].elts:
                if isinstance(item, ast.Call) and dotted(item.func).rpartition(".")[2] in _VERBS | {
                    "route",
                    "view",
                }:
                    verb = dotted(item.func).rpartition(".")[2]
                    if verb == "route":
                        path, handler = str_value(arg(item, 1)), arg(item, 2)
                        methods = frozenset({(str_value(arg(item, 0)) or "*").upper()})
                    else:
                        path, handler, methods = (
                            str_value(arg(item, 0)),
                            arg(item, 1),
                            frozenset({verb.upper()}),
                        )
                    if path is not None and handler is not None:
                        self._handler_ref(mod, framework, router, path, methods, handler, item.lineno, [])

    def _handler_ref(
        self,
        mod: Module,
        framework: str,
        router: str,
        path: str,
        methods: frozenset[str],
        ref: ast.expr,
        line: int,
        guards: list[str],
    ) -> None:
        """A handler named in a table: a function, `SomeView.as_view(...)`, or one wrapped in a decorator."""
        while isinstance(ref, ast.Call) and ref.args and dotted(ref.func).rpartition(".")[2] != "as_view":
            guards = [*guards, dotted(ref.func)]
            ref = ref.args[0]
        if isinstance(ref, ast.Call):  # SomeView.as_view('name')
            ref = ref.func.value if isinstance(ref.func, ast.Attribute) else ref.func
        found = self.project.lookup(mod, dotted(ref))
        if found is None:
            return
        target_mod, qual = found
        if qual in target_mod.classes:
            self._class_view(target_mod, framework, router, path, target_mod.classes[qual], line, guards, mod)
        elif qual in target_mod.functions:
            func = target_mod.functions[qual]
            guards = guards + [deco_name(d) for d in func.decorator_list]
            self._add(target_mod, framework, router, path, methods, func, line, guards, declared_in=mod)

    def _class_view(
        self,
        mod: Module,
        framework: str,
        router: str,
        path: str,
        cls: ast.ClassDef,
        line: int,
        guards: list[str],
        declared_in: Module | None = None,
    ) -> None:
        class_guards = guards + [dotted(b) for b in cls.bases] + [deco_name(d) for d in cls.decorator_list]
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and any(dotted(t) == "decorators" for t in stmt.targets):
                class_guards += [dotted(e) for e in _elts(stmt.value)]
        for stmt in cls.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name in _VERBS:
                own = class_guards + [deco_name(d) for d in stmt.decorator_list]
                methods = frozenset({stmt.name.upper()})
                self._add(mod, framework, router, path, methods, stmt, line, own, declared_in, cls.name)

    def _add(
        self,
        mod: Module,
        framework: str,
        router: str,
        path: str,
        methods: frozenset[str],
        func: Func,
        line: int,
        guards: list[str],
        declared_in: Module | None = None,
        owner: str | None = None,
    ) -> None:
        prefix, up_guards = self.chain_of(router)
        params = param_names(func)
        guards = up_guards + guards + param_guards(self.project, mod, func)
        full = (prefix + path) or "/"
        where = declared_in or mod
        route = Route(
            file=where.rel,
            line=line,
            end_line=func.end_lineno if where is mod else line,
            path=full,
            methods=methods,
            framework=framework,
            handler=f"{mod.rel}:{owner + '.' if owner else ''}{func.name}",
            chain=guards,
            handler_line=func.lineno,
            handler_end=func.end_lineno,
        )
        handler = PyHandler(route, mod, func, returns_html=framework == "flask")
        if framework == "aiohttp" and not owner:
            handler.request_names |= set(params[:1])
        handler.request_params = request_params(func, full, framework, self.project, mod)
        handler.path_params = path_parameters(full)
        self.handlers.append(handler)


_FRAMEWORK_ROOTS = [("flask", "flask"), ("quart", "flask"), ("fastapi", "fastapi"), ("starlette", "fastapi")]


def _framework(mod: Module) -> str | None:
    roots = {v.split(".")[0] for v in mod.imports.values()}
    for root, name in _FRAMEWORK_ROOTS:
        if root in roots:
            return name
    return "aiohttp" if "aiohttp" in roots else None


def _app_of(owner: ast.expr) -> ast.expr:
    """`app` for `app.router` (aiohttp's router hangs off the application)."""
    return owner.value if isinstance(owner, ast.Attribute) and owner.attr == "router" else owner


def _elts(node: ast.AST | None) -> list[ast.expr]:
    return list(node.elts) if isinstance(node, ast.List | ast.Tuple) else []


def _methods(call: ast.Call, method: str) -> frozenset[str]:
    if method in _VERBS:
        return frozenset({method.upper()})
    given = keyword(call, "methods")
    if isinstance(given, ast.List | ast.Tuple | ast.Set):
        return frozenset(str(e.value).upper() for e in given.elts if isinstance(e, ast.Constant))
    return frozenset({"GET"} if method in {"route", "add_url_rule"} else {"*"})
