"""Run the gate: the checks, the tamper guard and the security checklist on one tree, and the verdict."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from shopfloor.config.sections import GateSettings, SandboxSettings
from shopfloor.env.project_env import ProjectEnv, inspect_env
from shopfloor.gate.blockers import after_running, before_running, could_not_start
from shopfloor.gate.check_process import run_quietly
from shopfloor.gate.detect import detect
from shopfloor.gate.gitdiff import Change, read_change
from shopfloor.gate.report import (
    Check,
    CheckResult,
    GateReport,
    GateTask,
    MutationReport,
    TamperFinding,
    Verdict,
)
from shopfloor.gate.security import Finding, ScanScope, at_least, run_checklist
from shopfloor.gate.tamper import find_tampering
from shopfloor.gate.treehash import tree_hash
from shopfloor.tools.confined import Confinement
from shopfloor.tools.redact import redact
from shopfloor.tools.terminal import plain_text
from shopfloor.vcs import GitError, agit, head_tree, resolve_commit

if TYPE_CHECKING:  # the test proofs are imported when a gate first needs them
    from shopfloor.gate.testproof import ChangedFile


async def run_check(
    check: Check,
    tree: Path,
    settings: GateSettings,
    env: ProjectEnv | None = None,
    service_ports: dict[int, str] | None = None,
    confinement: Confinement | None = None,
) -> CheckResult:
    """Run one check in its folder, in the tree's environment, with its timeouts, in the same sandbox as
    agents' Bash (only `tree` writable, no network unless `[gate] network`). A check that cannot run (its
    program or dependencies missing, a service down) comes back with `environment` set."""
    env = env or inspect_env(tree)
    confinement = confinement or Confinement(network=settings.network, overlay=env.overlay())
    child_env = check_env(confinement)
    blocked = before_running(check, env, child_env.get("PATH"))
    if blocked is not None:
        return _result(
            check, tree, settings, exit_code=None, output=blocked, duration=0.0, environment=blocked
        )
    quiet = settings.quiet_timeout_s if runs_tests(check) else 0.0
    try:
        with confinement.command(check.exec_argv(), cwd=check.cwd, writable=[tree], env=child_env) as cmd:
            run = await run_quietly(cmd.argv, cwd=check.cwd, env=child_env, timeout_s=check.timeout_s,
                                    quiet_s=quiet, pass_fds=cmd.pass_fds)  # fmt: skip
    except OSError as exc:
        why = could_not_start(check, exc, env)
        return _result(check, tree, settings, exit_code=None, output=why, duration=0.0, environment=why)
    output = plain_text(run.output)
    if run.stopped == "quiet":
        output += (
            f"\n[stopped: no output for {quiet:g}s; tests waiting on a service that is not running? "
            "declare it in `[env] services`]"
        )
    elif run.stopped == "timeout":
        output += f"\n[killed after {check.timeout_s:g}s: the check ran over its timeout]"
    environment = None
    if run.stopped is None:
        environment = after_running(check, run.exit_code, output, env, service_ports or {})
    return _result(
        check, tree, settings, exit_code=run.exit_code, output=output, duration=run.duration_s,
        timed_out=run.stopped is not None, quiet=run.stopped == "quiet", environment=environment,
    )  # fmt: skip


def _result(
    check: Check,
    tree: Path,
    settings: GateSettings,
    *,
    exit_code: int | None,
    output: str,
    duration: float,
    timed_out: bool = False,
    quiet: bool = False,
    environment: str | None = None,
) -> CheckResult:
    return CheckResult(
        name=check.name,
        kind=check.kind,
        command=check.command,
        cwd=_rel(check.cwd, tree),
        source=check.source,
        exit_code=exit_code,
        duration_s=round(duration, 3),
        output_tail=redact(output[-settings.output_tail_chars :]),
        timed_out=timed_out,
        quiet=quiet,
        passed=not timed_out and environment is None and exit_code in check.ok_exit_codes,
        environment=environment,
    )


def check_env(confinement: Confinement) -> dict[str, str]:
    """What a check runs with: the allowlisted environment and the tree's own (its venv and
    node_modules/.bin first on PATH, its package managers offline), never shopfloor's own interpreter."""
    return confinement.env(extra={"FORCE_COLOR": "0"})


async def run_gate(
    tree: Path,
    *,
    task: GateTask | None,
    base_ref: str | None,
    settings: GateSettings,
    env: ProjectEnv | None = None,
    setup: CheckResult | None = None,
    sandbox: SandboxSettings | None = None,
    committed: bool = False,
) -> GateReport:
    """Judge `tree` in its environment (`env`, or the tree as it stands): run its checks, guard its tests
    against the base, scan its diff; never raises on a failing project, only on a tree that cannot be
    hashed at all. A failed `setup` (installing what the task changed) stands in for the checks.
    `committed`: the caller has just committed everything in the tree, so its hash is HEAD's tree.

    The checks and the test proof run the tree's code, so they run confined as `sandbox` says.
    """
    tree = tree.resolve()
    env = env or inspect_env(tree)
    started = datetime.now(UTC)
    reasons: list[str] = []
    confinement = Confinement(
        sandbox or SandboxSettings(), network=settings.network, readable=(tree,), overlay=env.overlay()
    )
    if (why := confinement.unconfined_reason()) is not None:
        reasons.append(f"the checks ran without a sandbox: {why}")
    before = "" if committed else await tree_hash(tree)
    found = detect(tree, task=task, settings=settings, env=env)
    checks = found.checks
    if task is not None and task.test_first:  # its tests are meant to fail until the build task lands
        checks = [c for c in checks if not runs_tests(c)]
    reasons += [f"note: {n}" for n in found.notes]

    # What only reads git and the tree (the diff, the tamper guard, the security checklist, which files
    # the change touched) goes on beside the checks; the test proofs run the task's tests, so they follow
    # the checks (and are skipped when the checks found the environment broken), and the tree is hashed
    # again once they are done.
    base: str | None = None
    stat: str | None = None
    tamper: list[TamperFinding] = []
    security: list[Finding] = []
    known: list[ChangedFile] | None = None
    proof: tuple[list[Finding], MutationReport | None] = ([], None)
    after = before
    judged = anyio.Event()

    async def beside_checks() -> None:
        nonlocal base, before, after
        try:
            if committed and base_ref:  # both in one git call, as a rule
                both = await agit(tree, "rev-parse", f"{base_ref}^{{commit}}", "HEAD^{tree}", check=False)
                if both.ok and len(ids := both.stdout.split()) == 2:
                    base, before = ids
                    after = before
            if committed and not before:
                before = after = await head_tree(tree)
            if base_ref and not base:
                try:
                    base = await resolve_commit(tree, base_ref)
                except GitError:
                    reasons.append(
                        f"base ref {base_ref!r} is not a commit here, so the diff could not be checked"
                    )
            change = await read_change(tree, base, before)  # one diff read for every judgment below
            async with anyio.create_task_group() as tg:
                if base:
                    tg.start_soon(diff_stat, base)
                    tg.start_soon(guard, base, change)
                    tg.start_soon(changes, base, change)
                if settings.run_security and (base or not base_ref):
                    tg.start_soon(checklist, change)
        finally:
            judged.set()

    async def diff_stat(base: str) -> None:
        nonlocal stat
        stat = (await agit(tree, "diff", "--stat", "-M", base, before)).stdout

    async def guard(base: str, change: Change | None) -> None:
        nonlocal tamper
        entries = change.entries if change is not None else None
        tamper = await find_tampering(tree, base, before, task=task, settings=settings, entries=entries)

    async def changes(base: str, change: Change | None) -> None:
        nonlocal known
        from shopfloor.gate.testproof.changes import changed_files, changed_from_diff

        if committed and change is not None and change.top:  # the working tree is the tree diffed
            known = changed_from_diff(tree, change.entries, change.lines)
        else:
            known = await changed_files(tree, base)

    async def checklist(change: Change | None) -> None:
        nonlocal security
        scope = ScanScope(changed_lines=change.lines, files=change.files) if change is not None else None
        security = await run_checklist(tree, scope=scope)

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(beside_checks)
            if setup is not None and not setup.passed:
                results = [setup]
            else:
                results = [
                    await run_check(c, tree, settings, env, found.service_ports, confinement) for c in checks
                ]
            broken = [r.environment for r in results if r.environment]
            await judged.wait()
            if base and not broken and known is not None:
                proof = await test_proof(tree, base, known, task, settings, confinement, env)
            # A tree just committed whole is unchanged exactly when git sees nothing to commit.
            if not committed or (await agit(tree, "status", "--porcelain", "--untracked-files=all")).stdout:
                after = await tree_hash(tree)
    except BaseExceptionGroup as group:  # a judgment that failed raises its own error, as one at a time did
        raise group.exceptions[0] from None
    findings = security + proof[0]
    mutation = proof[1]

    reasons += _verdict_reasons(results, findings, tamper, settings)
    nothing = not results and not (task is not None and task.test_first)
    if nothing:
        reasons.append(NOTHING_TO_CHECK)
    failed = any(not r.passed for r in results) or bool(tamper) or (base_ref is not None and base is None)
    failed = failed or any(at_least(f.severity, settings.fail_on) for f in findings)
    failed = failed or (settings.require_checks and nothing)
    if after != before:
        reasons.append("the checks changed the tree (output files that are not git-ignored?)")
    verdict: Verdict = "environment" if broken else "fail" if failed else "pass"
    return GateReport(
        task_id=task.id if task else None,
        tree=str(tree),
        tree_hash=before,
        tree_hash_after=after if after != before else None,
        base_ref=base_ref,
        diff_stat=stat,
        checks=results,
        findings=findings,
        tamper=tamper,
        mutation=mutation,
        verdict=verdict,
        reasons=reasons,
        fail_on=settings.fail_on,
        started_at=started,
        finished_at=datetime.now(UTC),
    )


NOTHING_TO_CHECK = (
    "nothing to check: no build, lint or test command was found for this tree "
    "(set `[gate] commands` in shopfloor.toml)"
)
_TEST_RUNNER = re.compile(
    r"\b(pytest|jest|vitest|mocha|ava|go test|cargo test|node --test|(npm|pnpm|yarn)( run)? test)\b"
)


def runs_tests(check: Check) -> bool:
    """A test check, detected or configured (`[gate] commands` entries are recognised by their runner)."""
    return check.kind == "test" or (check.kind == "custom" and bool(_TEST_RUNNER.search(check.command)))


async def test_proof(
    tree: Path,
    base: str,
    known: list[ChangedFile],
    task: GateTask | None,
    settings: GateSettings,
    confinement: Confinement,
    env: ProjectEnv | None = None,
) -> tuple[list[Finding], MutationReport | None]:
    """Findings that show whether the task's new tests can fail (tests that test nothing), and the
    mutation check's report when it applies. `known`: the files the change touched (from `base`)."""
    from shopfloor.gate.testproof import (
        TestRunnerSpec,
        check_test_integrity,
        mutation_check,
        mutation_findings,
        prove_tests,
        red_check,
    )

    python = settings.python or (env.python() if env is not None else None)
    runner = TestRunnerSpec(python=python) if python else None

    findings: list[Finding] = []
    if settings.test_integrity:
        findings += (await check_test_integrity(tree, base_ref=base, known=known)).findings
    if task is not None and task.test_first:
        red = await red_check(
            tree,
            base,
            None,
            regression_ok=task.regression_ok,
            runner=runner,
            timeout_s=settings.timeout_s,
            confinement=confinement,
            known=known,
        )
        return findings + red.findings(), None
    backend = task is None or (task.category or "backend") == "backend"
    if settings.prove_tests and settings.passes_before != "off":
        proof = await prove_tests(
            tree,
            tree,
            base,
            None,
            runner=runner,
            timeout_s=settings.timeout_s,
            confinement=confinement,
            known=known,
        )
        strict = settings.passes_before == "fail" and backend
        findings += proof.findings(passes_before="high" if strict else "medium")
    if settings.mutation == "off":
        return findings, None
    mutation = await mutation_check(
        tree,
        base,
        budget_s=settings.mutation_budget_s,
        runner=runner,
        per_function=settings.mutants_per_function,
        confinement=confinement,
        known=known,
    )
    strict = settings.mutation == "fail" and backend
    return findings + mutation_findings(mutation, untested="high" if strict else "medium"), mutation


def _verdict_reasons(
    results: list[CheckResult], findings: list[Finding], tamper: list[TamperFinding], settings: GateSettings
) -> list[str]:
    out = []
    for r in results:
        if r.environment:
            out.append(f"environment: {r.environment}")
        elif r.quiet:
            out.append(f"{r.kind} check `{r.command}` printed nothing for too long and was stopped")
        elif r.timed_out:
            out.append(f"{r.kind} check `{r.command}` timed out")
        elif not r.passed:
            out.append(f"{r.kind} check `{r.command}` failed with exit code {r.exit_code}")
    for f in findings:
        if at_least(f.severity, settings.fail_on):
            kind = "test-integrity" if f.source == "testproof" else "security"
            out.append(f"{f.severity} {kind} finding {f.rule_id} at {f.location}")
    for t in tamper:
        out.append(f"{t.path}: {t.reason} {t.change}")
    return list(dict.fromkeys(out))


def _rel(path: Path, tree: Path) -> str:
    try:
        return path.resolve().relative_to(tree).as_posix() or "."
    except ValueError:
        return str(path)
