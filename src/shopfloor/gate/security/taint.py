"""The vocabulary both languages' taint passes share: what a value carries, where it came from, and
what reaching a sink means. Severity follows the data: request data at a sink is high; a value of
unknown origin is a review item for the sinks that are dangerous whatever feeds them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shopfloor.config.sections import Severity
from shopfloor.gate.findings import Finding
from shopfloor.gate.security.rules import make

_KIND_NAMES = "sql nosql shell code template deser path redirect ssrf xss xxe redos client-auth plaintext"
KINDS = frozenset(_KIND_NAMES.split())
REQUEST = "request"
"""The origin of data a client sent (query, body, headers, cookies, path parameters)."""
OPAQUE_ORIGIN = "opaque"
"""A value computed at run time from something other than the request (a query result, a call)."""

# The shape of a statement or clause, not lone words: "select", "where" and "update" are English too.
SQL_WORDS = re.compile(
    r"\bselect\b[\s\S]+?\bfrom\b|\binsert\s+(or\s+\w+\s+)?into\b|\bupdate\s+\S+\s+set\b|\bdelete\s+from\b|"
    r"\b(create|drop|alter|truncate)\s+(table|index|view|database|schema)\b|\bpragma\s+\w+|"
    r"\bwhere\s+[\w.\"`]+\s*(=|<|>|!=|\blike\b|\bin\b|\bis\b)|\border\s+by\s|\bvalues\s*\(",
    re.IGNORECASE,
)
# Schema and session statements: what is formatted into them is a name, which cannot be a bind parameter.
SCHEMA_SQL = re.compile(
    r"^\s*(create|drop|alter|truncate|pragma|show|describe|grant|revoke|use|vacuum|analyze|attach|detach)\b",
    re.IGNORECASE,
)
# Sinks that are dangerous whatever feeds them: a non-constant value there is worth a look.
REVIEW_KINDS = frozenset({"shell", "code", "deser"})

RULE_OF_KIND: dict[str, str] = {
    "sql": "sql-injection",
    "nosql": "nosql-injection",
    "shell": "command-injection",
    "code": "code-injection",
    "template": "template-injection",
    "deser": "unsafe-deserialization",
    "path": "path-traversal",
    "redirect": "open-redirect",
    "ssrf": "ssrf",
    "xss": "xss",
    "xxe": "xxe",
    "redos": "redos",
    "client-auth": "client-trusted-auth",
    "plaintext": "plaintext-password",
}


@dataclass(frozen=True)
class Taint:
    """The sink kinds a value is still dangerous for, and where it came from (`request`, `param:x`)."""

    kinds: frozenset[str] = frozenset()
    origins: frozenset[str] = frozenset()

    def __or__(self, other: Taint) -> Taint:
        if not other.kinds:
            return self
        if not self.kinds:
            return other
        return Taint(self.kinds | other.kinds, self.origins | other.origins)

    def __bool__(self) -> bool:
        return bool(self.kinds)

    def without(self, kinds: frozenset[str]) -> Taint:
        left = self.kinds - kinds
        return Taint(left, self.origins) if left else CLEAN

    def reaches(self, kind: str) -> bool:
        return kind in self.kinds

    def from_request(self) -> bool:
        return REQUEST in self.origins

    def params(self) -> list[str]:
        return sorted(o.removeprefix("param:") for o in self.origins if o.startswith("param:"))


CLEAN = Taint()
FROM_REQUEST = Taint(KINDS, frozenset({REQUEST}))
OPAQUE = Taint(KINDS, frozenset({OPAQUE_ORIGIN}))


def from_param(name: str) -> Taint:
    return Taint(KINDS, frozenset({f"param:{name}"}))


def union(values: list[Taint]) -> Taint:
    out = CLEAN
    for v in values:
        out = out | v
    return out


@dataclass(frozen=True)
class SinkHit:
    """A value reaching a sink inside one function."""

    kind: str
    file: str
    line: int
    callee: str
    taint: Taint
    built: bool = False
    """SQL assembled by string formatting here, from a literal that reads like SQL."""
    bound: bool = False
    """Bind parameters were passed beside the SQL (what is formatted in is an identifier, most likely)."""
    schema: bool = False
    """The SQL is a schema or session statement (CREATE, DROP, PRAGMA...): the run-time part is a name."""
    via: str = ""
    """`run_cmd() at helpers.py:12` when the sink sits in a function the value was passed to."""


@dataclass
class Summary:
    """Which parameters of a function reach which sinks, for callers to check their arguments against."""

    params: list[str]
    flows: dict[str, list[SinkHit]] = field(default_factory=dict)
    """Parameter name -> sinks its value reaches."""
    method: bool = False
    """A method: callers pass `self` implicitly, so their first argument is the second parameter."""


def hit_severity(hit: SinkHit) -> Severity | None:
    """High for request data; for SQL assembled from a caller's values, high too (medium with bind
    parameters beside it or in a schema statement, where only names are formatted in); medium for
    anything run-time at the sinks dangerous whatever feeds them."""
    t = hit.taint
    if not t.reaches(hit.kind):
        return None
    if t.from_request():
        return "high"
    if hit.kind == "plaintext" and t.params() and not hit.via:
        return "high"  # a function that stores the password its caller hands it, as it came
    if hit.kind == "sql" and hit.built:
        return "high" if t.params() and not hit.bound and not hit.schema else "medium"
    if hit.kind in REVIEW_KINDS and not hit.via:
        return "medium"
    return None


def hit_finding(hit: SinkHit) -> Finding | None:
    severity = hit_severity(hit)
    if severity is None:
        return None
    if hit.kind == "plaintext":
        return make(
            "plaintext-password",
            hit.file,
            hit.line,
            severity,
            f"A password is stored as it came by {hit.callee}.",
        )
    if hit.kind == "client-auth":
        message = "A privilege is granted on a value the client sends (a cookie, header or field)."
        return make("client-trusted-auth", hit.file, hit.line, severity, message)
    if hit.taint.from_request():
        what = "Request data"
    elif hit.kind == "sql" and hit.taint.params():
        what = f"SQL assembled from the caller's `{hit.taint.params()[0]}`"
    else:
        what = "A value built at run time"
    where = f" through {hit.via}" if hit.via else ""
    return make(RULE_OF_KIND[hit.kind], hit.file, hit.line, severity, f"{what} reaches {hit.callee}{where}.")
