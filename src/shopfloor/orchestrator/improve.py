"""Improvement loops: research finds issues, issues become tasks, tasks run like any other."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from shopfloor.layout import Layout
from shopfloor.orchestrator.coordinator import Coordinator
from shopfloor.orchestrator.events import EventBus, RunStatusChanged
from shopfloor.orchestrator.planning import Planner
from shopfloor.orchestrator.scheduler import TaskOutcome
from shopfloor.queue.files import locked_update
from shopfloor.queue.issues import Issue, load_issue_queue, update_issues
from shopfloor.queue.tasks import Task, parse_task_queue

_PRIORITY_COMPLEXITY = {"critical": "complex", "high": "normal", "medium": "normal", "low": "easy"}


def next_task_id(existing: list[str]) -> str:
    numbers = [int(m.group(1)) for tid in existing if (m := re.fullmatch(r"TASK-(\d+)", tid))]
    return f"TASK-{max(numbers, default=0) + 1:03d}"


def task_from_issue(issue: Issue, task_id: str) -> Task:
    """A task doing what the issue asks; its other sections (steps, suggested fix, ...) reach the agent."""
    return Task(
        id=task_id,
        title=issue.title,
        category=issue.category,
        complexity=issue.complexity or _PRIORITY_COMPLEXITY.get(issue.priority, "normal"),
        priority=issue.priority,
        objective=f"{issue.title.rstrip('.')}. {issue.description}".strip(),
        criteria=issue.criteria
        or [
            f"The problem described in {issue.id} is fixed",
            "A test shows the fix and the project's checks pass",
        ],
        extra_fields={"Issue": issue.id},
        extra_sections=dict(issue.extra_sections),
    )


def issues_to_tasks(project: Path, issues: list[Issue]) -> dict[str, str]:
    """Append one task per issue to the queue (under its lock); returns issue id -> task id."""
    layout = Layout(project)
    links: dict[str, str] = {}

    def change(text: str) -> tuple[str, None]:
        queue = parse_task_queue(text, layout.task_queue)
        for issue in issues:
            tid = next_task_id(queue.ids)
            links[issue.id] = tid
            queue.add(task_from_issue(issue, tid))
        return queue.render(), None

    locked_update(layout.task_queue, change)
    update_issues(layout.issue_queue, dict.fromkeys(links, "in_progress"), tasks=links)
    return links


async def improvement_loops(
    project: Path,
    planner: Planner,
    coordinator: Coordinator,
    bus: EventBus,
    loops: int,
    before_research: Callable[[], Awaitable[None]],
) -> dict[str, TaskOutcome]:
    """Research, issues to tasks, tasks: `loops` times. `before_research` brings the run's work into the
    checkout the research agent reads."""
    issue_queue = Layout(project).issue_queue
    outcomes: dict[str, TaskOutcome] = {}
    for n in range(1, loops + 1):
        bus.emit(RunStatusChanged(status=f"improvement loop {n}"))
        pending = load_issue_queue(issue_queue).pending()
        if not pending:
            await before_research()
            result = await planner.research()
            if result.outcome != "completed":
                outcomes[f"research-{n}"] = TaskOutcome("research", "failed", result.reason)
                break
            pending = load_issue_queue(issue_queue).pending()
        if not pending:
            break
        links = issues_to_tasks(project, pending)
        ran = await coordinator.run_tasks(list(links.values()))
        done = [i for i, t in links.items() if ran.get(t) and ran[t].verdict == "completed"]
        update_issues(issue_queue, dict.fromkeys(done, "completed"))
        outcomes.update({t: ran[t] for t in links.values() if t in ran})
        summary = ", ".join(f"{i} -> {links[i]}" for i in links)
        await coordinator.merge_queue.note(f"shopfloor: improvement loop {n} ({summary})")
    return outcomes
