"""Prompt caching through the real Anthropic SDK and the fake provider: where the breakpoints go, what a
later task reads, how long a prefix lives, what one-hour writes cost, and one writer for a new prefix."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import anyio
import pytest

from shopfloor.config.sections import Price
from shopfloor.models.anthropic import AnthropicModel
from shopfloor.models.base import (
    CacheTTL,
    Message,
    ModelRequest,
    ModelResponse,
    SystemPrompt,
    TextPart,
    ToolSpec,
    Usage,
)
from shopfloor.models.retry import BackoffRegistry
from shopfloor.testing import FakeProvider

from .conftest import API_KEY

pytestmark = pytest.mark.anyio

SHARED = "You are the backend agent. " * 200  # about 1,400 tokens on the fake's yardstick
TOOLS = [ToolSpec(name="Read", description="Read a file. " * 20, input_schema={"type": "object"})]


def request(workdir: str, ttl: CacheTTL = "5m", *, shared: str = SHARED) -> ModelRequest:
    return ModelRequest(
        system=SystemPrompt(shared=shared, task=f"Working directory: {workdir}", shared_ttl=ttl),
        messages=[Message(role="user", parts=[TextPart(text=f"WORKING_DIR: {workdir}\nTASK_ID: T-1")])],
        tools=TOOLS,
    )


Make = Callable[..., AnthropicModel]


@pytest.fixture
async def make(fake_provider: FakeProvider) -> AsyncIterator[Make]:
    opened: list[AnthropicModel] = []
    shared = BackoffRegistry()

    def build(*, registry: BackoffRegistry | None = None) -> AnthropicModel:
        model = AnthropicModel(
            "claude-sonnet-4-6",
            api_key=API_KEY,
            base_url=fake_provider.anthropic_base_url,
            backoffs=registry or shared,
        )
        opened.append(model)
        return model

    yield build
    for model in opened:
        await model.aclose()


async def test_the_task_part_follows_the_cached_shared_prefix(
    fake_provider: FakeProvider, make: Make
) -> None:
    fake_provider.push("ok")
    await make().complete(request("/p/a", "1h"))
    body = fake_provider.calls[0].body
    shared, task = body["system"]
    assert shared["text"] == SHARED and shared["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert task == {"type": "text", "text": "Working directory: /p/a"}  # outside the prefix
    assert body["tools"][-1]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert body["messages"][-1]["content"][-1]["cache_control"] == {"type": "ephemeral"}  # 5 minutes


async def test_a_second_task_reads_the_shared_prefix_and_writes_only_its_own(
    fake_provider: FakeProvider, make: Make
) -> None:
    fake_provider.push("one", "two")
    model = make()
    first = (await model.complete(request("/p/a"))).usage
    second = (await model.complete(request("/projects/b-with-a-longer-name"))).usage
    assert first.cache_read_tokens == 0 and first.cache_write_tokens > 1000
    assert second.cache_read_tokens > 1000  # the tools and the shared part, written by the first task
    assert second.cache_write_tokens < 100  # only its own directory and prompt


async def test_a_task_part_inside_the_prefix_would_split_it(fake_provider: FakeProvider, make: Make) -> None:
    """What the layout avoids: a per-task line before the breakpoint makes every task write it all again."""
    fake_provider.push("one", "two")
    model = make()
    await model.complete(request("/p/a", shared="Working directory: /p/a\n" + SHARED))
    again = (await model.complete(request("/p/b", shared="Working directory: /p/b\n" + SHARED))).usage
    assert again.cache_read_tokens < 500 and again.cache_write_tokens > 1000


@pytest.mark.parametrize(("ttl", "later_read"), [("5m", False), ("1h", True)])
async def test_a_prefix_lives_as_long_as_its_ttl(
    fake_provider: FakeProvider, make: Make, ttl: CacheTTL, later_read: bool
) -> None:
    fake_provider.push("one", "two")
    model = make()
    await model.complete(request("/p/a", ttl))
    fake_provider.advance_clock(10 * 60)
    usage = (await model.complete(request("/p/b", ttl))).usage
    assert (usage.cache_read_tokens > 1000) is later_read


async def test_reading_a_prefix_renews_it(fake_provider: FakeProvider, make: Make) -> None:
    fake_provider.push("one", "two", "three")
    model = make()
    await model.complete(request("/p/a"))
    fake_provider.advance_clock(4 * 60)
    assert (await model.complete(request("/p/b"))).usage.cache_read_tokens > 1000
    fake_provider.advance_clock(4 * 60)  # 8 minutes after the write, 4 after the read
    assert (await model.complete(request("/projects/c"))).usage.cache_read_tokens > 1000


async def test_one_hour_writes_are_reported_and_billed_at_twice_the_input_price(
    fake_provider: FakeProvider, make: Make
) -> None:
    fake_provider.push("one")
    usage = (await make().complete(request("/p/a", "1h"))).usage
    assert 1000 < usage.cache_write_1h_tokens < usage.cache_write_tokens  # the messages are 5-minute writes
    price = Price(input=3.0, output=15.0, cache_write=3.75, cache_read=0.30)
    short = usage.cache_write_tokens - usage.cache_write_1h_tokens
    expected = usage.output_tokens * 15.0 + short * 3.75 + usage.cache_write_1h_tokens * 6.0
    assert price.cost(usage) == pytest.approx(expected / 1e6)


def test_what_caching_saved() -> None:
    price = Price(input=3.0, output=15.0, cache_write=3.75, cache_read=0.30)
    read_back = Usage(cache_write_tokens=1_000_000, cache_read_tokens=9_000_000)
    # As plain input: 10M x $3 = $30; cached: $3.75 + 9 x $0.30 = $6.45.
    assert price.cache_saving(read_back) == pytest.approx(30 - 6.45)
    written_only = Usage(cache_write_tokens=1_000_000, cache_write_1h_tokens=1_000_000)
    assert price.cache_saving(written_only) == pytest.approx(3 - 6)  # an hour-long write never read
    assert price.cache_saving(Usage(input_tokens=5, output_tokens=5)) == 0


async def test_parallel_requests_of_a_new_prefix_wait_for_the_first_to_begin() -> None:
    # The answer begins after a short prefill; only then is what the request wrote readable.
    with FakeProvider(["a", "b", "c", "d"], prefill_s=0.3) as slow:

        def model(registry: BackoffRegistry) -> AnthropicModel:
            return AnthropicModel(
                "claude-sonnet-4-6", api_key=API_KEY, base_url=slow.anthropic_base_url, backoffs=registry
            )

        one_run = BackoffRegistry()  # as `shopfloor run` shares one among its agents
        together = await _at_once([model(one_run), model(one_run)], shared="One run's agent. " * 400)
        apart = [model(BackoffRegistry()), model(BackoffRegistry())]
        separate = await _at_once(apart, shared="Two separate runs. " * 400)
    assert sorted(a.usage.cache_read_tokens > 1000 for a in together) == [False, True]
    assert [a.usage.cache_read_tokens < 1000 for a in separate] == [True, True]  # both wrote it


async def _at_once(models: list[AnthropicModel], *, shared: str) -> list[ModelResponse]:
    answers: list[ModelResponse] = []

    async def one(model: AnthropicModel, workdir: str) -> None:
        answers.append(await model.complete(request(workdir, shared=shared)))

    async with anyio.create_task_group() as tg:
        for i, model in enumerate(models):
            tg.start_soon(one, model, f"/projects/{i}")
    for model in models:
        await model.aclose()
    return answers
