"""What the dashboard shows, as typed views over the state database, the task queue and the project."""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import BaseModel, Field

from shopfloor.dashboard.catalog_view import AgentsView, agents_view
from shopfloor.dashboard.state_reader import StateReader
from shopfloor.dashboard.task_rows import TaskRow, elapsed, task_row
from shopfloor.dashboard.task_view import TaskDetail, task_detail
from shopfloor.layout import Layout
from shopfloor.models.base import Usage
from shopfloor.orchestrator.state_records import RunRecord
from shopfloor.queue.tasks import Task, load_task_queue

# The cost plot needs a readable line, not every model call of a long run.
MAX_SERIES_POINTS = 600


class RunSummary(BaseModel):
    id: int
    status: str
    started: float
    finished: float | None
    elapsed_s: float
    budget_usd: float | None


class RunTotals(BaseModel):
    cost_usd: float = 0.0
    tokens: int = 0
    usage: Usage = Field(default_factory=Usage)
    """Cache reads and writes included (`cache_read_tokens`, `cache_write_tokens`)."""
    cache_saved_usd: float = 0.0
    """What prompt caching saved: cached tokens billed as plain input, minus what they cost."""
    tasks: int = 0
    by_status: dict[str, int] = Field(default_factory=dict)


class RunView(BaseModel):
    """The run page: the latest run (if any), its totals and every task, queued ones included."""

    project: str
    run: RunSummary | None
    totals: RunTotals
    tasks: list[TaskRow]
    last_event_id: int
    """Start the live stream after this id and nothing recorded since this view is missed."""
    now: float
    queue_problems: list[str] = Field(default_factory=list)


class SeriesPoint(BaseModel):
    t_s: float
    """Seconds since the run started."""
    cost_usd: float
    """Cumulative."""
    tokens: int
    """Cumulative."""


class TaskBar(BaseModel):
    task_id: str
    cost_usd: float
    tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_saved_usd: float = 0.0


class Series(BaseModel):
    """Cost and tokens over time (cumulative) and per task, for the plots."""

    run_id: int | None
    started: float | None
    budget_usd: float | None
    points: list[SeriesPoint]
    per_task: list[TaskBar]


class DashboardData:
    """Every view the dashboard serves, read fresh on each call; safe to share between threads."""

    def __init__(self, project: Path, *, home: Path | None = None) -> None:
        self.project = project.resolve()
        self.home = home
        self.reader = StateReader(self.project)
        self._queue_cache: tuple[float, list[Task], list[str]] | None = None

    def close(self) -> None:
        self.reader.close()

    def _queue(self) -> tuple[list[Task], list[str]]:
        """The task queue's tasks and problems, re-read only when the file changed."""
        path = Layout(self.project).task_queue
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return [], []
        cached = self._queue_cache
        if cached is not None and cached[0] == mtime:
            return cached[1], cached[2]
        try:
            queue = load_task_queue(path)
        except (OSError, ValueError) as err:
            return [], [f"{path}: {err}"]
        problems = [str(p) for p in queue.problems]
        self._queue_cache = (mtime, queue.tasks, problems)
        return queue.tasks, problems

    def _run(self, run_id: int | None) -> RunRecord | None:
        return self.reader.latest_run() if run_id is None else self.reader.run(run_id)

    def run_view(self, run_id: int | None = None) -> RunView:
        # Read the event id first: anything recorded while the rest is read arrives again live.
        last_event = self.reader.max_event_id()
        now = time.time()
        run = self._run(run_id)
        queued, problems = self._queue()
        records = {t.task_id: t for t in self.reader.tasks(run.id)} if run is not None else {}
        by_id = {t.id: t for t in queued}
        order = [t.id for t in queued] + [tid for tid in records if tid not in by_id]
        rows = [task_row(records.get(tid), by_id.get(tid), now) for tid in order]
        totals = RunTotals(tasks=len(rows))
        for record in records.values():
            totals.cost_usd += record.cost_usd
            totals.cache_saved_usd += record.cache_saved_usd
            totals.usage = totals.usage + record.usage
        totals.tokens = totals.usage.total_tokens
        for row in rows:
            totals.by_status[row.status] = totals.by_status.get(row.status, 0) + 1
        summary = None
        if run is not None:
            summary = RunSummary(
                id=run.id,
                status=run.status,
                started=run.started,
                finished=run.finished,
                elapsed_s=elapsed(run.started, run.finished, now) or 0.0,
                budget_usd=run.budget_usd,
            )
        return RunView(
            project=str(self.project),
            run=summary,
            totals=totals,
            tasks=rows,
            last_event_id=last_event,
            now=now,
            queue_problems=problems,
        )

    def series(self, run_id: int | None = None) -> Series:
        run = self._run(run_id)
        if run is None:
            return Series(run_id=None, started=None, budget_usd=None, points=[], per_task=[])
        times: list[float] = []
        costs: list[float] = []
        totals: list[int] = []
        cost, tokens = 0.0, 0
        for use in self.reader.usage(run.id):
            cost += use.cost_usd
            tokens += use.tokens
            times.append(max(0.0, use.ts - run.started))
            costs.append(cost)
            totals.append(tokens)
        keep: range | list[int] = range(len(times))
        if len(times) > MAX_SERIES_POINTS:
            step = len(times) / MAX_SERIES_POINTS
            keep = [int(i * step) for i in range(MAX_SERIES_POINTS - 1)] + [len(times) - 1]
        points = [SeriesPoint(t_s=times[i], cost_usd=costs[i], tokens=totals[i]) for i in keep]
        bars = [
            TaskBar(
                task_id=t.task_id,
                cost_usd=t.cost_usd,
                tokens=t.usage.total_tokens,
                cache_read_tokens=t.usage.cache_read_tokens,
                cache_write_tokens=t.usage.cache_write_tokens,
                cache_saved_usd=t.cache_saved_usd,
            )
            for t in self.reader.tasks(run.id)
        ]
        return Series(
            run_id=run.id, started=run.started, budget_usd=run.budget_usd, points=points, per_task=bars
        )

    def task(self, task_id: str, run_id: int | None = None) -> TaskDetail | None:
        """The task page, or None when neither the run nor the queue knows the task."""
        run = self._run(run_id)
        record = self.reader.task(run.id, task_id) if run is not None else None
        queued = next((t for t in self._queue()[0] if t.id == task_id), None)
        if record is None and queued is None:
            return None
        row = task_row(record, queued, time.time())
        attempts = self.reader.attempts(run.id, task_id) if run is not None and record is not None else []
        gate_round = self.reader.latest_payload(run.id, task_id, "gate_round") if run is not None else None
        report = gate_round.get("report") if gate_round is not None else None
        gate_payload = report if isinstance(report, dict) else None
        return task_detail(
            self.project,
            run_id=run.id if run is not None else None,
            row=row,
            record=record,
            queued=queued,
            attempts=attempts,
            gate_payload=gate_payload,
        )

    def agents(self) -> AgentsView:
        return agents_view(self.project, home=self.home)
