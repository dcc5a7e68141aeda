"""Checklist rules for Python route handlers: input validation, authentication, authorization, limits."""

from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath

from shopfloor.config.sections import Severity
from shopfloor.gate.findings import Finding
from shopfloor.gate.security.project import ProjectFacts
from shopfloor.gate.security.python_routes import LIMIT_NAME, Route, dotted, find_routes, is_auth_guard

PUBLIC_PATH = re.compile(
    r"health|healthz|livez|readyz|ready|ping|status|version|login|logout|signin|sign-in|signup|sign-up|"
    r"register|token|refresh|docs|openapi|redoc|public|callback|oauth|forgot|reset|verify|webhook|metrics",
    re.IGNORECASE,
)
LOGIN_PATH = re.compile(r"login|log-in|signin|sign-in|sign_in|token|authenticate", re.IGNORECASE)
AUTH_FLOW_PATH = re.compile(r"register|signup|sign-up|password|passwd|reset|forgot|otp|mfa|2fa|auth", re.I)
_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_RAW_BODY = {"json", "form", "body", "get_json"}
_LOADERS = {"get", "get_or_404", "filter", "filter_by", "where", "query", "execute", "first", "one", "scalar"}
_OWNER_CHECK = re.compile(
    r"owner|role|is_admin|superuser|permission|authori[sz]|forbidden|HTTP_403|403|can_\w+|check_access|"
    r"current_user|\.user_id\b",
    re.IGNORECASE,
)


def check_python_routes(rel: str, tree: ast.Module, source: str, facts: ProjectFacts) -> list[Finding]:
    """Route rules for one module, judged against what the whole project does."""
    out: list[Finding] = []
    flask_validated = bool(
        re.search(r"^\s*(from|import)\s+(pydantic|marshmallow|wtforms|jsonschema)", source, re.M)
    )
    for route in find_routes(tree):
        out += _validation(rel, route, flask_validated)
        authed = _authenticated(rel, route, facts)
        if facts.has_auth and not facts.global_auth and not authed and not _public(route):
            out.append(_missing_auth(rel, route))
        out += _authorization(rel, route, source)
        out += _rate_limit(rel, route, facts)
    return out


def _public(route: Route) -> bool:
    return route.path in {"/", ""} or bool(PUBLIC_PATH.search(route.path))


def _authenticated(rel: str, route: Route, facts: ProjectFacts) -> bool:
    if any(is_auth_guard(g, facts) for g in route.guards):
        return True
    if f"{rel}:{route.router}" in facts.protected_routers:
        return True
    stem = PurePosixPath(rel).stem
    if stem in facts.protected_modules or route.router in facts.protected_modules:
        return True
    # A handler that checks the token itself (`user = verify_token(request)`) is authenticated too.
    return any(
        isinstance(n, ast.Call)
        and re.search(r"current_user|verify_token|authenticate|decode_token", dotted(n))
        for n in ast.walk(route.func)
    )


def _missing_auth(rel: str, route: Route) -> Finding:
    admin = bool(re.search(r"(^|/)admin", route.path, re.IGNORECASE))
    return Finding(
        file=rel,
        line=route.line,
        end_line=route.end_line,
        rule_id="missing-auth",
        severity="high" if admin else "medium",
        message=f"{'/'.join(sorted(route.methods))} {route.path} has no authentication, while other routes "
        "of this project require it.",
        fix_hint="Add the project's auth dependency (e.g. `user: User = Depends(get_current_user)`, or an "
        "admin-only one for admin routes), or put the route on a router that has it.",
    )


def _validation(rel: str, route: Route, flask_validated: bool) -> list[Finding]:
    out = []
    for name, arg in route.params.items():
        ann = ast.unparse(arg.annotation) if arg.annotation is not None else ""
        if re.fullmatch(r"(typing\.)?(dict|Dict|Any)(\[.*\])?", ann):
            out.append(_unvalidated(rel, arg.lineno, f"parameter `{name}: {ann}` takes the body unchecked"))
    request_names = {
        n
        for n, a in route.params.items()
        if a.annotation is not None and "Request" in ast.unparse(a.annotation)
    }
    for node in ast.walk(route.func):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = dotted(node.func.value)
        if node.func.attr in _RAW_BODY and (
            owner in request_names or (owner == "request" and not flask_validated)
        ):
            out.append(_unvalidated(rel, node.lineno, f"the handler reads `{owner}.{node.func.attr}()` raw"))
            break
    return out


def _unvalidated(rel: str, line: int, what: str) -> Finding:
    return Finding(
        file=rel,
        line=line,
        rule_id="input-validation",
        severity="medium",
        message=f"Input is not validated: {what}.",
        fix_hint="Declare a pydantic model for the body (or Query/Path types with constraints) so bad input "
        "is refused with 422 before the handler runs.",
    )


def _authorization(rel: str, route: Route, source: str) -> list[Finding]:
    found = re.findall(r"\{(\w+)\}|<(?:\w+:)?(\w+)>", route.path)
    ids = [x for pair in found for x in pair if x == "id" or x.endswith(("_id", "Id"))]
    if not ids or any("admin" in g.lower() or "role" in g.lower() for g in route.guards):
        return []
    body = "\n".join(ast.get_source_segment(source, stmt) or "" for stmt in route.func.body)
    loads = any(
        isinstance(n, ast.Call)
        and dotted(n.func).split(".")[-1] in _LOADERS
        and any(isinstance(x, ast.Name) and x.id in ids for x in ast.walk(n))
        for n in ast.walk(route.func)
    )
    if not loads or _OWNER_CHECK.search(body):
        return []
    severity: Severity = "medium" if route.methods & {"PUT", "PATCH", "DELETE"} else "low"
    return [
        Finding(
            file=rel,
            line=route.line,
            end_line=route.end_line,
            rule_id="authorization-review",
            severity=severity,
            message=f"{route.path} loads a record by `{ids[0]}` without checking that the caller owns it "
            "or has a role that allows it.",
            fix_hint="Compare the record's owner with the current user (or check a role) and answer 403/404 "
            "when they differ.",
        )
    ]


def _rate_limit(rel: str, route: Route, facts: ProjectFacts) -> list[Finding]:
    if not (route.methods & _WRITE_METHODS) or facts.limiter_everywhere():
        return []
    login = bool(LOGIN_PATH.search(route.path))
    if not login and not AUTH_FLOW_PATH.search(route.path):
        return []
    if any(LIMIT_NAME.search(g) for g in route.guards):
        return []
    if any(isinstance(n, ast.Call) and LIMIT_NAME.search(dotted(n)) for n in ast.walk(route.func)):
        return []
    return [
        Finding(
            file=rel,
            line=route.line,
            end_line=route.end_line,
            rule_id="missing-rate-limit",
            severity="high" if login else "medium",
            message=f"{route.path} takes credentials with no rate limit, so passwords can be guessed fast.",
            fix_hint="Limit attempts per client and account, e.g. slowapi's `@limiter.limit('5/minute')` on "
            "the handler, or a limiter dependency.",
        )
    ]
