"""The backend security checklist as checks: SQL building, secrets, auth, limits, validation, logs."""

from shopfloor.config.sections import Severity
from shopfloor.gate.findings import Finding, ScanScope, at_least
from shopfloor.gate.security.checklist import run_checklist, source_files, warm_up_scanners
from shopfloor.gate.testfiles import is_test_path

__all__ = [
    "Finding",
    "ScanScope",
    "Severity",
    "at_least",
    "is_test_path",
    "run_checklist",
    "source_files",
    "warm_up_scanners",
]
