"""The run's timeline: one bar per task split into its phases, with what each phase cost.

Phases come from the run's `task_phase` events; each lasts until the task's next phase or its end. The
critical path is the chain that decided when the run ended: the last task to finish, the dependency
that finished last before it, and so on back.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from shopfloor.dashboard.state_reader import Mark, UsageRow
from shopfloor.dashboard.task_rows import TaskRow
from shopfloor.orchestrator.state_records import RunRecord

_ENDS = frozenset({"completed", "failed", "blocked", "skipped"})
PHASES = ("planning", "setup", "agent", "gate", "retry", "merge", "work")
"""Every phase a span can have; `work` is a whole task recorded before phases were (an older run)."""


class Span(BaseModel):
    phase: str
    attempt: int = 0
    start_s: float
    """Seconds since the run started."""
    end_s: float
    cost_usd: float = 0.0
    tokens: int = 0
    open: bool = False
    """Still going on: it ends at `now`."""


class TimelineRow(BaseModel):
    task_id: str
    title: str | None = None
    status: str
    planning: bool = False
    critical: bool = False
    dependencies: list[str] = Field(default_factory=list)
    start_s: float
    end_s: float
    cost_usd: float = 0.0
    spans: list[Span] = Field(default_factory=list)


class PhaseTotal(BaseModel):
    phase: str
    seconds: float = 0.0
    """Task-seconds: two tasks in the same phase at once count twice."""
    cost_usd: float = 0.0
    tokens: int = 0


class Timeline(BaseModel):
    run_id: int | None
    duration_s: float = 0.0
    rows: list[TimelineRow] = Field(default_factory=list)
    totals: list[PhaseTotal] = Field(default_factory=list)
    max_parallel: int = 0
    """The most tasks (planning apart) at work at the same moment."""
    critical_path: list[str] = Field(default_factory=list)
    timed: bool = True
    """False when some task's bar is one `work` span: the run was recorded before phase timings."""


@dataclass
class _Track:
    started: float | None = None
    ended: float | None = None
    marks: list[tuple[float, str, int]] = field(default_factory=list)


def _ends(mark: Mark) -> bool:
    """A final status, or a stopped run's task put back to wait (that status says why)."""
    return mark.value in _ENDS or (mark.value == "pending" and mark.detail)


def _tracks(marks: list[Mark]) -> dict[str, _Track]:
    tracks: dict[str, _Track] = {}
    for mark in marks:
        if not mark.task_id:
            continue
        track = tracks.setdefault(mark.task_id, _Track())
        if mark.kind == "task_started":
            # A task taken up again (on resume) starts over; its earlier phases stay on the bar.
            track.started = mark.ts if track.started is None else track.started
            track.ended = None
        elif mark.kind == "task_phase":
            track.marks.append((mark.ts, mark.value, mark.attempt))
            track.ended = None
        elif mark.kind == "task_status" and _ends(mark):
            track.ended = mark.ts
    return tracks


def _spans(track: _Track, planning: bool, origin: float, end: float, live: bool) -> list[Span]:
    """The task's phases in seconds since `origin` (the run's start); the last one lasts until `end`."""
    start = (track.started if track.started is not None else track.marks[0][0]) - origin
    if planning or not track.marks:
        return [Span(phase="planning" if planning else "work", start_s=start, end_s=end, open=live)]
    spans: list[Span] = []
    marks = [(ts - origin, phase, attempt) for ts, phase, attempt in sorted(track.marks)]
    for i, (ts, phase, attempt) in enumerate(marks):
        until = marks[i + 1][0] if i + 1 < len(marks) else end
        if spans and spans[-1].phase == phase and spans[-1].attempt == attempt:
            spans[-1].end_s = until
            continue
        spans.append(Span(phase=phase, attempt=attempt, start_s=ts, end_s=until))
    spans[-1].open = live
    return spans


def _charge(spans: list[Span], usage: list[UsageRow], origin: float) -> None:
    """Each model call's cost goes to the span it was made in (by time; a late one to the last span)."""
    starts = [s.start_s for s in spans]
    costs = [0.0] * len(spans)
    tokens = [0] * len(spans)
    for use in usage:
        i = max(0, bisect_right(starts, use.ts - origin) - 1)
        costs[i] += use.cost_usd
        tokens[i] += use.tokens
    for span, cost, count in zip(spans, costs, tokens, strict=True):
        span.cost_usd, span.tokens = cost, count


def _critical(rows: list[TimelineRow]) -> list[str]:
    by_id = {r.task_id: r for r in rows if not r.planning}
    if not by_id:
        return []
    path = [max(by_id.values(), key=lambda r: r.end_s)]
    while True:
        deps = [by_id[d] for d in path[-1].dependencies if d in by_id and by_id[d] not in path]
        if not deps:
            break
        path.append(max(deps, key=lambda r: r.end_s))
    planners = [r for r in rows if r.planning and r.task_id == "decomposition"]
    return [r.task_id for r in planners] + [r.task_id for r in reversed(path)]


def _parallel(rows: list[TimelineRow]) -> int:
    edges = sorted(
        [(r.start_s, 1) for r in rows if not r.planning] + [(r.end_s, -1) for r in rows if not r.planning]
    )
    most = level = 0
    for _, step in edges:  # an end sorts before a start at the same moment (-1 < 1)
        level += step
        most = max(most, level)
    return most


def build_timeline(
    run: RunRecord | None, rows: list[TaskRow], marks: list[Mark], usage: list[UsageRow], now: float
) -> Timeline:
    if run is None:
        return Timeline(run_id=None)
    origin = run.started
    run_end = run.finished if run.finished is not None else now
    tracks = _tracks(marks)
    by_task: dict[str, list[UsageRow]] = {}
    for use in usage:
        by_task.setdefault(use.task_id, []).append(use)
    timeline = Timeline(run_id=run.id, duration_s=max(0.0, run_end - origin))
    for row in rows:
        track = tracks.get(row.task_id)
        if track is None or (track.started is None and not track.marks):
            continue
        begin = track.started if track.started is not None else track.marks[0][0]
        live = track.ended is None and run.finished is None
        finish = track.ended if track.ended is not None else (row.finished or run_end)
        spans = _spans(track, row.planning, origin, max(begin, finish) - origin, live)
        _charge(spans, by_task.get(row.task_id, []), origin)
        timeline.rows.append(
            TimelineRow(
                task_id=row.task_id,
                title=row.title,
                status=row.status,
                planning=row.planning,
                dependencies=row.dependencies,
                start_s=spans[0].start_s,
                end_s=spans[-1].end_s,
                cost_usd=sum(s.cost_usd for s in spans),
                spans=spans,
            )
        )
    timeline.rows.sort(key=lambda r: (not r.planning, r.start_s))
    timeline.critical_path = _critical(timeline.rows)
    for r in timeline.rows:
        r.critical = r.task_id in timeline.critical_path
    timeline.max_parallel = _parallel(timeline.rows)
    totals: dict[str, list[float]] = {phase: [0.0, 0.0, 0.0] for phase in PHASES}
    for r in timeline.rows:
        for s in r.spans:
            total = totals.setdefault(s.phase, [0.0, 0.0, 0.0])
            total[0] += s.end_s - s.start_s
            total[1] += s.cost_usd
            total[2] += s.tokens
    timeline.totals = [
        PhaseTotal(phase=phase, seconds=t[0], cost_usd=t[1], tokens=int(t[2]))
        for phase, t in totals.items()
        if t[0] > 0 or t[1] > 0
    ]
    timeline.timed = not any(s.phase == "work" for r in timeline.rows for s in r.spans)
    return timeline
