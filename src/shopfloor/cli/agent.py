"""`shopfloor agent run`: one agent, one task, exit codes per the CLI contract."""

from __future__ import annotations

import json
from pathlib import Path

import anyio

from shopfloor.agent.outcomes import AgentResult
from shopfloor.agent.prompts import AgentTask
from shopfloor.agent.setup import AgentRun, AgentSetupError, run_agent
from shopfloor.cli.bill import cache_line
from shopfloor.cli.progress import AgentProgress
from shopfloor.config.loader import ConfigError
from shopfloor.config.settings import AgentConfig, load_settings
from shopfloor.models.base import ContextTooSmallError, ModelConfigError, ModelError
from shopfloor.tools.redact import redact

EXIT_DONE, EXIT_NOT_DONE, EXIT_USAGE = 0, 1, 2


def result_json(result: AgentResult) -> str:
    return json.dumps(
        {
            "task_id": result.task_id,
            "outcome": result.outcome,
            "reason": result.reason,
            "turns": result.turns,
            "usage": result.usage.model_dump(),
            "cost_usd": result.cost_usd,
            "cache_saved_usd": result.cache_saved_usd,
            "duration_s": round(result.duration_s, 3),
            "transcript": str(result.transcript) if result.transcript else None,
        },
        indent=2,
    )


def run_agent_command(
    *,
    agent: str,
    task_id: str,
    objective: str,
    criteria: list[str],
    workdir: Path,
    model: str | None,
    max_turns: int | None,
    budget_usd: float | None,
    as_json: bool,
    no_sandbox: bool = False,
) -> int:
    workdir = workdir.expanduser().resolve()
    if not workdir.is_dir():
        return _usage(f"--workdir {workdir} is not a directory")
    if not task_id.strip() or any(c in task_id for c in "/\\\0") or task_id.startswith("."):
        return _usage(f"--task-id {task_id!r} is not a valid ID (letters, digits, dashes)")
    try:
        settings = load_settings(workdir, overrides={"sandbox": {"enabled": False}} if no_sandbox else None)
    except ConfigError as err:
        return _usage(str(err))
    limits = settings.limits
    if budget_usd is not None:
        limits = limits.model_copy(update={"budget_usd": budget_usd})
    task = AgentTask(task_id=task_id, objective=objective, criteria=criteria, workdir=workdir)
    progress = AgentProgress()
    run = AgentRun(
        agent=agent,
        task=task,
        settings=AgentConfig.of(settings, limits=limits),
        model_spec=model,
        max_turns=max_turns,
        on_event=progress,
    )
    try:
        with progress:
            result = anyio.run(run_agent, run)
    except (AgentSetupError, ContextTooSmallError, ModelConfigError) as err:
        return _usage(redact(str(err)))
    except ModelError as err:
        print(f"shopfloor: model error: {redact(str(err))}", flush=True)
        return EXIT_NOT_DONE
    if as_json:
        print(result_json(result))
    else:
        cost = "unknown (no price for this model)" if result.cost_usd is None else f"${result.cost_usd:.4f}"
        print(
            f"{result.task_id}: {result.outcome}"
            + (f": {result.reason}" if result.reason else "")
            + f"\n  turns {result.turns}, tokens {result.usage.total_tokens:,}, cost {cost}"
            + f"\n  {cache_line(result.usage, result.cache_saved_usd)}"
            + f"\n  transcript {result.transcript}"
        )
    return EXIT_DONE if result.outcome == "completed" else EXIT_NOT_DONE


def _usage(message: str) -> int:
    import sys

    print(f"shopfloor: {message}", file=sys.stderr)
    return EXIT_USAGE
