"""The tools added for Claude Code agents, end to end over the wire: an agent file naming them runs
against the fake Anthropic API, and the schemas sent and the answers returned have Claude Code's shape
(names, parameters, enums, required fields, answer text)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shopfloor.agent.prompts import AgentTask
from shopfloor.agent.setup import AgentRun, run_agent
from shopfloor.config.sections import ModelSettings
from shopfloor.config.settings import AgentConfig
from shopfloor.models.anthropic import AnthropicModel
from shopfloor.testing import FakeProvider
from shopfloor.testing.exchange import RecordedRequest
from tests.specs.conftest import write

pytestmark = pytest.mark.anyio

AGENT = """---
name: researcher
description: Researches and keeps notes.
tools: Read, TodoWrite, LS, NotebookEdit, WebFetch, WebSearch, Task, Write
---
You research things.
"""
HELPER = """---
name: summariser
description: Sums things up.
tools: Read
---
You sum things up.
"""
NOTEBOOK = {
    "cells": [{"cell_type": "code", "id": "c1", "metadata": {}, "execution_count": 1, "outputs": [],
               "source": ["1 + 1"]}],
    "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
}  # fmt: skip

# Claude Code's parameters for each tool: (required, optional), and the enums it uses.
SCHEMAS = {
    "TodoWrite": ({"todos"}, set()),
    "LS": ({"path"}, {"ignore"}),
    "NotebookEdit": ({"notebook_path", "new_source"}, {"cell_id", "cell_type", "edit_mode"}),
    "WebFetch": ({"url", "prompt"}, set()),
    "WebSearch": ({"query"}, {"allowed_domains", "blocked_domains"}),
    "Task": ({"description", "prompt"}, {"subagent_type", "model", "run_in_background"}),
}


def call(tool: str, **args: Any) -> dict[str, Any]:
    return {"tool_calls": [{"tool": tool, "input": args}]}


def results(request: RecordedRequest) -> list[dict[str, Any]]:
    return [b for b in request.messages[-1]["content"] if b.get("type") == "tool_result"]


def text(block: dict[str, Any]) -> str:
    content = block["content"]
    return content if isinstance(content, str) else "".join(c.get("text", "") for c in content)


async def test_new_tools_over_the_wire(
    tmp_path: Path, fake_provider_env: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    root = tmp_path / "proj"
    write(root / ".claude/agents/researcher.md", AGENT)
    write(root / ".claude/agents/summariser.md", HELPER)
    write(root / "nb.ipynb", json.dumps(NOTEBOOK))
    write(root / "src/app.py", "print('hi')\n")
    todo = {"content": "Survey the code", "status": "in_progress", "activeForm": "Surveying the code"}
    fake = fake_provider_env
    fake.push(
        call("TodoWrite", todos=[todo]),
        call("LS", path="{workdir}"),
        call("Read", file_path="{workdir}/nb.ipynb"),
        call("NotebookEdit", notebook_path="{workdir}/nb.ipynb", cell_id="c1", new_source="2 + 2"),
        call("WebFetch", url="https://example.com/", prompt="What is it?"),
        call("WebSearch", query="shopfloor agents"),
        {"text": "Found one page.", "web_searches": [{"query": "shopfloor agents",
                                                       "results": [{"title": "Home", "url": "https://e.org/"}]}]},
        call("Task", description="Sum up", prompt="Sum up the notebook.", subagent_type="summariser"),
        "The notebook adds two and two.",
        call("Write", file_path="{workdir}/.orchestrator/complete/{task_id}.done", content="ok"),
        "All done.",
    )  # fmt: skip
    model = AnthropicModel(
        "claude-sonnet-4-6", api_key="sk-test-key-123456", base_url=fake.anthropic_base_url
    )
    try:
        result = await run_agent(
            AgentRun(
                agent="researcher",
                task=AgentTask(task_id="T-9", objective="Research.", workdir=root),
                settings=AgentConfig(models=ModelSettings(anthropic_base_url=fake.anthropic_base_url)),
                model=model,
            )
        )
    finally:
        await model.aclose()
    assert result.outcome == "completed", result.reason
    calls = fake.calls
    assert len(calls) == 11

    tools = {t["name"]: t for t in calls[0].body["tools"]}
    assert list(tools) == [
        "Read",
        "Write",
        "LS",
        "NotebookEdit",
        "TodoWrite",
        "WebFetch",
        "WebSearch",
        "Task",
    ]
    for name, (required, optional) in SCHEMAS.items():
        schema = tools[name]["input_schema"]
        assert set(schema.get("required", [])) == required, name
        assert set(schema["properties"]) == required | optional, name
        assert schema["additionalProperties"] is False
    assert "$defs" not in json.dumps(tools["TodoWrite"])  # the item is spelled out, as Claude Code's is
    item = tools["TodoWrite"]["input_schema"]["properties"]["todos"]["items"]
    assert set(item["required"]) == {"content", "status", "activeForm"}
    assert item["properties"]["status"]["enum"] == ["pending", "in_progress", "completed"]
    notebook = tools["NotebookEdit"]["input_schema"]["properties"]
    assert json.dumps(notebook["edit_mode"]).count('"replace"') == 1 and '"delete"' in json.dumps(notebook)
    assert "- summariser: Sums things up. (Tools: Read)" in tools["Task"]["description"]

    answers = [text(results(r)[0]) if results(r) else None for r in calls]
    assert answers[1].startswith("Todos have been modified successfully.")  # type: ignore[union-attr]
    assert answers[2] == f"- {root}/\n  - nb.ipynb\n  - src/\n    - app.py"
    assert answers[4] == "Updated cell c1 with 2 + 2"
    assert json.loads((root / "nb.ipynb").read_text())["cells"][0]["source"] == ["2 + 2"]
    fetch = results(calls[5])[0]
    assert fetch.get("is_error") is True and "`web = true` under `[tools]`" in text(fetch)
    search_call = calls[6]  # the side request: haiku with the server tool
    assert search_call.body["model"].startswith("claude-haiku")
    assert search_call.body["tools"][0]["type"] == "web_search_20250305"
    assert answers[7].startswith(
        'Web search results for query: "shopfloor agents"\n\nLinks: [{"title": "Home"'
    )  # type: ignore[union-attr]
    helper = calls[8]
    assert helper.system.startswith("You sum things up.") and [t["name"] for t in helper.body["tools"]] == [
        "Read"
    ]
    assert helper.first_user_text == "Sum up the notebook."
    assert answers[9] == "The notebook adds two and two."
