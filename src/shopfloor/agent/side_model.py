"""The model the tools ask side questions of (WebFetch reads pages with it, WebSearch searches):
chosen for the run, charged to the agent's budget and recorded in its transcript."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from shopfloor.agent.budget import Budget
from shopfloor.agent.events import Event, ModelReplied
from shopfloor.config.sections import ModelSettings, ToolSettings
from shopfloor.models.base import Model, ModelConfigError, ModelError, ModelRequest, ModelResponse
from shopfloor.models.retry import BackoffRegistry
from shopfloor.tools.errors import ToolError

SMALL_MODEL = "haiku"
"""What Claude Code reads fetched pages with; used on Anthropic runs unless `[tools] web_model` says."""


@dataclass
class SideModel:
    """`ask` runs one request; the model is built on first use, so a run that never asks needs none."""

    agent_model: Model
    budget: Budget
    emit: Callable[[Event], None]
    task_id: str
    tools: ToolSettings
    models: ModelSettings
    backoffs: BackoffRegistry | None = None
    root: Path | None = None
    """Where relative `scripted:` paths start."""
    via: list[str] = field(default_factory=list)
    _model: Model | None = None

    @property
    def spec(self) -> str | None:
        """The model spec to build, or None to use the agent's own model."""
        if self.tools.web_model:
            return self.tools.web_model
        return SMALL_MODEL if self.agent_model.profile.provider == "anthropic" else None

    @property
    def provider(self) -> str:
        spec = self.spec
        if spec is None:
            return self.agent_model.profile.provider
        from shopfloor.models.resolve import ModelSpecError, parse_spec

        try:
            return parse_spec(spec, settings=self.models).provider
        except ModelSpecError:
            return "unknown"

    def model(self) -> Model:
        if self._model is None:
            spec = self.spec
            if spec is None:
                self._model = self.agent_model
            else:
                from shopfloor.models.resolve import resolve_model

                self._model = resolve_model(
                    spec,
                    agent_model=None,
                    settings=self.models,
                    backoffs=self.backoffs,
                    base_dir=self.root,
                )
        return self._model

    async def aclose(self) -> None:
        """Close the model built for side questions (the agent's own model is its owner's to close)."""
        model, self._model = self._model, None
        if model is not None and model is not self.agent_model:
            await close_model(model)

    async def ask(self, request: ModelRequest, *, purpose: str) -> ModelResponse:
        stop = self.budget.exceeded()
        if stop:
            raise ToolError(f"Error: {purpose} needs a model call, but the agent's budget is spent: {stop}.")
        try:
            model = self.model()
        except (ModelError, ModelConfigError) as err:
            raise ToolError(f"Error: {purpose} cannot reach its model: {err}") from None
        profile = model.profile
        request = request.model_copy(
            update={"max_tokens": min(request.max_tokens, profile.max_output_tokens)}
        )
        t0 = time.monotonic()
        try:
            response = await model.complete(request)
        except ModelError as err:
            raise ToolError(f"Error: {purpose} failed: the model call failed: {err}") from None
        cost = profile.cost(response.usage)
        self.budget.absorb(response.usage, cost)
        self.emit(
            ModelReplied(
                task_id=self.task_id,
                via=[*self.via, purpose],
                turn=self.budget.turns,
                text=response.message.text,
                tool_calls=0,
                stop_reason=response.stop_reason,
                usage=response.usage,
                cost_usd=cost,
                duration_s=time.monotonic() - t0,
            )
        )
        return response


async def close_model(model: Model) -> None:
    """Close an adapter's HTTP client, for adapters that hold one."""
    aclose = getattr(model, "aclose", None)
    if aclose is not None:
        await aclose()
