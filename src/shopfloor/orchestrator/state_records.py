"""Typed records the state store hands out, and their conversion from database rows."""

from __future__ import annotations

import json
import sqlite3
from typing import TypedDict

from pydantic import BaseModel, Field, JsonValue

from shopfloor.models.base import Usage


class RunRecord(BaseModel):
    id: int
    started: float
    """Unix time."""
    finished: float | None
    status: str
    """running, completed, failed, aborted, interrupted: whatever the orchestrator last set."""
    budget_usd: float | None
    config: dict[str, JsonValue]
    options: dict[str, JsonValue] = Field(default_factory=dict)
    """The options the run was started with (`--model`, `--loops`, the flags that change settings)."""
    note: str | None = None
    """One line on how the run ended when that needs saying: what failed, what to do next."""


class TaskRecord(BaseModel):
    run_id: int
    task_id: str
    status: str
    agent: str | None
    model: str | None
    attempts: int
    cost_usd: float
    usage: Usage
    cache_saved_usd: float = 0.0
    """What prompt caching saved this task: its cached tokens as plain input, minus what they cost."""
    started: float | None
    finished: float | None
    branch: str | None
    worktree: str | None
    verified_tree: str | None
    """Tree hash the gate verified; a different tree needs verifying again."""
    merged_commit: str | None
    last_error: str | None


class AttemptRecord(BaseModel):
    run_id: int
    task_id: str
    n: int
    outcome: str | None
    """None while the attempt is running (or when the process died during it)."""
    cost_usd: float
    tokens: int
    started: float
    finished: float | None
    transcript: str | None


class EventRecord(BaseModel):
    id: int
    run_id: int | None
    task_id: str | None
    ts: float
    kind: str
    payload: dict[str, JsonValue] = Field(default_factory=dict)


class TaskCost(BaseModel):
    task_id: str
    cost_usd: float
    usage: Usage
    attempts: int
    cache_saved_usd: float = 0.0


class TaskFields(TypedDict, total=False):
    """Columns `upsert_task` may set; leaving one out keeps its value."""

    status: str
    agent: str | None
    model: str | None
    started: float | None
    finished: float | None
    branch: str | None
    worktree: str | None
    verified_tree: str | None
    merged_commit: str | None
    last_error: str | None


_TASK_COLUMNS = frozenset(TaskFields.__annotations__)


def run_from_row(row: sqlite3.Row) -> RunRecord:
    data = dict(row)
    data["config"] = json.loads(data["config"])
    data["options"] = json.loads(data.get("options") or "{}")
    return RunRecord.model_validate(data)


def task_from_row(row: sqlite3.Row) -> TaskRecord:
    data = dict(row)
    data["usage"] = Usage(
        input_tokens=data.pop("input_tokens"),
        output_tokens=data.pop("output_tokens"),
        cache_read_tokens=data.pop("cache_read_tokens"),
        cache_write_tokens=data.pop("cache_write_tokens"),
    )
    return TaskRecord.model_validate(data)


def event_from_row(row: sqlite3.Row) -> EventRecord:
    data = dict(row)
    data["payload"] = json.loads(data["payload"])
    return EventRecord.model_validate(data)
