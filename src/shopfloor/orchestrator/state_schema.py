"""The state database's schema, one migration script per version."""

from __future__ import annotations

_V1 = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL,
    budget_usd REAL,
    config TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE tasks (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    task_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    agent TEXT,
    model TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    started REAL,
    finished REAL,
    branch TEXT,
    worktree TEXT,
    verified_tree TEXT,
    merged_commit TEXT,
    last_error TEXT,
    PRIMARY KEY (run_id, task_id)
);
CREATE TABLE attempts (
    run_id INTEGER NOT NULL,
    task_id TEXT NOT NULL,
    n INTEGER NOT NULL,
    outcome TEXT,
    cost_usd REAL NOT NULL DEFAULT 0,
    tokens INTEGER NOT NULL DEFAULT 0,
    started REAL NOT NULL,
    finished REAL,
    transcript TEXT,
    PRIMARY KEY (run_id, task_id, n),
    FOREIGN KEY (run_id, task_id) REFERENCES tasks(run_id, task_id)
);
CREATE TABLE usage (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL,
    task_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    ts REAL NOT NULL,
    model TEXT,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER,
    task_id TEXT,
    ts REAL NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_by_run ON events(run_id, id);
CREATE INDEX usage_by_task ON usage(run_id, task_id);
"""
# What prompt caching saved, recorded with each call's cost (the price is known only then).
_V2 = """
ALTER TABLE tasks ADD COLUMN cache_saved_usd REAL NOT NULL DEFAULT 0;
ALTER TABLE usage ADD COLUMN cache_saved_usd REAL NOT NULL DEFAULT 0;
"""
# The options a run started with (so `resume` goes on with them), and one line on how it ended.
_V3 = """
ALTER TABLE runs ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
ALTER TABLE runs ADD COLUMN note TEXT;
"""
# One script per schema version; version N is reached by running scripts 1..N. Append, never edit.
MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(MIGRATIONS)
