"""Dollars for a whole run: spent so far plus what running tasks have reserved."""

from __future__ import annotations

from dataclasses import dataclass, field

from shopfloor.agent.events import ModelReplied
from shopfloor.orchestrator.events import RunEvent


@dataclass
class RunSpend:
    """The run's budget. It listens to the run's events to count what was spent."""

    budget_usd: float | None
    per_task_usd: float | None
    spent_usd: float = 0.0
    reserved: dict[str, float] = field(default_factory=dict)

    def __call__(self, event: RunEvent) -> None:
        if isinstance(event, ModelReplied):
            self.spent_usd += event.cost_usd or 0.0

    def can_start(self, task_id: str) -> str | None:
        if self.budget_usd is None:
            return None
        need = self.per_task_usd or 0.0
        left = self.budget_usd - self.spent_usd - sum(self.reserved.values())
        if left <= 0 or left < need:
            return f"run budget left (${max(left, 0):.2f}) cannot cover another task (${need:.2f} each)"
        return None

    def claim(self, task_id: str) -> str | None:
        """Reserve the task's dollars when what is left covers them; else say why it cannot start.

        The scheduler calls this as it decides, so tasks started in the same pass see each other's share.
        """
        reason = self.can_start(task_id)
        if reason is None:
            self.reserve(task_id)
        return reason

    def reserve(self, task_id: str) -> None:
        self.reserved[task_id] = self.per_task_usd or 0.0

    def release(self, task_id: str) -> None:
        self.reserved.pop(task_id, None)

    def guard(self) -> str | None:
        """Stops any agent once the run's dollars are gone."""
        if self.budget_usd is not None and self.spent_usd >= self.budget_usd:
            return f"run budget spent (${self.spent_usd:.4f} of ${self.budget_usd:.2f})"
        return None
