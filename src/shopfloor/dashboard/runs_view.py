"""Every run of the project, newest first: the run picker and the history page."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shopfloor.dashboard.state_reader import StateReader
from shopfloor.dashboard.task_rows import elapsed
from shopfloor.orchestrator.state_records import RunRecord


class RunSummary(BaseModel):
    id: int
    status: str
    started: float
    finished: float | None
    elapsed_s: float
    budget_usd: float | None
    scripted: bool = False
    """Every agent ran on the scripted model: its costs are what the routed models would have charged."""


class RunListItem(RunSummary):
    cost_usd: float = 0.0
    """Planning runs included."""
    tokens: int = 0
    tasks: int = 0
    by_status: dict[str, int] = Field(default_factory=dict)


class RunsView(BaseModel):
    runs: list[RunListItem] = Field(default_factory=list)
    latest_run_id: int | None = None


def summary(run: RunRecord, now: float, *, scripted: bool) -> RunSummary:
    return RunSummary(
        id=run.id,
        status=run.status,
        started=run.started,
        finished=run.finished,
        elapsed_s=elapsed(run.started, run.finished, now) or 0.0,
        budget_usd=run.budget_usd,
        scripted=scripted,
    )


def runs_view(reader: StateReader, now: float) -> RunsView:
    runs = reader.runs()
    providers: dict[int, set[str]] = {}
    for (run_id, _), provider in reader.providers().items():
        providers.setdefault(run_id, set()).add(provider)
    items = {
        run.id: RunListItem(**summary(run, now, scripted=providers.get(run.id) == {"scripted"}).model_dump())
        for run in runs
    }
    for tally in reader.tallies():
        item = items.get(tally.run_id)
        if item is None:
            continue
        item.cost_usd += tally.cost_usd
        item.tokens += tally.tokens
        if not tally.planning:
            item.tasks += tally.tasks
            item.by_status[tally.status] = item.by_status.get(tally.status, 0) + tally.tasks
    return RunsView(runs=list(items.values()), latest_run_id=runs[0].id if runs else None)
