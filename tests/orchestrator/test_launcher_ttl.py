"""How long an agent's shared prompt prefix is kept follows the queue as the run has changed it, though
the queue file is written by a thread of its own: the launcher waits for that file before it counts."""

from __future__ import annotations

from pathlib import Path

from shopfloor.config.settings import Settings
from shopfloor.models.retry import BackoffRegistry
from shopfloor.orchestrator.events import TaskStatus
from shopfloor.orchestrator.launcher import AgentLauncher
from shopfloor.orchestrator.recorder import QueueStatusWriter


def block(tid: str) -> str:
    return (
        f"### {tid}\n| Field | Value |\n|-------|-------|\n| Status | pending |\n| Category | backend |\n\n"
        f"**Objective:** Add {tid}.txt.\n\n**Acceptance Criteria:**\n- it exists\n\n**Dependencies:** None\n"
    )


def test_a_task_finished_just_now_no_longer_counts_as_waiting_for_the_agent(tmp_path: Path) -> None:
    queue = tmp_path / ".orchestrator" / "task_queue.md"
    queue.parent.mkdir()
    queue.write_text("# Tasks\n\n" + "\n".join(block(t) for t in ("TASK-001", "TASK-002", "TASK-003")))
    statuses = QueueStatusWriter(queue)
    launcher = AgentLauncher(
        tmp_path, Settings(), run_id=1, backoffs=BackoffRegistry(), guard=lambda: None,
        queue_written=statuses.flush,
    )  # fmt: skip
    assert launcher.cache_ttl("backend-agent") == "1h"  # three of its tasks to go
    for tid in ("TASK-001", "TASK-002"):
        statuses(TaskStatus(task_id=tid, status="completed"))
    assert launcher.cache_ttl("backend-agent") == "5m"  # only TASK-003 is left
    assert "| Status | completed |" in queue.read_text()
