"""Refusing a context window too small for the system prompt and tools, as local servers report it."""

from __future__ import annotations

import pytest

from shopfloor.models.anthropic import AnthropicModel
from shopfloor.models.base import (
    ContextTooSmallError,
    Message,
    ModelProfile,
    ModelRequest,
    TextPart,
    ToolSpec,
)
from shopfloor.models.context_window import estimate_prompt_tokens
from shopfloor.models.openai import OpenAIModel
from shopfloor.models.scripted import ScriptedModel
from shopfloor.testing import FakeProvider
from shopfloor.testing.exchange import ServerStyle

from .conftest import API_KEY

pytestmark = pytest.mark.anyio

TOOLS = [
    ToolSpec(name=f"Tool{i}", description="does a thing " * 20, input_schema={"type": "object"})
    for i in range(5)
]
BIG_SYSTEM = "You are a careful backend engineer. " * 200  # about 1800 tokens at 4 characters each


@pytest.mark.parametrize("style", ["vllm", "llamacpp", "ollama"])
async def test_local_server_window_too_small_is_refused(style: ServerStyle) -> None:
    with FakeProvider(context_window=1024, server_style=style, models=("qwen-coder",)) as fake:
        model = OpenAIModel("qwen-coder", api_key=None, base_url=fake.openai_base_url)
        try:
            with pytest.raises(ContextTooSmallError) as info:
                await model.check_fits(BIG_SYSTEM, TOOLS)
            message = str(info.value)
            assert "1024" in message and "qwen-coder" in message
            assert "reported by the server" in message
            assert model.profile.context_window == 1024
            # A small prompt fits the same server.
            await model.check_fits("Be brief.", TOOLS[:1])
            assert fake.calls == []  # refusing costs no model call
        finally:
            await model.aclose()


async def test_served_window_caps_max_tokens() -> None:
    with FakeProvider(["ok"], context_window=4096, models=("llama",)) as fake:
        model = OpenAIModel("llama", api_key=None, base_url=fake.openai_base_url)
        try:
            req = ModelRequest(
                system="short", messages=[Message(role="user", parts=[TextPart(text="hi")])], max_tokens=16384
            )
            await model.complete(req)
        finally:
            await model.aclose()
        sent = fake.calls[0].body
        assert sent["max_tokens"] < 4096
        assert "max_completion_tokens" not in sent


async def test_unreported_window_falls_back_to_the_profile() -> None:
    with FakeProvider(models=("mystery",)) as fake:
        profile = ModelProfile(provider="openai", model_id="mystery", context_window=500)
        model = OpenAIModel("mystery", api_key=API_KEY, base_url=fake.openai_base_url, profile=profile)
        try:
            assert await model.context_window() == (500, "profile")
            with pytest.raises(ContextTooSmallError, match="500 tokens"):
                await model.check_fits(BIG_SYSTEM, [])
        finally:
            await model.aclose()


async def test_anthropic_and_scripted_check_against_the_profile() -> None:
    profile = ModelProfile(provider="anthropic", model_id="claude-haiku-4-5", context_window=1000)
    model = AnthropicModel(
        "claude-haiku-4-5", api_key=API_KEY, base_url="http://127.0.0.1:9", profile=profile
    )
    try:
        with pytest.raises(ContextTooSmallError):
            await model.check_fits(BIG_SYSTEM, TOOLS)
        await model.check_fits("ok", [])
    finally:
        await model.aclose()
    with pytest.raises(ContextTooSmallError):
        await ScriptedModel([], context_window=100).check_fits(BIG_SYSTEM, [])


def test_estimate_counts_system_and_tool_definitions() -> None:
    assert estimate_prompt_tokens("x" * 400, []) == 100
    assert estimate_prompt_tokens("x" * 400, TOOLS) > 100 + 5 * 50
