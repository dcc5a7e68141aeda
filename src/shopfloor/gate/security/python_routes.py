"""Python web routes (FastAPI, Starlette, Flask) read from the AST, and the project-wide auth facts."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from shopfloor.gate.security.project import ProjectFacts

_ROUTE_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "api_route", "route"}
AUTH_NAME = re.compile(
    r"current_?user|current_?active|auth|token|jwt|login_required|require_|verify_|principal|"
    r"permission|is_admin|admin_required|superuser|get_user_from|oauth2_scheme|api_key",
    re.IGNORECASE,
)
LIMIT_NAME = re.compile(r"limit|throttl", re.IGNORECASE)
_AUTH_MIDDLEWARE = re.compile(r"auth|jwt|token|login", re.IGNORECASE)


@dataclass
class Route:
    """One route handler: where it is, how it is reached and what guards it."""

    func: ast.FunctionDef | ast.AsyncFunctionDef
    line: int
    end_line: int
    path: str
    methods: set[str]
    router: str
    """The name the decorator hangs off (`app`, `router`)."""
    guards: list[str] = field(default_factory=list)
    """Names of dependencies and decorators that wrap the handler (Depends targets, decorator names)."""
    params: dict[str, ast.arg] = field(default_factory=dict)


def dotted(node: ast.AST) -> str:
    """`a.b.c` for names and attributes, the callee's name for calls, '' otherwise."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, ast.Call):
        return dotted(node.func)
    return ""


def dependency_targets(node: ast.AST) -> list[str]:
    """Names passed to Depends()/Security() anywhere inside `node`."""
    names = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and dotted(sub.func).split(".")[-1] in {"Depends", "Security"}:
            target = sub.args[0] if sub.args else next((k.value for k in sub.keywords), None)
            if target is not None:
                names.append(dotted(target) or "?")
    return names


def find_routes(tree: ast.Module) -> list[Route]:
    """Every decorated function in the module that is a route handler."""
    routes = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        route = _route_of(node)
        if route is not None:
            routes.append(route)
    return routes


def _route_of(func: ast.FunctionDef | ast.AsyncFunctionDef) -> Route | None:
    found: Route | None = None
    others: list[str] = []
    for deco in func.decorator_list:
        if isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute):
            method = deco.func.attr
            path = _path_arg(deco)
            if method in _ROUTE_METHODS and path is not None:
                methods = _methods(deco, method)
                found = Route(
                    func=func,
                    line=deco.lineno,
                    end_line=func.end_lineno or func.lineno,
                    path=path,
                    methods=methods,
                    router=dotted(deco.func.value),
                )
                for kw in deco.keywords:
                    if kw.arg == "dependencies":
                        others.extend(dependency_targets(kw.value))
                continue
        others.append(dotted(deco))
        others.extend(dependency_targets(deco))
    if found is None:
        return None
    args = func.args.posonlyargs + func.args.args + func.args.kwonlyargs
    found.params = {a.arg: a for a in args}
    defaults = [d for d in func.args.defaults + func.args.kw_defaults if d is not None]
    for d in defaults:
        others.extend(dependency_targets(d))
    for a in args:
        if a.annotation is not None:
            others.extend(dependency_targets(a.annotation))
            others.append("annotation:" + ast.unparse(a.annotation))
    found.guards = others
    return found


def _path_arg(deco: ast.Call) -> str | None:
    first = deco.args[0] if deco.args else next((k.value for k in deco.keywords if k.arg == "path"), None)
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith("/"):
        return first.value
    return None


def _methods(deco: ast.Call, method: str) -> set[str]:
    if method not in {"route", "api_route"}:
        return {method.upper()}
    for kw in deco.keywords:
        if kw.arg == "methods" and isinstance(kw.value, ast.List | ast.Tuple | ast.Set):
            return {str(e.value).upper() for e in kw.value.elts if isinstance(e, ast.Constant)}
    return {"GET"}


def is_auth_guard(guard: str, facts: ProjectFacts) -> bool:
    """A dependency, decorator or annotation that authenticates the caller."""
    if guard.startswith("annotation:"):
        text = guard.removeprefix("annotation:")
        return any(alias in re.findall(r"\w+", text) for alias in facts.auth_aliases) or bool(
            re.search(r"current_?user|CurrentUser|AdminUser|Principal", text)
        )
    return bool(AUTH_NAME.search(guard))


def collect_python_facts(tree: ast.Module, rel: str, facts: ProjectFacts) -> None:
    """Record what this module tells about the whole project: auth in use, limiters, protected routers."""
    imported = _imported_modules(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            deps = dependency_targets(node.value)
            auth_deps = [d for d in deps if AUTH_NAME.search(d)]
            if auth_deps:
                facts.has_auth = True
                for t in targets:
                    if isinstance(t, ast.Name):
                        # `CurrentUser = Annotated[User, Depends(...)]`, `router = APIRouter(dependencies=)`
                        facts.auth_aliases.add(t.id)
                        facts.protected_routers.add(f"{rel}:{t.id}")
        elif isinstance(node, ast.Call):
            _collect_call(node, facts, imported)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            route = _route_of(node)
            if route is not None and any(is_auth_guard(g, facts) for g in route.guards):
                facts.has_auth = True
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            if any(n.startswith("slowapi") or n.startswith("fastapi_limiter") for n in names):
                facts.has_limiter = True


def _imported_modules(tree: ast.Module) -> dict[str, str]:
    """Local name -> stem of the module it came from (`from app.routers.admin import router as r`)."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                local = alias.asname or alias.name
                out[local] = alias.name if alias.name != "router" else (node.module or "").split(".")[-1]
    return out


def _collect_call(node: ast.Call, facts: ProjectFacts, imported: dict[str, str]) -> None:
    name = dotted(node.func)
    last = name.split(".")[-1]
    kw = {k.arg: k.value for k in node.keywords if k.arg}
    if last in {"Depends", "Security"} and any(AUTH_NAME.search(d) for d in dependency_targets(node)):
        facts.has_auth = True
    deps = dependency_targets(kw["dependencies"]) if "dependencies" in kw else []
    if last == "include_router" and node.args and any(AUTH_NAME.search(d) for d in deps):
        facts.has_auth = True
        # `admin.router` names a module; a bare name was imported from one. Either way, remember it.
        head = dotted(node.args[0]).split(".")[0]
        facts.protected_modules.add(imported.get(head, head))
    if last == "add_middleware" and node.args:
        mw = dotted(node.args[0])
        if mw.startswith("SlowAPI"):
            facts.slowapi_middleware = True
        elif LIMIT_NAME.search(mw):
            facts.global_limiter = True
            facts.has_limiter = True
        elif _AUTH_MIDDLEWARE.search(mw) and mw != "AuthenticationMiddleware":
            # Starlette's AuthenticationMiddleware only identifies the user; it does not refuse anyone.
            facts.global_auth = True
            facts.has_auth = True
    if last == "Limiter":
        facts.has_limiter = True
        facts.limiter_defaults = facts.limiter_defaults or "default_limits" in kw
