"""Each test gets a fresh database file and a throwaway token signing key."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app


@pytest.fixture(autouse=True)
def _environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKBOARD_DB", str(tmp_path / "taskboard.db"))
    # A fresh random key per test: no signing key is ever written in the repository.
    monkeypatch.setenv("TASKBOARD_JWT_SECRET", secrets.token_urlsafe(32))


@pytest.fixture
def client() -> Iterator[TestClient]:
    # Entering the client runs the app's start-up, which creates the schema.
    with TestClient(create_app()) as test_client:
        yield test_client
