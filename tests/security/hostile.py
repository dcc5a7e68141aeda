"""Shared pieces for the attack tests: a project, scripted (hostile) agents, `shopfloor run` in a
subprocess, and the places where an escape would leave a trace."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from shopfloor.config.sections import SandboxSettings
from shopfloor.tools.context import ToolContext
from shopfloor.tools.shell import ShellSession
from shopfloor.tools.workspace import ReadState, Workspace

MARKER = "{workdir}/.orchestrator/complete/{task_id}.done"
GATE = '[gate]\ncommands = ["python3 -c \\"import sys\\""]\nprove_tests = false\n'


def task_block(tid: str, objective: str, criteria: str | None = None) -> str:
    return (
        f"### {tid}\n| Field | Value |\n|-------|-------|\n| Status | pending |\n"
        f"| Category | backend |\n| Complexity | normal |\n\n**Objective:** {objective}\n\n"
        f"**Acceptance Criteria:**\n- {criteria or objective}\n\n**Dependencies:** None\n"
    )


def git(cwd: Path, *args: str, check: bool = True) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=check)
    return out.stdout


def make_project(
    tmp_path: Path, toml: str = GATE, tasks: list[str] | None = None, queue: bool = True
) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "README.md").write_text("sample\n")
    (root / "shopfloor.toml").write_text(toml)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.invalid")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    (root / ".orchestrator").mkdir()
    if queue:
        blocks = [task_block(tid, f"Do {tid}.") for tid in tasks or ["TASK-001"]]
        (root / ".orchestrator" / "task_queue.md").write_text("# Tasks\n\n" + "\n".join(blocks))
    return root


def tool(name: str, **args: Any) -> dict[str, Any]:
    return {"tool_calls": [{"tool": name, "input": args}]}


def bash(command: str, **extra: Any) -> dict[str, Any]:
    return tool("Bash", command=command, **extra)


def finish(path: str = "a.py", content: str = "A = 1\n") -> list[Any]:
    """The honest end of a hostile script: real work, the marker, a final answer."""
    return [
        tool("Write", file_path=f"{{workdir}}/{path}", content=content),
        tool("Write", file_path=MARKER, content="done"),
        "Done.",
    ]


def scripts(tmp_path: Path, per_task: Mapping[str, Any]) -> Path:
    d = tmp_path / "scripts"
    d.mkdir(exist_ok=True)
    for tid, script in per_task.items():
        (d / f"{tid}.yaml").write_text(yaml.safe_dump(script))
    return d


def shopfloor(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopfloor", *args],
        cwd=cwd, env=dict(env) if env is not None else None, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def start(*args: str, cwd: Path, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "shopfloor", *args],
        cwd=cwd, env=dict(env) if env is not None else None,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def query(project: Path, sql: str, *params: object) -> list[sqlite3.Row]:
    db = project / ".orchestrator" / "state.db"
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def tool_answers(project: Path, task_id: str, name: str = "Bash") -> list[str]:
    """What the task's agent was told by its `name` calls, in order (from the run's record)."""
    import json

    rows = query(project, "SELECT payload FROM events WHERE kind = 'tool_answered' AND task_id = ?", task_id)
    answers = [json.loads(r["payload"]) for r in rows]
    return [a["content"] for a in answers if a["name"] == name]


def everything_recorded(project: Path) -> str:
    """Every byte shopfloor wrote about the run: transcripts, state.db, reports, verdicts, the queue."""
    parts: list[str] = []
    state = project / ".orchestrator"
    for path in sorted(state.rglob("*")):
        if "worktrees" in path.relative_to(state).parts or not path.is_file():
            continue
        parts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(parts)


def agent_ctx(root: Path, settings: SandboxSettings | None = None, **workspace: Any) -> ToolContext:
    ws = Workspace(root, **workspace)
    return ToolContext(workspace=ws, read_state=ReadState(), shell=ShellSession(ws, settings))


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without provider settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_", "SHOPFLOOR_"))}
    env.update(extra)
    return env
