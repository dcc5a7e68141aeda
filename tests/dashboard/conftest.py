"""Fixtures for dashboard tests: a sample project with real run state, and a served dashboard over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from shopfloor.dashboard import DashboardServer, serve_dashboard
from tests.dashboard.browser_kit import CHROMIUM, CHROMIUM_ARGS, Pages, screenshot_dir
from tests.dashboard.sample import SampleProject, build_project
from tests.dashboard.story import StoryProject, build_story

if TYPE_CHECKING:
    from playwright.sync_api import Browser


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


@pytest.fixture
def story(tmp_path: Path, _plain_git: None) -> StoryProject:
    return build_story(tmp_path)


@pytest.fixture
def story_server(story: StoryProject) -> Iterator[DashboardServer]:
    with serve_dashboard(story.root, home=story.home) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Per module: Playwright's sync API holds an event loop while it lives, which async tests
    elsewhere in the session must not find running."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def pages(browser: Browser, tmp_path: Path) -> Iterator[Pages]:
    """Request it after the server a test uses, so its pages close before that server stops."""
    opened = Pages(browser, screenshot_dir(tmp_path / "screenshots"))
    yield opened
    assert opened.close() == [], "the page logged errors"
