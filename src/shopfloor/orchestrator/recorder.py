"""Listeners that keep the run's record from its events: the state store, the queue file, the reports.

Each fact about a task has one source, the event; these only write down what the events say.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from shopfloor.agent.events import ModelReplied
from shopfloor.layout import Layout
from shopfloor.orchestrator.events import (
    AttemptEnded,
    AttemptStarted,
    GateRound,
    RunEvent,
    RunStatusChanged,
    TaskMerged,
    TaskPlaced,
    TaskStarted,
    TaskStatus,
)
from shopfloor.orchestrator.store import Store
from shopfloor.queue.tasks import Status, update_task_statuses

# The queue file knows fewer states than the run: work in flight is in_progress, a skipped task waits.
_QUEUE_STATUS: dict[str, Status] = {
    "pending": "pending",
    "in_progress": "in_progress",
    "verifying": "in_progress",
    "merging": "in_progress",
    "completed": "completed",
    "failed": "failed",
    "blocked": "blocked",
    "skipped": "pending",
}


class StoreRecorder:
    """Every event into the store's stream, and the task, attempt and usage rows it implies."""

    def __init__(self, store: Store, run_id: int) -> None:
        self.store = store
        self.run_id = run_id
        self._attempt: dict[str, int] = {}

    def __call__(self, event: RunEvent) -> None:
        with self.store.batch():  # the event and the rows it implies, in one transaction
            self._record(event)

    def _record(self, event: RunEvent) -> None:
        store, run_id, tid = self.store, self.run_id, event.task_id
        store.record_event(run_id, event.kind, event, task_id=tid or None)
        match event:
            case RunStatusChanged(finished=finished, status=status) if finished is not None:
                store.finish_run(run_id, status, event.note or None)
            case RunStatusChanged(status="running"):
                store.set_run_status(run_id, "running")
            case TaskStarted():
                store.upsert_task(run_id, tid, agent=event.agent, model=event.model, started=event.ts)
            case TaskPlaced():
                store.upsert_task(run_id, tid, branch=event.branch, worktree=event.worktree)
            case TaskStatus():
                if event.status in ("completed", "failed", "blocked", "skipped"):
                    store.upsert_task(
                        run_id, tid, status=event.status, finished=event.ts, last_error=event.reason or None
                    )
                else:
                    store.upsert_task(run_id, tid, status=event.status)
            case AttemptStarted():
                self._attempt[tid] = store.start_attempt(run_id, tid).n
            case AttemptEnded():
                n = self._attempt.pop(tid, None)
                if n is not None:
                    failed = event.outcome == "failed"
                    store.finish_attempt(
                        run_id,
                        tid,
                        n,
                        event.outcome,
                        transcript=event.transcript,
                        error=event.reason if failed else None,
                    )
            case ModelReplied():
                saved = event.cache_saved_usd or 0.0
                store.add_usage(run_id, tid, event.usage, event.cost_usd or 0.0, cache_saved_usd=saved)
            case TaskMerged():
                store.upsert_task(run_id, tid, merged_commit=event.commit, verified_tree=event.verified_tree)
            case _:
                pass


class QueueStatusWriter:
    """Keeps the task queue file's Status fields in step with the run, for a person reading it.

    The file is written by a thread of its own, so work in flight never waits for it; statuses that change
    while one write goes on go out together in the next. What reads the file during the run (an agent's
    cache lifetime counts the unfinished tasks) calls `flush` first; the run's end waits for it too.
    """

    def __init__(self, queue_file: Path) -> None:
        self.queue_file = queue_file
        self._written: dict[str, Status] = {}
        self._pending: dict[str, Status] = {}
        self._lock = threading.Lock()
        self._writer: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def __call__(self, event: RunEvent) -> None:
        if isinstance(event, RunStatusChanged) and event.finished is not None:
            self.flush()
            return
        if not isinstance(event, TaskStatus):
            return
        status = _QUEUE_STATUS[event.status]
        if self._written.get(event.task_id) == status:
            return
        self._written[event.task_id] = status
        with self._lock:
            self._pending[event.task_id] = status
            if self._writer is None:
                self._idle.clear()
                self._writer = threading.Thread(target=self._write, name="queue-statuses")
                self._writer.start()

    def flush(self) -> None:
        """Wait until every status so far is in the file."""
        self._idle.wait()

    def _write(self) -> None:
        while True:
            with self._lock:
                batch, self._pending = self._pending, {}
                if not batch:
                    self._writer = None
                    self._idle.set()
                    return
            if self.queue_file.is_file():
                # Tasks the queue does not list (decomposition) are left out. The file is a view for a
                # person; one that cannot be written now (edited into bad text) is written next time.
                with contextlib.suppress(OSError, ValueError):
                    update_task_statuses(self.queue_file, batch)


class GateReportWriter:
    """Every gate round's report as a file a person can open: `.orchestrator/reports/<TASK>/gate-<N>.json`."""

    def __init__(self, project: Path) -> None:
        self.layout = Layout(project)

    def __call__(self, event: RunEvent) -> None:
        if isinstance(event, GateRound):
            path = self.layout.gate_report(event.task_id, event.round)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(event.report.model_dump_json(indent=2) + "\n", encoding="utf-8")
