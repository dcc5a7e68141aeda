"""`shopfloor verify` (the gate on any tree or a task's worktree) and `shopfloor dashboard`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
from rich.console import Console
from rich.table import Table

from shopfloor.layout import Layout

if TYPE_CHECKING:
    from shopfloor.gate.report import GateReport

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _err(message: str) -> None:
    print(f"shopfloor: {message}", file=sys.stderr)


def task_base(project: Path, worktree: Path, task_id: str) -> str | None:
    """The commit a task's work started from: the base its last gate judged it against while that is
    still below its work (a merged task's branch is inside the run's branches by then), else where it
    forks from the run's integration branch, else from the checked-out branch."""
    from shopfloor.gate.report import GateReport
    from shopfloor.orchestrator.delivery import integration_branch
    from shopfloor.vcs import current_branch, git, ref_exists

    reports = sorted(
        Layout(project).reports_dir.joinpath(task_id).glob("gate-*.json"),
        key=lambda p: int(p.stem.removeprefix("gate-")) if p.stem.removeprefix("gate-").isdigit() else -1,
    )
    for path in reversed(reports):
        try:
            last = GateReport.model_validate_json(path.read_text(encoding="utf-8")).base_ref
        except (OSError, ValueError):
            continue
        if last and git(worktree, "merge-base", "--is-ancestor", last, "HEAD", check=False).ok:
            return last
    branch = current_branch(project)
    fork_from = branch or "HEAD"
    if branch and ref_exists(project, f"refs/heads/{integration_branch(branch)}"):
        fork_from = integration_branch(branch)
    fork = git(worktree, "merge-base", fork_from, "HEAD", check=False)
    return fork.output.strip() if fork.ok else None


def verify_command(tree: Path, task_id: str | None, *, as_json: bool, sarif: Path | None = None) -> int:
    from shopfloor.config.loader import ConfigError
    from shopfloor.config.settings import load_settings
    from shopfloor.env import inspect_env
    from shopfloor.gate.report import GateTask
    from shopfloor.gate.verdict import write_verdict
    from shopfloor.gate.verify import run_gate
    from shopfloor.orchestrator import briefs
    from shopfloor.orchestrator.worktrees import worktree_path
    from shopfloor.queue.tasks import load_task_queue
    from shopfloor.vcs import GitError

    root = tree.expanduser().resolve()
    if not root.is_dir():
        _err(f"{root} is not a directory")
        return EXIT_USAGE
    sarif_file = sarif.expanduser().resolve() if sarif is not None else None
    if sarif_file is not None and not sarif_file.parent.is_dir():
        _err(f"cannot write SARIF to {sarif_file}: {sarif_file.parent} is not a directory")
        return EXIT_USAGE
    try:
        settings = load_settings(root)
    except ConfigError as err:
        _err(str(err))
        return EXIT_USAGE
    gate_task = None
    base: str | None = None
    target = root
    if task_id:
        target = worktree_path(root, task_id)
        if not target.is_dir():
            _err(f"no worktree for {task_id} at {target}")
            return EXIT_USAGE
        queue_file = Layout(root).task_queue
        task = None
        if queue_file.is_file():
            queue = load_task_queue(queue_file)
            task = queue.get(task_id) if task_id in queue else None
        gate_task = briefs.gate_task(task) if task else GateTask(id=task_id)
        base = task_base(root, target, task_id)
    env = inspect_env(target, settings.env)
    try:
        report = anyio.run(
            lambda: run_gate(
                target,
                task=gate_task,
                base_ref=base,
                settings=settings.gate,
                env=env,
                sandbox=settings.sandbox,
            )
        )
    except GitError as err:
        _err(f"cannot verify {target}: {err}")
        return EXIT_USAGE
    if task_id:
        write_verdict(target, report)
    if sarif_file is not None and not _write_sarif(sarif_file, report):
        return EXIT_USAGE
    if as_json:
        print(report.model_dump_json(indent=2))
    else:
        render_report(report)
    return EXIT_OK if report.verdict == "pass" else EXIT_FAILED


def _write_sarif(path: Path, report: GateReport) -> bool:
    from shopfloor import __version__
    from shopfloor.gate.security.sarif import sarif_log

    log = sarif_log(report.findings, tool_version=__version__, root_uri=Path(report.tree).as_uri() + "/")
    try:
        path.write_text(log.to_json() + "\n", encoding="utf-8")
    except OSError as err:
        _err(f"cannot write SARIF to {path}: {err.strerror or err}")
        return False
    return True


def render_report(report: object) -> None:
    from shopfloor.gate.report import GateReport
    from shopfloor.gate.verify import NOTHING_TO_CHECK

    assert isinstance(report, GateReport)
    console = Console()
    table = Table(title=f"Checks on tree {report.tree_hash[:12]}")
    for col in ("check", "command", "exit", "time", "result"):
        table.add_column(col)
    for c in report.checks:
        exit_code = "-" if c.environment else "timeout" if c.timed_out else str(c.exit_code)
        result = "pass" if c.passed else "CANNOT RUN" if c.environment else "FAIL"
        table.add_row(c.name, c.command, exit_code, f"{c.duration_s:.1f}s", result)
    if report.checks:
        console.print(table)
    for c in report.checks:
        if c.environment:
            console.print(f"--- {c.command} could not run: {c.environment}", markup=False, highlight=False)
        elif not c.passed:
            console.print(f"--- output of {c.command} (tail) ---", markup=False)
            console.print(c.output_tail[-2000:], markup=False, highlight=False)
    for f in report.findings:
        console.print(
            f"{f.severity.upper():6} {f.file}:{f.line} [{f.rule_id}] {f.message} (fix: {f.fix_hint})",
            markup=False,
            highlight=False,
        )
    for t in report.tamper:
        console.print(f"TAMPER {t.path} ({t.change}): {t.reason}", markup=False, highlight=False)
    reasons = report.reasons
    if NOTHING_TO_CHECK in reasons:
        console.print(NOTHING_TO_CHECK[0].upper() + NOTHING_TO_CHECK[1:] + ".", markup=False, highlight=False)
        reasons = [r for r in reasons if r != NOTHING_TO_CHECK]
    if report.verdict == "environment":
        console.print("The environment is broken, not the work: fix it and verify again.", markup=False)
    render_mutation(console, report)
    console.print(
        f"verdict: {report.verdict}" + (f" ({'; '.join(reasons)})" if reasons else ""),
        markup=False,
        highlight=False,
    )


def render_mutation(console: Console, report: object) -> None:
    """The mutation check's score, its notes, and each surviving mutant's diff."""
    from shopfloor.gate.report import GateReport

    assert isinstance(report, GateReport)
    m = report.mutation
    if m is None:
        return
    notes = f" ({'; '.join(m.notes)})" if m.notes else ""
    if m.score is None:
        console.print(f"mutation: not scored{notes}", markup=False, highlight=False)
        return
    ran = m.killed + m.survived
    console.print(
        f"mutation: score {m.score:.2f}, {m.killed} of {ran} mutants killed in {m.duration_s:.1f}s{notes}",
        markup=False,
        highlight=False,
    )
    for s in m.survivors:
        console.print(f"--- surviving mutant in {s.function} ({s.file}:{s.line}) ---", markup=False)
        console.print(s.diff.rstrip(), markup=False, highlight=False)


def dashboard_command(project: Path, *, host: str, port: int, allow_remote: bool) -> int:
    from shopfloor.dashboard.server import DashboardError, serve_dashboard

    root = project.expanduser().resolve()
    try:
        server = serve_dashboard(root, host=host, port=port, allow_remote=allow_remote)
    except DashboardError as err:
        _err(str(err))
        return EXIT_USAGE
    print(f"dashboard: {server.url}", flush=True)
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return EXIT_OK
