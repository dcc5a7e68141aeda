"""Express/Fastify-style routes found in JS/TS tokens, and the project-wide auth and limiter facts."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from shopfloor.gate.security.js_tokens import Token, callee_before, matching, split_args
from shopfloor.gate.security.project import ProjectFacts

_ROUTE_METHODS = {"get", "post", "put", "patch", "delete", "all", "options", "head"}
AUTH_JS = re.compile(
    r"auth|verify_?token|require_?user|require_?login|require_?admin|is_?admin|ensure_?logged|"
    r"is_?logged_?in|logged_?in|jwt|protect|passport|guard",
    re.IGNORECASE,
)
LIMIT_JS = re.compile(r"limit|throttl|slow_?down|brute", re.IGNORECASE)
_JS_EXTS = (".js", ".ts", ".mjs", ".cjs", ".jsx", ".tsx")


@dataclass
class JsRoute:
    obj: str
    """The object the route hangs off (`app`, `router`)."""
    method: str
    path: str
    line: int
    end_line: int
    at: int
    """Token index of the call's opening parenthesis (orders routes against `.use()` calls)."""
    middle: list[Token]
    """Tokens of the arguments between the path and the handler (middleware, options)."""
    handler: list[Token]


@dataclass
class JsUse:
    obj: str
    path: str | None
    at: int
    args: list[list[Token]]


def calls(toks: list[Token]) -> list[tuple[str, int, int]]:
    """Every call as (callee, index of '(', index of ')')."""
    out = []
    for k, t in enumerate(toks):
        if t.kind == "punct" and t.text == "(" and k and toks[k - 1].kind == "ident":
            name = callee_before(toks, k)
            if name:
                out.append((name, k, matching(toks, k)))
    return out


def find_routes(toks: list[Token]) -> tuple[list[JsRoute], list[JsUse]]:
    routes: list[JsRoute] = []
    uses: list[JsUse] = []
    for name, open_at, close_at in calls(toks):
        obj, _, method = name.rpartition(".")
        if not obj:
            continue
        args = split_args(toks, open_at, close_at)
        first = args[0] if args else []
        path = first[0].text if len(first) == 1 and first[0].kind in {"string", "template"} else None
        if method == "use" or method == "register":
            uses.append(JsUse(obj=obj, path=path, at=open_at, args=args[1:] if path is not None else args))
        elif method in _ROUTE_METHODS and path is not None and path.startswith("/") and len(args) >= 2:
            routes.append(
                JsRoute(
                    obj=obj,
                    method=method.upper(),
                    path=path,
                    line=toks[open_at].line,
                    end_line=toks[close_at].line,
                    at=open_at,
                    middle=[t for a in args[1:-1] for t in a],
                    handler=args[-1],
                )
            )
    return routes, uses


def idents(tokens: list[Token]) -> list[str]:
    return [t.text for t in tokens if t.kind == "ident"]


def imports(toks: list[Token], rel: str) -> dict[str, str]:
    """Local name -> project-relative path (without extension) of the module it was imported from."""
    out: dict[str, str] = {}
    here = posixpath.dirname(rel)
    for k, t in enumerate(toks):
        if t.kind != "string" or not t.text.startswith("."):
            continue
        target = posixpath.normpath(posixpath.join(here, t.text))
        for ext in _JS_EXTS:
            target = target.removesuffix(ext)
        # `import X from '...'`, `import { router as X } from '...'`, `const X = require('...')`
        if k >= 2 and toks[k - 1].text == "from":
            j = k - 2
            while j >= 0 and toks[j].text not in {"import", ";"}:
                if toks[j].kind == "ident" and toks[j].text not in {"as", "from", "type"}:
                    out[toks[j].text] = target
                j -= 1
        elif k >= 4 and toks[k - 1].text == "(" and toks[k - 2].text == "require" and toks[k - 3].text == "=":
            out[toks[k - 4].text] = target
    return out


def module_key(rel: str) -> str:
    """A file's project path without its extension (and `/index`), as imports name it."""
    for ext in _JS_EXTS:
        rel = rel.removesuffix(ext)
    return rel.removesuffix("/index")


def collect_js_facts(toks: list[Token], rel: str, facts: ProjectFacts) -> None:
    """Record auth and rate limiting that this file sets up for the project."""
    routes, uses = find_routes(toks)
    imported = imports(toks, rel)
    names = set(idents(toks))
    if any(m in names for m in ("rateLimit", "RateLimit", "rateLimiter", "RateLimiterMemory", "slowDown")):
        facts.has_limiter = True
    for route in routes:
        if any(AUTH_JS.search(i) for i in idents(route.middle)):
            facts.has_auth = True
    for use in uses:
        used = idents([t for a in use.args for t in a])
        mounted = [imported[i] for i in used if i in imported]
        if any(AUTH_JS.search(i) for i in used):
            facts.has_auth = True
            facts.protected_modules.update(mounted)
        if any(LIMIT_JS.search(i) for i in used) or any("rate-limit" in t.text for a in use.args for t in a):
            facts.has_limiter = True
            if mounted:
                facts.limited_modules.update(mounted)
            else:
                # app.use(limiter), or app.use('/api/auth', authLimiter): counts for the auth routes.
                facts.global_limiter = True
