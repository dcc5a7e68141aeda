"""`shopfloor run --dry-run`: the plan (tasks, agents, models, waves, a cost range) with no model call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shopfloor.config.settings import Settings
from shopfloor.models.base import Usage
from shopfloor.models.resolve import price_for_spec
from shopfloor.orchestrator.launcher import model_spec
from shopfloor.queue.dag import graph_of, waves
from shopfloor.queue.routing import route
from shopfloor.queue.tasks import TaskQueue

# A rough envelope of one task's spend by complexity: (turns low, turns high). Each turn re-sends a mostly
# cached prompt (~25k tokens read from cache, ~3k new) and writes ~800 tokens.
_TURNS = {"easy": (8, 25), "normal": (15, 50), "complex": (30, 100)}
_TURN_USAGE = Usage(input_tokens=3_000, output_tokens=800, cache_read_tokens=25_000, cache_write_tokens=3_000)
# Decomposition reads the PRD and the code, then writes the queue (and fixes what validation finds).
_DECOMPOSITION_TURNS = (5, 30)


def cost_range(spec: str, turns: tuple[int, int], settings: Settings) -> tuple[float, float] | None:
    """What `turns` turns of the model `spec` names would cost at its list price; None when unpriced."""
    price = price_for_spec(spec, settings.models)
    if price is None:
        return None
    per_turn = price.cost(_TURN_USAGE)
    return per_turn * turns[0], per_turn * turns[1]


def decomposition_cost(spec: str, settings: Settings) -> tuple[float, float] | None:
    return cost_range(spec, _DECOMPOSITION_TURNS, settings)


@dataclass(frozen=True)
class PlannedTask:
    task_id: str
    agent: str
    model: str
    wave: int
    cost_low: float | None
    cost_high: float | None


@dataclass(frozen=True)
class Plan:
    tasks: list[PlannedTask]
    waves: list[list[str]]

    @property
    def cost_range(self) -> tuple[float, float] | None:
        lows = [t.cost_low for t in self.tasks]
        highs = [t.cost_high for t in self.tasks]
        if any(v is None for v in lows + highs):
            return None
        return sum(v or 0.0 for v in lows), sum(v or 0.0 for v in highs)


def make_plan(
    queue: TaskQueue, settings: Settings, *, override: str | None = None, project: Path | None = None
) -> Plan:
    """The run's tasks in waves, each with its agent, the model it would run on (`override` is `--model`)
    and a cost range at that model's list price."""
    pending = [t for t in queue.tasks if t.status != "completed"]
    done = [t.id for t in queue.tasks if t.status == "completed"]
    order = waves(graph_of(queue.tasks), done)
    wave_of = {tid: i + 1 for i, wave in enumerate(order) for tid in wave}
    planned = []
    for task in pending:
        r = route(task, settings.routing)
        spec = model_spec(project or Path(), override, task.id, r.model) or r.model
        turns = _TURNS.get(task.complexity, _TURNS["normal"])
        rng = cost_range(spec, turns, settings)
        planned.append(
            PlannedTask(
                task_id=task.id,
                agent=r.agent,
                model=spec,
                wave=wave_of.get(task.id, 0),
                cost_low=None if rng is None else rng[0],
                cost_high=None if rng is None else rng[1],
            )
        )
    return Plan(tasks=planned, waves=order)
