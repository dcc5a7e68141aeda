"""The gate's data: settings, the task it judges, each check, and the report it hands back."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from shopfloor.config.sections import Severity
from shopfloor.env.stacks import Language
from shopfloor.gate.findings import Finding

CheckKind = Literal["build", "lint", "typecheck", "test", "custom"]
CheckSource = Literal["detected", "config", "ci", "runner", "task"]
"""Where a check came from: detected from a stack's files, `[gate] commands`, the project's CI workflows,
its task runners (Makefile, justfile, tox, nox), or the task itself."""
Verdict = Literal["pass", "fail", "environment"]
"""`environment`: the tree could not be judged because the environment is broken (a runner not installed,
dependencies missing, a service down); nobody's work is blamed for it."""


class TaskCommand(BaseModel):
    """A build or test command the task queue names for the task: its own, or the project's."""

    kind: Literal["build", "test"]
    command: str
    origin: Literal["task", "project"] = "task"


class GateTask(BaseModel):
    """What the gate needs to know about the task it judges."""

    id: str
    category: str | None = None
    """The orchestrator's category; `testing` tasks may change tests."""
    acceptance_criteria: list[str] = Field(default_factory=list)
    allow_test_changes: bool = False
    """Set on a task that is meant to change existing tests or their configuration."""
    protected_paths: list[str] = Field(default_factory=list)
    """Globs this task must not modify or delete even when it may change tests (another task's tests)."""
    test_first: bool = False
    """A test task of a test-first run: its new tests must fail on its tree (no implementation yet)."""
    regression_ok: bool = False
    """Its tests pin down behaviour that already exists, so passing at once is expected."""
    commands: list[TaskCommand] = Field(default_factory=list)
    """Build and test commands from the task queue; they run after the configured or detected checks."""

    @property
    def may_change_tests(self) -> bool:
        return self.allow_test_changes or (self.category or "").strip().lower() in {"testing", "test", "qa"}


class Check(BaseModel):
    """One command the gate runs: either an argv or a shell command line, in a directory."""

    name: str
    kind: CheckKind
    argv: list[str] | None = None
    shell: str | None = None
    cwd: Path
    timeout_s: float
    source: CheckSource = "detected"
    ok_exit_codes: list[int] = Field(default_factory=lambda: [0])
    """Exit codes that count as success (pytest's 5, no tests collected, where tests are optional)."""
    needs: Language | None = None
    """The stack whose installed dependencies it runs on: with none installed it cannot run."""

    @model_validator(mode="after")
    def _one_command(self) -> Check:
        if (self.argv is None) == (self.shell is None):
            raise ValueError("a check needs exactly one of argv or shell")
        return self

    @property
    def command(self) -> str:
        """The command as a person would type it."""
        if self.shell is not None:
            return self.shell
        import shlex

        return shlex.join(self.argv or [])

    def exec_argv(self) -> list[str]:
        return list(self.argv) if self.argv is not None else ["/bin/sh", "-c", self.shell or ""]


class CheckResult(BaseModel):
    """What one check did."""

    name: str
    kind: CheckKind
    command: str
    cwd: str
    """Relative to the tree ('.' for its root)."""
    source: CheckSource = "detected"
    exit_code: int | None
    """None when the check was killed for running over its timeout, or could not start."""
    duration_s: float
    output_tail: str
    """The end of its output, without ANSI codes."""
    timed_out: bool = False
    quiet: bool = False
    """Stopped because it printed nothing for `[gate] quiet_timeout_s` (`timed_out` is set too)."""
    passed: bool
    environment: str | None = None
    """Why it could not run when the environment is at fault (`not installed: yarn (...)`,
    `dependencies missing: ...`, `connection refused on 5432: ...`): not a failure of the work."""


class TamperFinding(BaseModel):
    """An existing test, CI or lint configuration file the task changed (or shopfloor's configuration,
    which a task may not even add)."""

    path: str
    change: Literal["added", "modified", "deleted", "renamed"]
    reason: str
    """Which protection it falls under (test file, CI config, lint config, protected path)."""
    diff: str
    """The diff against the base, cut to a readable size."""


MutantStatus = Literal["killed", "survived", "not-run"]


class MutantOutcome(BaseModel):
    """One mutant and what the task's tests did about it."""

    file: str
    function: str
    line: int
    kind: Literal["return", "condition", "operator", "statement"]
    description: str
    status: MutantStatus
    reached: bool = True
    """False when no test executed the mutated lines: it survives without being run."""
    timed_out: bool = False
    """Killed because the tests ran over their time (a mutant that loops forever, say)."""
    duration_s: float = 0.0
    diff: str = ""
    """The mutant as a diff of its file; kept for survivors only."""


class FunctionScore(BaseModel):
    """How one changed function's mutants fared."""

    file: str
    function: str
    line: int
    killed: int
    survived: int
    not_run: int = 0


class MutationReport(BaseModel):
    """Mutants of the functions a task changed, run against the tests it added or changed."""

    status: Literal["ran", "skipped"]
    score: float | None = None
    """Killed / (killed + survived) over the mutants that ran; None when none ran."""
    killed: int = 0
    survived: int = 0
    not_run: int = 0
    budget_s: float
    duration_s: float = 0.0
    tests: list[str] = Field(default_factory=list)
    """What was run against each mutant: pytest node ids or test files."""
    functions: list[FunctionScore] = Field(default_factory=list)
    mutants: list[MutantOutcome] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    """Why the check was skipped or cut short, one line each."""

    @property
    def survivors(self) -> list[MutantOutcome]:
        return [m for m in self.mutants if m.status == "survived"]


class GateReport(BaseModel):
    """Everything the gate found on one tree, and its verdict."""

    task_id: str | None
    tree: str
    tree_hash: str
    """Git tree id of the working tree (uncommitted and untracked files included) the checks ran on."""
    tree_hash_after: str | None = None
    """Set when the checks themselves changed the tree (build output that is not ignored, say)."""
    base_ref: str | None = None
    diff_stat: str | None = None
    """`git diff --stat` from the base to the tree, when there is a base."""
    checks: list[CheckResult] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    tamper: list[TamperFinding] = Field(default_factory=list)
    mutation: MutationReport | None = None
    """The mutation check on the task's changed functions (score, surviving mutants); None when not run."""
    verdict: Verdict
    reasons: list[str] = Field(default_factory=list)
    """Why it failed (or notes on a pass), one line each."""
    fail_on: Severity = "high"
    started_at: datetime
    finished_at: datetime

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    @property
    def environment(self) -> list[str]:
        """What is wrong with the environment, one line each (empty when it is fine)."""
        return list(dict.fromkeys(c.environment for c in self.checks if c.environment))
