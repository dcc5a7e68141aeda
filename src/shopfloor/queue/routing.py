"""Which agent and model take a task: by category and complexity, unless the task names its own."""

from __future__ import annotations

from dataclasses import dataclass

from shopfloor.config.sections import RoutingSettings
from shopfloor.queue.tasks import Task


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
