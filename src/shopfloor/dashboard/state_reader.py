"""Read-only access to the run state database for the dashboard.

The dashboard never writes: it must not create `.orchestrator/state.db` on a project that has none, nor
migrate one a running orchestrator owns. So it opens its own `query_only` connections (one per thread,
as the store does) and turns rows into the store's own record types.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from pydantic import JsonValue

from shopfloor.layout import Layout
from shopfloor.orchestrator.state_records import (
    AttemptRecord,
    EventRecord,
    RunRecord,
    TaskRecord,
    event_from_row,
    run_from_row,
    task_from_row,
)


class UsageRow(NamedTuple):
    """One model call's bill, as the orchestrator recorded it (a tuple: a long run has thousands)."""

    ts: float
    task_id: str
    tokens: int
    cost_usd: float


class RunTally(NamedTuple):
    """One status's share of a run's task rows: how many, and what they spent."""

    run_id: int
    planning: bool
    status: str
    tasks: int
    cost_usd: float
    tokens: int


class TaskFact(NamedTuple):
    """An agent session's start or a gate round, read from the events without their payloads."""

    task_id: str
    kind: str
    provider: str | None
    verdict: str | None


class Mark(NamedTuple):
    """A task's start, phase or status change: `value` is the phase or the status."""

    task_id: str
    kind: str
    ts: float
    value: str
    attempt: int = 0
    detail: bool = False
    """The status came with a detail (a stopped run's `pending` says why)."""


T = TypeVar("T")
_FACTS_SQL = (
    "SELECT task_id, kind, json_extract(payload, '$.provider'), json_extract(payload, '$.report.verdict') "
    "FROM events WHERE run_id = ? AND id > ? AND id <= ? AND kind IN ('run_started', 'gate_round') "
    "ORDER BY id"
)
_MARKS_SQL = (
    "SELECT task_id, kind, COALESCE(json_extract(payload, '$.ts'), ts), "
    "COALESCE(json_extract(payload, '$.phase'), json_extract(payload, '$.status')), "
    "json_extract(payload, '$.attempt'), json_extract(payload, '$.detail') FROM events "
    "WHERE run_id = ? AND id > ? AND id <= ? AND kind IN ('task_started', 'task_phase', 'task_status') "
    "ORDER BY id"
)

PLANNING_IDS = ("decomposition", "research")
"""Task ids the planner runs under: agent runs of the run, not tasks of the queue."""


class StateReader:
    """SELECTs over the state database; every method answers empty while the database does not exist."""

    def __init__(self, project: Path, *, busy_timeout_s: float = 5.0) -> None:
        self.path = Layout(project).state_db
        self._timeout = busy_timeout_s
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._tails: dict[tuple[str, int], tuple[int, list[Any]]] = {}
        self._tail_lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()

    def _conn(self) -> sqlite3.Connection | None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if not self.path.is_file():
            return None
        # check_same_thread=False only so close() can close every thread's connection.
        conn = sqlite3.connect(
            self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA query_only = ON")
        with self._lock:
            self._all.append(conn)
        self._local.conn = conn
        return conn

    def _rows(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        conn = self._conn()
        if conn is None:
            return []
        try:
            return list(conn.execute(sql, params))
        except sqlite3.OperationalError as err:
            # A database the orchestrator has just created may not have its tables yet.
            if "no such table" in str(err):
                return []
            raise

    def latest_run(self) -> RunRecord | None:
        rows = self._rows("SELECT * FROM runs ORDER BY id DESC LIMIT 1")
        return run_from_row(rows[0]) if rows else None

    def runs(self) -> list[RunRecord]:
        return [run_from_row(r) for r in self._rows("SELECT * FROM runs ORDER BY id DESC")]

    def tallies(self) -> list[RunTally]:
        """Every run's task rows counted by status, planning runs apart (one query for the run list)."""
        rows = self._rows(
            "SELECT run_id, task_id IN (?, ?), status, COUNT(*), SUM(cost_usd), "
            "SUM(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens) "
            "FROM tasks GROUP BY 1, 2, 3",
            PLANNING_IDS,
        )
        return [RunTally(r[0], bool(r[1]), r[2], r[3], r[4] or 0.0, r[5] or 0) for r in rows]

    def providers(self, run_id: int | None = None) -> dict[tuple[int, str], str]:
        """(run, task) -> the provider its newest agent session ran on (`scripted` for the scripted model)."""
        where, params = ("AND run_id = ?", (run_id,)) if run_id is not None else ("", ())
        rows = self._rows(
            "SELECT run_id, task_id, json_extract(payload, '$.provider') FROM events "
            f"WHERE kind = 'run_started' {where} ORDER BY id",
            params,
        )
        return {(r[0], r[1] or ""): str(r[2]) for r in rows if r[0] is not None}

    def task_facts(self, run_id: int) -> list[TaskFact]:
        """The run's agent starts (with their provider) and gate rounds (with their verdict), in order."""
        return self._tail(run_id, _FACTS_SQL, lambda r: TaskFact(r[0] or "", r[1], r[2], r[3]))

    def marks(self, run_id: int) -> list[Mark]:
        """When each task started, entered a phase and changed status (the timeline's input)."""
        return self._tail(
            run_id,
            _MARKS_SQL,
            lambda r: Mark(r[0] or "", r[1], float(r[2]), r[3] or "", int(r[4] or 0), bool(r[5])),
        )

    def _tail(self, run_id: int, sql: str, make: Callable[[sqlite3.Row], T]) -> list[T]:
        """What `sql` picks from one run's events, read once: a call reads only the events added since
        the last (events are only ever appended), so a page refreshed on every event stays cheap."""
        key = (sql, run_id)
        with self._tail_lock:
            last, kept = self._tails.get(key, (0, []))
            newest = self.max_event_id()
            if newest < last:  # the database was replaced
                last, kept = 0, []
            if newest > last:
                kept = kept + [make(r) for r in self._rows(sql, (run_id, last, newest))]
                self._tails[key] = (newest, kept)
            return list(kept)

    def events_of(self, run_id: int, kinds: tuple[str, ...], task_id: str | None = None) -> list[EventRecord]:
        """The run's events of these kinds (of one task, if given), oldest first."""
        marks = ", ".join("?" for _ in kinds)
        sql = f"SELECT * FROM events WHERE run_id = ? AND kind IN ({marks})"
        params: tuple[object, ...] = (run_id, *kinds)
        if task_id is not None:
            sql += " AND task_id = ?"
            params += (task_id,)
        return [event_from_row(r) for r in self._rows(sql + " ORDER BY id", params)]

    def run(self, run_id: int) -> RunRecord | None:
        rows = self._rows("SELECT * FROM runs WHERE id = ?", (run_id,))
        return run_from_row(rows[0]) if rows else None

    def tasks(self, run_id: int) -> list[TaskRecord]:
        return [
            task_from_row(r)
            for r in self._rows("SELECT * FROM tasks WHERE run_id = ? ORDER BY rowid", (run_id,))
        ]

    def task(self, run_id: int, task_id: str) -> TaskRecord | None:
        rows = self._rows("SELECT * FROM tasks WHERE run_id = ? AND task_id = ?", (run_id, task_id))
        return task_from_row(rows[0]) if rows else None

    def attempts(self, run_id: int, task_id: str) -> list[AttemptRecord]:
        rows = self._rows(
            "SELECT * FROM attempts WHERE run_id = ? AND task_id = ? ORDER BY n", (run_id, task_id)
        )
        return [AttemptRecord.model_validate(dict(r)) for r in rows]

    def max_event_id(self) -> int:
        """The newest event's id (0 when there is none): the cheap check the live stream wakes on."""
        rows = self._rows("SELECT MAX(id) FROM events")
        return int(rows[0][0] or 0) if rows else 0

    def events_since(self, after_id: int, limit: int = 500) -> list[EventRecord]:
        rows = self._rows("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit))
        return [event_from_row(r) for r in rows]

    def latest_payload(self, run_id: int, task_id: str, kind: str) -> dict[str, JsonValue] | None:
        """The payload of the task's newest event of `kind` (its last gate report, say)."""
        rows = self._rows(
            "SELECT payload FROM events WHERE run_id = ? AND task_id = ? AND kind = ? "
            "ORDER BY id DESC LIMIT 1",
            (run_id, task_id, kind),
        )
        if not rows:
            return None
        data = json.loads(rows[0][0])
        return data if isinstance(data, dict) else None

    def usage(self, run_id: int, task_id: str | None = None) -> list[UsageRow]:
        sql = (
            "SELECT ts, task_id, input_tokens + output_tokens + cache_read_tokens + cache_write_tokens, "
            "cost_usd FROM usage WHERE run_id = ?"
        )
        params: tuple[object, ...] = (run_id,)
        if task_id is not None:
            sql += " AND task_id = ?"
            params += (task_id,)
        rows = self._rows(sql + " ORDER BY ts, id", params)
        return [UsageRow(r[0], r[1], r[2], r[3]) for r in rows]
