"""Opening the state database: one connection per thread, in WAL mode for writers and read-only for
readers, and the schema brought up to this shopfloor's version when it is opened for writing.

WAL mode lets the dashboard and `shopfloor status` read while a run writes; every write is one short
`BEGIN IMMEDIATE` transaction, and each thread gets its own connection, so threads and processes can
share the file.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Self

from shopfloor.orchestrator.state_schema import MIGRATIONS, SCHEMA_VERSION
from shopfloor.orchestrator.store_errors import StoreError, describe_db_error


class StateDB:
    """The database file and its connections. Open once per process; safe to use from several threads."""

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

    def __enter__(self) -> Self:
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
        """One write transaction; inside `batch()` on this thread, part of the batch's."""
        conn = self._conn()
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Several writes as one transaction: all of them or none."""
        with self._write():
            yield

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
