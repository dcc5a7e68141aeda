"""bandit run as a subprocess on Python files, its results mapped onto our findings."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from pydantic import BaseModel, ValidationError

from shopfloor.config.sections import Severity
from shopfloor.gate.findings import Finding
from shopfloor.tools.process import run_process

# The bandit tests that bear on the backend checklist (injection, secrets, unsafe loading, TLS, debug).
# Noise such as B101 (assert) or B311 (random) is left out, and so are B105-B107 (hard-coded passwords):
# our own rules and detect-secrets judge those with fewer false alarms.
RELEVANT = {
    "B102": "exec() on dynamic input",
    "B201": "Flask debug mode",
    "B301": "pickle",
    "B302": "marshal",
    "B307": "eval()",
    "B324": "weak hash",
    "B501": "TLS verification off",
    "B502": "weak TLS version",
    "B506": "yaml.load without a safe loader",
    "B602": "shell=True with dynamic input",
    "B605": "shell command from a string",
    "B608": "SQL built from strings",
    "B610": "Django extra()",
    "B611": "Django RawSQL",
    "B701": "Jinja2 autoescape off",
    "B702": "Mako templates",
}
_BATCH = 200


class _BanditCwe(BaseModel):
    id: int = 0


class _BanditResult(BaseModel):
    filename: str
    line_number: int
    test_id: str
    issue_severity: str
    issue_confidence: str
    issue_text: str
    more_info: str = ""
    issue_cwe: _BanditCwe | None = None


class _BanditReport(BaseModel):
    results: list[_BanditResult] = []


async def scan_bandit(root: Path, rel_paths: list[str], *, timeout_s: float = 300) -> list[Finding]:
    """Run bandit on the given Python files (relative to `root`) and keep the relevant results.

    A bandit that cannot run is reported as a low finding rather than passing silently.
    """
    findings: list[Finding] = []
    py = [p for p in rel_paths if p.endswith(".py")]
    tests = ",".join(sorted(RELEVANT))
    with tempfile.TemporaryDirectory(prefix="shopfloor-bandit-") as tmp:
        out_file = Path(tmp) / "report.json"
        for start in range(0, len(py), _BATCH):
            batch = [str(root / p) for p in py[start : start + _BATCH]]
            argv = [sys.executable, "-m", "bandit", "-f", "json", "-q", "-t", tests, "-o", str(out_file)]
            # Run from an empty folder: a project's own types.py or secrets.py must not shadow the stdlib.
            result = await run_process([*argv, *batch], cwd=Path(tmp), timeout_s=timeout_s)
            if not out_file.exists():
                findings.append(_scanner_error(py[start], result.output))
                continue
            report = out_file.read_text(encoding="utf-8", errors="replace")
            out_file.unlink()
            findings += [_relative(f, root) for f in parse_bandit_json(report)]
    return findings


def _relative(finding: Finding, root: Path) -> Finding:
    try:
        rel = Path(finding.file).relative_to(root).as_posix()
    except ValueError:
        return finding
    return finding.model_copy(update={"file": rel})


def _scanner_error(first: str, output: str) -> Finding:
    return Finding(
        file=first,
        line=1,
        rule_id="bandit-error",
        severity="low",
        message=f"bandit did not run: {output.strip()[-300:] or 'no output'}",
        fix_hint="Check that bandit is installed in shopfloor's environment.",
        source="bandit",
    )


def parse_bandit_json(output: str) -> list[Finding]:
    """Map bandit's JSON report; output that is not a report gives no findings."""
    start = output.find("{")
    try:
        report = _BanditReport.model_validate(json.loads(output[start:])) if start >= 0 else _BanditReport()
    except (ValueError, ValidationError):
        return []
    out = []
    for r in report.results:
        if r.test_id not in RELEVANT:
            continue
        out.append(
            Finding(
                file=r.filename.removeprefix("./"),
                line=r.line_number,
                rule_id=r.test_id,
                severity=_severity(r.issue_severity, r.issue_confidence, r.test_id),
                message=r.issue_text,
                fix_hint=f"See {r.more_info}" if r.more_info else f"Avoid {RELEVANT[r.test_id]}.",
                source="bandit",
                cwe=f"CWE-{r.issue_cwe.id}" if r.issue_cwe and r.issue_cwe.id else None,
            )
        )
    return out


_REVIEW_ONLY = {"B324"}  # weak hashes are often required by a protocol (digest auth, etags)


def _severity(severity: str, confidence: str, test_id: str) -> Severity:
    # A high-severity guess that bandit itself is unsure of is a review item, not a gate failure.
    if severity == "HIGH" and test_id in _REVIEW_ONLY:
        return "medium"
    if severity == "HIGH":
        return "high" if confidence == "HIGH" else "medium"
    return "medium" if severity == "MEDIUM" else "low"
