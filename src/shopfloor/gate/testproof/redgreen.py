"""Proof that new tests can fail: red on the base (tests applied, code not), green on the task's tree."""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from shopfloor.config.sections import Severity
from shopfloor.gate.findings import Finding
from shopfloor.gate.testfiles import is_test_path, test_language
from shopfloor.gate.testproof.changes import ChangedFile, changed_files, git
from shopfloor.gate.testproof.execution import (
    FileOutcome,
    FileRunner,
    TestCaseResult,
    TestRun,
    TestRunnerSpec,
    TestStatus,
    group_files,
    make_runners,
)
from shopfloor.gate.testproof.js_tests import touched_test_titles
from shopfloor.gate.testproof.python_tests import touched_test_names
from shopfloor.tools.confined import Confinement
from shopfloor.vcs import GitError, resolve_commit

FileVerdict = Literal["red-green", "passes-before", "fails-after", "no-tests"]
Verdict = Literal["accepted", "rejected", "no-new-tests"]

_MESSAGES: dict[FileVerdict, str] = {
    "red-green": "fails on the base and passes on the tree: the tests exercise the change",
    "passes-before": "passes on the base too: the tests don't exercise the change",
    "fails-after": "fails on the task's tree",
    "no-tests": "ran no test on the task's tree (none collected, or all skipped)",
}


class TestProof(BaseModel):
    __test__: ClassVar[bool] = False  # a library class, not a pytest test class

    name: str
    before: TestStatus | Literal["missing"]
    after: TestStatus | Literal["missing"]


class FileProof(BaseModel):
    """The red-green verdict for one test file, with each test's status before and after."""

    file: str
    verdict: FileVerdict
    before: FileOutcome
    after: FileOutcome
    tests: list[TestProof]
    message: str


class RedGreenReport(BaseModel):
    """Fail-before / pass-after for the tests a task added or changed."""

    base_commit: str
    files: list[FileProof]
    runs: list[TestRun]
    unsupported: list[str] = Field(default_factory=list)
    """New or changed test files no configured runner can run (TypeScript under `auto`, say)."""

    def verdict(self, *, passes_before_fails: bool = True) -> Verdict:
        """Accepted when every file is red-green (or passes-before, when that is allowed)."""
        if not self.files:
            return "no-new-tests"
        ok: set[FileVerdict] = {"red-green"} if passes_before_fails else {"red-green", "passes-before"}
        return "accepted" if all(f.verdict in ok for f in self.files) else "rejected"

    def findings(self, *, passes_before: Severity = "high") -> list[Finding]:
        """One finding per file that is not red-green, to merge into the gate's report."""
        rules: dict[FileVerdict, tuple[str, Severity, str]] = {
            "passes-before": (
                "RG001",
                passes_before,
                "Make the tests check the behaviour the task adds or changes, so they fail without it.",
            ),
            "fails-after": (
                "RG002",
                "high",
                "Fix the code (or the test) until these tests pass on the tree.",
            ),
            "no-tests": ("RG003", "high", "Make sure the tests are collected and not skipped."),
        }
        out: list[Finding] = []
        for f in self.files:
            if f.verdict in rules:
                rule, severity, hint = rules[f.verdict]
                out.append(
                    Finding(
                        file=f.file,
                        line=1,
                        rule_id=rule,
                        severity=severity,
                        message=f"{f.verdict}: {f.message}",
                        fix_hint=hint,
                        source="testproof",
                    )
                )
        return out


class RedCheckFile(BaseModel):
    file: str
    verdict: Literal["red", "already-passes", "no-tests"]
    new_tests: list[str]
    """Names of the tests this task added or changed (empty: every test in the file counts)."""
    passing: list[str]
    """New tests that already pass on the tree they were written against."""


class RedCheckReport(BaseModel):
    """For a test task: its new tests must fail on the tree they were written against."""

    files: list[RedCheckFile]
    runs: list[TestRun]
    regression_ok: bool
    unsupported: list[str] = Field(default_factory=list)

    @property
    def accepted(self) -> bool:
        if not self.files or any(f.verdict == "no-tests" for f in self.files):
            return False
        return self.regression_ok or all(f.verdict == "red" for f in self.files)

    def findings(self) -> list[Finding]:
        severity: Severity = "low" if self.regression_ok else "high"
        out: list[Finding] = []
        for f in self.files:
            if f.verdict == "no-tests":
                out.append(
                    Finding(
                        file=f.file,
                        line=1,
                        rule_id="RC002",
                        severity="high",
                        source="testproof",
                        message="no test ran in this file",
                        fix_hint="Make sure the tests are collected.",
                    )
                )
            for name in f.passing:
                out.append(
                    Finding(
                        file=f.file,
                        line=1,
                        rule_id="RC001",
                        severity=severity,
                        source="testproof",
                        message=f"already-passes: `{name}` passes before any implementation, so it "
                        "tests nothing new",
                        fix_hint="Assert the behaviour the build task must add; "
                        "mark the task as a regression test if it pins existing behaviour.",
                    )
                )
        return out


async def prove_tests(
    repo: Path,
    tree: Path,
    base_ref: str,
    test_files: list[Path] | None,
    *,
    runner: TestRunnerSpec | None = None,
    timeout_s: float = 300.0,
    confinement: Confinement | None = None,
    known: list[ChangedFile] | None = None,
) -> RedGreenReport:
    """Run the added/changed tests (or `test_files`) on `base_ref` with only tests applied, then on `tree`.

    `known`: the change, when the caller has read it already (then `base_ref` is a commit id)."""
    repo, tree = repo.resolve(), tree.resolve()
    spec = runner or TestRunnerSpec()
    commit = base_ref if known is not None else await resolve_commit(tree, base_ref)
    changed = known if known is not None else await changed_files(tree, commit)
    targets = _targets(tree, changed, test_files)
    runners = make_runners(spec, [tree, repo], confinement)
    groups = _group(runners, targets)
    unsupported = _left_out(groups, targets)
    if not groups:
        return RedGreenReport(base_commit=commit, files=[], runs=[], unsupported=unsupported)
    copied = sorted({c.path for c in changed if is_test_path(c.path)} | set(targets))
    runs: list[TestRun] = []
    async with base_worktree(repo, commit) as base:
        for rel in copied:
            if (tree / rel).is_file():
                (base / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(tree / rel, base / rel)
        for name in spec.share_dirs:
            if (tree / name).is_dir() and not (base / name).exists():
                (base / name).symlink_to(tree / name, target_is_directory=True)
        for r, files in groups:
            runs.append(await r.run(base, files, where="base", timeout_s=timeout_s))
    for r, files in groups:
        runs.append(await r.run(tree, files, where="tree", timeout_s=timeout_s))
    before = [run for run in runs if run.where == "base"]
    after = [run for run in runs if run.where == "tree"]
    proofs = [_prove_file(f, _run_for(before, f), _run_for(after, f)) for _r, files in groups for f in files]
    return RedGreenReport(base_commit=commit, files=proofs, runs=runs, unsupported=unsupported)


async def red_check(
    tree: Path,
    base_ref: str,
    test_files: list[Path] | None,
    *,
    regression_ok: bool = False,
    runner: TestRunnerSpec | None = None,
    timeout_s: float = 300.0,
    confinement: Confinement | None = None,
    known: list[ChangedFile] | None = None,
) -> RedCheckReport:
    """Run a test task's new tests on its own tree (no implementation yet): each must fail."""
    tree = tree.resolve()
    commit = base_ref if known is not None else await resolve_commit(tree, base_ref)
    changed = {c.path: c for c in (known if known is not None else await changed_files(tree, commit))}
    targets = _targets(tree, list(changed.values()), test_files)
    groups = _group(make_runners(runner or TestRunnerSpec(), [tree], confinement), targets)
    runs = [await r.run(tree, files, where="tree", timeout_s=timeout_s) for r, files in groups]
    results: list[RedCheckFile] = []
    for _r, files in groups:
        for f in files:
            entry = changed.get(f)
            lines = None if entry is None or entry.added else entry.lines
            text = (tree / f).read_text(encoding="utf-8", errors="replace")
            python = test_language(f) == "python"
            touched = touched_test_names(text, lines) if python else touched_test_titles(f, text, lines)
            results.append(_red_file(f, _run_for(runs, f), touched))
    return RedCheckReport(
        files=results, runs=runs, regression_ok=regression_ok, unsupported=_left_out(groups, targets)
    )


@contextlib.asynccontextmanager
async def base_worktree(repo: Path, commit: str) -> AsyncIterator[Path]:
    """A detached temporary worktree at `commit`, removed (with `worktree prune`) however the block ends."""
    tmp = Path(tempfile.mkdtemp(prefix="shopfloor-redgreen-"))
    path = tmp / "base"
    try:
        await git(repo, "worktree", "add", "--detach", str(path), commit)
        yield path
    finally:
        # Links into the tree go first, so that removing the worktree cannot reach through them.
        if path.is_dir():
            for child in path.iterdir():
                if child.is_symlink():
                    child.unlink()
        with contextlib.suppress(GitError):
            await git(repo, "worktree", "remove", "--force", str(path))
        with contextlib.suppress(GitError):
            await git(repo, "worktree", "prune")
        shutil.rmtree(tmp, ignore_errors=True)


def _targets(tree: Path, changed: list[ChangedFile], test_files: list[Path] | None) -> list[str]:
    if test_files is None:
        return [c.path for c in changed if test_language(c.path) is not None]
    out: list[str] = []
    for f in test_files:
        p = f.resolve().relative_to(tree) if f.is_absolute() else f
        out.append(p.as_posix())
    return out


def _group(runners: list[FileRunner], files: list[str]) -> list[tuple[FileRunner, list[str]]]:
    return [(runners[i], fs) for i, fs in group_files(runners, files)]


def _left_out(groups: list[tuple[FileRunner, list[str]]], targets: list[str]) -> list[str]:
    covered = {f for _r, files in groups for f in files}
    return [f for f in targets if f not in covered]


def _run_for(runs: list[TestRun], file: str) -> TestRun:
    return next(r for r in runs if file in r.files)


def _prove_file(file: str, before: TestRun, after: TestRun) -> FileProof:
    b_out, a_out = before.outcome(file), after.outcome(file)
    verdict: FileVerdict
    if a_out == "failed":
        verdict = "fails-after"
    elif a_out == "no-tests":
        verdict = "no-tests"
    elif b_out == "failed":
        verdict = "red-green"
    else:
        verdict = "passes-before"
    b_cases = {c.name: c.status for c in before.cases if c.file == file}
    tests = [
        TestProof(name=c.name, before=b_cases.get(c.name, "missing"), after=c.status)
        for c in after.cases
        if c.file == file
    ]
    return FileProof(
        file=file,
        verdict=verdict,
        before=b_out,
        after=a_out,
        tests=tests,
        message=f"{file} {_MESSAGES[verdict]}",
    )


def _red_file(file: str, run: TestRun, touched: list[str]) -> RedCheckFile:
    cases = [c for c in run.cases if c.file == file]
    # When no reported name matches a changed test (an unusual id scheme), every test in the file counts.
    new = [c for c in cases if _is_new(c, touched)] or cases
    passing = [c.name for c in new if c.status == "passed"]
    verdict: Literal["red", "already-passes", "no-tests"]
    if passing:
        verdict = "already-passes"
    elif run.outcome(file) == "failed":
        verdict = "red"
    else:
        verdict = "no-tests"
    return RedCheckFile(file=file, verdict=verdict, new_tests=touched, passing=passing)


def _is_new(case: TestCaseResult, touched: list[str]) -> bool:
    """Match a reported test to a changed one: pytest `C.test_x[1]` to `C.test_x`, node `a > b` to `b`."""
    name = re.sub(r"\[.*\]$", "", case.name)
    return name in touched or name.split(" > ")[-1] in touched or case.name == "<collection>"
