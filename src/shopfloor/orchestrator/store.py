"""Run state in SQLite at `.orchestrator/state.db`: runs, tasks, attempts, usage, and the event stream,
each write one short transaction (`state_db.py` opens the file and keeps its schema current)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Unpack

from pydantic import BaseModel

from shopfloor.layout import Layout
from shopfloor.models.base import Usage
from shopfloor.orchestrator.state_db import StateDB
from shopfloor.orchestrator.state_records import (
    AttemptRecord,
    EventRecord,
    RunRecord,
    TaskCost,
    TaskFields,
    TaskRecord,
    event_from_row,
    run_from_row,
    task_from_row,
)


def _json(value: BaseModel | Mapping[str, Any]) -> str:
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, default=str)


_TASK_COLUMNS = frozenset(TaskFields.__annotations__)


class Store(StateDB):
    """The state database's records: runs, tasks, attempts, usage and events, read and written."""

    @classmethod
    def for_project(cls, project: Path) -> Store:
        return cls(Layout(project).state_db)

    # Runs

    def open_run(
        self,
        *,
        budget_usd: float | None = None,
        config: BaseModel | Mapping[str, Any] | None = None,
        options: BaseModel | Mapping[str, Any] | None = None,
    ) -> RunRecord:
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO runs (started, status, budget_usd, config, options) "
                "VALUES (?, 'running', ?, ?, ?)",
                (time.time(), budget_usd, _json(config or {}), _json(options or {})),
            )
            run_id = cur.lastrowid
        assert run_id is not None
        run = self.run(run_id)
        assert run is not None
        return run

    def finish_run(self, run_id: int, status: str, note: str | None = None) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, finished = ?, note = ? WHERE id = ?",
                (status, time.time(), note, run_id),
            )

    def set_run_status(self, run_id: int, status: str) -> None:
        """Change the status without finishing (e.g. back to running on resume)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, finished = NULL, note = NULL WHERE id = ?", (status, run_id)
            )

    def run(self, run_id: int) -> RunRecord | None:
        row = self._conn().execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return run_from_row(row) if row else None

    def latest_run(self) -> RunRecord | None:
        row = self._conn().execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return run_from_row(row) if row else None

    def runs(self) -> list[RunRecord]:
        return [run_from_row(r) for r in self._conn().execute("SELECT * FROM runs ORDER BY id")]

    # Tasks

    def upsert_task(self, run_id: int, task_id: str, **fields: Unpack[TaskFields]) -> TaskRecord:
        """Create the task's row if needed and set the given columns; the others keep their values."""
        unknown = set(fields) - _TASK_COLUMNS
        if unknown:
            raise TypeError(f"unknown task columns: {sorted(unknown)}")
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO tasks (run_id, task_id) VALUES (?, ?)", (run_id, task_id))
            if fields:
                assignments = ", ".join(f"{name} = ?" for name in fields)
                conn.execute(
                    f"UPDATE tasks SET {assignments} WHERE run_id = ? AND task_id = ?",
                    (*fields.values(), run_id, task_id),
                )
        record = self.task(run_id, task_id)
        assert record is not None
        return record

    def task(self, run_id: int, task_id: str) -> TaskRecord | None:
        row = (
            self._conn()
            .execute("SELECT * FROM tasks WHERE run_id = ? AND task_id = ?", (run_id, task_id))
            .fetchone()
        )
        return task_from_row(row) if row else None

    def tasks(self, run_id: int) -> list[TaskRecord]:
        rows = self._conn().execute("SELECT * FROM tasks WHERE run_id = ? ORDER BY rowid", (run_id,))
        return [task_from_row(r) for r in rows]

    # Attempts and usage

    def start_attempt(self, run_id: int, task_id: str) -> AttemptRecord:
        """Open the task's next attempt (numbered from 1) and count it on the task."""
        now = time.time()
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO tasks (run_id, task_id) VALUES (?, ?)", (run_id, task_id))
            (last,) = conn.execute(
                "SELECT COALESCE(MAX(n), 0) FROM attempts WHERE run_id = ? AND task_id = ?", (run_id, task_id)
            ).fetchone()
            n = int(last) + 1
            conn.execute(
                "INSERT INTO attempts (run_id, task_id, n, started) VALUES (?, ?, ?, ?)",
                (run_id, task_id, n, now),
            )
            conn.execute(
                "UPDATE tasks SET attempts = ?, started = COALESCE(started, ?) "
                "WHERE run_id = ? AND task_id = ?",
                (n, now, run_id, task_id),
            )
        return self._attempt(run_id, task_id, n)

    def finish_attempt(
        self,
        run_id: int,
        task_id: str,
        n: int,
        outcome: str,
        *,
        transcript: str | Path | None = None,
        error: str | None = None,
    ) -> AttemptRecord:
        """Close an attempt with its outcome; `error` also becomes the task's last_error."""
        with self._write() as conn:
            conn.execute(
                "UPDATE attempts SET outcome = ?, finished = ?, transcript = COALESCE(?, transcript) "
                "WHERE run_id = ? AND task_id = ? AND n = ?",
                (outcome, time.time(), str(transcript) if transcript else None, run_id, task_id, n),
            )
            if error is not None:
                conn.execute(
                    "UPDATE tasks SET last_error = ? WHERE run_id = ? AND task_id = ?",
                    (error, run_id, task_id),
                )
        return self._attempt(run_id, task_id, n)

    def attempts(self, run_id: int, task_id: str) -> list[AttemptRecord]:
        rows = self._conn().execute(
            "SELECT * FROM attempts WHERE run_id = ? AND task_id = ? ORDER BY n", (run_id, task_id)
        )
        return [AttemptRecord.model_validate(dict(r)) for r in rows]

    def _attempt(self, run_id: int, task_id: str, n: int) -> AttemptRecord:
        row = (
            self._conn()
            .execute(
                "SELECT * FROM attempts WHERE run_id = ? AND task_id = ? AND n = ?", (run_id, task_id, n)
            )
            .fetchone()
        )
        if row is None:
            raise KeyError(f"no attempt {n} of {task_id} in run {run_id}")
        return AttemptRecord.model_validate(dict(row))

    def add_usage(
        self,
        run_id: int,
        task_id: str,
        usage: Usage,
        cost_usd: float,
        model: str | None = None,
        *,
        cache_saved_usd: float = 0.0,
    ) -> None:
        """Record one model call's usage, adding it to the task's and its current attempt's totals."""
        with self._write() as conn:
            conn.execute("INSERT OR IGNORE INTO tasks (run_id, task_id) VALUES (?, ?)", (run_id, task_id))
            (attempt,) = conn.execute(
                "SELECT attempts FROM tasks WHERE run_id = ? AND task_id = ?", (run_id, task_id)
            ).fetchone()
            conn.execute(
                "INSERT INTO usage (run_id, task_id, attempt, ts, model, input_tokens, output_tokens, "
                "cache_read_tokens, cache_write_tokens, cost_usd, cache_saved_usd) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    task_id,
                    attempt,
                    time.time(),
                    model,
                    usage.input_tokens,
                    usage.output_tokens,
                    usage.cache_read_tokens,
                    usage.cache_write_tokens,
                    cost_usd,
                    cache_saved_usd,
                ),
            )
            conn.execute(
                "UPDATE tasks SET cost_usd = cost_usd + ?, input_tokens = input_tokens + ?, "
                "output_tokens = output_tokens + ?, cache_read_tokens = cache_read_tokens + ?, "
                "cache_write_tokens = cache_write_tokens + ?, cache_saved_usd = cache_saved_usd + ? "
                "WHERE run_id = ? AND task_id = ?",
                (
                    cost_usd,
                    usage.input_tokens,
                    usage.output_tokens,
                    usage.cache_read_tokens,
                    usage.cache_write_tokens,
                    cache_saved_usd,
                    run_id,
                    task_id,
                ),
            )
            conn.execute(
                "UPDATE attempts SET cost_usd = cost_usd + ?, tokens = tokens + ? "
                "WHERE run_id = ? AND task_id = ? AND n = ?",
                (cost_usd, usage.total_tokens, run_id, task_id, attempt),
            )

    def task_costs(self, run_id: int) -> list[TaskCost]:
        """Cost and tokens per task, in the order tasks were first recorded."""
        return [
            TaskCost(
                task_id=t.task_id,
                cost_usd=t.cost_usd,
                usage=t.usage,
                attempts=t.attempts,
                cache_saved_usd=t.cache_saved_usd,
            )
            for t in self.tasks(run_id)
        ]

    def run_cost(self, run_id: int) -> float:
        (total,) = (
            self._conn()
            .execute("SELECT COALESCE(SUM(cost_usd), 0) FROM tasks WHERE run_id = ?", (run_id,))
            .fetchone()
        )
        return float(total)

    # Events

    def record_event(
        self,
        run_id: int | None,
        kind: str,
        payload: BaseModel | Mapping[str, Any] | None = None,
        *,
        task_id: str | None = None,
    ) -> EventRecord:
        ts = time.time()
        body = _json(payload or {})
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO events (run_id, task_id, ts, kind, payload) VALUES (?, ?, ?, ?, ?)",
                (run_id, task_id, ts, kind, body),
            )
            event_id = cur.lastrowid
        assert event_id is not None
        return EventRecord(
            id=event_id, run_id=run_id, task_id=task_id, ts=ts, kind=kind, payload=json.loads(body)
        )

    def events_since(
        self, after_id: int = 0, *, run_id: int | None = None, limit: int = 1000
    ) -> list[EventRecord]:
        """Events after `after_id`, oldest first: tail the stream by passing the last id seen."""
        if run_id is None:
            rows = self._conn().execute(
                "SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
            )
        else:
            rows = self._conn().execute(
                "SELECT * FROM events WHERE id > ? AND run_id = ? ORDER BY id LIMIT ?",
                (after_id, run_id, limit),
            )
        return [event_from_row(r) for r in rows]
