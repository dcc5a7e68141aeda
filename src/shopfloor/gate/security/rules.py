"""Every rule of the checklist: its CWE, a title and the fix a person would apply. One table, so the
JSON report, SARIF's rule list and each finding cannot disagree about a rule."""

from __future__ import annotations

from dataclasses import dataclass

from shopfloor.config.sections import Severity
from shopfloor.gate.findings import Finding


@dataclass(frozen=True)
class Rule:
    cwe: str
    title: str
    fix: str


RULES: dict[str, Rule] = {
    "sql-injection": Rule(
        "CWE-89",
        "SQL built from run-time values",
        "Use placeholders and pass the values separately (execute('... WHERE id = ?', (uid,)), "
        "SQLAlchemy text('... :id') with bound parameters, db.query('... $1', [id])).",
    ),
    "nosql-injection": Rule(
        "CWE-943",
        "Database query built from request data",
        "Never pass request objects or strings into $where/filters whole; pick and cast each field.",
    ),
    "command-injection": Rule(
        "CWE-78",
        "Shell command built from run-time values",
        "Run the program with an argument list and no shell (subprocess.run([...]), execFile(cmd, "
        "[args])), and validate the values against an allow-list.",
    ),
    "code-injection": Rule(
        "CWE-95",
        "Code evaluated from run-time values",
        "Do not evaluate text as code; parse the value (json, ast.literal_eval, a small expression "
        "parser) or map it to a fixed set of operations.",
    ),
    "template-injection": Rule(
        "CWE-1336",
        "Template source taken from request data",
        "Render a fixed template and pass the value in as a variable.",
    ),
    "unsafe-deserialization": Rule(
        "CWE-502",
        "Untrusted data deserialized into objects",
        "Accept JSON (json.loads / JSON.parse) or yaml.safe_load; never unpickle or unserialize data a "
        "client can change.",
    ),
    "path-traversal": Rule(
        "CWE-22",
        "File path taken from request data",
        "Resolve the name inside a fixed folder and refuse anything outside it (secure_filename, "
        "send_from_directory, path.basename plus a root check).",
    ),
    "open-redirect": Rule(
        "CWE-601",
        "Redirect target taken from request data",
        "Redirect only to relative paths or an allow-list of hosts (url_has_allowed_host_and_scheme).",
    ),
    "ssrf": Rule(
        "CWE-918",
        "Server-side request to a URL from request data",
        "Fetch only from an allow-list of hosts, or build the URL from a fixed base and an escaped part.",
    ),
    "xss": Rule(
        "CWE-79",
        "Request data written into HTML unescaped",
        "Render through the template engine with autoescaping, or escape the value (html.escape).",
    ),
    "redos": Rule(
        "CWE-1333",
        "Request data matched against a pattern that backtracks exponentially",
        "Remove the nested repetition (`(a+)+` -> `a+`), or bound the input's length before matching.",
    ),
    "xxe": Rule(
        "CWE-611",
        "XML parser resolves external entities",
        "Turn entity resolution off (resolve_entities=False, noent: false) or use defusedxml.",
    ),
    "plaintext-password": Rule(
        "CWE-256",
        "Password stored in plain text",
        "Store a slow salted hash (bcrypt, argon2, Django's make_password) and compare with its verify.",
    ),
    "client-trusted-auth": Rule(
        "CWE-807",
        "Privilege decided by a value the client sends",
        "Decide privileges from the server-side session or a verified token, never a cookie, header or "
        "field the client can set.",
    ),
    "jwt-verification-off": Rule(
        "CWE-347",
        "JWT accepted without checking its signature",
        "Verify tokens with the key and a fixed algorithm list (jwt.decode(t, key, algorithms=['HS256'])).",
    ),
    "weak-password-hash": Rule(
        "CWE-916",
        "Password hashed with a fast hash",
        "Hash passwords with bcrypt, scrypt or argon2 (passlib, bcrypt, argon2-cffi).",
    ),
    "hardcoded-secret": Rule(
        "CWE-798",
        "Secret written in the source",
        "Read it from the environment or a secret store, fail at start-up when it is missing, and rotate "
        "the value that was committed.",
    ),
    "hardcoded-jwt-secret": Rule(
        "CWE-798",
        "JWT signing key written in the source",
        "Load the signing key from the environment (JWT_SECRET) and fail at start-up when it is missing.",
    ),
    "secret-fallback": Rule(
        "CWE-798",
        "Secret falls back to a literal default",
        "Drop the default so a missing secret stops the app rather than use a known one.",
    ),
    "sensitive-data-in-log": Rule(
        "CWE-532",
        "Secret written to a log",
        "Log an identifier or a redacted form instead (user id, the last 4 characters, a hash).",
    ),
    "missing-auth": Rule(
        "CWE-306",
        "Route without authentication",
        "Put the project's authentication (dependency, decorator, middleware) in front of the route.",
    ),
    "missing-admin-check": Rule(
        "CWE-285",
        "Admin route that only checks that someone is logged in",
        "Require an admin role for it (an admin dependency, isAdmin middleware, a role check).",
    ),
    "idor": Rule(
        "CWE-639",
        "Record reached by an id from the request with no owner check",
        "Load the record with the current user in the query, or compare its owner with the current user "
        "(or check a role) and answer 403/404 when they differ.",
    ),
    "missing-rate-limit": Rule(
        "CWE-307",
        "Credentials accepted with no rate limit anywhere in the project",
        "Limit attempts per client and account (slowapi, Flask-Limiter, django-ratelimit, "
        "express-rate-limit, @fastify/rate-limit, or the reverse proxy's limit).",
    ),
    "input-validation": Rule(
        "CWE-20",
        "Request body used without validation",
        "Declare a schema for the body (pydantic, marshmallow, zod, joi) so bad input is refused first.",
    ),
    "csrf-disabled": Rule(
        "CWE-352",
        "CSRF protection turned off",
        "Keep CSRF protection on for cookie-authenticated forms; exempt only token-authenticated APIs.",
    ),
}


def make(
    rule_id: str,
    file: str,
    line: int,
    severity: Severity,
    message: str,
    *,
    end_line: int | None = None,
    fix: str | None = None,
) -> Finding:
    """A finding of one of our own rules, its CWE and default fix taken from the table."""
    rule = RULES[rule_id]
    return Finding(
        file=file,
        line=line,
        end_line=end_line,
        rule_id=rule_id,
        severity=severity,
        message=message,
        fix_hint=fix or rule.fix,
        cwe=rule.cwe,
    )
