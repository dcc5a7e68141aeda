"""The test-integrity rules: ids, names and severities, and how a finding is made."""

from __future__ import annotations

from shopfloor.config.sections import Severity
from shopfloor.gate.findings import Finding

SOURCE = "testproof"

RULES: dict[str, tuple[str, Severity]] = {
    "TI000": ("unparsable-test", "low"),
    "TI001": ("no-assertion", "high"),
    "TI002": ("constant-assertion", "high"),
    "TI003": ("swallowed-failure", "high"),
    "TI004": ("skip-added", "high"),
    "TI005": ("focus-only", "high"),
    "TI006": ("unit-mocked", "medium"),
    "TI007": ("mock-asserted", "high"),
    "TI008": ("always-true", "high"),
}


def finding(rule_id: str, file: str, line: int, message: str, hint: str) -> Finding:
    """A Finding for one of the rules above, with the rule's fixed severity."""
    name, severity = RULES[rule_id]
    return Finding(
        file=file,
        line=line,
        rule_id=rule_id,
        severity=severity,
        message=f"{name}: {message}",
        fix_hint=hint,
        source=SOURCE,
    )
