"""The mutation check: faults put into the functions a task changed must make its new tests fail.

Why our own small mutators rather than mutmut, cosmic-ray or Stryker: those mutate whole modules and
start their own processes; the gate needs a few mutants of the changed lines only, in seconds, and every
test run going through the one process helper (so the sandbox can wrap it in one place).

Steps: mutants of the changed lines (py_mutator, js_mutator) -> a scratch copy of the tree -> one run of
the task's tests (they must pass) -> each mutant written into the copy and the tests run again, within
the budget. Python mutants go through `mutant_driver` (one warm process, a fork per mutant; its baseline
run is traced, and a mutant on lines no test reaches survives without a run once one such mutant has
been run to confirm the trace); JS mutants are one `node --test` (or configured command) run each.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from shopfloor.gate.report import FunctionScore, MutantOutcome, MutantStatus, MutationReport
from shopfloor.gate.testfiles import JS_SUFFIXES, Language, is_test_path, test_language
from shopfloor.gate.testproof.changes import ChangedFile, changed_files
from shopfloor.gate.testproof.execution import (
    FileRunner,
    TestRun,
    TestRunnerSpec,
    group_files,
    make_runners,
    python_for,
)
from shopfloor.gate.testproof.forkrun import run_python_mutants
from shopfloor.gate.testproof.js_coverage import COVERAGE_VAR, reached, read_coverage
from shopfloor.gate.testproof.js_mutator import js_functions
from shopfloor.gate.testproof.mutants import ChangedFunction, Mutant, interleave
from shopfloor.gate.testproof.py_mutator import python_functions
from shopfloor.gate.testproof.python_tests import touched_test_names
from shopfloor.gate.testproof.scratch import scratch_copy
from shopfloor.tools.confined import Confinement

PER_FUNCTION = 4
"""Mutants tried per changed function at most (one of each kind first)."""
_MIN_RUN_S = 1.0


@dataclass
class _Suite:
    """The task's tests: by the runner that runs them (its index in `make_runners`) and their language."""

    spec: TestRunnerSpec
    tree: Path
    confinement: Confinement = field(default_factory=Confinement)
    groups: list[tuple[int, list[str], Language]] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)

    def runs(
        self, language: Language, env: dict[str, str] | None = None
    ) -> list[tuple[FileRunner, list[str]]]:
        spec = self.spec.model_copy(update={"env": {**self.spec.env, **env}}) if env else self.spec
        runners = make_runners(spec, [self.tree], self.confinement)
        return [(runners[i], ids) for i, ids, lang in self.groups if lang == language]

    def ids(self, language: Language) -> list[str]:
        return [t for _i, ids, lang in self.groups if lang == language for t in ids]

    def covers(self, language: Language) -> bool:
        return any(lang == language for _i, _ids, lang in self.groups)

    @property
    def names(self) -> list[str]:
        return [t for _i, ids, _lang in self.groups for t in ids]


async def mutation_check(
    tree: Path,
    base: str,
    *,
    budget_s: float,
    runner: TestRunnerSpec | None = None,
    per_function: int = PER_FUNCTION,
    confinement: Confinement | None = None,
    known: list[ChangedFile] | None = None,
) -> MutationReport:
    """Run mutants of the functions changed since `base` against the tests changed since `base`, confined
    as `confinement` says (by default sandboxed and offline: the tests and the code are the task's);
    `known`: those changes, when the caller has read them already."""
    started = time.monotonic()
    tree = tree.resolve()
    report = MutationReport(status="skipped", budget_s=budget_s)
    if budget_s <= 0:
        report.notes.append("mutation check off ([gate] mutation_budget_s is 0)")
        return report
    if budget_s < _MIN_RUN_S:
        report.notes.append(
            f"mutation check skipped: the budget ({budget_s:g}s, [gate] mutation_budget_s) is too small "
            "to run the task's tests even once"
        )
        return report
    changed = known if known is not None else await changed_files(tree, base)
    suite = _suite(tree, changed, runner or TestRunnerSpec())
    functions = _changed_functions(tree, changed, per_function)
    if not suite.groups:
        what = "no test it can run" if suite.unsupported else "no test"
        report.notes.append(f"mutation check skipped: the task added or changed {what}")
        return report
    if not functions:
        report.notes.append("mutation check skipped: the task changed no function body it could mutate")
        return report
    functions = [f for f in functions if suite.covers(_language(f.file))]
    if not functions:
        report.notes.append("mutation check skipped: the task's tests are in another language than its code")
        return report
    report.tests = suite.names
    if suite.unsupported:
        report.notes.append(f"tests no runner here can run were left out: {', '.join(suite.unsupported)}")
    async with scratch_copy(tree, suite.spec.share_dirs) as copy:
        # Results (coverage, the driver's answers) are written beside the copy.
        box = confinement or Confinement()
        suite.confinement = replace(box, also_writable=(*box.also_writable, copy.parent))
        await _run(copy, suite, functions, report, started)
    report.duration_s = round(time.monotonic() - started, 3)
    return report


async def _run(
    copy: Path, suite: _Suite, functions: list[ChangedFunction], report: MutationReport, started: float
) -> None:
    def left() -> float:
        return report.budget_s - (time.monotonic() - started)

    outcomes: list[MutantOutcome] = []
    sources = {f.file: (copy / f.file).read_text(encoding="utf-8") for f in functions}
    python = [f for f in functions if _language(f.file) == "python"]
    if python:
        outcomes += await _python_mutants(copy, suite, python, sources, report, left())
    js = [f for f in functions if _language(f.file) == "js"]
    if js:
        outcomes += await _js_mutants(copy, suite, js, sources, report, left)
    if outcomes:
        report.status = "ran"
        _summarize(report, functions, outcomes)


async def _python_mutants(
    copy: Path,
    suite: _Suite,
    functions: list[ChangedFunction],
    sources: dict[str, str],
    report: MutationReport,
    budget_s: float,
) -> list[MutantOutcome]:
    """Python mutants through the warm forking driver; lines the tests never run are not run for."""
    mutants = interleave(functions)
    python = suite.spec.python or python_for([suite.tree])
    # unraisableexception: its gc.collect() calls at exit are a third of a fork's time, and only warn.
    options = ["-q", "-x", "-p", "no:cacheprovider", "-p", "no:unraisableexception", *suite.spec.pytest_args]
    done = await run_python_mutants(
        copy, python, options, suite.ids("python"), mutants, budget_s, suite.confinement
    )
    if done.baseline_timed_out:
        report.notes.append(_too_small(report.budget_s, done.baseline_s))
        return []
    if not done.baseline_ok:
        report.notes.append(_not_passing(done.why))
        return []
    if done.why:
        report.notes.append(done.why)
    out: list[MutantOutcome] = []
    for i, mutant in enumerate(mutants):
        status, reached, timed_out, took = (
            done.mutants[i] if i < len(done.mutants) else ("not-run", True, False, 0.0)
        )
        outcome = _outcome(mutant, _status(status), sources, reached=reached, duration=took)
        outcome.timed_out = timed_out
        out.append(outcome)
    return out


async def _js_mutants(
    copy: Path,
    suite: _Suite,
    functions: list[ChangedFunction],
    sources: dict[str, str],
    report: MutationReport,
    left: Callable[[], float],
) -> list[MutantOutcome]:
    """JS/TS mutants, one run of the task's JS tests each (node starts fast: nothing to keep warm).

    The baseline run records V8's coverage; a mutant on code it never ran survives without a run, once
    one such mutant has been run to confirm the coverage.
    """
    v8 = copy.parent / "v8-coverage"
    runs = await _run_tests(copy, suite.runs("js", {COVERAGE_VAR: str(v8)}), left())
    if any(r.timed_out for r in runs):
        report.notes.append(_too_small(report.budget_s, sum(r.duration_s for r in runs)))
        return []
    if not all(_passed(r) for r in runs):
        tail = next((r.output_tail for r in runs if not _passed(r)), "").strip().splitlines()[-1:]
        report.notes.append(_not_passing(tail[0] if tail else ""))
        return []
    coverage = read_coverage(v8, copy, {f.file for f in functions}) if v8.is_dir() else None
    per_run = max(sum(r.duration_s for r in runs), _MIN_RUN_S)
    out: list[MutantOutcome] = []
    confirmed = False
    for mutant in interleave(functions):
        unreached = coverage is not None and not reached(mutant, sources[mutant.file], coverage)
        if unreached and confirmed:
            out.append(_outcome(mutant, "survived", sources, reached=False))
        elif left() < per_run:
            out.append(_outcome(mutant, "not-run", sources))
        else:
            outcome = await _try(copy, suite, mutant, sources[mutant.file], per_run, left())
            if unreached:
                confirmed = outcome.status == "survived"
                coverage = coverage if confirmed else None  # killed though "never run": distrust it
                outcome.reached = not confirmed
            out.append(outcome)
    return out


def _too_small(budget_s: float, took: float) -> str:
    return (
        f"mutation check skipped: the budget ({budget_s:g}s, [gate] mutation_budget_s) ran out during the "
        f"first run of the task's tests ({took:.1f}s)"
    )


def _not_passing(why: str) -> str:
    detail = f" ({why.strip()[:160]})" if why.strip() else ""
    return f"mutation check skipped: the task's tests do not pass in a scratch copy of the tree{detail}"


def _status(text: str) -> MutantStatus:
    return "killed" if text == "killed" else "survived" if text == "survived" else "not-run"


async def _try(
    copy: Path, suite: _Suite, mutant: Mutant, source: str, per_run: float, left: float
) -> MutantOutcome:
    """Write the mutant into the copy, run the tests of its language, put the file back."""
    path = copy / mutant.file
    path.write_text(mutant.apply(source), encoding="utf-8")
    try:
        limit = min(per_run * 3 + 5, left)
        runs = await _run_tests(copy, suite.runs(_language(mutant.file)), limit, stop_early=True)
    finally:
        path.write_text(source, encoding="utf-8")
    duration = sum(r.duration_s for r in runs)
    if any(r.timed_out for r in runs) and limit < per_run * 3 + 5:
        return _outcome(mutant, "not-run", {}, duration=duration)  # the budget, not the mutant, ran out
    status: MutantStatus = "survived" if all(_passed(r) for r in runs) else "killed"
    outcome = _outcome(mutant, status, {mutant.file: source}, duration=duration)
    outcome.timed_out = any(r.timed_out for r in runs)
    return outcome


async def _run_tests(
    copy: Path, groups: list[tuple[FileRunner, list[str]]], timeout_s: float, *, stop_early: bool = False
) -> list[TestRun]:
    runs: list[TestRun] = []
    for runner, ids in groups:
        runs.append(await runner.run(copy, ids, where="scratch", timeout_s=max(timeout_s, 0.1)))
        if stop_early and not _passed(runs[-1]):
            break
    return runs


def _passed(run: TestRun) -> bool:
    return not run.timed_out and run.exit_code == 0 and any(c.status == "passed" for c in run.cases)


def _outcome(
    mutant: Mutant,
    status: MutantStatus,
    sources: dict[str, str],
    *,
    reached: bool = True,
    duration: float = 0.0,
) -> MutantOutcome:
    source = sources.get(mutant.file)
    return MutantOutcome(
        file=mutant.file,
        function=mutant.function,
        line=mutant.line,
        kind=mutant.kind,
        description=mutant.description,
        status=status,
        reached=reached,
        duration_s=round(duration, 3),
        diff=mutant.diff(source) if status == "survived" and source is not None else "",
    )


def _summarize(
    report: MutationReport, functions: list[ChangedFunction], outcomes: list[MutantOutcome]
) -> None:
    report.mutants = sorted(outcomes, key=lambda m: (m.file, m.line))
    report.killed = sum(m.status == "killed" for m in outcomes)
    report.survived = sum(m.status == "survived" for m in outcomes)
    report.not_run = sum(m.status == "not-run" for m in outcomes)
    ran = report.killed + report.survived
    report.score = round(report.killed / ran, 3) if ran else None
    for fn in functions:
        mine = [m for m in outcomes if m.file == fn.file and m.function == fn.name]
        count = {
            status: sum(m.status == status for m in mine) for status in ("killed", "survived", "not-run")
        }
        if count["killed"] or count["survived"]:
            report.functions.append(
                FunctionScore(
                    file=fn.file,
                    function=fn.name,
                    line=fn.line,
                    killed=count["killed"],
                    survived=count["survived"],
                    not_run=count["not-run"],
                )
            )
    if report.not_run and not any("stopped early" in n for n in report.notes):
        report.notes.append(
            f"the budget ({report.budget_s:g}s) ran out: {report.not_run} of {len(outcomes)} mutants not run"
        )


def _suite(tree: Path, changed: Sequence[ChangedFile], spec: TestRunnerSpec) -> _Suite:
    """The task's new and changed tests: pytest node ids of the touched tests, or whole files."""
    tests = [c for c in changed if test_language(c.path) is not None]
    suite = _Suite(spec, tree)
    grouped = group_files(make_runners(spec, [tree]), [c.path for c in tests])
    covered = {f for _i, files in grouped for f in files}
    suite.unsupported = [c.path for c in tests if c.path not in covered]
    by_path = {c.path: c for c in tests}
    for index, files in grouped:
        language = test_language(files[0]) or "python"
        selected: list[str] = []
        for f in files:
            entry = by_path[f]
            if language == "python" and not entry.added:
                text = (tree / f).read_text(encoding="utf-8", errors="replace")
                selected += [
                    f"{f}::{name.replace('.', '::')}" for name in touched_test_names(text, entry.lines)
                ]
            else:
                selected.append(f)
        if selected:
            suite.groups.append((index, selected, language))
    return suite


def _changed_functions(
    tree: Path, changed: Sequence[ChangedFile], per_function: int
) -> list[ChangedFunction]:
    out: list[ChangedFunction] = []
    for c in changed:
        if is_test_path(c.path) or not (c.path.endswith(".py") or c.path.endswith(JS_SUFFIXES)):
            continue
        try:
            text = (tree / c.path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        make = python_functions if c.path.endswith(".py") else js_functions
        out += make(c.path, text, c.lines, per_function)
    return out


def _language(path: str) -> Language:
    return "python" if path.endswith(".py") else "js"
