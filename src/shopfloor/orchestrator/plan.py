"""`shopfloor run --dry-run`: the plan (tasks, agents, models, waves, a cost range) with no model call."""

from __future__ import annotations

from dataclasses import dataclass

from shopfloor.config.settings import Settings
from shopfloor.models.base import Usage
from shopfloor.models.resolve import price_for_spec
from shopfloor.queue.dag import graph_of, waves
from shopfloor.queue.routing import route
from shopfloor.queue.tasks import TaskQueue

# A rough envelope of one task's spend by complexity: (turns low, turns high). Each turn re-sends a mostly
# cached prompt (~25k tokens read from cache, ~3k new) and writes ~800 tokens.
_TURNS = {"easy": (8, 25), "normal": (15, 50), "complex": (30, 100)}
_TURN_USAGE = Usage(input_tokens=3_000, output_tokens=800, cache_read_tokens=25_000, cache_write_tokens=3_000)


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


def make_plan(queue: TaskQueue, settings: Settings) -> Plan:
    pending = [t for t in queue.tasks if t.status != "completed"]
    done = [t.id for t in queue.tasks if t.status == "completed"]
    order = waves(graph_of(queue.tasks), done)
    wave_of = {tid: i + 1 for i, wave in enumerate(order) for tid in wave}
    planned = []
    for task in pending:
        r = route(task, settings.routing)
        price = price_for_spec(r.model, settings.models)
        low, high = _TURNS.get(task.complexity, _TURNS["normal"])
        per_turn = price.cost(_TURN_USAGE) if price else None
        planned.append(
            PlannedTask(
                task_id=task.id,
                agent=r.agent,
                model=r.model,
                wave=wave_of.get(task.id, 0),
                cost_low=None if per_turn is None else per_turn * low,
                cost_high=None if per_turn is None else per_turn * high,
            )
        )
    return Plan(tasks=planned, waves=order)
