"""The JavaScript/TypeScript half of the checklist: routes, the taint pass over every function (with
summaries across modules), and the shape rules: secrets, JWT keys and verification, logs, password
hashing, XML entity resolution."""

from __future__ import annotations

import re

from shopfloor.gate.findings import Finding
from shopfloor.gate.security.js_ast import (
    JNode,
    arguments,
    callee,
    dotted,
    object_pairs,
    param_names,
    string_value,
)
from shopfloor.gate.security.js_handler import js_handler_facts
from shopfloor.gate.security.js_project import JsModule, JsProject
from shopfloor.gate.security.js_routes import JsHandler, JsRouteCollector
from shopfloor.gate.security.js_sinks import check_call, check_return
from shopfloor.gate.security.js_taint import Env, JsContext, JsWalker
from shopfloor.gate.security.names import plausible_secret, secret_name, sensitive_level
from shopfloor.gate.security.routes import PASSWORD_HASHERS, ProjectFacts
from shopfloor.gate.security.rules import make
from shopfloor.gate.security.taint import CLEAN, SinkHit, Summary, from_param, hit_finding

_ROUNDS = 3
_LIMITERS = re.compile(
    r"^(express-rate-limit|rate-limiter-flexible|express-slow-down|express-brute|@fastify/rate-limit|"
    r"fastify-rate-limit|koa-ratelimit|@nestjs/throttler|express-limiter|limiter)$"
)
_VALIDATORS = re.compile(
    r"^(zod|joi|@hapi/joi|yup|ajv|celebrate|express-validator|class-validator|superstruct|valibot|"
    r"@sinclair/typebox|express-joi-validation|fastest-validator|validator)"
)
_REQUEST_PARAMS = {"req", "request", "res", "response", "next", "ctx", "reply", "h"}
_LOG_OBJ = re.compile(r"^(console|logger|log|winston|pino|req\.log|request\.log|fastify\.log|app\.log)$")
_LOG_METHODS = {"log", "info", "warn", "error", "debug", "trace", "fatal"}
_FAST_HASH = re.compile(r"^['\"`](md5|sha1|sha256|sha512|sha224|sha384)['\"`]$", re.I)


def js_routes(js: JsProject, facts: ProjectFacts) -> list[JsHandler]:
    js.load()
    for mod in js.modules.values():
        packages = {m for m, _ in mod.imports.values()}
        facts.limiter = facts.limiter or any(_LIMITERS.match(p) for p in packages)
        facts.validators = facts.validators or any(_VALIDATORS.match(p) for p in packages)
        facts.hashes_passwords = facts.hashes_passwords or any(
            n.kind == "call_expression" and PASSWORD_HASHERS.search(mod.canonical(callee(n)))
            for n in mod.root.walk()
        )
    handlers = JsRouteCollector(js).collect()
    for h in handlers:
        h.route.facts = js_handler_facts(h, facts.validators)
    return handlers


def js_findings(js: JsProject, handlers: list[JsHandler], targets: set[str]) -> list[Finding]:
    hits = _taint_hits(js, handlers)
    out = [f for h in hits if h.file in targets and (f := hit_finding(h)) is not None]
    for rel in sorted(targets):
        mod = js.modules.get(rel)
        if mod is not None:
            out += _shape_rules(mod)
    return out


# --- taint ---------------------------------------------------------------------------------------------


def _taint_hits(js: JsProject, handlers: list[JsHandler]) -> list[SinkHit]:
    by_func = {id(h.func): h for h in handlers if h.func is not None}
    summaries: dict[str, Summary] = {}
    hits: list[SinkHit] = []
    for _ in range(_ROUNDS):
        hits, fresh = [], {}
        for mod in js.modules.values():
            for ctx, summary in _walk_module(mod, js, by_func, summaries):
                hits += ctx.hits
                if summary.flows:
                    fresh[ctx.key] = summary
        if {(k, p) for k, v in fresh.items() for p in v.flows} == {
            (k, p) for k, v in summaries.items() for p in v.flows
        }:
            break
        summaries = fresh
    return hits


def _walk_module(
    mod: JsModule, js: JsProject, by_func: dict[int, JsHandler], summaries: dict[str, Summary]
) -> list[tuple[JsContext, Summary]]:
    out = []
    top = JsContext(mod, None, "<module>")
    walker = _walker(top, {}, js, summaries)
    walker.block(mod.root.children)
    out.append((top, Summary([])))
    pending: list[tuple[JNode, Env, Summary | None]] = [(f, env, None) for f, env in walker.nested]
    while pending:
        func, closure, enclosing = pending.pop()
        handler = by_func.get(id(func))
        names = param_names(func)
        ctx = JsContext(mod, func, _name_of(func))
        env = dict(closure)
        if handler is not None and names and names[0]:
            ctx.request_names = ctx.request_names | {names[0]}
        for name in names:
            if name and name not in _REQUEST_PARAMS:
                env[name] = CLEAN if handler is not None else from_param(name)
        w = _walker(ctx, env, js, summaries)
        body = func.get("body")
        if body is not None:
            if body.kind == "statement_block":
                w.block(body.children)
            else:
                w.visit(body)
                w.on_return(body, w)
        summary = Summary(names)
        for hit in ctx.hits:
            for p in hit.taint.params():
                # A parameter of an enclosing function reached a sink inside this closure: that
                # function's callers are the ones whose arguments matter.
                target = summary if p in names or enclosing is None else enclosing
                target.flows.setdefault(p, []).append(hit)
        pending += [(f, e, summary) for f, e in w.nested]
        out.append((ctx, summary))
    return out


def _walker(ctx: JsContext, env: Env, js: JsProject, summaries: dict[str, Summary]) -> JsWalker:
    return JsWalker(ctx, env, lambda call, w: check_call(call, w, js, summaries), check_return)


def _name_of(func: JNode) -> str:
    name = func.get("name")
    return name.text if name is not None else f"<function at line {func.line}>"


# --- shape rules ---------------------------------------------------------------------------------------


def _shape_rules(mod: JsModule) -> list[Finding]:
    out: list[Finding] = []
    literals: set[str] = set()
    for node in mod.root.walk():
        k = node.kind
        if k == "variable_declarator":
            name, value = node.get("name"), node.get("value")
            if name is not None and name.kind == "identifier" and string_value(value) is not None:
                literals.add(name.text)
            out += _secret(mod, name.text if name is not None else "", value)
        elif k == "pair":
            key = node.get("key")
            label = (string_value(key) or key.text) if key is not None else ""
            out += _secret(mod, label, node.get("value"))
            out += _escaping_off(mod, label, node.get("value"))
        elif k == "assignment_expression":
            out += _secret(mod, dotted(node.get("left")).rpartition(".")[2], node.get("right"))
        elif k == "binary_expression" and node.op in {"||", "??"}:
            out += _env_fallback(mod, node)
        elif k == "call_expression":
            out += _call_rules(mod, node, literals)
    return out


def _secret(mod: JsModule, name: str, value: JNode | None) -> list[Finding]:
    text = string_value(value)
    if value is None or text is None or not secret_name(name) or not plausible_secret(text, name):
        return []
    return [
        make(
            "hardcoded-secret",
            mod.rel,
            value.line,
            "high",
            f"`{name}` is set to a literal value in the source.",
        )
    ]


def _escaping_off(mod: JsModule, name: str, value: JNode | None) -> list[Finding]:
    """`autoescape: false` (swig, nunjucks), `noEscape: true` (Handlebars): every value rendered raw."""
    off = (name == "autoescape" and value is not None and value.kind == "false") or (
        name == "noEscape" and value is not None and value.kind == "true"
    )
    if not off or value is None:
        return []
    return [make("xss", mod.rel, value.line, "high", "HTML templates are rendered with escaping turned off.")]


def _env_fallback(mod: JsModule, node: JNode) -> list[Finding]:
    left, right = node.get("left"), node.get("right")
    env = dotted(left)
    if not env.startswith("process.env.") or string_value(right) in {None, ""}:
        return []
    var = env.removeprefix("process.env.")
    if not secret_name(var):
        return []
    return [
        make(
            "secret-fallback",
            mod.rel,
            node.line,
            "medium",
            f"process.env.{var} falls back to a literal default.",
        )
    ]


def _call_rules(mod: JsModule, call: JNode, literals: set[str]) -> list[Finding]:
    name = mod.canonical(callee(call))
    last = name.rpartition(".")[2]
    args = arguments(call)
    out: list[Finding] = []
    if re.search(
        r"(^|\.)jsonwebtoken\.(sign|verify)$|(^|\.)jwt\.(sign|verify)$|^(sign|verify)$", name
    ) or name in {
        "jsonwebtoken.sign",
        "jsonwebtoken.verify",
    }:
        key = args[1] if len(args) > 1 else None
        if key is not None and (
            string_value(key) is not None or (key.kind == "identifier" and key.text in literals)
        ):
            out.append(
                make(
                    "hardcoded-jwt-secret",
                    mod.rel,
                    call.line,
                    "high",
                    f"{name}() is given a key written in the source.",
                )
            )
        options = object_pairs(args[2]) if len(args) > 2 else {}
        if last == "verify" and "algorithms" in options and "none" in options["algorithms"].text.lower():
            out.append(
                make("jwt-verification-off", mod.rel, call.line, "high", f"{name}() accepts unsigned tokens.")
            )
    elif name in {"cookie-parser", "cookieParser"} and args and string_value(args[0]):
        out.append(
            make(
                "hardcoded-secret",
                mod.rel,
                call.line,
                "high",
                "The cookie signing secret is written in the source.",
            )
        )
    elif last in _LOG_METHODS and _LOG_OBJ.match(callee(call).rpartition(".")[0]):
        out += _logged(mod, call, name)
    elif last == "update" and _fast_password_hash(call):
        out.append(
            make("weak-password-hash", mod.rel, call.line, "high", "A password is hashed with a fast hash.")
        )
    elif last in {"parseXml", "parseXmlString", "parseXML"} and re.search(r"noent\s*:\s*true", call.text):
        message = "The XML parser is set to resolve external entities."
        out.append(make("xxe", mod.rel, call.line, "high", message))
    return out


def _logged(mod: JsModule, call: JNode, name: str) -> list[Finding]:
    levels = []
    for a in arguments(call):
        for node in a.walk():
            if node.kind in {"identifier", "property_identifier"} and not (
                node.parent is not None and node.parent.kind == "pair" and node.parent.get("key") is node
            ):
                if (
                    node.parent is not None
                    and node.parent.kind == "call_expression"
                    and re.search(r"mask|redact|hash", node.parent.text[:30])
                ):
                    continue
                level = sensitive_level(node.text)
                if level:
                    levels.append((level, node.text))
    if not levels:
        return []
    severity, what = max(levels, key=lambda x: x[0] == "high")
    return [make("sensitive-data-in-log", mod.rel, call.line, severity, f"`{what}` is written to a log.")]


def _fast_password_hash(call: JNode) -> bool:
    """`crypto.createHash('md5').update(password)`."""
    func = call.get("function")
    inner = func.get("object") if func is not None else None
    if inner is None or inner.kind != "call_expression" or not callee(inner).endswith("createHash"):
        return False
    algo = arguments(inner)
    if not algo or not _FAST_HASH.match(algo[0].text):
        return False
    return any(re.search(r"pass(word|wd)?|pwd", a.text, re.I) for a in arguments(call))
