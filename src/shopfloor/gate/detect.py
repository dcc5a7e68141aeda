"""Which checks a tree has, from what the project says it runs: `[gate] commands` first; else its CI
workflows, its task runners (Makefile, justfile, tox, nox), then its stacks' own files (package.json
scripts, the Python tools' configuration, Go and Cargo). For each folder and kind of check (build, lint,
typecheck, test) the first of those that names one wins. Fixers run in check mode or are left out with a
note.

Task commands: the build and test commands the task queue names for the task (its own Build/Test
Command, else the queue's Project Commands) run after the configured or detected checks. Text in backticks
in an acceptance criterion runs as a check too when its first word is a known runner (see RUNNERS), e.g.
"`pytest tests/test_auth.py` passes" runs `pytest tests/test_auth.py`; anything else in backticks (names,
paths, code) is ignored.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from shopfloor.config.sections import GateSettings
from shopfloor.env.project_env import ProjectEnv, inspect_env
from shopfloor.env.stacks import project_dirs
from shopfloor.gate.commands import check_mode
from shopfloor.gate.detect_ci import ci_findings
from shopfloor.gate.detect_runners import runner_commands
from shopfloor.gate.detect_stacks import python_for, python_tool, stack_checks
from shopfloor.gate.report import Check, CheckKind, GateTask, TaskCommand

RUNNERS = frozenset(
    {
        "pytest", "python", "python3", "npm", "pnpm", "yarn", "npx", "node", "go", "make", "cargo", "ruff",
        "mypy", "tox", "nox", "uv", "poetry", "pdm", "bun", "bunx", "just", "bash", "sh",
    }
)  # fmt: skip
_PY_TOOLS = {"pytest", "ruff", "mypy", "flake8"}
_SHELL_META = re.compile(r"[|&;<>()$`\\\"'*?~]")

__all__ = ["RUNNERS", "Detected", "detect", "detect_checks", "project_dirs", "queue_checks", "task_checks"]


@dataclass
class Detected:
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What was left out or changed (a fixer skipped or run in check mode), for the report."""
    service_ports: dict[int, str] = field(default_factory=dict)
    """Ports of services the project's CI starts for its tests (5432 -> PostgreSQL)."""


def detect_checks(
    tree: Path, *, task: GateTask | None, settings: GateSettings, env: ProjectEnv | None = None
) -> list[Check]:
    """The checks to run on `tree` (see `detect`)."""
    return detect(tree, task=task, settings=settings, env=env).checks


def detect(
    tree: Path, *, task: GateTask | None, settings: GateSettings, env: ProjectEnv | None = None
) -> Detected:
    """The checks to run on `tree`: config commands or detected ones, then the task's own commands (from the
    task queue, then from its acceptance criteria)."""
    tree = tree.resolve()
    env = env or inspect_env(tree)
    found = Detected()
    if settings.commands:
        found.checks = [
            Check(name=cmd, kind="custom", shell=cmd, cwd=tree, timeout_s=settings.timeout_s, source="config")
            for cmd in settings.commands
        ]
    else:
        _detect_project(tree, settings, env, found)
    if task is not None and settings.task_commands:
        seen = {c.command for c in found.checks}
        own = queue_checks(tree, task.commands, settings, env)
        for check in own + task_checks(tree, task.acceptance_criteria, settings, env):
            if check.command not in seen:
                seen.add(check.command)
                found.checks.append(check)
    found.checks = [c.model_copy(update={"timeout_s": _limit(c, settings)}) for c in found.checks]
    return found


def _detect_project(tree: Path, settings: GateSettings, env: ProjectEnv, found: Detected) -> None:
    ci = ci_findings(tree)
    found.service_ports = ci.service_ports
    covered: set[tuple[Path, CheckKind]] = set()
    for command in ci.commands:
        cwd = (tree / command.cwd).resolve()
        if not cwd.is_dir() or not cwd.is_relative_to(tree):
            continue
        check = _shell_check(f"{command.command}", command.kind, command.command, cwd, settings, found)
        if check is not None:
            found.checks.append(check.model_copy(update={"source": "ci"}))
            covered.add((_project_of(cwd, tree), command.kind))
    for project in project_dirs(tree):
        runners: list[Check] = []
        named: dict[str, set[CheckKind]] = {}
        for rc in runner_commands(project):
            # A runner's kinds count once it is done: tox's two test commands both run, a justfile's
            # test recipe after a Makefile's test target does not.
            if (project, rc.kind) in covered or any(
                rc.kind in kinds for runner, kinds in named.items() if runner != rc.runner
            ):
                continue
            named.setdefault(rc.runner, set()).add(rc.kind)
            if rc.argv is not None:
                runners.append(
                    Check(name=rc.name, kind=rc.kind, argv=rc.argv, cwd=project, timeout_s=settings.timeout_s,
                          source="runner")
                )  # fmt: skip
            else:
                check = _shell_check(rc.name, rc.kind, rc.shell or "", project, settings, found)
                if check is not None:
                    runners.append(check.model_copy(update={"source": "runner"}))
        covered |= {(project, c.kind) for c in runners}
        found.checks += runners
        native = stack_checks(project, tree, settings, env)
        found.notes += native.notes
        found.checks += [c for c in native.checks if (project, c.kind) not in covered]


def _project_of(cwd: Path, tree: Path) -> Path:
    """The project folder a command's directory belongs to (the root, or a first-level project)."""
    dirs = project_dirs(tree)
    return next((d for d in reversed(dirs) if cwd == d or cwd.is_relative_to(d)), tree)


def _shell_check(
    name: str, kind: CheckKind, command: str, cwd: Path, settings: GateSettings, found: Detected
) -> Check | None:
    mode = check_mode(command)
    if mode.note:
        found.notes.append(mode.note)
    if mode.command is None:
        return None
    return Check(name=name if mode.command == command else mode.command, kind=kind, shell=mode.command,
                 cwd=cwd, timeout_s=settings.timeout_s)  # fmt: skip


def _limit(check: Check, settings: GateSettings) -> float:
    """A check's time limit: `[gate] timeouts` by name, command or kind, else `timeout_s`."""
    keys = (check.name, check.command, check.kind)
    return next((settings.timeouts[k] for k in keys if k in settings.timeouts), settings.timeout_s)


def task_checks(
    tree: Path, criteria: list[str], settings: GateSettings, env: ProjectEnv | None = None
) -> list[Check]:
    """Checks for the commands written in backticks in acceptance criteria."""
    env = env or inspect_env(tree)
    out = []
    for criterion in criteria:
        for snippet in re.findall(r"`([^`\n]+)`", criterion):
            command = snippet.strip()
            try:
                words = shlex.split(command)
            except ValueError:
                continue
            if not words or Path(words[0]).name not in RUNNERS:
                continue
            out.append(_task_check(tree, command, words, settings, env))
    return out


def queue_checks(
    tree: Path, commands: list[TaskCommand], settings: GateSettings, env: ProjectEnv | None = None
) -> list[Check]:
    """Checks for the build and test commands the task queue names for a task."""
    env = env or inspect_env(tree)
    out = []
    for entry in commands:
        try:
            words = shlex.split(entry.command)
        except ValueError:
            words = [entry.command]
        if not words:
            continue
        check = _task_check(tree, entry.command, words, settings, env)
        name = f"{entry.kind} command" + (" (project)" if entry.origin == "project" else "")
        out.append(check.model_copy(update={"kind": entry.kind, "name": name}))
    return out


def _task_check(tree: Path, command: str, words: list[str], settings: GateSettings, env: ProjectEnv) -> Check:
    first = Path(words[0]).name
    kind: CheckKind = "test" if first == "pytest" or "test" in words[1:2] else "custom"
    argv: list[str] | None = None
    shell: str | None = None
    if _SHELL_META.search(command):
        shell = command
    elif first in _PY_TOOLS and words[0] == first:
        argv = python_tool(first, tree, settings, env) + words[1:]
    elif first in {"python", "python3"} and words[0] == first:
        argv = [python_for(tree, settings, env), *words[1:]]
    else:
        argv = words
    return Check(
        name=command, kind=kind, argv=argv, shell=shell, cwd=tree, timeout_s=settings.timeout_s, source="task"
    )
