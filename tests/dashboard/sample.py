"""A project with real run state for dashboard tests: git worktree, state store, transcript, gate marker."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from shopfloor.agent.events import (
    Event,
    ModelCalled,
    ModelReplied,
    Notice,
    RunFinished,
    RunStarted,
    ToolAnswered,
    ToolCalled,
    Transcript,
)
from shopfloor.gate.findings import Finding
from shopfloor.gate.report import CheckResult, GateReport
from shopfloor.gate.treehash import commit_tree
from shopfloor.gate.verdict import write_verdict
from shopfloor.models.base import Usage
from shopfloor.orchestrator.events import GateRound
from shopfloor.orchestrator.store import Store
from shopfloor.orchestrator.worktrees import commit_all, create_worktree, ensure_repo
from shopfloor.queue.tasks import Task, render_task
from shopfloor.vcs import rev_parse

TASKS = (
    Task(id="TASK-001", title="Users table", category="backend", objective="Create the users table."),
    Task(
        id="TASK-002",
        title="Login endpoint",
        category="backend",
        objective="Add POST /login.",
        criteria=["returns 401 on a wrong password"],
        dependencies=["TASK-001"],
    ),
    Task(id="TASK-003", title="API docs", category="docs", dependencies=["TASK-002"]),
)
GOOD_AGENT = """---
name: api-builder
description: Builds HTTP endpoints.
tools: Read, Write, Bash
model: sonnet
---
You build endpoints.
"""
BROKEN_AGENT = """---
name: broken-agent
tools: Read
---
No description here.
"""
SKILL = """---
name: sql-review
description: Reviews SQL for injection.
---
Check every query for string formatting.
"""


@dataclass
class SampleProject:
    root: Path
    home: Path
    run_id: int
    worktree: Path
    transcript: Path
    tree_hash: str


def transcript_events(task_id: str) -> list[Event]:
    usage = Usage(input_tokens=1200, output_tokens=300)
    return [
        RunStarted(
            task_id=task_id,
            agent="api-builder",
            model="claude-sonnet",
            provider="anthropic",
            workdir="/work",
            system_chars=900,
            tools=["Read", "Write", "Bash"],
        ),
        ModelCalled(task_id=task_id, turn=1, messages=1, request_chars=2048),
        ModelReplied(
            task_id=task_id,
            turn=1,
            text="I will create the users table first.",
            tool_calls=1,
            stop_reason="tool_use",
            usage=usage,
            cost_usd=0.0081,
            duration_s=1.5,
        ),
        ToolCalled(
            task_id=task_id,
            turn=1,
            call_id="call-1",
            name="Write",
            input={"file_path": "app/models.py", "content": "class User: ..."},
        ),
        ToolAnswered(
            task_id=task_id,
            turn=1,
            call_id="call-1",
            name="Write",
            content="File created successfully at: app/models.py",
            is_error=False,
            duration_s=0.01,
        ),
        Notice(task_id=task_id, message="context is 40% full"),
        RunFinished(
            task_id=task_id, outcome="completed", turns=1, usage=usage, cost_usd=0.0081, duration_s=3.2
        ),
    ]


def gate_report(task_id: str, tree: Path, tree_id: str, base: str) -> GateReport:
    now = datetime.now(UTC)
    return GateReport(
        task_id=task_id,
        tree=str(tree),
        tree_hash=tree_id,
        base_ref=base,
        checks=[
            CheckResult(
                name="pytest",
                kind="test",
                command="python -m pytest -q",
                cwd=".",
                exit_code=0,
                duration_s=2.5,
                output_tail="3 passed in 0.12s",
                passed=True,
            ),
            CheckResult(
                name="ruff",
                kind="lint",
                command="ruff check .",
                cwd=".",
                exit_code=1,
                duration_s=0.4,
                output_tail="app/models.py:3:1: F401 unused import",
                passed=False,
            ),
        ],
        findings=[
            Finding(
                file="app/models.py",
                line=7,
                rule_id="sql-string-format",
                severity="high",
                message="SQL built with an f-string",
                fix_hint="pass parameters to execute()",
            )
        ],
        verdict="fail",
        reasons=["lint failed: ruff check . exited 1"],
        started_at=now,
        finished_at=now,
    )


def build_project(tmp: Path) -> SampleProject:
    """One run: TASK-001 completed with a transcript and a gate marker, TASK-002 running, TASK-003 queued."""
    root = tmp / "project"
    (root / "README.md").parent.mkdir(parents=True)
    (root / "README.md").write_text("# sample\n")
    repo = ensure_repo(root)
    queue = root / ".orchestrator" / "task_queue.md"
    queue.parent.mkdir(parents=True, exist_ok=True)
    queue.write_text("# Task queue\n\n" + "\n".join(render_task(t) for t in TASKS))

    wt = create_worktree(root, "TASK-001", repo.branch)
    base = rev_parse(wt.path, "HEAD")
    (wt.path / "app").mkdir()
    (wt.path / "app" / "models.py").write_text("import os\n\nclass User:\n    name: str\n")
    commit_all(wt.path, "TASK-001: users table")
    tree_id = commit_tree(wt.path, "HEAD")  # all of it committed: the tree the gate hashes
    report = gate_report("TASK-001", wt.path, tree_id, base)
    write_verdict(wt.path, report)

    home = tmp / "home"
    agents = root / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "api-builder.md").write_text(GOOD_AGENT)
    (agents / "broken-agent.md").write_text(BROKEN_AGENT)
    skill = root / ".claude" / "skills" / "sql-review"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text(SKILL)

    with Store.for_project(root) as store:
        run = store.open_run(budget_usd=5.0)
        transcript = root / ".orchestrator" / "runs" / f"run-{run.id}" / "TASK-001.jsonl"
        store.upsert_task(run.id, "TASK-001", agent="api-builder", model="sonnet", status="in_progress")
        store.upsert_task(run.id, "TASK-001", branch=wt.branch, worktree=str(wt.path))
        attempt = store.start_attempt(run.id, "TASK-001")
        with Transcript(transcript) as tr:
            for event in transcript_events("TASK-001"):
                tr.write(event)
                store.record_event(run.id, event.kind, event, task_id="TASK-001")
        store.add_usage(run.id, "TASK-001", Usage(input_tokens=1200, output_tokens=300), 0.0081, "sonnet")
        store.finish_attempt(run.id, "TASK-001", attempt.n, "completed", transcript=transcript)
        store.record_event(
            run.id,
            "gate_round",
            GateRound(task_id="TASK-001", attempt=1, round=1, report=report),
            task_id="TASK-001",
        )
        store.upsert_task(run.id, "TASK-001", status="completed", verified_tree=tree_id, finished=time.time())
        store.record_event(run.id, "task_status", {"status": "completed"}, task_id="TASK-001")
        store.upsert_task(run.id, "TASK-002", agent="api-builder", model="opus", status="in_progress")
        store.start_attempt(run.id, "TASK-002")
        store.record_event(run.id, "task_status", {"status": "in_progress"}, task_id="TASK-002")
    return SampleProject(root, home, run.id, wt.path, transcript, tree_id)
