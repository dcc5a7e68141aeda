"""The same behaviour from every model adapter: Anthropic and OpenAI over the fake server, and Scripted."""

from __future__ import annotations

import pytest

from shopfloor.models.base import (
    Message,
    ModelError,
    ModelRequest,
    TextPart,
    ThinkingPart,
    ToolResultPart,
    ToolSpec,
    ToolUsePart,
    Usage,
)
from shopfloor.models.scripted import ScriptedModel
from shopfloor.testing import FakeProvider

from .conftest import ALL_KINDS, API_KEY, WIRE_KINDS, Kind, MakeModel

pytestmark = pytest.mark.anyio

READ = ToolSpec(
    name="Read",
    description="Read a file",
    input_schema={
        "type": "object",
        "properties": {"file_path": {"type": "string"}},
        "required": ["file_path"],
    },
)
BASH = ToolSpec(name="Bash", description="Run a command", input_schema={"type": "object"})
PROMPT = "WORKING_DIR: /srv/app\nTASK_ID: T-7\nOBJECTIVE: add a health endpoint"


def request(*messages: Message, tools: list[ToolSpec] | None = None) -> ModelRequest:
    msgs = list(messages) or [Message(role="user", parts=[TextPart(text=PROMPT)])]
    return ModelRequest(system="You are a backend agent.", messages=msgs, tools=tools or [READ, BASH])


@pytest.mark.parametrize("kind", ALL_KINDS)
async def test_text_turn(kind: Kind, make_model: MakeModel) -> None:
    model = make_model(kind, ["All done, the endpoint responds with 200."])
    response = await model.complete(request())
    assert response.message.role == "assistant"
    assert response.message.text == "All done, the endpoint responds with 200."
    assert response.message.tool_uses == []
    assert response.stop_reason == "end_turn"
    assert response.usage.output_tokens > 0


@pytest.mark.parametrize("kind", ALL_KINDS)
async def test_tool_use_turn_with_placeholders(kind: Kind, make_model: MakeModel) -> None:
    turn = {
        "text": "Reading the router first.",
        "tool_calls": [
            {"tool": "Read", "input": {"file_path": "{workdir}/app/routes.py"}},
            {"tool": "Bash", "input": {"command": "echo {task_id}", "timeout": 30}},
        ],
    }
    model = make_model(kind, [turn])
    response = await model.complete(request())
    assert response.stop_reason == "tool_use"
    assert response.message.text == "Reading the router first."
    calls = response.message.tool_uses
    assert [c.name for c in calls] == ["Read", "Bash"]
    assert calls[0].input == {"file_path": "/srv/app/app/routes.py"}
    assert calls[1].input == {"command": "echo T-7", "timeout": 30}
    assert all(c.id for c in calls) and calls[0].id != calls[1].id
    assert all(c.input_error is None for c in calls)


EXPECTED_USAGE = {
    "anthropic": Usage(input_tokens=11, output_tokens=7, cache_read_tokens=5, cache_write_tokens=3),
    # Chat Completions folds cache writes into prompt tokens and reports only cached reads.
    "openai": Usage(input_tokens=14, output_tokens=7, cache_read_tokens=5, cache_write_tokens=0),
    "openai-plain": Usage(input_tokens=14, output_tokens=7, cache_read_tokens=5, cache_write_tokens=0),
    "scripted": Usage(input_tokens=11, output_tokens=7, cache_read_tokens=5, cache_write_tokens=3),
}


@pytest.mark.parametrize("kind", ALL_KINDS)
async def test_usage_is_mapped(kind: Kind, make_model: MakeModel) -> None:
    usage = {"input_tokens": 11, "output_tokens": 7, "cache_read_tokens": 5, "cache_write_tokens": 3}
    model = make_model(kind, [{"text": "ok", "usage": usage}])
    response = await model.complete(request())
    assert response.usage == EXPECTED_USAGE[kind]


@pytest.mark.parametrize("kind", ALL_KINDS)
async def test_bad_tool_arguments_become_input_error(kind: Kind, make_model: MakeModel) -> None:
    turn = {"tool_calls": [{"tool": "Read", "raw_arguments": '{"file_path": "/srv/app/x.py"'}]}
    model = make_model(kind, [turn])
    response = await model.complete(request())
    (call,) = response.message.tool_uses
    assert call.name == "Read"
    assert call.input == {}
    assert call.input_error is not None
    assert "not valid JSON" in call.input_error and "Read" in call.input_error


@pytest.mark.parametrize("kind", ALL_KINDS)
async def test_a_call_past_the_end_of_the_script_fails_loudly(kind: Kind, make_model: MakeModel) -> None:
    model = make_model(kind, [])
    with pytest.raises(ModelError, match="no more turns"):
        await model.complete(request())


def conversation() -> list[Message]:
    return [
        Message(role="user", parts=[TextPart(text=PROMPT)]),
        Message(
            role="assistant",
            parts=[
                TextPart(text="Looking around."),
                ToolUsePart(id="call_a1", name="Read", input={"file_path": "/srv/app/main.py"}),
                ToolUsePart(id="call_a2", name="Bash", input={"command": "pytest -q"}),
            ],
        ),
        Message(
            role="user",
            parts=[
                ToolResultPart(tool_use_id="call_a1", content="     1\tprint('hi')"),
                ToolResultPart(tool_use_id="call_a2", content="exit code 1: 2 failed", is_error=True),
            ],
        ),
    ]


async def test_anthropic_round_trip_sends_tool_results(
    make_model: MakeModel, fake_provider: FakeProvider
) -> None:
    model = make_model("anthropic", ["Fixed."])
    response = await model.complete(request(*conversation()))
    assert response.message.text == "Fixed."
    (sent,) = fake_provider.calls
    # Depending on the SDK version the key travels as x-api-key or as a bearer token.
    assert API_KEY in (
        sent.headers.get("x-api-key"),
        sent.headers.get("authorization", "").removeprefix("Bearer "),
    )
    assert "anthropic-version" in sent.headers
    assert sent.system == "You are a backend agent."
    assert sent.tool_names == ["Read", "Bash"]
    assistant, results = sent.messages[1], sent.messages[2]
    assert assistant["role"] == "assistant"
    assert [b["type"] for b in assistant["content"]] == ["text", "tool_use", "tool_use"]
    assert assistant["content"][1]["input"] == {"file_path": "/srv/app/main.py"}
    assert results["role"] == "user"
    assert results["content"][0]["type"] == "tool_result"
    assert results["content"][0]["tool_use_id"] == "call_a1"
    assert results["content"][0]["content"] == "     1\tprint('hi')"
    assert results["content"][1]["is_error"] is True


@pytest.mark.parametrize("kind", ["openai", "openai-plain"])
async def test_openai_round_trip_sends_tool_results(
    kind: Kind, make_model: MakeModel, fake_provider: FakeProvider
) -> None:
    model = make_model(kind, ["Fixed."])
    response = await model.complete(request(*conversation()))
    assert response.message.text == "Fixed."
    (sent,) = fake_provider.calls
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    roles = [m["role"] for m in sent.messages]
    assert roles == ["system", "user", "assistant", "tool", "tool"]
    assert sent.system == "You are a backend agent."
    assert sent.tool_names == ["Read", "Bash"]
    assistant = sent.messages[2]
    assert assistant["content"] == "Looking around."
    assert [c["id"] for c in assistant["tool_calls"]] == ["call_a1", "call_a2"]
    assert assistant["tool_calls"][0]["function"]["arguments"] == '{"file_path": "/srv/app/main.py"}'
    assert sent.messages[3] == {"role": "tool", "tool_call_id": "call_a1", "content": "     1\tprint('hi')"}
    assert sent.messages[4]["content"].startswith("Error: exit code 1")
    assert sent.streamed is (kind == "openai")


async def test_scripted_records_the_conversation() -> None:
    model = ScriptedModel(["Fixed."])
    req = request(*conversation())
    await model.complete(req)
    assert model.requests == [req]


async def test_anthropic_cache_breakpoints(make_model: MakeModel, fake_provider: FakeProvider) -> None:
    model = make_model("anthropic", ["one", "two"])
    first = await model.complete(request(*conversation()))
    await model.complete(
        request(*conversation(), first.message, Message(role="user", parts=[TextPart(text="go")]))
    )
    sent = fake_provider.calls[0].body
    assert sent["system"][-1]["cache_control"] == {"type": "ephemeral"}
    assert sent["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in sent["tools"][0]
    assert sent["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    marked = [b for m in sent["messages"] for b in m["content"] if "cache_control" in b]
    assert len(marked) == 1  # only the newest block; with system and tools that is 3 of the 4 allowed
    # The second call re-reads what the first one cached.
    second = fake_provider.calls[1]
    assert "cache_control" not in second.body["messages"][2]["content"][-1]
    assert model.profile.supports_caching


async def test_anthropic_reports_cache_usage_from_the_stream(make_model: MakeModel) -> None:
    model = make_model("anthropic", ["one", "two"])
    first = await model.complete(request())
    second = await model.complete(
        request(
            Message(role="user", parts=[TextPart(text=PROMPT)]),
            first.message,
            Message(role="user", parts=[TextPart(text="continue")]),
        )
    )
    assert first.usage.cache_write_tokens > 0 and first.usage.cache_read_tokens == 0
    assert second.usage.cache_read_tokens >= first.usage.cache_write_tokens


async def test_anthropic_thinking_travels_back(make_model: MakeModel, fake_provider: FakeProvider) -> None:
    model = make_model(
        "anthropic", [{"thinking": "Check the router.", "tool_calls": [{"tool": "Read"}]}, "done"]
    )
    first = await model.complete(request())
    thinking = [p for p in first.message.parts if isinstance(p, ThinkingPart)]
    assert thinking and thinking[0].thinking == "Check the router." and thinking[0].signature
    call = first.message.tool_uses[0]
    follow_up = request(
        Message(role="user", parts=[TextPart(text=PROMPT)]),
        first.message,
        Message(role="user", parts=[ToolResultPart(tool_use_id=call.id, content="ok")]),
    )
    await model.complete(follow_up)
    echoed = fake_provider.calls[-1].messages[1]["content"]
    assert echoed[0] == {"type": "thinking", "thinking": "Check the router.", "signature": "fake-signature"}


@pytest.mark.parametrize("kind", ["openai", "openai-plain"])
async def test_openai_missing_tool_call_ids_get_stable_ones(
    kind: Kind, make_model: MakeModel, fake_provider: FakeProvider
) -> None:
    turn = {
        "tool_calls": [
            {"tool": "Read", "input": {"file_path": "a.py"}, "omit_id": True},
            {"tool": "Read", "input": {"file_path": "b.py"}, "omit_id": True},
        ]
    }
    model = make_model(kind, [turn, turn])
    first = await model.complete(request())
    again = await model.complete(request())
    ids = [c.id for c in first.message.tool_uses]
    assert ids == ["call_1_0", "call_1_1"]
    assert [c.id for c in again.message.tool_uses] == ids
    assert [c.input["file_path"] for c in first.message.tool_uses] == ["a.py", "b.py"]


@pytest.mark.parametrize("kind", WIRE_KINDS)
async def test_model_id_is_sent(kind: Kind, make_model: MakeModel, fake_provider: FakeProvider) -> None:
    model = make_model(kind, ["hi"])
    response = await model.complete(request())
    assert fake_provider.calls[0].body["model"] == model.profile.model_id
    assert response.model == model.profile.model_id
