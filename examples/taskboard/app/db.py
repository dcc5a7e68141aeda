"""SQLite access: the connection factory, the schema runner and the per-request dependency."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends

DB_ENV = "TASKBOARD_DB"
DEFAULT_DB = "taskboard.db"
SCHEMA_DIR = Path(__file__).parent / "sql"


def database_path() -> str:
    """Where the database lives: $TASKBOARD_DB, or taskboard.db in the working directory."""
    return os.environ.get(DB_ENV) or DEFAULT_DB


def connect(path: str | None = None) -> sqlite3.Connection:
    """Open the database with rows addressable by column name and foreign keys enforced."""
    # One request may resolve its dependencies and run its handler on different worker threads;
    # a connection is never shared between requests, so the thread check only gets in the way.
    conn = sqlite3.connect(path or database_path(), check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def init_schema(conn: sqlite3.Connection, directory: Path = SCHEMA_DIR) -> list[str]:
    """Apply each NNN_name.sql file in `directory` once, in name order; return the ones applied now."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " name TEXT PRIMARY KEY,"
        " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
    done = {row["name"] for row in conn.execute("SELECT name FROM schema_migrations")}
    applied = []
    for script in sorted(directory.glob("*.sql")):
        if script.name in done:
            continue
        conn.executescript(script.read_text(encoding="utf-8"))
        conn.execute("INSERT INTO schema_migrations (name) VALUES (?)", (script.name,))
        conn.commit()
        applied.append(script.name)
    return applied


def get_db() -> Iterator[sqlite3.Connection]:
    """One connection per request: committed when the handler succeeds, rolled back when it fails."""
    conn = connect()
    try:
        yield conn
        conn.commit()
    except Exception:
        conn.rollback()
        raise
    finally:
        conn.close()


Db = Annotated[sqlite3.Connection, Depends(get_db)]
