"""GraphQL resolvers as routes: graphene's `resolve_*` methods and Mutation classes, strawberry's
fields and mutations, ariadne's `@query.field(...)`. Their arguments are request data; guards are
their decorators and whatever wraps the GraphQL endpoint itself."""

from __future__ import annotations

import ast

from shopfloor.gate.security.py_guards import deco_name
from shopfloor.gate.security.py_modules import Func, Module, Project, dotted, str_value
from shopfloor.gate.security.py_routes import PyHandler
from shopfloor.gate.security.routes import Route


def graphql_handlers(project: Project) -> list[PyHandler]:
    endpoint = _endpoint_guards(project)
    out: list[PyHandler] = []
    for mod in project.modules.values():
        roots = {v.split(".")[0] for v in mod.imports.values()}
        if not roots & {"graphene", "strawberry", "ariadne", "graphene_django", "flask_graphql"}:
            continue
        for node in mod.nodes:
            if isinstance(node, ast.ClassDef):
                out += _class_resolvers(mod, node, endpoint)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                out += _ariadne(mod, node, endpoint)
    return out


def _endpoint_guards(project: Project) -> list[str]:
    """Wrappers and middleware around the GraphQL view (`login_required(GraphQLView.as_view(...))`)."""
    guards: list[str] = []
    for mod in project.modules.values():
        for node in mod.nodes:
            if not isinstance(node, ast.Call) or "GraphQL" not in dotted(node.func):
                continue
            for k in node.keywords:
                if k.arg == "middleware" and isinstance(k.value, ast.List | ast.Tuple):
                    guards += [dotted(e) for e in k.value.elts]
            parent = mod.parent(node)
            while isinstance(parent, ast.Call):
                guards.append(dotted(parent.func))
                parent = mod.parent(parent)
    return [g for g in guards if g and "as_view" not in g]


def _class_resolvers(mod: Module, cls: ast.ClassDef, endpoint: list[str]) -> list[PyHandler]:
    bases = {dotted(b).rpartition(".")[2] for b in cls.bases}
    decos = {dotted(d).rpartition(".")[2] for d in cls.decorator_list}
    out = []
    for stmt in cls.body:
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        field = None
        if bases & {"ObjectType", "Interface"} and stmt.name.startswith("resolve_"):
            field = stmt.name.removeprefix("resolve_")
        elif bases & {"Mutation", "ClientIDMutation"} and stmt.name in {"mutate", "mutate_and_get_payload"}:
            field = cls.name
        elif "type" in decos and any(
            dotted(d).rpartition(".")[2] in {"field", "mutation", "subscription"}
            or dotted(d.func if isinstance(d, ast.Call) else d).rpartition(".")[2] in {"field", "mutation"}
            for d in stmt.decorator_list
        ):
            field = stmt.name
        if field is None:
            continue
        mutation = "Mutation" in cls.name or bool(bases & {"Mutation", "ClientIDMutation"})
        out.append(_handler(mod, stmt, f"{cls.name}.{stmt.name}", cls.name, field, mutation, endpoint))
    return out


def _ariadne(mod: Module, func: Func, endpoint: list[str]) -> list[PyHandler]:
    for deco in func.decorator_list:
        if isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute) and deco.func.attr == "field":
            field = str_value(deco.args[0]) if deco.args else None
            owner = dotted(deco.func.value)
            if field:
                mutation = "mutation" in owner.lower()
                return [_handler(mod, func, func.name, owner, field, mutation, endpoint)]
    return []


def _handler(
    mod: Module, func: Func, qual: str, type_name: str, field: str, mutation: bool, endpoint: list[str]
) -> PyHandler:
    route = Route(
        file=mod.rel,
        line=func.lineno,
        end_line=func.end_lineno,
        path=f"graphql:{type_name}.{field}",
        methods=frozenset({"POST" if mutation else "GET"}),
        framework="graphql",
        handler=f"{mod.rel}:{qual}",
        chain=endpoint + [deco_name(d) for d in func.decorator_list],
        handler_line=func.lineno,
        handler_end=func.end_lineno,
    )
    a = func.args
    params = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]
    after_info = params[params.index("info") + 1 :] if "info" in params else params[2:]
    handler = PyHandler(route, mod, func)
    handler.request_params = set(after_info) | ({a.kwarg.arg} if a.kwarg else set())
    handler.path_params = set(after_info)
    return handler
