"""What is checked before a run starts (and shown by `run --dry-run`), calling no model and changing
nothing: where the repository is, the PRD, the queue, each model's spec and key, the tools the checks need,
and the sandbox that confines agents' commands and the gate's checks.
"""

from __future__ import annotations

import os
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

from shopfloor.config.settings import Settings
from shopfloor.env import inspect_env
from shopfloor.layout import Layout
from shopfloor.models.base import ModelConfigError
from shopfloor.orchestrator.launcher import model_spec
from shopfloor.orchestrator.planning import queue_problems
from shopfloor.orchestrator.prd import prd_problem
from shopfloor.orchestrator.run_options import RunOptions
from shopfloor.queue.routing import route
from shopfloor.queue.tasks import Task, load_task_queue
from shopfloor.specs.agent_catalog import discover_agents
from shopfloor.tools.sandbox import refusal, sandbox_support
from shopfloor.vcs import GitError, git

DECOMPOSITION = "decomposition"


class RunSetupError(Exception):
    """The project cannot be run as it stands (exit code 2); the message says what to do."""


def check_before_run(project: Path, settings: Settings, options: RunOptions) -> bool:
    """Raise RunSetupError for the first thing that stops a run; True when the run must decompose first.

    Nothing is written and no model is called, so a run that cannot start leaves no trace.
    """
    problem = repo_problem(project)
    if problem:
        raise RunSetupError(problem)
    queue = Layout(project).task_queue
    decompose = options.decompose or not queue.is_file()
    tasks = None
    if decompose:
        problem = prd_problem(project)
        if problem:
            raise RunSetupError(problem)
    else:
        problems = queue_problems(queue)
        if len(problems) == 1:
            raise RunSetupError(f"the task queue has a problem: {problems[0]}")
        if problems:
            raise RunSetupError("the task queue has problems:\n" + "\n".join(f"  {p}" for p in problems))
        tasks = load_task_queue(queue).tasks
    uses = model_uses(project, settings, options.model, tasks)
    for problem in [
        *hook_problems(project),
        *sandbox_problems(settings),
        *agent_problems(project, uses),
        *model_problems(project, settings, uses),
        *tool_problems(project, settings),
    ]:
        raise RunSetupError(problem)
    return decompose


@dataclass(frozen=True)
class ModelUse:
    """Who would call which model: a task, or decomposition."""

    who: str
    agent: str
    spec: str
    """The spec as given (`--model`, routing or the agent file); `inherit` means the configured default."""


def repo_problem(project: Path) -> str | None:
    """A project inside another repository (not at its root) cannot be run: say where the root is."""
    if shutil.which("git") is None:
        return "git is not installed; install it, then `shopfloor run`"
    try:
        top = git(project, "rev-parse", "--show-toplevel", check=False)
    except (GitError, OSError) as err:
        return f"git cannot read {project}: {err}"
    if not top.ok:
        return None  # not a repository yet: the run makes one
    root = Path(top.stdout.strip()).resolve()
    if root != project.resolve():
        return (
            f"{project} is inside the git repository at {root}; run shopfloor at the repository's root "
            f"(`cd {root}` and run it there)"
        )
    return None


def model_uses(
    project: Path, settings: Settings, override: str | None, tasks: list[Task] | None
) -> list[ModelUse]:
    """The models a run would call: decomposition's when `tasks` is None, else each unfinished task's."""
    if tasks is None:
        return [ModelUse(DECOMPOSITION, "decomposition-agent", _decomposition_spec(project, override))]
    uses = []
    for task in tasks:
        if task.status == "completed":
            continue
        routed = route(task, settings.routing)
        spec = model_spec(project, override, task.id, routed.model) or "inherit"
        uses.append(ModelUse(task.id, routed.agent, spec))
    return uses


def _decomposition_spec(project: Path, override: str | None) -> str:
    spec = model_spec(project, override, DECOMPOSITION, None)
    if spec:
        return spec
    found = discover_agents(project).get("decomposition-agent")
    return (found.model if found is not None else None) or "inherit"


def agent_problems(project: Path, uses: list[ModelUse]) -> list[str]:
    """Agents the run needs that cannot be loaded (with the file and line that stop them), and agent or
    skill files the task worktrees would not have because they are not committed."""
    catalog = discover_agents(project)
    problems = []
    for name in dict.fromkeys(use.agent for use in uses):
        if catalog.get(name) is None:
            problems.append(f"{catalog.missing_message(name, 'agent')} Fix it, then run shopfloor again.")
    if any(use.who != DECOMPOSITION for use in uses):
        unsaved = uncommitted_specs(project)
        if unsaved:
            problems.append(
                f"{', '.join(unsaved)} {'is' if len(unsaved) == 1 else 'are'} not committed, and each task "
                "works in a checkout of the last commit, so its agents would run without "
                f"{'it' if len(unsaved) == 1 else 'them'}; commit (`git add .shopfloor .claude && git "
                "commit`) or remove them, then run shopfloor again"
            )
    return problems


def uncommitted_specs(project: Path) -> list[str]:
    """Agent and skill files changed or added in the checkout but not committed."""
    roots = [".shopfloor/agents", ".claude/agents", ".shopfloor/skills", ".claude/skills"]
    listed = git(
        project, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *roots, check=False
    )
    if not listed.ok:
        return []  # not a repository yet: the first commit takes them in
    found = []
    for entry in filter(None, listed.stdout.split("\0")):
        path = entry[3:]
        name = path.rsplit("/", 1)[-1].lower()
        if "/agents/" in f"/{path}" and (not name.endswith(".md") or name == "readme.md"):
            continue
        found.append(path)
    return found


def model_problems(project: Path, settings: Settings, uses: list[ModelUse]) -> list[str]:
    """Each model spec that cannot be built as configured (an unknown alias, a missing key), once."""
    from shopfloor.models.resolve import resolve_model

    problems: list[str] = []
    seen: set[str] = set()
    for use in uses:
        if use.spec in seen:
            continue
        seen.add(use.spec)
        try:
            resolve_model(use.spec, agent_model=None, settings=settings.models, base_dir=project)
        except ModelConfigError as err:
            problems.append(f"{use.who}: {err}")
    return problems


def hook_problems(project: Path) -> list[str]:
    """The project's hooks and MCP servers run on this machine only once the user approved them."""
    from shopfloor.specs.approvals import approval_state, unapproved_message
    from shopfloor.specs.claude_settings import load_claude_settings

    claude = load_claude_settings(project)
    agents = discover_agents(project)
    state = approval_state(claude, agents)
    return [] if state.ok else [unapproved_message(claude, state, agents)]


def sandbox_problems(settings: Settings) -> list[str]:
    """Every run runs agents' code (their Bash, and the gate's checks of what they wrote): without a
    working sandbox it needs `--no-sandbox` (or `[sandbox] enabled = false`) said on purpose."""
    if not settings.sandbox.enabled:
        return []
    support = sandbox_support()
    return [] if support.available else [refusal(support.reason)]


def tool_problems(project: Path, settings: Settings) -> list[str]:
    """Programs the configured checks start that are not installed (nor coming with the project's setup)."""
    problems: list[str] = []
    if not settings.gate.commands:
        return problems
    # The checks run with the project's own tools first on PATH; a program not found there may still come
    # with the environment each task's worktree is set up with (a `.venv/bin`, `node_modules/.bin`).
    env = inspect_env(project, settings.env)
    path = env.overlay().apply({"PATH": os.environ.get("PATH", "")})["PATH"]
    for command in settings.gate.commands:
        try:
            words = shlex.split(command)
        except ValueError:
            problems.append(f"[gate] commands: {command!r} is not a valid shell command line")
            continue
        first = next((w for w in words if "=" not in w), "")
        if first and "/" not in first and shutil.which(first, path=path) is None and not env.spec.steps:
            problems.append(
                f"[gate] commands: {first} (in {command!r}) is not installed or not on PATH; install it, "
                "or change [gate] commands in shopfloor.toml"
            )
    return problems


def tool_notes() -> list[str]:
    """Tools whose absence slows agents down but stops nothing."""
    notes = []
    if shutil.which("rg") is None:
        notes.append("ripgrep (rg) is not installed: Grep falls back to a slower built-in search")
    return notes
