"""`shopfloor run` on a project built for Claude Code: its MCP server starts once for the whole run and
is shared by the tasks, and its completion-marker hook sends an agent back to work in its worktree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.e2e.test_orchestrator import QUEUE, git

pytestmark = pytest.mark.slow
SERVER = Path(__file__).resolve().parents[1] / "mcp" / "notes_server.py"
MARKER_CHECK = """#!/usr/bin/env bash
# No marker, no stopping (the hook of the orchestrator this project was built for).
if ls "$CLAUDE_PROJECT_DIR"/.orchestrator/complete/*.done >/dev/null 2>&1; then exit 0; fi
echo "No completion marker yet: write it once the work is verified." >&2
exit 2
"""
AGENT = "---\nname: backend-agent\ndescription: Builds things.\n---\nYou build things.\n"
MARKER = {
    "tool": "Write",
    "input": {"file_path": "{workdir}/.orchestrator/complete/{task_id}.done", "content": "ok"},
}


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    write(root / "shopfloor.toml", '[gate]\ncommands = ["python3 -c \\"import sys\\""]\n')
    write(root / ".claude/agents/backend-agent.md", AGENT)
    write(root / ".claude/hooks/marker.sh", MARKER_CHECK)
    (root / ".claude/hooks/marker.sh").chmod(0o755)
    command = '"$CLAUDE_PROJECT_DIR"/.claude/hooks/marker.sh'
    hooks = {"SubagentStop": [{"hooks": [{"type": "command", "command": command}]}]}
    write(root / ".claude/settings.json", json.dumps({"hooks": hooks}))
    notes = {"command": sys.executable, "args": [str(SERVER), "--started", str(tmp_path / "started")]}
    write(root / ".mcp.json", json.dumps({"mcpServers": {"notes": notes}}))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    first, second = QUEUE.split("### TASK-003")[0].split("### TASK-002")
    second = second.replace("**Dependencies:** None", "**Dependencies:** TASK-001")  # after its note
    write(root / ".orchestrator/task_queue.md", f"{first}### TASK-002{second}")
    return root


def shopfloor(root: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    return subprocess.run(
        [sys.executable, "-m", "shopfloor", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def events(root: Path, task_id: str) -> list[dict[str, object]]:
    [path] = (root / ".orchestrator/runs").glob(f"*/{task_id}*.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_one_server_for_the_run_and_the_marker_hook_in_each_worktree(project: Path, tmp_path: Path) -> None:
    scripts = tmp_path / "scripts"
    write(
        scripts / "TASK-001.yaml",
        yaml.safe_dump(
            [
                {"tool": "mcp__notes__add_note", "input": {"text": "a.py holds A"}},
                {"tool": "Write", "input": {"file_path": "{workdir}/a.py", "content": "A = 1\n"}},
                "All done.",  # no marker yet: the hook sends the agent back
                MARKER,
                "Done.",
            ]
        ),
    )
    write(
        scripts / "TASK-002.yaml",
        yaml.safe_dump(
            [
                {"tool": "mcp__notes__list_notes", "input": {}},
                {"tool": "Write", "input": {"file_path": "{workdir}/b.py", "content": "B = 2\n"}},
                MARKER,
                "Done.",
            ]
        ),
    )
    refused = shopfloor(project, tmp_path, "run", "--model", f"scripted:{scripts}")
    assert refused.returncode == 2 and "`shopfloor hooks approve`" in refused.stderr
    assert shopfloor(project, tmp_path, "hooks", "approve").returncode == 0

    done = shopfloor(project, tmp_path, "run", "--model", f"scripted:{scripts}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (project / "a.py").is_file() and (project / "b.py").is_file()
    # One server for the run: TASK-002 reads the note TASK-001 left in it.
    assert len((tmp_path / "started").read_text().splitlines()) == 1
    answered = [e for e in events(project, "TASK-002") if e["kind"] == "tool_answered"]
    assert answered[0]["content"] == "a.py holds A"
    # The hook ran in TASK-001's worktree, found no marker, and the agent went back to work.
    ran = [(e["event"], e["outcome"]) for e in events(project, "TASK-001") if e["kind"] == "hook_ran"]
    assert ran == [("SubagentStop", "blocked"), ("SubagentStop", "ok")]
    said = [e["text"] for e in events(project, "TASK-001") if e["kind"] == "user_message"]
    assert "No completion marker yet: write it once the work is verified." in said
