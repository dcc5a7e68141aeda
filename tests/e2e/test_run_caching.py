"""`shopfloor run` and the prompt cache: an agent with several tasks keeps its prefix for an hour and writes
it once; one with a single task keeps the 5-minute default; `status` says what caching saved."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shopfloor.testing import FakeProvider, route_by_task

MARKER = "{workdir}/.orchestrator/complete/{task_id}.done"
TASKS = {"TASK-001": "backend", "TASK-002": "backend", "TASK-003": "frontend"}


def block(tid: str, category: str) -> str:
    return (
        f"### {tid}\n| Field | Value |\n|-------|-------|\n| Status | pending |\n"
        f"| Category | {category} |\n| Complexity | normal |\n\n**Objective:** Add {tid}.txt.\n\n"
        f"**Acceptance Criteria:**\n- {tid}.txt exists\n\n**Dependencies:** None\n"
    )


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "README.md").write_text("sample\n")
    (root / "shopfloor.toml").write_text('[gate]\ncommands = ["python3 -c \\"import sys\\""]\n')
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.name", "Test"],
        ["config", "user.email", "test@example.invalid"],
        ["add", "-A"],
        ["commit", "-q", "-m", "init"],
    ):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    (root / ".orchestrator").mkdir()
    queue = "# Tasks\n\n" + "\n".join(block(tid, cat) for tid, cat in TASKS.items())
    (root / ".orchestrator" / "task_queue.md").write_text(queue)
    return root


def turns(tid: str) -> list[Any]:
    return [
        {
            "tool_calls": [
                {"tool": "Write", "input": {"file_path": f"{{workdir}}/{tid}.txt", "content": "x\n"}}
            ]
        },
        {"tool_calls": [{"tool": "Write", "input": {"file_path": MARKER, "content": "done"}}]},
        "Done.",
    ]


def shopfloor(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "shopfloor", *args]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)


def test_an_agent_with_several_tasks_keeps_its_prefix_an_hour_and_writes_it_once(tmp_path: Path) -> None:
    root = project(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
    with FakeProvider(responder=route_by_task({t: turns(t) for t in TASKS}), prefill_s=0.2) as fake:
        env.update(fake.env())
        proc = shopfloor(
            "run", "--model", "anthropic:claude-sonnet-4-5", "--parallel", "3", cwd=root, env=env
        )
        calls = fake.calls
    assert proc.returncode == 0, proc.stdout + proc.stderr
    firsts = {c.task_id: c for c in reversed(calls)}  # each task's first call
    ttl = {tid: c.body["system"][0]["cache_control"].get("ttl", "5m") for tid, c in firsts.items()}
    assert ttl == {"TASK-001": "1h", "TASK-002": "1h", "TASK-003": "5m"}
    agents = {tid: c.system.split("\n", 1)[0] for tid, c in firsts.items()}
    assert agents["TASK-001"] == agents["TASK-002"] != agents["TASK-003"]

    status = json.loads(shopfloor("status", "--json", cwd=root, env=env).stdout)
    tasks = {t["task_id"]: t for t in status["tasks"]}
    assert all(t["cache_saved_usd"] > 0 for t in tasks.values())  # each read more than it wrote
    assert status["cache"]["saved_usd"] == pytest.approx(sum(t["cache_saved_usd"] for t in tasks.values()))
    backend = sorted(tasks[t]["usage"]["cache_write_tokens"] for t in ("TASK-001", "TASK-002"))
    assert backend[1] > 3 * backend[0]  # the two ran at once, yet only one wrote the shared prefix
    plain = shopfloor("status", cwd=root, env=env).stdout
    assert "caching saved $" in plain
