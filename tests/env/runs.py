"""Driving `shopfloor run` on a shipped project with a scripted agent, and reading what happened."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

GIT_ID = ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]
MARKER = "{workdir}/.orchestrator/complete/{task_id}.done"


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *GIT_ID, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def task_block(task_id: str, objective: str, deps: str = "None") -> str:
    return f"""### {task_id}
| Field | Value |
|-------|-------|
| Status | pending |
| Category | backend |
| Complexity | easy |

**Objective:** {objective}

**Acceptance Criteria:**
- the project's tests pass

**Dependencies:** {deps}

"""


def new_project(template: Path, dest: Path, tasks: list[tuple[str, str]], config: str = "") -> Path:
    """A git repository holding `template`, with a task queue of `tasks` (id, objective)."""
    shutil.copytree(template, dest, ignore=shutil.ignore_patterns("node_modules", ".venv", "__pycache__"))
    if config:
        (dest / "shopfloor.toml").write_text(config)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "the project as it is")
    add_tasks(dest, tasks)
    return dest


def add_tasks(project: Path, tasks: list[tuple[str, str]]) -> None:
    queue = project / ".orchestrator" / "task_queue.md"
    queue.parent.mkdir(parents=True, exist_ok=True)
    text = queue.read_text() if queue.is_file() else "# Tasks\n\n"
    queue.write_text(text + "".join(task_block(tid, objective) for tid, objective in tasks))


def bash(command: str) -> dict[str, Any]:
    return {"tool_calls": [{"tool": "Bash", "input": {"command": command}}]}


def write(path: str, content: str) -> dict[str, Any]:
    return {
        "tool_calls": [{"tool": "Write", "input": {"file_path": f"{{workdir}}/{path}", "content": content}}]
    }


def read(path: str) -> dict[str, Any]:
    """A Read, which Write needs before it may replace a file that exists."""
    return {"tool_calls": [{"tool": "Read", "input": {"file_path": f"{{workdir}}/{path}"}}]}


def finished(*turns: dict[str, Any]) -> list[Any]:
    """The turns, then the marker and a final answer."""
    return [
        *turns,
        {"tool_calls": [{"tool": "Write", "input": {"file_path": MARKER, "content": "done"}}]},
        "Done.",
    ]


def scripts(where: Path, per_task: dict[str, list[Any]]) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    for tid, turns in per_task.items():
        (where / f"{tid}.yaml").write_text(yaml.safe_dump(turns))
    return where


def shopfloor(
    project: Path, *args: str, path: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path, "COLUMNS": "200", **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", "shopfloor", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )


def run_tasks(
    project: Path,
    where: Path,
    per_task: dict[str, list[Any]],
    path: str,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`shopfloor run` with each task's agent played from its script."""
    model = f"scripted:{scripts(where, per_task)}"
    return shopfloor(project, "run", "--model", model, path=path, extra_env=extra_env)


def bash_answers(project: Path, task_id: str) -> list[tuple[str, str, bool]]:
    """(command, what the agent was shown, is_error) for each Bash call of the task's agent."""
    out = []
    for path in sorted((project / ".orchestrator" / "runs").glob(f"*/{task_id}.jsonl")):
        calls: dict[str, str] = {}
        for line in path.read_text().splitlines():
            event = json.loads(line)
            if event.get("kind") == "tool_called" and event.get("name") == "Bash":
                calls[event["call_id"]] = event["input"]["command"]
            elif event.get("kind") == "tool_answered" and event.get("call_id") in calls:
                out.append((calls[event["call_id"]], event["content"], bool(event.get("is_error"))))
    return out


def notices(project: Path, task_id: str) -> list[str]:
    found = []
    for path in (project / ".orchestrator" / "runs").glob(f"*/{task_id}.jsonl"):
        for line in path.read_text().splitlines():
            event = json.loads(line)
            if event.get("kind") == "notice":
                found.append(event["message"])
    return found


def verdict(project: Path, task_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (project / ".orchestrator" / "verdicts" / f"{task_id}.json").read_text()
    )
    return data


def status(project: Path, path: str) -> dict[str, dict[str, Any]]:
    proc = shopfloor(project, "status", "--json", path=path)
    return {t["task_id"]: t for t in json.loads(proc.stdout)["tasks"]}


def env_log(project: Path, name: str) -> str:
    return (project / ".orchestrator" / "env" / f"{name}.log").read_text()
