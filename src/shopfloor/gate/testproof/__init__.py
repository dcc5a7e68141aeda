"""Proof that tests can fail: integrity rules on added/changed tests, red-before-green runs, and mutants
of the changed functions that the task's tests must kill."""

from __future__ import annotations

from shopfloor.gate.testproof.changes import ChangedFile, changed_files
from shopfloor.gate.testproof.execution import FileRunner, TestCaseResult, TestRun, TestRunnerSpec
from shopfloor.gate.testproof.integrity import IntegrityReport, check_test_integrity, check_test_source
from shopfloor.gate.testproof.mutation import mutation_check
from shopfloor.gate.testproof.mutation_findings import mutation_findings
from shopfloor.gate.testproof.redgreen import (
    FileProof,
    RedCheckFile,
    RedCheckReport,
    RedGreenReport,
    base_worktree,
    prove_tests,
    red_check,
)
from shopfloor.gate.testproof.rules import RULES

__all__ = [
    "RULES",
    "ChangedFile",
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
    "changed_files",
    "check_test_integrity",
    "check_test_source",
    "mutation_check",
    "mutation_findings",
    "prove_tests",
    "red_check",
]
