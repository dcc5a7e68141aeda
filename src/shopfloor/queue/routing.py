"""Which agent and model take a task: by category and complexity, unless the task names its own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, Field, field_validator

from shopfloor.queue.tasks import Category, Complexity, Task

DEFAULT_AGENTS: dict[Category, str] = {
    "backend": "backend-agent",
    "frontend": "frontend-agent",
    "testing": "qa-agent",
    "fullstack": "general-purpose",
    "devops": "general-purpose",
    "docs": "general-purpose",
}
DEFAULT_MODELS: dict[Complexity, str] = {"easy": "haiku", "normal": "sonnet", "complex": "opus"}


class RoutingSettings(BaseModel):
    """The `[routing]` section. Partial maps are laid over the defaults, so a config names only changes."""

    agents: dict[Category, str] = Field(default_factory=lambda: dict(DEFAULT_AGENTS))
    """Category -> agent name (backend -> backend-agent, frontend -> frontend-agent, testing -> qa-agent,
    fullstack/devops/docs -> general-purpose)."""
    models: dict[Complexity, str] = Field(default_factory=lambda: dict(DEFAULT_MODELS))
    """Complexity -> model spec (easy -> haiku, normal -> sonnet, complex -> opus); any spec
    `--model` accepts works here."""

    @field_validator("agents", mode="before")
    @classmethod
    def _agents_over_defaults(cls, value: object) -> object:
        return {**DEFAULT_AGENTS, **value} if isinstance(value, Mapping) else value

    @field_validator("models", mode="before")
    @classmethod
    def _models_over_defaults(cls, value: object) -> object:
        return {**DEFAULT_MODELS, **value} if isinstance(value, Mapping) else value


@dataclass(frozen=True)
class Route:
    agent: str
    model: str
    agent_from_task: bool = False
    """True when the task's own Agent field chose the agent."""
    model_from_task: bool = False
    """True when the task's own Model field chose the model."""


def route(task: Task, settings: RoutingSettings | None = None) -> Route:
    """The task's own Agent/Model win; otherwise the category and complexity maps decide."""
    settings = settings or RoutingSettings()
    agent = task.agent or settings.agents[task.category]
    model = task.model or settings.models[task.complexity]
    return Route(agent, model, agent_from_task=bool(task.agent), model_from_task=bool(task.model))
