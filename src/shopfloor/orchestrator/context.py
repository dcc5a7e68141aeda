"""What every task of one orchestrated run shares: project, settings, store, merge queue, budgets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from shopfloor.agent.events import Event, ModelReplied, TaskStatus
from shopfloor.config.settings import Settings
from shopfloor.layout import Layout
from shopfloor.models.base import CacheTTL
from shopfloor.models.retry import BackoffRegistry
from shopfloor.orchestrator.merge_queue import MergeQueue
from shopfloor.orchestrator.scheduler import Concurrency
from shopfloor.orchestrator.store import Store


@dataclass
class RunSpend:
    """Dollars for the whole run: spent so far plus what running tasks have reserved."""

    budget_usd: float | None
    per_task_usd: float | None
    spent_usd: float = 0.0
    reserved: dict[str, float] = field(default_factory=dict)

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


@dataclass
class RunContext:
    project: Path
    settings: Settings
    store: Store
    run_id: int
    integration: str
    merge_queue: MergeQueue
    backoffs: BackoffRegistry
    concurrency: Concurrency
    spend: RunSpend
    model_override: str | None = None
    """A model spec forced on every agent (`--model`); a `scripted:DIR` picks DIR/<TASK-ID>.yaml."""
    listeners: list[Callable[[Event], None]] = field(default_factory=list)
    tasks_per_agent: dict[str, int] = field(default_factory=dict)
    """How many of the run's tasks go to each agent; it sets how long the agent's prompt prefix is cached."""

    def cache_ttl_for(self, agent: str) -> CacheTTL:
        """An hour when more than one task goes to `agent`: a later task then still finds the shared prefix
        after the gates and merges in between (a 1-hour write costs 2x input, a 5-minute one 1.25x, and a
        read 0.1x, so one expiry avoided pays for it; see bench/cache_bill.py). Else five minutes."""
        return "1h" if self.tasks_per_agent.get(agent, 0) > 1 else "5m"

    @property
    def queue_path(self) -> Path:
        return Layout(self.project).task_queue

    def model_spec_for(self, task_id: str, routed: str | None) -> str | None:
        spec = self.model_override
        if spec and spec.startswith("scripted:"):
            path = Path(spec.removeprefix("scripted:")).expanduser()
            if not path.is_absolute():
                path = self.project / path
            if path.is_dir():
                return f"scripted:{path / f'{task_id}.yaml'}"
        return spec or routed

    def record(self, event: Event) -> None:
        """One agent event: into the store's stream, usage into the task's bill, out to listeners."""
        self.store.record_event(self.run_id, event.kind, event, task_id=event.task_id or None)
        if isinstance(event, ModelReplied):
            self.spend.spent_usd += event.cost_usd or 0.0
            self.store.add_usage(
                self.run_id,
                event.task_id,
                event.usage,
                event.cost_usd or 0.0,
                cache_saved_usd=event.cache_saved_usd or 0.0,
            )
        for listener in self.listeners:
            listener(event)

    def status(self, task_id: str, status: str, *, detail: str = "", reason: str = "") -> None:
        """Move a task on: in the store, in its event stream, and out to listeners (the live view)."""
        self.store.upsert_task(self.run_id, task_id, status=status)
        event = TaskStatus(task_id=task_id, status=status, detail=detail, reason=reason)
        self.store.record_event(self.run_id, "task_status", event, task_id=task_id)
        for listener in self.listeners:
            listener(event)
