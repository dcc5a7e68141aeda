"""The dashboard over `shopfloor demo`'s real run, in Chromium at desktop and phone sizes.

The demo's TASK-003 fails its first gate round (an SQL injection) and passes the second; a second, empty
run follows it so the demo has an earlier run to pick. Screenshots of the main views go where
`SHOPFLOOR_SCREENSHOTS` says (`docs/screenshots` refreshes the README's).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from shopfloor.dashboard import DashboardServer, serve_dashboard
from tests.dashboard.browser_kit import Pages, overflow

# The demo alone takes minutes on a busy machine: the first test waits for it.
pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(1200)]
DATE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


def shopfloor(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "shopfloor", *args], capture_output=True, text=True, timeout=900, env=env
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's run (run 1), then a second run with nothing left to do (run 2)."""
    from shopfloor.assets import demo_script

    home = tmp_path_factory.mktemp("home")
    root = tmp_path_factory.mktemp("demo") / "project"
    done = shopfloor("demo", "--dir", str(root), home=home)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    scripts = Path(demo_script.__file__).parent
    again = shopfloor("run", "--dir", str(root), "--model", f"scripted:{scripts}", home=home)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    return root


@pytest.fixture
def server(demo: Path) -> Iterator[DashboardServer]:
    with serve_dashboard(demo, home=demo.parent / "home") as running:
        yield running


def at(server: DashboardServer, route: str) -> str:
    return f"{server.url}{route}"


def every_date_reads_the_same(page: Page) -> None:
    dates = page.locator("time").all_inner_texts()
    assert dates, "no dates on the page"
    assert all(DATE.match(d) for d in dates), dates


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_demo_run_page(server: DashboardServer, pages: Pages, phone: bool) -> None:
    page = pages.open(at(server, "#/runs/1"), phone=phone)
    expect(page.locator("#run-heading")).to_contain_text("Run #1")
    expect(page.locator("#run-heading")).to_contain_text("scripted model")
    expect(page.locator("#run-totals")).to_contain_text("Would have cost")
    expect(page.locator("#run-finished")).to_contain_text("Run finished: completed, 5 of 5 tasks completed")
    cards = page.locator("li.card")
    expect(cards).to_have_count(5)
    for i in range(5):
        expect(cards.nth(i).locator(".card-title")).not_to_be_empty()
    expect(page.locator('li.card[data-task="TASK-003"]')).to_contain_text("passed after 1 gate retry")
    expect(page.locator('li.card[data-task="TASK-001"]')).to_contain_text("passed the gate first time")
    expect(page.locator("#planning")).to_contain_text("decomposition")
    timeline = page.locator("#timeline")
    expect(timeline.locator(".tl-row")).to_have_count(6)
    phases = timeline.locator('.tl-row[data-task="TASK-003"] .tl-span')
    assert phases.evaluate_all("spans => spans.map(s => s.dataset.phase)") == [
        "setup",
        "agent",
        "gate",
        "retry",
        "gate",
        "merge",
    ]
    expect(timeline).to_contain_text("Critical path: decomposition → TASK-001 → TASK-003")
    expect(timeline.locator('.tl-row[data-critical="true"]')).to_have_count(4)
    every_date_reads_the_same(page)
    assert overflow(page) == 0
    name = "run-phone" if phone else "run"
    pages.screenshot(page, name)
    if not phone:
        pages.screenshot_of(page, "#timeline-section", "timeline")
    page.get_by_role("button", name="List with dependencies").click()
    expect(page.locator("#task-board")).to_be_hidden()
    expect(page.locator("#task-list tbody tr")).to_have_count(5)
    assert overflow(page) == 0


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_demo_task_003_tells_its_gate_retry(server: DashboardServer, pages: Pages, phone: bool) -> None:
    page = pages.open(at(server, "#/runs/1/tasks/TASK-003"), phone=phone)
    expect(page.locator("#task-story")).to_have_text("passed after 1 gate retry")
    history = page.locator("#history")
    failed = history.locator('.step[data-kind="gate"][data-status="fail"]')
    expect(failed).to_contain_text("Gate round 1")
    expect(failed).to_contain_text("sql-injection")
    expect(history.locator('.step[data-kind="session"]').nth(1)).to_contain_text(
        "opened by the gate's report"
    )
    expect(history.locator('.step[data-kind="gate"][data-status="pass"]')).to_contain_text("Gate round 2")
    expect(history.locator('.step[data-kind="merged"]')).to_be_visible()
    expect(page.get_by_role("tab")).to_have_count(2)
    expect(page.locator("#gate-2-panel .mutation-score")).to_have_text("100%")  # the mutation check ran
    page.get_by_role("tab", name="Round 1 fail").click()
    expect(page.locator("#gate-1-panel code.location").first).to_have_text("app/tasks.py:90")
    expect(page.locator("#gate-1-panel")).to_contain_text(".orchestrator/reports/TASK-003/gate-1.json")

    transcript = page.locator("#transcript")
    expect(transcript.locator('.tool[data-tool="Write"] pre.code').first).to_be_attached()
    edit = transcript.locator('.tool[data-tool="Edit"]')
    expect(edit.locator(".d-del").first).to_contain_text("LIMIT {limit}")
    expect(edit.locator(".d-add").first).to_contain_text("LIMIT ?")
    expect(transcript.locator("pre.terminal").first).to_contain_text("$ python -m pytest -q")
    expect(transcript.locator(".sys-event.gate-feedback")).to_contain_text(
        "VERIFICATION GATE: FAIL for TASK-003"
    )
    expect(transcript).not_to_contain_text('"old_string"')
    every_date_reads_the_same(page)
    assert overflow(page) == 0
    if phone:
        page.locator("#history").scroll_into_view_if_needed()
        pages.screenshot(page, "task-phone", full_page=False)
    else:
        pages.screenshot_of(page, "#history", "task-history")
        pages.screenshot_of(page, "#gate-report", "gate-rounds")
        pages.screenshot_of(page, "#session-2", "transcript")
    # Links lead on: to the task it depends on.
    page.locator("#task-head").get_by_role("link", name="TASK-001").first.click()
    expect(page.locator("#task-heading")).to_contain_text("TASK-001")
    assert page.url.endswith("#/runs/1/tasks/TASK-001")


def test_demo_has_an_earlier_run_to_pick(server: DashboardServer, pages: Pages) -> None:
    page = pages.open(at(server, "#/"))
    expect(page.locator("#run-heading")).to_contain_text("Run #2")
    page.get_by_label("Show run").select_option("1")
    expect(page.locator("#run-heading")).to_contain_text("Run #1")
    assert page.url.endswith("#/runs/1")
    expect(page.locator("#run-banner")).to_contain_text("Go to the latest, run #2")
    page.get_by_role("link", name="Runs", exact=True).click()
    rows = page.locator("#runs-body tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("scripted model")
    expect(rows.nth(1)).to_contain_text("would have cost")
    pages.screenshot(page, "runs")
    rows.nth(1).get_by_role("link", name="Run #1").click()
    expect(page.locator("#run-heading")).to_contain_text("Run #1")
