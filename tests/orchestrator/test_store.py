"""State store: real SQLite files, reopened, shared by threads and processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from pydantic import BaseModel

from shopfloor.models.base import Usage
from shopfloor.orchestrator.state_schema import SCHEMA_VERSION
from shopfloor.orchestrator.store import Store
from shopfloor.orchestrator.store_errors import StoreError


class _Config(BaseModel):
    parallel: int = 4
    budget_usd: float = 5.0


def test_run_task_attempt_usage_round_trip_survives_reopen(tmp_path: Path) -> None:
    with Store.for_project(tmp_path) as store:
        assert store.latest_run() is None
        run = store.open_run(budget_usd=5.0, config=_Config())
        assert (run.status, run.budget_usd, run.config) == (
            "running",
            5.0,
            {"parallel": 4, "budget_usd": 5.0},
        )
        store.upsert_task(run.id, "TASK-001", status="pending", agent="backend-agent", model="sonnet")
        first = store.start_attempt(run.id, "TASK-001")
        store.add_usage(run.id, "TASK-001", Usage(input_tokens=100, output_tokens=20), 0.25, model="sonnet")
        store.finish_attempt(
            run.id, "TASK-001", first.n, "incomplete", transcript="t1.jsonl", error="no marker"
        )
        second = store.start_attempt(run.id, "TASK-001")
        store.add_usage(run.id, "TASK-001", Usage(input_tokens=10, cache_read_tokens=90), 0.05)
        store.finish_attempt(run.id, "TASK-001", second.n, "completed")
        store.upsert_task(run.id, "TASK-001", status="completed", verified_tree="abc", merged_commit="def")
        store.upsert_task(run.id, "TASK-002", status="blocked", last_error="dependency TASK-003 failed")
        store.finish_run(run.id, "completed")

    assert (tmp_path / ".orchestrator" / "state.db").is_file()
    with Store.for_project(tmp_path) as store:
        latest = store.latest_run()
        assert latest is not None and latest.id == run.id
        assert latest.status == "completed" and latest.finished is not None
        task = store.task(run.id, "TASK-001")
        assert task is not None
        assert (task.status, task.agent, task.model, task.attempts) == (
            "completed",
            "backend-agent",
            "sonnet",
            2,
        )
        assert task.cost_usd == pytest.approx(0.30)
        assert task.usage == Usage(input_tokens=110, output_tokens=20, cache_read_tokens=90)
        assert (task.verified_tree, task.merged_commit, task.last_error) == ("abc", "def", "no marker")
        attempts = store.attempts(run.id, "TASK-001")
        assert [(a.n, a.outcome, a.transcript, a.tokens) for a in attempts] == [
            (1, "incomplete", "t1.jsonl", 120),
            (2, "completed", None, 100),
        ]
        assert [a.cost_usd for a in attempts] == pytest.approx([0.25, 0.05])
        costs = store.task_costs(run.id)
        assert [(c.task_id, c.attempts) for c in costs] == [("TASK-001", 2), ("TASK-002", 0)]
        assert store.run_cost(run.id) == pytest.approx(0.30)
        assert [t.task_id for t in store.tasks(run.id)] == ["TASK-001", "TASK-002"]
        assert store.schema_version == SCHEMA_VERSION


def test_events_tail_in_order(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        run = store.open_run()
        other = store.open_run()
        first = store.record_event(run.id, "task_started", {"agent": "backend-agent"}, task_id="TASK-001")
        store.record_event(other.id, "noise")
        store.record_event(run.id, "tool", _Config(parallel=2), task_id="TASK-001")
        assert [e.kind for e in store.events_since(0)] == ["task_started", "noise", "tool"]
        tail = store.events_since(first.id, run_id=run.id)
        assert [(e.kind, e.task_id, e.payload) for e in tail] == [
            ("tool", "TASK-001", {"parallel": 2, "budget_usd": 5.0})
        ]
        assert store.events_since(tail[-1].id) == []


def test_a_batch_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        run = store.open_run()
        with store.batch():
            store.record_event(run.id, "task_status", task_id="TASK-001")
            store.upsert_task(run.id, "TASK-001", status="in_progress")
        with pytest.raises(TypeError), store.batch():
            store.record_event(run.id, "task_status", task_id="TASK-002")
            store.upsert_task(run.id, "TASK-002", colour="red")  # type: ignore[call-arg]
        assert [e.task_id for e in store.events_since(0)] == ["TASK-001"]
        assert [t.task_id for t in store.tasks(run.id)] == ["TASK-001"]


def test_upsert_refuses_unknown_columns(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        run = store.open_run()
        with pytest.raises(TypeError, match="colour"):
            store.upsert_task(run.id, "TASK-001", colour="red")  # type: ignore[call-arg]


def test_concurrent_writers_from_threads(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        run = store.open_run()
        errors: list[BaseException] = []

        def work(task_id: str) -> None:
            try:
                for _ in range(25):
                    store.start_attempt(run.id, task_id)
                    store.add_usage(run.id, task_id, Usage(output_tokens=1), 0.01)
                    store.record_event(run.id, "tick", task_id=task_id)
            except BaseException as err:  # pragma: no cover - reported below
                errors.append(err)

        threads = [threading.Thread(target=work, args=(f"TASK-00{i}",)) for i in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert [(t.attempts, t.usage.output_tokens) for t in store.tasks(run.id)] == [(25, 25), (25, 25)]
        assert len(store.events_since(0)) == 50


WRITER = """
import sys
from pathlib import Path
from shopfloor.orchestrator.store import Store
with Store(Path(sys.argv[1])) as store:
    for _ in range(20):
        store.start_attempt(int(sys.argv[2]), "TASK-001")
"""


def test_concurrent_writers_from_processes_share_one_task(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with Store(path) as store:
        run = store.open_run()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(run.id)]) for _ in range(2)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    with Store(path) as store:
        assert [a.n for a in store.attempts(run.id, "TASK-001")] == list(range(1, 41))


def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="upgrade shopfloor"):
        Store(path)


def test_closed_store_refuses_use_from_new_threads(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    store.close()
    caught: list[BaseException] = []
    thread = threading.Thread(target=lambda: caught.append(_try(store)))
    thread.start()
    thread.join()
    assert isinstance(caught[0], StoreError)


def _try(store: Store) -> BaseException | None:
    try:
        store.latest_run()
    except BaseException as err:
        return err
    return None


def test_what_caching_saved_adds_up_per_task(tmp_path: Path) -> None:
    with Store.for_project(tmp_path) as store:
        run = store.open_run(budget_usd=None)
        store.start_attempt(run.id, "TASK-001")
        store.add_usage(run.id, "TASK-001", Usage(cache_write_tokens=100), 0.01, cache_saved_usd=-0.002)
        store.add_usage(run.id, "TASK-001", Usage(cache_read_tokens=900), 0.02, cache_saved_usd=0.05)
        task = store.task(run.id, "TASK-001")
        (bill,) = store.task_costs(run.id)
    assert task is not None and task.cache_saved_usd == pytest.approx(0.048)
    assert bill.cache_saved_usd == pytest.approx(0.048)
    assert (task.usage.cache_read_tokens, task.usage.cache_write_tokens) == (900, 100)


def test_a_database_of_the_first_schema_is_upgraded_in_place(tmp_path: Path) -> None:
    from shopfloor.orchestrator.state_schema import MIGRATIONS

    db = tmp_path / ".orchestrator" / "state.db"
    db.parent.mkdir()
    with sqlite3.connect(db) as conn:
        conn.executescript(MIGRATIONS[0])
        conn.execute("INSERT INTO runs (started, status) VALUES (1.0, 'completed')")
        conn.execute("INSERT INTO tasks (run_id, task_id, cost_usd) VALUES (1, 'TASK-001', 0.5)")
        conn.execute("PRAGMA user_version = 1")
    conn.close()
    with Store.for_project(tmp_path) as store:
        assert store.schema_version == SCHEMA_VERSION
        old = store.task(1, "TASK-001")
        assert old is not None and (old.cost_usd, old.cache_saved_usd) == (0.5, 0.0)
        store.add_usage(1, "TASK-001", Usage(cache_read_tokens=10), 0.1, cache_saved_usd=0.25)
        again = store.task(1, "TASK-001")
    assert again is not None and again.cache_saved_usd == pytest.approx(0.25)
