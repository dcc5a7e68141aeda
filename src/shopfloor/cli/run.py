"""`shopfloor run`, `resume`, `status`, `abort`, `logs`, `issue`, `init`: orchestrated runs from the CLI."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from rich import box
from rich.console import Console
from rich.table import Table

from shopfloor.cli.bill import cache_line
from shopfloor.layout import Layout
from shopfloor.orchestrator.events import RunEvent

if TYPE_CHECKING:
    from shopfloor.config.settings import Settings
    from shopfloor.dashboard.server import DashboardServer

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
    executor: str | None = None,
    ray_address: str | None = None,
) -> int:
    from shopfloor.agent.setup import AgentSetupError
    from shopfloor.cli.live import RunView
    from shopfloor.cli.plan import dry_run_command
    from shopfloor.models.base import ModelConfigError
    from shopfloor.orchestrator.pipeline import last_run, run_project
    from shopfloor.orchestrator.preflight import RunSetupError
    from shopfloor.orchestrator.run_options import RunOptions

    project = project.expanduser().resolve()
    if not project.is_dir():
        _err(f"{project} is not a directory")
        return EXIT_USAGE
    where = executor_options(executor, ray_address)
    if where is None:
        return EXIT_USAGE
    options = RunOptions(decompose=decompose, model=model, loops=loops, overrides=overrides, **where)
    if resume:
        try:
            last = last_run(project)
        except RunSetupError as err:
            _err(str(err))
            return EXIT_USAGE
        if last is None:
            _err(f"no run to resume in {project}; start one with `shopfloor run`")
            return EXIT_USAGE
        if last.status == "completed":
            print(f"Run {last.id} completed; nothing to resume. Start a new run with `shopfloor run`.")
            return EXIT_OK
        options = RunOptions.model_validate(last.options).resumed_with(options)
    settings = settings_for(project, options.overrides)
    if settings is None:
        return EXIT_USAGE
    if dry_run:
        return dry_run_command(project, settings, options)
    server = None
    if dashboard:
        from shopfloor.dashboard.server import DashboardError, serve_dashboard

        try:
            server = serve_dashboard(project)
        except DashboardError as err:
            _err(f"the dashboard could not start: {err}")
            return EXIT_USAGE
        print(f"dashboard: {server.url}", file=sys.stderr, flush=True)
    view = RunView()
    listeners: list[Callable[[RunEvent], None]] = [view]
    report = None
    try:
        with view:
            report = anyio.run(run_project, project, settings, options, listeners)
    except (RunSetupError, AgentSetupError, ModelConfigError) as err:
        _err(str(err))
        return EXIT_USAGE
    finally:
        if server is not None and report is None:
            server.stop()  # the run did not get going, or was cut short: nothing more to show
    print_report(report.run_id, report.status, report.outcomes, report.costs, report.total_cost_usd)
    print(cache_line(report.usage, report.cache_saved_usd))
    if report.note:
        print(f"next: {report.note}")
    elif report.aborted:
        print("next: `shopfloor resume` goes on where the run stopped, with the same options")
    if server is not None:
        keep_serving(server)
    return EXIT_OK if report.ok else EXIT_FAILED


def executor_options(executor: str | None, ray_address: str | None) -> dict[str, Any] | None:
    """`--executor` and `--ray-address` as run options (only what was given); None after saying what is
    wrong with them."""
    from shopfloor.orchestrator.executors import RAY_MISSING, ray_available

    if executor not in (None, "local", "ray"):
        _err(f"unknown executor {executor!r}; use --executor local or --executor ray")
        return None
    if ray_address is not None and executor != "ray":
        _err("--ray-address goes with --executor ray")
        return None
    if executor == "ray" and not ray_available():
        _err(RAY_MISSING)
        return None
    given = {"executor": executor, "ray_address": ray_address}
    return {k: v for k, v in given.items() if v is not None}


def keep_serving(server: DashboardServer) -> None:
    """After the run: in a terminal the dashboard stays up until Ctrl-C; otherwise it stops, and its
    open pages get the run's last events and word that it stopped (stop() delivers them)."""
    if sys.stdin.isatty() and sys.stderr.isatty():
        print(
            f"run finished; the dashboard stays at {server.url} until Ctrl-C",
            file=sys.stderr,
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            server.wait()
    server.stop()


def print_report(
    run_id: int, status: str, outcomes: dict[str, Any], costs: dict[str, float], total: float
) -> None:
    table = Table(title=f"Run {run_id}: {status}")
    for col in ("task", "result", "cost", "note"):
        table.add_column(col, no_wrap=col in ("task", "result"))
    for tid, outcome in sorted(outcomes.items()):
        table.add_row(tid, outcome.verdict, f"${costs.get(tid, 0.0):.4f}", outcome.reason[:90])
    Console().print(table)
    undone = [t for t, o in outcomes.items() if o.verdict in ("skipped", "blocked")]
    if undone:
        print(f"left undone: {', '.join(sorted(undone))}")
    print(f"total cost: ${total:.4f}")


def status_command(project: Path, *, as_json: bool, run_id: int | None = None) -> int:
    from shopfloor.models.base import Usage
    from shopfloor.orchestrator.pidfile import live_run_pid
    from shopfloor.orchestrator.store import Store
    from shopfloor.orchestrator.store_errors import StoreError

    project = project.expanduser().resolve()
    db = Layout(project).state_db
    if not db.exists():
        _err(f"no run has been started in {project}; start one with `shopfloor run`")
        return EXIT_FAILED
    try:
        with Store(db, read_only=True) as store:
            run = store.latest_run() if run_id is None else store.run(run_id)
            tasks = store.tasks(run.id) if run is not None else []
    except StoreError as err:
        _err(str(err))
        return EXIT_USAGE
    if run is None:
        _err("no run recorded" if run_id is None else f"no run {run_id}; `shopfloor runs` lists the runs")
        return EXIT_FAILED if run_id is None else EXIT_USAGE
    live = live_run_pid(project) is not None
    if run.status == "running" and not (live and run_id in (None, run.id)):
        run = run.model_copy(update={"status": "interrupted"})  # killed: `shopfloor resume` goes on
    scripted = str(run.options.get("model") or "").startswith("scripted:")
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
                    "scripted": scripted,
                },
                indent=2,
            )
        )
    else:
        title = f"Run {run.id}: {run.status}" + (" (scripted models)" if scripted else "")
        # Light rules leave room for whole names at 80 columns; a longer one folds, never cut short.
        table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
        for col in ("task", "agent", "model", "status", "tries", "cost", "time"):
            table.add_column(col, no_wrap=col not in ("agent", "model"), overflow="fold")
        for t in tasks:
            took = f"{(t.finished or 0) - t.started:.0f}s" if t.started and t.finished else "-"
            model = t.model or "-"
            if model.startswith("scripted:"):
                model = "scripted"
            table.add_row(
                t.task_id,
                t.agent or "-",
                model,
                t.status,
                str(t.attempts),
                f"${t.cost_usd:.4f}",
                took,
            )
        Console().print(table)
        print(f"total cost: ${sum(t.cost_usd for t in tasks):.4f}")
        usage = sum((t.usage for t in tasks), Usage())
        print(cache_line(usage, sum(t.cache_saved_usd for t in tasks)))
        if scripted:
            print(
                "scripted: no model was called; the models are the ones routing chose, and the costs are "
                "what they would have been at those models' list prices"
            )
        if run.status in ("interrupted", "aborted"):
            print("next: `shopfloor resume` goes on where it stopped, with the same options")
        elif run.note:
            print(f"next: {run.note}" if run.status == "paused" else f"note: {run.note}")
    bad = run.status not in ("completed", "running") or any(
        t.status not in ("completed", "in_progress", "verifying", "merging") for t in tasks
    )
    return EXIT_FAILED if bad else EXIT_OK


def runs_command(project: Path, *, as_json: bool) -> int:
    """Every run recorded in the project, oldest first."""
    import datetime

    from shopfloor.orchestrator.store import Store
    from shopfloor.orchestrator.store_errors import StoreError

    project = project.expanduser().resolve()
    db = Layout(project).state_db
    if not db.exists():
        _err(f"no run has been started in {project}; start one with `shopfloor run`")
        return EXIT_FAILED
    try:
        with Store(db, read_only=True) as store:
            runs = [(r, store.tasks(r.id)) for r in store.runs()]
    except StoreError as err:
        _err(str(err))
        return EXIT_USAGE
    if as_json:
        print(json.dumps([r.model_dump(mode="json") for r, _ in runs], indent=2))
        return EXIT_OK
    table = Table(title="Runs")
    for col in ("run", "started", "status", "tasks done", "cost"):
        table.add_column(col, no_wrap=True)
    for r, tasks in runs:
        started = datetime.datetime.fromtimestamp(r.started).strftime("%Y-%m-%d %H:%M")
        done = sum(t.status == "completed" for t in tasks)
        table.add_row(
            str(r.id),
            started,
            r.status,
            f"{done}/{len(tasks)}",
            f"${sum(t.cost_usd for t in tasks):.4f}",
        )
    Console().print(table)
    for r, _ in runs:
        if r.note:
            print(f"run {r.id}: {r.note}")
    print("details of one: `shopfloor status --run N`")
    return EXIT_OK


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
    from shopfloor.agent.events import read_transcript
    from shopfloor.cli.views import transcript_lines

    runs = Layout(project.expanduser().resolve()).runs_dir
    files = sorted(runs.glob(f"*/{task_id}.jsonl"), key=lambda p: p.stat().st_mtime)
    if not files:
        _err(f"no transcript for {task_id} under {runs}")
        return EXIT_FAILED
    for path in files:
        print(f"== {path}")
        for line in transcript_lines(read_transcript(path)):
            print(line)
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
