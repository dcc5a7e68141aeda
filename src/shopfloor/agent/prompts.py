"""The texts the loop gives a model: the system prompt's parts, the task prompt, reminders."""

from __future__ import annotations

import platform
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from shopfloor.layout import Layout
from shopfloor.models.base import CacheTTL, SystemPrompt
from shopfloor.vcs import GitError, git

SHARED_PARTS = ("agent", "memory", "skills")
"""System prompt parts that are the same for every task of an agent, in order. With the tools they
form one cached prefix, so keep anything that names a task's directory, branch or date out of them."""
TASK_PARTS = ("environment",)
"""Parts that differ per task; they follow the shared prefix."""


@dataclass(frozen=True)
class AgentTask:
    """One task for one agent, as the CLI contract describes it."""

    task_id: str
    objective: str
    criteria: list[str] = field(default_factory=list)
    workdir: Path = Path()
    context: str = ""
    """Extra text after the contract lines: the task's data models, security notes, files, and so on."""

    @property
    def marker_path(self) -> Path:
        return Layout(self.workdir).marker(self.task_id)

    @property
    def failed_marker_path(self) -> Path:
        return Layout(self.workdir).marker(self.task_id, "failed")


def system_prompt(parts: Mapping[str, str], *, shared_ttl: CacheTTL = "5m") -> SystemPrompt:
    """The system prompt from named parts: the shared ones first, then the task's own; empty ones left out."""
    unknown = sorted(set(parts) - {*SHARED_PARTS, *TASK_PARTS})
    if unknown:
        raise ValueError(f"unknown system prompt part(s): {', '.join(unknown)}")

    def joined(names: tuple[str, ...]) -> str:
        return "\n\n".join(text for name in names if (text := parts.get(name, "").strip()))

    return SystemPrompt(shared=joined(SHARED_PARTS), task=joined(TASK_PARTS), shared_ttl=shared_ttl)


def task_prompt(task: AgentTask) -> str:
    """The first user message. Its first lines are a contract other programs parse; keep their order."""
    lines = [
        f"WORKING_DIR: {task.workdir}",
        f"TASK_ID: {task.task_id}",
        "",
        f"OBJECTIVE: {task.objective.strip()}",
        "",
        "ACCEPTANCE CRITERIA:",
        *(f"- {c.strip()}" for c in task.criteria),
    ]
    if not task.criteria:
        lines.append("- The objective above is met and the project's checks pass.")
    lines += [
        "",
        f"COMPLETION MARKER: {task.marker_path}",
        f"When the work is done and verified, write the file {task.marker_path} (any short content). "
        "The orchestrator waits for it and then re-runs the checks itself. If you cannot finish, "
        f"write {task.failed_marker_path} with the reason instead.",
    ]
    if task.context.strip():
        lines += ["", task.context.strip()]
    return "\n".join(lines) + "\n"


def _git(workdir: Path, *args: str) -> str:
    try:
        out = git(workdir, *args, check=False, timeout_s=5)
    except (OSError, GitError):
        return ""
    return out.stdout.rstrip() if out.ok else ""  # `status --short` lines start with a space


def _branch(heading: str) -> str:
    """The branch in `status --branch`'s first line (`## main...origin/main [ahead 1]`); HEAD when
    detached, nothing before the first commit."""
    name = heading.removeprefix("## ")
    if not name or name.startswith(("No commits yet on ", "Initial commit on ")):
        return ""
    return "HEAD" if name.startswith("HEAD (no branch)") else name.split("...")[0].split(" [")[0].strip()


def git_status(workdir: Path) -> str:
    """`git status` as the environment block reads it: the branch line, then the changes."""
    return _git(workdir, "status", "--short", "--branch")  # one git call for both


class StatusAhead:
    """`git_status` started now, in a thread, and read when the prompt is built: git runs while the
    agent's files are read."""

    def __init__(self, workdir: Path) -> None:
        self._out = ""
        self._thread = threading.Thread(target=self._read, args=(workdir,), daemon=True)
        self._thread.start()

    def _read(self, workdir: Path) -> None:
        self._out = git_status(workdir)

    def result(self) -> str:
        self._thread.join()
        return self._out


def environment_block(
    workdir: Path,
    *,
    today: date | None = None,
    status_lines: int = 20,
    installed: bool = False,
    status: str | None = None,
) -> str:
    """Facts about where this task runs: the per-task part of the system prompt. `installed`: the project's
    dependencies were set up in this worktree before the agent started. `status`: `git_status(workdir)`,
    when it was read already."""
    found = (git_status(workdir) if status is None else status).splitlines()
    heading, changes = (found[0], found[1:]) if found and found[0].startswith("## ") else ("", found)
    branch = _branch(heading)
    if len(changes) > status_lines:
        changes = [*changes[:status_lines], f"... and {len(changes) - status_lines} more"]
    lines = [
        "# Environment",
        f"Working directory: {workdir}",
        f"Platform: {platform.system().lower()} ({platform.machine()})",
        f"Today's date: {(today or date.today()).isoformat()}",
        f"Is a git repository: {'yes' if branch else 'no'}",
    ]
    if branch:
        lines.append(f"Git branch: {branch}")
        lines.append("Git status:" + (" clean" if not changes else "\n" + "\n".join(changes)))
    if installed:
        lines.append(
            "Dependencies: installed in this working directory before you started; its own tools "
            "(.venv, node_modules/.bin) come first on PATH. Commands may have no network, so do not try "
            "to install packages: declare a new dependency in the project's manifest (package.json, "
            "pyproject.toml, requirements.txt) and it is installed before verification."
        )
    return "\n".join(lines)


def marker_reminder(task: AgentTask, attempt: int) -> str:
    """Sent when the model ends its turn without having written the marker."""
    return (
        f"You ended your turn, but {task.marker_path} does not exist yet (reminder {attempt} of 2). "
        "If the task is finished, verify it (build, lint, tests) and then write that file. If more work "
        "is needed, continue. If you cannot finish, write "
        f"{task.failed_marker_path} with the reason."
    )
