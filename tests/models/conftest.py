"""Fixtures for the model-layer tests: the fake provider and adapters pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Literal

import pytest

from shopfloor.models.anthropic import AnthropicModel
from shopfloor.models.base import Model
from shopfloor.models.openai import OpenAIModel
from shopfloor.models.retry import BackoffRegistry, RetryPolicy
from shopfloor.models.script import TurnLike
from shopfloor.models.scripted import ScriptedModel
from shopfloor.testing import FakeProvider, Fault

API_KEY = "sk-test-0123456789-secret"

Kind = Literal["anthropic", "openai", "openai-plain", "scripted"]
WIRE_KINDS: list[Kind] = ["anthropic", "openai", "openai-plain"]
ALL_KINDS: list[Kind] = [*WIRE_KINDS, "scripted"]


@pytest.fixture
def backoffs() -> BackoffRegistry:
    # Real sleeps are a thousandth of the recorded waits, so a retry-after of 2s costs 2ms.
    return BackoffRegistry(time_scale=0.001)


MakeModel = Callable[..., Model]


@pytest.fixture
async def make_model(fake_provider: FakeProvider, backoffs: BackoffRegistry) -> AsyncIterator[MakeModel]:
    """Build an adapter of `kind` whose script is `turns` (queued on the fake server for wire kinds)."""
    opened: list[AnthropicModel | OpenAIModel] = []

    def make(kind: Kind, turns: Sequence[TurnLike | Fault] = (), *, max_attempts: int = 4) -> Model:
        policy = RetryPolicy(max_attempts=max_attempts)
        if kind == "scripted":
            return ScriptedModel([t for t in turns if not isinstance(t, Fault)])
        fake_provider.push(*turns)
        model: AnthropicModel | OpenAIModel
        if kind == "anthropic":
            model = AnthropicModel(
                "claude-sonnet-4-6",
                api_key=API_KEY,
                base_url=fake_provider.anthropic_base_url,
                policy=policy,
                backoffs=backoffs,
            )
        else:
            model = OpenAIModel(
                "gpt-4o",
                api_key=API_KEY,
                base_url=fake_provider.openai_base_url,
                policy=policy,
                backoffs=backoffs,
                stream=kind == "openai",
            )
        opened.append(model)
        return model

    yield make
    for model in opened:
        await model.aclose()
