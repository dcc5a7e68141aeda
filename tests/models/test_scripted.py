"""ScriptedModel: script files, turn shapes, placeholders and plausible usage for cost reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopfloor.config.sections import ModelSettings
from shopfloor.models.base import Message, ModelRequest, TextPart, ToolResultPart
from shopfloor.models.resolve import price_for_spec, resolve_model
from shopfloor.models.script import ScriptError, parse_turn, prompt_variables
from shopfloor.models.scripted import ScriptedModel, ScriptExhausted

pytestmark = pytest.mark.anyio

PROMPT = "WORKING_DIR: /tmp/wt/T-3\nTASK_ID: T-3\nOBJECTIVE: something\nACCEPTANCE CRITERIA:\n- works"


def first_request() -> ModelRequest:
    return ModelRequest(
        system="system prompt " * 50, messages=[Message(role="user", parts=[TextPart(text=PROMPT)])]
    )


async def test_yaml_script_plays_in_order(tmp_path: Path) -> None:
    script = tmp_path / "s.yaml"
    script.write_text(
        "priced_as: haiku\n"
        "turns:\n"
        "  - tool: Write\n"
        "    input: {file_path: '{workdir}/.orchestrator/complete/{task_id}.done', content: done}\n"
        "  - text: Marker written.\n"
        "    stop_reason: end_turn\n"
    )
    model = resolve_model(f"scripted:{script}", agent_model=None, settings=ModelSettings())
    assert isinstance(model, ScriptedModel)
    req = first_request()
    first = await model.complete(req)
    (call,) = first.message.tool_uses
    assert call.name == "Write"
    assert call.input["file_path"] == "/tmp/wt/T-3/.orchestrator/complete/T-3.done"
    assert first.stop_reason == "tool_use"
    follow = ModelRequest(
        system=req.system,
        messages=[
            *req.messages,
            first.message,
            Message(role="user", parts=[ToolResultPart(tool_use_id=call.id, content="ok")]),
        ],
    )
    second = await model.complete(follow)
    assert second.message.text == "Marker written." and second.stop_reason == "end_turn"
    assert model.remaining == 0
    with pytest.raises(ScriptExhausted, match=r"no more turns \(it has 2\)"):
        await model.complete(follow)
    assert model.profile.provider == "scripted"
    assert model.profile.price == price_for_spec("haiku")
    assert model.profile.price is not None


async def test_json_script_and_usage_imitate_caching(tmp_path: Path) -> None:
    script = tmp_path / "s.json"
    script.write_text(json.dumps(["one", "two"]))
    model = ScriptedModel.from_file(script, price=price_for_spec("sonnet"))
    req = first_request()
    first = await model.complete(req)
    grown = ModelRequest(
        system=req.system,
        messages=[*req.messages, first.message, Message(role="user", parts=[TextPart(text="more")])],
    )
    second = await model.complete(grown)
    assert first.usage.cache_write_tokens > 100 and first.usage.cache_read_tokens == 0
    assert second.usage.cache_read_tokens == first.usage.cache_write_tokens + first.usage.input_tokens
    cost = model.profile.cost(first.usage + second.usage)
    assert cost is not None and cost > 0


def test_turn_shapes() -> None:
    assert parse_turn("hi").text == "hi"
    single = parse_turn({"tool": "Glob", "input": {"pattern": "**/*.py"}})
    assert single.tool_calls[0].tool == "Glob" and single.effective_stop_reason == "tool_use"
    full = parse_turn(
        {"text": "t", "tool_calls": [], "usage": {"input_tokens": 3}, "stop_reason": "max_tokens"}
    )
    assert full.usage is not None and full.usage.input_tokens == 3
    assert full.effective_stop_reason == "max_tokens"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"txt": "typo"}, "turn 1: txt"),
        ({"tool_calls": [{"input": {}}]}, "tool_calls.0.tool"),
        (42, "expected a string or a mapping"),
        ({"text": "x", "stop_reason": "bored"}, "stop_reason"),
    ],
)
def test_bad_turns_name_the_problem(raw: object, fragment: str) -> None:
    with pytest.raises(ScriptError) as info:
        parse_turn(raw, 0)  # type: ignore[arg-type]
    assert fragment in str(info.value)


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    script = tmp_path / "broken.yaml"
    script.write_text("- hello\n- tool: Read\n  input: {file_path: [unclosed\n")
    with pytest.raises(ScriptError, match=r"broken\.yaml:\d+: invalid YAML"):
        ScriptedModel.from_file(script)


def test_prompt_variables() -> None:
    assert prompt_variables(PROMPT) == {"workdir": "/tmp/wt/T-3", "task_id": "T-3"}
    assert prompt_variables("no header here") == {}


async def test_a_script_file_sets_the_reply_latency_and_refuses_a_negative_one(tmp_path: Path) -> None:
    script = tmp_path / "slow.yaml"
    script.write_text("latency_s: 0.25\nturns:\n  - Done.\n")
    model = resolve_model(f"scripted:{script}", agent_model=None, settings=ModelSettings())
    assert isinstance(model, ScriptedModel) and model.latency_s == 0.25
    assert (await model.complete(first_request())).message.text == "Done."
    script.write_text("latency_s: -1\nturns: [Done.]\n")
    with pytest.raises(ScriptError, match="latency_s"):
        ScriptedModel.from_file(script)
