"""A project carrying Claude Code settings, for the tests of permissions, hooks and MCP servers:
the user's home and configuration folder are the test's own, so nothing of the machine's leaks in."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from shopfloor.agent.events import Event, read_transcript
from shopfloor.agent.prompts import AgentTask
from shopfloor.agent.setup import AgentRun, run_agent
from shopfloor.config.sections import SandboxSettings
from shopfloor.config.settings import AgentConfig
from shopfloor.models.scripted import ScriptedModel

MARKER = {
    "tool": "Write",
    "input": {"file_path": "{workdir}/.orchestrator/complete/{task_id}.done", "content": "ok"},
}
AGENT = """---
name: worker
description: Does the task.
{tools}---
You are the worker.
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print('hi')\n")
    agent(root)
    return root


def agent(root: Path, tools: str | None = None, extra: str = "") -> None:
    path = root / ".claude" / "agents" / "worker.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(AGENT.format(tools=(f"tools: {tools}\n" if tools else "") + extra))


def settings(root: Path, data: dict[str, Any], name: str = "settings.json") -> None:
    path = root / ".claude" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def script(root: Path, name: str, body: str) -> Path:
    """An executable hook script under `.claude/hooks/`."""
    path = root / ".claude" / "hooks" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def hook(event: str, command: str, matcher: str = "") -> dict[str, Any]:
    return {event: [{"matcher": matcher, "hooks": [{"type": "command", "command": command}]}]}


def approve(root: Path) -> None:
    from shopfloor.specs.agent_catalog import discover_agents
    from shopfloor.specs.approvals import record_approval
    from shopfloor.specs.claude_settings import load_claude_settings

    record_approval(load_claude_settings(root), discover_agents(root))


async def run_worker(root: Path, turns: list[Any]) -> tuple[ScriptedModel, list[Event], str]:
    model = ScriptedModel(turns)
    events: list[Event] = []
    result = await run_agent(
        AgentRun(
            agent="worker",
            task=AgentTask(task_id="T-1", objective="Do the task.", workdir=root),
            settings=AgentConfig(sandbox=SandboxSettings(enabled=False)),
            model=model,
            on_event=events.append,
        )
    )
    assert result.transcript is not None
    assert read_transcript(result.transcript) == events
    return model, events, result.outcome


def answers(model: ScriptedModel, turn: int) -> list[str]:
    """The tool results the model got in its `turn`-th request (1-based)."""
    last = model.requests[turn - 1].messages[-1]
    return [getattr(p, "content", "") for p in last.parts]


def environ_without_keys() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_"))}
