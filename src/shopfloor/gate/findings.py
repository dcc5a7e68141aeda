"""What a security check reports: a finding with file, line, rule, CWE, severity and a fix hint."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel

from shopfloor.config.sections import Severity
from shopfloor.gate.testfiles import is_test_path

_RANK: dict[Severity, int] = {"low": 1, "medium": 2, "high": 3}
_LOWER: dict[Severity, Severity] = {"high": "medium", "medium": "low", "low": "low"}


class Finding(BaseModel):
    """One security issue: where it is, which rule found it, how bad it is and how to fix it."""

    file: str
    """Path relative to the scanned tree, with forward slashes."""
    line: int
    end_line: int | None = None
    """Last line of the construct (a whole route handler, say); None for a single line."""
    rule_id: str
    severity: Severity
    message: str
    fix_hint: str
    source: str = "shopfloor"
    """Which scanner found it: shopfloor's own rules, bandit or detect-secrets."""
    cwe: str | None = None
    """The weakness it is an instance of, as `CWE-89`; None where no CWE entry fits."""

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"


def rank(severity: Severity) -> int:
    """Order severities so that high > medium > low."""
    return _RANK[severity]


def at_least(severity: Severity, floor: Severity) -> bool:
    return _RANK[severity] >= _RANK[floor]


def soften_for_tests(finding: Finding) -> Finding:
    """Findings in test code are still reported, one severity step lower."""
    if not is_test_path(finding.file):
        return finding
    return finding.model_copy(update={"severity": _LOWER[finding.severity]})


@dataclass
class ScanScope:
    """Which lines count: None means every line of every file; otherwise the changed lines per file."""

    changed_lines: dict[str, set[int]] | None = None
    """Relative path -> 1-based line numbers added or changed; a file absent here is unchanged."""
    files: list[str] = field(default_factory=list)
    """Relative paths of the files to check (added or modified ones in a diff scope)."""

    def keeps(self, finding: Finding) -> bool:
        if self.changed_lines is None:
            return True
        lines = self.changed_lines.get(finding.file)
        if not lines:
            return False
        last = finding.end_line or finding.line
        return any(finding.line <= n <= last for n in lines)


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per (file, line, topic); sorted by file and line.

    Where shopfloor's own rule and a pattern scanner (bandit) report the same topic on the same line,
    shopfloor's wins even when it is milder: it followed the data, the pattern only saw a call.
    Otherwise the most severe one is kept.
    """
    best: dict[tuple[str, int, str], Finding] = {}
    for f in findings:
        key = (f.file, f.line, _topic(f.rule_id))
        old = best.get(key)
        if old is None or _better(f, old):
            best[key] = f
    return sorted(best.values(), key=lambda f: (f.file, f.line, -_RANK[f.severity], f.rule_id))


def _better(new: Finding, old: Finding) -> bool:
    if (new.source == "shopfloor") != (old.source == "shopfloor") and "bandit" in (new.source, old.source):
        return new.source == "shopfloor"
    return _RANK[new.severity] > _RANK[old.severity]


# bandit and detect-secrets overlap with our own rules; group them so one issue is reported once.
_TOPICS = {
    "secret": {"B105", "B106", "B107"},
    "sql": {"sql-injection", "B608", "B610", "B611"},
    "shell": {"command-injection", "B602", "B605", "B604", "B607"},
    "code": {"code-injection", "B102", "B307"},
    "deserialization": {"unsafe-deserialization", "B301", "B302", "B506"},
    "template": {"template-injection", "B701"},
}


def _topic(rule_id: str) -> str:
    if rule_id.startswith(("secret-", "hardcoded-")):
        return "secret"
    return next((topic for topic, ids in _TOPICS.items() if rule_id in ids), rule_id)
