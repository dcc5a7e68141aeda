"""Checklist rules for JavaScript/TypeScript, read from tokens: SQL, secrets, logs, and route rules."""

from __future__ import annotations

import re

from shopfloor.config.sections import Severity
from shopfloor.gate.findings import Finding
from shopfloor.gate.security.js_routes import (
    AUTH_JS,
    LIMIT_JS,
    JsRoute,
    JsUse,
    calls,
    find_routes,
    idents,
    module_key,
)
from shopfloor.gate.security.js_tokens import Token, split_args, tokenize
from shopfloor.gate.security.project import ProjectFacts
from shopfloor.gate.security.python_checks import FIELD_LABELS, SECRET_NAME, SQL_WORDS, sensitive_level
from shopfloor.gate.security.python_route_checks import AUTH_FLOW_PATH, LOGIN_PATH, PUBLIC_PATH

_SQL_SINKS = {
    "query", "execute", "raw", "exec", "prepare", "all", "get", "run", "each", "whereRaw", "havingRaw",
    "orderByRaw", "joinRaw", "$queryRawUnsafe", "$executeRawUnsafe", "unsafe", "sql",
}  # fmt: skip
_CONTINUES = {"+", "=", "(", ",", "||", "&&", "??", "?", ":", ".", "?.", "+="}
_VALIDATORS = re.compile(
    r"""['"](zod|joi|@hapi/joi|express-validator|yup|ajv|celebrate|class-validator|superstruct|valibot|"""
    r"""@sinclair/typebox)['"/]"""
)
_LOG_OBJ = re.compile(r"^(console|logger|log|winston|pino|req\.log|request\.log|fastify\.log|app\.log)$")
_LOG_METHODS = {"log", "info", "warn", "error", "debug", "trace", "fatal"}
_LOADERS = re.compile(r"find|get|query|where|select|fetch|load|delete|update|destroy", re.IGNORECASE)
_OWNER = re.compile(r"owner|role|isAdmin|is_admin|req\.user|permission|authori[sz]|forbidden|403", re.I)


def check_js_source(rel: str, src: str, facts: ProjectFacts) -> list[Finding]:
    """All JS/TS checklist rules for one file."""
    toks = tokenize(src)
    out = _sql(rel, toks) + _secrets(rel, toks) + _logs(rel, toks)
    routes, uses = find_routes(toks)
    validated = bool(_VALIDATORS.search(src))
    for route in routes:
        out += _route_rules(rel, route, uses, facts, validated)
    return out


def _finding(
    rel: str, line: int, rule: str, sev: Severity, msg: str, hint: str, end: int | None = None
) -> Finding:
    return Finding(file=rel, line=line, end_line=end, rule_id=rule, severity=sev, message=msg, fix_hint=hint)


# --- SQL -------------------------------------------------------------------------------------------


def _dynamic_sql(arg: list[Token], built: set[str]) -> bool:
    if len(arg) == 1 and arg[0].kind == "ident":
        return arg[0].text in built
    literal = " ".join(t.text for t in arg if t.kind in {"string", "template"})
    if not SQL_WORDS.search(literal):
        return False
    if any(t.kind == "template" and t.exprs for t in arg):
        return True
    joined = any(t.kind == "punct" and t.text == "+" for t in arg) or any(t.text == "concat" for t in arg)
    return joined and any(t.kind == "ident" for t in arg)


def _sql(rel: str, toks: list[Token]) -> list[Finding]:
    built = _built_sql_vars(toks)
    out = []
    for name, open_at, close_at in calls(toks):
        sink = name.rpartition(".")[2]
        if sink not in _SQL_SINKS or ("." not in name and sink not in {"sql", "query"}):
            continue
        args = split_args(toks, open_at, close_at)
        if args and _dynamic_sql(args[0], built):
            out.append(
                _finding(
                    rel,
                    toks[open_at].line,
                    "sql-injection",
                    "medium" if len(args) > 1 else "high",
                    f"SQL built from run-time values is passed to {name}().",
                    "Use placeholders ($1, ?) and pass the values as the second argument, or a tagged "
                    "template that binds them (sql`...`, Prisma's $queryRaw`...`).",
                )
            )
    return out


def _built_sql_vars(toks: list[Token]) -> set[str]:
    """Variables assigned a SQL string assembled from run-time values (`const q = \\`... ${id}\\``)."""
    built: set[str] = set()
    for k, t in enumerate(toks[:-2]):
        assigned = t.kind == "ident" and toks[k + 1].text in {"=", "+="}
        if assigned and _dynamic_sql(toks[k + 2 : _statement_end(toks, k + 2)], built):
            built.add(t.text)
    return built


def _continues(t: Token) -> bool:
    return t.kind == "punct" and t.text in _CONTINUES


def _statement_end(toks: list[Token], start: int) -> int:
    """Index just past the expression starting at `start`, for code with or without semicolons."""
    depth = 0
    k = start
    while k < len(toks):
        t = toks[k]
        if t.kind == "punct" and t.text in "([{":
            depth += 1
        elif t.kind == "punct" and t.text in ")]}":
            if depth == 0:
                return k
            depth -= 1
        elif depth == 0 and (t.text in {";", ","} and t.kind == "punct"):
            return k
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        # A new line ends the statement unless this line ends, or the next begins, with an operator.
        new_line = depth == 0 and nxt is not None and nxt.line > t.end_line
        if new_line and nxt is not None and not (_continues(t) or _continues(nxt)):
            return k + 1
        k += 1
    return k


# --- secrets ---------------------------------------------------------------------------------------


def _plausible(value: str, name: str) -> bool:
    v = value.strip()
    placeholder = (
        len(set(v)) <= 2 or v.startswith(("$", "{", "<", "%")) or bool(re.fullmatch(r"[A-Z][A-Z0-9_]+", v))
    )
    return len(v) >= 6 and not placeholder and v.lower() not in {name.lower(), *FIELD_LABELS}


def _secrets(rel: str, toks: list[Token]) -> list[Finding]:
    out: list[Finding] = []
    literal_vars: set[str] = set()
    for k in range(len(toks) - 2):
        name, op, val = toks[k], toks[k + 1], toks[k + 2]
        if name.kind not in {"ident", "string"} or val.kind != "string" or op.text not in {"=", ":"}:
            continue
        if name.kind == "ident" and op.text == "=":
            literal_vars.add(name.text)
        if SECRET_NAME.search(name.text) and _plausible(val.text, name.text):
            out.append(
                _finding(
                    rel,
                    val.line,
                    "hardcoded-secret",
                    "high",
                    f"`{name.text}` is set to a literal value in the source.",
                    f"Read {name.text} from process.env (and fail at start-up when it is missing).",
                )
            )
    for callee, open_at, close_at in calls(toks):
        if re.search(r"(^|\.)jwt\.(sign|verify)$|^(sign|verify)$", callee):
            args = split_args(toks, open_at, close_at)
            key = args[1] if len(args) > 1 else []
            if len(key) == 1 and (key[0].kind == "string" or key[0].text in literal_vars):
                out.append(
                    _finding(
                        rel,
                        toks[open_at].line,
                        "hardcoded-jwt-secret",
                        "high",
                        f"{callee}() is given a key written in the source.",
                        "Pass process.env.JWT_SECRET (checked at start-up) instead of a literal key.",
                    )
                )
    for k in range(len(toks) - 4):
        t = toks[k]
        if t.text == "env" and k >= 2 and toks[k - 2].text == "process" and toks[k + 1].text == ".":
            var, op, val = toks[k + 2], toks[k + 3], toks[k + 4]
            if SECRET_NAME.search(var.text) and op.text in {"||", "??"} and val.kind == "string":
                out.append(
                    _finding(
                        rel,
                        val.line,
                        "secret-fallback",
                        "medium",
                        f"process.env.{var.text} falls back to a literal default.",
                        "Drop the default so a missing secret stops the app instead of using a known one.",
                    )
                )
    return out


# --- logs ------------------------------------------------------------------------------------------


def _logs(rel: str, toks: list[Token]) -> list[Finding]:
    out = []
    for name, open_at, close_at in calls(toks):
        obj, _, method = name.rpartition(".")
        if method not in _LOG_METHODS or not _LOG_OBJ.match(obj):
            continue
        arg_toks = toks[open_at + 1 : close_at]
        names: list[str] = []
        for j, t in enumerate(arg_toks):
            if t.kind == "ident" and not (j + 1 < len(arg_toks) and arg_toks[j + 1].text == ":"):
                names.append(t.text)
            elif t.kind == "template":
                names += [i.text for e, line in t.exprs for i in tokenize(e, line) if i.kind == "ident"]
        levels = [(lvl, n) for n in names if (lvl := sensitive_level(n))]
        if levels:
            sev, what = max(levels, key=lambda x: x[0] == "high")
            out.append(
                _finding(
                    rel,
                    toks[open_at].line,
                    "sensitive-data-in-log",
                    sev,
                    f"`{what}` is written to a log.",
                    "Log an identifier or a redacted form instead (user id, the last 4 characters, a hash).",
                )
            )
    return out


# --- routes ----------------------------------------------------------------------------------------


def _route_rules(
    rel: str, r: JsRoute, uses: list[JsUse], facts: ProjectFacts, validated: bool
) -> list[Finding]:
    out: list[Finding] = []
    middle = idents(r.middle)
    where = f"{r.method} {r.path}"
    body_line = next(
        (
            t.line
            for j, t in enumerate(r.handler)
            if t.text == "body" and j >= 2 and r.handler[j - 2].text in {"req", "request"}
        ),
        None,
    )
    if (
        body_line is not None
        and not validated
        and not any(re.search(r"valid|schema|check|body", m, re.I) for m in middle)
    ):
        out.append(
            _finding(
                rel,
                body_line,
                "input-validation",
                "medium",
                f"{where} uses req.body fields with no validation.",
                "Validate the body with a schema (zod, joi, express-validator) and answer 400 on bad input.",
            )
        )
    guarded_by_use = any(
        u.obj == r.obj
        and u.at < r.at
        and u.path is None
        and any(AUTH_JS.search(i) for a in u.args for i in idents(a))
        for u in uses
    )
    authed = (
        any(AUTH_JS.search(m) for m in middle) or guarded_by_use or module_key(rel) in facts.protected_modules
    )
    public = r.path == "/" or bool(PUBLIC_PATH.search(r.path))
    if facts.has_auth and not authed and not public:
        admin = bool(re.search(r"(^|/)admin", r.path, re.I))
        out.append(
            _finding(
                rel,
                r.line,
                "missing-auth",
                "high" if admin else "medium",
                f"{where} has no authentication middleware, while other routes of this project require it.",
                "Put the project's auth middleware (an admin check for admin routes) before the handler.",
                r.end_line,
            )
        )
    out += _rate_limit(rel, r, middle, facts)
    out += _authorization(rel, r, middle)
    return out


def _rate_limit(rel: str, r: JsRoute, middle: list[str], facts: ProjectFacts) -> list[Finding]:
    if r.method not in {"POST", "PUT", "PATCH", "ALL"} or facts.global_limiter:
        return []
    login = bool(LOGIN_PATH.search(r.path))
    if not login and not AUTH_FLOW_PATH.search(r.path):
        return []
    if any(LIMIT_JS.search(m) for m in middle) or module_key(rel) in facts.limited_modules:
        return []
    return [
        _finding(
            rel,
            r.line,
            "missing-rate-limit",
            "high" if login else "medium",
            f"{r.method} {r.path} takes credentials with no rate limit, so passwords can be guessed fast.",
            "Add a limiter in front of it, e.g. express-rate-limit: app.post(path, loginLimiter, handler).",
            r.end_line,
        )
    ]


def _authorization(rel: str, r: JsRoute, middle: list[str]) -> list[Finding]:
    params = re.findall(r":(\w+)", r.path)
    ids = [p for p in params if p == "id" or p.endswith(("Id", "_id"))]
    if not ids or any(re.search(r"admin|role", m, re.I) for m in middle):
        return []
    text = " ".join(t.text for t in r.handler)
    loads = any(_LOADERS.search(n) for n in idents(r.handler)) and any(p in text for p in ids)
    if (
        not loads
        or _OWNER.search(text.replace(" . ", "."))
        or re.search(r"\breq\s*\.\s*user\b", _joined(r.handler))
    ):
        return []
    return [
        _finding(
            rel,
            r.line,
            "authorization-review",
            "medium" if r.method in {"PUT", "PATCH", "DELETE"} else "low",
            f"{r.method} {r.path} loads a record by `{ids[0]}` without checking that the caller owns it.",
            "Compare the record's owner with req.user (or check a role) and answer 403/404 when they differ.",
            r.end_line,
        )
    ]


def _joined(tokens: list[Token]) -> str:
    return "".join(t.text if t.kind in {"ident", "punct"} else " " for t in tokens)
