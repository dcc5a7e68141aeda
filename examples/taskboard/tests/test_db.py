import sqlite3
from pathlib import Path

import pytest

from app import db


def test_connect_uses_the_path_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "from-env.db"
    monkeypatch.setenv("TASKBOARD_DB", str(target))
    conn = db.connect()
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.commit()
    conn.close()
    assert target.is_file()


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    conn = db.connect(str(tmp_path / "fk.db"))
    conn.executescript(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (parent_id INTEGER NOT NULL REFERENCES parent(id));"
    )
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO child (parent_id) VALUES (?)", (42,))


def test_schema_files_apply_once_in_name_order(tmp_path: Path) -> None:
    scripts = tmp_path / "sql"
    scripts.mkdir()
    (scripts / "020_b.sql").write_text("INSERT INTO things (name) VALUES ('second');")
    (scripts / "010_a.sql").write_text("CREATE TABLE things (name TEXT NOT NULL);")
    conn = db.connect(str(tmp_path / "schema.db"))

    assert db.init_schema(conn, scripts) == ["010_a.sql", "020_b.sql"]
    assert db.init_schema(conn, scripts) == []
    assert [row["name"] for row in conn.execute("SELECT name FROM things")] == ["second"]


def test_shipped_schema_applies_cleanly(tmp_path: Path) -> None:
    conn = db.connect(str(tmp_path / "shipped.db"))
    db.init_schema(conn)
    names = {row["name"] for row in conn.execute("SELECT name FROM schema_migrations")}
    assert names == {p.name for p in db.SCHEMA_DIR.glob("*.sql")}
