"""`shopfloor run`, `resume`, `status`, `abort`, `logs`, `issue`, `init`: orchestrated runs from the CLI."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from rich.console import Console
from rich.table import Table

from shopfloor.cli.bill import cache_line
from shopfloor.layout import Layout
from shopfloor.orchestrator.events import RunEvent

if TYPE_CHECKING:
    from shopfloor.config.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _err(message: str) -> None:
    print(f"shopfloor: {message}", file=sys.stderr)


def settings_for(project: Path, overrides: dict[str, Any]) -> Settings | None:
    from shopfloor.config.loader import ConfigError
    from shopfloor.config.settings import load_settings

    try:
        return load_settings(project, overrides=overrides)
    except ConfigError as err:
        _err(str(err))
        return None


def run_command(
    project: Path,
    *,
    overrides: dict[str, Any],
    model: str | None,
    decompose: bool,
    loops: int,
    dry_run: bool,
    resume: bool,
    dashboard: bool,
) -> int:
    from shopfloor.agent.setup import AgentSetupError
    from shopfloor.cli.live import RunView
    from shopfloor.models.base import ModelConfigError
    from shopfloor.orchestrator.pipeline import RunOptions, RunSetupError, run_project

    project = project.expanduser().resolve()
    if not project.is_dir():
        _err(f"{project} is not a directory")
        return EXIT_USAGE
    settings = settings_for(project, overrides)
    if settings is None:
        return EXIT_USAGE
    if dry_run:
        return dry_run_command(project, settings)
    server = None
    if dashboard:
        from shopfloor.dashboard.server import DashboardError, serve_dashboard

        try:
            server = serve_dashboard(project)
        except DashboardError as err:
            _err(f"the dashboard could not start: {err}")
            return EXIT_USAGE
        print(f"dashboard: {server.url}", file=sys.stderr, flush=True)
    options = RunOptions(decompose=decompose, model=model, loops=loops, resume=resume)
    view = RunView()
    listeners: list[Callable[[RunEvent], None]] = [view]
    try:
        with view:
            report = anyio.run(run_project, project, settings, options, listeners)
    except (RunSetupError, AgentSetupError, ModelConfigError) as err:
        _err(str(err))
        return EXIT_USAGE
    finally:
        if server is not None:
            server.stop()
    print_report(report.run_id, report.status, report.outcomes, report.costs, report.total_cost_usd)
    print(cache_line(report.usage, report.cache_saved_usd))
    return EXIT_OK if report.ok else EXIT_FAILED


def print_report(
    run_id: int, status: str, outcomes: dict[str, Any], costs: dict[str, float], total: float
) -> None:
    table = Table(title=f"Run {run_id}: {status}")
    for col in ("task", "result", "cost", "note"):
        table.add_column(col)
    for tid, outcome in sorted(outcomes.items()):
        table.add_row(tid, outcome.verdict, f"${costs.get(tid, 0.0):.4f}", outcome.reason[:90])
    Console().print(table)
    undone = [t for t, o in outcomes.items() if o.verdict in ("skipped", "blocked")]
    if undone:
        print(f"left undone: {', '.join(sorted(undone))}")
    print(f"total cost: ${total:.4f}")


def dry_run_command(project: Path, settings: Settings) -> int:
    from shopfloor.orchestrator.plan import make_plan
    from shopfloor.queue.tasks import load_task_queue, validate
    from shopfloor.queue.vocabulary import priority_rank

    path = Layout(project).task_queue
    if not path.is_file():
        print("No task queue yet: a run would first ask the decomposition agent to write one from PRD.md.")
        return EXIT_OK
    queue = load_task_queue(path)
    problems = validate(queue)
    if problems:
        for p in problems:
            _err(str(p))
        return EXIT_USAGE
    plan = make_plan(queue, settings)
    tasks = {t.id: t for t in queue.tasks}
    order = {tid: n for n, tid in enumerate(tasks)}
    table = Table(title="Plan (no model is called)")
    for col in ("wave", "task", "priority", "agent", "model", "cost range"):
        table.add_column(col)
    for t in sorted(
        plan.tasks, key=lambda t: (t.wave, priority_rank(tasks[t.task_id].priority), order[t.task_id])
    ):
        cost = "unknown" if t.cost_low is None else f"${t.cost_low:.2f}-${t.cost_high or 0:.2f}"
        table.add_row(str(t.wave), t.task_id, tasks[t.task_id].priority or "-", t.agent, t.model, cost)
    Console().print(table)
    print(f"{len(plan.waves)} wave(s), up to {settings.run.parallel} agents at once")
    rng = plan.cost_range
    print("estimated cost: " + ("unknown" if rng is None else f"${rng[0]:.2f} to ${rng[1]:.2f}"))
    assumed = [(t.id, note) for t in queue.tasks if t.status != "completed" for note in t.assumed]
    if assumed:
        print("assumed where the queue does not say (write the field to change it):")
        for tid, note in assumed:
            print(f"  {tid}: {note}")
    return EXIT_OK


def status_command(project: Path, *, as_json: bool) -> int:
    from shopfloor.models.base import Usage
    from shopfloor.orchestrator.store import Store

    project = project.expanduser().resolve()
    db = Layout(project).state_db
    if not db.exists():
        _err(f"no run has been started in {project}")
        return EXIT_FAILED
    from shopfloor.orchestrator.pidfile import live_run_pid

    with Store(db) as store:
        run = store.latest_run()
        if run is None:
            _err("no run recorded")
            return EXIT_FAILED
        tasks = store.tasks(run.id)
    if run.status == "running" and live_run_pid(project) is None:
        run = run.model_copy(update={"status": "interrupted"})  # killed: `shopfloor resume` goes on
    if as_json:
        print(
            json.dumps(
                {
                    "run": run.model_dump(mode="json"),
                    "tasks": [t.model_dump(mode="json") for t in tasks],
                    "cache": {
                        "read_tokens": sum(t.usage.cache_read_tokens for t in tasks),
                        "write_tokens": sum(t.usage.cache_write_tokens for t in tasks),
                        "saved_usd": sum(t.cache_saved_usd for t in tasks),
                    },
                },
                indent=2,
            )
        )
    else:
        table = Table(title=f"Run {run.id}: {run.status}")
        for col in ("task", "agent", "model", "status", "attempts", "cost", "time"):
            table.add_column(col)
        for t in tasks:
            took = f"{(t.finished or 0) - t.started:.0f}s" if t.started and t.finished else "-"
            table.add_row(
                t.task_id,
                t.agent or "-",
                t.model or "-",
                t.status,
                str(t.attempts),
                f"${t.cost_usd:.4f}",
                took,
            )
        Console().print(table)
        print(f"total cost: ${sum(t.cost_usd for t in tasks):.4f}")
        usage = sum((t.usage for t in tasks), Usage())
        print(cache_line(usage, sum(t.cache_saved_usd for t in tasks)))
    bad = run.status not in ("completed", "running") or any(
        t.status not in ("completed", "in_progress", "verifying", "merging") for t in tasks
    )
    return EXIT_FAILED if bad else EXIT_OK


def abort_command(project: Path) -> int:
    from shopfloor.orchestrator.pidfile import live_run_pid

    pid = live_run_pid(project.expanduser().resolve())
    if pid is None:
        _err("no run is in progress here")
        return EXIT_FAILED
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError as err:
        _err(f"could not signal run process {pid}: {err}")
        return EXIT_FAILED
    print(f"asked run process {pid} to stop; agents stop cleanly and every worktree is kept")
    return EXIT_OK


def logs_command(project: Path, task_id: str) -> int:
    from shopfloor.agent.events import (
        ModelReplied,
        Notice,
        RunFinished,
        ToolAnswered,
        ToolCalled,
        UserMessage,
        read_transcript,
    )

    runs = Layout(project.expanduser().resolve()).runs_dir
    files = sorted(runs.glob(f"*/{task_id}.jsonl"), key=lambda p: p.stat().st_mtime)
    if not files:
        _err(f"no transcript for {task_id} under {runs}")
        return EXIT_FAILED
    for path in files:
        print(f"== {path}")
        for ev in read_transcript(path):
            match ev:
                case ModelReplied():
                    print(
                        f"turn {ev.turn}: {ev.text.strip()[:500]}" if ev.text.strip() else f"turn {ev.turn}"
                    )
                case ToolCalled():
                    print(f"  -> {ev.name} {json.dumps(ev.input)[:300]}")
                case ToolAnswered():
                    flag = " (error)" if ev.is_error else ""
                    print(f"  <- {ev.name}{flag}: {ev.content.strip()[:300]}")
                case UserMessage():
                    print(f"user: {ev.text.strip()[:2000]}")
                case Notice():
                    print(f"note: {ev.message}")
                case RunFinished():
                    print(f"== {ev.outcome} {ev.reason}".rstrip())
                case _:
                    pass
    return EXIT_OK


def issue_command(project: Path, text: str, category: str, priority: str) -> int:
    from pydantic import ValidationError

    from shopfloor.queue.issues import NewIssue, append_issues

    path = Layout(project.expanduser().resolve()).issue_queue
    title, _, rest = text.strip().partition("\n")
    try:
        new = NewIssue(
            title=title[:120],
            description=rest.strip() or text.strip(),
            category=category,
            priority=priority,
        )
    except ValidationError as err:
        _err("; ".join(e["msg"] for e in err.errors()))
        return EXIT_USAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    added = append_issues(path, [new])
    print(f"{added[0].id} added to {path}; the next improvement loop turns it into a task")
    return EXIT_OK
