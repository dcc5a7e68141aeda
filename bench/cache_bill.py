"""Billed input of one 30-turn task with and without prompt-cache breakpoints, at Sonnet list prices.

The built-in backend-agent (its three skills injected into the system prompt) runs the 30-turn scripted
task of `agent_overhead.py` through the real AnthropicModel and the official SDK against the fake provider
on loopback, which reports cache writes and reads the way the Messages API does for the breakpoints it
receives. The second run is the same with `ModelProfile.supports_caching` off, so no breakpoint is sent.

Run from the repository root:  .venv/bin/python bench/cache_bill.py
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from pathlib import Path

from agent_overhead import TURNS, bench_task, exploring_script, make_project

from shopfloor.agent.setup import AgentRun, prepare
from shopfloor.config.sections import ModelSettings
from shopfloor.models.anthropic import AnthropicModel
from shopfloor.models.base import ModelProfile, Price, Usage
from shopfloor.models.resolve import parse_spec, profile_for
from shopfloor.testing import FakeProvider


@dataclass(frozen=True)
class Bill:
    usage: Usage
    system_chars: int

    def input_usd(self, price: Price) -> float:
        """Uncached input, cache writes and cache reads, at list price."""
        return price.cost(self.usage.model_copy(update={"output_tokens": 0}))

    def output_usd(self, price: Price) -> float:
        return self.usage.output_tokens * price.output / 1e6


def sonnet_profile() -> ModelProfile:
    """What `sonnet` resolves to here, with its built-in limits and list price."""
    settings = ModelSettings()
    return profile_for(parse_spec("sonnet", settings=settings, env={}), settings)


async def one_run(root: Path, profile: ModelProfile) -> Bill:
    with FakeProvider(exploring_script()) as fake:
        model = AnthropicModel(
            profile.model_id, api_key="sk-bench-not-a-key", base_url=fake.anthropic_base_url, profile=profile
        )
        run = AgentRun(agent="backend-agent", task=bench_task(root), model=model)
        prepared = prepare(run)
        try:
            result = await prepared.loop.run()
        finally:
            await prepared.aclose()
            await model.aclose()
        marked = sum("cache_control" in str(r.body) for r in fake.calls)
    assert result.outcome == "completed" and result.turns == TURNS, result
    assert marked == (TURNS if profile.supports_caching else 0), marked
    return Bill(result.usage, len(prepared.loop.system))


def _row(label: str, bill: Bill, price: Price) -> str:
    u = bill.usage
    return (
        f"{label:<16} uncached {u.input_tokens:>8,}  cache write {u.cache_write_tokens:>7,}  "
        f"cache read {u.cache_read_tokens:>8,}  input bill ${bill.input_usd(price):.4f}  "
        f"(output ${bill.output_usd(price):.4f})"
    )


async def main() -> None:
    profile = sonnet_profile()
    price = profile.price
    assert price is not None, f"no list price for {profile.model_id}"
    with tempfile.TemporaryDirectory() as tmp:
        cached = await one_run(make_project(Path(tmp) / "cached"), profile)
        plain = await one_run(
            make_project(Path(tmp) / "plain"), profile.model_copy(update={"supports_caching": False})
        )
    print(
        f"model {profile.model_id}: ${price.input}/M input, ${price.cache_write}/M cache write, "
        f"${price.cache_read}/M cache read; system prompt {cached.system_chars:,} chars; {TURNS} turns"
    )
    print(_row("with caching", cached, price))
    print(_row("without caching", plain, price))
    cut = 1 - cached.input_usd(price) / plain.input_usd(price)
    ratio = plain.input_usd(price) / cached.input_usd(price)
    print(f"caching cuts the input bill by {cut:.1%} ({ratio:.1f}x cheaper)")
    print(f"target cut >= 70%: {'met' if cut >= 0.70 else 'MISSED'}")


if __name__ == "__main__":
    asyncio.run(main())
