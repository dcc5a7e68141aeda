"""`shopfloor run`, `resume`, `status`, `runs`, `abort`, `logs` and `issue`: a project's runs, from
starting one to reading what it did. The work is done in `cli/run.py`, imported when a command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shopfloor.cli.options import DirOpt, JsonOpt, NoSandboxOpt


def run(
    project: DirOpt = Path(),
    decompose: Annotated[
        bool, typer.Option("--decompose", help="Re-run decomposition of PRD.md.", metavar="")
    ] = False,
    parallel: Annotated[
        int | None, typer.Option("--parallel", min=1, help="Agents at once (4).", metavar="N")
    ] = None,
    budget_usd: Annotated[
        float | None, typer.Option("--budget-usd", min=0.0, help="Run budget.", metavar="USD")
    ] = None,
    task_budget_usd: Annotated[
        float | None,
        typer.Option("--task-budget-usd", min=0.0, help="Budget reserved per task.", metavar="USD"),
    ] = None,
    attempts: Annotated[
        int | None, typer.Option("--attempts", min=1, help="Agent sessions per task (3).", metavar="N")
    ] = None,
    gate_rounds: Annotated[
        int | None, typer.Option("--gate-rounds", min=1, help="Failed gate rounds per task (3).", metavar="N")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Model for every agent: sonnet, opus, haiku, anthropic:ID, openai:ID or scripted:DIR.",
            metavar="SPEC",
        ),
    ] = None,
    loops: Annotated[
        int, typer.Option("--loops", min=0, help="Improvement loops after the queue.", metavar="N")
    ] = 0,
    tdd: Annotated[
        bool, typer.Option("--tdd", help="Test-first tasks from decomposition.", metavar="")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan; call no model.", metavar="")
    ] = False,
    dashboard: Annotated[
        bool, typer.Option("--dashboard", help="Serve the live dashboard too.", metavar="")
    ] = False,
    executor: Annotated[
        str | None,
        typer.Option("--executor", help="Where attempts run: local (default) or ray.", metavar="NAME"),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address", help="With --executor ray: the cluster (default: a local Ray).", metavar="A"
        ),
    ] = None,
    no_sandbox: NoSandboxOpt = False,
) -> None:
    """Run the task queue (decomposing PRD.md first when there is none). Exit 1 if a task failed."""
    from shopfloor.cli.run import run_command

    overrides: dict[str, dict[str, object]] = {"run": {}}
    if no_sandbox:
        overrides["sandbox"] = {"enabled": False}
    for key, value in (
        ("parallel", parallel),
        ("budget_usd", budget_usd),
        ("task_budget_usd", task_budget_usd),
        ("attempts", attempts),
        ("gate_rounds", gate_rounds),
    ):
        if value is not None:
            overrides["run"][key] = value
    if tdd:
        overrides["run"]["tdd"] = True
    code = run_command(
        project,
        overrides=overrides,
        model=model,
        decompose=decompose,
        loops=loops,
        dry_run=dry_run,
        resume=False,
        dashboard=dashboard,
        executor=executor,
        ray_address=ray_address,
    )
    raise typer.Exit(code)


def resume(
    project: DirOpt = Path(),
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Model for every agent; by default the one the run started with.",
            metavar="SPEC",
        ),
    ] = None,
    no_sandbox: NoSandboxOpt = False,
) -> None:
    """Go on with the last run after Ctrl-C, abort or a crash; nothing verified and merged is redone."""
    from shopfloor.cli.run import run_command

    code = run_command(
        project,
        overrides={"sandbox": {"enabled": False}} if no_sandbox else {},
        model=model,
        decompose=False,
        loops=0,
        dry_run=False,
        resume=True,
        dashboard=False,
    )
    raise typer.Exit(code)


def status(
    project: DirOpt = Path(),
    as_json: JsonOpt = False,
    run_id: Annotated[
        int | None,
        typer.Option("--run", min=1, help="This run instead of the latest (`shopfloor runs`).", metavar="N"),
    ] = None,
) -> None:
    """Tasks of the latest run (or --run N): agent, model, status, attempts, cost, time."""
    from shopfloor.cli.run import status_command

    raise typer.Exit(status_command(project, as_json=as_json, run_id=run_id))


def runs(
    project: DirOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """Every run recorded here: when it started, how it ended, tasks done, cost."""
    from shopfloor.cli.run import runs_command

    raise typer.Exit(runs_command(project, as_json=as_json))


def abort(project: DirOpt = Path()) -> None:
    """Stop the run in progress; agents stop cleanly and worktrees are kept."""
    from shopfloor.cli.run import abort_command

    raise typer.Exit(abort_command(project))


def logs(
    task_id: Annotated[str, typer.Argument(help="Task ID.", metavar="TASK-ID")], project: DirOpt = Path()
) -> None:
    """Print a task's transcripts: turns, tool calls and results."""
    from shopfloor.cli.run import logs_command

    raise typer.Exit(logs_command(project, task_id))


def issue(
    text: Annotated[str, typer.Argument(help="What is wrong or missing.", metavar="TEXT")],
    category: Annotated[
        str, typer.Option("--category", help="backend, frontend, ...", metavar="NAME")
    ] = "backend",
    priority: Annotated[
        str, typer.Option("--priority", help="critical, high, medium, low", metavar="LEVEL")
    ] = "medium",
    project: DirOpt = Path(),
) -> None:
    """Report an issue; the next improvement loop turns it into a task (safe during a run)."""
    from shopfloor.cli.run import issue_command

    raise typer.Exit(issue_command(project, text, category, priority))
