"""The verification gate: shopfloor re-runs a task's checks itself and binds the verdict to the tree."""

from shopfloor.config.sections import GateSettings
from shopfloor.gate.detect import RUNNERS, detect_checks
from shopfloor.gate.feedback import format_failure_report, format_report_for_agent
from shopfloor.gate.report import Check, CheckResult, GateReport, GateTask, TamperFinding
from shopfloor.gate.treehash import tree_hash
from shopfloor.gate.verdict import read_verdict, verdict_is_current, verdict_path, write_verdict
from shopfloor.gate.verify import run_check, run_gate
from shopfloor.vcs import GitError

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
