"""The fake provider speaks the wire formats faithfully, records requests, and routes by task."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import anyio
import pytest

from shopfloor.models.anthropic import AnthropicModel
from shopfloor.models.base import Message, ModelError, ModelRequest, TextPart
from shopfloor.models.openai import OpenAIModel
from shopfloor.models.retry import BackoffRegistry
from shopfloor.testing import FakeProvider, Fault, RecordedRequest, route_by_task

from .conftest import API_KEY


def post(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, resp.read().decode()


def sse_events(text: str) -> list[tuple[str | None, str]]:
    out = []
    for block in text.strip().split("\n\n"):
        event = None
        data = ""
        for line in block.splitlines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
        out.append((event, data))
    return out


def test_anthropic_stream_event_sequence() -> None:
    turn = {"text": "Let me look.", "tool_calls": [{"tool": "Read", "input": {"file_path": "/a/b.py"}}]}
    with FakeProvider([turn]) as fake:
        body = {
            "model": "claude-x",
            "max_tokens": 100,
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        }
        status, text = post(f"{fake.url}/v1/messages", body, {"anthropic-version": "2023-06-01"})
    assert status == 200
    events = sse_events(text)
    kinds = [e for e, _ in events]
    assert kinds[:3] == ["message_start", "ping", "content_block_start"]
    assert kinds[-2:] == ["message_delta", "message_stop"]
    assert kinds.count("content_block_start") == kinds.count("content_block_stop") == 2
    deltas = [json.loads(d)["delta"] for e, d in events if e == "content_block_delta"]
    assert "".join(d["text"] for d in deltas if d["type"] == "text_delta") == "Let me look."
    partial = "".join(d["partial_json"] for d in deltas if d["type"] == "input_json_delta")
    assert json.loads(partial) == {"file_path": "/a/b.py"}
    final = json.loads(events[-2][1])
    assert final["delta"]["stop_reason"] == "tool_use" and final["usage"]["output_tokens"] > 0


def test_openai_stream_chunks_end_with_usage_and_done() -> None:
    turn = {"tool_calls": [{"tool": "Bash", "input": {"command": "make test"}}]}
    with FakeProvider([turn]) as fake:
        body = {
            "model": "gpt-x",
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": "hi"}],
        }
        status, text = post(f"{fake.openai_base_url}/chat/completions", body)
    assert status == 200
    datas = [d for _, d in sse_events(text)]
    assert datas[-1] == "[DONE]"
    chunks = [json.loads(d) for d in datas[:-1]]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    calls = [c for ch in chunks if ch["choices"] for c in ch["choices"][0]["delta"].get("tool_calls", [])]
    assert calls[0]["id"] and calls[0]["function"]["name"] == "Bash"
    assert json.loads("".join(c["function"]["arguments"] for c in calls)) == {"command": "make test"}


def test_models_listing_in_both_formats() -> None:
    with FakeProvider(context_window=8192, models=("m1",)) as fake:
        with urllib.request.urlopen(f"{fake.url}/v1/models", timeout=10) as resp:
            openai_style = json.loads(resp.read())
        req = urllib.request.Request(f"{fake.url}/v1/models", headers={"anthropic-version": "2023-06-01"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            anthropic_style = json.loads(resp.read())
    assert openai_style["data"][0] == {
        "id": "m1",
        "object": "model",
        "created": 0,
        "owned_by": "fake",
        "max_model_len": 8192,
    }
    assert anthropic_style["data"][0]["type"] == "model" and anthropic_style["has_more"] is False
    assert [r.path for r in fake.requests] == ["/v1/models", "/v1/models"]
    assert fake.calls == []


def test_unknown_routes_answer_404() -> None:
    with FakeProvider() as fake, pytest.raises(urllib.error.HTTPError) as info:
        post(f"{fake.url}/v1/complete", {"x": 1})
    assert info.value.code == 404


@pytest.mark.anyio
async def test_responder_routes_agents_by_task_id() -> None:
    responder = route_by_task(
        {
            "T-1": [
                Fault.overloaded(),
                {"tool": "Read", "input": {"file_path": "{workdir}/one.py"}},
                "T-1 done",
            ],
            "T-2": ["T-2 done"],
        }
    )
    seen: list[RecordedRequest] = []

    def recording(req: RecordedRequest) -> Any:
        seen.append(req)
        return responder(req)

    with FakeProvider(responder=recording) as fake:
        backoffs = BackoffRegistry(time_scale=0.001)
        a = AnthropicModel("claude-haiku-4-5", api_key=API_KEY, base_url=fake.url, backoffs=backoffs)
        b = OpenAIModel("gpt-4o", api_key=API_KEY, base_url=fake.openai_base_url, backoffs=backoffs)

        def task(task_id: str) -> ModelRequest:
            text = f"WORKING_DIR: /wt/{task_id}\nTASK_ID: {task_id}\nOBJECTIVE: x"
            return ModelRequest(system="s", messages=[Message(role="user", parts=[TextPart(text=text)])])

        results: dict[str, list[str]] = {"T-1": [], "T-2": []}

        async def run(model: AnthropicModel | OpenAIModel, task_id: str, turns: int) -> None:
            for _ in range(turns):
                response = await model.complete(task(task_id))
                calls = response.message.tool_uses
                results[task_id].append(calls[0].input["file_path"] if calls else response.message.text)

        async with anyio.create_task_group() as tg:
            tg.start_soon(run, a, "T-1", 2)
            tg.start_soon(run, b, "T-2", 1)
        await a.aclose()
        await b.aclose()
    assert results == {"T-1": ["/wt/T-1/one.py", "T-1 done"], "T-2": ["T-2 done"]}
    assert sorted(r.task_id or "" for r in seen) == ["T-1", "T-1", "T-1", "T-2"]
    assert {r.api for r in seen} == {"anthropic", "openai"}


def test_env_points_both_sdks_here() -> None:
    with FakeProvider() as fake:
        env = fake.env()
        assert env["ANTHROPIC_BASE_URL"] == fake.url
        assert env["OPENAI_BASE_URL"] == f"{fake.url}/v1"
    assert env["ANTHROPIC_API_KEY"] and env["OPENAI_API_KEY"]


@pytest.mark.anyio
async def test_a_failing_responder_fails_the_call_visibly() -> None:
    def broken(req: RecordedRequest) -> Any:
        raise KeyError(req.task_id)

    with FakeProvider(responder=broken) as fake:
        model = AnthropicModel("claude-haiku-4-5", api_key=API_KEY, base_url=fake.url)
        request = ModelRequest(
            system="s", messages=[Message(role="user", parts=[TextPart(text="TASK_ID: T-9")])]
        )
        with pytest.raises(ModelError, match="responder failed"):
            await model.complete(request)
        await model.aclose()
    assert len(fake.responder_errors) == 1 and len(fake.calls) == 1
