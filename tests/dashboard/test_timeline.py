"""The timeline's arithmetic: phases from events, costs by time, the critical path, parallelism."""

from __future__ import annotations

import pytest

from shopfloor.dashboard.state_reader import Mark, UsageRow
from shopfloor.dashboard.task_rows import TaskRow
from shopfloor.dashboard.timeline import build_timeline
from shopfloor.orchestrator.state_records import RunRecord

T0 = 1_000_000.0


def run(finished: float | None = T0 + 100) -> RunRecord:
    return RunRecord(id=1, started=T0, finished=finished, status="completed", budget_usd=None, config={})


def row(task_id: str, deps: list[str] | None = None, status: str = "completed") -> TaskRow:
    return TaskRow(
        task_id=task_id, status=status, dependencies=deps or [], planning=task_id == "decomposition"
    )


def events(*items: Mark) -> list[Mark]:
    return list(items)


def begun(t: float, tid: str) -> Mark:
    return Mark(tid, "task_started", T0 + t, "")


def phase(t: float, tid: str, name: str, attempt: int = 1) -> Mark:
    return Mark(tid, "task_phase", T0 + t, name, attempt)


def status(t: float, tid: str, name: str) -> Mark:
    return Mark(tid, "task_status", T0 + t, name)


def test_phases_run_until_the_next_and_costs_land_by_time() -> None:
    story = events(
        begun(0, "TASK-001"),
        phase(0, "TASK-001", "setup"),
        phase(2, "TASK-001", "agent"),
        phase(10, "TASK-001", "gate"),
        phase(30, "TASK-001", "retry"),
        phase(35, "TASK-001", "gate"),
        phase(50, "TASK-001", "merge"),
        status(51, "TASK-001", "completed"),
    )
    usage = [UsageRow(T0 + 5, "TASK-001", 100, 0.25), UsageRow(T0 + 31, "TASK-001", 10, 0.5)]
    timeline = build_timeline(run(), [row("TASK-001")], story, usage, now=T0 + 200)

    [bar] = timeline.rows
    assert [(s.phase, s.start_s, s.end_s) for s in bar.spans] == [
        ("setup", 0, 2),
        ("agent", 2, 10),
        ("gate", 10, 30),
        ("retry", 30, 35),
        ("gate", 35, 50),
        ("merge", 50, 51),
    ]
    assert [s.cost_usd for s in bar.spans] == [0, 0.25, 0, 0.5, 0, 0]
    assert bar.cost_usd == 0.75
    totals = {t.phase: (t.seconds, t.cost_usd) for t in timeline.totals}
    assert totals["gate"] == (35, 0)
    assert totals["agent"] == (8, 0.25)
    assert timeline.duration_s == 100


def test_a_repeated_phase_is_one_span_and_a_running_task_ends_now() -> None:
    story = events(
        begun(0, "TASK-001"),
        phase(0, "TASK-001", "setup"),
        phase(1, "TASK-001", "setup"),  # the coordinator's and the attempt's
        phase(4, "TASK-001", "agent"),
    )
    timeline = build_timeline(run(finished=None), [row("TASK-001", status="in_progress")], story, [], T0 + 9)
    spans = timeline.rows[0].spans
    assert [(s.phase, s.start_s, s.end_s, s.open) for s in spans] == [
        ("setup", 0, 4, False),
        ("agent", 4, 9, True),
    ]


def test_the_critical_path_follows_the_dependency_that_finished_last() -> None:
    story = events(
        begun(0, "decomposition"),
        status(5, "decomposition", "completed"),
        begun(5, "A"),
        phase(5, "A", "agent"),
        status(20, "A", "completed"),
        begun(5, "B"),
        phase(5, "B", "agent"),
        status(40, "B", "completed"),
        begun(40, "C"),
        phase(40, "C", "agent"),
        status(60, "C", "completed"),
        begun(20, "D"),
        phase(20, "D", "agent"),
        status(30, "D", "completed"),
    )
    rows = [row("decomposition"), row("A"), row("B"), row("C", ["A", "B"]), row("D", ["A"])]
    timeline = build_timeline(run(), rows, story, [], T0 + 100)

    assert timeline.critical_path == ["decomposition", "B", "C"]
    assert {r.task_id for r in timeline.rows if r.critical} == {"decomposition", "B", "C"}
    assert timeline.max_parallel == 2  # A and B, then B and D (D starts as A ends)
    assert [s.phase for s in timeline.rows[0].spans] == ["planning"]


def test_a_run_recorded_before_phase_timings_shows_whole_tasks() -> None:
    story = events(begun(3, "TASK-001"), status(13, "TASK-001", "failed"))
    timeline = build_timeline(run(), [row("TASK-001", status="failed")], story, [], T0 + 100)
    assert [(s.phase, s.start_s, s.end_s) for s in timeline.rows[0].spans] == [("work", 3, 13)]
    assert timeline.timed is False


def test_no_run_no_timeline() -> None:
    assert build_timeline(None, [], [], [], T0).rows == []
    assert build_timeline(run(), [row("TASK-001", status="pending")], [], [], T0).rows == []


@pytest.mark.parametrize("stop", ["blocked", "skipped", "failed"])
def test_a_task_ends_at_its_final_status(stop: str) -> None:
    story = events(begun(0, "T"), phase(0, "T", "agent"), status(7, "T", stop))
    [bar] = build_timeline(run(), [row("T", status=stop)], story, [], T0 + 100).rows
    assert bar.end_s == 7
