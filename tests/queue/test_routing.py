"""Routing: defaults from the design, partial config maps, and a task's own choice winning."""

from __future__ import annotations

import pytest

from shopfloor.config.sections import RoutingSettings
from shopfloor.queue.routing import Route, route
from shopfloor.queue.tasks import Task


def _task(**fields: object) -> Task:
    base: dict[str, object] = {"id": "TASK-001", "category": "backend", "complexity": "normal"}
    return Task.model_validate({**base, **fields})


@pytest.mark.parametrize(
    ("category", "complexity", "expected"),
    [
        ("backend", "normal", Route("backend-agent", "sonnet")),
        ("frontend", "easy", Route("frontend-agent", "haiku")),
        ("testing", "complex", Route("qa-agent", "opus")),
        ("fullstack", "normal", Route("general-purpose", "sonnet")),
        ("devops", "easy", Route("general-purpose", "haiku")),
        ("docs", "complex", Route("general-purpose", "opus")),
    ],
)
def test_defaults(category: str, complexity: str, expected: Route) -> None:
    assert route(_task(category=category, complexity=complexity)) == expected


def test_partial_config_keeps_other_defaults() -> None:
    settings = RoutingSettings.model_validate(
        {"agents": {"devops": "devops-agent"}, "models": {"complex": "anthropic:claude-opus-4-1"}}
    )
    assert route(_task(category="devops", complexity="complex"), settings) == Route(
        "devops-agent", "anthropic:claude-opus-4-1"
    )
    assert route(_task(category="backend", complexity="easy"), settings) == Route("backend-agent", "haiku")


def test_task_fields_win_over_maps() -> None:
    settings = RoutingSettings.model_validate({"agents": {"backend": "other"}})
    chosen = route(_task(agent="security-agent", model="openai:gpt-4.1"), settings)
    assert chosen == Route("security-agent", "openai:gpt-4.1", agent_from_task=True, model_from_task=True)
    assert route(_task(model="opus"), settings) == Route("other", "opus", model_from_task=True)


def test_unknown_category_in_config_is_refused() -> None:
    with pytest.raises(ValueError, match="backnd"):
        RoutingSettings.model_validate({"agents": {"backnd": "x"}})
