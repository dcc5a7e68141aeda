"""The verification gate: shopfloor re-runs a task's checks itself and binds the verdict to the tree.

The names below are loaded when first used: a run that only needs the gate's records (its events name
`GateReport`) does not load the checks, the checklist and the test proofs until its first gate (or the
worker thread that warms them up meanwhile).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shopfloor.config.sections import GateSettings
    from shopfloor.gate.detect import RUNNERS, detect_checks
    from shopfloor.gate.feedback import format_failure_report, format_report_for_agent
    from shopfloor.gate.report import Check, CheckResult, GateReport, GateTask, TamperFinding
    from shopfloor.gate.treehash import tree_hash
    from shopfloor.gate.verdict import read_verdict, verdict_is_current, verdict_path, write_verdict
    from shopfloor.gate.verify import run_check, run_gate
    from shopfloor.vcs import GitError

_WHERE = {
    "GateSettings": "shopfloor.config.sections",
    "RUNNERS": "shopfloor.gate.detect",
    "detect_checks": "shopfloor.gate.detect",
    "format_failure_report": "shopfloor.gate.feedback",
    "format_report_for_agent": "shopfloor.gate.feedback",
    "Check": "shopfloor.gate.report",
    "CheckResult": "shopfloor.gate.report",
    "GateReport": "shopfloor.gate.report",
    "GateTask": "shopfloor.gate.report",
    "TamperFinding": "shopfloor.gate.report",
    "tree_hash": "shopfloor.gate.treehash",
    "read_verdict": "shopfloor.gate.verdict",
    "verdict_is_current": "shopfloor.gate.verdict",
    "verdict_path": "shopfloor.gate.verdict",
    "write_verdict": "shopfloor.gate.verdict",
    "run_check": "shopfloor.gate.verify",
    "run_gate": "shopfloor.gate.verify",
    "GitError": "shopfloor.vcs",
}

__all__ = [
    "RUNNERS",
    "Check",
    "CheckResult",
    "GateReport",
    "GateSettings",
    "GateTask",
    "GitError",
    "TamperFinding",
    "detect_checks",
    "format_failure_report",
    "format_report_for_agent",
    "read_verdict",
    "run_check",
    "run_gate",
    "tree_hash",
    "verdict_is_current",
    "verdict_path",
    "write_verdict",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
