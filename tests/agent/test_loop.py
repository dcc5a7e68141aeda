"""The agent loop with the scripted model and real tools: outcomes, budgets, tool answers, transcript."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shopfloor.agent.budget import Budget
from shopfloor.agent.elision import elide_old_results
from shopfloor.agent.events import (
    Event,
    ModelReplied,
    RunFinished,
    ToolAnswered,
    ToolCalled,
    Transcript,
    UserMessage,
    read_transcript,
)
from shopfloor.agent.loop import AgentLoop
from shopfloor.agent.prompts import AgentTask
from shopfloor.config.sections import LimitSettings, SandboxSettings
from shopfloor.models.base import Message, Price, SystemPrompt, TextPart, ToolResultPart, ToolUsePart
from shopfloor.models.scripted import ScriptedModel
from shopfloor.tools.registry import agent_toolset, make_context

pytestmark = pytest.mark.anyio
MARKER = "{workdir}/.orchestrator/complete/{task_id}.done"


def make_loop(
    root: Path, turns: list[Any], *, limits: LimitSettings | None = None, price: Price | None = None
) -> tuple[AgentLoop, list[Event]]:
    events: list[Event] = []
    task = AgentTask(task_id="T-1", objective="Do it.", criteria=["it is done"], workdir=root)
    loop = AgentLoop(
        model=ScriptedModel(turns, price=price),
        toolset=agent_toolset(["Read", "Write", "Edit", "Glob", "Grep", "Bash"], [], has_skills=False),
        ctx=make_context(root, sandbox=SandboxSettings(enabled=False)),
        task=task,
        system=SystemPrompt(shared="You are a test agent."),
        budget=Budget(limits or LimitSettings()),
        emit=events.append,
    )
    return loop, events


def write_marker() -> dict[str, Any]:
    return {"tool_calls": [{"tool": "Write", "input": {"file_path": MARKER, "content": "done"}}]}


async def test_marker_completes_and_all_calls_of_a_turn_are_answered_in_order(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha\n")
    turns = [
        {
            "tool_calls": [
                {"tool": "Read", "input": {"file_path": "{workdir}/a.txt"}},
                {"tool": "Glob", "input": {"pattern": "*.txt"}},
                {"tool": "Grep", "input": {"pattern": "alpha"}},
            ]
        },
        write_marker(),
        "All done.",
    ]
    loop, events = make_loop(tmp_path, turns)
    result = await loop.run()
    assert result.outcome == "completed" and result.turns == 3
    answers = loop.messages[2].parts
    assert [type(p) for p in answers] == [ToolResultPart] * 3
    ids = [p.id for p in loop.messages[1].parts if isinstance(p, ToolUsePart)]
    assert [p.tool_use_id for p in answers if isinstance(p, ToolResultPart)] == ids
    assert "alpha" in answers[0].content  # type: ignore[union-attr]
    assert isinstance(events[-1], RunFinished) and events[-1].outcome == "completed"


async def test_failed_marker_ends_as_failed_with_the_agents_reason(tmp_path: Path) -> None:
    failed = "{workdir}/.orchestrator/complete/{task_id}.failed"
    reason = "the API spec is missing"
    fail = {"tool_calls": [{"tool": "Write", "input": {"file_path": failed, "content": reason}}]}
    loop, _ = make_loop(tmp_path, [fail, "I cannot finish."])
    result = await loop.run()
    assert result.outcome == "failed" and "the API spec is missing" in result.reason


async def test_bad_tool_arguments_and_unknown_tools_come_back_as_errors(tmp_path: Path) -> None:
    turns = [
        {"tool_calls": [{"tool": "Read", "input": {"file_path": 5, "bogus": True}}]},
        {"tool_calls": [{"tool": "Read", "raw_arguments": '{"file_path": "/tmp/x'}]},
        {"tool_calls": [{"tool": "WebFetch", "input": {"url": "http://x"}}]},
        {"tool_calls": [{"tool": "Read", "raw_arguments": '["/tmp/x"]'}]},
        write_marker(),
        "done",
    ]
    loop, events = make_loop(tmp_path, turns)
    result = await loop.run()
    assert result.outcome == "completed"
    answers = [e for e in events if isinstance(e, ToolAnswered)]
    assert all(a.is_error for a in answers[:4])
    assert "bogus" in answers[0].content
    # One message, said once, with what was sent and what to do.
    assert answers[1].content == (
        "Error: the arguments for Read are not valid JSON (Unterminated string starting at: line 1 column "
        '15 (char 14)). You sent: {"file_path": "/tmp/x\n'
        "Send the call again with the arguments as one JSON object."
    )
    assert "No such tool available: WebFetch" in answers[2].content and "Bash" in answers[2].content
    assert answers[3].content.startswith("Error: the arguments for Read must be a JSON object, not an array")
    assert "not valid JSON" not in answers[3].content
    # The record keeps what the model sent, not an empty input.
    calls = [e for e in events if isinstance(e, ToolCalled) and e.name == "Read"]
    assert [c.raw_input for c in calls] == [None, '{"file_path": "/tmp/x', '["/tmp/x"]']


async def test_turn_token_and_dollar_budgets_stop_before_the_next_call(tmp_path: Path) -> None:
    spin = [{"tool_calls": [{"tool": "Glob", "input": {"pattern": "*"}}]}] * 10
    loop, _ = make_loop(tmp_path, spin, limits=LimitSettings(max_turns=3))
    assert (await loop.run()).outcome == "budget_exceeded"
    assert len(loop.model.requests) == 3  # type: ignore[attr-defined]

    loop, _ = make_loop(tmp_path, spin, limits=LimitSettings(max_tokens=1))
    result = await loop.run()
    assert result.outcome == "budget_exceeded" and "token" in result.reason and result.turns == 1

    price = Price(input=3.0, output=15.0)
    loop, _ = make_loop(tmp_path, spin, limits=LimitSettings(budget_usd=0.0001), price=price)
    result = await loop.run()
    assert result.outcome == "budget_exceeded" and "dollar" in result.reason
    assert result.cost_usd is not None and result.cost_usd < 0.01


async def test_guard_from_the_run_stops_the_agent(tmp_path: Path) -> None:
    loop, _ = make_loop(tmp_path, ["never called"])
    loop.guards = [lambda: "run budget spent"]
    result = await loop.run()
    assert result.outcome == "budget_exceeded" and result.reason == "run budget spent" and result.turns == 0


async def test_send_continues_the_same_conversation(tmp_path: Path) -> None:
    loop, events = make_loop(tmp_path, [write_marker(), "done", write_marker(), "fixed"])
    assert (await loop.run()).outcome == "completed"
    (tmp_path / ".orchestrator" / "complete" / "T-1.done").unlink()
    result = await loop.send("The gate failed: fix it.")
    assert result.outcome == "completed"
    said = [e.text for e in events if isinstance(e, UserMessage)]
    assert said[0].startswith(f"WORKING_DIR: {tmp_path}") and said[-1] == "The gate failed: fix it."


async def test_transcript_round_trips_every_event(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    with Transcript(path) as transcript:
        loop, events = make_loop(tmp_path, [write_marker(), "done"])
        loop.emit = lambda e: (events.append(e), transcript.write(e))[-1]
        await loop.run()
    back = read_transcript(path)
    assert [e.model_dump() for e in back] == [e.model_dump() for e in events]
    assert any(isinstance(e, ModelReplied) for e in back)


def test_elision_keeps_the_task_recent_turns_and_edit_outcomes() -> None:
    big = "x" * 40_000
    messages = [Message(role="user", parts=[TextPart(text="the task")])]
    for i in range(10):
        name = "Edit" if i == 2 else "Read"
        messages.append(Message(role="assistant", parts=[ToolUsePart(id=f"c{i}", name=name, input={})]))
        messages.append(Message(role="user", parts=[ToolResultPart(tool_use_id=f"c{i}", content=big)]))
    cut = elide_old_results(messages, budget_tokens=50_000, keep_recent=4)
    assert cut > 0
    results = [m.parts[0] for m in messages[2::2]]
    assert all(isinstance(r, ToolResultPart) for r in results)
    contents = [r.content for r in results]  # type: ignore[union-attr]
    assert contents[2] == big  # the edit's outcome stays
    assert contents[-1] == big and contents[-2] == big  # recent turns stay
    assert contents[0].startswith("[elided") and "Read" in contents[0]
    assert messages[0].parts[0].text == "the task"  # type: ignore[union-attr]


async def test_a_reply_cut_at_the_output_limit_is_continued_not_reminded(tmp_path: Path) -> None:
    turns = [{"text": "Half of the plan", "stop_reason": "max_tokens"}, write_marker(), "Done."]
    loop, events = make_loop(tmp_path, turns)
    result = await loop.run()
    assert result.outcome == "completed" and result.turns == 3
    said = [e.text for e in events if isinstance(e, UserMessage)][1:]  # after the task prompt
    assert len(said) == 1 and "cut at the output limit" in said[0]
