"""The Python half of the checklist: routes of every framework, the taint pass over every function
(with summaries so a helper's sink is seen from the handler that feeds it), and the shape rules."""

from __future__ import annotations

import ast
import re

from shopfloor.gate.findings import Finding
from shopfloor.gate.security.py_django import DjangoRoutes
from shopfloor.gate.security.py_graphql import graphql_handlers
from shopfloor.gate.security.py_handler import handler_facts
from shopfloor.gate.security.py_modules import Func, Module, Project, dotted
from shopfloor.gate.security.py_routes import PyHandler, PyRouteCollector
from shopfloor.gate.security.py_secrets import check_module
from shopfloor.gate.security.py_sinks import check_call, check_return
from shopfloor.gate.security.py_taint import Env, FuncContext, Walker
from shopfloor.gate.security.routes import PASSWORD_HASHERS, ProjectFacts
from shopfloor.gate.security.taint import CLEAN, FROM_REQUEST, SinkHit, Summary, from_param, hit_finding

_ROUNDS = 3
_VALIDATORS = re.compile(
    r"^(pydantic|marshmallow|wtforms|flask_wtf|jsonschema|cerberus|voluptuous|attrs|msgspec)"
)
_LIMITERS = re.compile(
    r"^(slowapi|flask_limiter|django_ratelimit|ratelimit|fastapi_limiter|aiohttp_ratelimiter|limits|axes)"
)


def python_routes(project: Project, facts: ProjectFacts) -> list[PyHandler]:
    """Every Python route with its chain and handler facts; project facts updated as they are found."""
    for mod in project.modules.values():
        facts.hashes_passwords = facts.hashes_passwords or any(
            isinstance(n, ast.Call) and PASSWORD_HASHERS.search(mod.canonical(dotted(n.func)))
            for n in mod.nodes
        )
        roots = set(mod.imports.values())
        facts.validators = facts.validators or any(_VALIDATORS.match(r) for r in roots)
        facts.limiter = facts.limiter or any(_LIMITERS.match(r) for r in roots)
    handlers = PyRouteCollector(project).collect()
    handlers += DjangoRoutes(project, facts).collect()
    handlers += graphql_handlers(project)
    for h in handlers:
        h.route.facts = handler_facts(h, facts.validators, project)
    return handlers


def python_findings(project: Project, handlers: list[PyHandler], targets: set[str]) -> list[Finding]:
    """Taint and shape findings for the target files, judged with the whole project's summaries."""
    hits = taint_hits(project, handlers)
    out = [f for h in hits if h.file in targets and (f := hit_finding(h)) is not None]
    for rel in sorted(targets):
        mod = project.modules.get(rel)
        if mod is not None:
            out += check_module(mod)
    return out


def taint_hits(project: Project, handlers: list[PyHandler]) -> list[SinkHit]:
    by_func = {id(h.func): h for h in handlers if h.func is not None}
    summaries: dict[str, Summary] = {}
    hits: list[SinkHit] = []
    for _ in range(_ROUNDS):
        hits, fresh = [], {}
        for mod in project.modules.values():
            for ctx, summary in _walk_module(mod, project, by_func, summaries):
                hits += ctx.hits
                if summary.flows:
                    fresh[ctx.key] = summary
        if _same(fresh, summaries):
            break
        summaries = fresh
    return hits


def _same(a: dict[str, Summary], b: dict[str, Summary]) -> bool:
    def shape(s: dict[str, Summary]) -> set[tuple[str, str, str, int]]:
        return {(k, p, f.kind, f.line) for k, v in s.items() for p, fs in v.flows.items() for f in fs}

    return shape(a) == shape(b)


def _walk_module(
    mod: Module, project: Project, by_func: dict[int, PyHandler], summaries: dict[str, Summary]
) -> list[tuple[FuncContext, Summary]]:
    out = []
    top = FuncContext(mod, "<module>", {"request", "req"})
    walker = _walker(top, {}, project, summaries)
    walker.block([s for s in mod.tree.body if not isinstance(s, ast.ClassDef)])
    out.append((top, Summary([])))
    # Top-level functions are in the module's index already; the walk's own `nested` would repeat them.
    pending: list[tuple[Func, str, Env, Summary | None]] = [
        (f, q, {}, None) for q, f in mod.functions.items()
    ]
    while pending:
        func, qual, closure, enclosing = pending.pop()
        handler = by_func.get(id(func))
        ctx = FuncContext(mod, qual, set(handler.request_names) if handler else {"request", "req"})
        ctx.handler = handler is not None and handler.returns_html
        params = _params(func)
        env = dict(closure)
        for p in params:
            if handler is not None:
                env[p] = FROM_REQUEST if p in handler.request_params else CLEAN
            elif p not in {"self", "cls"}:
                env[p] = from_param(p)
        w = _walker(ctx, env, project, summaries)
        w.block(func.body)
        summary = Summary(params, method=bool(params) and params[0] in {"self", "cls"})
        for hit in ctx.hits:
            for p in hit.taint.params():
                # A closure's sink fed by the enclosing function's parameter belongs to that function.
                target = summary if p in params or enclosing is None else enclosing
                target.flows.setdefault(p, []).append(hit)
        pending += [(f, f"{qual}.{f.name}", e, summary) for f, e in w.nested]
        out.append((ctx, summary))
    return out


def _walker(ctx: FuncContext, env: Env, project: Project, summaries: dict[str, Summary]) -> Walker:
    return Walker(
        ctx,
        env,
        lambda call, w: check_call(call, w, project, summaries),
        check_return,
    )


def _params(func: Func) -> list[str]:
    a = func.args
    names = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]
    return names + [x.arg for x in (a.vararg, a.kwarg) if x is not None]
