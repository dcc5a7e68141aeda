"""`shopfloor agents --show` (exactly what a model receives), the agents listing, and `logs` showing
task lists and sub-agents nested."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.specs.conftest import write

LEAD = """---
name: lead
description: Leads.
tools: Read, Bash(git:*), Agent, mcp__tracker__create, TodoWrite, Write
skills: api_development
---
You are the lead.
"""
HELPER = """---
name: helper
description: Helps.
tools: Read
---
You are the helper.
"""
QUEUE = """# Task Queue

### TASK-042: Add a health endpoint
| Field | Value |
|-------|-------|
| Status | pending |
| Category | backend |
| Complexity | easy |

**Objective:** GET /health returns 200.

**Acceptance Criteria:**
- it returns {"ok": true}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    write(root / ".claude/agents/lead.md", LEAD)
    write(root / ".claude/agents/helper.md", HELPER)
    write(root / "CLAUDE.md", "Use Python 3.11.")
    return root


def cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "shopfloor", *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_show_prints_exactly_what_the_model_receives(project: Path, tmp_path: Path) -> None:
    write(tmp_path / "queue.md", QUEUE)
    proc = cli("agents", "--show", "lead", "--dir", str(project), "--task-file", str(tmp_path / "queue.md"),
               "--json", home=tmp_path / "home")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    system = shown["system"]
    assert system.startswith("You are the lead.")
    assert "Contents of CLAUDE.md (" in system and "Use Python 3.11." in system
    assert f"Working directory: {project}" in system
    assert '<skill name="api_development"' in system
    assert [t["name"] for t in shown["tools"]] == ["Read", "Write", "Bash", "TodoWrite", "Agent"]
    agent_tool = next(t for t in shown["tools"] if t["name"] == "Agent")
    assert "- helper: Helps. (Tools: Read)" in agent_tool["description"]
    assert agent_tool["input_schema"]["required"] == ["description", "prompt"]
    assert shown["tool_rules"] == ["Bash(git:*)"]
    assert shown["dropped_tools"] == []  # an MCP tool is its server's to provide; none is configured
    assert any("no running MCP server provides mcp__tracker__create" in w for w in shown["warnings"])
    assert shown["skills"]["in_full"] == ["api_development"]
    assert [m["kind"] for m in shown["memory"]] == ["project"]
    first = shown["first_message"]
    assert first.startswith(f"WORKING_DIR: {project}\nTASK_ID: TASK-042\n")
    assert "OBJECTIVE: GET /health returns 200." in first and '- it returns {"ok": true}' in first

    text = cli("agents", "--show", "lead", "--dir", str(project), home=tmp_path / "home")
    assert text.returncode == 0
    assert (
        "## System prompt" in text.stdout
        and "## Tools (5)" in text.stdout
        and "## First user message" in text.stdout
    )
    assert "warning: no running MCP server provides mcp__tracker__create" in text.stdout
    assert '"required": [\n    "description",' in text.stdout


def test_show_usage_errors_are_one_line(project: Path, tmp_path: Path) -> None:
    unknown = cli("agents", "--show", "leed", "--dir", str(project), home=tmp_path / "home")
    assert (
        unknown.returncode == 2
        and "unknown agent `leed`" in unknown.stderr
        and "Did you mean: lead" in unknown.stderr
    )
    write(tmp_path / "empty.md", "# nothing\n")
    empty = cli("agents", "--show", "lead", "--dir", str(project), "--task-file", str(tmp_path / "empty.md"),
                home=tmp_path / "home")  # fmt: skip
    assert empty.returncode == 2 and "holds no usable task" in empty.stderr
    alone = cli(
        "agents", "--task-file", str(tmp_path / "empty.md"), "--dir", str(project), home=tmp_path / "home"
    )
    assert alone.returncode == 2 and "--task-file goes with --show" in alone.stderr
    for proc in (unknown, empty, alone):
        assert "Traceback" not in proc.stderr


def test_listing_shows_what_the_model_is_offered(project: Path, tmp_path: Path) -> None:
    write(project / ".claude/agents/mcp.md", "---\nname: mcp\ndescription: x\ntools: mcp__a__b\n---\nx\n")
    proc = cli("agents", "--dir", str(project), "--json", home=tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    agents = {a["name"]: a for a in json.loads(proc.stdout)["agents"]}
    assert agents["lead"]["tools"] == ["Read", "Bash", "Agent", "TodoWrite", "Write"]
    assert agents["lead"]["dropped_tools"] == []  # MCP tools are the servers' to provide
    assert agents["lead"]["tool_rules"] == ["Bash(git:*)"]
    assert agents["mcp"]["tools"] == [] and "cannot start" not in (agents["lead"]["cannot_start"] or "")
    assert agents["mcp"]["cannot_start"] is None  # it starts when a server provides mcp__a__b


def test_logs_show_the_task_list_and_the_sub_agent_nested(project: Path, tmp_path: Path) -> None:
    todo = {"content": "Ask the helper", "status": "in_progress", "activeForm": "Asking the helper"}
    script = [
        {"tool": "TodoWrite", "input": {"todos": [todo]}},
        {
            "tool": "Agent",
            "input": {"description": "Read notes", "prompt": "Read CLAUDE.md.", "subagent_type": "helper"},
        },
        {"tool": "Read", "input": {"file_path": "CLAUDE.md"}},
        "It says: use Python 3.11.",
        {
            "tool": "Write",
            "input": {"file_path": "{workdir}/.orchestrator/complete/{task_id}.done", "content": "ok"},
        },
        "Done.",
    ]
    write(tmp_path / "script.json", json.dumps(script))
    run = cli("agent", "run", "lead", "--task-id", "T-7", "--objective", "Ask.", "--workdir", str(project),
              "--model", f"scripted:{tmp_path / 'script.json'}", home=tmp_path / "home")  # fmt: skip
    assert run.returncode == 0, run.stderr + run.stdout
    logs = cli("logs", "T-7", "--dir", str(project), home=tmp_path / "home")
    assert logs.returncode == 0, logs.stderr
    lines = logs.stdout.splitlines()
    assert "todos:" in lines and "  [>] Ask the helper" in lines
    start = lines.index(">> sub-1: helper on scripted:" + str(tmp_path / "script.json") + ": Read notes")
    assert lines[start + 1] == "    user: Read CLAUDE.md."
    assert any(line.startswith('      -> Read {"file_path": "CLAUDE.md"}') for line in lines[start:])
    assert "    turn 2: It says: use Python 3.11." in lines
    assert any(line.startswith("<< sub-1: helper completed after 2 turns") for line in lines)
    assert any(line.startswith("  <- Agent: It says: use Python 3.11.") for line in lines)


def test_show_lists_the_settings_rules_hooks_and_servers_in_force(project: Path, tmp_path: Path) -> None:
    settings = {
        "permissions": {"deny": ["Bash(git push:*)", "Write"], "ask": ["WebFetch"], "allow": ["Read(**)"]},
        "hooks": {"SubagentStop": [{"hooks": [{"type": "command", "command": "check-marker.sh"}]}]},
    }
    write(project / ".claude/settings.json", json.dumps(settings))
    write(project / ".mcp.json", json.dumps({"mcpServers": {"tracker": {"command": "tracker-mcp"}}}))
    proc = cli("agents", "--show", "lead", "--dir", str(project), home=tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "permissions deny (refused): Bash(git push:*) (.claude/settings.json), Write (" in out
    assert "permissions ask (refused (no one can confirm in an unattended run)): WebFetch" in out
    assert "permissions allow (no effect: settings never widen an agent's tools): Read(**)" in out
    assert "hook SubagentStop: check-marker.sh" in out
    assert "MCP servers (their tools: `shopfloor mcp list`): tracker" in out
    offered = out.split("tools offered")[1].splitlines()[0].split(": ", 1)[1].split(", ")
    assert offered == ["Read", "Bash", "TodoWrite", "Agent"]  # a bare deny takes Write away
