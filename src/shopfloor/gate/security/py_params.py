"""What a Python handler's parameters say: the dependencies they declare (aliases such as `CurrentUser`
resolved), and which of them carry data a client sends."""

from __future__ import annotations

import ast
import re

from shopfloor.gate.security.py_guards import guard_names
from shopfloor.gate.security.py_modules import Func, Module, Project, dotted

_NOT_REQUEST_TYPES = re.compile(
    r"\b(Request|WebSocket|BackgroundTasks|Response|Session|AsyncSession|Connection|HTTPConnection|"
    r"SecurityScopes|int|float|bool|UUID|uuid\.UUID|datetime|date|time|Decimal|PositiveInt|NonNegativeInt)\b"
)
_CLEAN_CONVERTERS = {"int", "float", "uuid", "any"}
"""Flask converters whose values cannot carry an attack: numbers, UUIDs, one of a fixed list (`any`)."""
_FLASK_PARAM = re.compile(r"<(?:(\w+)(?:\([^)>]*\))?:)?(\w+)>")
"""`<name>`, `<converter:name>` and `<converter(arguments):name>`."""


def param_names(func: Func) -> list[str]:
    a = func.args
    return [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]


def param_guards(project: Project, mod: Module, func: Func) -> list[str]:
    """Dependencies a FastAPI handler declares in its parameters, aliases (`CurrentUser`) resolved."""
    out: list[str] = []
    a = func.args
    for d in [*a.defaults, *(x for x in a.kw_defaults if x is not None)]:
        out += guard_names(d)
    for p in a.posonlyargs + a.args + a.kwonlyargs:
        if p.annotation is None:
            continue
        out += guard_names(p.annotation)
        for name in {n.id for n in ast.walk(p.annotation) if isinstance(n, ast.Name)}:
            out += _alias_guards(project, mod, name)
    return out


def _alias_guards(project: Project, mod: Module, name: str) -> list[str]:
    """The dependencies behind an alias (`CurrentUser = Annotated[User, Depends(get_current_user)]`),
    defined here or in the module it was imported from."""
    full = mod.canonical(name)
    owner = project.module(full.rpartition(".")[0]) if full != name else mod
    short = full.rpartition(".")[2]
    for stmt in (owner or mod).tree.body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(dotted(t) == short for t in targets):
                return guard_names(stmt.value)
    return []


def request_params(func: Func, path: str, framework: str, project: Project, mod: Module) -> set[str]:
    """Parameters that carry request data: path parameters, and FastAPI's query and body parameters."""
    converted = {name: conv or "string" for conv, name in _FLASK_PARAM.findall(path)}
    out = set()
    a = func.args
    defaults = dict(zip([p.arg for p in a.args][len(a.args) - len(a.defaults) :], a.defaults, strict=True))
    for p in a.posonlyargs + a.args + a.kwonlyargs:
        if p.arg in {"self", "cls", "request", "req"}:
            continue
        if framework == "flask":
            if p.arg in converted and converted[p.arg] not in _CLEAN_CONVERTERS:
                out.add(p.arg)
            continue
        ann = ast.unparse(p.annotation) if p.annotation is not None else ""
        default = defaults.get(p.arg)
        if default is not None and guard_names(default):
            continue
        if ann and (guard_names(p.annotation or ast.Constant(0)) or _NOT_REQUEST_TYPES.search(ann)):
            continue
        if ann and any(_alias_guards(project, mod, n) for n in re.findall(r"\w+", ann)[:1]):
            continue
        out.add(p.arg)
    return out
