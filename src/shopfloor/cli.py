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
    from shopfloor.cli_views import show_agents

    code = show_agents(workdir.resolve(), as_json=as_json)
    raise typer.Exit(code)


@app.command()
def skills(
    workdir: Annotated[Path, typer.Option("--dir", help="Project directory.")] = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the skills found and problems in their files."""
    from shopfloor.cli_views import show_skills

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
        str | None, typer.Option("--model", help="sonnet|opus|haiku|inherit|anthropic:ID|openai:ID|scripted:PATH")
    ] = None,
    max_turns: Annotated[int | None, typer.Option("--max-turns", min=1, help="Model calls allowed.")] = None,
    budget_usd: Annotated[float | None, typer.Option("--budget-usd", min=0.0, help="Dollar limit.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Run one agent on one task. Exit 0 when it wrote its marker, 1 when not, 2 on usage errors."""
    from shopfloor.cli_agent import run_agent_command

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
    )
    raise typer.Exit(code)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
