"""MCP servers: a real stdio server (written with the `mcp` SDK in notes_server.py) called by a scripted
agent, filtered by `tools:` and the rules, and failing without taking the run down."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.claude_project import MARKER, agent, answers, approve, run_worker, settings
from tests.claude_project import project as project  # the fixture

pytestmark = pytest.mark.anyio
SERVER = str(Path(__file__).with_name("notes_server.py"))


def mcp_json(root: Path, servers: dict[str, Any]) -> None:
    (root / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))


def notes(*extra: str, **env: str) -> dict[str, Any]:
    return {"command": sys.executable, "args": [SERVER, *extra], "env": env}


async def test_an_mcp_tool_is_called_and_its_answer_reaches_the_model(project: Path) -> None:
    mcp_json(project, {"notes": notes(NOTES_SUFFIX="!")})
    approve(project)
    turns = [
        {"tool": "mcp__notes__add_note", "input": {"text": "the API needs auth"}},
        {"tool": "mcp__notes__list_notes", "input": {}},
        {"tool": "mcp__notes__shout", "input": {"text": "done"}},
        MARKER,
        "Done.",
    ]
    model, _, outcome = await run_worker(project, turns)
    assert outcome == "completed"
    offered = [t.name for t in model.requests[0].tools]
    assert offered[-3:] == ["mcp__notes__add_note", "mcp__notes__list_notes", "mcp__notes__shout"]
    add = next(t for t in model.requests[0].tools if t.name == "mcp__notes__add_note")
    assert add.description == "Keep a note for later." and "text" in add.input_schema["properties"]
    assert answers(model, 2) == ["noted (1 notes)"]
    assert answers(model, 3) == ["the API needs auth"]  # one server, shared state, for the whole run
    assert answers(model, 4) == ["DONE!"]  # its `env` reached it


async def test_tools_and_the_rules_filter_mcp_tools(project: Path) -> None:
    agent(project, tools="Read, Write, mcp__notes__list_notes, mcp__notes__shout")
    settings(project, {"permissions": {"deny": ["mcp__notes__shout"], "ask": ["mcp__notes"]}})
    mcp_json(project, {"notes": notes()})
    approve(project)
    turns = [{"tool": "mcp__notes__list_notes", "input": {}}, MARKER, "Done."]
    model, _, _ = await run_worker(project, turns)
    assert [t.name for t in model.requests[0].tools] == ["Read", "Write", "mcp__notes__list_notes"]
    assert "needs a person's confirmation (the ask rule `mcp__notes`" in answers(model, 2)[0]


async def test_a_server_that_fails_to_start_or_dies_gives_tool_errors(project: Path) -> None:
    mcp_json(
        project,
        {"gone": {"command": str(project / "no-such-server")}, "fragile": notes("--die-after", "1")},
    )
    approve(project)
    turns = [
        {"tool": "mcp__fragile__shout", "input": {"text": "a"}},
        {"tool": "mcp__fragile__shout", "input": {"text": "b"}},
        MARKER,
        "Done.",
    ]
    model, events, outcome = await run_worker(project, turns)
    assert outcome == "completed"
    assert not any(t.name.startswith("mcp__gone") for t in model.requests[0].tools)
    first, second = answers(model, 2)[0], answers(model, 3)[0]
    assert first.startswith("Error: MCP server fragile:") and second.startswith("Error: MCP server fragile")
    notices = [getattr(e, "message", "") for e in events if e.kind == "notice"]
    assert any(n.startswith("MCP server gone is not available: FileNotFoundError") for n in notices)


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[str]:
    """notes_server.py over streamable HTTP, in a process of its own; yields its URL."""
    port_file = tmp_path / "port"
    proc = subprocess.Popen([sys.executable, SERVER, "--http", str(port_file)], stderr=subprocess.PIPE)
    try:
        while not port_file.exists():  # waits for start-up; the test's answer does not hang on it
            if proc.poll() is not None:
                assert proc.stderr is not None
                raise RuntimeError(f"the HTTP server did not start: {proc.stderr.read().decode()}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port_file.read_text()}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def test_a_streamable_http_server_with_headers_from_the_environment(
    project: Path, http_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTES_TOKEN", "s3cret")
    web = {"type": "http", "url": http_server, "headers": {"Authorization": "Bearer ${NOTES_TOKEN}"}}
    mcp_json(project, {"web": web, "plain": {"type": "http", "url": http_server}})
    approve(project)
    turns = [
        {"tool": "mcp__web__add_note", "input": {"text": "over HTTP"}},
        {"tool": "mcp__web__whoami", "input": {}},
        {"tool": "mcp__plain__whoami", "input": {}},
        MARKER,
        "Done.",
    ]
    model, _, outcome = await run_worker(project, turns)
    assert outcome == "completed"
    assert "mcp__web__whoami" in [t.name for t in model.requests[0].tools]
    assert answers(model, 2) == ["noted (1 notes)"]
    assert answers(model, 3) == ["Bearer s3cret"]
    assert answers(model, 4) == ["no authorization header"]


async def test_an_agent_files_own_server_is_offered_to_that_agent_only(project: Path) -> None:
    own = json.dumps([{"mine": notes(NOTES_SUFFIX="?")}, "nowhere"])
    agent(project, extra=f"mcpServers: {own}\n")
    helper = "---\nname: helper\ndescription: Helps.\n---\nYou help.\n"
    (project / ".claude/agents/helper.md").write_text(helper)
    approve(project)  # the server is the project's (its agent file's): approved like the rest
    delegate = {"subagent_type": "helper", "description": "Help", "prompt": "Help."}
    turns = [
        {"tool": "mcp__mine__shout", "input": {"text": "mine"}},
        {"tool": "Agent", "input": delegate},
        "Helped.",
        MARKER,
        "Done.",
    ]
    model, events, outcome = await run_worker(project, turns)
    assert outcome == "completed"
    assert answers(model, 2) == ["MINE?"]
    assert not any(t.name.startswith("mcp__") for t in model.requests[2].tools)  # the helper's request
    notices = [getattr(e, "message", "") for e in events if e.kind == "notice"]
    assert any("`mcpServers` names nowhere, which no configured server" in n for n in notices)
