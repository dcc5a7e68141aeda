"""Dashboard first paint and live-update latency over a generated run of 50 tasks and 5,000 events.

Run from the repository root (needs Chromium at /usr/bin/chromium and Playwright for Python):

    .venv/bin/python bench/dashboard_bench.py [--tasks 50] [--events 5000] [--loads 7] [--updates 20]

First paint: navigation start to the task board rendered (the page's `board-rendered` performance mark),
in a fresh browser context each time; the task page likewise to its history, gate rounds and transcript
rendered (`task-rendered`). Live update: a `task_status` event recorded in the store until the card shows
the new status on the next frame after the change.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

from shopfloor.agent.events import (
    Event,
    ModelCalled,
    ModelReplied,
    RunFinished,
    RunStarted,
    ToolAnswered,
    ToolCalled,
    Transcript,
)
from shopfloor.dashboard import DashboardServer, serve_dashboard
from shopfloor.gate.report import GateReport
from shopfloor.models.base import Usage
from shopfloor.orchestrator.events import GateRound, TaskPhase, TaskStarted
from shopfloor.orchestrator.store import Store
from shopfloor.queue.tasks import Task, render_task

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
STATUSES = ("completed", "in_progress", "verifying", "pending", "failed")
# Arms `window.benchSeen`: resolves on the first frame after the card's status attribute reads the new value.
WAIT_FOR_STATUS = """([id, status]) => { window.benchSeen = new Promise((resolve) => {
  const card = document.querySelector(`li.card[data-task="${id}"]`);
  const done = () => requestAnimationFrame(() => resolve(performance.timeOrigin + performance.now()));
  const observer = new MutationObserver(() => {
    if (card.dataset.status === status) { observer.disconnect(); done(); }
  });
  observer.observe(card, { attributes: true, attributeFilter: ["data-status"] });
}); }"""


def task_events(task_id: str, count: int) -> list[Event]:
    """One agent run's transcript of about `count` events: a start, turns of call/reply/tool, a finish."""
    usage = Usage(input_tokens=3000, output_tokens=400, cache_read_tokens=2000)
    events: list[Event] = [
        RunStarted(
            task_id=task_id,
            agent="backend-agent",
            model="sonnet",
            provider="anthropic",
            workdir="/w",
            system_chars=8000,
            tools=["Read", "Edit", "Bash"],
        )
    ]
    turn = 0
    while len(events) < count - 1:
        turn += 1
        call = f"{task_id}-{turn}"
        events += [
            ModelCalled(task_id=task_id, turn=turn, messages=turn * 2, request_chars=4000 * turn),
            ModelReplied(
                task_id=task_id,
                turn=turn,
                text=f"Turn {turn}: reading the handler and running the tests.",
                tool_calls=1,
                stop_reason="tool_use",
                usage=usage,
                cost_usd=0.012,
                duration_s=2.0,
            ),
            ToolCalled(task_id=task_id, turn=turn, call_id=call, name="Bash", input={"command": "pytest -q"}),
            ToolAnswered(
                task_id=task_id,
                turn=turn,
                call_id=call,
                name="Bash",
                content="........ 8 passed in 0.4s\n" * 20,
                is_error=False,
                duration_s=1.1,
            ),
        ]
    events.append(
        RunFinished(
            task_id=task_id, outcome="completed", turns=turn, usage=usage, cost_usd=0.5, duration_s=90
        )
    )
    return events[:count]


def build(root: Path, n_tasks: int, n_events: int) -> int:
    """A project with a queue of `n_tasks`, one attempt and transcript each, `n_events` events in all."""
    tasks = [
        Task(
            id=f"TASK-{i:03d}",
            title=f"Endpoint number {i}",
            category="backend",
            objective="Build it.",
            dependencies=[f"TASK-{i - 1:03d}"] if i % 5 else [],
        )
        for i in range(1, n_tasks + 1)
    ]
    queue = root / ".orchestrator" / "task_queue.md"
    queue.parent.mkdir(parents=True)
    queue.write_text("# Task queue\n\n" + "\n".join(render_task(t) for t in tasks))
    per_task = n_events // n_tasks
    with Store.for_project(root) as store:
        run = store.open_run(budget_usd=50.0)
        for i, task in enumerate(tasks):
            store.upsert_task(run.id, task.id, agent="backend-agent", model="sonnet", status="in_progress")
            attempt = store.start_attempt(run.id, task.id)
            path = root / ".orchestrator" / "runs" / f"run-{run.id}" / f"{task.id}.jsonl"
            with Transcript(path) as transcript:
                for event in task_events(task.id, per_task):
                    transcript.write(event)
                    store.record_event(run.id, event.kind, event, task_id=task.id)
                    if isinstance(event, ModelReplied):
                        store.add_usage(run.id, task.id, event.usage, event.cost_usd or 0.0, "sonnet")
            store.finish_attempt(run.id, task.id, attempt.n, "completed", transcript=path)
            store.upsert_task(run.id, task.id, status=STATUSES[i % len(STATUSES)])
            record_phases(store, run.id, task.id)
        return run.id


def record_phases(store: Store, run_id: int, task_id: str) -> None:
    """What the orchestrator records around an agent's work: phases and two gate rounds (one failed)."""
    now = datetime.now(UTC)
    store.record_event(
        run_id, "task_started", TaskStarted(task_id=task_id, agent="backend-agent", model="sonnet")
    )
    for phase, verdict in (
        ("setup", None),
        ("agent", None),
        ("gate", "fail"),
        ("retry", None),
        ("gate", "pass"),
    ):
        store.record_event(
            run_id, "task_phase", TaskPhase(task_id=task_id, phase=phase, attempt=1), task_id=task_id
        )
        if verdict is not None:
            report = GateReport(
                task_id=task_id,
                tree="/w",
                tree_hash="0" * 40,
                verdict=verdict,
                started_at=now,
                finished_at=now,
            )
            event = GateRound(task_id=task_id, attempt=1, round=1 if verdict == "fail" else 2, report=report)
            store.record_event(run_id, "gate_round", event, task_id=task_id)
    store.record_event(
        run_id, "task_phase", TaskPhase(task_id=task_id, phase="merge", attempt=1), task_id=task_id
    )


def first_paint(page: Page, url: str) -> float:
    page.goto(url)
    page.wait_for_selector("body[data-board-ready]")
    ms: float = page.evaluate("performance.getEntriesByName('board-rendered')[0].startTime")
    return ms


def task_paint(page: Page, url: str) -> float:
    page.goto(url)
    page.wait_for_selector("body[data-task-ready]")
    ms: float = page.evaluate("performance.getEntriesByName('task-rendered')[0].startTime")
    return ms


def live_update(page: Page, root: Path, run_id: int, task_id: str, status: str) -> float:
    page.evaluate(WAIT_FOR_STATUS, [task_id, status])
    with Store.for_project(root) as store:
        # As the orchestrator does it: the task's row, then the event; the clock starts before both.
        sent = time.time() * 1000
        store.upsert_task(run_id, task_id, status=status)
        store.record_event(run_id, "task_status", {"status": status}, task_id=task_id)
    seen: float = page.evaluate("window.benchSeen")
    return seen - sent


def api_ms(server: DashboardServer, path: str, calls: int = 20) -> float:
    headers = {"Authorization": f"Bearer {server.token}"}
    samples = []
    with httpx.Client(base_url=server.base_url, headers=headers) as client:
        client.get(path)
        for _ in range(calls):
            t0 = time.perf_counter()
            client.get(path).raise_for_status()
            samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--loads", type=int, default=7)
    parser.add_argument("--updates", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shopfloor-dash-bench-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        run_id = build(root, args.tasks, args.events)
        print(f"generated {args.tasks} tasks, {args.events} events in {time.perf_counter() - t0:.1f}s")
        with serve_dashboard(root, home=root / "home") as server, sync_playwright() as pw:
            print(f"GET /api/run            median {api_ms(server, '/api/run'):.1f} ms")
            print(f"GET /api/series         median {api_ms(server, '/api/series'):.1f} ms")
            print(f"GET /api/timeline       median {api_ms(server, '/api/timeline'):.1f} ms")
            print(f"GET /api/runs           median {api_ms(server, '/api/runs'):.1f} ms")
            print(f"GET /api/tasks/TASK-001 median {api_ms(server, '/api/tasks/TASK-001', 10):.1f} ms")
            page_bytes = len(httpx.get(server.url).content)
            print(f"GET / (the whole page, inline assets) {page_bytes / 1024:.0f} KiB")
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            paints, task_paints = [], []
            for _ in range(args.loads):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                paints.append(first_paint(context.new_page(), server.url))
                context.close()
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                task_paints.append(task_paint(context.new_page(), server.url + "#/task/TASK-001"))
                context.close()
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(server.url)
            page.wait_for_selector("#connection[data-state=live]")
            latencies = []
            for i in range(args.updates):
                task_id = f"TASK-{(i % args.tasks) + 1:03d}"
                # No generated task starts out merging, so every update is a visible change.
                latencies.append(live_update(page, root, run_id, task_id, "merging"))
                time.sleep(0.6)  # let the page's debounced refresh after each event settle
            browser.close()
    paints.sort()
    task_paints.sort()
    latencies.sort()
    paint = statistics.median(paints)
    print(f"first paint   median {paint:.0f} ms  (min {paints[0]:.0f}, max {paints[-1]:.0f})")
    print(
        f"task page     median {statistics.median(task_paints):.0f} ms  "
        f"(min {task_paints[0]:.0f}, max {task_paints[-1]:.0f})"
    )
    print(
        f"live update   median {statistics.median(latencies):.0f} ms  "
        f"(min {latencies[0]:.0f}, max {latencies[-1]:.0f}, n={len(latencies)})"
    )


if __name__ == "__main__":
    main()
