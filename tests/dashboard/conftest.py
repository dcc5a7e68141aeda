"""Fixtures for dashboard tests: a sample project with real run state, and a served dashboard over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shopfloor.dashboard import DashboardServer, serve_dashboard
from tests.dashboard.sample import SampleProject, build_project


@pytest.fixture(autouse=True)
def _plain_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No global or system git config from the machine (hooks, signing, identity)."""
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def sample(tmp_path: Path, _plain_git: None) -> SampleProject:
    return build_project(tmp_path)


@pytest.fixture
def server(sample: SampleProject) -> Iterator[DashboardServer]:
    with serve_dashboard(sample.root, home=sample.home) as running:
        yield running
