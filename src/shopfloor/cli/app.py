"""The `shopfloor` command: parse, call the library, render. Heavy imports happen inside commands.

The app is assembled here from its commands, in the order `shopfloor --help` lists them; the commands of
a run and the `agent`, `hooks` and `mcp` groups live in their own modules."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from shopfloor import __version__
from shopfloor.cli import run_commands
from shopfloor.cli.agent_commands import agent_app
from shopfloor.cli.claude_commands import hooks_app, mcp_app
from shopfloor.cli.options import DirOpt, JsonOpt

app = typer.Typer(
    name="shopfloor",
    help="Run teams of specialist coding agents on a repository, and verify their work.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

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


def tools(as_json: JsonOpt = False) -> None:
    """Show each tool's name, description and input schema exactly as a model receives them."""
    from shopfloor.tools.registry import builtin_toolset

    specs = builtin_toolset().specs()
    if as_json:
        typer.echo(json.dumps([s.model_dump() for s in specs], indent=2))
        return
    for spec in specs:
        typer.echo(f"## {spec.name}\n\n{spec.description}\n")
        typer.echo(json.dumps(spec.input_schema, indent=2) + "\n")


def agents(
    workdir: DirOpt = Path(),
    as_json: JsonOpt = False,
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


def skills(
    workdir: DirOpt = Path(),
    as_json: JsonOpt = False,
) -> None:
    """List the skills found and problems in their files."""
    from shopfloor.cli.views import show_skills

    if not workdir.is_dir():
        raise fail(f"{workdir} is not a directory; pass a project directory with --dir")
    code = show_skills(workdir.resolve(), as_json=as_json)
    raise typer.Exit(code)


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


def init(project: DirOpt = Path()) -> None:
    """Scaffold PRD.md, shopfloor.toml and .shopfloor/agents in a project."""
    from shopfloor.cli.init import init_command

    raise typer.Exit(init_command(project))


def demo(
    target: Annotated[
        Path | None, typer.Option("--dir", help="Where to copy the example.", metavar="DIR")
    ] = None,
) -> None:
    """The whole pipeline on an example service with a scripted model: no API key, no network."""
    from shopfloor.cli.demo import demo_command

    raise typer.Exit(demo_command(target))


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


for command in (
    tools,
    agents,
    skills,
    run_commands.run,
    run_commands.resume,
    run_commands.status,
    run_commands.runs,
    run_commands.abort,
    run_commands.logs,
    verify,
    run_commands.issue,
    init,
    demo,
    dashboard,
):
    app.command()(command)
app.add_typer(agent_app, name="agent")
app.add_typer(hooks_app, name="hooks", no_args_is_help=True)
app.add_typer(mcp_app, name="mcp", no_args_is_help=True)


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
