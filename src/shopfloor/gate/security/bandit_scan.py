"""bandit in this process, on Python files, its results mapped onto our findings.

bandit parses the files it is given and never imports them, so it runs in a worker thread of the run's
own process: its modules and plugins are loaded once (`warm_up`, when a run starts), not per gate.
"""

from __future__ import annotations

import logging
import threading
import warnings
from pathlib import Path
from typing import Any

import anyio.to_thread
from pydantic import BaseModel

from shopfloor.config.sections import Severity
from shopfloor.gate.findings import Finding

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
_lock = threading.Lock()
"""One scan at a time: bandit keeps its loaded blacklist on a module-level object."""


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


def warm_up() -> None:
    """Load bandit and its plugins (a few hundred ms), so the first gate does not wait for them."""
    with warnings.catch_warnings():  # its plugin loader passes an argument its own library deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        from bandit.core import manager  # noqa: F401

    # Its per-file errors would go to stderr, over the run's live view; a progress bar too, for 50+ files.
    logging.getLogger("bandit").setLevel(logging.CRITICAL)


async def scan_bandit(root: Path, rel_paths: list[str]) -> list[Finding]:
    """bandit on the given Python files (relative to `root`), keeping the relevant results.

    A bandit that cannot run is reported as a low finding rather than passing silently.
    """
    py = [p for p in rel_paths if p.endswith(".py")]
    if not py:
        return []
    return await anyio.to_thread.run_sync(_scan, root, py)


def _scan(root: Path, py: list[str]) -> list[Finding]:
    try:
        warm_up()
        from bandit.core import config, docs_utils, manager

        profile = {"include": set(RELEVANT), "exclude": set()}
        with _lock:
            scan = manager.BanditManager(config.BanditConfig(), "file", quiet=True, profile=profile)
            scan.files_list = [str(root / p) for p in py]
            scan.run_tests()
            issues: list[Any] = scan.get_issue_list()
    except Exception as err:  # an import error, or bandit itself failing: say so, never pass silently
        return [_scanner_error(py[0], f"{type(err).__name__}: {err}")]
    rows = [{**i.as_dict(with_code=False), "more_info": docs_utils.get_url(i.test_id)} for i in issues]
    return [_relative(f, root) for f in _findings(_BanditReport.model_validate({"results": rows}))]


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
        message=f"bandit did not run: {output.strip()[-300:] or 'no reason given'}",
        fix_hint="Check that bandit is installed in shopfloor's environment.",
        source="bandit",
    )


def _findings(report: _BanditReport) -> list[Finding]:
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
