"""WebSearch: the provider's own web search (the Messages API `web_search` server tool) on Anthropic
models, through the fake provider's wire format; a clear tool error elsewhere."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import pytest

from shopfloor.agent.budget import Budget
from shopfloor.agent.events import Event
from shopfloor.agent.side_model import SideModel
from shopfloor.config.sections import LimitSettings, ModelSettings, ToolSettings
from shopfloor.models.anthropic import AnthropicModel
from shopfloor.models.base import Model
from shopfloor.models.openai import OpenAIModel
from shopfloor.testing import FakeProvider
from shopfloor.tools.context import ToolContext
from shopfloor.tools.web_search import WebSearchTool
from tests.toolcall import call

pytestmark = pytest.mark.anyio
KEY = "sk-test-key-123456"

Searcher = Callable[..., list[Event]]

SEARCH_TURN = {
    "text": "Version 3.13 is the newest release.",
    "web_searches": [
        {
            "query": "python latest version",
            "results": [
                {
                    "title": "Python Releases",
                    "url": "https://www.python.org/downloads/",
                    "page_age": "2 days",
                },
                {"title": "What's New", "url": "https://docs.python.org/3/whatsnew/"},
            ],
        }
    ],
}


@pytest.fixture
async def searcher(fake_provider_env: FakeProvider) -> AsyncIterator[Searcher]:
    opened: list[tuple[Model, SideModel]] = []

    def give(ctx: ToolContext, provider: str = "anthropic", **tools: object) -> list[Event]:
        fake = fake_provider_env
        agent: Model
        if provider == "anthropic":
            agent = AnthropicModel("claude-sonnet-4-6", api_key=KEY, base_url=fake.anthropic_base_url)
        else:
            agent = OpenAIModel("gpt-4o", api_key=KEY, base_url=fake.openai_base_url)
        ctx.settings = ToolSettings(**tools)  # type: ignore[arg-type]
        models = ModelSettings(
            anthropic_base_url=fake.anthropic_base_url, openai_base_url=fake.openai_base_url
        )
        events: list[Event] = []
        side = SideModel(agent, Budget(LimitSettings()), events.append, "T-1", ctx.settings, models)
        ctx.side_model = side
        opened.append((agent, side))
        return events

    yield give
    for agent, side in opened:
        await side.aclose()
        await agent.aclose()  # type: ignore[attr-defined]


async def test_search_on_anthropic_uses_the_server_tool_and_lists_the_links(
    tool_ctx: ToolContext, fake_provider_env: FakeProvider, searcher: Searcher
) -> None:
    searcher(tool_ctx)
    fake_provider_env.push(SEARCH_TURN)
    result = await call(
        WebSearchTool(), tool_ctx, query="python latest version", allowed_domains=["python.org"]
    )
    assert not result.is_error, result.content
    head, links, summary, reminder = result.content.split("\n\n")
    assert head == 'Web search results for query: "python latest version"'
    assert json.loads(links.removeprefix("Links: ")) == [
        {"title": "Python Releases", "url": "https://www.python.org/downloads/"},
        {"title": "What's New", "url": "https://docs.python.org/3/whatsnew/"},
    ]
    assert summary == "Version 3.13 is the newest release."
    assert "cite" in reminder
    body = fake_provider_env.calls[0].body
    assert body["model"].startswith("claude-haiku")
    assert body["tools"] == [
        {
            "type": "web_search_20250305",
            "name": "web_search",
            "max_uses": 8,
            "allowed_domains": ["python.org"],
        }
    ]
    assert "python latest version" in fake_provider_env.calls[0].first_user_text


async def test_a_search_error_from_the_server_is_a_tool_error(
    tool_ctx: ToolContext, fake_provider_env: FakeProvider, searcher: Searcher
) -> None:
    searcher(tool_ctx)
    fake_provider_env.push({"web_searches": [{"query": "x y", "error": "too_many_requests"}]})
    result = await call(WebSearchTool(), tool_ctx, query="x y")
    assert result.is_error and "too_many_requests" in result.content


async def test_elsewhere_it_is_a_clear_tool_error(
    tool_ctx: ToolContext, fake_provider_env: FakeProvider, searcher: Searcher
) -> None:
    searcher(tool_ctx, provider="openai")
    result = await call(WebSearchTool(), tool_ctx, query="python latest version")
    assert result.is_error
    assert (
        "provider: openai" in result.content
        and "Anthropic" in result.content
        and "WebFetch" in result.content
    )
    assert fake_provider_env.calls == []


async def test_input_rules(
    tool_ctx: ToolContext, fake_provider_env: FakeProvider, searcher: Searcher
) -> None:
    searcher(tool_ctx)
    both = await call(
        WebSearchTool(), tool_ctx, query="abc", allowed_domains=["a.org"], blocked_domains=["b.org"]
    )
    assert both.is_error and "not both" in both.content
    short = await call(WebSearchTool(), tool_ctx, query="a")
    assert short.is_error and "`query`" in short.content
    searcher(tool_ctx, web_search=False)
    off = await call(WebSearchTool(), tool_ctx, query="abc")
    assert off.is_error and "web_search = false" in off.content
    assert fake_provider_env.calls == []
