"""A project whose runs are told through the orchestrator's own event types, bus and recorders.

Run 1 is an earlier run: TASK-001 alone, completed. Run 2, the latest: a decomposition, then TASK-001
passes after one failed gate round (its agent keeps a to-do list, edits, runs tests and hands work to a
sub-agent), TASK-002 fails its gate for good, and TASK-003 is blocked behind it. Every agent event also
goes to the task's transcript file, as the agent runner writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shopfloor.agent.events import (
    HookRan,
    ModelCalled,
    ModelReplied,
    Notice,
    RunFinished,
    RunStarted,
    SubagentFinished,
    SubagentStarted,
    TodosChanged,
    ToolAnswered,
    ToolCalled,
    Transcript,
    UserMessage,
)
from shopfloor.gate.findings import Finding
from shopfloor.gate.report import (
    CheckResult,
    FunctionScore,
    GateReport,
    MutantOutcome,
    MutationReport,
)
from shopfloor.layout import Layout
from shopfloor.models.base import Usage
from shopfloor.orchestrator.events import (
    AttemptEnded,
    AttemptStarted,
    EventBus,
    FailureReported,
    GateRound,
    RunEvent,
    RunStatusChanged,
    TaskMerged,
    TaskPhase,
    TaskStarted,
    TaskStatus,
)
from shopfloor.orchestrator.recorder import GateReportWriter, StoreRecorder
from shopfloor.orchestrator.store import Store
from shopfloor.orchestrator.worktrees import ensure_repo
from shopfloor.queue.tasks import Task, render_task
from shopfloor.tools.todo_list import TodoItem

TASKS = (
    Task(
        id="TASK-001",
        category="backend",
        objective="Add `GET /tasks` with paging: limit and offset, bound as SQL parameters.",
        criteria=["`python -m pytest -q` passes"],
    ),
    Task(id="TASK-002", title="Audit log", category="backend", objective="Record every write."),
    Task(
        id="TASK-003",
        title="A title long enough to stretch a card on a phone if nothing wrapped it: "
        "Supercalifragilisticexpialidocious_identifier_without_any_breaks_at_all",
        category="backend",
        objective="Export the audit log.",
        dependencies=["TASK-002"],
    ),
)
MUTATION = MutationReport(
    status="ran",
    score=0.8,
    killed=8,
    survived=2,
    budget_s=60,
    duration_s=4.2,
    tests=["tests/test_tasks.py::test_page"],
    functions=[FunctionScore(file="app/tasks.py", function="page", line=10, killed=8, survived=2)],
    mutants=[
        MutantOutcome(
            file="app/tasks.py",
            function="page",
            line=12,
            kind="condition",
            description="`<` replaced by `<=`",
            status="survived",
            diff="-    if offset < total:\n+    if offset <= total:",
        )
    ],
)
AGENT_EVENTS = (
    RunStarted,
    UserMessage,
    ModelCalled,
    ModelReplied,
    ToolCalled,
    ToolAnswered,
    Notice,
    HookRan,
    TodosChanged,
    SubagentStarted,
    SubagentFinished,
    RunFinished,
)
FEEDBACK = (
    "VERIFICATION GATE: FAIL for TASK-001 (tree aaaaaaaaaaaa).\n"
    "SECURITY FINDINGS (must fix):\n- app/tasks.py:12 [sql-injection, high] SQL built from run-time values"
)


@dataclass
class StoryProject:
    root: Path
    home: Path
    earlier_run: int
    run_id: int


def report(task_id: str, verdict: str, findings: list[Finding], reasons: list[str]) -> GateReport:
    now = datetime.now(UTC)
    check = CheckResult(
        name="pytest",
        kind="test",
        command="python -m pytest -q",
        cwd=".",
        exit_code=0 if verdict == "pass" else 1,
        duration_s=1.5,
        output_tail="3 passed" if verdict == "pass" else "1 failed, 2 passed",
        passed=verdict == "pass",
    )
    return GateReport(
        task_id=task_id,
        tree="/w",
        tree_hash=f"{task_id}-{verdict}-{len(findings)}",
        base_ref="0" * 40,
        checks=[check],
        findings=findings,
        verdict=verdict,  # type: ignore[arg-type]
        reasons=reasons,
        started_at=now,
        finished_at=now,
    )


SQL = Finding(
    file="app/tasks.py",
    line=12,
    rule_id="sql-injection",
    severity="high",
    message="SQL built from run-time values",
    fix_hint="bind parameters",
)


class Teller:
    """Emits a run's events on a bus with the real recorders; agent events also go to the transcript."""

    def __init__(self, root: Path, store: Store, run_id: int) -> None:
        self.root = root
        self.store = store
        self.run_id = run_id
        self.bus = EventBus([StoreRecorder(store, run_id), GateReportWriter(root)])
        self.transcripts: dict[str, Transcript] = {}

    def __call__(self, *events: RunEvent) -> None:
        for event in events:
            self.bus.emit(event)
            if isinstance(event, AGENT_EVENTS):
                self.transcript(event.task_id).write(event)

    def transcript(self, task_id: str) -> Transcript:
        if task_id not in self.transcripts:
            path = Layout(self.root).transcript(f"run-{self.run_id}", task_id)
            self.transcripts[task_id] = Transcript(path)
        return self.transcripts[task_id]

    def close(self) -> None:
        for t in self.transcripts.values():
            t.close()


Call = tuple[str, dict[str, Any], str] | tuple[str, dict[str, Any], str, list[RunEvent]]


def session(tid: str, turn: int, calls: list[Call], *, cost: float, text: str) -> list[RunEvent]:
    """One turn: the model is asked, replies with tool calls, and each gets its answer; what a call
    sets off while it runs (a to-do list's change, a sub-agent's work) comes between the two."""
    usage = Usage(input_tokens=1000, output_tokens=200)
    events: list[RunEvent] = [
        ModelCalled(task_id=tid, turn=turn, messages=turn * 2 - 1, request_chars=4000),
        ModelReplied(
            task_id=tid,
            turn=turn,
            text=text,
            tool_calls=len(calls),
            stop_reason="tool_use",
            usage=usage,
            cost_usd=cost,
            duration_s=1.0,
        ),
    ]
    for i, (name, args, answer, *inner) in enumerate(calls):
        call_id = f"{tid}-{turn}-{i}"
        events.append(ToolCalled(task_id=tid, turn=turn, call_id=call_id, name=name, input=args))
        events += inner[0] if inner else []
        events.append(
            ToolAnswered(
                task_id=tid,
                turn=turn,
                call_id=call_id,
                name=name,
                content=answer,
                is_error=False,
                duration_s=0.2,
            )
        )
    return events


REVIEW_PROMPT = "Read tests/test_tasks.py and say what is missing."
REVIEW_ANSWER = "The tests miss an **offset past the end** case."


def subagent(tid: str, wt: Path) -> list[RunEvent]:
    """What the qa-agent did for TASK-001's agent, as the sub-agent runner reports it."""
    via = ["sub-1"]
    usage = Usage(input_tokens=500, output_tokens=50)
    read = {"file_path": f"{wt}/tests/t.py"}
    return [
        SubagentStarted(
            task_id=tid,
            call="sub-1",
            agent="qa-agent",
            model="claude-haiku",
            description="Review the paging tests",
            prompt=REVIEW_PROMPT,
            depth=1,
        ),
        UserMessage(task_id=tid, via=via, text=REVIEW_PROMPT),
        ModelCalled(task_id=tid, via=via, turn=1, messages=1, request_chars=900),
        ModelReplied(
            task_id=tid,
            via=via,
            turn=1,
            text="Reading the tests.",
            tool_calls=1,
            stop_reason="tool_use",
            usage=usage,
            cost_usd=0.0,
            duration_s=0.5,
        ),
        ToolCalled(task_id=tid, via=via, turn=1, call_id="q1", name="Read", input=read),
        ToolAnswered(
            task_id=tid,
            via=via,
            turn=1,
            call_id="q1",
            name="Read",
            content="def test_page(): ...",
            is_error=False,
            duration_s=0.01,
        ),
        ModelCalled(task_id=tid, via=via, turn=2, messages=3, request_chars=1200),
        ModelReplied(
            task_id=tid,
            via=via,
            turn=2,
            text=REVIEW_ANSWER,
            tool_calls=0,
            stop_reason="end_turn",
            usage=usage,
            cost_usd=0.0,
            duration_s=0.5,
        ),
        SubagentFinished(
            task_id=tid,
            call="sub-1",
            agent="qa-agent",
            outcome="completed",
            turns=2,
            usage=usage,
            cost_usd=0.0,
            duration_s=1.2,
            text=REVIEW_ANSWER,
        ),
    ]


NO_NETWORK = "this repository's agents work offline"
NO_MARKER = "No completion marker yet: write it once the work is verified."


def hook(tid: str, event: str, subject: str, blocked: str, wt: Path) -> HookRan:
    """A hook of the project's .claude/settings.json ran; `blocked` is what it said when it blocked."""
    return HookRan(
        task_id=tid,
        event=event,
        command=f'"$CLAUDE_PROJECT_DIR"/.claude/hooks/{"check-marker" if "Stop" in event else "guard"}.sh',
        source=str(wt / ".claude" / "settings.json"),
        exit_code=2 if blocked else 0,
        outcome="blocked" if blocked else "ok",
        message=blocked,
        duration_s=0.05,
        subject=subject,
    )


def finished(tid: str, turns: int, cost: float, outcome: str = "completed") -> RunFinished:
    usage = Usage(input_tokens=1000 * turns, output_tokens=200 * turns)
    return RunFinished(
        task_id=tid,
        outcome=outcome,
        turns=turns,
        usage=usage,
        cost_usd=cost,
        duration_s=2.0,  # type: ignore[arg-type]
    )


def started(tid: str, workdir: Path) -> RunStarted:
    return RunStarted(
        task_id=tid,
        agent="backend-agent",
        model="claude-sonnet",
        provider="anthropic",
        workdir=str(workdir),
        system_chars=900,
        tools=["Read", "Write", "Edit", "Bash", "TodoWrite", "Task"],
    )


def tell_task_001(tell: Teller, wt: Path) -> None:
    tid = "TASK-001"
    todos = [
        {"content": "Write the paging query", "status": "completed", "activeForm": "Writing the query"},
        {"content": "Bind `LIMIT` and `OFFSET`", "status": "in_progress", "activeForm": "Binding them"},
        {"content": "Run the tests", "status": "pending", "activeForm": "Running the tests"},
    ]
    tell(TaskStarted(task_id=tid, agent="backend-agent", model="sonnet"))
    tell(TaskStatus(task_id=tid, status="in_progress"), TaskPhase(task_id=tid, phase="setup", attempt=1))
    tell(AttemptStarted(task_id=tid, attempt=1), TaskPhase(task_id=tid, phase="agent", attempt=1))
    tell(
        started(tid, wt),
        UserMessage(task_id=tid, text=f"WORKING_DIR: {wt}\nTASK_ID: {tid}\n\nOBJECTIVE: paging"),
    )
    tell(
        *session(
            tid,
            1,
            [
                (
                    "TodoWrite",
                    {"todos": todos},
                    "Todos have been modified successfully.",
                    [TodosChanged(task_id=tid, todos=[TodoItem(**t) for t in todos])],
                ),
                (
                    "WebFetch",
                    {"url": "https://example.com/paging", "prompt": "How do they page?"},
                    f"Error: a PreToolUse hook blocked this call: {NO_NETWORK}",
                    [hook(tid, "PreToolUse", "WebFetch", NO_NETWORK, wt)],
                ),
                (
                    "Write",
                    {
                        "file_path": f"{wt}/app/tasks.py",
                        "content": "def page(limit, offset):\n    return []\n",
                    },
                    f"File created successfully at: {wt}/app/tasks.py",
                ),
            ],
            cost=0.02,
            text="I will plan first, then write `app/tasks.py`.",
        )
    )
    tell(
        *session(
            tid,
            2,
            [
                (
                    "Agent",
                    {
                        "subagent_type": "qa-agent",
                        "description": "Review the paging tests",
                        "prompt": REVIEW_PROMPT,
                    },
                    REVIEW_ANSWER,
                    subagent(tid, wt),
                ),
                (
                    "Bash",
                    {"command": "python -m pytest -q", "description": "Run the tests"},
                    "...\n3 passed in 0.1s",
                    [hook(tid, "PreToolUse", "Bash", "", wt)],
                ),
            ],
            cost=0.03,
            text="Done; the marker is written.",
        )
    )
    tell(finished(tid, 2, 0.05))
    tell(TaskPhase(task_id=tid, phase="gate", attempt=1), TaskStatus(task_id=tid, status="verifying"))
    tell(
        GateRound(
            task_id=tid, attempt=1, round=1, report=report(tid, "fail", [SQL], ["high finding sql-injection"])
        )
    )
    tell(TaskStatus(task_id=tid, status="in_progress", detail="gate failed, report sent to the agent"))
    tell(TaskPhase(task_id=tid, phase="retry", attempt=1), UserMessage(task_id=tid, text=FEEDBACK))
    tell(
        *session(
            tid,
            3,
            [
                (
                    "Edit",
                    {
                        "file_path": f"{wt}/app/tasks.py",
                        "old_string": 'query = f"SELECT * FROM tasks LIMIT {limit}"',
                        "new_string": 'rows = conn.execute("SELECT * FROM tasks LIMIT ?", (limit,))',
                    },
                    "The file has been updated.",
                )
            ],
            cost=0.01,
            text="Binding the limit as a parameter.",
        )
    )
    tell(finished(tid, 3, 0.06))
    tell(TaskPhase(task_id=tid, phase="gate", attempt=1), TaskStatus(task_id=tid, status="verifying"))
    passed = report(tid, "pass", [], []).model_copy(update={"mutation": MUTATION})
    tell(GateRound(task_id=tid, attempt=1, round=2, report=passed))
    tell(TaskPhase(task_id=tid, phase="merge", attempt=1), TaskStatus(task_id=tid, status="merging"))
    tell(AttemptEnded(task_id=tid, attempt=1, outcome="completed", result="verified"))
    tell(TaskMerged(task_id=tid, commit="c0ffee" * 6 + "c0ff", verified_tree=passed.tree_hash))
    tell(TaskStatus(task_id=tid, status="completed"))


def tell_task_002(tell: Teller, wt: Path) -> None:
    tid = "TASK-002"
    tell(TaskStarted(task_id=tid, agent="backend-agent", model="sonnet"))
    tell(TaskStatus(task_id=tid, status="in_progress"), TaskPhase(task_id=tid, phase="setup", attempt=1))
    tell(AttemptStarted(task_id=tid, attempt=1), TaskPhase(task_id=tid, phase="agent", attempt=1))
    tell(started(tid, wt), UserMessage(task_id=tid, text="OBJECTIVE: audit"))
    tell(
        *session(tid, 1, [], cost=0.01, text="Logging writes."),
        hook(tid, "SubagentStop", "backend-agent", NO_MARKER, wt),
        UserMessage(task_id=tid, text=NO_MARKER),  # the hook sent the agent back to work
        *session(tid, 2, [], cost=0.0, text="Marker written."),
        finished(tid, 2, 0.01),
    )
    tell(TaskPhase(task_id=tid, phase="gate", attempt=1), TaskStatus(task_id=tid, status="verifying"))
    rejected = report(tid, "fail", [], ["tests failed: python -m pytest -q exited 1"])
    tell(GateRound(task_id=tid, attempt=1, round=1, report=rejected))
    reason = "verification failed: tests failed: python -m pytest -q exited 1"
    tell(AttemptEnded(task_id=tid, attempt=1, outcome="failed", result="gate_rejected", reason=reason))
    path = Layout(tell.root).failure_report(tid)
    tell(FailureReported(task_id=tid, path=str(path)))
    tell(TaskStatus(task_id=tid, status="failed", reason=f"{reason} (failure report: {path})"))


def build_story(tmp: Path) -> StoryProject:
    root = tmp / "story"
    root.mkdir(parents=True)
    (root / "README.md").write_text("# story\n")
    ensure_repo(root)
    queue = Layout(root).task_queue
    queue.parent.mkdir(parents=True, exist_ok=True)
    queue.write_text("# Task queue\n\n" + "\n".join(render_task(t) for t in TASKS))
    wt = root / ".orchestrator" / "worktrees"
    with Store.for_project(root) as store:
        earlier = store.open_run()
        tell = Teller(root, store, earlier.id)
        tell(RunStatusChanged(status="running"))
        tell(TaskStarted(task_id="TASK-001", agent="backend-agent", model="sonnet"))
        tell(TaskStatus(task_id="TASK-001", status="completed"))
        tell(RunStatusChanged(status="completed", finished=0.0))
        tell.close()

        run = store.open_run(budget_usd=2.0)
        tell = Teller(root, store, run.id)
        tell(RunStatusChanged(status="decomposing"))
        tell(TaskStarted(task_id="decomposition", agent="decomposition-agent", model="sonnet"))
        tell(TaskStatus(task_id="decomposition", status="in_progress"))
        tell(started("decomposition", root), UserMessage(task_id="decomposition", text="Write the queue."))
        tell(
            *session("decomposition", 1, [], cost=0.004, text="Three tasks."),
            finished("decomposition", 1, 0.004),
        )
        tell(TaskStatus(task_id="decomposition", status="completed"))
        tell(RunStatusChanged(status="running"))
        tell_task_001(tell, wt / "TASK-001")
        tell_task_002(tell, wt / "TASK-002")
        tell(TaskStatus(task_id="TASK-003", status="blocked", reason="dependency TASK-002 did not complete"))
        tell(RunStatusChanged(status="failed", finished=0.0))
        tell.close()
    return StoryProject(root=root, home=tmp / "home", earlier_run=earlier.id, run_id=run.id)
