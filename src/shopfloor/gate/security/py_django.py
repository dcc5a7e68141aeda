"""Django routes: urls.py patterns (path, re_path, url, include, DRF routers) followed to their views,
function and class based, with the decorators, mixins, permission classes and settings defaults
that guard them."""

from __future__ import annotations

import ast
import re

from shopfloor.gate.security.py_guards import deco_name
from shopfloor.gate.security.py_modules import Func, Module, Project, arg, dotted, keyword, str_value
from shopfloor.gate.security.py_routes import PyHandler
from shopfloor.gate.security.routes import ProjectFacts, Route, path_parameters

_HTTP = {"get", "post", "put", "patch", "delete", "head"}
_VIEWSET_ACTIONS = {
    "list": "GET", "create": "POST", "retrieve": "GET", "update": "PUT", "partial_update": "PATCH",
    "destroy": "DELETE",
}  # fmt: skip
_DRF_BASES = re.compile(
    r"APIView|ViewSet|GenericAPIView|ListAPIView|CreateAPIView|RetrieveAPIView|\w+APIView"
)
_PATTERN_FUNCS = {"path", "re_path", "url"}


class DjangoRoutes:
    def __init__(self, project: Project, facts: ProjectFacts) -> None:
        self.project = project
        self.facts = facts
        self.drf_defaults: list[str] = []
        self.handlers: list[PyHandler] = []
        self._seen: set[str] = set()

    def collect(self) -> list[PyHandler]:
        for mod in self.project.modules.values():
            self._settings(mod)
        confs = [m for m in self.project.modules.values() if _assigns(m, "urlpatterns")]
        included = {inc for m in confs for inc in self._includes(m)}
        for mod in confs:  # from the roots down, so included confs get their prefix
            if mod.name not in included:
                self._urlconf(mod, "")
        for mod in confs:  # an urlconf reached from nowhere we could follow is still routed
            self._urlconf(mod, "")
        return self.handlers

    def _settings(self, mod: Module) -> None:
        for node in mod.tree.body:
            if not isinstance(node, ast.Assign):
                continue
            names = {dotted(t) for t in node.targets}
            text = ast.unparse(node.value)
            if "MIDDLEWARE" in names and re.search(r"LoginRequired|Authentication\w*Required", text):
                self.facts.global_auth = True
            if "MIDDLEWARE" in names and re.search(r"ratelimit|throttl|axes", text, re.I):
                self.facts.limiter = True
            if "REST_FRAMEWORK" in names and isinstance(node.value, ast.Dict):
                for k, v in zip(node.value.keys, node.value.values, strict=True):
                    key = str_value(k) or ""
                    if key == "DEFAULT_PERMISSION_CLASSES":
                        self.drf_defaults = [s.rpartition(".")[2] for s in _strings(v)]
                    elif key == "DEFAULT_THROTTLE_CLASSES" and _strings(v):
                        self.facts.limiter = True

    def _includes(self, mod: Module) -> list[str]:
        out = []
        for node in mod.nodes:
            if isinstance(node, ast.Call) and dotted(node.func).rpartition(".")[2] == "include" and node.args:
                target = node.args[0]
                if isinstance(target, ast.Tuple) and target.elts:
                    target = target.elts[0]
                name = str_value(target) or mod.canonical(dotted(target))
                found = self.project.module(name) if name else None
                if found is not None:
                    out.append(found.name)
        return out

    def _urlconf(self, mod: Module, prefix: str) -> None:
        if mod.rel in self._seen:
            return
        self._seen.add(mod.rel)
        routers = self._drf_routers(mod)
        for node in mod.nodes:
            if isinstance(node, ast.Call) and dotted(node.func).rpartition(".")[2] in _PATTERN_FUNCS:
                self._pattern(mod, prefix, node, routers)
        for name, registered in routers.items():
            if re.search(rf"\b{re.escape(name)}\.urls\b", mod.text):
                for reg_prefix, view, line in registered:
                    self._viewset(mod, prefix + reg_prefix.strip("^$") + "/", view, line)

    def _drf_routers(self, mod: Module) -> dict[str, list[tuple[str, ast.expr, int]]]:
        out: dict[str, list[tuple[str, ast.expr, int]]] = {}
        for node in mod.nodes:
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "register"
                and len(node.args) >= 2
            ):
                out.setdefault(dotted(node.func.value), []).append(
                    (str_value(node.args[0]) or "", node.args[1], node.lineno)
                )
        return out

    def _pattern(
        self, mod: Module, prefix: str, call: ast.Call, routers: dict[str, list[tuple[str, ast.expr, int]]]
    ) -> None:
        route = str_value(arg(call, 0, "route")) or ""
        view = arg(call, 1, "view")
        if view is None:
            return
        path = prefix + route.lstrip("^").rstrip("$")
        if isinstance(view, ast.Call) and dotted(view.func).rpartition(".")[2] == "include":
            target = view.args[0] if view.args else None
            if isinstance(target, ast.Tuple) and target.elts:
                target = target.elts[0]
            name = str_value(target) or (mod.canonical(dotted(target)) if target is not None else "")
            included = self.project.module(name) if name else None
            if included is not None:
                self._urlconf(included, path)
            return
        wrappers: list[str] = []
        while isinstance(view, ast.Call) and view.args and dotted(view.func).rpartition(".")[2] != "as_view":
            wrappers.append(dotted(view.func))
            view = view.args[0]
        if isinstance(view, ast.Call) and isinstance(view.func, ast.Attribute):
            view = view.func.value  # SomeView.as_view()
        name = dotted(view)
        if not name or name.endswith(("site.urls", ".urls")):
            return
        found = self.project.lookup(mod, name)
        if found is None:
            return
        vmod, qual = found
        if qual in vmod.classes:
            self._class_view(mod, call.lineno, "/" + path, vmod, vmod.classes[qual], wrappers)
        elif qual in vmod.functions:
            self._function_view(mod, call.lineno, "/" + path, vmod, vmod.functions[qual], wrappers)

    def _function_view(
        self, decl: Module, line: int, path: str, vmod: Module, func: Func, wrappers: list[str]
    ) -> None:
        decos = [deco_name(d) for d in func.decorator_list]
        chain = wrappers + decos
        if any(d.startswith("api_view") for d in decos) and not any("permission_classes" in d for d in decos):
            chain += self.drf_defaults
        methods = _declared_methods(func)
        self._add(decl, line, path, vmod, func, func.name, methods, chain)

    def _class_view(
        self, decl: Module, line: int, path: str, vmod: Module, cls: ast.ClassDef, wrappers: list[str]
    ) -> None:
        chain = wrappers + self._class_guards(vmod, cls)
        for stmt in cls.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name in _HTTP:
                own = chain + [deco_name(d) for d in stmt.decorator_list]
                self._add(decl, line, path, vmod, stmt, f"{cls.name}.{stmt.name}", {stmt.name.upper()}, own)
                self.handlers[-1].route.handler_line = cls.lineno  # mixins and permissions go on the class

    def _viewset(self, decl: Module, path: str, view: ast.expr, line: int) -> None:
        found = self.project.lookup(decl, dotted(view))
        if found is None or found[1] not in found[0].classes:
            return
        vmod, cls = found[0], found[0].classes[found[1]]
        chain = self._class_guards(vmod, cls)
        defined = False
        for stmt in cls.body:
            if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            action = any(deco_name(d).startswith("action") for d in stmt.decorator_list)
            if stmt.name in _VIEWSET_ACTIONS or stmt.name in _HTTP or action:
                verb = _VIEWSET_ACTIONS.get(stmt.name) or (
                    _action_method(stmt) if action else stmt.name.upper()
                )
                own = chain + [deco_name(d) for d in stmt.decorator_list]
                self._add(decl, line, "/" + path, vmod, stmt, f"{cls.name}.{stmt.name}", {verb}, own)
                defined = True
        if not defined:
            route = Route(
                decl.rel, line, None, "/" + path, frozenset({"*"}), "django", f"{vmod.rel}:{cls.name}"
            )
            route.chain = chain
            self.handlers.append(PyHandler(route, vmod, None))

    def _class_guards(self, mod: Module, cls: ast.ClassDef, depth: int = 0) -> list[str]:
        """Mixins, permission classes and class decorators, through the project's own base classes."""
        guards = [deco_name(d) for d in cls.decorator_list]
        own_permissions = False
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and any(
                dotted(t) in {"permission_classes", "authentication_classes", "throttle_classes"}
                for t in stmt.targets
            ):
                guards += [dotted(e) for e in _elts(stmt.value)]
                own_permissions = own_permissions or any(
                    dotted(t) == "permission_classes" for t in stmt.targets
                )
                if any(dotted(t) == "throttle_classes" for t in stmt.targets):
                    self.facts.limiter = True
        for base in cls.bases:
            name = dotted(base)
            guards.append(name)
            found = self.project.lookup(mod, name) if depth < 5 else None
            if found is not None and found[1] in found[0].classes:
                guards += self._class_guards(found[0], found[0].classes[found[1]], depth + 1)
        drf = depth == 0 and not own_permissions and any(_DRF_BASES.search(g) for g in guards)
        if drf and not any(re.search(r"Permission|IsAuthenticated|IsAdmin|AllowAny", g) for g in guards):
            guards += self.drf_defaults
        return guards

    def _add(
        self,
        decl: Module,
        line: int,
        path: str,
        vmod: Module,
        func: Func,
        qual: str,
        methods: set[str],
        chain: list[str],
    ) -> None:
        route = Route(
            file=decl.rel,
            line=line,
            end_line=None,
            path=re.sub(r"//+", "/", path),
            methods=frozenset(methods),
            framework="django",
            handler=f"{vmod.rel}:{qual}",
            chain=chain,
            handler_line=func.lineno,
            handler_end=func.end_lineno,
        )
        params = [p.arg for p in func.args.posonlyargs + func.args.args]
        if params and params[0] in {"self", "cls"}:
            params = params[1:]
        handler = PyHandler(route, vmod, func)
        handler.request_names |= set(params[:1])
        converted = {name: conv for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", path)}
        handler.request_params = {
            p for p in params[1:] if converted.get(p) not in {"int", "uuid"} and p not in {"args", "kwargs"}
        }
        handler.path_params = path_parameters(path) | (set(params[1:]) - {"args", "kwargs"})
        self.handlers.append(handler)


def _assigns(mod: Module, name: str) -> bool:
    return any(
        isinstance(n, ast.Assign | ast.AugAssign | ast.AnnAssign)
        and name in {dotted(t) for t in (n.targets if isinstance(n, ast.Assign) else [n.target])}
        for n in mod.tree.body
    )


def _strings(node: ast.AST | None) -> list[str]:
    return [s for e in _elts(node) if (s := str_value(e))]


def _elts(node: ast.AST | None) -> list[ast.expr]:
    return list(node.elts) if isinstance(node, ast.List | ast.Tuple) else []


def _declared_methods(func: Func) -> set[str]:
    for deco in func.decorator_list:
        name = dotted(deco).rpartition(".")[2]
        if name in {"require_POST", "require_GET", "require_safe"}:
            return {"POST"} if name == "require_POST" else {"GET"}
        if isinstance(deco, ast.Call) and name in {"require_http_methods", "api_view"}:
            given = deco.args[0] if deco.args else keyword(deco, "http_method_names")
            methods = {s.upper() for s in _strings(given)}
            if methods:
                return methods
    return {"*"}


def _action_method(func: Func) -> str:
    """The first method a DRF `@action(methods=[...])` accepts; GET when it names none."""
    for deco in func.decorator_list:
        if isinstance(deco, ast.Call) and dotted(deco.func).rpartition(".")[2] == "action":
            methods = _strings(keyword(deco, "methods"))
            return methods[0].upper() if methods else "GET"
    return "GET"
