"""`shopfloor agent run`: one agent on one task, from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shopfloor.cli.options import NoSandboxOpt

agent_app = typer.Typer(help="Run a single agent.", no_args_is_help=True)


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
    no_sandbox: NoSandboxOpt = False,
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
