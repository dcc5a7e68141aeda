"""Proof that tests can fail: integrity rules on added/changed tests, red-before-green runs."""

from __future__ import annotations

from shopfloor.testproof.integrity import IntegrityReport, check_test_integrity, check_test_source
from shopfloor.testproof.redgreen import (
    FileProof,
    RedCheckFile,
    RedCheckReport,
    RedGreenReport,
    base_worktree,
    prove_tests,
    red_check,
)
from shopfloor.testproof.rules import RULES
from shopfloor.testproof.runners import FileRunner, TestCaseResult, TestRun, TestRunnerSpec

__all__ = [
    "RULES",
    "FileProof",
    "FileRunner",
    "IntegrityReport",
    "RedCheckFile",
    "RedCheckReport",
    "RedGreenReport",
    "TestCaseResult",
    "TestRun",
    "TestRunnerSpec",
    "base_worktree",
    "check_test_integrity",
    "check_test_source",
    "prove_tests",
    "red_check",
]
