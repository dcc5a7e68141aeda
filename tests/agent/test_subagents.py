"""Delegation (the Agent/Task tool): another agent runs with its own file, tools and budget slice, in
the same workspace; its final text comes back; its steps show nested in the transcript."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shopfloor.agent.events import (
    Event,
    ModelReplied,
    RunFinished,
    RunStarted,
    SubagentFinished,
    SubagentStarted,
    TodosChanged,
    ToolAnswered,
    ToolCalled,
    read_transcript,
)
from shopfloor.agent.prompts import AgentTask
from shopfloor.agent.setup import AgentRun, AgentSetupError, prepare, run_agent
from shopfloor.config.sections import LimitSettings, ToolSettings
from shopfloor.config.settings import AgentConfig
from shopfloor.models.base import Usage
from shopfloor.models.scripted import ScriptedModel
from tests.specs.conftest import write

pytestmark = pytest.mark.anyio
MARKER = {
    "tool": "Write",
    "input": {"file_path": "{workdir}/.orchestrator/complete/{task_id}.done", "content": "ok"},
}

LEAD = """---
name: lead
description: Splits work and delegates.
tools: {tools}
---
You are the lead. Delegate reading to the helper.
"""
HELPER = """---
name: helper
description: Reads files and reports what they say.
tools: Read, TodoWrite
---
You are the helper. Read what you are asked to and report it in one sentence.
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no user agents, skills or memory
    monkeypatch.delenv("CLAUDE_CODE_SUBAGENT_MODEL", raising=False)
    root = tmp_path / "proj"
    write(root / "a.txt", "alpha\n")
    write(root / ".claude/agents/helper.md", HELPER)
    return root


def lead(root: Path, tools: str = "Read, Write, Agent") -> None:
    write(root / ".claude/agents/lead.md", LEAD.format(tools=tools))


def delegate(
    agent: str = "helper", prompt: str = "Read {workdir}/a.txt and say what it holds."
) -> dict[str, Any]:
    return {"tool": "Agent", "input": {"description": "Read a.txt", "prompt": prompt, "subagent_type": agent}}


async def run(root: Path, turns: list[Any], **settings: Any) -> tuple[ScriptedModel, list[Event], str]:
    model = ScriptedModel(turns)
    events: list[Event] = []
    config = AgentConfig(
        tools=ToolSettings(**settings.pop("tools", {})), limits=settings.pop("limits", LimitSettings())
    )
    result = await run_agent(
        AgentRun(
            agent="lead",
            task=AgentTask(task_id="T-1", objective="Find out what a.txt says.", workdir=root),
            settings=config,
            model=model,
            on_event=events.append,
        )
    )
    assert result.transcript is not None
    assert read_transcript(result.transcript) == events  # what listeners saw is what was recorded
    return model, events, result.outcome


async def test_the_helper_runs_with_its_own_prompt_and_tools_and_its_report_comes_back(project: Path) -> None:
    lead(project)
    todo = {"content": "Read a.txt", "status": "in_progress", "activeForm": "Reading a.txt"}
    # The helper's paths are relative: its brief has no WORKING_DIR line for `{workdir}`.
    turns = [
        delegate(),
        {"tool_calls": [{"tool": "TodoWrite", "input": {"todos": [todo]}},
                        {"tool": "Read", "input": {"file_path": "a.txt"}}]},
        "a.txt says alpha.",
        MARKER,
        "Done: a.txt says alpha.",
    ]  # fmt: skip
    model, events, outcome = await run(project, turns)

    assert outcome == "completed"
    parent_first, sub_first, sub_second, parent_after = model.requests[:4]
    assert parent_first.system.text.startswith("You are the lead.")
    assert [t.name for t in parent_first.tools] == ["Read", "Write", "Agent"]
    agent_tool = next(t for t in parent_first.tools if t.name == "Agent")
    assert (
        "- helper: Reads files and reports what they say. (Tools: Read, TodoWrite)" in agent_tool.description
    )
    # The helper: its own system prompt and tools, a fresh conversation opened by the lead's brief.
    assert sub_first.system.text.startswith("You are the helper.")
    assert [t.name for t in sub_first.tools] == ["Read", "TodoWrite"]
    assert [m.text for m in sub_first.messages] == [f"Read {project}/a.txt and say what it holds."]
    assert "alpha" in sub_second.messages[-1].parts[1].content  # type: ignore[union-attr]
    # Its last message is the tool result the lead gets.
    answer = parent_after.messages[-1].parts[0]
    assert answer.content == "a.txt says alpha." and not answer.is_error  # type: ignore[union-attr]

    started = next(e for e in events if isinstance(e, SubagentStarted))
    assert (started.call, started.agent, started.depth, started.via) == ("sub-1", "helper", 1, [])
    nested = [e for e in events if e.via == ["sub-1"]]
    assert [type(e).__name__ for e in nested if isinstance(e, ToolCalled | ToolAnswered | TodosChanged)] == [
        "ToolCalled", "TodosChanged", "ToolAnswered", "ToolCalled", "ToolAnswered",
    ]  # fmt: skip
    assert not any(isinstance(e, RunStarted | RunFinished) for e in nested)
    finished = next(e for e in events if isinstance(e, SubagentFinished))
    assert (finished.outcome, finished.turns, finished.text) == ("completed", 2, "a.txt says alpha.")
    top = [e for e in events if isinstance(e, RunFinished)]
    assert len(top) == 1 and top[0].turns == 3
    # The helper's spend is the task's spend.
    spent = sum((e.usage for e in events if isinstance(e, ModelReplied)), Usage())
    assert top[0].usage == spent


async def test_the_old_task_name_and_an_allow_list_of_agents(project: Path) -> None:
    lead(project, tools="Read, Write, Task(helper)")
    write(project / ".claude/agents/other.md", HELPER.replace("name: helper", "name: other"))
    turns = [
        {"tool": "Task", "input": {"description": "x", "prompt": "y", "subagent_type": "other"}},
        {"tool": "Task", "input": {"description": "x", "prompt": "Say hi.", "subagent_type": "helper"}},
        "hi",
        MARKER,
        "done",
    ]
    model, _, outcome = await run(project, turns)
    assert outcome == "completed"
    assert [t.name for t in model.requests[0].tools] == ["Read", "Write", "Task"]
    refused = model.requests[1].messages[-1].parts[0]
    assert refused.is_error and "Task(helper)" in refused.content  # type: ignore[union-attr]
    assert model.requests[2].system.text.startswith("You are the helper.")


async def test_unknown_agents_and_failures_are_tool_errors(project: Path) -> None:
    lead(project)
    turns = [delegate("helpr"), MARKER, "done"]
    model, _, _ = await run(project, turns)
    error = model.requests[1].messages[-1].parts[0]
    assert error.is_error and "unknown agent type `helpr`" in error.content  # type: ignore[union-attr]
    assert "Did you mean: helper" in error.content  # type: ignore[union-attr]


async def test_the_helper_gets_a_slice_of_what_is_left(project: Path) -> None:
    lead(project)
    read = {"tool": "Read", "input": {"file_path": "a.txt"}}

    def costing(tokens: int, call: dict[str, Any]) -> dict[str, Any]:
        return {"tool_calls": [call], "usage": {"input_tokens": tokens, "output_tokens": 0}}

    turns = [costing(100, delegate()), costing(300, read), costing(300, read), costing(1, MARKER), "done"]
    model, events, _ = await run(project, turns, limits=LimitSettings(max_tokens=1100))
    # (1100 - 100) * 0.5 = 500 tokens for the helper: a second turn of 300 would pass them.
    finished = next(e for e in events if isinstance(e, SubagentFinished))
    assert finished.outcome == "budget_exceeded" and "token budget spent (600 of 500)" in finished.reason
    error = model.requests[3].messages[-1].parts[0]
    assert error.is_error and "stopped before finishing" in error.content  # type: ignore[union-attr]


async def test_delegation_stops_at_the_depth_limit(project: Path) -> None:
    lead(project)
    turns = [delegate("lead"), "report", MARKER, "done"]  # the lead may start another lead...
    model, _, _ = await run(project, turns, tools={"agent_depth": 1})
    assert model.requests[1].system.text.startswith("You are the lead.")
    assert "Agent" in [t.name for t in model.requests[0].tools]
    assert "Agent" not in [t.name for t in model.requests[1].tools]  # ...which is at the limit
    model, _, _ = await run(project, [MARKER, "done"], tools={"agent_depth": 0})
    assert "Agent" not in [t.name for t in model.requests[0].tools]


async def test_an_agent_whose_tools_all_lack_refuses_to_start(project: Path) -> None:
    write(project / ".claude/agents/lead.md", LEAD.format(tools="mcp__github__create_issue"))
    with pytest.raises(AgentSetupError, match="cannot start: none of the tools"):
        prepare(AgentRun(agent="lead", task=AgentTask(task_id="T-1", objective="x", workdir=project),
                         model=ScriptedModel([])))  # fmt: skip


async def test_project_memory_is_part_of_the_system_prompt(project: Path) -> None:
    lead(project)
    write(project / "CLAUDE.md", "Always answer in French. @docs/style.md")
    write(project / "docs/style.md", "Use tabs.")
    model, _, _ = await run(project, [delegate(), "rapport", MARKER, "fini"])
    for request in model.requests[:2]:  # the lead and the helper both get it
        assert "Contents of CLAUDE.md (" in request.system.shared
        assert "Always answer in French." in request.system.shared and "Use tabs." in request.system.shared


async def test_a_helper_with_bash_is_refused_where_commands_cannot_be_sandboxed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPFLOOR_SANDBOX", "off")  # as where bwrap does not work
    lead(project)  # the lead has no Bash, so it may start; its helper may not
    write(project / ".claude/agents/helper.md", HELPER.replace("tools: Read, TodoWrite", "tools: Read, Bash"))
    model, _, _ = await run(project, [delegate(), MARKER, "done"])
    error = model.requests[1].messages[-1].parts[0]
    assert error.is_error  # type: ignore[union-attr]
    assert "helper has Bash, and agents' commands cannot be sandboxed here" in error.content  # type: ignore[union-attr]
    assert "--no-sandbox" in error.content  # type: ignore[union-attr]
    assert all(r.system.text.startswith("You are the lead.") for r in model.requests)  # no helper ran
