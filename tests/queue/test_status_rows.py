"""Statuses set in the queue's text directly give the file the full reader would write, or step aside."""

from __future__ import annotations

from pathlib import Path

from shopfloor.queue.status_rows import read_statuses, without_statuses, write_statuses
from shopfloor.queue.tasks import load_task_queue, parse_task_queue, update_task_statuses

TABLE = """# Tasks

### TASK-001: the first
| Field | Value |
|-------|-------|
| Status | pending |
| Category | backend |

**Objective:** One.

### TASK-002
| Field | Value |
|-------|-------|
| Status   |  In Progress  |

A note a person wrote: | Status | not this one |
"""
BULLETS = "## TASK-7\n- **Status**: pending\n- **Category**: backend\n\n**Objective:** Seven.\n"


def full_way(text: str, statuses: dict[str, str]) -> str:
    queue = parse_task_queue(text, "q.md")
    for task_id, status in statuses.items():
        queue.set_status(task_id, status)  # type: ignore[arg-type]
    return queue.render()


def test_statuses_set_in_the_text_match_the_full_reader() -> None:
    assert read_statuses(TABLE) == {"TASK-001": "pending", "TASK-002": "in_progress"}
    stepwise = write_statuses(TABLE, {"TASK-001": "in_progress"})  # a longer value, then a shorter one
    assert stepwise is not None
    assert write_statuses(stepwise, {"TASK-001": "failed"}) == full_way(
        full_way(TABLE, {"TASK-001": "in_progress"}), {"TASK-001": "failed"}
    )
    for text, change in (
        (TABLE, {"TASK-001": "completed", "TASK-002": "failed"}),
        (BULLETS, {"TASK-7": "blocked"}),
    ):
        assert write_statuses(text, change) == full_way(text, change)
    assert write_statuses(TABLE, {"TASK-009": "completed"}) == TABLE  # a task not in the queue: nothing


def test_a_queue_not_in_the_plain_shape_is_left_to_the_full_reader(tmp_path: Path) -> None:
    twice = TABLE + "\n### TASK-001\n| Field | Value |\n|---|---|\n| Status | failed |\n"
    no_status = TABLE.replace("| Status | pending |\n", "")
    for text in (twice, no_status):
        assert read_statuses(text) is None and write_statuses(text, {"TASK-002": "completed"}) is None
    path = tmp_path / "task_queue.md"
    path.write_text(no_status)
    update_task_statuses(path, {"TASK-001": "completed", "TASK-002": "completed"})
    assert [t.status for t in load_task_queue(path).tasks] == ["completed", "completed"]


def test_without_statuses_is_the_same_for_two_queues_that_differ_only_in_statuses() -> None:
    later = write_statuses(TABLE, {"TASK-001": "completed"})
    assert later is not None and later != TABLE
    assert without_statuses(later) == without_statuses(TABLE)
    assert without_statuses(TABLE.replace("backend", "frontend")) != without_statuses(TABLE)
