"""The `shopfloor` command: parse, call the library, render. Heavy imports happen inside commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from shopfloor import __version__
from shopfloor.cli.claude_commands import hooks_app, mcp_app

app = typer.Typer(
    name="shopfloor",
    help="Run teams of specialist coding agents on a repository, and verify their work.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
agent_app = typer.Typer(help="Run a single agent.", no_args_is_help=True)
app.add_typer(agent_app, name="agent")
app.add_typer(hooks_app, name="hooks", no_args_is_help=True)
app.add_typer(mcp_app, name="mcp", no_args_is_help=True)

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
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version.", metavar=""),
    ] = False,
) -> None:
    """shopfloor: agents that write code, a harness that checks it."""


@app.command()
def tools(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.", metavar="")] = False) -> None:
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
    workdir: Annotated[Path, typer.Option("--dir", help="Project directory.", metavar="DIR")] = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.", metavar="")] = False,
    show: Annotated[
        str | None,
        typer.Option("--show", help="Print exactly what a model receives as this agent.", metavar="NAME"),
    ] = None,
    task_file: Annotated[
        Path | None,
        typer.Option(
            "--task-file", help="With --show: a task-queue file whose first task to use.", metavar="FILE"
        ),
    ] = None,
) -> None:
    """List the agents found (project, user, built-in) and problems in their files."""
    if not workdir.is_dir():
        raise fail(f"{workdir} is not a directory; pass a project directory with --dir")
    if show is not None:
        from shopfloor.cli.agent_show import show_agent

        raise typer.Exit(show_agent(workdir.resolve(), show, task_file=task_file, as_json=as_json))
    if task_file is not None:
        raise fail("--task-file goes with --show NAME")
    from shopfloor.cli.views import show_agents

    code = show_agents(workdir.resolve(), as_json=as_json)
    raise typer.Exit(code)


@app.command()
def skills(
    workdir: Annotated[Path, typer.Option("--dir", help="Project directory.", metavar="DIR")] = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.", metavar="")] = False,
) -> None:
    """List the skills found and problems in their files."""
    from shopfloor.cli.views import show_skills

    if not workdir.is_dir():
        raise fail(f"{workdir} is not a directory; pass a project directory with --dir")
    code = show_skills(workdir.resolve(), as_json=as_json)
    raise typer.Exit(code)


@agent_app.command("run")
def agent_run(
    agent: Annotated[str, typer.Argument(help="Agent name, as in its file's `name:`.", metavar="AGENT")],
    task_id: Annotated[str, typer.Option("--task-id", help="The task's ID, e.g. TASK-001.", metavar="ID")],
    objective: Annotated[
        str, typer.Option("--objective", help="What the agent must achieve.", metavar="TEXT")
    ],
    criteria: Annotated[
        list[str] | None,
        typer.Option("--criteria", help="An acceptance criterion (repeatable).", metavar="TEXT"),
    ] = None,
    workdir: Annotated[
        Path, typer.Option("--workdir", help="Directory the agent works in.", metavar="DIR")
    ] = Path(),
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="sonnet, opus, haiku, inherit, anthropic:ID, openai:ID or scripted:PATH.",
            metavar="SPEC",
        ),
    ] = None,
    max_turns: Annotated[
        int | None, typer.Option("--max-turns", min=1, help="Model calls allowed.", metavar="N")
    ] = None,
    budget_usd: Annotated[
        float | None, typer.Option("--budget-usd", min=0.0, help="Dollar limit.", metavar="USD")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.", metavar="")] = False,
    no_sandbox: Annotated[
        bool,
        typer.Option(
            "--no-sandbox",
            help="Run agents' commands and the gate's checks unconfined, on purpose.",
            metavar="",
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


DirOpt = Annotated[Path, typer.Option("--dir", help="Project directory.", metavar="DIR")]


@app.command()
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
    no_sandbox: Annotated[
        bool,
        typer.Option(
            "--no-sandbox",
            help="Run agents' commands and the gate's checks unconfined, on purpose.",
            metavar="",
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
        executor=executor,
        ray_address=ray_address,
    )
    raise typer.Exit(code)


@app.command()
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
    no_sandbox: Annotated[
        bool,
        typer.Option(
            "--no-sandbox",
            help="Run agents' commands and the gate's checks unconfined, on purpose.",
            metavar="",
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
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.", metavar="")] = False,
    run_id: Annotated[
        int | None,
        typer.Option("--run", min=1, help="This run instead of the latest (`shopfloor runs`).", metavar="N"),
    ] = None,
) -> None:
    """Tasks of the latest run (or --run N): agent, model, status, attempts, cost, time."""
    from shopfloor.cli.run import status_command

    raise typer.Exit(status_command(project, as_json=as_json, run_id=run_id))


@app.command()
def runs(
    project: DirOpt = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.", metavar="")] = False,
) -> None:
    """Every run recorded here: when it started, how it ended, tasks done, cost."""
    from shopfloor.cli.run import runs_command

    raise typer.Exit(runs_command(project, as_json=as_json))


@app.command()
def abort(project: DirOpt = Path()) -> None:
    """Stop the run in progress; agents stop cleanly and worktrees are kept."""
    from shopfloor.cli.run import abort_command

    raise typer.Exit(abort_command(project))


@app.command()
def logs(
    task_id: Annotated[str, typer.Argument(help="Task ID.", metavar="TASK-ID")], project: DirOpt = Path()
) -> None:
    """Print a task's transcripts: turns, tool calls and results."""
    from shopfloor.cli.run import logs_command

    raise typer.Exit(logs_command(project, task_id))


@app.command()
def verify(
    task_id: Annotated[
        str | None, typer.Argument(help="Task whose worktree to verify.", metavar="TASK-ID")
    ] = None,
    tree: Annotated[Path, typer.Option("--dir", help="Tree (or project) to verify.", metavar="DIR")] = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.", metavar="")] = False,
    sarif: Annotated[
        Path | None,
        typer.Option("--sarif", help="Also write the findings to FILE as SARIF 2.1.0.", metavar="FILE"),
    ] = None,
) -> None:
    """Run shopfloor's own checks and the security checklist. Exit 0 on pass, 1 on fail."""
    from shopfloor.cli.verify import verify_command

    raise typer.Exit(verify_command(tree, task_id, as_json=as_json, sarif=sarif))


@app.command()
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


@app.command()
def init(project: DirOpt = Path()) -> None:
    """Scaffold PRD.md, shopfloor.toml and .shopfloor/agents in a project."""
    from shopfloor.cli.init import init_command

    raise typer.Exit(init_command(project))


@app.command()
def demo(
    target: Annotated[
        Path | None, typer.Option("--dir", help="Where to copy the example.", metavar="DIR")
    ] = None,
) -> None:
    """The whole pipeline on an example service with a scripted model: no API key, no network."""
    from shopfloor.cli.demo import demo_command

    raise typer.Exit(demo_command(target))


@app.command()
def dashboard(
    project: DirOpt = Path(),
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port (0 = any free).", metavar="N")
    ] = 0,
    host: Annotated[str, typer.Option("--host", help="Address to bind.", metavar="ADDRESS")] = "127.0.0.1",
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow binding a non-loopback address.", metavar="")
    ] = False,
) -> None:
    """Serve the live dashboard for the project's runs (loopback only unless asked)."""
    from shopfloor.cli.verify import dashboard_command

    raise typer.Exit(dashboard_command(project, host=host, port=port, allow_remote=allow_remote))


def main() -> None:
    import errno
    import sqlite3

    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except (OSError, sqlite3.OperationalError) as err:
        # The machine, not the input, failed: say so in one line, without a traceback.
        full = isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
        if full or "full" in str(err) or "disk I/O" in str(err):
            typer.echo(
                f"shopfloor: the disk is full ({err}); free some space, then run the command again", err=True
            )
            sys.exit(USAGE_ERROR)
        raise
