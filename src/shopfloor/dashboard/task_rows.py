"""One task as a row of the board: the store's record merged with what the task queue says."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shopfloor.orchestrator.state_records import TaskRecord
from shopfloor.queue.tasks import Task


class TaskRow(BaseModel):
    """One task on the board."""

    task_id: str
    title: str | None = None
    category: str | None = None
    status: str
    agent: str | None = None
    model: str | None = None
    attempt: int = 0
    started: float | None = None
    finished: float | None = None
    elapsed_s: float | None = None
    """Seconds from start to finish, or to now while it runs."""
    cost_usd: float = 0.0
    tokens: int = 0
    dependencies: list[str] = Field(default_factory=list)
    last_error: str | None = None


def elapsed(started: float | None, finished: float | None, now: float) -> float | None:
    if started is None:
        return None
    return max(0.0, (finished or now) - started)


def task_row(record: TaskRecord | None, queued: Task | None, now: float) -> TaskRow:
    """The store's record wins where both know a field; a queued task not yet run shows its queue status."""
    if record is None and queued is None:
        raise ValueError("a task row needs a store record or a queued task")
    task_id = record.task_id if record is not None else queued.id if queued is not None else ""
    status = record.status if record is not None else queued.status if queued is not None else "pending"
    row = TaskRow(task_id=task_id, status=status)
    if queued is not None:
        row.title = queued.title
        row.category = queued.category
        row.dependencies = list(queued.dependencies)
        row.agent = queued.agent
        row.model = queued.model
    if record is not None:
        row.agent = record.agent or row.agent
        row.model = record.model or row.model
        row.attempt = record.attempts
        row.started = record.started
        row.finished = record.finished
        row.elapsed_s = elapsed(record.started, record.finished, now)
        row.cost_usd = record.cost_usd
        row.tokens = record.usage.total_tokens
        row.last_error = record.last_error
    return row
