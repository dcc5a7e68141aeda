"""Authentication, authorization, rate-limit and validation rules, written once against the route
model so every framework of both languages is judged the same way."""

from __future__ import annotations

import re

from shopfloor.config.sections import Severity
from shopfloor.gate.findings import Finding
from shopfloor.gate.security.routes import (
    ProjectFacts,
    RecordAccess,
    Route,
    is_admin,
    is_admin_route,
    is_auth,
    is_limit,
    is_public,
    is_validation,
)
from shopfloor.gate.security.rules import make

# Guards that say the route is open on purpose: optional authentication, AllowAny, a public marker.
_DELIBERATELY_PUBLIC = re.compile(
    r"allow_?any|permit_?all|anonymous|no_?auth|skip_?auth|public|optional", re.I
)
_SIGNUP = re.compile(r"register|signup|sign-up|sign_up|create_?user|createuser|new_?user|password", re.I)
_LOGIN = re.compile(r"login|log-in|signin|sign-in|sign_in|session|token|authenticate", re.IGNORECASE)


def authenticated(route: Route, facts: ProjectFacts) -> bool:
    return facts.global_auth or route.facts.authenticates or any(is_auth(g) for g in route.chain)


def role_checked(route: Route, facts: ProjectFacts) -> bool:
    return facts.global_admin or route.facts.checks_role or any(is_admin(g) for g in route.chain)


def route_findings(facts: ProjectFacts, targets: set[str]) -> list[Finding]:
    routes = facts.routes
    project_auth = facts.global_auth or any(authenticated(r, facts) for r in routes)
    out: list[Finding] = []
    for r in routes:
        out += _auth(r, facts, project_auth)
        if project_auth and authenticated(r, facts) and not role_checked(r, facts):
            out += [_idor(r, rec) for rec in r.facts.records if not rec.owner_checked]
        if r.facts.raw_body_line is not None and not any(is_validation(g) for g in r.chain):
            out.append(
                make(
                    "input-validation",
                    _handler_file(r),
                    r.facts.raw_body_line,
                    "medium",
                    f"{r.label} reads the request body without a schema.",
                )
            )
    out += _rate_limit(routes, facts)
    return [f for f in out if f.file in targets]


def _auth(r: Route, facts: ProjectFacts, project_auth: bool) -> list[Finding]:
    file, line, end = _where(r)
    if r.facts.credentials_line is not None and not r.facts.records:
        return []  # it takes a password itself: a login form (an admin one included), not a page behind one
    if authenticated(r, facts):
        if is_admin_route(r) and not role_checked(r, facts):
            message = f"{r.label} is an admin route that checks only that the caller is logged in."
            return [make("missing-admin-check", file, line, "high", message, end_line=end)]
        return []
    if any(_DELIBERATELY_PUBLIC.search(g) for g in r.chain):
        return []
    severity: Severity
    if is_admin_route(r):
        severity = "high"
        message = f"{r.label} is an admin route with no authentication."
    elif project_auth and not is_public(r):
        destructive = "DELETE" in r.methods or any(rec.write for rec in r.facts.records)
        severity = "high" if destructive else "medium"
        message = f"{r.label} has no authentication, while other routes of this project require it."
    else:
        return []
    return [make("missing-auth", file, line, severity, message, end_line=end)]


def _idor(r: Route, rec: RecordAccess) -> Finding:
    # Another user's account is the case a reviewer always agrees on; a shared record (a product, a
    # task on a team board) may be meant for every member, so it is a review item.
    severity: Severity = "high" if rec.sensitive else "medium"
    what = "changes" if rec.write else "reads"
    message = (
        f"{r.label} {what} a record by `{rec.id_name}` from the request without checking that the caller "
        "owns it or has a role that allows it."
    )
    return make("idor", _handler_file(r), rec.line, severity, message)


def _rate_limit(routes: list[Route], facts: ProjectFacts) -> list[Finding]:
    """Once per project, at medium, and only where credentials are taken and nothing limits anywhere."""
    if facts.limiter or any(is_limit(g) for r in routes for g in r.chain):
        return []
    taking = [r for r in routes if r.facts.credentials_line is not None]
    if not taking:
        return []
    # Anchor it where a password is checked (a login) rather than where one is set (a sign-up).
    r = min(
        taking,
        key=lambda x: (
            not _LOGIN.search(x.path + " " + x.handler),
            bool(_SIGNUP.search(x.path + " " + x.handler)),
            x.file,
            x.line,
        ),
    )
    line = r.facts.credentials_line or r.line
    message = (
        f"{r.label} takes credentials and nothing in this project limits request rates (no limiter "
        "library, middleware or proxy rule), so passwords can be guessed fast."
    )
    return [make("missing-rate-limit", _handler_file(r), line, "medium", message)]


def _handler_file(r: Route) -> str:
    return r.handler.partition(":")[0] if ":" in r.handler else r.file


def _where(r: Route) -> tuple[str, int, int | None]:
    """Django routes are reported at their view (where the decorator goes); others where declared."""
    if r.framework == "django" and r.handler_line is not None:
        return _handler_file(r), r.handler_line, r.handler_end
    return r.file, r.line, r.end_line
