"""One task as a row of the board: the store's record merged with what the task queue says."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from shopfloor.dashboard.state_reader import PLANNING_IDS
from shopfloor.orchestrator.state_records import TaskRecord
from shopfloor.queue.tasks import Task

TITLE_CHARS = 64
PLANNING_TITLES = {
    "decomposition": "The PRD turned into a task queue",
    "research": "Issues found for the next improvement loop",
}


class TaskRow(BaseModel):
    """One task on the board."""

    task_id: str
    title: str | None = None
    """The queue's title, or the objective's first clause when the queue gives none."""
    category: str | None = None
    status: str
    planning: bool = False
    """A planner's run (decomposition, research), shown apart from the queue's tasks."""
    agent: str | None = None
    model: str | None = None
    provider: str | None = None
    """What its newest agent session ran on (anthropic, openai, scripted, ...)."""
    scripted: bool = False
    """Its agent ran on the scripted model: the costs are what the routed model would have charged."""
    attempt: int = 0
    gate_rounds: int = 0
    gate_failures: int = 0
    """Gate rounds that failed; a completed task with some passed after that many retries."""
    started: float | None = None
    finished: float | None = None
    elapsed_s: float | None = None
    """Seconds from start to finish, or to now while it runs."""
    cost_usd: float = 0.0
    tokens: int = 0
    dependencies: list[str] = Field(default_factory=list)
    last_error: str | None = None
    """Why a failed, blocked or skipped task ended as it did."""


def elapsed(started: float | None, finished: float | None, now: float) -> float | None:
    if started is None:
        return None
    return max(0.0, (finished or now) - started)


def short_title(objective: str) -> str | None:
    """The objective's first clause, for a queue that gives its tasks no title."""
    text = " ".join(objective.split())
    if not text:
        return None
    clause = re.split(r"(?<=[.;:!?])\s", text, maxsplit=1)[0].rstrip(".;:")
    if len(clause) <= TITLE_CHARS:
        return clause
    return clause[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;") + "…"


def task_row(record: TaskRecord | None, queued: Task | None, now: float) -> TaskRow:
    """The store's record wins where both know a field; a queued task not yet run shows its queue status."""
    if record is None and queued is None:
        raise ValueError("a task row needs a store record or a queued task")
    task_id = record.task_id if record is not None else queued.id if queued is not None else ""
    status = record.status if record is not None else queued.status if queued is not None else "pending"
    # Built as one dict and validated once: a board of hundreds of rows is rebuilt on every refresh.
    fields: dict[str, Any] = {"task_id": task_id, "status": status, "planning": task_id in PLANNING_IDS}
    if queued is not None:
        fields.update(
            title=queued.title or short_title(queued.objective),
            category=queued.category,
            dependencies=list(queued.dependencies),
            agent=queued.agent,
            model=queued.model,
        )
    if record is not None:
        fields.update(
            agent=record.agent or fields.get("agent"),
            model=record.model or fields.get("model"),
            attempt=record.attempts,
            started=record.started,
            finished=record.finished,
            elapsed_s=elapsed(record.started, record.finished, now),
            cost_usd=record.cost_usd,
            tokens=record.usage.total_tokens,
            last_error=record.last_error,
        )
    if fields["planning"] and fields.get("title") is None:
        fields["title"] = PLANNING_TITLES.get(task_id)
    return TaskRow(**fields)
