"""The dashboard page in Debian's Chromium, driven by Playwright: live updates, task view, screenshot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from shopfloor.dashboard import DashboardServer
from shopfloor.orchestrator.store import Store
from tests.dashboard.sample import SampleProject

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda err: errors.append(str(err)))
    yield opened
    context.close()
    assert errors == [], f"the page raised: {errors}"


def test_page_follows_a_run_live_and_opens_a_task(
    page: Page, server: DashboardServer, sample: SampleProject, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page.goto(server.url)
    card = page.locator('li.card[data-task="TASK-002"]')
    expect(card).to_contain_text("in progress")
    expect(page.locator("#connection")).to_have_text("Live")

    # The orchestrator moves TASK-002 on while the page is open.
    with Store.for_project(sample.root) as store:
        store.upsert_task(sample.run_id, "TASK-002", status="verifying")
        store.record_event(sample.run_id, "task_status", {"status": "verifying"}, task_id="TASK-002")
    expect(card).to_contain_text("verifying")
    expect(page.locator('section.group[data-status="verifying"]')).to_contain_text("TASK-002")

    # Links are real links: the keyboard opens a task as a click would.
    page.locator('a[href="#/task/TASK-001"]').first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#task-heading")).to_have_text("TASK-001: Users table")

    gate = page.locator("#gate-report")
    expect(gate).to_contain_text(sample.tree_hash)
    expect(gate.locator("code.location")).to_have_text("app/models.py:7")
    expect(gate).to_contain_text("ruff check .")

    transcript = page.locator("#transcript")
    expect(transcript).to_contain_text("I will create the users table first.")
    call = transcript.locator("details.tool-call").first
    output = call.get_by_text("File created successfully at: app/models.py")
    expect(output).to_be_hidden()
    call.locator("summary").click()
    expect(output).to_be_visible()

    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000


def test_transcript_grows_live_on_the_task_page(
    page: Page, server: DashboardServer, sample: SampleProject
) -> None:
    from playwright.sync_api import expect

    from shopfloor.agent.events import ToolCalled

    page.goto(server.url + "#/task/TASK-002")
    expect(page.locator("#transcript")).to_contain_text("No transcript yet.")
    event = ToolCalled(task_id="TASK-002", turn=1, call_id="c9", name="Bash", input={"command": "pytest -q"})
    with Store.for_project(sample.root) as store:
        store.record_event(sample.run_id, event.kind, event, task_id="TASK-002")
    expect(page.locator("#transcript details.tool-call")).to_contain_text("pytest -q")


def test_agents_page_shows_problems_with_file_and_line(page: Page, server: DashboardServer) -> None:
    from playwright.sync_api import expect

    page.goto(server.url)
    page.get_by_role("link", name="Agents and skills").click()
    problems = page.locator(".problem")
    expect(problems).to_have_count(1)
    expect(problems).to_contain_text("broken-agent.md:1")
    expect(page.get_by_role("row", name="api-builder")).to_contain_text("project")


def test_page_without_the_token_says_access_is_refused(page: Page, server: DashboardServer) -> None:
    from playwright.sync_api import expect

    response = page.goto(server.base_url + "/")
    assert response is not None
    assert response.status == 401
    expect(page.locator("body")).to_contain_text("access token")


def test_list_layout_orders_tasks_after_their_dependencies(
    page: Page, server: DashboardServer, sample: SampleProject
) -> None:
    from playwright.sync_api import expect

    from shopfloor.queue.tasks import render_task
    from tests.dashboard.sample import TASKS

    # The queue lists the tasks backwards; the list still puts each after what it depends on.
    queue = sample.root / ".orchestrator" / "task_queue.md"
    queue.write_text("# Task queue\n\n" + "\n".join(render_task(t) for t in reversed(TASKS)))
    page.goto(server.url)
    toggle = page.get_by_role("button", name="List with dependencies")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    rows = page.locator("#task-list tbody tr")
    expect(rows).to_have_count(3)
    assert [rows.nth(i).get_attribute("data-task") for i in range(3)] == ["TASK-001", "TASK-002", "TASK-003"]
    expect(rows.nth(2)).to_contain_text("TASK-002")  # its "Depends on" cell
