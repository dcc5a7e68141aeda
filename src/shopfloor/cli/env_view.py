"""What `shopfloor run --dry-run` says about the project's environment and the checks the gate would run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopfloor.config.settings import Settings


def environment_lines(project: Path, settings: Settings) -> list[str]:
    """The detected environment: stacks, setup, files, services, cache state."""
    from shopfloor.env import inspect_env
    from shopfloor.env.cache import EnvCache
    from shopfloor.env.setup import setup_path
    from shopfloor.layout import Layout

    env = inspect_env(project, settings.env)
    spec = env.spec
    lines = ["Environment of each task's worktree (set up before its agent, with network):"]
    lines += [f"  {line}" for line in spec.describe()]
    missing = spec.missing_tools(setup_path())
    if missing:
        names = ", ".join(missing)
        lines.append(f"  not installed: {names} (install it, or set `[env] setup`): every task would fail")
    elif spec.steps:
        cached = settings.env.cache and EnvCache(Layout(project).env_cache_dir).has(env.key)
        lines.append(
            "  cache: an install for these lockfiles is kept; a task gets a copy in about a second"
            if cached
            else "  cache: the first task installs; later tasks with the same lockfiles get a copy"
        )
    return lines


def check_lines(project: Path, settings: Settings) -> list[str]:
    """The checks the gate would run on the project as it stands, and what detection noted."""
    from shopfloor.env import inspect_env
    from shopfloor.gate.detect import detect

    env = inspect_env(project, settings.env)
    found = detect(project, task=None, settings=settings.gate, env=env)
    if settings.gate.commands:
        lines = ["Checks the gate runs ([gate] commands):"]
    else:
        lines = ["Checks the gate would run on the project as it stands:"]
    for c in found.checks:
        where = "" if c.cwd == project else f" (in {c.cwd.relative_to(project).as_posix()})"
        lines.append(f"  {c.kind}: {c.command}{where} [{c.source}]")
    if not found.checks:
        lines.append("  none found: a task could not be verified (set `[gate] commands`)")
    lines += [f"  note: {n}" for n in found.notes]
    return lines
