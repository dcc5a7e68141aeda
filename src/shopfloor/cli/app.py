"""The `shopfloor` command: parse, call the library, render. Heavy imports happen inside commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from shopfloor import __version__

app = typer.Typer(
    name="shopfloor",
    help="Run teams of specialist coding agents on a repository, and verify their work.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
agent_app = typer.Typer(help="Run a single agent.", no_args_is_help=True)
app.add_typer(agent_app, name="agent")

USAGE_ERROR = 2


def fail(message: str, code: int = USAGE_ERROR) -> typer.Exit:
    typer.echo(f"shopfloor: {message}", err=True)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"shopfloor {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """shopfloor: agents that write code, a harness that checks it."""


@app.command()
def tools(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show each tool's name, description and input schema exactly as a model receives them."""
    from shopfloor.tools.registry import builtin_toolset

    specs = builtin_toolset().specs()
    if as_json:
        typer.echo(json.dumps([s.model_dump() for s in specs], indent=2))
        return
    for spec in specs:
        typer.echo(f"## {spec.name}\n\n{spec.description}\n")
        typer.echo(json.dumps(spec.input_schema, indent=2) + "\n")


@app.command()
def agents(
    workdir: Annotated[Path, typer.Option("--dir", help="Project directory.")] = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the agents found (project, user, built-in) and problems in their files."""
    from shopfloor.cli.views import show_agents

    code = show_agents(workdir.resolve(), as_json=as_json)
    raise typer.Exit(code)


@app.command()
def skills(
    workdir: Annotated[Path, typer.Option("--dir", help="Project directory.")] = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the skills found and problems in their files."""
    from shopfloor.cli.views import show_skills

    code = show_skills(workdir.resolve(), as_json=as_json)
    raise typer.Exit(code)


@agent_app.command("run")
def agent_run(
    agent: Annotated[str, typer.Argument(help="Agent name, as in its file's `name:`.")],
    task_id: Annotated[str, typer.Option("--task-id", help="The task's ID, e.g. TASK-001.")],
    objective: Annotated[str, typer.Option("--objective", help="What the agent must achieve.")],
    criteria: Annotated[
        list[str] | None, typer.Option("--criteria", help="An acceptance criterion (repeatable).")
    ] = None,
    workdir: Annotated[Path, typer.Option("--workdir", help="Directory the agent works in.")] = Path(),
    model: Annotated[
        str | None,
        typer.Option("--model", help="sonnet|opus|haiku|inherit|anthropic:ID|openai:ID|scripted:PATH"),
    ] = None,
    max_turns: Annotated[int | None, typer.Option("--max-turns", min=1, help="Model calls allowed.")] = None,
    budget_usd: Annotated[float | None, typer.Option("--budget-usd", min=0.0, help="Dollar limit.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    no_sandbox: Annotated[
        bool,
        typer.Option(
            "--no-sandbox", help="Run agents' commands and the gate's checks unconfined, on purpose."
        ),
    ] = False,
) -> None:
    """Run one agent on one task. Exit 0 when it wrote its marker, 1 when not, 2 on usage errors."""
    from shopfloor.cli.agent import run_agent_command

    code = run_agent_command(
        agent=agent,
        task_id=task_id,
        objective=objective,
        criteria=criteria or [],
        workdir=workdir,
        model=model,
        max_turns=max_turns,
        budget_usd=budget_usd,
        as_json=as_json,
        no_sandbox=no_sandbox,
    )
    raise typer.Exit(code)


DirOpt = Annotated[Path, typer.Option("--dir", help="Project directory.")]


@app.command()
def run(
    project: DirOpt = Path(),
    decompose: Annotated[bool, typer.Option("--decompose", help="Re-run decomposition of PRD.md.")] = False,
    parallel: Annotated[int | None, typer.Option("--parallel", min=1, help="Agents at once (4).")] = None,
    budget_usd: Annotated[float | None, typer.Option("--budget-usd", min=0.0, help="Run budget.")] = None,
    task_budget_usd: Annotated[
        float | None, typer.Option("--task-budget-usd", min=0.0, help="Budget reserved per task.")
    ] = None,
    attempts: Annotated[
        int | None, typer.Option("--attempts", min=1, help="Agent sessions per task (3).")
    ] = None,
    gate_rounds: Annotated[
        int | None, typer.Option("--gate-rounds", min=1, help="Failed gate rounds per task (3).")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model spec for every agent.")] = None,
    loops: Annotated[int, typer.Option("--loops", min=0, help="Improvement loops after the queue.")] = 0,
    tdd: Annotated[bool, typer.Option("--tdd", help="Test-first tasks from decomposition.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; call no model.")] = False,
    dashboard: Annotated[bool, typer.Option("--dashboard", help="Serve the live dashboard too.")] = False,
    no_sandbox: Annotated[
        bool,
        typer.Option(
            "--no-sandbox", help="Run agents' commands and the gate's checks unconfined, on purpose."
        ),
    ] = False,
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
    )
    raise typer.Exit(code)


@app.command()
def resume(
    project: DirOpt = Path(),
    model: Annotated[str | None, typer.Option("--model", help="Model spec for every agent.")] = None,
    no_sandbox: Annotated[
        bool,
        typer.Option(
            "--no-sandbox", help="Run agents' commands and the gate's checks unconfined, on purpose."
        ),
    ] = False,
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


@app.command()
def status(
    project: DirOpt = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Tasks of the latest run: agent, model, status, attempts, cost, time."""
    from shopfloor.cli.run import status_command

    raise typer.Exit(status_command(project, as_json=as_json))


@app.command()
def abort(project: DirOpt = Path()) -> None:
    """Stop the run in progress; agents stop cleanly and worktrees are kept."""
    from shopfloor.cli.run import abort_command

    raise typer.Exit(abort_command(project))


@app.command()
def logs(task_id: Annotated[str, typer.Argument(help="Task ID.")], project: DirOpt = Path()) -> None:
    """Print a task's transcripts: turns, tool calls and results."""
    from shopfloor.cli.run import logs_command

    raise typer.Exit(logs_command(project, task_id))


@app.command()
def verify(
    task_id: Annotated[str | None, typer.Argument(help="Task whose worktree to verify.")] = None,
    tree: Annotated[Path, typer.Option("--dir", help="Tree (or project) to verify.")] = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    sarif: Annotated[
        Path | None, typer.Option("--sarif", help="Also write the findings to FILE as SARIF 2.1.0.")
    ] = None,
) -> None:
    """Run shopfloor's own checks and the security checklist. Exit 0 on pass, 1 on fail."""
    from shopfloor.cli.verify import verify_command

    raise typer.Exit(verify_command(tree, task_id, as_json=as_json, sarif=sarif))


@app.command()
def issue(
    text: Annotated[str, typer.Argument(help="What is wrong or missing.")],
    category: Annotated[str, typer.Option("--category", help="backend, frontend, ...")] = "backend",
    priority: Annotated[str, typer.Option("--priority", help="critical, high, medium, low")] = "medium",
    project: DirOpt = Path(),
) -> None:
    """Report an issue; the next improvement loop turns it into a task (safe during a run)."""
    from shopfloor.cli.run import issue_command

    raise typer.Exit(issue_command(project, text, category, priority))


@app.command()
def init(project: DirOpt = Path()) -> None:
    """Scaffold PRD.md, shopfloor.toml and .shopfloor/agents in a project."""
    from shopfloor.cli.init import init_command

    raise typer.Exit(init_command(project))


@app.command()
def demo(
    target: Annotated[Path | None, typer.Option("--dir", help="Where to copy the example.")] = None,
) -> None:
    """The whole pipeline on an example service with a scripted model: no API key, no network."""
    from shopfloor.cli.demo import demo_command

    raise typer.Exit(demo_command(target))


@app.command()
def dashboard(
    project: DirOpt = Path(),
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0 = any free).")] = 0,
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow binding a non-loopback address.")
    ] = False,
) -> None:
    """Serve the live dashboard for the project's runs (loopback only unless asked)."""
    from shopfloor.cli.verify import dashboard_command

    raise typer.Exit(dashboard_command(project, host=host, port=port, allow_remote=allow_remote))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
