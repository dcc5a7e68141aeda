"""The backend security checklist as checks: SQL building, secrets, auth, limits, validation, logs."""

from shopfloor.gate.findings import Finding, ScanScope, Severity, at_least, is_test_path
from shopfloor.gate.security.checklist import run_checklist, source_files

__all__ = ["Finding", "ScanScope", "Severity", "at_least", "is_test_path", "run_checklist", "source_files"]
