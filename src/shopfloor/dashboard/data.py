"""What the dashboard shows, as typed views over the state database, the task queue and the project."""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import BaseModel, Field

from shopfloor.dashboard.catalog_view import AgentsView, agents_view
from shopfloor.dashboard.history import HISTORY_KINDS, task_history
from shopfloor.dashboard.runs_view import RunSummary, RunsView, runs_view, summary
from shopfloor.dashboard.state_reader import StateReader
from shopfloor.dashboard.task_rows import TaskRow, task_row
from shopfloor.dashboard.task_view import TaskDetail, task_detail
from shopfloor.dashboard.timeline import Timeline, build_timeline
from shopfloor.layout import Layout
from shopfloor.models.base import Usage
from shopfloor.orchestrator.state_records import RunRecord, TaskRecord
from shopfloor.queue.tasks import Task, load_task_queue

# The cost plot needs a readable line, not every model call of a long run.
MAX_SERIES_POINTS = 600


class RunTotals(BaseModel):
    cost_usd: float = 0.0
    tokens: int = 0
    usage: Usage = Field(default_factory=Usage)
    """Cache reads and writes included (`cache_read_tokens`, `cache_write_tokens`)."""
    cache_saved_usd: float = 0.0
    """What prompt caching saved: cached tokens billed as plain input, minus what they cost."""
    tasks: int = 0
    """Tasks of the queue; planning runs (decomposition, research) are counted in the costs only."""
    by_status: dict[str, int] = Field(default_factory=dict)


class RunView(BaseModel):
    """The run page: a run (the latest unless asked), its totals and every task.

    The latest run also lists the queue's tasks it has not reached; an earlier run shows what it ran.
    """

    project: str
    run: RunSummary | None
    latest_run_id: int | None = None
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
        """The run asked for, or the latest."""
        return self.reader.latest_run() if run_id is None else self.reader.run(run_id)

    def run_view(self, run_id: int | None = None) -> RunView:
        # Read the event id first: anything recorded while the rest is read arrives again live.
        last_event = self.reader.max_event_id()
        now = time.time()
        latest = self.reader.latest_run()
        run = (
            latest
            if run_id is None or (latest is not None and latest.id == run_id)
            else self.reader.run(run_id)
        )
        is_latest = run is None or (latest is not None and run.id == latest.id)
        queued, problems = self._queue()
        records = self.reader.tasks(run.id) if run is not None else []
        rows = self._rows(run, queued, now, unrun=is_latest, records=records)
        totals = RunTotals(tasks=sum(not r.planning for r in rows))
        for record in records:
            totals.cost_usd += record.cost_usd
            totals.cache_saved_usd += record.cache_saved_usd
            totals.usage = totals.usage + record.usage
        totals.tokens = totals.usage.total_tokens
        for row in rows:
            if not row.planning:
                totals.by_status[row.status] = totals.by_status.get(row.status, 0) + 1
        scripted = {r.provider for r in rows if r.provider is not None} == {"scripted"}
        return RunView(
            project=str(self.project),
            run=summary(run, now, scripted=scripted) if run is not None else None,
            latest_run_id=latest.id if latest is not None else None,
            totals=totals,
            tasks=rows,
            last_event_id=last_event,
            now=now,
            queue_problems=problems,
        )

    def _rows(
        self,
        run: RunRecord | None,
        queued: list[Task],
        now: float,
        *,
        unrun: bool = True,
        records: list[TaskRecord] | None = None,
    ) -> list[TaskRow]:
        """The run's tasks in queue order, with what the queue says of them, their gate rounds and
        providers; `unrun` adds the queue's tasks the run has not reached (the latest run's board)."""
        if records is None:
            records = self.reader.tasks(run.id) if run is not None else []
        by_record = {t.task_id: t for t in records}
        by_id = {t.id: t for t in queued}
        order = [t.id for t in queued if unrun or t.id in by_record]
        order += [tid for tid in by_record if tid not in by_id]
        rows = [task_row(by_record.get(tid), by_id.get(tid), now) for tid in order]
        if run is None:
            return rows
        index = {r.task_id: r for r in rows}
        for fact in self.reader.task_facts(run.id):
            row = index.get(fact.task_id)
            if row is None:
                continue
            if fact.kind == "gate_round":
                row.gate_rounds += 1
                row.gate_failures += fact.verdict == "fail"  # an `environment` round blames nobody
            else:
                row.provider = fact.provider
                row.scripted = fact.provider == "scripted"
        return rows

    def runs(self) -> RunsView:
        return runs_view(self.reader, time.time())

    def timeline(self, run_id: int | None = None) -> Timeline:
        run = self._run(run_id)
        now = time.time()
        if run is None:
            return build_timeline(None, [], [], [], now)
        rows = self._rows(run, self._queue()[0], now, unrun=False)
        return build_timeline(run, rows, self.reader.marks(run.id), self.reader.usage(run.id), now)

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
        queue = self._queue()[0]
        queued = next((t for t in queue if t.id == task_id), None)
        if record is None and queued is None:
            return None
        now = time.time()
        row = next(
            (r for r in self._rows(run, [queued] if queued else [], now) if r.task_id == task_id), None
        )
        row = row or task_row(record, queued, now)
        attempts = self.reader.attempts(run.id, task_id) if run is not None and record is not None else []
        events = self.reader.events_of(run.id, HISTORY_KINDS, task_id) if run is not None else []
        detail = task_detail(
            self.project,
            run_id=run.id if run is not None else None,
            row=row,
            record=record,
            queued=queued,
            attempts=attempts,
            history=task_history(self.project, task_id, events),
        )
        detail.dependents = [t.id for t in queue if task_id in t.dependencies]
        return detail

    def agents(self) -> AgentsView:
        return agents_view(self.project, home=self.home)
