"""The dashboard page in Debian's Chromium, driven by Playwright, over a sample run and a told story."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from shopfloor.agent.events import ModelReplied
from shopfloor.dashboard import DashboardServer
from shopfloor.models.base import Usage
from shopfloor.orchestrator.store import Store
from shopfloor.queue.tasks import Task, render_task
from tests.dashboard.browser_kit import Pages, overflow, seconds
from tests.dashboard.sample import SampleProject
from tests.dashboard.story import StoryProject

pytestmark = pytest.mark.browser


def test_page_follows_a_run_live_and_opens_a_task(
    server: DashboardServer, sample: SampleProject, pages: Pages
) -> None:
    page = pages.open(server.url)
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
    write = transcript.locator('.tool[data-tool="Write"]').first
    expect(write).to_contain_text("app/models.py")
    expect(write.locator("pre.code")).to_have_text("class User: ...")
    pages.screenshot(page, "sample-task")


def test_transcript_grows_live_on_the_task_page(
    server: DashboardServer, sample: SampleProject, pages: Pages
) -> None:
    from shopfloor.agent.events import ToolCalled

    page = pages.open(server.url + "#/task/TASK-002")
    expect(page.locator("#transcript")).to_contain_text("No transcript yet.")
    event = ToolCalled(task_id="TASK-002", turn=1, call_id="c9", name="Bash", input={"command": "pytest -q"})
    with Store.for_project(sample.root) as store:
        store.record_event(sample.run_id, event.kind, event, task_id="TASK-002")
    expect(page.locator('#transcript .tool[data-tool="Bash"] pre.terminal')).to_contain_text("$ pytest -q")


def test_task_page_numbers_move_while_the_task_runs(
    server: DashboardServer, sample: SampleProject, pages: Pages
) -> None:
    page = pages.open(server.url + "#/task/TASK-002")
    elapsed = page.locator("#task-elapsed")
    expect(elapsed).not_to_have_text("–")
    before = elapsed.inner_text()
    expect(elapsed).not_to_have_text(before)  # the clock ticks without a reload
    reply = ModelReplied(
        task_id="TASK-002",
        turn=1,
        text="Working.",
        tool_calls=0,
        stop_reason="end_turn",
        usage=Usage(input_tokens=10_000),
        cost_usd=0.5,
        duration_s=1,
    )
    with Store.for_project(sample.root) as store:
        store.record_event(sample.run_id, reply.kind, reply, task_id="TASK-002")
    expect(page.locator("#task-cost")).to_have_text("$0.5000")
    expect(page.locator("#task-tokens")).to_have_text("10k")


def test_agents_page_shows_problems_with_file_and_line(server: DashboardServer, pages: Pages) -> None:
    page = pages.open(server.url)
    page.get_by_role("link", name="Agents and skills").click()
    problems = page.locator(".problem")
    expect(problems).to_have_count(1)
    expect(problems).to_contain_text("broken-agent.md:1")
    expect(page.get_by_role("row", name="api-builder")).to_contain_text("project")


def test_page_without_the_token_is_a_page_that_says_what_to_do(server: DashboardServer, pages: Pages) -> None:
    page = pages.open()
    pages.errors.clear()
    response = page.goto(server.base_url + "/")
    assert response is not None
    assert response.status == 401
    expect(page.get_by_role("heading", name="shopfloor dashboard")).to_be_visible()
    expect(page.locator("body")).to_contain_text("needs its access token")
    expect(page.locator("body")).to_contain_text("shopfloor dashboard")
    assert "{" not in page.locator("body").inner_text()
    pages.errors.clear()  # the browser logs the 401 itself


def test_the_token_leaves_the_address_bar_and_a_reload_still_works(
    server: DashboardServer, pages: Pages
) -> None:
    page = pages.open(server.url + "#/task/TASK-001")
    expect(page.locator("#task-heading")).to_have_text("TASK-001: Users table")
    assert "token" not in page.url and page.url.endswith("/#/task/TASK-001")
    page.reload()
    expect(page.locator("#task-heading")).to_have_text("TASK-001: Users table")
    expect(page.locator("#connection")).to_have_text("Live")


def test_list_layout_hides_the_board_and_orders_tasks_after_their_dependencies(
    server: DashboardServer, sample: SampleProject, pages: Pages
) -> None:
    from tests.dashboard.sample import TASKS

    # The queue lists the tasks backwards; the list still puts each after what it depends on.
    queue = sample.root / ".orchestrator" / "task_queue.md"
    queue.write_text("# Task queue\n\n" + "\n".join(render_task(t) for t in reversed(TASKS)))
    page = pages.open(server.url)
    expect(page.locator("#task-board")).to_be_visible()
    toggle = page.get_by_role("button", name="List with dependencies")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#task-board")).to_be_hidden()
    rows = page.locator("#task-list tbody tr")
    expect(rows).to_have_count(3)
    assert [rows.nth(i).get_attribute("data-task") for i in range(3)] == ["TASK-001", "TASK-002", "TASK-003"]
    expect(rows.nth(2).get_by_role("link", name="TASK-002")).to_be_visible()  # its "Depends on" cell
    expect(rows.nth(0)).to_contain_text("Users table")


def test_a_task_page_opened_before_the_task_exists_shows_it_when_it_appears(
    server: DashboardServer, sample: SampleProject, pages: Pages
) -> None:
    page = pages.open(server.url + "#/task/TASK-009")
    expect(page.locator("#task-waiting")).to_contain_text("not in this run or the task queue yet")
    queue = sample.root / ".orchestrator" / "task_queue.md"
    late = Task(id="TASK-009", title="Added later", category="backend", objective="Arrive late.")
    queue.write_text(queue.read_text() + "\n" + render_task(late))
    with Store.for_project(sample.root) as store:
        store.upsert_task(sample.run_id, "TASK-009", status="in_progress")
        store.record_event(sample.run_id, "task_status", {"status": "in_progress"}, task_id="TASK-009")
    expect(page.locator("#task-heading")).to_have_text("TASK-009: Added later")
    expect(page.locator("#task-waiting")).to_have_count(0)


# Records every value the run's clock shows, however briefly, as seconds.
WATCH_CLOCK = """() => {
  window.clockShown = [];
  const note = () => {
    const clock = document.getElementById("run-elapsed");
    if (clock) window.clockShown.push(clock.textContent);
  };
  new MutationObserver(note).observe(document.getElementById("run-totals"),
    { subtree: true, childList: true, characterData: true });
}"""


def test_clocks_never_run_backwards_and_stop_when_a_task_ends(
    server: DashboardServer, sample: SampleProject, pages: Pages
) -> None:
    with Store.for_project(sample.root) as store:
        store.upsert_task(
            sample.run_id,
            "decomposition",
            agent="decomposition-agent",
            status="in_progress",
            started=time.time(),
        )
    page = pages.open(server.url)
    planning = page.locator('.planning-run[data-task="decomposition"]')
    expect(planning).to_have_attribute("data-status", "in_progress")
    with Store.for_project(sample.root) as store:  # as the recorder ends a task
        store.upsert_task(sample.run_id, "decomposition", status="completed", finished=time.time())
        store.record_event(sample.run_id, "task_status", {"status": "completed"}, task_id="decomposition")
    expect(planning).to_have_attribute("data-status", "completed")
    stopped = planning.locator(".elapsed").inner_text()
    page.evaluate(WATCH_CLOCK)
    run_clock = page.locator("#run-elapsed")
    for _ in range(6):  # each event makes the page fetch the run again, while the clock ticks
        shown = run_clock.inner_text()
        with Store.for_project(sample.root) as store:
            store.record_event(sample.run_id, "task_status", {"status": "in_progress"}, task_id="TASK-002")
        expect(run_clock).not_to_have_text(shown)
    values = [seconds(v) for v in page.evaluate("window.clockShown")]
    assert len(values) > 6 and values == sorted(values), f"the run's clock went back: {values}"
    assert planning.locator(".elapsed").inner_text() == stopped  # the finished planning run's clock stopped


def test_story_board_puts_failures_first_and_says_why_a_task_is_blocked(
    story_server: DashboardServer, story: StoryProject, pages: Pages
) -> None:
    page = pages.open(story_server.url)
    groups = page.locator("#task-board section.group:visible")
    expect(groups).to_have_count(3)
    assert [groups.nth(i).get_attribute("data-status") for i in range(3)] == [
        "failed",
        "blocked",
        "completed",
    ]
    blocked = page.locator('li.card[data-task="TASK-003"]')
    expect(blocked.locator(".card-why")).to_have_text("dependency TASK-002 did not complete")
    expect(page.locator('li.card[data-task="TASK-001"]')).to_contain_text("passed after 1 gate retry")
    expect(page.locator('li.card[data-task="TASK-001"] .card-title code')).to_have_text("GET /tasks")
    # The decomposition is a planning run, not a card with no attempt, gate or branch.
    expect(page.locator('li.card[data-task="decomposition"]')).to_have_count(0)
    expect(page.locator("#planning")).to_contain_text("decomposition")
    expect(page.locator("#run-finished")).to_contain_text("Run finished: failed, 1 of 3 tasks completed")
    timeline = page.locator("#timeline")
    expect(timeline.locator(".tl-row")).to_have_count(3)
    expect(timeline.locator('.tl-row[data-task="TASK-001"] .tl-span')).to_have_count(6)
    expect(timeline).to_contain_text("Critical path")


def test_story_task_page_shows_every_gate_round_and_the_agent_at_work(
    story_server: DashboardServer, pages: Pages
) -> None:
    page = pages.open(story_server.url + "#/task/TASK-001")
    history = page.locator("#history")
    expect(history.locator(".step")).to_have_count(8)
    expect(history.locator('.step[data-kind="gate"][data-status="fail"]')).to_contain_text("Gate round 1")
    expect(history.locator('.step[data-kind="gate"][data-status="pass"]')).to_contain_text("Gate round 2")
    expect(history).to_contain_text("opened by the gate's report")

    # Both rounds are kept: the newest shows, the keyboard moves to the failed one.
    round2 = page.get_by_role("tab", name="Round 2 pass")
    expect(round2).to_have_attribute("aria-selected", "true")
    mutation = page.locator("#gate-2-panel .mutation")
    expect(mutation.locator(".mutation-score")).to_have_text("80%")
    expect(mutation).to_contain_text("8 killed, 2 survived")
    expect(mutation.locator(".survivors")).to_contain_text("app/tasks.py:12")
    expect(mutation.locator(".survivors code", has_text="<=")).to_be_visible()
    round2.focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tab", name="Round 1 fail")).to_be_focused()
    expect(page.locator("#gate-1-panel code.location")).to_have_text("app/tasks.py:12")
    expect(page.locator("#gate-2-panel")).to_be_hidden()
    # The history's link to a report opens that round.
    history.get_by_role("link", name="report").last.click()
    expect(round2).to_have_attribute("aria-selected", "true")

    transcript = page.locator("#transcript")
    todos = transcript.locator(".todos li")
    expect(todos).to_have_count(3)
    assert [todos.nth(i).get_attribute("data-status") for i in range(3)] == [
        "completed",
        "in_progress",
        "pending",
    ]
    # The sub-agent's own turns sit inside the call that started it, and its answer below them.
    sub = transcript.locator(".tool.subagent")
    expect(sub).to_contain_text("qa-agent at work")
    nested = sub.locator('.nested-transcript[data-call="sub-1"]')
    expect(nested.locator(".turn")).to_have_count(2)
    expect(nested.locator('.tool[data-tool="Read"]')).to_contain_text("tests/t.py")
    expect(nested).to_contain_text("qa-agent finished")
    expect(sub.locator(".reply.nested strong")).to_have_text("offset past the end")
    expect(page.locator("#session-3")).to_have_count(0)  # its messages are not sessions of the task's agent
    edit = transcript.locator('.tool[data-tool="Edit"]')
    expect(edit.locator(".d-del")).to_contain_text('query = f"SELECT')
    expect(edit.locator(".d-add")).to_contain_text("LIMIT ?")
    expect(transcript.locator("pre.terminal")).to_contain_text("3 passed")
    feedback = transcript.locator(".sys-event.gate-feedback")
    expect(feedback).to_contain_text("VERIFICATION GATE: FAIL")
    expect(page.locator("#session-2")).to_contain_text("opened by the gate's report")
    assert "old_string" not in edit.inner_text()  # a diff, not the raw JSON of the call
    # The project's hooks show where they ran: the one that refused a fetch, and the one that let tests run.
    expect(transcript.locator(".sys-event.hook")).to_have_count(2)
    blocked = transcript.locator(".sys-event.hook-blocked")
    expect(blocked).to_contain_text("Hook PreToolUse · WebFetch: blocked")
    expect(blocked).to_contain_text("this repository's agents work offline")
    expect(blocked).to_contain_text(".claude/settings.json")


def test_story_a_stop_hook_that_sends_the_agent_back_is_told(
    story_server: DashboardServer, pages: Pages
) -> None:
    page = pages.open(story_server.url + "#/task/TASK-002")
    transcript = page.locator("#transcript")
    stop = transcript.locator('.sys-event.hook-blocked[data-event="SubagentStop"]')
    expect(stop).to_contain_text("Hook SubagentStop · backend-agent: blocked")
    expect(stop).to_contain_text("check-marker.sh")
    back = transcript.locator(".sys-event.hook-message")
    expect(back).to_contain_text("A stop hook sent the agent back to work")
    expect(back).to_contain_text("No completion marker yet")
    expect(transcript.locator(".sys-event.message")).to_have_count(0)  # not a message from the harness


def test_story_phone_pages_fit_the_screen(story_server: DashboardServer, pages: Pages) -> None:
    page = pages.open(story_server.url, phone=True)
    expect(page.locator("body")).to_have_attribute("data-board-ready", "true")
    assert overflow(page) == 0
    page.goto(story_server.url.split("?")[0] + "#/task/TASK-001")
    expect(page.locator("#history")).to_be_visible()
    assert overflow(page) == 0
    # A table wider than the phone scrolls in its own box, which the keyboard can reach.
    box = page.locator("#gate-2-panel .table-wrap").first
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")
    box.focus()
    expect(box).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("b => b.scrollLeft > 0", arg=box.element_handle())


def test_an_earlier_run_is_one_pick_away(
    story_server: DashboardServer, story: StoryProject, pages: Pages
) -> None:
    page = pages.open(story_server.url)
    expect(page.locator("#run-heading")).to_contain_text(f"Run #{story.run_id}")
    page.get_by_label("Show run").select_option(str(story.earlier_run))
    expect(page.locator("#run-heading")).to_contain_text(f"Run #{story.earlier_run}")
    assert page.url.endswith(f"#/runs/{story.earlier_run}")
    expect(page.locator("#run-banner")).to_contain_text("An earlier run")
    expect(page.locator("li.card")).to_have_count(1)
    page.get_by_role("link", name="TASK-001").first.click()
    expect(page.locator("#task-back")).to_have_text(f"Run #{story.earlier_run}")
    page.get_by_role("link", name="Runs", exact=True).click()
    rows = page.locator("#runs-body tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("failed")


def test_a_screenshot_is_a_real_image(server: DashboardServer, pages: Pages, tmp_path: Path) -> None:
    page = pages.open(server.url)
    expect(page.locator("body")).to_have_attribute("data-board-ready", "true")
    data = pages.screenshot(page, "sample-run").read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000
