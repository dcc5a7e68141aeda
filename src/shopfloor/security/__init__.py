"""The backend security checklist as checks: SQL building, secrets, auth, limits, validation, logs."""

from shopfloor.security.checklist import run_checklist, source_files
from shopfloor.security.findings import Finding, ScanScope, Severity, at_least, is_test_path

__all__ = ["Finding", "ScanScope", "Severity", "at_least", "is_test_path", "run_checklist", "source_files"]
