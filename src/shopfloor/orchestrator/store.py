"""Run state in SQLite at `.orchestrator/state.db`: runs, tasks, attempts, usage, and the event stream.

WAL mode lets the dashboard and `shopfloor status` read while a run writes; every write is one short
`BEGIN IMMEDIATE` transaction, and each thread gets its own connection, so threads and processes can
share the file.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Unpack

from pydantic import BaseModel

from shopfloor.layout import Layout
from shopfloor.models.base import Usage
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
from shopfloor.orchestrator.state_schema import MIGRATIONS, SCHEMA_VERSION
from shopfloor.orchestrator.store_errors import StoreError as StoreError
from shopfloor.orchestrator.store_errors import describe_db_error


def _json(value: BaseModel | Mapping[str, Any]) -> str:
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, default=str)


_TASK_COLUMNS = frozenset(TaskFields.__annotations__)


class Store:
    """The state database. Open once per process; safe to use from several threads."""

    def __init__(self, path: Path, *, busy_timeout_s: float = 30.0, read_only: bool = False) -> None:
        """`read_only` opens an existing database for reading (status, the dashboard): nothing is written,
        so it works on a full disk."""
        self.path = path
        self.read_only = read_only
        self._timeout = busy_timeout_s
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._immutable = False
        try:
            if read_only:
                if not path.is_file():
                    raise StoreError(f"{path} does not exist")
                try:
                    self._probe()
                except sqlite3.OperationalError:
                    # Reading a WAL database needs its shared-memory file, which a full disk cannot hold:
                    # read the file as it stands instead (nobody can be writing to it then either).
                    self.close()
                    self._closed, self._immutable, self._local = False, True, threading.local()
                    self._probe()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._migrate()
        except sqlite3.Error as err:
            self.close()
            raise StoreError(describe_db_error(path, err)) from err
        except BaseException:
            self.close()
            raise

    @classmethod
    def for_project(cls, project: Path) -> Store:
        return cls(Layout(project).state_db)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for conn in self._all:
                conn.close()
            self._all.clear()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        with self._lock:
            if self._closed:
                raise StoreError(f"{self.path} is closed")
            # check_same_thread=False only so close() can close every thread's connection; each
            # connection is otherwise used by the thread that opened it.
            target = str(self.path)
            if self.read_only:
                where = urllib.parse.quote(str(self.path.resolve()))
                target = f"file:{where}?mode=ro" + ("&immutable=1" if self._immutable else "")
            conn = sqlite3.connect(
                target,
                timeout=self._timeout,
                isolation_level=None,
                check_same_thread=False,
                uri=self.read_only,
            )
            self._all.append(conn)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
        if self.read_only:
            self._local.conn = conn
            return conn
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        self._local.conn = conn
        return conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _migrate(self) -> None:
        with self._write() as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            self._check_version(version)
            for script in MIGRATIONS[version:]:
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _probe(self) -> None:
        self._check_version(int(self._conn().execute("PRAGMA user_version").fetchone()[0]))
        self._conn().execute("SELECT 1 FROM runs LIMIT 1").fetchall()

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this shopfloor knows "
                f"({SCHEMA_VERSION}); upgrade shopfloor (`pip install -U shopfloor`)"
            )

    @property
    def schema_version(self) -> int:
        return int(self._conn().execute("PRAGMA user_version").fetchone()[0])

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
